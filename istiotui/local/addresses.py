"""Where things listen in the embedded local cluster: every address is in 127.0.0.0/8.

Each pod gets a pod IP (its app containers bind there, as on a pod network) and, when it has a
sidecar, a sidecar IP with the same last two octets: the pod's outbound Envoy listeners bind there,
one per service port, and the pod's workloads send their outbound requests to it, as iptables
capture would on a real node. Addresses are derived from a pod's index so that they stay stable.
"""

from __future__ import annotations

import ipaddress
import os

POD_NET = ipaddress.IPv4Network("127.10.0.0/16")
SIDECAR_NET = ipaddress.IPv4Network("127.20.0.0/16")
# The gateways' well-known listener address on this machine (what the lab's port-forward gives).
INGRESS_HOST = "127.0.0.1"
INGRESS_PORT = 8080
ENVOY_ADMIN_PORT = 15000
API_PORT = 6443


def _port(variable: str, default: int) -> int:
    # Environment, read at each call: tests and a second local cluster move ports this way.
    value = os.environ.get(variable)
    if not value:
        return default
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ValueError(f"{variable}={value!r} is not a port number")
    return int(value)


def api_port() -> int:
    return _port("ISTIOTUI_API_PORT", API_PORT)


def ingress_port() -> int:
    return _port("ISTIOTUI_INGRESS_PORT", INGRESS_PORT)


def envoy_admin_port() -> int:
    return _port("ISTIOTUI_ENVOY_ADMIN_PORT", ENVOY_ADMIN_PORT)


def pod_ip(index: int) -> str:
    """The pod IP of the index-th pod (index ≥ 1; .0 and .255 of each /24 are skipped)."""
    if index < 1:
        raise ValueError("pod index starts at 1")
    high, low = divmod(index - 1, 254)
    if high > 255:
        raise ValueError("no pod addresses left")
    return str(POD_NET.network_address + high * 256 + low + 1)


def sidecar_ip(pod_address: str) -> str:
    """The sidecar IP paired with a pod IP."""
    ip = ipaddress.IPv4Address(pod_address)
    if ip not in POD_NET:
        raise ValueError(f"{pod_address} is not a pod address")
    return str(SIDECAR_NET.network_address + (int(ip) - int(POD_NET.network_address)))
