"""Shared test support: local clusters that never meet a learner's, or each other.

Every local cluster a test starts gets its own state dir, API port, ingress port and Envoy admin
port, and dies with the test run (`ISTIOTUI_LOCAL_EXIT_WITH_PID`) even if the run is killed before
its teardown. `env` holds what a command must see to attach to that cluster (`--local`).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class LocalClusterHandle:
    state: Path
    url: str
    pid: int
    env: dict[str, str]

    @property
    def kubeconfig(self) -> Path:
        return self.state / "kubeconfig"

    @property
    def ingress(self) -> str:
        return f"http://127.0.0.1:{self.env['ISTIOTUI_INGRESS_PORT']}"


StartLocal = Callable[..., LocalClusterHandle]


@pytest.fixture(scope="session")
def start_local_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartLocal]:
    """`start_local_cluster(name, data_plane=True, **env)` → a running local cluster."""
    from istiotui.local import daemon
    from istiotui.local.state import StateDir

    started: list[StateDir] = []

    def start(name: str, data_plane: bool = True, **extra: str) -> LocalClusterHandle:
        state = StateDir(tmp_path_factory.mktemp(name))
        env = {
            # Address block 0 is the learner's; each test cluster takes its own.
            "ISTIOTUI_LOCAL_BLOCK": str(1 + len(started) % 11),
            "ISTIOTUI_STATE_DIR": str(state.root),
            "ISTIOTUI_INGRESS_PORT": str(free_port()),
            "ISTIOTUI_ENVOY_ADMIN_PORT": str(free_port()),
            "ISTIOTUI_LOCAL_DATA_PLANE": "1" if data_plane else "0",
            "ISTIOTUI_LOCAL_EXIT_WITH_PID": str(os.getpid()),
            **extra,
        }
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        try:
            running = daemon.up(state, "127.0.0.1", 0)  # port 0: any free port
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        started.append(state)
        env["ISTIOTUI_API_PORT"] = str(running.port)
        return LocalClusterHandle(state.root, running.url, running.pid, env)

    yield start
    failures = []
    for state in started:  # every cluster is stopped, even when one of them will not stop
        try:
            daemon.down(state)
        except Exception as exc:
            failures.append(f"{state.root}: {exc}")
    assert not failures, failures
