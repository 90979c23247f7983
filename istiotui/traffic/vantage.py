"""Where a probe's requests leave from. The one place that knows the difference between clusters.

- `ingress`: from outside the mesh through the ingress gateway. Local cluster: its listener on
  this machine (127.0.0.1:8080 by default).
- `pod`: from inside the mesh, from a client pod (curl, fortio). Local cluster: every name
  resolves to that pod's sidecar address, as iptables capture would make it on a node.
- `port-forward`: straight to a Service's pod, as `kubectl port-forward svc/…` does (no sidecar
  on the way in). Local cluster: the pod's own address and target port.

On a real cluster the same vantages go through a port-forward to the gateway pod or an exec into
the client pod; until that path exists (see docs/real-cluster.md) they say so plainly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from istiotui.traffic.engine import Target

ClusterKind = Literal["local", "real"]
# (namespace, label selector) → pods, as the cluster layer lists them.
PodLister = Callable[[str, str], list[dict]]
ServiceGetter = Callable[[str, str], dict | None]


class VantageUnavailable(Exception):
    """The probe cannot leave from where the step asks; the message says why."""


@dataclass(frozen=True)
class Vantages:
    cluster: ClusterKind
    list_pods: PodLister
    get_service: ServiceGetter
    # Local cluster only (the wiring layer passes istiotui.local.addresses' plan):
    ingress: str | None = None  # the ingress gateway's listener, e.g. http://127.0.0.1:8080
    sidecar_of: Callable[[str], str] | None = None  # pod IP → its sidecar's address
    ca_file: str | None = None  # the local TLS stand-in's CA, for https from pods

    def ingress_target(self) -> Target:
        if self.cluster != "local" or self.ingress is None:
            raise VantageUnavailable(
                "probing through the ingress gateway of a real cluster needs a port-forward: "
                "run `kubectl port-forward svc/istio-ingressgateway -n istio-system 8080:80`"
                " and probe http://127.0.0.1:8080"
            )
        return Target(self.ingress)

    def pod_target(self, namespace: str, selector: str) -> Target:
        pod = self._ready_pod(namespace, selector)
        if self.cluster != "local" or self.sidecar_of is None:
            raise VantageUnavailable(
                f"in-mesh probes from {namespace}/{selector} on a real cluster run through "
                "`kubectl exec`, which istiotui does not drive yet"
            )
        if not any(c.get("name") == "istio-proxy" for c in pod["spec"].get("containers", [])):
            raise VantageUnavailable(
                f"pod {namespace}/{pod['metadata']['name']} has no sidecar (1/1): its requests "
                "would not go through the mesh. Label the namespace istio-injection=enabled and "
                "restart the deployment."
            )
        return Target(resolve_to=self.sidecar_of(pod["status"]["podIP"]), ca_file=self.ca_file)

    def port_forward_target(self, namespace: str, service: str, port: int) -> Target:
        svc = self.get_service(namespace, service)
        if svc is None:
            raise VantageUnavailable(f"no Service {namespace}/{service} to port-forward to")
        selector = ",".join(f"{k}={v}" for k, v in (svc["spec"].get("selector") or {}).items())
        pod = self._ready_pod(namespace, selector)
        if self.cluster != "local":
            raise VantageUnavailable(
                f"run `kubectl port-forward svc/{service} -n {namespace} {port}:{port}` and probe "
                f"http://127.0.0.1:{port}"
            )
        target_port = port
        for p in svc["spec"].get("ports") or []:
            if p.get("port") == port and isinstance(p.get("targetPort"), int):
                target_port = p["targetPort"]
        return Target(f"http://{pod['status']['podIP']}:{target_port}")

    def _ready_pod(self, namespace: str, selector: str) -> dict:
        pods = [
            p
            for p in self.list_pods(namespace, selector)
            if (p.get("status") or {}).get("phase") == "Running"
            and (p.get("status") or {}).get("podIP")
        ]
        if not pods:
            raise VantageUnavailable(f"no running pod matches {selector} in {namespace}")
        return sorted(pods, key=lambda p: p["metadata"]["name"])[0]
