"""Test scaffolding: a minimal Host-header forwarder standing where a pod's sidecar listens.

It only routes (Host → one backend address) so that the workloads' own behaviour can be tested
without Envoy; it answers 503 when the backend cannot be reached, as any proxy would, and can
hold a request back for a while (to exercise productpage's timeouts). It records what it
forwarded, which is how the tests observe the headers a workload sends. It is not a model of
Envoy: the mesh itself is tested with the real Envoy elsewhere.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


@dataclass
class Seen:
    sidecar: str
    host: str
    path: str
    headers: dict[str, str]
    connection: int


@dataclass
class Forwarder:
    routes: dict[str, str] = field(default_factory=dict)  # "reviews:9080" -> "127.10.x.y:9080"
    delays: dict[str, float] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    runners: list[web.AppRunner] = field(default_factory=list)
    session: aiohttp.ClientSession | None = None

    def reset(self) -> None:
        self.delays.clear()
        self.seen.clear()

    def for_host(self, host: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.host == host]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        host = request.headers.get("Host", "")
        sidecar = request.transport.get_extra_info("sockname")[0] if request.transport else ""
        self.seen.append(
            Seen(
                sidecar,
                host,
                request.path_qs,
                {k.lower(): v for k, v in request.headers.items()},
                id(request.transport),
            )
        )
        if host in self.delays:
            await asyncio.sleep(self.delays[host])
        backend = self.routes.get(host)
        if backend is None:
            return web.Response(status=404, text=f"no route for {host}\n")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        assert self.session is not None
        try:
            async with self.session.request(
                request.method,
                f"http://{backend}{request.path_qs}",
                headers=headers,
                data=await request.read(),
            ) as resp:
                body = await resp.read()
                out = {k: v for k, v in resp.headers.items() if k.lower() not in HOP_BY_HOP}
                return web.Response(status=resp.status, body=body, headers=out)
        except aiohttp.ClientError:
            return web.Response(status=503, text="upstream connect error\n")

    async def listen(self, address: str, port: int) -> None:
        if self.session is None:
            self.session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        await web.TCPSite(runner, address, port).start()
        self.runners.append(runner)

    async def close(self) -> None:
        for runner in self.runners:
            await runner.cleanup()
        if self.session is not None:
            await self.session.close()


async def tcp_relay(address: str, port: int, backend: tuple[str, int]) -> asyncio.Server:
    """A byte-for-byte TCP relay (TLS passes through untouched, as the sidecar passes it)."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*backend)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    return await asyncio.start_server(serve, address, port)
