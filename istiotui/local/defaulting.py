"""What the API server does to an object before storing it, beyond validation: defaults, a
Service's clusterIP, and Istio's sidecar injection for pods (the injector is a mutating webhook on
a real cluster, so it runs at pod creation: a pod keeps what it got when its namespace changes).
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress

from istiotui.local import status as st
from istiotui.local.istio_release import PROXY_IMAGE
from istiotui.local.store import Store
from istiotui.mesh.kinds import Kind, by_kind

SERVICE_NET = ipaddress.IPv4Network("10.96.0.0/12")
KUBERNETES_SERVICE_IP = "10.96.0.1"
NODE_NAME = "istiotui-local"

# What Istio 1.24's injector gives a sidecar: requests (hence QoS Burstable) and limits, and the
# volumes its status annotation names, mounted where the proxy reads them.
PROXY_RESOURCES = {
    "limits": {"cpu": "2000m", "memory": "1024Mi"},
    "requests": {"cpu": "100m", "memory": "128Mi"},
}
SIDECAR_VOLUMES = (
    {"name": "workload-socket", "emptyDir": {}},
    {"name": "credential-socket", "emptyDir": {}},
    {"name": "workload-certs", "emptyDir": {}},
    {"name": "istio-envoy", "emptyDir": {"medium": "Memory"}},
    {"name": "istio-data", "emptyDir": {}},
    {
        "name": "istio-podinfo",
        "downwardAPI": {
            "defaultMode": 420,
            "items": [
                {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.labels"},
                 "path": "labels"},
                {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.annotations"},
                 "path": "annotations"},
            ],
        },
    },
    {
        "name": "istio-token",
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"audience": "istio-ca", "expirationSeconds": 43200,
                                         "path": "istio-token"}},
            ],
        },
    },
    {"name": "istiod-ca-cert", "configMap": {"defaultMode": 420, "name": "istio-ca-root-cert"}},
)  # fmt: skip
INIT_ARGS = (
    "istio-iptables -p 15001 -z 15006 -u 1337 -m REDIRECT -i * -x  -b * -d 15090,15021,15020 "
    "--log_output_level=default:info"
)  # `-x ""`: the empty value splits out as its own item
PROXY_MOUNTS = [
    {"mountPath": "/var/run/secrets/workload-spiffe-uds", "name": "workload-socket"},
    {"mountPath": "/var/run/secrets/credential-uds", "name": "credential-socket"},
    {"mountPath": "/var/run/secrets/workload-spiffe-credentials", "name": "workload-certs"},
    {"mountPath": "/var/run/secrets/istio", "name": "istiod-ca-cert"},
    {"mountPath": "/var/lib/istio/data", "name": "istio-data"},
    {"mountPath": "/etc/istio/proxy", "name": "istio-envoy"},
    {"mountPath": "/var/run/secrets/tokens", "name": "istio-token"},
    {"mountPath": "/etc/istio/pod", "name": "istio-podinfo"},
]

_SERVICES = by_kind("", "Service")
_NAMESPACES = by_kind("", "Namespace")


def _container_defaults(c: dict) -> None:
    c.setdefault("imagePullPolicy", "IfNotPresent")
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("resources", {})
    for p in c.get("ports") or []:
        p.setdefault("protocol", "TCP")


def pod_spec_defaults(spec: dict) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    if "serviceAccountName" in spec or "serviceAccount" in spec:
        name = spec.get("serviceAccountName") or spec.get("serviceAccount")
        spec["serviceAccountName"] = spec["serviceAccount"] = name
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        _container_defaults(c)


def _deployment_defaults(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    strategy = spec.setdefault("strategy", {"type": "RollingUpdate"})
    if strategy.get("type") == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {"maxSurge": "25%", "maxUnavailable": "25%"})
    pod_spec_defaults(spec.setdefault("template", {}).setdefault("spec", {}))


def _service_defaults(store: Store, obj: dict, old: dict | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for p in spec.get("ports") or []:
        p.setdefault("protocol", "TCP")
        p.setdefault("targetPort", p.get("port"))
    if old is not None:
        for key in ("clusterIP", "clusterIPs"):
            if key in old.get("spec", {}):
                spec.setdefault(key, old["spec"][key])
    if spec.get("clusterIP") in (None, "") and spec["type"] != "ExternalName":
        ip = allocate_cluster_ip(
            store, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]
        )
        spec["clusterIP"] = ip
    if spec.get("clusterIP") and spec["clusterIP"] != "None":
        spec["clusterIPs"] = [spec["clusterIP"]]
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        spec.setdefault("externalTrafficPolicy", "Cluster")
        spec.setdefault("allocateLoadBalancerNodePorts", True)
        for n, p in enumerate(spec.get("ports") or []):
            p.setdefault("nodePort", _node_port(obj, n))
    obj.setdefault("status", {"loadBalancer": {}})


def _node_port(obj: dict, n: int) -> int:
    digest = hashlib.sha256(
        f"{obj['metadata'].get('namespace')}/{obj['metadata']['name']}/{n}".encode()
    )
    return 30000 + int.from_bytes(digest.digest()[:4], "big") % 2768


def allocate_cluster_ip(store: Store, namespace: str, name: str) -> str:
    """A stable clusterIP: derived from namespace/name, probing past ones already taken."""
    assert _SERVICES is not None
    used = {s.get("spec", {}).get("clusterIP") for s in store.items(_SERVICES)}
    used.add(KUBERNETES_SERVICE_IP)
    seed = int.from_bytes(hashlib.sha256(f"{namespace}/{name}".encode()).digest()[:4], "big")
    size = SERVICE_NET.num_addresses - 2
    for step in range(size):
        ip = str(SERVICE_NET.network_address + 1 + (seed + step) % size)
        if ip not in used:
            return ip
    raise st.ApiError(500, "InternalError", "no service cluster IPs left")


def _injection_wanted(pod: dict, namespace: dict | None) -> bool:
    meta = pod.get("metadata", {})
    per_pod = (meta.get("labels") or {}).get("sidecar.istio.io/inject") or (
        meta.get("annotations") or {}
    ).get("sidecar.istio.io/inject")
    if per_pod is not None and str(per_pod).lower() == "false":
        return False
    ns_labels = (namespace or {}).get("metadata", {}).get("labels") or {}
    return ns_labels.get("istio-injection") == "enabled"


def inject_sidecar(pod: dict) -> dict:
    """The pod as Istio's injector leaves it: an `istio-proxy` container, its labels/annotations."""
    pod = copy.deepcopy(pod)
    meta, spec = pod.setdefault("metadata", {}), pod.setdefault("spec", {})
    containers = spec.setdefault("containers", [])
    if any(c.get("name") == "istio-proxy" for c in containers):
        return pod
    app = containers[0]["name"] if containers else ""
    labels = meta.setdefault("labels", {})
    labels.setdefault("security.istio.io/tlsMode", "istio")
    labels.setdefault("service.istio.io/canonical-name", labels.get("app", meta.get("name", "")))
    labels.setdefault("service.istio.io/canonical-revision", labels.get("version", "latest"))
    ann = meta.setdefault("annotations", {})
    ann.setdefault("kubectl.kubernetes.io/default-container", app)
    ann.setdefault("kubectl.kubernetes.io/default-logs-container", app)
    ann.setdefault("istio.io/rev", "default")
    ann["sidecar.istio.io/status"] = (
        '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":['
        + ",".join(f'"{v["name"]}"' for v in SIDECAR_VOLUMES)
        + '],"imagePullSecrets":null,"revision":"default"}'
    )
    proxy = {
        "name": "istio-proxy",
        "image": PROXY_IMAGE,
        "args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"],
        "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
        "readinessProbe": {
            "httpGet": {"path": "/healthz/ready", "port": 15021, "scheme": "HTTP"},
            "failureThreshold": 4,
            "periodSeconds": 15,
            "successThreshold": 1,
            "timeoutSeconds": 3,
        },
        "resources": copy.deepcopy(PROXY_RESOURCES),
        "volumeMounts": copy.deepcopy(PROXY_MOUNTS),
    }
    init = {
        "name": "istio-init",
        "image": PROXY_IMAGE,
        "args": INIT_ARGS.split(" "),
        "resources": copy.deepcopy(PROXY_RESOURCES),
    }
    containers.append(proxy)
    spec.setdefault("initContainers", []).append(init)
    volumes = spec.setdefault("volumes", [])
    taken = {v.get("name") for v in volumes}
    volumes.extend(copy.deepcopy(v) for v in SIDECAR_VOLUMES if v["name"] not in taken)
    for c in (proxy, init):
        _container_defaults(c)
    return pod


