"""The Istio release the local cluster stands for: the one the lab installs (istio-1.24.0).

istioctl's install (local/pilot/operator.py) names its images from it, and sidecar injection
(local/defaulting.py) gives every injected pod its proxy image.
"""

from __future__ import annotations

from istiotui.mesh.release import ISTIO_VERSION

HUB = "docker.io/istio"
PROXY_IMAGE = f"{HUB}/proxyv2:{ISTIO_VERSION}"

__all__ = ["HUB", "ISTIO_VERSION", "PROXY_IMAGE"]
