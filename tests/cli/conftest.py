"""Running `istiotui` as a user runs it: a subprocess with an environment of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Istiotui = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def isolated_env(tmp_path: Path) -> dict[str, str]:
    """No kubeconfig, no state of the learner's, no inherited log level."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISTIOTUI_")}
    env |= {
        "HOME": str(tmp_path / "home"),
        "KUBECONFIG": str(tmp_path / "no-kubeconfig"),
        "ISTIOTUI_STATE_DIR": str(tmp_path / "state"),
        "PYTHONUNBUFFERED": "1",
    }
    return env


@pytest.fixture
def istiotui(isolated_env: dict[str, str]) -> Istiotui:
    def run(*argv: str, env: dict[str, str] | None = None, timeout: float = 120):
        return subprocess.run(
            [sys.executable, "-m", "istiotui", *argv],
            env={**isolated_env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run