def qos_class(spec: dict) -> str:
    """The pod's QoS class, as the API server computes it from its containers' resources."""
    containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
    requests: list[dict] = [(c.get("resources") or {}).get("requests") or {} for c in containers]
    limits: list[dict] = [(c.get("resources") or {}).get("limits") or {} for c in containers]
    if not any(requests) and not any(limits):
        return "BestEffort"
    guaranteed = all(
        set(lim) >= {"cpu", "memory"} and all(req.get(k, lim[k]) == lim[k] for k in lim)
        for req, lim in zip(requests, limits, strict=True)
    )
    return "Guaranteed" if guaranteed else "Burstable"


def on_create(store: Store, kind: Kind, obj: dict, namespace: str) -> dict:
    obj = copy.deepcopy(obj)
    obj.setdefault("metadata", {})
    if kind.kind == "Service":
        obj["metadata"].setdefault("namespace", namespace)
        _service_defaults(store, obj, None)
    elif kind.kind == "Deployment":
        _deployment_defaults(obj)
    elif kind.kind == "Pod":
        assert _NAMESPACES is not None
        pod_spec_defaults(obj.setdefault("spec", {}))
        obj["spec"].setdefault("serviceAccountName", "default")
        obj["spec"].setdefault("serviceAccount", obj["spec"]["serviceAccountName"])
        if _injection_wanted(obj, store.find(_NAMESPACES, "", namespace)):
            obj = inject_sidecar(obj)
        obj["status"] = {"phase": "Pending", "qosClass": qos_class(obj["spec"])}
    elif kind.kind == "ServiceAccount":
        pass
    return obj


