"""The launcher and the image table, with real processes."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from pathlib import Path

import pytest

from istiotui.local.workloads import images, launcher, outbound
from istiotui.local.workloads.launcher import ContainerSpec
from workloads.conftest import alive, client_pod, group_members, ip, stop_and_check

pytestmark = pytest.mark.asyncio(loop_scope="session")

STUBBORN = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("up", flush=True)
time.sleep(60)
"""
LAB_GUNICORN = ["gunicorn", "--access-logfile", "-", "-b", "0.0.0.0:80", "httpbin:app"]


async def test_httpbin_under_gunicorn_with_the_labs_command(root: Path) -> None:
    spec = ContainerSpec(
        "default", "httpbin-v1-7b9c6f6d5-hq2lx", "httpbin", "docker.io/kennethreitz/httpbin",
        ip(30), root, command=LAB_GUNICORN,
    )  # fmt: skip
    running = await launcher.start_container(spec)
    try:
        assert running.implementation.kind == "httpbin"
        # 0.0.0.0 made the pod IP; port 80 bound where an ordinary user may (no root needed)
        assert f"{ip(30)}:10080" in running.implementation.argv
        assert running.implementation.readiness.port == 80  # what the manifest declared
        assert len(group_members(running.pid)) >= 2  # gunicorn's master and its worker
        result = await launcher.exec_command(
            client_pod(root, sidecar=False), ["curl", "-sS", f"http://{ip(30)}/headers"]
        )
        assert result.returncode == 0, result
        assert json.loads(result.stdout)["headers"]["Host"] == ip(30)
    finally:
        await stop_and_check([running])
    log = spec.log_path.read_text()
    assert spec.log_path == root / "logs/default/httpbin-v1-7b9c6f6d5-hq2lx/httpbin.log"
    assert re.search(r'"GET /headers HTTP/1\.1" 200 \d+ "-" "curl/', log), log


async def test_reviews_env_from_image_and_container(root: Path) -> None:
    spec = ContainerSpec(
        "bookinfo", "reviews-v3-7d99fd7f9c-zz9zz", "reviews",
        "istio/examples-bookinfo-reviews-v3:1.20.2", ip(40), root,
        env={"STAR_COLOR": "green"}, sidecar=False,
    )  # fmt: skip
    env = launcher.pod_env(spec, spec.implementation().env)
    assert env["ENABLE_RATINGS"] == "true"  # from the image
    assert env["STAR_COLOR"] == "green"  # the container's env wins
    assert env["HOSTNAME"] == "reviews-v3-7d99fd7f9c-zz9zz"
    assert outbound.SIDECAR_ENV not in env
    with_sidecar = launcher.pod_env(client_pod(root), {})
    assert with_sidecar[outbound.SIDECAR_ENV] == "127.20.201.20"
    assert with_sidecar[outbound.POD_IP_ENV] == "127.10.201.20"


async def test_exec_sees_the_pods_environment(root: Path) -> None:
    result = await launcher.exec_command(client_pod(root), ["env"])
    env = dict(line.split("=", 1) for line in result.stdout.decode().splitlines() if "=" in line)
    assert env["HOSTNAME"] == "curl-6c9d7b8f4-x2kqp"
    assert env[outbound.SIDECAR_ENV] == "127.20.201.20"
    # A shell in the pod finds this project's curl first on its PATH.
    shell = await launcher.exec_command(client_pod(root), ["sh", "-c", "curl --frobnicate x"])
    assert shell.returncode == 2 and b"curl --help" in shell.stderr
    missing = await launcher.exec_command(client_pod(root), ["no-such-tool-here"])
    assert missing.returncode == 127 and b"not found" in missing.stderr


async def test_unknown_image_starts_nothing(root: Path) -> None:
    spec = ContainerSpec("default", "web-1", "nginx", "nginx:1.27", ip(41), root)
    with pytest.raises(images.UnknownImage, match=r"'nginx:1\.27'"):
        await launcher.start_container(spec)
    assert not spec.log_path.exists()


async def test_proxy_image_runs_no_process(root: Path) -> None:
    spec = ContainerSpec(
        "istio-system", "istio-ingressgateway-5d8b9c-abcde", "istio-proxy",
        "docker.io/istio/proxyv2:1.24.0", ip(42), root,
    )  # fmt: skip
    running = await launcher.start_container(spec)
    assert running.process is None and running.running
    assert await launcher.stop(running) is None


async def test_a_container_that_exits_early_is_reported_with_its_log(root: Path) -> None:
    spec = ContainerSpec(
        "default", "httpbin-broken-1", "httpbin", "kong/httpbin", ip(43), root,
        command=["gunicorn", "-b", "0.0.0.0:8081", "no_such_module:app"],
    )  # fmt: skip
    with pytest.raises(launcher.ContainerError, match="exited with code") as info:
        await launcher.start_container(spec, ready_timeout=30)
    assert "no_such_module" in str(info.value)


async def test_stop_escalates_to_sigkill(root: Path) -> None:
    # A process that ignores SIGTERM: stop() must still leave nothing behind.
    stubborn = images.Implementation(
        image="test/stubborn",
        kind="test",
        argv=[sys.executable, "-c", STUBBORN],
        readiness=None,
    )
    spec = ContainerSpec("default", "stubborn-1", "main", "test/stubborn", ip(44), root)
    running = await launcher.start_container(spec, implementation=stubborn)
    try:
        assert running.pid is not None and alive(running.pid)
        deadline = time.monotonic() + 10
        while "up" not in spec.log_path.read_text():  # its SIGTERM handler is set once it's up
            assert time.monotonic() < deadline, "the stubborn process never started"
            await asyncio.sleep(0.02)
        code = await launcher.stop(running, grace=0.3)
        assert code == -9
        assert group_members(running.pid) == []
    finally:
        if running.process is not None and running.process.returncode is None:
            await launcher.kill_group(running.process, 0.1)


async def test_fortio_image_serves_echo_on_8080(root: Path) -> None:
    spec = ContainerSpec(
        "default", "fortio-deploy-5d8c9b7f6-k7t2q", "fortio", "fortio/fortio:latest_release",
        ip(45), root,
    )  # fmt: skip
    running = await launcher.start_container(spec)
    base = f"http://{ip(45)}:8080"
    try:
        result = await launcher.exec_command(
            client_pod(root, sidecar=False),
            ["curl", "-sS", "-d", "hello", "-w", " %{http_code}", f"{base}/echo?status=201"],
        )
        assert result.stdout == b"hello 201"
        debug = await launcher.exec_command(
            client_pod(root, sidecar=False), ["curl", "-sS", f"http://{ip(45)}:8080/debug"]
        )
        assert b"GET /debug HTTP/1.1" in debug.stdout
        assert running.rss_bytes() > 0
    finally:
        await stop_and_check([running])
