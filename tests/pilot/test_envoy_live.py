"""The compiled configuration in a real Envoy: requests through a sidecar and the ingress."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import socket
import ssl
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from istiotui.local.addresses import bind_port
from istiotui.local.envoy import ConfigRejected
from istiotui.local.pilot import EnvoyConfig, compile_mesh
from istiotui.local.pilot.stats import proxy_stats

from .conftest import CLIENT_POD, EXTERNAL_HOST, NS, Live
from .mesh_fixtures import load

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="session")]


def vs(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    }


def dr(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    }


SUBSETS = dr(
    "reviews",
    {
        "host": "reviews",
        "subsets": [
            {"name": "v1", "labels": {"version": "v1"}},
            {"name": "v2", "labels": {"version": "v2"}},
        ],
    },
)


def to(subset: str, weight: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"destination": {"host": "reviews", "subset": subset}}
    if weight is not None:
        out["weight"] = weight
    return out


def all_to(subset: str) -> list[dict[str, Any]]:
    return [SUBSETS, vs("reviews", {"hosts": ["reviews"], "http": [{"route": [to(subset)]}]})]


async def get(
    live: Live, path: str, host: str = "reviews:9080", headers: dict[str, str] | None = None,
    session: aiohttp.ClientSession | None = None, port: int = 9080,
) -> tuple[int, str, Any]:  # fmt: skip
    """One request through the client pod's sidecar, on a fresh connection unless given one."""
    own = session is None
    s = session or aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))
    try:
        async with s.get(
            f"http://{live.sidecar}:{port}{path}", headers={"Host": host, **(headers or {})}
        ) as resp:
            return resp.status, await resp.text(), resp.headers
    finally:
        if own:
            await s.close()


async def wait_for_line(path: Path, *needles: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            for line in path.read_text().splitlines():
                if all(n in line for n in needles):
                    return line
        await asyncio.sleep(0.05)
    text = path.read_text() if path.exists() else "(no log file)"
    raise AssertionError(f"no line with {needles} in {path}:\n{text[-3000:]}")


async def test_routing_by_header(live: Live) -> None:
    rule = {"match": [{"headers": {"end-user": {"exact": "jason"}}}], "route": [to("v2")]}
    await live.apply(
        [SUBSETS, vs("reviews", {"hosts": ["reviews"], "http": [rule, {"route": [to("v1")]}]})]
    )
    plain = {(await get(live, "/reviews/0"))[1] for _ in range(10)}
    jason = {(await get(live, "/reviews/0", headers={"end-user": "jason"}))[1] for _ in range(10)}
    assert plain == {"reviews-v1"}
    assert jason == {"reviews-v2"}


async def test_weighted_split_stays_within_a_binomial_bound(live: Live) -> None:
    http = [{"route": [to("v1", 80), to("v2", 20)]}]
    await live.apply([SUBSETS, vs("reviews", {"hosts": ["reviews"], "http": http})])
    n = 400
    async with aiohttp.ClientSession() as s:
        counts = Counter([(await get(live, "/reviews/0", session=s))[1] for _ in range(n)])
    assert set(counts) == {"reviews-v1", "reviews-v2"}
    # Mean 80, sd 8: 40..120 is five standard deviations on each side.
    assert 40 <= counts["reviews-v2"] <= 120, counts


async def test_fault_abort_answers_500_with_flag_fi(live: Live) -> None:
    rule = {
        "match": [{"headers": {"end-user": {"exact": "jason"}}}],
        "fault": {"abort": {"httpStatus": 500, "percentage": {"value": 100.0}}},
        "route": [to("v1")],
    }
    delayed = {
        "match": [{"headers": {"end-user": {"exact": "delayed"}}}],
        "fault": {"delay": {"fixedDelay": "0.2s", "percentage": {"value": 100.0}}},
        "route": [to("v2")],
    }
    http = [rule, delayed, {"route": [to("v1")]}]
    await live.apply([SUBSETS, vs("reviews", {"hosts": ["reviews"], "http": http})])
    slow = await get(live, "/reviews/delay-check", headers={"end-user": "delayed"})
    assert slow[:2] == (200, "reviews-v2")
    await wait_for_line(live.log(NS, CLIENT_POD), "/reviews/delay-check", " 200 DI ")
    status, _, _ = await get(live, "/reviews/fault-check", headers={"end-user": "jason"})
    assert status == 500
    assert (await get(live, "/reviews/0"))[0] == 200
    line = await wait_for_line(live.log(NS, CLIENT_POD), "/reviews/fault-check", " 500 FI ")
    assert "fault_filter_abort" in line


async def test_circuit_breaker_overflows_under_concurrency(live: Live) -> None:
    rule = dr(
        "slow",
        {
            "host": "slow",
            "trafficPolicy": {
                "connectionPool": {
                    "tcp": {"maxConnections": 1},
                    "http": {"http1MaxPendingRequests": 1, "maxRequestsPerConnection": 1},
                }
            },
        },
    )
    await live.apply([rule])
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
        # Six at once, each held 0.5 s upstream: one runs, one waits, the rest overflow.
        results = await asyncio.gather(
            *(get(live, f"/slow/{i}", host="slow:8000", port=8000, session=s) for i in range(6))
        )
    codes = Counter(status for status, _, _ in results)
    assert codes[200] >= 1 and codes[503] >= 1, codes
    overloaded = [h for status, _, h in results if status == 503]
    assert all(h.get("x-envoy-overloaded") == "true" for h in overloaded)
    line = await wait_for_line(live.log(NS, CLIENT_POD), "/slow/", " 503 UO ")
    assert "outbound|8000||slow.demo.svc.cluster.local" in line
    # The client pod's own statistics, as `pilot-agent request GET stats` would show them.
    mine = proxy_stats(await live.envoy.admin("/stats"), f"{CLIENT_POD}.{NS}")
    overflow = "cluster.outbound|8000||slow.demo.svc.cluster.local.upstream_rq_pending_overflow: "
    (count,) = [int(x.split(": ")[1]) for x in mine.splitlines() if x.startswith(overflow)]
    assert count == codes[503]
    assert "istio-ingressgateway" not in mine.replace("istio-ingressgateway.istio-system.svc", "")


async def test_mirror_sends_a_shadow_copy_to_v2(live: Live) -> None:
    http = [{"route": [to("v1", 100)], "mirror": {"host": "reviews", "subset": "v2"},
             "mirrorPercentage": {"value": 100.0}}]  # fmt: skip
    await live.apply([SUBSETS, vs("reviews", {"hosts": ["reviews"], "http": http})])
    status, body, _ = await get(live, "/reviews/mirror-check")
    assert (status, body) == (200, "reviews-v1")
    v2 = live.backends["reviews-v2"]
    deadline = time.monotonic() + 10
    while not any(s["path"] == "/reviews/mirror-check" for s in v2.seen):
        assert time.monotonic() < deadline, "v2 never saw the mirrored request"
        await asyncio.sleep(0.02)
    seen = next(s for s in v2.seen if s["path"] == "/reviews/mirror-check")
    assert seen["host"] == "reviews-shadow:9080"


def ingress_rules() -> list[dict[str, Any]]:
    gateway = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "web-gateway", "namespace": NS},
        "spec": {
            "selector": {"istio": "ingressgateway"},
            "servers": [
                {"port": {"number": 80, "name": "http", "protocol": "HTTP"},
                 "hosts": ["web.example.com"]}
            ],
        },
    }  # fmt: skip
    route = {
        "hosts": ["web.example.com"],
        "gateways": ["web-gateway"],
        "http": [
            {
                "match": [{"uri": {"prefix": "/status"}}],
                "route": [{"destination": {"host": "reviews", "port": {"number": 9080}}}],
            }
        ],
    }
    return [gateway, vs("web", route)]


