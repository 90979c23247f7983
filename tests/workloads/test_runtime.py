"""WorkloadRuntime: pods (as the controller sees them) started and stopped as real processes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from istiotui.local.runtime import PodRuntime
from istiotui.local.workloads import launcher, outbound, restarts
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
    # No probe was declared: nothing but a TCP connect checked it, and its log holds no request.
    assert "GET " not in (log_dir / "reviews.log").read_text()


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


async def test_only_a_declared_http_probe_reaches_the_apps_log(root: Path) -> None:
    """The kubelet sends HTTP probes only where the manifest declares them; so does this."""
    runtime = WorkloadRuntime(root)
    command = ["gunicorn", "--access-logfile", "-", "-b", "0.0.0.0:8000", "httpbin:app"]
    plain = pod("httpbin-plain-1", [{"name": "httpbin", "image": "kong/httpbin",
                                     "command": command}])  # fmt: skip
    probe = {"httpGet": {"path": "/status/200", "port": "http"}, "periodSeconds": 1}
    probed = pod(
        "httpbin-probed-1",
        [
            {
                "name": "httpbin",
                "image": "kong/httpbin",
                "command": command,
                "ports": [{"containerPort": 8000, "name": "http"}],
                "readinessProbe": probe,
            }
        ],
    )
    names = ("httpbin-plain-1", "httpbin-probed-1")
    logs = {name: root / "logs" / "default" / name for name in names}
    await runtime.start(plain, ip(64), logs["httpbin-plain-1"])
    await runtime.start(probed, ip(65), logs["httpbin-probed-1"])
    try:
        assert runtime.readiness(plain) == {"httpbin": True}
        deadline = time.monotonic() + 20
        probed_log = logs["httpbin-probed-1"] / "httpbin.log"
        while probed_log.read_text().count("kube-probe/1.32") < 2:
            assert time.monotonic() < deadline, probed_log.read_text()
            await asyncio.sleep(0.1)
        assert runtime.readiness(probed) == {"httpbin": True}
        lines = [ln for ln in probed_log.read_text().splitlines() if "kube-probe" in ln]
        assert all('"GET /status/200 HTTP/1.1" 200' in ln for ln in lines), lines
    finally:
        await runtime.close()
    # Nobody sent the plain pod a request: its access log has none.
    assert "GET " not in (logs["httpbin-plain-1"] / "httpbin.log").read_text()


async def test_exited_containers_restart_per_the_pods_restart_policy(root: Path) -> None:
    # A short back-off of the same shape (0.2 s doubling to 0.4 s) keeps this test quick.
    events: list[tuple[str, str]] = []
    runtime = WorkloadRuntime(
        root,
        on_event=lambda _pod, _type, reason, message: events.append((reason, message)),
        backoff=restarts.BackOff(initial=0.2, cap=0.4),
    )
    sleeper = {"name": "app", "image": "curlimages/curl", "command": ["sleep", "0.3"]}
    always = pod("always-1", [sleeper])
    never = {
        **pod("never-1", [sleeper]),
        "spec": {"containers": [sleeper], "restartPolicy": "Never"},
    }
    try:
        await runtime.start(always, ip(64), root / "logs" / "bookinfo" / "always-1")
        await runtime.start(never, ip(65), root / "logs" / "bookinfo" / "never-1")
        deadline = time.monotonic() + 20
        while runtime.container_states(always)["app"].restart_count < 4:
            assert time.monotonic() < deadline, runtime.container_states(always)
            await asyncio.sleep(0.05)
        assert [s for _, s in runtime.backoff.schedule[:4]] == [0.0, 0.2, 0.4, 0.4]
        state = runtime.container_states(always)["app"]
        terminated = state.last_state["terminated"]
        assert (terminated["exitCode"], terminated["reason"]) == (0, "Completed")
        assert ("Started", "Started container app") in events
        assert any(reason == "BackOff" for reason, _ in events)
        # restartPolicy Never: it stays terminated, and is never started again.
        done = runtime.container_states(never)["app"]
        assert done.restart_count == 0 and done.state["terminated"]["reason"] == "Completed"
        assert runtime.readiness(never) == {"app": False}
    finally:
        await runtime.close()
    assert runtime.container_states(always) == {}
