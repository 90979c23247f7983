"""`istiotui dashboard kiali` on a local cluster, run as a learner runs it: first with no Kiali
(the local cluster has none: it says so and points to the Graph view), then with a stand-in
answering behind a `kiali` Service in istio-system (httpbin on Kiali's port), reached through
the command's port-forward until Ctrl-C or SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import config

from istiotui.cli import exit_codes
from istiotui.cluster.objects import Objects

pytestmark = pytest.mark.slow
NS = "istio-system"
STAND_IN = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "kiali", "namespace": NS},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "kiali"}},
            "template": {
                "metadata": {"labels": {"app": "kiali"}},
                "spec": {
                    "containers": [
                        {
                            "name": "kiali",
                            "image": "docker.io/kennethreitz/httpbin",
                            "command": ["gunicorn", "-b", "0.0.0.0:20001", "httpbin:app"],
                            "ports": [{"containerPort": 20001, "name": "api-port"}],
                        }
                    ]
                },
            },
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "kiali", "namespace": NS},
        "spec": {
            "selector": {"app": "kiali"},
            # As samples/addons/kiali.yaml declares it: a named target port.
            "ports": [{"name": "http", "port": 20001, "targetPort": "api-port"}],
        },
    },
]


@pytest.fixture(scope="module")
def cluster(start_local_cluster) -> Iterator[Any]:
    cluster = start_local_cluster("dashboard")
    yield cluster
    cluster.stop()


def _env(cluster: Any) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "ISTIOTUI_LOG_LEVEL"} | cluster.env


def _start(cluster: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "istiotui", "dashboard", "kiali", "--local", "-p", "0"],
        env=_env(cluster), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_no_kiali_on_the_local_cluster_says_where_to_look(cluster: Any) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "istiotui", "dashboard", "kiali", "--local"],
        env=_env(cluster), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == exit_codes.FAILED, done.stderr
    assert "no Service istio-system/kiali" in done.stderr
    assert "the local cluster runs no Kiali" in done.stderr and "Graph view (key g)" in done.stderr
    assert done.stdout == ""


def test_the_forward_reaches_the_service_until_interrupted(cluster: Any) -> None:
    api = config.new_client_from_config(str(cluster.kubeconfig), context="istiotui-local")
    try:
        objects = Objects(api)
        objects.apply(STAND_IN)
        deadline = time.monotonic() + 120
        while True:
            pods = objects.list("v1", "Pod", NS, "app=kiali")
            statuses = [p.get("status") or {} for p in pods]
            if any(s.get("phase") == "Running" and s.get("podIP") for s in statuses):
                break
            assert time.monotonic() < deadline, pods
            time.sleep(0.3)
    finally:
        api.close()
    for sig, code in ((signal.SIGINT, exit_codes.INTERRUPTED), (signal.SIGTERM, 128 + 15)):
        proc = _start(cluster)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("kiali: http://127.0.0.1:"), (line, proc.stderr)
            url = line.split()[1]
            assert url.endswith("/kiali")
            base = url.removesuffix("/kiali")
            # The stand-in's answer, through the forward: httpbin's echo of the request.
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(base + "/get?from=dashboard", timeout=10) as r:
                        doc = json.loads(r.read())
                    break
                except OSError:
                    assert time.monotonic() < deadline
                    time.sleep(0.3)
            assert doc["args"] == {"from": "dashboard"}
        finally:
            proc.send_signal(sig)
            assert proc.wait(timeout=30) == code
        # The forward went with the command: nothing listens there any more.
        with pytest.raises(OSError):
            urllib.request.urlopen(base + "/get", timeout=5)


def test_a_prometheus_that_does_not_answer_gives_way_to_the_proxies(
    cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session without the local Envoy's admin chooses as on a real cluster: the `prometheus`
    Service is there, so Prometheus first; what answers behind it (the stand-in, httpbin) is no
    Prometheus, so the proxies are read through exec, and the source says why."""
    import argparse

    from istiotui.cli.session import open_session
    from istiotui.cluster import prometheus, proxy_stats

    for key, value in cluster.env.items():
        monkeypatch.setenv(key, value)
    session = open_session(argparse.Namespace(local=True, context=None, kubeconfig=None))
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "prometheus", "namespace": NS},
        "spec": {
            "selector": {"app": "kiali"},
            "ports": [{"name": "http", "port": 9090, "targetPort": "api-port"}],
        },
    }
    try:
        session.objects.apply(STAND_IN[:2])  # the stand-in runs (the other test may not have)
        session.objects.apply([service])
        deadline = time.monotonic() + 120
        while not [p for p in session.objects.list("v1", "Pod", NS, "app=kiali")
                   if (p.get("status") or {}).get("podIP")]:  # fmt: skip
            assert time.monotonic() < deadline
            time.sleep(0.3)
        session.envoy_admin = None  # as on a real cluster
        source = session.graph_source()
        assert isinstance(source, prometheus.Preferred)
        assert isinstance(source.fallback, proxy_stats.ExecSource)
        graph = session.graph()
        assert graph.source.startswith(source.fallback.label + " (Prometheus (istio-system/")
        assert "did not answer: Prometheus at http://" in graph.source and "404" in graph.source
        assert session.graph_source() is source  # kept: what it learnt is not lost
    finally:
        session.objects.delete(service)
        session.close()


def test_the_commands_choices_are_the_addons_it_knows() -> None:
    """`dashboard`'s parser names the add-ons without importing their table (the CLI starts
    light): the two lists must stay one."""
    from istiotui.cli import dashboard
    from istiotui.lab import dashboards

    assert tuple(dashboards.ADDONS) == dashboard.NAMES
