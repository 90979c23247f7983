"""Port-forward served by the local API — the kubernetes client's WebSocket channels, and
kubectl's SPDY/3.1 tunnelled in WebSocket — and istiotui.cluster.portforward's local listener
over it: requests, drops, replaced pods, errors."""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import urllib.error
import urllib.request

import pytest
from kubernetes import client

from istiotui.cluster.portforward import PortForward
from real.helpers import CURL_IMAGE, listener, pod_manifest, running_pod, wait_for


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def test_forwarded_requests_reach_the_pods_listener(api: client.ApiClient, namespace: str) -> None:
    pod = running_pod(api, namespace, pod_manifest("web", CURL_IMAGE))
    ip = pod["status"]["podIP"]
    with listener(ip, "web-a") as port, PortForward(api, lambda: (namespace, "web"), port) as pf:
        assert pf.host == "127.0.0.1" and pf.local_port > 0
        # Each urlopen is a new connection, so a new forward: three in a row must all work.
        answers = [_get(f"{pf.url}/n{i}") for i in range(3)]
    assert [a["path"] for a in answers] == ["/n0", "/n1", "/n2"]
    assert {a["served_by"] for a in answers} == {"web-a"}
    assert pf.connections == 3


def test_a_replaced_pod_is_followed_by_the_next_connection(
    api: client.ApiClient, namespace: str
) -> None:
    first = running_pod(api, namespace, pod_manifest("web-1", CURL_IMAGE))
    second = running_pod(api, namespace, pod_manifest("web-2", CURL_IMAGE))
    current = {"pod": "web-1"}
    with (
        listener(first["status"]["podIP"], "one") as port,
        listener(second["status"]["podIP"], "two", port) as _,
        PortForward(api, lambda: (namespace, current["pod"]), port) as pf,
    ):
        before = _get(pf.url)
        current["pod"] = "web-2"  # what a rollout does to the Service's pod
        after = _get(pf.url)
    assert (before["served_by"], after["served_by"]) == ("one", "two")


def test_nothing_listening_is_reported_on_the_error_channel(
    api: client.ApiClient, namespace: str
) -> None:
    pod = running_pod(api, namespace, pod_manifest("web", CURL_IMAGE))
    ip = pod["status"]["podIP"]
    with listener(ip, "gone") as port:
        pass  # closed again: nothing listens on this port now
    with PortForward(api, lambda: (namespace, "web"), port) as pf:
        with pytest.raises(OSError):
            _get(pf.url)
        wait_for(lambda: pf.last_error, "the forward's error")
    assert f"error forwarding port {port} to pod web" in (pf.last_error or "")
    assert "connection refused" in (pf.last_error or "")


def test_a_missing_pod_is_a_clear_error(api: client.ApiClient, namespace: str) -> None:
    with PortForward(api, lambda: (namespace, "nope"), 8080) as pf:
        with pytest.raises(OSError):
            _get(pf.url)
        wait_for(lambda: pf.last_error, "the forward's error")
    assert pf.last_error == f'port-forward to pod {namespace}/nope port 8080: pods "nope" not found'


def test_kubectl_port_forward_over_spdy_in_websocket(
    api: client.ApiClient, namespace: str, kubectl: str, kubectl_env: dict[str, str]
) -> None:
    ip = running_pod(api, namespace, pod_manifest("web", CURL_IMAGE))["status"]["podIP"]
    with listener(ip, "via-kubectl") as port:
        with listener(ip, "gone") as closed:
            pass  # nothing listens on `closed` now
        proc = subprocess.Popen(
            [kubectl, "-n", namespace, "port-forward", "--address", "127.0.0.1", "pod/web",
             f"0:{port}", f"0:{closed}"],
            env=kubectl_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            lines = [proc.stdout.readline(), proc.stdout.readline()]
            local = [int(re.search(r"127.0.0.1:(\d+) ->", line).group(1)) for line in lines]
            answers = [_get(f"http://127.0.0.1:{local[0]}/k{i}") for i in range(3)]
            with pytest.raises(OSError):
                _get(f"http://127.0.0.1:{local[1]}/")
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=30)
    assert [a["path"] for a in answers] == ["/k0", "/k1", "/k2"]
    assert {a["served_by"] for a in answers} == {"via-kubectl"}
    assert f"error forwarding port {closed} to pod web" in err
    assert "connection refused" in err


def test_plain_spdy_is_refused_with_a_status(api: client.ApiClient, namespace: str) -> None:
    running_pod(api, namespace, pod_manifest("web", CURL_IMAGE))
    path = f"/api/v1/namespaces/{namespace}/pods/web/portforward"
    owner = api.configuration.get_api_key_with_prefix("BearerToken")  # the kubeconfig's token
    request = urllib.request.Request(
        api.configuration.host + path, method="POST",
        headers={"Connection": "Upgrade", "Upgrade": "SPDY/3.1", "Authorization": owner},
    )  # fmt: skip
    trust = ssl.create_default_context(cafile=api.configuration.ssl_ca_cert)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10, context=trust)
    status = json.loads(refused.value.read())
    assert (refused.value.code, status["reason"]) == (400, "BadRequest")
    assert "plain SPDY is not served" in status["message"]
