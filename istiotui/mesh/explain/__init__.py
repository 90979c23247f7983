"""`istiotui explain`'s model: one request walked through one proxy's Envoy configuration. Pure."""

from __future__ import annotations

from istiotui.mesh.explain.dump import DumpError, ProxyConfig, parse_dump, restrict
from istiotui.mesh.explain.match import Request
from istiotui.mesh.explain.walk import Destination, Explanation, explain

__all__ = [
    "Destination",
    "DumpError",
    "Explanation",
    "ProxyConfig",
    "Request",
    "explain",
    "parse_dump",
    "restrict",
]
