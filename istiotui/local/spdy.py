"""SPDY/3.1 framing, the part kubectl's port-forward uses (SYN_STREAM/SYN_REPLY/DATA, RST_STREAM,
PING, GOAWAY; SETTINGS and WINDOW_UPDATE are read and ignored).

Frames, big-endian:
- control: `1 | version(15) | type(16) | flags(8) | length(24) | payload`
- data:    `0 | stream id(31) | flags(8) | length(24) | payload`
Header blocks are `count(32)` then `len(32) name len(32) value` pairs, zlib-compressed with one
stream per direction for the whole session (each block ends with a sync flush) and SPDY/3's
preset dictionary, which is built below from its published word list.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = (
    1, 2, 3, 4, 6, 7, 8, 9
)  # fmt: skip
FLAG_FIN = 0x01
RST_CANCEL = 5

# SPDY/3's dictionary: these words, each after its 4-byte length, then the text below as is.
_WORD_TEXT = (
    "options head post put delete trace accept accept-charset accept-encoding accept-language "
    "accept-ranges age allow authorization cache-control connection content-base "
    "content-encoding content-language content-length content-location content-md5 "
    "content-range content-type date etag expect expires from host if-match if-modified-since "
    "if-none-match if-range if-unmodified-since last-modified location max-forwards pragma "
    "proxy-authenticate proxy-authorization range referer retry-after server te trailer "
    "transfer-encoding upgrade user-agent vary via warning www-authenticate method get status "
    "200_OK version HTTP/1.1 url public set-cookie keep-alive origin"
)
_WORDS = _WORD_TEXT.split()
_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request"
    "401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented"
    "503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
    "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,"
    "application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age="
    "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
DICTIONARY = (
    b"".join(struct.pack(">I", len(w)) + w.replace("_", " ").encode() for w in _WORDS)
    + _TAIL.encode()
)


class ProtocolError(ValueError):
    """Bytes that are not SPDY/3 as this server reads it."""


@dataclass
class Frame:
    control: bool
    type: int  # control frame type; 0 for data
    flags: int
    stream_id: int = 0
    data: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    ping_id: int = 0
    status: int = 0

    @property
    def fin(self) -> bool:
        return bool(self.flags & FLAG_FIN)


class Codec:
    """One session's framing: a decompressor for what arrives, a compressor for what leaves."""

    def __init__(self) -> None:
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(zlib.Z_BEST_COMPRESSION, zdict=DICTIONARY)
        self._buffer = b""

    def feed(self, data: bytes) -> list[Frame]:
        """The complete frames in what has arrived so far."""
        self._buffer += data
        frames = []
        while len(self._buffer) >= 8:
            (length,) = struct.unpack(">I", b"\0" + self._buffer[5:8])
            if len(self._buffer) < 8 + length:
                break
            head, payload = self._buffer[:8], self._buffer[8 : 8 + length]
            self._buffer = self._buffer[8 + length :]
            frames.append(self._frame(head, payload))
        return frames

    def _frame(self, head: bytes, payload: bytes) -> Frame:
        flags = head[4]
        if not head[0] & 0x80:
            (stream_id,) = struct.unpack(">I", head[:4])
            return Frame(False, 0, flags, stream_id & 0x7FFFFFFF, payload)
        version, kind = struct.unpack(">HH", head[:4])
        if version & 0x7FFF != VERSION:
            raise ProtocolError(f"SPDY version {version & 0x7FFF}, expected {VERSION}")
        frame = Frame(True, kind, flags)
        if kind in (SYN_STREAM, SYN_REPLY, HEADERS, RST_STREAM, WINDOW_UPDATE):
            frame.stream_id = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF
        if kind == SYN_STREAM:
            frame.headers = self._headers(payload[10:])
        elif kind in (SYN_REPLY, HEADERS):
            frame.headers = self._headers(payload[4:])
        elif kind == RST_STREAM:
            frame.status = struct.unpack(">I", payload[4:8])[0]
        elif kind == PING:
            frame.ping_id = struct.unpack(">I", payload[:4])[0]
        elif kind == GOAWAY:
            frame.status = struct.unpack(">I", payload[4:8])[0]
        return frame

    def _headers(self, block: bytes) -> dict[str, str]:
        try:
            raw = self._inflate.decompress(block)
        except zlib.error as exc:
            raise ProtocolError(f"bad header block: {exc}") from None
        (count,) = struct.unpack(">I", raw[:4])
        pos, out = 4, {}
        for _ in range(count):
            (n,) = struct.unpack(">I", raw[pos : pos + 4])
            name = raw[pos + 4 : pos + 4 + n].decode()
            pos += 4 + n
            (n,) = struct.unpack(">I", raw[pos : pos + 4])
            out[name.lower()] = raw[pos + 4 : pos + 4 + n].decode()
            pos += 4 + n
        return out

    def _block(self, headers: dict[str, str]) -> bytes:
        raw = struct.pack(">I", len(headers))
        for name, value in headers.items():
            for part in (name.lower().encode(), value.encode()):
                raw += struct.pack(">I", len(part)) + part
        return self._deflate.compress(raw) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    @staticmethod
    def _control(kind: int, flags: int, payload: bytes) -> bytes:
        head = struct.pack(">HHI", 0x8000 | VERSION, kind, (flags << 24) | len(payload))
        return head + payload

    def syn_reply(self, stream_id: int, headers: dict[str, str] | None = None) -> bytes:
        return self._control(
            SYN_REPLY, 0, struct.pack(">I", stream_id) + self._block(headers or {})
        )

    def data(self, stream_id: int, payload: bytes, fin: bool = False) -> bytes:
        flags = FLAG_FIN if fin else 0
        return struct.pack(">II", stream_id, (flags << 24) | len(payload)) + payload

    def ping(self, ping_id: int) -> bytes:
        return self._control(PING, 0, struct.pack(">I", ping_id))

    def rst_stream(self, stream_id: int, status: int = RST_CANCEL) -> bytes:
        return self._control(RST_STREAM, 0, struct.pack(">II", stream_id, status))

    def goaway(self, last_stream_id: int) -> bytes:
        return self._control(GOAWAY, 0, struct.pack(">II", last_stream_id, 0))
