"""The UI tests' harness: the real lab, an offline app, a private state dir, no user kubeconfig.

`RecordingApp` records `notify()` calls and fails the test when a worker dies of an exception.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.worker import Worker, WorkerState
from ui_data import FROZEN_EPOCH

from istiotui.lab import model as m
from istiotui.lab.loader import load_lab
from istiotui.ui.app import IstioTui


@dataclass(frozen=True)
class Notice:
    message: str
    title: str
    severity: str


class RecordingApp(IstioTui):
    """Records `notify()` calls; a worker that dies with an exception is a test failure."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("clock", lambda: FROZEN_EPOCH)
        super().__init__(*args, **kwargs)
        self.notices: list[Notice] = []
        self.crashes: list[BaseException] = []
        self.animation_level = "none"

    def notify(self, message, *, title="", severity="information", timeout=None, markup=True):
        self.notices.append(Notice(str(message), str(title), str(severity)))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.crashes.append(event.worker.error)

    def clock_monotonic(self) -> float:
        return super().clock_monotonic()


@pytest.fixture(scope="session")
def lab() -> m.Lab:
    return load_lab()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
    monkeypatch.setenv("ISTIOTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.delenv("NO_COLOR", raising=False)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def make_app(lab: m.Lab, tmp_path: Path) -> Iterator[Callable[..., RecordingApp]]:
    made: list[RecordingApp] = []

    def make(**kwargs) -> RecordingApp:
        kwargs.setdefault("state_dir", tmp_path / "state" / "progress")
        app = RecordingApp(lab, kwargs.pop("lang", "en"), kwargs.pop("connector", None), **kwargs)
        made.append(app)
        return app

    yield make
    for app in made:
        assert not app.crashes, f"a worker failed: {app.crashes!r}"


# For the modules whose tests attach to a local cluster: each defines its own module-scoped
# `local_cluster` (its name and parts), these read whichever the requesting module has.
@pytest.fixture
def local_state(local_cluster) -> Path:
    return local_cluster.state


@pytest.fixture
def on_local(local_cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in local_cluster.env.items():  # `--local` attaches to it
        monkeypatch.setenv(key, value)
