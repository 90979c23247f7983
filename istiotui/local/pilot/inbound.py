"""The server side of a sidecar: what it receives for its pod, logged as `inbound|<port>||`.

On a node, iptables sends every connection to a pod's port through its sidecar's inbound
listener, which logs the request and hands it to the app from 127.0.0.6. Here each pod's sidecar
already has an address of its own (`addresses.sidecar_ip`) holding its outbound listeners, one
per service port; the inbound side shares those listeners and is told apart by who connects:

- the pod's own processes leave from its pod IP (and anything else on the machine from another
  127.x address): the outbound filter chains, as before;
- proxies connect from a sidecar address (each proxy's clusters bind its own sidecar address,
  gateways their pod IP) and sidecar-less pods from their pod IP: the inbound chain, which
  matches the block's pod and sidecar networks — more specific than 127.0.0.0/8, less than the
  pod's own /32.

So clients' clusters send to a sidecar pod's sidecar address on the target port, and the inbound
chain forwards to the app on the pod IP. A port that is a target port but no outbound port gets
a listener of its own. A pod calling its own Service comes back from its own sidecar address,
which is inbound too, so nothing loops. Decided against a third address per pod: the blocks'
second octets are all given out, and a source match costs no address at all.
"""

from __future__ import annotations

import json
from typing import Any

from istiotui.local.addresses import bind_port, sidecar_ip
from istiotui.local.pilot.clusters import Context, no_limits, pod_port
from istiotui.local.pilot.filters import HEALTH_PORT, http_connection_manager, listener, tcp_proxy
from istiotui.local.pilot.model import Pod, selects
from istiotui.local.pilot.names import METADATA_NS, istio_cluster, scoped

# Where an inbound sidecar's connections to its app come from, as in Istio.
INBOUND_SOURCE = "127.0.0.6"


def inbound_ports(ctx: Context, pod: Pod) -> dict[int, str]:
    """The pod's ports that Services (and ServiceEntries' workloadSelectors) of its namespace
    send to, and how they speak."""
    kinds: dict[int, set[str]] = {}
    for svc in ctx.mesh.services:
        if svc.namespace != pod.namespace:
            continue
        if not selects(svc.selector, pod.labels):
            continue
        for p in svc.ports:
            target = pod_port(pod, p.target_port)
            if target is not None and target != HEALTH_PORT:
                kinds.setdefault(target, set()).add(p.protocol)
    return {port: "HTTP" if "HTTP" in found else "TCP" for port, found in sorted(kinds.items())}


def inbound_name(port: int) -> str:
    return istio_cluster(port, "", "", "inbound")  # inbound|9080||


def inbound_clusters(ctx: Context, pod: Pod) -> list[dict[str, Any]]:
    out = []
    for port in inbound_ports(ctx, pod):
        name = scoped(pod.proxy_id, inbound_name(port))
        where = {"address": pod.ip, "port_value": bind_port(pod.ip, port)}
        endpoint = {
            "endpoint": {"address": {"socket_address": where}},
            "metadata": {"filter_metadata": {METADATA_NS: {"address": f"{pod.ip}:{port}"}}},
        }
        out.append(
            {
                "name": name,
                "type": "STATIC",
                "connect_timeout": "10s",
                "circuit_breakers": no_limits(),
                "upstream_bind_config": {
                    "source_address": {"address": INBOUND_SOURCE, "port_value": 0}
                },
                "load_assignment": {
                    "cluster_name": name,
                    "endpoints": [{"lb_endpoints": [endpoint]}],
                },
                "metadata": {
                    "filter_metadata": {
                        METADATA_NS: {"istio_name": inbound_name(port), "proxy": pod.proxy_id}
                    }
                },
            }
        )
    return out


def _networks(pod: Pod) -> list[dict[str, Any]]:
    second = int(pod.ip.split(".")[1])
    return [
        {"address_prefix": f"127.{second}.0.0", "prefix_len": 16},
        {"address_prefix": f"127.{second + 10}.0.0", "prefix_len": 16},
    ]


def _own(pod: Pod) -> list[dict[str, Any]]:
    return [
        {"address_prefix": pod.ip, "prefix_len": 32},
        {"address_prefix": "127.0.0.0", "prefix_len": 8},
    ]


def _inbound_chain(pod: Pod, port: int, kind: str, log: str) -> dict[str, Any]:
    cluster = scoped(pod.proxy_id, inbound_name(port))
    if kind == "HTTP":
        route = {
            "name": "default",
            "match": {"prefix": "/"},
            "route": {"cluster": cluster, "timeout": "0s"},
        }
        table = {
            "name": inbound_name(port),
            "virtual_hosts": [
                {"name": f"inbound|http|{port}", "domains": ["*"], "routes": [route]}
            ],
            "validate_clusters": False,
        }
        stat = scoped(pod.proxy_id, f"inbound_0.0.0.0_{port}")
        first = http_connection_manager(stat, table, log, gateway=False)
    else:
        first = tcp_proxy(cluster, [(cluster, 1)], log)
    chain = {"filter_chain_match": {"source_prefix_ranges": _networks(pod)}, "filters": [first]}
    # The local address a server-side line shows is the pod's, as the original destination is.
    text = json.dumps(chain).replace("%DOWNSTREAM_LOCAL_ADDRESS%", f"{pod.ip}:{port}")
    return json.loads(text)


def with_inbound(
    ctx: Context, pod: Pod, log: str, listeners: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The sidecar's listeners with its inbound side added (see the module's docstring)."""
    address = sidecar_ip(pod.ip)
    by_port = {lis["address"]["socket_address"]["port_value"]: i for i, lis in enumerate(listeners)}
    out = list(listeners)
    for port, kind in inbound_ports(ctx, pod).items():
        chain = _inbound_chain(pod, port, kind, log)
        i = by_port.get(bind_port(address, port))
        if i is None:
            name = scoped(pod.proxy_id, f"virtualInbound_{port}")
            out.append(listener(name, address, port, [chain], False))
            continue
        merged = dict(out[i])
        chains = []
        for outbound in merged["filter_chains"]:
            match = dict(outbound.get("filter_chain_match") or {})
            match["source_prefix_ranges"] = _own(pod)
            chains.append({**outbound, "filter_chain_match": match})
        merged["filter_chains"] = [*chains, chain]
        out[i] = merged
    return out
