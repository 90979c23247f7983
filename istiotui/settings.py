"""Every `ISTIOTUI_*` environment variable istiotui reads: its type, default and meaning.

One table; modules ask it (`settings.API_PORT.get()`) instead of reading `os.environ`, values are
read when asked (tests and a second local cluster change them between calls), and `check()`
reads them all once so that a command can refuse a bad value before it starts anything.
`docs/settings.md` is generated from this table (`python -m istiotui.settings`); a test keeps the
two in step.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


class SettingError(ValueError):
    """A variable whose value cannot be used; the message names it and its value."""


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError("not a port number (1-65535)")
    return int(text)


def _block(text: str) -> int:
    if not text.isdigit() or int(text) >= BLOCKS:
        raise ValueError(f"a block number from 0 to {BLOCKS - 1}")
    return int(text)


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError("a whole number of at least 1")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("a number of seconds") from None
    if value <= 0:
        raise ValueError("a number of seconds above 0")
    return value


def _flag(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError("0 or 1")
    return text == "1"


def _pid(text: str) -> int:
    if not text.isdigit():
        raise ValueError("a process id")
    return int(text)


def _path(text: str) -> Path:
    return Path(text).expanduser()


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(",") if w.strip())


def _text(text: str) -> str:
    return text


LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _log_level(text: str) -> str:
    if text.lower() not in LOG_LEVELS:
        raise ValueError(f"one of {', '.join(LOG_LEVELS)}")
    return text.lower()


BLOCKS = 12  # address blocks for local clusters side by side (see istiotui.local.addresses)


@dataclass(frozen=True)
class Setting(Generic[T]):
    name: str
    parse: Callable[[str], T]
    default: T
    default_text: str  # the default as the docs say it
    doc: str
    audience: str  # "user", "test" or "pod" (set by the local cluster for its own processes)

    def get(self, env: Mapping[str, str] | None = None) -> T:
        value = (os.environ if env is None else env).get(self.name, "")
        if value == "":
            return self.default
        try:
            return self.parse(value)
        except ValueError as exc:
            raise SettingError(f"{self.name}={value!r}: {exc}") from None

    def is_set(self, env: Mapping[str, str] | None = None) -> bool:
        return bool((os.environ if env is None else env).get(self.name))


STATE_DIR: Setting[Path | None] = Setting(
    "ISTIOTUI_STATE_DIR", _path, None, "`$XDG_STATE_HOME/istiotui` (`~/.local/state/istiotui`)",
    "istiotui's state: the local cluster in `local/`, progress per context in `progress/`.",
    "user",
)  # fmt: skip
SCENARIOS: Setting[Path | None] = Setting(
    "ISTIOTUI_SCENARIOS", _path, None, "the installed lab",
    "A folder with `lab.yaml` and its sections, to run another version of the lab.", "user",
)  # fmt: skip
ISTIO_MANIFESTS: Setting[Path | None] = Setting(
    "ISTIOTUI_ISTIO_MANIFESTS", _path, None, "the installed `istio-manifests/`",
    "The folder of IstioOperator files the install steps use.", "user",
)  # fmt: skip
VAGRANT_ROOT: Setting[Path | None] = Setting(
    "ISTIOTUI_VAGRANT_ROOT", _path, None, "the nearest folder with a Vagrantfile",
    "Where the lab's Vagrantfile and settings.yaml are.", "user",
)  # fmt: skip
API_PORT: Setting[int | None] = Setting(
    "ISTIOTUI_API_PORT", _port, None, "the port used last time if free, else any free port",
    "The local cluster's API port on 127.0.0.1 (as `local up --port`).", "user",
)  # fmt: skip
ENVOY_ADMIN_PORT: Setting[int | None] = Setting(
    "ISTIOTUI_ENVOY_ADMIN_PORT", _port, None, "any free port, recorded in `server.json`",
    "The local Envoy's admin port on 127.0.0.1.", "user",
)  # fmt: skip
LOG_LEVEL: Setting[str | None] = Setting(
    "ISTIOTUI_LOG_LEVEL", _log_level, None, "warning for commands, info for the local cluster",
    f"Python logging level ({', '.join(LOG_LEVELS)}) of a command (as `--log-level`) and of the "
    "local cluster's own log (`server.log` in its state dir), read when the cluster starts; "
    "`-v` and `--log-level` set it for the cluster a command starts.", "user",
)  # fmt: skip
LOCAL_BLOCK: Setting[int] = Setting(
    "ISTIOTUI_LOCAL_BLOCK", _block, 0,
    "the block kept with the state dir, else the first one no running local cluster holds",
    f"The loopback address block (0-{BLOCKS - 1}) of the local cluster's pods; two local "
    "clusters side by side never share one.", "user",
)  # fmt: skip
LOCAL_DATA_PLANE: Setting[bool] = Setting(
    "ISTIOTUI_LOCAL_DATA_PLANE", _flag, True, "1",
    "0 serves the API alone: no Envoy, no processes, pods marked running (the API's tests).",
    "test",
)  # fmt: skip
LOCAL_EXIT_WITH_PID: Setting[int | None] = Setting(
    "ISTIOTUI_LOCAL_EXIT_WITH_PID", _pid, None, "unset",
    "The local cluster stops when this process is gone (test sessions give their own pid).",
    "test",
)  # fmt: skip
LOCAL_WATCH_HISTORY: Setting[int] = Setting(
    "ISTIOTUI_LOCAL_WATCH_HISTORY", _positive_int, 5000, "5000",
    "How many changes a watch of the local API can resume across.", "test",
)  # fmt: skip
LOCAL_BOOKMARK_SECONDS: Setting[float] = Setting(
    "ISTIOTUI_LOCAL_BOOKMARK_SECONDS", _seconds, 30.0, "30",
    "Interval of the local API's watch bookmarks.", "test",
)  # fmt: skip
LOCAL_ISTIO_VERSIONS: Setting[tuple[str, ...]] = Setting(
    "ISTIOTUI_LOCAL_ISTIO_VERSIONS", _words, (), "every version",
    "Comma-separated networking.istio.io versions the local API serves (`v1beta1,v1alpha3` "
    "plays an Istio older than 1.22).", "test",
)  # fmt: skip
TEST_CONTEXT: Setting[str] = Setting(
    "ISTIOTUI_TEST_CONTEXT", _text, "", "unset",
    "The kubeconfig context `pytest -m cluster` runs against.", "test",
)  # fmt: skip
UPDATE_GOLDEN: Setting[bool] = Setting(
    "ISTIOTUI_UPDATE_GOLDEN", _flag, False, "0",
    "1 rewrites the pilot's golden files instead of comparing with them.", "test",
)  # fmt: skip
POD_IP: Setting[str] = Setting(
    "ISTIOTUI_POD_IP", _text, "", "-",
    "The pod IP of a local pod's process (its requests leave from it).", "pod",
)  # fmt: skip
SIDECAR_IP: Setting[str] = Setting(
    "ISTIOTUI_SIDECAR_IP", _text, "", "-",
    "The address of that pod's sidecar, where its outbound requests go.", "pod",
)  # fmt: skip
CA_BUNDLE: Setting[str] = Setting(
    "ISTIOTUI_CA_BUNDLE", _text, "", "-",
    "The CA a local pod trusts for https (the external host's stand-in).", "pod",
)  # fmt: skip
OWNER: Setting[str] = Setting(
    "ISTIOTUI_OWNER", _text, "", "-",
    "Marks every process of one local cluster, so that `local down` finds them all.", "pod",
)  # fmt: skip

ALL: tuple[Setting, ...] = (
    STATE_DIR, SCENARIOS, ISTIO_MANIFESTS, VAGRANT_ROOT, API_PORT, ENVOY_ADMIN_PORT, LOG_LEVEL,
    LOCAL_BLOCK,
    LOCAL_DATA_PLANE, LOCAL_EXIT_WITH_PID, LOCAL_WATCH_HISTORY, LOCAL_BOOKMARK_SECONDS,
    LOCAL_ISTIO_VERSIONS, TEST_CONTEXT, UPDATE_GOLDEN, POD_IP, SIDECAR_IP, CA_BUNDLE, OWNER,
)  # fmt: skip


def check(env: Mapping[str, str] | None = None) -> None:
    """Read every setting once; SettingError names the first bad one."""
    for setting in ALL:
        setting.get(env)


def state_root(env: Mapping[str, str] | None = None) -> Path:
    """istiotui's state folder: `$ISTIOTUI_STATE_DIR`, else `$XDG_STATE_HOME/istiotui`."""
    env = os.environ if env is None else env
    explicit = STATE_DIR.get(env)
    if explicit is not None:
        return explicit
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "istiotui"


_AUDIENCES = {
    "user": "For learners and content writers",
    "test": "For tests and the project's own tooling",
    "pod": "Set by the local cluster for its own processes (never set these yourself)",
}


def markdown() -> str:
    """docs/settings.md."""
    lines = [
        "# Settings",
        "",
        "Every environment variable istiotui reads. Generated from `istiotui/settings.py` by",
        "`python -m istiotui.settings > docs/settings.md`; a test keeps the two in step.",
        "A value that cannot be used stops a command before it starts anything, naming the",
        "variable and its value. Flags win over these; these win over defaults.",
    ]
    for audience, title in _AUDIENCES.items():
        lines += ["", f"## {title}", "", "| variable | default | meaning |", "|---|---|---|"]
        for s in ALL:
            if s.audience == audience:
                lines.append(f"| `{s.name}` | {s.default_text} | {s.doc} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
