"""The probe engine against a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from istiotui.cli.main import main
from istiotui.traffic.engine import LoginFailed, ProbeSpec, Target, run_probe


@dataclass
class Seen:
    in_flight: int = 0
    peak: int = 0
    connections: set[int] = field(default_factory=set)
    hosts: list[str] = field(default_factory=list)
    users: list[str | None] = field(default_factory=list)
    count: int = 0


def page(version: str, user: str | None) -> str:
    who = f"<p>Signed in as {user}</p>" if user else ""
    return f"<html>{who}<p>Reviews served by:</p><p>reviews-{version}-7f9c-abcde</p></html>"


def build_app(seen: Seen) -> web.Application:
    async def productpage(request: web.Request) -> web.Response:
        seen.in_flight += 1
        seen.peak = max(seen.peak, seen.in_flight)
        seen.count += 1
        version = "v1" if seen.count % 2 else "v3"  # decided on arrival: alternates exactly
        transport = request.transport
        seen.connections.add(id(transport))
        seen.hosts.append(request.host)
        user = request.cookies.get("user")
        seen.users.append(user)
        await asyncio.sleep(0.01)
        seen.in_flight -= 1
        return web.Response(text=page(version, user), content_type="text/html")

    async def login(request: web.Request) -> web.Response:
        form = await request.post()
        resp = web.HTTPFound("/productpage")
        resp.set_cookie("user", str(form["username"]))
        raise resp

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(text="late")

    app = web.Application()
    app.add_routes(
        [web.get("/productpage", productpage), web.post("/login", login), web.get("/slow", slow)]
    )
    return app


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, Seen]]:
    seen = Seen()
    runner = web.AppRunner(build_app(seen))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


async def test_counts_per_version_and_streams_each_response(server) -> None:
    base, seen = server
    streamed = []
    run = await run_probe(
        ProbeSpec("/productpage", count=40, concurrency=4, classify="reviews-version"),
        Target(base),
        streamed.append,
    )
    assert run.summary.total == 40 == len(streamed) == seen.count
    assert run.summary.classes == {"v1": 20, "v3": 20}
    assert run.summary.statuses == {200: 40}


async def test_concurrency_is_a_ceiling_and_connections_are_kept(server) -> None:
    base, seen = server
    await run_probe(ProbeSpec("/productpage", count=30, concurrency=3), Target(base))
    assert seen.peak == 3
    assert len(seen.connections) == 3


async def test_new_connection_per_request_when_keepalive_is_off(server) -> None:
    base, seen = server
    await run_probe(
        ProbeSpec("/productpage", count=10, concurrency=1, keepalive=False), Target(base)
    )
    assert len(seen.connections) == 10


async def test_host_header_and_login_cookie_are_sent(server) -> None:
    base, seen = server
    run = await run_probe(
        ProbeSpec("/productpage", count=3, host="bookinfo.example.com", user="jason"),
        Target(base),
    )
    assert set(seen.hosts) == {"bookinfo.example.com"}
    assert seen.users == ["jason"] * 3
    assert all("Signed in as jason" in r.body for r in run.responses)


async def test_timeouts_and_refusals_are_recorded_not_raised(server) -> None:
    base, _ = server
    run = await run_probe(ProbeSpec("/slow", count=2, concurrency=2, timeout=0.2), Target(base))
    assert run.summary.errors == 2 and run.summary.total == 2
    assert all(r.status is None and "Timeout" in (r.error or "") for r in run.responses)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    refused = await run_probe(ProbeSpec("/", count=1), Target(f"http://127.0.0.1:{closed}"))
    assert refused.responses[0].status is None
    assert refused.summary.classes == {"no-answer": 1}


async def test_resolve_to_sends_every_name_to_one_address(server) -> None:
    base, seen = server
    port = base.rsplit(":", 1)[1]
    run = await run_probe(
        ProbeSpec(f"http://reviews.bookinfo:{port}/productpage", count=2),
        Target(resolve_to="127.0.0.1"),
    )
    assert run.summary.statuses == {200: 2}
    assert set(seen.hosts) == {f"reviews.bookinfo:{port}"}


async def test_qps_paces_the_requests(server) -> None:
    base, _ = server
    run = await run_probe(ProbeSpec("/productpage", count=5, qps=50), Target(base))
    # Five requests at 50/s start 20 ms apart: the last cannot start before 80 ms.
    assert run.summary.elapsed >= 0.08


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": -1}, "count: must be ≥ 1, got -1"),
        ({"concurrency": 0}, "concurrency: must be ≥ 1, got 0"),
        ({"qps": -2}, "qps: must be ≥ 0, got -2"),
        ({"timeout": 0}, "timeout: must be > 0, got 0"),
        ({"classify": "colour"}, "unknown classifier 'colour'"),
        ({"url": "ftp://x/"}, "url: 'ftp://x/' is not an http"),
        ({"url": "notaurl"}, "url: 'notaurl' is neither a path"),
    ],
)
def test_bad_specs_are_refused_naming_the_field(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        ProbeSpec(**{"url": "/", **kwargs})


async def test_login_on_a_full_url_uses_its_origin(server) -> None:
    base, seen = server
    run = await run_probe(ProbeSpec(f"{base}/productpage", count=2, user="jason"), Target())
    assert run.summary.statuses == {200: 2}
    assert seen.users == ["jason", "jason"]


async def test_a_failed_login_names_the_user_and_the_url(server) -> None:
    base, _ = server
    with pytest.raises(
        LoginFailed,
        match=r"login as jason at http://127\.0\.0\.1:\d+/nowhere/login failed: HTTP 404",
    ):
        await run_probe(ProbeSpec("/productpage", user="jason"), Target(base + "/nowhere"))


async def test_probe_command_prints_a_fortio_like_summary(server, capsys) -> None:
    base, _ = server
    # The command runs its own event loop: give it a thread while this loop serves.
    code = await asyncio.to_thread(main, ["probe", f"{base}/productpage", "-n", "6", "-c", "2"])
    assert code == 0
    out = capsys.readouterr().out
    assert "Code 200 : 6 (100.0 %)" in out
    assert "reviews-version: v1 3 (50.0 %), v3 3 (50.0 %)" in out


async def test_bodies_sent_in_pieces_are_read_whole() -> None:
    # A page that arrives in several segments (as Bookinfo's does under load) must not be cut.
    async def slow_page(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        for part in ("<p>Reviews served by:</p>", "<p>reviews-", "v2-abc-def</p>"):
            await resp.write(part.encode())
            await asyncio.sleep(0.02)
        await resp.write_eof()
        return resp

    app = web.Application()
    app.add_routes([web.get("/productpage", slow_page)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        run = await run_probe(
            ProbeSpec("/productpage", count=3, classify="reviews-version"),
            Target(f"http://127.0.0.1:{port}"),
        )
    finally:
        await runner.cleanup()
    assert run.summary.classes == {"v2": 3}


def test_probe_without_the_port_forward_says_how_to_open_it(capsys) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on once this block ends
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["probe", f"http://localhost:{port}/productpage", "-n", "2"]) == 1
    err = capsys.readouterr().err
    assert f"nothing answers on localhost:{port}" in err
    assert f"kubectl port-forward svc/istio-ingressgateway -n istio-system {port}:80" in err
