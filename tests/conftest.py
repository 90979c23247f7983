"""Shared test support: local clusters that never meet a learner's, or each other.

Every local cluster a test starts gets its own state dir, address block and free ports (the API's
and Envoy's admin, chosen at start as for a learner), and dies with the test run
(`ISTIOTUI_LOCAL_EXIT_WITH_PID`) even if the run is killed before its teardown. `env` holds what a
command must see to attach to that cluster (`--local`).
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# A run started in the background of a script (`pytest &`, `nohup … &`) inherits SIGINT ignored,
# and so would every command the tests start: the tests of Ctrl-C would wait on a process that
# cannot hear it (found that way: a `dashboard` left running). A handler here makes the
# children start with SIGINT at its default, as from a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class LocalClusterHandle:
    state: Path  # the cluster's own folder (`local/` under ISTIOTUI_STATE_DIR)
    url: str
    pid: int
    env: dict[str, str]
    envoy_admin: str | None = None  # Envoy's admin URL, on the free port it took

    @property
    def kubeconfig(self) -> Path:
        return self.state / "kubeconfig"

    def stop(self) -> None:
        """Down now, not at the session's end: a fixture of a narrower scope gives back its
        address block, its memory and its Envoy's inotify instances (the user has 128)."""
        from istiotui.local import daemon
        from istiotui.local.state import StateDir

        daemon.down(StateDir(self.state))

    @property
    def ingress(self) -> str:
        """The ingress gateway pod's HTTP port: where the lab's port-forward leads."""
        from kubernetes import client, config

        api = config.new_client_from_config(str(self.kubeconfig), context="istiotui-local")
        try:
            pods = client.CoreV1Api(api).list_namespaced_pod(
                "istio-system", label_selector="istio=ingressgateway"
            )
        finally:
            api.close()
        ips = sorted(p.status.pod_ip for p in pods.items if p.status.pod_ip)
        assert ips, "no ingress gateway pod with an address"
        return f"http://{ips[0]}:8080"


StartLocal = Callable[..., LocalClusterHandle]
# Blocks that modules starting clusters of their own (not through this fixture) keep for them.
RESERVED_BLOCKS = {
    7: "tests/real/test_data_plane.py",
    11: "tests/faults/test_lost_terminal_local.py",
}


@pytest.fixture(scope="session")
def start_local_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartLocal]:
    """`start_local_cluster(name, data_plane=True, **env)` → a running local cluster."""
    from istiotui.local import blocks as address_blocks
    from istiotui.local import daemon
    from istiotui.local.state import StateDir

    started: list[StateDir] = []
    blocks: dict[Path, int] = {}

    def free_block() -> int:
        held = {b for root, b in blocks.items() if daemon.status(StateDir(root)) is not None}
        for candidate in range(1, 12):
            if (
                candidate not in held
                and candidate not in RESERVED_BLOCKS
                and address_blocks.is_free(candidate)  # a cluster of another run or user
            ):
                return candidate
        raise AssertionError(f"every address block is held by a running test cluster: {held}")

    def start(name: str, data_plane: bool = True, **extra: str) -> LocalClusterHandle:
        root = tmp_path_factory.mktemp(name)
        state = StateDir(root / "local")  # where StateDir.default() finds it under this root
        env = {
            # Address block 0 is the learner's; each test cluster takes one no running cluster of
            # this session holds (session-scoped clusters live on while per-test ones come and go).
            "ISTIOTUI_LOCAL_BLOCK": str(free_block()),
            "ISTIOTUI_STATE_DIR": str(root),
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
        blocks[state.root] = int(env["ISTIOTUI_LOCAL_BLOCK"])
        env["ISTIOTUI_API_PORT"] = str(running.port)
        return LocalClusterHandle(state.root, running.url, running.pid, env, running.envoy_admin)

    yield start
    failures = []
    for state in started:  # every cluster is stopped, even when one of them will not stop
        try:
            daemon.down(state)
        except Exception as exc:
            failures.append(f"{state.root}: {exc}")
    assert not failures, failures
