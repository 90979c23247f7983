"""WorkloadRuntime: pods (as the controller sees them) started and stopped as real processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from istiotui.local.runtime import PodRuntime
from istiotui.local.workloads import launcher, outbound
from istiotui.local.workloads.runtime import WorkloadRuntime
from workloads.conftest import alive, group_members, ip

pytestmark = pytest.mark.asyncio(loop_scope="session")


def pod(name: str, containers: list[dict]) -> dict:
    return {"metadata": {"namespace": "bookinfo", "name": name}, "spec": {"containers": containers}}


PROXY = {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24.0"}


async def test_runtime_runs_an_injected_pod(root: Path) -> None:
    runtime = WorkloadRuntime(root)
    assert isinstance(runtime, PodRuntime)
    assert runtime.supports("docker.io/istio/examples-bookinfo-reviews-v3:1.20.2")
    assert not runtime.supports("nginx:latest")
    reviews = pod(
        "reviews-v3-7d99fd7f9c-rt001",
        [
            {
                "name": "reviews",
                "image": "docker.io/istio/examples-bookinfo-reviews-v3:1.20.2",
                "env": [{"name": "LOG_DIR", "value": "/tmp/logs"}],
            },
            PROXY,
        ],
    )
    log_dir = root / "logs" / "bookinfo" / "reviews-v3-7d99fd7f9c-rt001"
    await runtime.start(reviews, ip(60), log_dir)
    try:
        assert runtime.readiness(reviews) == {"reviews": True, "istio-proxy": True}
        spec = runtime.spec_for(reviews, None)
        assert spec is not None and spec.container == "reviews"
        result = await launcher.exec_command(spec, ["env"])
        env = dict(line.split("=", 1) for line in result.stdout.decode().splitlines())
        assert env[outbound.SIDECAR_ENV] == "127.20.201.60"
        assert env["STAR_COLOR"] == "red" and env["LOG_DIR"] == "/tmp/logs"
        assert env[outbound.CA_BUNDLE_ENV] == str(root / "tls" / "ca.crt")
        pids = [r.pid for r in runtime.running(reviews) if r.pid]
        assert len(pids) == 1
    finally:
        await runtime.stop(reviews)
    assert runtime.readiness(reviews) == {}
    assert not alive(pids[0]) and group_members(pids[0]) == []
    assert (log_dir / "reviews.log").read_text().count("GET /health") >= 1


async def test_runtime_refuses_a_command_it_cannot_run(root: Path) -> None:
    runtime = WorkloadRuntime(root)
    bad = pod(
        "httpbin-odd-1",
        [{"name": "httpbin", "image": "kennethreitz/httpbin", "command": ["python", "app.py"]}],
    )
    with pytest.raises(RuntimeError, match="gunicorn only"):
        await runtime.start(bad, ip(61), root / "logs" / "bookinfo" / "httpbin-odd-1")
    await runtime.close()


async def test_a_failing_container_stops_its_siblings(root: Path) -> None:
    runtime = WorkloadRuntime(root, ready_timeout=20)
    mixed = pod(
        "mixed-1",
        [
            {"name": "details", "image": "istio/examples-bookinfo-details-v1:1.20.2"},
            {
                "name": "broken",
                "image": "kong/httpbin",
                "command": ["gunicorn", "-b", "0.0.0.0:8000", "no_such_module:app"],
            },
        ],
    )
    try:
        with pytest.raises(RuntimeError, match="exited with code"):
            await runtime.start(mixed, ip(62), root / "logs" / "bookinfo" / "mixed-1")
        assert runtime.readiness(mixed) == {}
        # details started and was stopped again: nothing listens on the pod IP any more.
        result = await launcher.exec_command(
            launcher.ContainerSpec("x", "y", "z", "curlimages/curl", ip(63), root, sidecar=False),
            ["curl", "-s", f"http://{ip(62)}:9080/health"],
        )
        assert result.returncode == 7
    finally:
        await runtime.close()  # only after the checks: a regression leaves nothing behind
