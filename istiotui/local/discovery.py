"""Discovery documents (`/version`, `/api`, `/apis`, resource lists), all from the kinds table.

kubectl 1.32 asks for aggregated discovery first; it accepts the plain documents served here.
"""

from __future__ import annotations

from istiotui import __version__
from istiotui.mesh.kinds import KINDS, Kind, group_version, groups, kinds_in

KUBERNETES_MAJOR, KUBERNETES_MINOR = "1", "32"

# Subresources the local API serves, with their verbs.
_SUBRESOURCES: dict[str, dict[str, tuple[str, ...]]] = {
    "Pod": {"log": ("get",), "status": ("get", "patch", "update")},
    "Deployment": {"status": ("get", "patch", "update"), "scale": ("get", "patch", "update")},
    "Service": {"status": ("get", "patch", "update")},
    "Namespace": {"status": ("get", "patch", "update")},
}


def subresources(kind: Kind) -> dict[str, tuple[str, ...]]:
    if kind.kind in _SUBRESOURCES:
        return _SUBRESOURCES[kind.kind]
    return {} if kind.builtin else {"status": ("get", "patch", "update")}


def version() -> dict:
    return {
        "major": KUBERNETES_MAJOR,
        "minor": KUBERNETES_MINOR,
        "gitVersion": f"v{KUBERNETES_MAJOR}.{KUBERNETES_MINOR}.0-istiotui.{__version__}",
        "gitCommit": "",
        "gitTreeState": "clean",
        "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": "python",
        "compiler": "istiotui",
        "platform": "linux/amd64",
    }


def api_versions(server_address: str) -> dict:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _versions_of(group: str) -> list[str]:
    out: list[str] = []
    for k in KINDS:
        if k.group == group:
            out += [v for v in k.versions if v not in out]
    return out


def api_group(group: str) -> dict | None:
    versions = _versions_of(group)
    if not versions:
        return None
    entries = [{"groupVersion": group_version(group, v), "version": v} for v in versions]
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": entries,
        "preferredVersion": entries[0],
    }


def api_group_list() -> dict:
    found = [api_group(g) for g in groups()]
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            {k: v for k, v in g.items() if k not in ("kind", "apiVersion")} for g in found if g
        ],
    }


def resource_list(group: str, version: str) -> dict | None:
    kinds = kinds_in(group, version)
    if not kinds:
        return None
    resources = []
    for k in kinds:
        entry: dict = {
            "name": k.plural,
            "singularName": k.singular,
            "namespaced": k.namespaced,
            "kind": k.kind,
            "verbs": list(k.verbs),
        }
        if k.short_names:
            entry["shortNames"] = list(k.short_names)
        if k.categories:
            entry["categories"] = list(k.categories)
        resources.append(entry)
        for sub, verbs in subresources(k).items():
            resources.append(
                {
                    "name": f"{k.plural}/{sub}",
                    "singularName": "",
                    "namespaced": k.namespaced,
                    "kind": {"log": "Pod", "scale": "Scale"}.get(sub, k.kind),
                    **({"group": "autoscaling", "version": "v1"} if sub == "scale" else {}),
                    "verbs": list(verbs),
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version(group, version),
        "resources": resources,
    }
