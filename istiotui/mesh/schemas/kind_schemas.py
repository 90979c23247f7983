"""The kinds istiotui serves and validates, each with its OpenAPI v3 schema and its extra rules.

Schemas are plain dicts built once from the helpers in `build`; the same dict drives
`validation.validate` and the `/openapi/v3` documents of the local API server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from istiotui.mesh import istio_rules
from istiotui.mesh.schemas import apps, core, istio_install, istio_networking, kube_rules
from istiotui.mesh.schemas.build import Schema
from istiotui.mesh.schemas.walker import FieldError

Rules = Callable[[dict[str, Any]], list[FieldError]]

ISTIO_NETWORKING_VERSIONS = ("v1", "v1beta1", "v1alpha3")


@dataclass(frozen=True)
class KindInfo:
    group: str
    kind: str
    versions: tuple[str, ...]
    build: Callable[[], Schema] = field(repr=False)
    namespaced: bool = True
    name_rule: str = "subdomain"  # subdomain | label | dns1035
    rules: Rules | None = field(default=None, repr=False)

    @property
    def schema(self) -> Schema:
        return _built(self.group, self.kind)


KINDS: tuple[KindInfo, ...] = (
    KindInfo("", "Namespace", ("v1",), core.namespace, namespaced=False, name_rule="label"),
    KindInfo("", "Pod", ("v1",), core.pod, rules=kube_rules.pod_errors),
    KindInfo(
        "", "Service", ("v1",), core.service, name_rule="dns1035", rules=kube_rules.service_errors
    ),
    KindInfo("", "ServiceAccount", ("v1",), core.service_account),
    KindInfo("", "ConfigMap", ("v1",), core.config_map, rules=kube_rules.config_map_errors),
    KindInfo("", "Secret", ("v1",), core.secret, rules=kube_rules.secret_errors),
    KindInfo("", "Endpoints", ("v1",), core.endpoints),
    KindInfo("", "Event", ("v1",), core.event),
    KindInfo("apps", "Deployment", ("v1",), apps.deployment, rules=kube_rules.deployment_errors),
    KindInfo(
        "networking.istio.io",
        "VirtualService",
        ISTIO_NETWORKING_VERSIONS,
        istio_networking.virtual_service,
        rules=istio_rules.virtual_service_errors,
    ),
    KindInfo(
        "networking.istio.io",
        "DestinationRule",
        ISTIO_NETWORKING_VERSIONS,
        istio_networking.destination_rule,
        rules=istio_rules.destination_rule_errors,
    ),
    KindInfo(
        "networking.istio.io",
        "Gateway",
        ISTIO_NETWORKING_VERSIONS,
        istio_networking.gateway,
        rules=istio_rules.gateway_errors,
    ),
    KindInfo(
        "networking.istio.io",
        "ServiceEntry",
        ISTIO_NETWORKING_VERSIONS,
        istio_networking.service_entry,
        rules=istio_rules.service_entry_errors,
    ),
    KindInfo("install.istio.io", "IstioOperator", ("v1alpha1",), istio_install.istio_operator),
)

_BY_GROUP_KIND = {(info.group, info.kind): info for info in KINDS}


# What `kubectl explain KIND` prints as the kind's description.
DESCRIPTIONS = {
    "Namespace": "A scope for the names of namespaced objects.",
    "Pod": "A group of containers scheduled together, sharing network and volumes.",
    "Service": "A stable name and ports in front of the pods its selector picks.",
    "ServiceAccount": "The identity pods run as.",
    "ConfigMap": "Non-secret configuration data (string keys and values) for pods.",
    "Secret": "Sensitive data (keys and base64 values) for pods.",
    "Endpoints": "The addresses and ports that currently back a Service.",
    "Event": "A record of something that happened to an object.",
    "Deployment": "Keeps a number of identical pods running from a template, rolling updates.",
    "VirtualService": "Routing rules for traffic to a set of hosts: matches, destinations,"
    " weights, faults, retries, timeouts and mirrors.",
    "DestinationRule": "Policies for traffic to a service once routed: subsets, load"
    " balancing, connection pools, outlier detection and TLS.",
    "Gateway": "A proxy at the edge of the mesh: the ports, protocols, hosts and TLS it serves.",
    "ServiceEntry": "Adds a service, such as an external host and its ports, to the mesh registry.",
    "IstioOperator": "An Istio installation, as `istioctl install -f` reads it.",
}


@cache
def _built(group: str, kind: str) -> Schema:
    schema = _BY_GROUP_KIND[(group, kind)].build()
    schema["description"] = DESCRIPTIONS[kind]
    return schema


def lookup(group: str, version: str, kind: str) -> KindInfo | None:
    info = _BY_GROUP_KIND.get((group, kind))
    if info is None or version not in info.versions:
        return None
    return info


def split_api_version(api_version: str) -> tuple[str, str]:
    """`networking.istio.io/v1` → (`networking.istio.io`, `v1`); `v1` → (``, `v1`)."""
    group, _, version = api_version.rpartition("/")
    return group, version