def prepare_update(kind: Kind, old: dict | None, new: dict) -> dict:
    """What the API server drops before validating an update: a Service that leaves
    NodePort/LoadBalancer loses the node ports (and load balancer fields) it had, unless the
    update sets them anew (so `kubectl edit` to ClusterIP just works)."""
    if kind.kind != "Service" or old is None:
        return new
    old_spec, spec = old.get("spec") or {}, new.get("spec") or {}
    was, now = old_spec.get("type", "ClusterIP"), spec.get("type", "ClusterIP")
    if now == was:
        return new
    new = copy.deepcopy(new)
    spec = new.setdefault("spec", {})
    if now not in ("NodePort", "LoadBalancer"):
        old_ports = {p.get("port"): p.get("nodePort") for p in old_spec.get("ports") or []}
        for p in spec.get("ports") or []:
            if p.get("nodePort") is not None and p.get("nodePort") == old_ports.get(p.get("port")):
                del p["nodePort"]
        if spec.get("externalTrafficPolicy") == old_spec.get("externalTrafficPolicy"):
            spec.pop("externalTrafficPolicy", None)
    if now != "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") == old_spec.get(
        "allocateLoadBalancerNodePorts"
    ):
        spec.pop("allocateLoadBalancerNodePorts", None)
    return new


def on_update(store: Store, kind: Kind, old: dict, new: dict) -> dict:
    new = copy.deepcopy(new)
    if kind.kind == "Service":
        _service_defaults(store, new, old)
    elif kind.kind == "Deployment":
        _deployment_defaults(new)
    elif kind.kind == "Pod":
        pod_spec_defaults(new.setdefault("spec", {}))
    return new
