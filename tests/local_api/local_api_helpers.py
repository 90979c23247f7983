"""Helpers shared by the local API tests (a module name of its own: test dirs are not packages)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from istiotui.local.state import StateDir

MANIFESTS = Path(__file__).parent / "manifests"
WATCH_HISTORY = 100
BOOKMARK_SECONDS = 0.2


@dataclass(frozen=True)
class Server:
    state: StateDir
    url: str
    pid: int

    @property
    def kubeconfig(self) -> Path:
        return self.state.kubeconfig


T = TypeVar("T")


def wait_for(check: Callable[[], T], what: str, timeout: float = 10.0) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
