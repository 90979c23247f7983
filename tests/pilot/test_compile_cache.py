"""A compile that keeps its work between compiles gives what a fresh compile gives, and builds
again only what a change touched."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from istiotui.local.pilot import EnvoyConfig, PilotOptions, compile_mesh
from istiotui.local.pilot.compile_cache import CompileCache
from istiotui.local.pilot.names import METADATA_NS

from .mesh_fixtures import bookinfo, load


def versioned(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The objects as the store holds them: each with a resourceVersion."""
    out = copy.deepcopy(objects)
    for i, obj in enumerate(out):
        obj.setdefault("metadata", {})["resourceVersion"] = str(i + 1)
    return out


def bump(obj: dict[str, Any]) -> None:
    meta = obj["metadata"]
    meta["resourceVersion"] = str(int(meta["resourceVersion"]) + 1000)


def same(a: EnvoyConfig, b: EnvoyConfig) -> None:
    assert a.listeners == b.listeners
    assert a.clusters == b.clusters
    assert a.warnings == b.warnings
    assert a.version == b.version
    assert a.texts() == b.texts()


def named(objects: list[dict[str, Any]], kind: str, prefix: str) -> dict[str, Any]:
    return next(
        o for o in objects if o["kind"] == kind and o["metadata"]["name"].startswith(prefix)
    )


def test_changes_one_at_a_time_give_what_a_fresh_compile_gives(tmp_path: Path) -> None:
    options = PilotOptions(log_dir=tmp_path / "logs")
    cache = CompileCache()
    objects = versioned(bookinfo() + load("bookinfo-rules.yaml"))
    same(compile_mesh(objects, options, cache), compile_mesh(objects, options))
    total = sum(cache.built.values())

    # A pod's readiness: its endpoints change in every proxy's clusters for its service; of the
    # listeners, only its own proxy's are built again (its record changed).
    pod = named(objects, "Pod", "reviews-v2")
    pod.setdefault("status", {})["conditions"] = [{"type": "Ready", "status": "False"}]
    bump(pod)
    config = compile_mesh(objects, options, cache)
    same(config, compile_mesh(objects, options))
    assert cache.built["listeners"] == 1
    proxies = len({c["metadata"]["filter_metadata"][METADATA_NS]["proxy"] for c in config.clusters})
    # reviews' cluster and its v2 subset's, in each proxy
    assert cache.built["clusters"] == 2 * proxies, cache.built
    # The rest reused; Blackhole and Passthrough (two per proxy) and the inbound clusters (one
    # per port of each sidecar's pod) are not kept: built each time.
    inbound = sum(
        c["metadata"]["filter_metadata"][METADATA_NS]["istio_name"].startswith("inbound|")
        for c in config.clusters
    )
    assert inbound > 0
    assert cache.reused["clusters"] == len(config.clusters) - 2 * proxies - 2 * proxies - inbound

    # A status write that changes nothing the pilot reads: no compile at all.
    pod["status"]["startTime"] = "2026-12-07T14:00:00Z"
    bump(pod)
    assert compile_mesh(objects, options, cache) is config
    assert cache.built == {}

    # One VirtualService: listeners again (their routes), no cluster.
    vs = next(o for o in objects if o["kind"] == "VirtualService")
    vs["spec"]["http"][0]["route"][0]["destination"]["subset"] = "v2"
    bump(vs)
    same(compile_mesh(objects, options, cache), compile_mesh(objects, options))
    assert "clusters" not in cache.built
    assert cache.built["listeners"] >= 1

    # A Service removed: the caches forget it, the result still matches.
    objects.remove(named(objects, "Service", "ratings"))
    same(compile_mesh(objects, options, cache), compile_mesh(objects, options))
    assert sum(cache.reused.values()) < total


def test_objects_without_resource_version_are_read_every_time(tmp_path: Path) -> None:
    options = PilotOptions(log_dir=tmp_path / "logs")
    cache = CompileCache()
    objects = bookinfo()
    compile_mesh(objects, options, cache)
    pod = named(objects, "Pod", "details")
    pod["status"]["podIP"] = "127.10.0.200"
    config = compile_mesh(objects, options, cache)
    same(config, compile_mesh(objects, options))
    assert any("127.10.0.200" in text for text in config.texts()[1])


def test_the_mesh_configs_outbound_policy_rebuilds_the_listeners(tmp_path: Path) -> None:
    # A kept listener that still sent an external host to PassthroughCluster after the install
    # switched to REGISTRY_ONLY would name a cluster that is gone (NC instead of BlackHole's UH).
    options = PilotOptions(
        log_dir=tmp_path / "logs", external_hosts={"edition.cnn.com": ("127.250.0.9", 443)}
    )
    operator = {
        "apiVersion": "install.istio.io/v1alpha1",
        "kind": "IstioOperator",
        "metadata": {"name": "installed-state", "namespace": "istio-system",
                     "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"meshConfig": {"outboundTrafficPolicy": {"mode": "ALLOW_ANY"}}},
    }  # fmt: skip
    objects = versioned([*bookinfo(), operator])
    cache = CompileCache()
    allow = compile_mesh(objects, options, cache)
    assert any("PassthroughCluster|edition.cnn.com" in c["name"] for c in allow.clusters)
    live = named(objects, "IstioOperator", "installed-state")
    live["spec"]["meshConfig"]["outboundTrafficPolicy"]["mode"] = "REGISTRY_ONLY"
    bump(live)
    registry_only = compile_mesh(objects, options, cache)
    same(registry_only, compile_mesh(objects, options))
    assert not any("PassthroughCluster|" in c["name"] for c in registry_only.clusters)
