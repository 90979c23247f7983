"""Where things listen in the embedded local cluster: every address is in 127.0.0.0/8.

Each pod gets a pod IP (its app containers bind there, as on a pod network) and, when it has a
sidecar, a sidecar IP with the same last two octets: the pod's outbound Envoy listeners bind there,
one per service port, and the pod's workloads send their outbound requests to it, as iptables
capture would on a real node. Addresses are derived from a pod's index so that they stay stable.

Ports: a port a manifest declares is what every surface shows (kubectl, Envoy's cluster and stat
names, logs, URLs). Where a process of the cluster really binds is `bind_port(address, port)`:
declared ports below 1024 on the cluster's own addresses are bound `LOW_PORT_OFFSET` higher, so
that an ordinary user runs the whole lab (no root, no sysctl). The launcher, the pilot, the API's
port-forward and the client shims all ask this one function.

Nothing of the cluster listens on a fixed host port: the API and Envoy's admin take a free port at
start (recorded in `server.json`) unless a setting names one, and the way in to the mesh is the
lab's own `kubectl port-forward` to the ingress gateway's pod.
"""

from __future__ import annotations

import ipaddress

from istiotui import settings

POD_NET = ipaddress.IPv4Network("127.10.0.0/16")
SIDECAR_NET = ipaddress.IPv4Network("127.20.0.0/16")
# Two local clusters on one machine (tests, a second state dir) take different blocks: block b
# puts pods in 127.(10+20b).0.0/16 and sidecars ten above, so their addresses never meet.
BLOCK_ENV = settings.LOCAL_BLOCK.name
_BLOCKS = settings.BLOCKS
# Privileged ports (below 1024) are bound this much higher: 80 → 10080, 443 → 10443. Clear of the
# ports the lab's manifests declare and of the kernel's ephemeral range (32768 and up).
LOW_PORT_OFFSET = 10000
PRIVILEGED_BELOW = 1024


def api_port() -> int | None:
    """The API port a setting asks for, or None (the one used last time if free, else any)."""
    return settings.API_PORT.get()


def envoy_admin_port() -> int:
    """The Envoy admin port a setting asks for, or 0 (any free port, found after start)."""
    return settings.ENVOY_ADMIN_PORT.get() or 0


def block() -> int:
    return settings.LOCAL_BLOCK.get()


def block_net(number: int) -> ipaddress.IPv4Network:
    """The pods' addresses of block `number` (its sidecars are ten above)."""
    return ipaddress.IPv4Network(f"127.{10 + 20 * number}.0.0/16")


def pod_net() -> ipaddress.IPv4Network:
    return block_net(block())


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


def node_ip(pod_address: str) -> str:
    """The node's address for a pod IP (of any block): .0 of the pod's /24, which no pod has.
    Sidecar-less pods' calls for names go there (cluster DNS and kube-proxy, played by the local
    pilot: pilot/node_proxy.py). Per /24, not per block: a test's pods far up in a block's /16
    never meet a running cluster's node."""
    sidecar_ip(pod_address)  # the same check: a pod address of some block
    return pod_address.rsplit(".", 1)[0] + ".0"


# A sidecar-less pod's call for a name no Service has, answered at the node address with this
# header: what DNS would have
# refused. The client shims read it as curl's "Could not resolve host".
UNRESOLVED_HEADER = "x-istiotui-unresolved-host"

STANDIN_NET = ipaddress.IPv4Network("127.250.0.0/16")  # clear of every block's pods


def standin_ip(api_port: int) -> str:
    """Where this cluster's stand-in for the lab's external host listens: one address per local
    cluster (derived from its API port), so two clusters on one machine never share it."""
    return str(STANDIN_NET.network_address + (api_port % 65534) + 1)


def is_cluster_address(address: str) -> bool:
    """Whether `address` is one a local cluster gives out (a pod, a sidecar, a stand-in)."""
    octets = address.split(".")
    if len(octets) != 4 or octets[0] != "127" or not octets[1].isdigit():
        return False
    second = int(octets[1])
    return second == 250 or (10 <= second < 10 + 20 * _BLOCKS and second % 10 == 0)


def bind_port(address: str, port: int) -> int:
    """Where a process of the cluster really binds (or is reached) for a declared `port` on
    `address`: the same port, except privileged ones on the cluster's own addresses."""
    if port < PRIVILEGED_BELOW and is_cluster_address(address):
        return port + LOW_PORT_OFFSET
    return port


def declared_port(address: str, port: int) -> int:
    """The inverse of `bind_port`: the port a manifest declared for a bound one."""
    if is_cluster_address(address) and LOW_PORT_OFFSET <= port < LOW_PORT_OFFSET + PRIVILEGED_BELOW:
        return port - LOW_PORT_OFFSET
    return port


def check_environment() -> None:
    """Every ISTIOTUI_* setting read once: SettingError (a ValueError) names the first bad one."""
    settings.check()
