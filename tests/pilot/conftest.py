"""One real Envoy for the pilot's live tests, with small HTTP backends on pod addresses."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest_asyncio
from aiohttp import web

from istiotui.local.addresses import pod_ip, sidecar_ip
from istiotui.local.envoy import EnvoySupervisor
from istiotui.local.pilot import EnvoyConfig, PilotOptions, compile_mesh

from .mesh_fixtures import gateway_pods, pod, service

NS = "demo"
# Pod indices far from the ones a running local cluster hands out first (127.10.200.x).
BASE = 254 * 200
CLIENT_POD = "client-5d9c7b6f4-q8x2z"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Backend:
    """An app container: answers with its name and remembers what it was asked."""

    name: str
    address: str
    port: int
    delay: float = 0.0
    seen: list[dict[str, str]] = field(default_factory=list)
    runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append({"host": request.host, "path": request.path_qs})
        if request.path.startswith("/slow"):
            await asyncio.sleep(self.delay)
        return web.Response(text=self.name)

    async def start(self, tls: ssl.SSLContext | None = None) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, self.address, self.port, ssl_context=tls).start()


EXTERNAL_HOST = "edition.cnn.com"


def self_signed(directory: Path) -> Path:
    """A certificate for the external host's stand-in (the client trusts exactly this one)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the egress tests need the openssl command (Debian package openssl)")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem"),
         "-subj", f"/CN={EXTERNAL_HOST}", "-addext", f"subjectAltName=DNS:{EXTERNAL_HOST}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return directory


@dataclass
class Live:
    envoy: EnvoySupervisor
    options: PilotOptions
    backends: dict[str, Backend]
    base_objects: list[dict[str, Any]]
    sidecar: str
    ingress: tuple[str, int]
    log_dir: Path
    certs: Path

    def compile(self, rules: list[dict[str, Any]]) -> EnvoyConfig:
        return compile_mesh(self.base_objects + rules, self.options)

    async def apply(self, rules: list[dict[str, Any]]) -> EnvoyConfig:
        config = self.compile(rules)
        await self.envoy.apply(config)
        return config

    def log(self, namespace: str, pod_name: str) -> Path:
        return self.log_dir / namespace / pod_name / "istio-proxy.log"


def mesh_objects() -> list[dict[str, Any]]:
    objs = [
        service("reviews", NS, 9080),
        pod("reviews-v1-7f6c9-aaaaa", NS, {"app": "reviews", "version": "v1"}, BASE + 1, False),
        pod("reviews-v2-7f6c9-bbbbb", NS, {"app": "reviews", "version": "v2"}, BASE + 2, False),
        service("slow", NS, 8000, 8080),
        pod("slow-v1-6b8d7-ccccc", NS, {"app": "slow", "version": "v1"}, BASE + 3, False),
        pod(CLIENT_POD, NS, {"app": "client"}, BASE + 10),
    ]
    return objs + gateway_pods(BASE + 20)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def live(tmp_path_factory: Any) -> AsyncIterator[Live]:
    state = tmp_path_factory.mktemp("envoy-state")
    backends = {
        "reviews-v1": Backend("reviews-v1", pod_ip(BASE + 1), 9080),
        "reviews-v2": Backend("reviews-v2", pod_ip(BASE + 2), 9080),
        "slow-v1": Backend("slow-v1", pod_ip(BASE + 3), 8080, delay=0.5),
    }
    envoy = EnvoySupervisor(state, admin_port=free_port())
    envoy_started = False
    try:
        for b in backends.values():
            await b.start()
        # The external host's stand-in: TLS on an address only the mesh's clusters point at.
        certs = self_signed(tmp_path_factory.mktemp("certs"))
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(certs / "cert.pem", certs / "key.pem")
        external = Backend("cnn-standin", "127.30.200.1", free_port())
        backends[external.name] = external
        await external.start(tls)
        # The ingress gateway's pod (the first gateway of the lab's operators) on its target port.
        ingress = (pod_ip(BASE + 21), 8080)
        options = PilotOptions(
            log_dir=state / "logs",
            external_hosts={EXTERNAL_HOST: (external.address, external.port)},
        )
        envoy_started = True  # stop() is safe on a half-started supervisor too
        await envoy.start()
        yield Live(
            envoy, options, backends, mesh_objects(), sidecar_ip(pod_ip(BASE + 10)), ingress,
            state / "logs", certs,
        )  # fmt: skip
    finally:
        if envoy_started:
            await envoy.stop()
        for b in backends.values():
            if b.runner is not None:
                await b.runner.cleanup()
