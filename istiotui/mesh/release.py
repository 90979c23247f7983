"""The Istio release the lab installs (`istio-1.24.0`) and what its install profiles hold: what
the local cluster stands for, and what a real cluster's catch-up looks for before it asks for
istioctl."""

from __future__ import annotations

ISTIO_VERSION = "1.24.0"

# istioctl's profiles whose install includes istiod (`empty` and `remote` do not).
CONTROL_PLANE_PROFILES = frozenset(
    {"default", "demo", "minimal", "preview", "ambient", "openshift"}
)
# Profiles that bring gateways of their own besides those an IstioOperator lists.
PROFILE_GATEWAYS: dict[str, tuple[str, ...]] = {
    "default": ("istio-ingressgateway",),
    "demo": ("istio-ingressgateway", "istio-egressgateway"),
}
