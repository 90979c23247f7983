"""`pods/NAME/portforward` over WebSocket: one TCP connection per requested port, to the pod's
own listener (pod IP : port), as a kubelet makes it inside the pod's network namespace.

Two framings: the plain channel protocol the kubernetes Python client speaks (see channels), and
SPDY/3.1 tunnelled in the WebSocket, which kubectl ≥ 1.31 asks for (portforward_spdy). Plain
SPDY (kubectl's fallback, and older kubectl) is answered with a Status that says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import os

from aiohttp import WSMsgType, web

from istiotui.local import channels as ch
from istiotui.local import status as st
from istiotui.local.addresses import bind_port
from istiotui.local.context import Context
from istiotui.local.portforward_spdy import SpdySession
from istiotui.local.routes_exec import POD_PATH, running_pod

CONNECT_TIMEOUT = 5.0
READ_CHUNK = 64 * 1024


def _ports(request: web.Request) -> list[int]:
    ports: list[int] = []
    for value in request.query.getall("ports", []):
        for item in value.split(","):
            try:
                port = int(item)
            except ValueError:
                raise st.bad_request(f"invalid port {item!r} in ports={value!r}") from None
            if not 0 < port < 65536 or port in ports:
                raise st.bad_request(f"invalid or repeated port {port} in ports={value!r}")
            ports.append(port)
    if not ports:
        raise st.bad_request("port-forward needs at least one port (query parameter ports)")
    return ports


def _websocket_only(request: web.Request) -> None:
    if request.headers.get("Upgrade", "").lower() != "websocket":
        raise st.ApiError(
            400,
            "BadRequest",
            "port-forward on the local cluster is served over WebSocket only: the channel "
            f"protocol ({', '.join(ch.PORTFORWARD_PROTOCOLS)}) or SPDY/3.1 tunnelled in it "
            f"({ch.SPDY_TUNNEL}, kubectl 1.31 and newer); plain SPDY is not served",
        )


async def portforward(request: web.Request, ctx: Context) -> web.StreamResponse:
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    pod = running_pod(ctx, namespace, name)
    _websocket_only(request)
    offered = request.headers.get("Sec-WebSocket-Protocol", "")
    if ch.SPDY_TUNNEL in [p.strip() for p in offered.split(",")]:
        # kubectl: its ports travel in SPDY stream headers, not in the query.
        ws = web.WebSocketResponse(protocols=(ch.SPDY_TUNNEL,), autoping=True)
        await ws.prepare(request)
        await SpdySession(ws, name, pod["status"]["podIP"]).run()
        return ws
    ports = _ports(request)
    ws = web.WebSocketResponse(protocols=ch.PORTFORWARD_PROTOCOLS, autoping=True)
    ready = ws.can_prepare(request)
    if not ready.ok or ready.protocol is None:
        offered = request.headers.get("Sec-WebSocket-Protocol", "none")
        raise st.bad_request(
            f"port-forward needs one of the subprotocols {', '.join(ch.PORTFORWARD_PROTOCOLS)}; "
            f"offered: {offered}"
        )
    await ws.prepare(request)
    await _Forward(ws, name, pod["status"]["podIP"], ports).run()
    return ws


class _Forward:
    def __init__(self, ws: web.WebSocketResponse, pod: str, pod_ip: str, ports: list[int]):
        self.ws, self.pod, self.pod_ip, self.ports = ws, pod, pod_ip, ports
        self.writers: dict[int, asyncio.StreamWriter] = {}

    async def run(self) -> None:
        for i, port in enumerate(self.ports):
            await self.ws.send_bytes(ch.frame(ch.data_channel(i), ch.port_prefix(port)))
            await self.ws.send_bytes(ch.frame(ch.error_channel(i), ch.port_prefix(port)))
        pumps = []
        for i, port in enumerate(self.ports):
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.pod_ip, bind_port(self.pod_ip, port)),
                    CONNECT_TIMEOUT,
                )
            except (OSError, TimeoutError) as exc:
                errno = exc.errno if isinstance(exc, OSError) else None
                reason = os.strerror(errno) if errno else "i/o timeout"
                message = (
                    f"error forwarding port {port} to pod {self.pod}: "
                    f"dial tcp {self.pod_ip}:{port}: {reason.lower()}"
                )
                await self.ws.send_bytes(ch.frame(ch.error_channel(i), message.encode()))
                continue
            self.writers[i] = writer
            pumps.append(asyncio.create_task(self._to_client(i, reader)))
        if not pumps:
            await self.ws.close()
            return
        from_client = asyncio.create_task(self._from_client())
        try:
            # One connection per port: when the pod closes one, the client learns by the close.
            await asyncio.wait([*pumps, from_client], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (*pumps, from_client):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await task
            for writer in self.writers.values():
                writer.close()
            await self.ws.close()

    async def _to_client(self, index: int, reader: asyncio.StreamReader) -> None:
        channel = ch.data_channel(index)
        while chunk := await reader.read(READ_CHUNK):
            if self.ws.closed:
                return
            await self.ws.send_bytes(ch.frame(channel, chunk))

    async def _from_client(self) -> None:
        async for msg in self.ws:
            if msg.type != WSMsgType.BINARY or not msg.data:
                continue
            channel, payload = ch.parse(msg.data)
            index, is_error = ch.port_index(channel)
            writer = self.writers.get(index)
            if channel == ch.CLOSE or is_error or writer is None or not payload:
                continue
            writer.write(payload)
            await writer.drain()


def add_routes(app: web.Application, ctx: Context) -> None:
    """Serve `…/pods/NAME/portforward` (GET, and POST answered with a Status)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return await portforward(request, ctx)

    app.router.add_route("*", POD_PATH + "portforward", handler)
