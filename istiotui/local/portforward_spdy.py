"""kubectl's port-forward: SPDY/3.1 tunnelled in a WebSocket (`SPDY/3.1+portforward.k8s.io`).

Every binary WebSocket message carries the next bytes of one SPDY session. For each connection
made to its local port, kubectl opens two streams with the same `requestID`: `streamType: error`
then `streamType: data`, both naming the `port`. Once both are there the pod's port is dialled;
bytes flow as DATA frames on the data stream, and a failure is written on the error stream. A FIN
from either side closes that direction; RST_STREAM or GOAWAY ends connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from istiotui.local import spdy
from istiotui.local.addresses import bind_port

CONNECT_TIMEOUT = 5.0
READ_CHUNK = 32 * 1024


@dataclass
class _Pair:
    port: int
    error: int | None = None  # stream ids
    data: int | None = None
    writer: asyncio.StreamWriter | None = None
    tasks: list[asyncio.Task] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # dialled, or failed to


class SpdySession:
    def __init__(self, ws: web.WebSocketResponse, pod: str, pod_ip: str) -> None:
        self.ws, self.pod, self.pod_ip = ws, pod, pod_ip
        self.codec = spdy.Codec()
        self.pairs: dict[str, _Pair] = {}
        self.by_stream: dict[int, _Pair] = {}
        self._send_lock = asyncio.Lock()
        self._last_stream = 0

    async def run(self) -> None:
        try:
            async for msg in self.ws:
                if msg.type != WSMsgType.BINARY:
                    continue
                for frame in self.codec.feed(msg.data):
                    if not await self._on(frame):
                        return
        except spdy.ProtocolError:
            await self._send(self.codec.goaway(self._last_stream))
        finally:
            for pair in self.pairs.values():
                await self._close_pair(pair)
            await self.ws.close()

    async def _send(self, make: bytes | object) -> None:
        async with self._send_lock:  # header compression state follows the order on the wire
            if not self.ws.closed:
                await self.ws.send_bytes(make)  # type: ignore[arg-type]

    async def _on(self, frame: spdy.Frame) -> bool:
        if not frame.control:
            await self._on_data(frame)
        elif frame.type == spdy.SYN_STREAM:
            await self._on_syn(frame)
        elif frame.type == spdy.PING:
            await self._send(self.codec.ping(frame.ping_id))
        elif frame.type == spdy.RST_STREAM:
            pair = self.by_stream.get(frame.stream_id)
            if pair is not None:
                await self._close_pair(pair)
        elif frame.type == spdy.GOAWAY:
            return False
        return True  # SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do here

    async def _on_syn(self, frame: spdy.Frame) -> None:
        self._last_stream = max(self._last_stream, frame.stream_id)
        headers = frame.headers
        async with self._send_lock:
            await self.ws.send_bytes(self.codec.syn_reply(frame.stream_id))
        try:
            port = int(headers.get("port", ""))
        except ValueError:
            await self._send(self.codec.rst_stream(frame.stream_id, 1))
            return
        request = headers.get("requestid", str(frame.stream_id))
        pair = self.pairs.setdefault(request, _Pair(port))
        self.by_stream[frame.stream_id] = pair
        if headers.get("streamtype") == "error":
            pair.error = frame.stream_id
        elif headers.get("streamtype") == "data":
            pair.data = frame.stream_id
        if pair.error is not None and pair.data is not None and not pair.tasks:
            pair.tasks.append(asyncio.create_task(self._connect(pair)))

    async def _connect(self, pair: _Pair) -> None:
        assert pair.data is not None and pair.error is not None
        try:
            reader, pair.writer = await asyncio.wait_for(
                asyncio.open_connection(self.pod_ip, bind_port(self.pod_ip, pair.port)),
                CONNECT_TIMEOUT,
            )
        except (OSError, TimeoutError) as exc:
            pair.ready.set()
            errno = exc.errno if isinstance(exc, OSError) else None
            reason = os.strerror(errno).lower() if errno else "i/o timeout"
            message = (
                f"error forwarding port {pair.port} to pod {self.pod}: "
                f"dial tcp {self.pod_ip}:{pair.port}: {reason}"
            )
            await self._send(self.codec.data(pair.error, message.encode(), fin=True))
            await self._send(self.codec.data(pair.data, b"", fin=True))
            return
        pair.ready.set()
        while chunk := await reader.read(READ_CHUNK):
            await self._send(self.codec.data(pair.data, chunk))
        await self._send(self.codec.data(pair.data, b"", fin=True))
        await self._send(self.codec.data(pair.error, b"", fin=True))

    async def _on_data(self, frame: spdy.Frame) -> None:
        pair = self.by_stream.get(frame.stream_id)
        if pair is None or frame.stream_id != pair.data:
            return  # the client's side of the error stream carries nothing
        if pair.tasks:
            await pair.ready.wait()  # data can arrive before the dial completes
        if pair.writer is None:
            return
        if frame.data:
            pair.writer.write(frame.data)
            with contextlib.suppress(ConnectionError):
                await pair.writer.drain()
        if frame.fin and pair.writer.can_write_eof():
            with contextlib.suppress(OSError):
                pair.writer.write_eof()

    async def _close_pair(self, pair: _Pair) -> None:
        for task in pair.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await task
        pair.tasks.clear()
        if pair.writer is not None:
            pair.writer.close()
            pair.writer = None
