"""`istiotui local up | down | status` as a user runs them: background process, port in use,
clean stop on signals, nothing left behind, objects kept across down/up."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config
from local_api_helpers import wait_for

from istiotui.cli import exit_codes
from istiotui.local import blocks, daemon
from istiotui.local.state import StateDir


def _cli(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ISTIOTUI_STATE_DIR": str(state.parent)}  # the cluster is its `local/`
    return subprocess.run(
        [sys.executable, "-m", "istiotui.cli.main", "local", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # Still there: a zombie (already exited) counts as gone only if its parent is not us.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] == "Z"


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    """The cluster's own folder, `local/` under the state dir the commands are given."""
    yield tmp_path / "state" / "local"
    daemon.down(StateDir(tmp_path / "state" / "local"))  # whatever a failing test left


def test_up_status_down(state: Path) -> None:
    port = _free_port()
    up = _cli(state, "up", "--port", str(port))
    assert up.returncode == 0, up.stderr
    pid = int((state / "server.pid").read_text())
    assert f"running at https://127.0.0.1:{port} (pid {pid})" in up.stdout
    assert f"export KUBECONFIG={state / 'kubeconfig'}" in up.stdout.splitlines()

    status = _cli(state, "status")
    assert status.returncode == 0 and f"(pid {pid})" in status.stdout
    assert f"kubeconfig: {state / 'kubeconfig'} (context istiotui-local)" in status.stdout

    # The server is its own process group (so `down` can stop everything it started).
    assert os.getpgid(pid) == pid

    down = _cli(state, "down")
    assert down.returncode == 0 and down.stdout == "local cluster stopped\n"
    wait_for(lambda: _gone(pid), "the server process to exit")
    assert not (state / "server.pid").exists() and not (state / "server.json").exists()
    status = _cli(state, "status")
    assert status.returncode == 3 and "not running" in status.stdout


def test_port_in_use_is_a_clear_error(state: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        up = _cli(state, "up", "--port", str(port))
    assert up.returncode == exit_codes.UNREACHABLE
    assert f"port {port} on 127.0.0.1 is already in use" in up.stderr
    assert not (state / "server.pid").exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_signals_stop_the_server_cleanly(state: Path, sig: signal.Signals) -> None:
    running = daemon.up(StateDir(state), "127.0.0.1", 0)
    os.kill(running.pid, sig)
    wait_for(lambda: _gone(running.pid), f"the server to exit on {sig.name}")
    wait_for(lambda: not (state / "server.pid").exists(), "the pid file to go")
    assert "stopping" in (state / "server.log").read_text()
    assert daemon.status(StateDir(state)) is None


def test_objects_persist_across_down_and_up(state: Path) -> None:
    sd = StateDir(state)
    daemon.up(sd, "127.0.0.1", 0)
    api = config.new_client_from_config(config_file=str(sd.kubeconfig))
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": "kept"}})
    made = core.create_namespaced_config_map(
        "kept", {"metadata": {"name": "cm"}, "data": {"a": "b"}}
    )
    api.close()
    daemon.down(sd)

    daemon.up(sd, "127.0.0.1", 0)  # another port: the kubeconfig is rewritten
    api = config.new_client_from_config(config_file=str(sd.kubeconfig))
    core = client.CoreV1Api(api)
    again = core.read_namespaced_config_map("cm", "kept")
    assert again.data == {"a": "b"} and again.metadata.uid == made.metadata.uid
    later = core.create_namespaced_config_map("kept", {"metadata": {"name": "cm2"}})
    assert int(later.metadata.resource_version) > int(made.metadata.resource_version)
    api.close()


def test_server_leaves_with_the_process_it_was_told_to_follow(state: Path) -> None:
    """A test session that dies before its teardown leaves no server behind."""
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    os.environ["ISTIOTUI_LOCAL_EXIT_WITH_PID"] = str(parent.pid)
    try:
        running = daemon.up(StateDir(state), "127.0.0.1", 0)
    finally:
        del os.environ["ISTIOTUI_LOCAL_EXIT_WITH_PID"]
        parent.kill()
        parent.wait()
    wait_for(lambda: _gone(running.pid), "the server to follow its parent out")
    assert f"process {parent.pid} is gone" in (state / "server.log").read_text()


def test_a_stale_pid_file_never_signals_another_process(state: Path) -> None:
    other = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    try:
        state.mkdir(parents=True)
        (state / "server.pid").write_text(str(other.pid))
        (state / "server.json").write_text(f'{{"pid": {other.pid}, "url": "http://x", "port": 1}}')
        assert daemon.status(StateDir(state)) is None
        assert _cli(state, "down").stdout == "local cluster was not running\n"
        assert other.poll() is None  # untouched
    finally:
        other.kill()
        other.wait()


def test_two_state_dirs_take_different_address_blocks_and_keep_them(tmp_path: Path) -> None:
    first, second = StateDir(tmp_path / "a" / "local"), StateDir(tmp_path / "b" / "local")
    try:
        daemon.up(first, "127.0.0.1", 0)
        daemon.up(second, "127.0.0.1", 0)
        taken = blocks.recorded(first), blocks.recorded(second)
        assert None not in taken and taken[0] != taken[1]
        assert not blocks.is_free(taken[0]) and not blocks.is_free(taken[1])
        daemon.down(first)
        daemon.down(second)
        # The first block is free again, but the second state dir's pods carry its own block.
        daemon.up(second, "127.0.0.1", 0)
        assert blocks.recorded(second) == taken[1]
    finally:
        daemon.down(first)
        daemon.down(second)


def test_a_held_block_is_a_clear_error_and_starts_nothing(tmp_path: Path, state: Path) -> None:
    other = StateDir(tmp_path / "other" / "local")
    try:
        daemon.up(other, "127.0.0.1", 0)
        held = blocks.recorded(other)
        assert held is not None
        env = {**os.environ, "ISTIOTUI_STATE_DIR": str(state.parent),
               "ISTIOTUI_LOCAL_BLOCK": str(held)}  # fmt: skip
        up = subprocess.run([sys.executable, "-m", "istiotui.cli.main", "local", "up"],
                            capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
        assert up.returncode == exit_codes.UNREACHABLE
        assert f"address block {held} (127.{10 + 20 * held}.0.0/16) is held by another" in up.stderr
        assert "ISTIOTUI_LOCAL_BLOCK" in up.stderr
        assert not (state / "server.pid").exists()
    finally:
        daemon.down(other)
