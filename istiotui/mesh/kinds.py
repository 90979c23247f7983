"""The one table of resource kinds istiotui knows.

Discovery, URL parsing, Table columns, the tree and the diff all read this table, so a kind is
added in one place. Versions are listed preferred first, as the API server's discovery does.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    group: str  # "" for the core group
    versions: tuple[str, ...]  # served versions, preferred first
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    # What discovery lists as the kind's verbs (every kind here is fully writable).
    verbs: tuple[str, ...] = (
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    )

    @property
    def preferred_version(self) -> str:
        return self.versions[0]

    @property
    def api_version(self) -> str:
        """apiVersion of the preferred version: "v1", "apps/v1", "networking.istio.io/v1"."""
        return group_version(self.group, self.preferred_version)

    @property
    def builtin(self) -> bool:
        """Kinds compiled into kubectl (strategic merge patch); the others are custom resources."""
        return self.group in ("", "apps")


def group_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def split_api_version(api_version: str) -> tuple[str, str]:
    """ "apps/v1" → ("apps", "v1"); "v1" → ("", "v1")."""
    group, _, version = api_version.rpartition("/")
    return group, version


_ISTIO_NET = ("v1", "v1beta1", "v1alpha3")
_ISTIO_CAT = ("istio-io", "networking-istio-io")

KINDS: tuple[Kind, ...] = (
    Kind("", ("v1",), "Namespace", "namespaces", "namespace", False, ("ns",)),
    Kind("", ("v1",), "Pod", "pods", "pod", True, ("po",), ("all",)),
    Kind("", ("v1",), "Service", "services", "service", True, ("svc",), ("all",)),
    Kind("", ("v1",), "ServiceAccount", "serviceaccounts", "serviceaccount", True, ("sa",), ()),
    Kind("", ("v1",), "ConfigMap", "configmaps", "configmap", True, ("cm",), ()),
    Kind("", ("v1",), "Endpoints", "endpoints", "endpoints", True, ("ep",), ()),
    Kind("", ("v1",), "Event", "events", "event", True, ("ev",), ()),
    Kind("apps", ("v1",), "Deployment", "deployments", "deployment", True, ("deploy",), ("all",)),
    Kind("networking.istio.io", _ISTIO_NET, "Gateway", "gateways", "gateway", True, ("gw",),
         _ISTIO_CAT),
    Kind("networking.istio.io", _ISTIO_NET, "VirtualService", "virtualservices", "virtualservice",
         True, ("vs",), _ISTIO_CAT),
    Kind("networking.istio.io", _ISTIO_NET, "DestinationRule", "destinationrules",
         "destinationrule", True, ("dr",), _ISTIO_CAT),
    Kind("networking.istio.io", _ISTIO_NET, "ServiceEntry", "serviceentries", "serviceentry", True,
         ("se",), _ISTIO_CAT),
    Kind("install.istio.io", ("v1alpha1",), "IstioOperator", "istiooperators", "istiooperator",
         True, ("iop", "io"), ("istio-io",)),
)  # fmt: skip


def groups() -> list[str]:
    """API groups in table order, without the core group."""
    seen: list[str] = []
    for k in KINDS:
        if k.group and k.group not in seen:
            seen.append(k.group)
    return seen


def kinds_in(group: str, version: str) -> list[Kind]:
    return [k for k in KINDS if k.group == group and version in k.versions]


def by_plural(group: str, version: str, plural: str) -> Kind | None:
    for k in KINDS:
        if k.group == group and k.plural == plural and version in k.versions:
            return k
    return None


def by_kind(group: str, kind: str) -> Kind | None:
    for k in KINDS:
        if k.group == group and k.kind == kind:
            return k
    return None


def for_object(obj: dict) -> Kind | None:
    """The kind of a manifest, from its apiVersion and kind (the version must be served)."""
    group, version = split_api_version(str(obj.get("apiVersion", "")))
    k = by_kind(group, str(obj.get("kind", "")))
    if k is None or version not in k.versions:
        return None
    return k


def lookup(name: str) -> Kind | None:
    """A kind by any name kubectl accepts: plural, singular, short name or Kind, any case;
    "virtualservices.networking.istio.io" qualifies the group."""
    name = name.lower()
    base, _, group = name.partition(".")
    for k in KINDS:
        if group and k.group != group:
            continue
        if base in (k.plural, k.singular, k.kind.lower(), *k.short_names):
            return k
    return None
