"""`install.istio.io/v1alpha1` IstioOperator, as `istioctl install -f` reads it.

Its CRD keeps the whole spec (`x-kubernetes-preserve-unknown-fields`), because `values` and the
Kubernetes overlays are open-ended; the top-level fields and the gateway components the lab uses
are still modelled so that their types are checked.
"""

from __future__ import annotations

from istiotui.mesh.schemas.build import (
    Schema,
    any_object,
    arr,
    boolean,
    obj,
    string,
    string_map,
)
from istiotui.mesh.schemas.meta import object_meta, typed

# `tag` is a string or a number in IstioOperator (e.g. `1.24.0` or `1.24`).
_ANY: Schema = {"x-kubernetes-preserve-unknown-fields": True}


def _component() -> Schema:
    return obj(
        {"enabled": boolean(nullable=True), "namespace": string(), "k8s": any_object()},
        preserve=True,
    )


def _gateway_component() -> Schema:
    return obj(
        {
            "name": string(),
            "namespace": string(),
            "enabled": boolean(nullable=True),
            "label": string_map(),
            "k8s": any_object(),
            "hub": string(),
            "tag": _ANY,
        },
        preserve=True,
    )


def istio_operator() -> Schema:
    components = obj(
        {
            "base": _component(),
            "pilot": _component(),
            "cni": _component(),
            "ztunnel": _component(),
            "istiodRemote": _component(),
            "ingressGateways": arr(_gateway_component()),
            "egressGateways": arr(_gateway_component()),
        },
        preserve=True,
    )
    spec = obj(
        {
            "profile": string(),
            "installPackagePath": string(),
            "hub": string(),
            "tag": _ANY,
            "namespace": string(),
            "revision": string(),
            "meshConfig": any_object(),
            "components": components,
            "values": any_object(),
            "unvalidatedValues": any_object(),
        },
        preserve=True,
    )
    return typed(object_meta(), spec, any_object())
