"""Shared, session-scoped real processes for the workload tests.

Addresses come from a block of their own (127.10.201.x / 127.20.201.x / 127.30.201.x) so that
these tests do not collide with another suite's local cluster on the same machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from istiotui.local.addresses import pod_ip, sidecar_ip
from istiotui.local.workloads import launcher
from istiotui.local.workloads.launcher import ContainerSpec, RunningContainer
from workloads.forwarder import Forwarder

BLOCK = 201


def ip(k: int) -> str:
    return pod_ip(BLOCK * 254 + k)


IMAGE = "docker.io/istio/examples-bookinfo-{}:1.20.2"
BOOKINFO_PODS = {
    # pod name: (address index, container, image)
    "details-v1-79f774bdb9-kq2xj": (2, "details", IMAGE.format("details-v1")),
    "ratings-v1-5f9699cfdf-7n4mw": (3, "ratings", IMAGE.format("ratings-v1")),
    "reviews-v1-5b667bcbf8-2zrbm": (4, "reviews", IMAGE.format("reviews-v1")),
    "reviews-v2-5b667bcbf8-6xzfn": (5, "reviews", IMAGE.format("reviews-v2")),
    "reviews-v3-7d99fd7f9c-q8x5l": (6, "reviews", IMAGE.format("reviews-v3")),
    "productpage-v1-d5789fdfb-p9hjt": (1, "productpage", IMAGE.format("productpage-v1")),
}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes only once reaped; launcher.stop() reaps.
    return True


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.getpgid(int(entry.name)) == pgid:
                    members.append(int(entry.name))
    return members


async def stop_and_check(containers: list[RunningContainer]) -> None:
    await asyncio.gather(*(launcher.stop(c) for c in containers))
    for c in containers:
        assert c.pid is not None
        assert not alive(c.pid), f"{c.spec.pod} still running"
        assert group_members(c.pid) == [], f"{c.spec.pod}: processes left in its group"


@pytest.fixture(scope="session")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workloads-state")


@dataclass
class Bookinfo:
    pods: dict[str, RunningContainer]
    forwarder: Forwarder
    productpage: str = field(default="")

    def pod(self, prefix: str) -> RunningContainer:
        return next(c for name, c in self.pods.items() if name.startswith(prefix))

    def route_reviews(self, version: str) -> None:
        self.forwarder.routes["reviews:9080"] = f"{self.pod(f'reviews-{version}').spec.pod_ip}:9080"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def bookinfo(root: Path) -> AsyncIterator[Bookinfo]:
    forwarder = Forwarder()
    specs = [
        ContainerSpec("bookinfo", name, container, image, ip(k), root)
        for name, (k, container, image) in BOOKINFO_PODS.items()
    ]
    started = await asyncio.gather(
        *(launcher.start_container(spec) for spec in specs), return_exceptions=True
    )
    ok = [c for c in started if isinstance(c, RunningContainer)]
    try:
        errors = [e for e in started if isinstance(e, BaseException)]
        if errors:
            raise errors[0]
        pods = {c.spec.pod: c for c in ok}
        app = Bookinfo(pods, forwarder)
        forwarder.routes["details:9080"] = f"{app.pod('details').spec.pod_ip}:9080"
        forwarder.routes["ratings:9080"] = f"{app.pod('ratings').spec.pod_ip}:9080"
        for name in ("productpage", "reviews-v1", "reviews-v2", "reviews-v3"):
            await forwarder.listen(sidecar_ip(app.pod(name).spec.pod_ip), 9080)
        app.productpage = f"http://{app.pod('productpage').spec.pod_ip}:9080"
        yield app
    finally:
        await forwarder.close()
        await stop_and_check(ok)


@dataclass
class EchoServer:
    """An in-test HTTP server that counts the connections its clients open."""

    url: str
    connections: set[int] = field(default_factory=set)
    hosts: list[str] = field(default_factory=list)
    mixed_calls: int = 0


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def echo_server() -> AsyncIterator[EchoServer]:
    address = ip(50)
    server = EchoServer(url=f"http://{address}:8080")

    def note(request: web.Request) -> None:
        server.connections.add(id(request.transport))
        server.hosts.append(request.headers.get("Host", ""))

    async def get(request: web.Request) -> web.Response:
        note(request)
        return web.json_response({"headers": dict(request.headers), "url": request.path_qs})

    async def mixed(request: web.Request) -> web.Response:
        # Every fourth call fails: a known count of 503s whatever the calls' order.
        note(request)
        server.mixed_calls += 1
        return web.Response(status=503 if server.mixed_calls % 4 == 0 else 200, text="ok\n")

    async def slow(request: web.Request) -> web.Response:
        note(request)
        await asyncio.sleep(3)
        return web.Response(text="late\n")

    async def redirect(request: web.Request) -> web.Response:
        note(request)
        raise web.HTTPFound("/get")

    async def status(request: web.Request) -> web.Response:
        note(request)
        return web.Response(status=int(request.match_info["code"]), text="status\n")

    app = web.Application()
    app.router.add_get("/get", get)
    app.router.add_get("/mixed", mixed)
    app.router.add_get("/slow", slow)
    app.router.add_get("/redirect", redirect)
    app.router.add_route("*", "/status/{code}", status)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, address, 8080).start()
    try:
        yield server
    finally:
        await runner.cleanup()


def client_pod(root: Path, sidecar: bool = True, k: int = 20) -> ContainerSpec:
    """A curl pod's container (never started: the tests exec into it)."""
    return ContainerSpec(
        "default",
        "curl-6c9d7b8f4-x2kqp",
        "curl",
        "curlimages/curl",
        ip(k),
        root,
        command=["/bin/sleep", "3650d"],
        sidecar=sidecar,
    )
