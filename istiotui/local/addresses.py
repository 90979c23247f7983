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
# Two local clusters on one machine (tests, a second state dir) take different blocks: block b
# puts pods in 127.(10+20b).0.0/16 and sidecars ten above, so their addresses never meet.
BLOCK_ENV = "ISTIOTUI_LOCAL_BLOCK"
_BLOCKS = 12
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


def block() -> int:
    value = os.environ.get(BLOCK_ENV) or "0"
    if not value.isdigit() or int(value) >= _BLOCKS:
        raise ValueError(f"{BLOCK_ENV}={value!r}: a block number from 0 to {_BLOCKS - 1}")
    return int(value)


def pod_net() -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(f"127.{10 + 20 * block()}.0.0/16")


def pod_ip(index: int) -> str:
    """The pod IP of the index-th pod (index ≥ 1; .0 and .255 of each /24 are skipped)."""
    if index < 1:
        raise ValueError("pod index starts at 1")
    high, low = divmod(index - 1, 254)
    if high > 255:
        raise ValueError("no pod addresses left")
    return str(pod_net().network_address + high * 256 + low + 1)


def sidecar_ip(pod_address: str) -> str:
    """The sidecar IP paired with a pod IP (of any block): ten above in the second octet."""
    octets = [int(o) for o in pod_address.split(".")] if pod_address.count(".") == 3 else []
    if len(octets) != 4 or octets[0] != 127 or (octets[1] - 10) % 20 or octets[1] > 230:
        raise ValueError(f"{pod_address} is not a pod address")
    return f"127.{octets[1] + 10}.{octets[2]}.{octets[3]}"


STANDIN_NET = ipaddress.IPv4Network("127.250.0.0/16")  # clear of every block's pods


def standin_ip(api_port: int) -> str:
    """Where this cluster's stand-in for the lab's external host listens: one address per local
    cluster (derived from its API port), so two clusters on one machine never share it."""
    return str(STANDIN_NET.network_address + (api_port % 65534) + 1)


def check_environment() -> None:
    """Every ISTIOTUI_* address setting read once: ValueError names the first bad one."""
    api_port(), ingress_port(), envoy_admin_port(), block()
