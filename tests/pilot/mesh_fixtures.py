"""Objects for the pilot's tests: Bookinfo, httpbin, curl/fortio clients and the gateways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from istiotui.local.addresses import pod_ip
from istiotui.local.pilot import gateway_objects

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> list[dict[str, Any]]:
    with open(FIXTURES / name, encoding="utf-8") as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc]


def service(
    name: str,
    ns: str,
    port: int,
    target: int | None = None,
    selector: dict[str, str] | None = None,
    port_name: str = "http",
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "selector": selector or {"app": name},
            "ports": [{"name": port_name, "port": port, "targetPort": target or port}],
        },
    }


def pod(
    name: str,
    ns: str,
    labels: dict[str, str],
    index: int,
    sidecar: bool = True,
    ready: bool = True,
) -> dict[str, Any]:
    containers: list[dict[str, Any]] = [{"name": labels.get("app", "app"), "image": "x"}]
    if sidecar:
        containers.append({"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24.0"})
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"containers": containers},
        "status": {
            "phase": "Running",
            "podIP": pod_ip(index),
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def gateway_pods(base: int) -> list[dict[str, Any]]:
    """The lab's ingress and egress gateways as istioctl creates them, each with one pod."""
    out: list[dict[str, Any]] = []
    objects = [o for iop in load("operators.yaml") for o in gateway_objects(iop)]
    for obj in objects:
        if obj["kind"] == "Service":
            out.append(obj)
        elif obj["kind"] == "Deployment":
            template = obj["spec"]["template"]
            name = obj["metadata"]["name"]
            base += 1
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": f"{name}-7f9c8d-abcde",
                        "namespace": obj["metadata"]["namespace"],
                        "labels": template["metadata"]["labels"],
                    },
                    "spec": template["spec"],
                    "status": {"phase": "Running", "podIP": pod_ip(base)},
                }
            )
    return out


def bookinfo(base: int = 0) -> list[dict[str, Any]]:
    """Bookinfo in namespace bookinfo: four services, six pods with sidecars."""
    objs = [service(n, "bookinfo", 9080) for n in ("productpage", "details", "reviews", "ratings")]
    pods = [
        ("productpage-v1-6d8bc58dd8-aaaaa", "productpage", "v1"),
        ("details-v1-65599dcf98-bbbbb", "details", "v1"),
        ("reviews-v1-5fd6d4f8f8-ccccc", "reviews", "v1"),
        ("reviews-v2-6f9b55c5db-ddddd", "reviews", "v2"),
        ("reviews-v3-7d99fd7978-eeeee", "reviews", "v3"),
        ("ratings-v1-7c9bd4b87f-fffff", "ratings", "v1"),
    ]
    for i, (name, app, version) in enumerate(pods, start=1):
        objs.append(pod(name, "bookinfo", {"app": app, "version": version}, base + i))
    return objs


def httpbin(
    base: int, versions: tuple[str, ...] = ("v1",), target: int = 80
) -> list[dict[str, Any]]:
    objs = [service("httpbin", "default", 8000, target)]
    for i, version in enumerate(versions, start=1):
        objs.append(
            pod(f"httpbin-{version}-5b9f8d7c6-{version}aaa", "default",
                {"app": "httpbin", "version": version}, base + i)
        )  # fmt: skip
    return objs


def client(name: str, index: int, port: int = 80) -> list[dict[str, Any]]:
    """A client pod with a sidecar (curl, fortio) and its Service."""
    return [
        service(name, "default", port),
        pod(f"{name}-6d7b9c5f4-xyz12", "default", {"app": name}, index),
    ]


SCENARIOS: dict[str, Any] = {
    "bookinfo-routing": lambda: bookinfo() + gateway_pods(100) + load("bookinfo-rules.yaml"),
    "bookinfo-shift": lambda: bookinfo() + load("bookinfo-shift.yaml"),
    "circuit-breaker": lambda: (
        httpbin(10) + client("fortio", 20, 8080) + load("httpbin-circuit-breaker.yaml")
    ),
    "mirror": lambda: httpbin(10, ("v1", "v2")) + client("curl", 20) + load("httpbin-mirror.yaml"),
    "ingress": lambda: httpbin(10, target=8080) + gateway_pods(100) + load("httpbin-ingress.yaml"),
    "egress": lambda: client("curl", 20) + gateway_pods(100) + load("egress-cnn.yaml"),
}
