"""Where a route or cluster came from: the Istio object istiod names in its metadata.

istiod writes `metadata.filter_metadata.istio.config` =
`/apis/networking.istio.io/v1/namespaces/NS/virtual-service/NAME` on the routes it builds from a
VirtualService (`destination-rule` on clusters); the version part varies between releases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_PATH = re.compile(r"^/apis/(?P<group>[^/]+)/(?P<version>[^/]+)/namespaces/(?P<ns>[^/]+)/"
                   r"(?P<kind>[^/]+)/(?P<name>[^/]+)$")  # fmt: skip


@dataclass(frozen=True)
class ConfigRef:
    kind: str  # "virtual-service", "destination-rule"
    namespace: str
    name: str

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


def config_path(kind: str, namespace: str, name: str) -> str:
    return f"/apis/networking.istio.io/v1/namespaces/{namespace}/{kind}/{name}"


def config_ref(metadata: Any) -> ConfigRef | None:
    if not isinstance(metadata, dict):
        return None
    istio = (metadata.get("filter_metadata") or {}).get("istio") or {}
    m = _PATH.match(str(istio.get("config", "")))
    if m is None:
        return None
    return ConfigRef(m["kind"], m["ns"], m["name"])
