"""Faults provoked on real processes: a local cluster per test, started and restarted as a user
does (`istiotui local up|down|status` in a process of its own), stopped when the test ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from kubernetes import client, config

from istiotui.local import daemon
from istiotui.local.state import StateDir

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]


def wait_for(check: Callable[[], T], what: str, timeout: float = 20.0) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class FaultCluster:
    """One test's local cluster: its state dir and the environment that reaches it."""

    state: StateDir
    env: dict[str, str]
    home: Path

    @property
    def pid(self) -> int:
        running = daemon.status(self.state)
        assert running is not None, "the local cluster is not running"
        return running.pid

    def stop(self) -> None:
        """`local down`, from this process: the first server is this test run's child (started
        by the session fixture), so only this process can reap it. Servers that `istiotui local
        up` starts later belong to no test process, as for a user, and `local down` stops them."""
        assert daemon.down(self.state)

    def istiotui(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`istiotui ARGS` as a user runs it, in this cluster's environment."""
        return subprocess.run(
            [sys.executable, "-m", "istiotui.cli.main", *args],
            capture_output=True, text=True, env=self.command_env(), timeout=120, cwd=REPO,
        )  # fmt: skip

    def kubectl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**self.command_env(), "KUBECONFIG": str(self.state.kubeconfig)}
        return subprocess.run(
            ["kubectl", *args], capture_output=True, text=True, env=env, timeout=120, input=stdin
        )

    def command_env(self) -> dict[str, str]:
        return {
            **os.environ,
            **self.env,
            "HOME": str(self.home),
            "KUBECACHEDIR": str(self.home / "kube-cache"),
        }

    def api(self) -> client.ApiClient:
        return config.new_client_from_config(config_file=str(self.state.kubeconfig))


MakeCluster = Callable[..., FaultCluster]


@pytest.fixture
def fault_cluster(
    start_local_cluster: Callable[..., object], tmp_path: Path
) -> Iterator[MakeCluster]:
    """`fault_cluster(name, data_plane=False, **server_env)` → a running cluster, stopped after
    the test (`server_env`: the server's environment, e.g. its PATH)."""
    made: list[FaultCluster] = []

    def make(name: str, data_plane: bool = False, **server_env: str) -> FaultCluster:
        handle = start_local_cluster(name, data_plane=data_plane, **server_env)
        cluster = FaultCluster(StateDir(handle.state), dict(handle.env), tmp_path / name)  # type: ignore[attr-defined]
        cluster.home.mkdir()
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        daemon.down(cluster.state)
