"""`istioctl dashboard NAME` kept: a port-forward to an observability addon's Service, its URL.

The lab's section 4 installs Kiali, Prometheus, Grafana and Jaeger from Istio's samples/addons
and opens them with `istioctl dashboard`. Here the forward is the session's own (served through
the cluster's API as `kubectl port-forward svc/…` is, closed with the session). Where the addon
is not installed the answer says so; the local cluster has none of them, and the Graph view is
its way to see the mesh.
"""

from __future__ import annotations

from dataclasses import dataclass

from istiotui.cluster.errors import ClusterError
from istiotui.cluster.kind import ClusterKind
from istiotui.lab.session import Session
from istiotui.traffic.vantage import VantageUnavailable

NAMESPACE = "istio-system"


@dataclass(frozen=True)
class Addon:
    name: str  # as istioctl names the dashboard
    service: str  # the Service samples/addons makes in istio-system
    port: int  # the Service's port
    local_port: int  # where istioctl listens by default
    path: str = "/"  # where the UI is served

    @property
    def manifest(self) -> str:
        return f"samples/addons/{self.name}.yaml"


ADDONS = {
    a.name: a
    for a in (
        Addon("kiali", "kiali", 20001, 20001, "/kiali"),
        Addon("prometheus", "prometheus", 9090, 9090),
        Addon("grafana", "grafana", 3000, 3000),
        Addon("jaeger", "tracing", 80, 16686),
    )
}


class NotInstalled(Exception):
    """The addon's Service is not there; the message says what to do instead."""


@dataclass(frozen=True)
class Dashboard:
    addon: Addon
    url: str  # the UI's address, through the forward
    asked_port: int  # the local port asked for (0: any), the session's key for the forward


def missing_message(addon: Addon, cluster: ClusterKind) -> str:
    where = f"no Service {NAMESPACE}/{addon.service}"
    if cluster == ClusterKind.LOCAL:
        return (
            f"{addon.name.capitalize()} is not installed ({where}): the local cluster runs no "
            "Kiali, Prometheus, Grafana or Jaeger. The proxies' own statistics show the same "
            "traffic: the Graph view (key g) or `istiotui graph`."
        )
    return (
        f"{addon.name.capitalize()} is not installed ({where}). Install Istio's addon "
        f"(kubectl apply -f {addon.manifest} from the Istio release), or see the traffic from "
        "the proxies themselves: the Graph view (key g) or `istiotui graph`."
    )


def open_dashboard(session: Session, name: str, local_port: int | None = None) -> Dashboard:
    """Forward 127.0.0.1:`local_port` (the addon's port when None; 0: any free one) to the
    addon's Service; NotInstalled when it has no Service, VantageUnavailable when no pod or
    port answers for it."""
    addon = ADDONS[name]
    try:
        svc = session.objects.get("v1", "Service", addon.service, NAMESPACE)
    except ClusterError as exc:
        raise VantageUnavailable(str(exc)) from None
    if svc is None:
        raise NotInstalled(missing_message(addon, session.cluster))
    port = addon.local_port if local_port is None else local_port
    base = session.vantages.open_tunnel(NAMESPACE, addon.service, addon.port, port)
    return Dashboard(addon, base + addon.path, port)


def close_dashboard(session: Session, dashboard: Dashboard) -> None:
    session.vantages.close_tunnel(dashboard.asked_port)
