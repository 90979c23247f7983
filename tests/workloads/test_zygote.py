"""Containers forked from the pre-imported parent behave as containers started on their own."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from istiotui import process_group
from istiotui.local.workloads import launcher
from istiotui.local.workloads.launcher import ContainerSpec
from istiotui.local.workloads.zygote_client import ForkedProcess, Zygote
from workloads.conftest import client_pod, group_members, ip, stop_and_check

pytestmark = pytest.mark.asyncio(loop_scope="session")


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


OWNER = "test-zygote-owner"


@pytest_asyncio.fixture(loop_scope="session")
async def zygote() -> AsyncIterator[Zygote]:
    parent = Zygote(env={**os.environ, **process_group.owner_env(OWNER)})
    await parent.start()
    try:
        yield parent
    finally:
        await parent.stop()


async def test_forked_containers_are_processes_of_their_own(root: Path, zygote: Zygote) -> None:
    gunicorn = ["gunicorn", "--access-logfile", "-", "-b", "0.0.0.0:80", "httpbin:app"]
    httpbin = ContainerSpec(
        "default", "httpbin-z-1", "httpbin", "docker.io/kennethreitz/httpbin", ip(60), root,
        command=gunicorn,
    )  # fmt: skip
    fortio = ContainerSpec(
        "default", "fortio-z-1", "fortio", "fortio/fortio:latest_release", ip(61), root
    )
    started = await asyncio.gather(
        launcher.start_container(httpbin, zygote=zygote),
        launcher.start_container(fortio, zygote=zygote),
    )
    try:
        assert zygote._proc is not None
        for running in started:
            assert isinstance(running.process, ForkedProcess)
            pid = running.pid
            assert pid is not None and parent_of(pid) == zygote._proc.pid
            # A session and a process group of its own, as a started interpreter has.
            assert os.getsid(pid) == pid and os.getpgid(pid) == pid
            # The cluster's owner mark, which `local down` sweeps by, is on every fork.
            assert pid in process_group.owned_pids(OWNER)
        assert len(group_members(started[0].pid)) >= 2  # gunicorn's master and its worker
        client = client_pod(root, sidecar=False)
        headers = await launcher.exec_command(client, ["curl", "-sS", f"http://{ip(60)}/headers"])
        assert headers.returncode == 0 and ip(60).encode() in headers.stdout
        debug = await launcher.exec_command(client, ["curl", "-sS", f"http://{ip(61)}:8080/debug"])
        # The pod's environment, not the parent's.
        assert b"(istiotui) on fortio-z-1 - request from" in debug.stdout
    finally:
        await stop_and_check(started)
    log = httpbin.log_path.read_text()
    assert re.search(r'"GET /headers HTTP/1\.1" 200 \d+ "-" "curl/', log), log
    assert "found in sys.modules" not in log  # run as __main__ without runpy's warning


async def test_exit_codes_are_those_of_a_started_interpreter(root: Path, zygote: Zygote) -> None:
    # The curl image's entrypoint runs once and exits: 7 (could not connect), 2 (bad option).
    codes = {}
    for args in (["-sS", f"http://{ip(62)}:1/"], ["--frobnicate"]):
        for parent in (zygote, None):
            spec = ContainerSpec(
                "default", "curl-z-1", "curl", "curlimages/curl", ip(62), root, args=args,
                sidecar=False,
            )  # fmt: skip
            running = await launcher.start_container(spec, zygote=parent)
            assert isinstance(running.process, ForkedProcess) == (parent is not None)
            codes[(args[0], parent is None)] = await running.wait()
    assert codes[("-sS", False)] == codes[("-sS", True)] == 7
    assert codes[("--frobnicate", False)] == codes[("--frobnicate", True)] == 2


async def test_forks_end_with_their_parent(root: Path) -> None:
    parent = Zygote()
    await parent.start()
    spec = ContainerSpec(
        "default", "fortio-z-2", "fortio", "fortio/fortio:latest_release", ip(63), root
    )
    running = await launcher.start_container(spec, zygote=parent)
    assert running.pid is not None and parent._proc is not None
    os.kill(parent._proc.pid, signal.SIGKILL)
    # Told SIGTERM as its parent died; its exit is known although nobody reported it.
    code = await asyncio.wait_for(running.wait(), 10)
    assert code == -signal.SIGTERM
    assert not process_group.group_alive(running.pid)  # a zombie only, for init to reap
    await parent.stop()
    # With the parent gone, the next container starts an interpreter of its own.
    again = await launcher.start_container(spec, zygote=parent)
    try:
        assert not isinstance(again.process, ForkedProcess)
    finally:
        await stop_and_check([again])
