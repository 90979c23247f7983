"""The learner's progress per cluster context, kept between runs in a small JSON file.

`progress/` under istiotui's state folder (`$ISTIOTUI_STATE_DIR`, else
`$XDG_STATE_HOME/istiotui`, else `~/.local/state/istiotui`; see istiotui.settings). One file
per context: progress on a real cluster says nothing about the local one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from istiotui import settings


class StepState(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    VERIFIED = "verified"
    FAILED = "failed"

    @property
    def mark(self) -> str:
        return _MARKS[self]


_MARKS = {
    StepState.PENDING: "○",
    StepState.APPLIED: "●",
    StepState.VERIFIED: "✔",
    StepState.FAILED: "✗",
}


def progress_dir(env: dict[str, str] | None = None) -> Path:
    return settings.state_root(env) / "progress"


def _file_name(context: str) -> str:
    # Context names hold ARNs and slashes: keep them readable but safe as one path segment.
    return re.sub(r"[^A-Za-z0-9_.-]", "_", context) + ".json"


@dataclass
class Progress:
    context: str
    states: dict[str, StepState] = field(default_factory=dict)
    current: str | None = None

    def state(self, step_id: str) -> StepState:
        return self.states.get(step_id, StepState.PENDING)

    def to_json(self) -> str:
        data = {
            "context": self.context,
            "current": self.current,
            "steps": {k: v.value for k, v in sorted(self.states.items())},
        }
        return json.dumps(data, indent=2, ensure_ascii=False)


def load(context: str, directory: Path) -> Progress:
    """The saved progress, or a fresh one when there is none or it cannot be read."""
    path = directory / _file_name(context)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        states = {k: StepState(v) for k, v in (data.get("steps") or {}).items()}
        return Progress(context, states, data.get("current"))
    except (OSError, ValueError, AttributeError, TypeError):
        return Progress(context)


def save(progress: Progress, directory: Path) -> Path:
    """Write atomically (a crash mid-write must not lose earlier progress)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / _file_name(progress.context)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(progress.to_json(), encoding="utf-8")
    tmp.replace(path)
    return path
