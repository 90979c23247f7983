"""What an Istio install would add to files analysed alone: its gateways.

A Gateway in the lab's files selects `istio=ingressgateway`, whose pods come from
`istioctl install -f istio-manifests/ingress.yaml`, not from the files: istioctl's files-only mode
calls that an error (istio/istio#40861). Here the gateways of the lab's IstioOperator files, of any
IstioOperator among the files, and of Istio's own defaults count as installed.
"""

from __future__ import annotations

from pathlib import Path

from istiotui.lab.manifests import read_objects
from istiotui.lab.paths import istio_manifests_dir
from istiotui.local.pilot.model import PilotError
from istiotui.local.pilot.operator import gateway_objects

# What Istio's default profile and its demo profile name their gateways.
DEFAULT_INSTALL = {
    "apiVersion": "install.istio.io/v1alpha1",
    "kind": "IstioOperator",
    "metadata": {"name": "istio-defaults"},
    "spec": {
        "components": {
            "ingressGateways": [{"name": "istio-ingressgateway", "namespace": "istio-system"}],
            "egressGateways": [{"name": "istio-egressgateway", "namespace": "istio-system"}],
        }
    },
}


def lab_operators(folder: Path | None = None) -> list[dict]:
    """The lab's IstioOperator files (istio-manifests/); none if the folder is missing."""
    where = folder or istio_manifests_dir()
    if not where.is_dir():
        return []
    found: list[dict] = []
    for path in sorted(where.glob("*.yaml")):
        objects, _problems = read_objects(path)  # the lab's own files: checked by its tests
        found += [o.body for o in objects if o.body.get("kind") == "IstioOperator"]
    return found


def installed_objects(given: list[dict], folder: Path | None = None) -> list[dict]:
    """The Deployments and Services of every gateway an install would create.

    The files' own IstioOperators come first, so their settings win over the lab's and the
    defaults'. A malformed one raises PilotError naming the field.
    """
    out: list[dict] = []
    seen: set[tuple[str, str, str]] = set()
    own = [o for o in given if o.get("kind") == "IstioOperator"]
    for iop in [*own, *lab_operators(folder), DEFAULT_INSTALL]:
        for obj in gateway_objects(iop):
            meta = obj.get("metadata") or {}
            key = (obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", ""))
            if obj.get("kind") in ("Deployment", "Service") and key not in seen:
                seen.add(key)
                out.append(obj)
    return out


__all__ = ["DEFAULT_INSTALL", "PilotError", "installed_objects", "lab_operators"]