async def test_ingress_routes_known_paths_and_404s_the_rest(live: Live) -> None:
    await live.apply(ingress_rules())
    host, port = live.ingress
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:

        async def status(path: str, h: str) -> int:
            async with s.get(f"http://{host}:{port}{path}", headers={"Host": h}) as resp:
                return resp.status

        assert await status("/status/200", "web.example.com") == 200
        assert await status("/headers", "web.example.com") == 404
        assert await status("/status/200", "unknown.example.com") == 404
    gw_log = next(live.log_dir.glob("istio-system/istio-ingressgateway-*/istio-proxy.log"))
    line = await wait_for_line(gw_log, "/headers", " 404 NR route_not_found ")
    assert '"web.example.com"' in line


async def test_sidecar_reports_ready_once_configured(live: Live) -> None:
    await live.apply(all_to("v1"))
    async with (
        aiohttp.ClientSession() as s,
        s.get(f"http://{live.sidecar}:15021/healthz/ready") as resp,
    ):
        assert resp.status == 200


async def test_apply_returns_when_the_new_routing_is_live(live: Live) -> None:
    # Kept-alive connections too: routes are replaced in place (RDS), not by draining listeners.
    async with aiohttp.ClientSession() as kept:
        for subset in ("v1", "v2", "v1", "v2", "v1", "v2"):
            await live.apply(all_to(subset))
            assert (await get(live, "/reviews/0"))[:2] == (200, f"reviews-{subset}")
            assert (await get(live, "/reviews/0", session=kept))[:2] == (200, f"reviews-{subset}")


