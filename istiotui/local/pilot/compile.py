"""`compile_mesh`: the whole Envoy configuration (listeners and clusters) for every proxy."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from istiotui.local.pilot.clusters import (
    Context,
    build_cluster,
    endpoints,
    endpoints_key,
    proxy_clusters,
    subset_labels,
)
from istiotui.local.pilot.compile_cache import CompileCache, fingerprint
from istiotui.local.pilot.gateways import gateway_listeners
from istiotui.local.pilot.listeners import sidecar_listeners
from istiotui.local.pilot.model import Mesh, Obj, PilotError, PilotOptions, Service, gather
from istiotui.local.pilot.node_proxy import node_clusters, node_listeners

LISTENER_TYPE = "type.googleapis.com/envoy.config.listener.v3.Listener"
CLUSTER_TYPE = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")


def canonical(data: Any) -> str:
    """The JSON every hash and golden file uses: sorted keys, no insignificant spaces."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class EnvoyConfig:
    listeners: list[dict[str, Any]]
    clusters: list[dict[str, Any]]
    version: str
    # Things in the objects this pilot does not honour (each names the object and the field).
    warnings: tuple[str, ...] = field(default=())
    # canonical() of each listener and cluster, when the compile kept them (else computed).
    listener_texts: tuple[str, ...] = field(default=(), compare=False, repr=False)
    cluster_texts: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def texts(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """canonical() of each listener and of each cluster."""
        listeners = self.listener_texts
        if len(listeners) != len(self.listeners):
            listeners = tuple(canonical(x) for x in self.listeners)
        clusters = self.cluster_texts
        if len(clusters) != len(self.clusters):
            clusters = tuple(canonical(x) for x in self.clusters)
        return listeners, clusters

    @property
    def log_files(self) -> list[str]:
        """Every access log path the listeners write (their directories must exist)."""
        found: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if str(node.get("@type", "")).endswith("FileAccessLog"):
                    found.add(node["path"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(self.listeners)
        return sorted(found)

    def listeners_response(self) -> dict[str, Any]:
        """LDS as a DiscoveryResponse (what a file-based xDS source holds)."""
        return _response(self.version, LISTENER_TYPE, self.listeners)

    def clusters_response(self) -> dict[str, Any]:
        return _response(self.version, CLUSTER_TYPE, self.clusters)


def _response(version: str, type_url: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "version_info": version,
        "resources": [{"@type": type_url, **r} for r in resources],
    }


def content_version(listeners: list[dict[str, Any]], clusters: list[dict[str, Any]]) -> str:
    return texts_version([canonical(x) for x in listeners], [canonical(x) for x in clusters])


def texts_version(listeners: Sequence[str], clusters: Sequence[str]) -> str:
    """`content_version` from each part's canonical JSON (the same text, joined, not redone)."""
    text = '{"c":[' + ",".join(clusters) + '],"l":[' + ",".join(listeners) + "]}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def compile_mesh(
    objects: list[dict[str, Any]], options: PilotOptions, cache: CompileCache | None = None
) -> EnvoyConfig:
    """Compile the mesh's objects into one Envoy configuration; PilotError names bad input.

    With a `cache` (kept by the caller from one compile to the next) the result is the same,
    but only what changed since the last compile is built again (see compile_cache)."""
    if options.outbound_policy not in ("ALLOW_ANY", "REGISTRY_ONLY"):
        raise PilotError(
            f"outboundTrafficPolicy.mode: {options.outbound_policy!r} is not ALLOW_ANY or"
            " REGISTRY_ONLY"
        )
    if cache is None:
        return _compile(gather(objects), options, None)
    cache.begin()
    try:
        mesh = gather(objects, cache.read)
        if cache.last is not None and cache.last[1] == options and cache.last[0] == mesh:
            cache.new.listeners, cache.new.clusters = cache.old.listeners, cache.old.clusters
            config: EnvoyConfig = cache.last[2]
        else:
            config = _compile(mesh, options, cache)
            cache.last = (mesh, options, config)
    except BaseException:
        cache.abandon()
        raise
    cache.end()
    return config


def _compile(mesh: Mesh, options: PilotOptions, cache: CompileCache | None) -> EnvoyConfig:
    ctx = Context(mesh, options)
    listeners: list[dict[str, Any]] = []
    clusters: list[dict[str, Any]] = []
    plain = []  # pods without a proxy: what a node gives them (DNS and kube-proxy)
    listener_texts: list[str] = []
    cluster_texts: dict[int, str] = {}  # id(cluster) → its canonical JSON
    config_key = ""
    if cache is not None:
        # Everything a proxy's listeners are made of besides its own pod (the mesh config's
        # outbound policy decides between passthrough and blackhole chains).
        config_key = fingerprint(
            mesh.services,
            mesh.gateways,
            mesh.virtual_services,
            mesh.destination_rules,
            mesh.outbound_policy,
            options,
        )
        ctx.build_cluster = _cached_clusters(cache, cluster_texts)
    for pod in ctx.mesh.pods:
        if pod.is_gateway:
            build = gateway_listeners
        elif pod.has_sidecar:
            build = sidecar_listeners
        else:
            plain.append(pod)
            continue
        if cache is None:
            listeners += build(ctx, pod)
        else:
            entry = cache.entry(
                "listeners",
                (repr(pod), config_key),
                lambda build=build, pod=pod: ctx.captured(lambda: build(ctx, pod)),
                lambda found: [canonical(x) for x in found],
            )
            for note in entry.notes:
                ctx.warn(note)
            listeners += entry.value
            listener_texts += entry.texts
        clusters += proxy_clusters(ctx, pod.proxy_id, pod.namespace)
    if plain:
        listeners += node_listeners(ctx, plain)
        clusters += node_clusters(ctx, plain)
    _check_addresses(listeners)
    if cache is None:
        version = content_version(listeners, clusters)
        return EnvoyConfig(listeners, clusters, version, tuple(ctx.warnings))
    texts = [cluster_texts.get(id(c)) or canonical(c) for c in clusters]
    return EnvoyConfig(
        listeners,
        clusters,
        texts_version(listener_texts, texts),
        tuple(ctx.warnings),
        tuple(listener_texts),
        tuple(texts),
    )


def _cached_clusters(cache: CompileCache, texts: dict[int, str]) -> Any:
    """A `build_cluster` that reuses the last compile's cluster when nothing it is made of
    changed: the service, port, subset, DestinationRule and endpoints (and the proxy)."""
    reprs: dict[int, str] = {}  # this compile's records (alive throughout) → repr

    def key_of(record: Any) -> str:
        found = reprs.get(id(record))
        if found is None:
            found = reprs[id(record)] = repr(record)
        return found

    shared: dict[tuple[int, int, str, int], tuple[str, ...]] = {}  # what proxies share

    def build(
        ctx: Context, proxy_id: str, svc: Service, number: int, subset: str, dr: Obj | None
    ) -> dict[str, Any]:
        made_of = shared.get((id(svc), number, subset, id(dr)))
        if made_of is None:
            labels = subset_labels(dr, subset)
            endpoints(ctx, svc, number, labels)  # remembered for the compile: free below
            known = ctx._endpoints[endpoints_key(svc, number, labels)]
            made_of = (key_of(svc), str(number), subset, key_of(dr) if dr else "", key_of(known))
            shared[(id(svc), number, subset, id(dr))] = made_of
        entry = cache.entry(
            "clusters",
            (proxy_id, ctx.source_address(proxy_id) or "", *made_of),
            lambda: ctx.captured(lambda: build_cluster(ctx, proxy_id, svc, number, subset, dr)),
            lambda cluster: [canonical(cluster)],
        )
        for note in entry.notes:
            ctx.warn(note)
        texts[id(entry.value)] = entry.texts[0]
        return entry.value  # type: ignore[no-any-return]

    return build


def _check_addresses(listeners: list[dict[str, Any]]) -> None:
    seen: dict[tuple[str, int], str] = {}
    for lis in listeners:
        sock = lis["address"]["socket_address"]
        where = (sock["address"], sock["port_value"])
        try:
            address = ipaddress.ip_address(sock["address"])
        except ValueError:
            msg = f"listener {lis['name']}: {sock['address']!r} is not an IP address"
            raise PilotError(msg) from None
        if address.version != 4 or address not in LOOPBACK:
            raise PilotError(f"listener {lis['name']}: {sock['address']} is outside 127.0.0.0/8")
        if where in seen:
            raise PilotError(
                f"listeners {seen[where]} and {lis['name']} both bind {where[0]}:{where[1]}"
            )
        seen[where] = lis["name"]
