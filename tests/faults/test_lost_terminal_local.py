"""A lost terminal while the app starts the local cluster (`istiotui --local`, nothing running).

The rule (docs/clusters.md): a local cluster the app started keeps running once the app has said
so; one whose start it never reported is stopped with it. Both sides are provoked here with the
real server and Envoy (a start with the data plane takes seconds: room to hang up in it).
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from faults.pty_terminal import Terminal, wait_for
from istiotui.local import daemon
from istiotui.local.state import StateDir

GONE_S = 8.0
BLOCK = "11"  # kept for this module by tests/conftest.py (RESERVED_BLOCKS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[tuple[StateDir, dict[str, str]]]:
    state = StateDir(tmp_path / "state" / "local")  # the cluster's folder under the state dir
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "KUBECONFIG": str(tmp_path / "no-kubeconfig"),
        "ISTIOTUI_STATE_DIR": str(state.root.parent),
        "ISTIOTUI_LOCAL_BLOCK": BLOCK,
        "ISTIOTUI_API_PORT": str(free_port()),
        "ISTIOTUI_LOCAL_DATA_PLANE": "1",
        # Should this test itself be killed, the server still goes with it.
        "ISTIOTUI_LOCAL_EXIT_WITH_PID": str(os.getpid()),
    }
    try:
        yield state, env
    finally:
        daemon.down(state)  # whatever the test saw: nothing is left running


def server_pid(state: StateDir) -> int | None:
    try:
        return int(state.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_hung_up_while_the_cluster_starts_stops_that_cluster(
    fresh: tuple[StateDir, dict[str, str]], sig: signal.Signals
) -> None:
    state, env = fresh
    terminal = Terminal(["--local"], env)
    try:
        wait_for(lambda: server_pid(state) is not None, "the server to be started", 60)
        pid = server_pid(state)
        assert pid is not None
        # It has not answered yet, so the app cannot have said that it keeps running.
        assert not state.info_file.exists(), "the start was too quick to hang up in"
        terminal.hang_up()
        terminal.proc.send_signal(sig)
        assert terminal.gone_within(GONE_S), "the app outlived its terminal"
        wait_for(lambda: not group_alive(pid), "the unannounced cluster to stop", 60)
        assert daemon.status(state) is None
    finally:
        terminal.close()


def test_a_cluster_the_app_said_it_started_keeps_running(
    fresh: tuple[StateDir, dict[str, str]],
) -> None:
    state, env = fresh
    terminal = Terminal(["--local"], env, rows=40, cols=160)
    try:
        wait_for(lambda: terminal.shows("keeps"), "the notice that the cluster keeps running", 90)
        terminal.hang_up()
        terminal.proc.send_signal(signal.SIGHUP)
        assert terminal.gone_within(GONE_S), "the app outlived its terminal"
        running = daemon.status(state)
        assert running is not None, "the cluster the app announced was stopped"
        assert group_alive(running.pid)
    finally:
        terminal.close()