async def test_rejected_config_raises_and_the_old_one_keeps_serving(live: Live) -> None:
    good = await live.apply(all_to("v1"))
    # A listener on an address another process holds: Envoy refuses to bind it.
    with socket.socket() as taken:
        taken.bind((live.sidecar, 0))
        taken.listen()
        busy_port = taken.getsockname()[1]
        extra = dict(good.listeners[-1])
        extra["name"] = "busy"
        extra["address"] = {"socket_address": {"address": live.sidecar, "port_value": busy_port}}
        listeners = [*good.listeners, extra]
        bad = dataclasses.replace(good, listeners=listeners, version="rejected-lds")
        with pytest.raises(ConfigRejected, match="busy") as info:
            await live.envoy.apply(bad)
        assert "Address already in use" in str(info.value) or "cannot bind" in str(info.value)
    assert (await get(live, "/reviews/0"))[1] == "reviews-v1"
    duplicate = dataclasses.replace(
        good, clusters=[*good.clusters, good.clusters[-1]], version="rejected-cds"
    )
    with pytest.raises(ConfigRejected, match=r"clusters \(CDS\): .*duplicate cluster"):
        await live.envoy.apply(duplicate)
    assert live.envoy.current is not None and live.envoy.current.version == good.version
    assert (await get(live, "/reviews/0"))[1] == "reviews-v1"
    # A route table Envoy refuses (a lookahead: RE2 has none) is named in the error.
    bad_regex = {"match": [{"uri": {"regex": "/(?=reviews)"}}], "route": [to("v2")]}
    rules = [SUBSETS, vs("reviews", {"hosts": ["reviews"], "http": [bad_regex]})]
    with pytest.raises(
        ConfigRejected,
        match=r"route table 9080 of client-.*\(outbound_0\.0\.0\.0_9080, RDS\): .*perl",
    ):
        await live.apply(rules)
    assert (await get(live, "/reviews/0"))[1] == "reviews-v1"
    # The next good apply still works after the refusals.
    await live.apply(all_to("v2"))
    assert (await get(live, "/reviews/0"))[1] == "reviews-v2"


async def test_killed_envoy_is_restarted_with_the_current_config(live: Live) -> None:
    config: EnvoyConfig = await live.apply(all_to("v2"))
    pid, restarts = live.envoy.pid, live.envoy.restarts
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while live.envoy.restarts == restarts:
        assert time.monotonic() < deadline, "envoy was not restarted"
        await asyncio.sleep(0.05)
    assert live.envoy.pid not in (None, pid)
    status, body, _ = await get(live, "/reviews/0")
    assert (status, body) == (200, "reviews-v2")
    # apply() keeps working against the new process.
    await live.apply(all_to("v1"))
    assert (await get(live, "/reviews/0"))[1] == "reviews-v1"
    assert config.version != live.envoy.current.version  # type: ignore[union-attr]


async def https_via_sidecar(live: Live, path: str) -> str:
    """An HTTPS request as curl in the client pod makes it: TLS with SNI to the sidecar's 443
    (bound where an ordinary user may, as every privileged port of the cluster)."""
    tls = ssl.create_default_context(cafile=str(live.certs / "cert.pem"))
    reader, writer = await asyncio.open_connection(
        live.sidecar, bind_port(live.sidecar, 443), ssl=tls, server_hostname=EXTERNAL_HOST
    )
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {EXTERNAL_HOST}\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        return (await asyncio.wait_for(reader.read(), 10)).decode()
    finally:
        writer.close()


async def test_service_entry_and_egress_gateway_pass_tls_through(live: Live) -> None:
    entry, gateway, rule, route = load("egress-cnn.yaml")
    await live.apply([entry])
    answer = await https_via_sidecar(live, "/politics?direct")
    assert answer.startswith("HTTP/1.1 200") and answer.endswith("cnn-standin")
    client_log = live.log(NS, CLIENT_POD)
    line = await wait_for_line(client_log, "outbound|443||edition.cnn.com", EXTERNAL_HOST)
    assert "127.30.200.1" in line

    await live.apply([entry, gateway, rule, route])
    answer = await https_via_sidecar(live, "/politics?via-gateway")
    assert answer.startswith("HTTP/1.1 200") and answer.endswith("cnn-standin")
    await wait_for_line(
        client_log, "outbound|443|cnn|istio-egressgateway.istio-system.svc.cluster.local"
    )
    gw_log = next(live.log_dir.glob("istio-system/istio-egressgateway-*/istio-proxy.log"))
    line = await wait_for_line(gw_log, "outbound|443||edition.cnn.com")
    assert f" {EXTERNAL_HOST} " in line  # the SNI the gateway matched
    seen = [s["path"] for s in live.backends["cnn-standin"].seen]
    assert seen == ["/politics?direct", "/politics?via-gateway"]


async def test_unknown_hosts_fail_as_the_outbound_policy_says(live: Live) -> None:
    await live.apply(all_to("v1"))
    status, _, _ = await get(live, "/unknown-allow", host="unknown.example.org")
    assert status == 503  # ALLOW_ANY: PassthroughCluster has nowhere to go on loopback
    await wait_for_line(
        live.log(NS, CLIENT_POD), "/unknown-allow", " 503 UH ", "PassthroughCluster"
    )
    blocking = dataclasses.replace(live.options, outbound_policy="REGISTRY_ONLY")
    await live.envoy.apply(compile_mesh([*live.base_objects, *all_to("v1")], blocking))
    assert (await get(live, "/unknown-block", host="unknown.example.org"))[0] == 502
    assert (await get(live, "/reviews/0"))[1] == "reviews-v1"
