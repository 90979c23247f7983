"""Small object builders for the mesh-check tests: just the fields the checks read."""

from __future__ import annotations


def meta(name: str, ns: str = "default", labels: dict | None = None) -> dict:
    out: dict = {"name": name, "namespace": ns}
    if labels:
        out["labels"] = labels
    return out


def namespace(name: str, injected: bool = True) -> dict:
    labels = {"istio-injection": "enabled"} if injected else {}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def service(
    name: str,
    ns: str = "default",
    port: int = 9080,
    selector: dict | None = None,
    target: int | None = None,
) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, ns),
        "spec": {
            "selector": selector or {"app": name},
            "ports": [{"name": "http", "port": port, "targetPort": target or port}],
        },
    }


def pod(name: str, ns: str = "default", labels: dict | None = None, proxy: bool = True) -> dict:
    containers = [{"name": "app", "image": "x"}]
    if proxy:
        containers.append({"name": "istio-proxy", "image": "proxyv2"})
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta(name, ns, labels),
        "spec": {"containers": containers},
    }


def deployment(name: str, ns: str = "default", labels: dict | None = None) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(name, ns),
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "x"}]},
            },
        },
    }


def dr(
    name: str,
    host: str,
    subsets: dict[str, dict] | None = None,
    ns: str = "default",
    policy: dict | None = None,
) -> dict:
    spec: dict = {"host": host}
    if subsets is not None:
        spec["subsets"] = [
            {"name": k, "labels": v} if v else {"name": k} for k, v in subsets.items()
        ]
    if policy:
        spec["trafficPolicy"] = policy
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": meta(name, ns),
        "spec": spec,
    }


def vs(
    name: str,
    hosts: list[str],
    http: list[dict],
    ns: str = "default",
    gateways: list[str] | None = None,
) -> dict:
    spec: dict = {"hosts": hosts, "http": http}
    if gateways is not None:
        spec["gateways"] = gateways
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": meta(name, ns),
        "spec": spec,
    }


def route(host: str, subset: str | None = None, weight: int | None = None) -> dict:
    dest: dict = {"host": host}
    if subset:
        dest["subset"] = subset
    out: dict = {"destination": dest}
    if weight is not None:
        out["weight"] = weight
    return out


def gateway(
    name: str, hosts: list[str], port: int = 80, selector: dict | None = None, ns: str = "default"
) -> dict:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": meta(name, ns),
        "spec": {
            "selector": selector or {"istio": "ingressgateway"},
            "servers": [
                {"port": {"number": port, "name": "http", "protocol": "HTTP"}, "hosts": hosts}
            ],
        },
    }


def ingress() -> list[dict]:
    """The ingress gateway's pod and Service, as the lab's IstioOperator creates them."""
    labels = {"app": "istio-ingressgateway", "istio": "ingressgateway"}
    svc = service("istio-ingressgateway", "istio-system", 80, labels, 8080)
    return [pod("istio-ingressgateway-0", "istio-system", labels), svc]


def reviews_world() -> list[dict]:
    """reviews v1–v3 running in an injected bookinfo namespace."""
    return [
        namespace("bookinfo"),
        service("reviews", "bookinfo"),
        *[
            pod(f"reviews-{v}-0", "bookinfo", {"app": "reviews", "version": v})
            for v in ("v1", "v2", "v3")
        ],
    ]
