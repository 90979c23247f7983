"""Opt-in: the same code paths against a real cluster with Istio (the lab's VMs).

    ISTIOTUI_TEST_CONTEXT=kubernetes-admin@kubernetes pytest -m cluster tests/real

Read-only except for the probes' requests: nothing is applied. Each test says what it needs
(Istio, Bookinfo, the curl and httpbin samples in `default`) and skips when that is missing.
See docs/real-cluster.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from istiotui.cluster import exec as pod_exec
from istiotui.cluster.connection import ClusterUnreachable, Connection, connect
from istiotui.cluster.objects import Objects
from istiotui.mesh.summary import istio_version
from istiotui.traffic.engine import ProbeSpec
from istiotui.traffic.vantage import Vantages, VantageUnavailable, probe

pytestmark = pytest.mark.cluster
CONTEXT_ENV = "ISTIOTUI_TEST_CONTEXT"


@pytest.fixture(scope="module")
def conn() -> Iterator[Connection]:
    context = os.environ.get(CONTEXT_ENV)
    if not context:
        pytest.skip(f"set {CONTEXT_ENV} to a kubeconfig context to run the cluster tests")
    try:
        connection = connect(os.environ.get("KUBECONFIG"), context, timeout=5.0)
    except ClusterUnreachable as exc:
        pytest.fail(f"{CONTEXT_ENV}={context}: {exc}")
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def vantages(conn: Connection) -> Iterator[Vantages]:
    objects = Objects(conn.api_client)
    v = Vantages(
        cluster="real",
        list_pods=lambda ns, sel: objects.list("v1", "Pod", ns, sel or None),
        get_service=lambda ns, name: objects.get("v1", "Service", name, ns),
        api_client=conn.api_client,
    )
    yield v
    v.close()


def _first_pod(conn: Connection, namespace: str, selector: str) -> str:
    pods = Objects(conn.api_client).list("v1", "Pod", namespace, selector)
    running = [p for p in pods if (p.get("status") or {}).get("phase") == "Running"]
    if not running:
        pytest.skip(f"no running pod {selector} in {namespace} (apply the lab's samples)")
    return running[0]["metadata"]["name"]


def test_istios_release_is_read_from_istiod(conn: Connection) -> None:
    deployments = Objects(conn.api_client).list("apps/v1", "Deployment", "istio-system")
    if not any(d["metadata"]["name"] == "istiod" for d in deployments):
        pytest.skip("Istio is not installed on this cluster (the lab's section 1)")
    assert istio_version(deployments), "istiod's image has no tag"


def test_exec_curl_from_the_curl_pod(conn: Connection) -> None:
    pod = _first_pod(conn, "default", "app=curl")
    argv = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://httpbin:8000/get"]
    result = pod_exec.run(conn.api_client, "default", pod, argv, "curl")
    assert (result.code, result.stdout) == (0, "200"), result.stderr


async def test_in_mesh_probe_through_exec(conn: Connection, vantages: Vantages) -> None:
    _first_pod(conn, "default", "app=curl")
    _first_pod(conn, "default", "app=httpbin")
    target = vantages.pod_target("default", "app=curl", "curl")
    run = await probe(ProbeSpec(url="http://httpbin:8000/headers", count=5), target)
    assert run.summary.statuses == {200: 5}


async def test_ingress_probe_through_a_port_forward(vantages: Vantages) -> None:
    try:
        target = vantages.ingress_target()
    except VantageUnavailable as exc:
        pytest.skip(str(exc))
    run = await probe(ProbeSpec(url="/productpage", count=5, classify="reviews-version"), target)
    if run.summary.statuses.get(404) == 5:
        pytest.skip("the ingress answers 404 for /productpage: Bookinfo's gateway is not applied")
    assert run.summary.statuses == {200: 5}
