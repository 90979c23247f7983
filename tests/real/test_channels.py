"""The channel protocol's framing (istiotui.local.channels) and SPDY/3's (istiotui.local.spdy),
as both ends read them."""

from __future__ import annotations

import struct

import pytest

from istiotui.local import channels as ch
from istiotui.local import spdy


def test_frames_carry_their_channel_first() -> None:
    assert ch.frame(ch.STDOUT, b"hi") == b"\x01hi"
    assert ch.parse(b"\x02oops") == (ch.STDERR, b"oops")
    assert ch.closed_channel(ch.parse(ch.frame(ch.CLOSE, b"\x00"))[1]) == ch.STDIN
    with pytest.raises(ch.FrameError, match="starts with its channel byte"):
        ch.parse(b"")
    with pytest.raises(ch.FrameError, match="out of range"):
        ch.frame(256)


def test_exit_status_round_trip() -> None:
    assert ch.exit_code_of(ch.exit_status(0, ["true"])) == 0
    failed = ch.exit_status(3, ["sh", "-c", "exit 3"])
    assert failed["reason"] == "NonZeroExitCode"
    assert failed["message"].endswith("[sh -c exit 3], exit code 3")
    assert ch.exit_code_of(failed) == 3
    with pytest.raises(ch.FrameError, match="the command failed: no such container"):
        ch.exit_code_of(ch.failure_status("no such container"))


def test_resize_and_ports() -> None:
    assert ch.resize(b'{"Width": 120, "Height": 40}') == (120, 40)
    with pytest.raises(ch.FrameError, match="bad resize message"):
        ch.resize(b"{}")
    assert ch.port_prefix(8080) == b"\x90\x1f"  # little-endian
    assert [ch.data_channel(1), ch.error_channel(1)] == [2, 3]
    assert ch.port_index(3) == (1, True) and ch.port_index(4) == (2, False)
    with pytest.raises(ch.FrameError):
        ch.port_prefix(0)


def test_spdy_frames_split_across_messages() -> None:
    sender, receiver = spdy.Codec(), spdy.Codec()
    # What kubectl sends: SYN_STREAMs whose header blocks share one zlib stream, then data.
    wire = _syn_stream(sender, 1, {"streamType": "error", "port": "8080", "requestID": "0"})
    wire += _syn_stream(sender, 3, {"streamType": "data", "port": "8080", "requestID": "0"})
    wire += sender.data(3, b"GET / HTTP/1.1\r\n\r\n", fin=True) + sender.ping(7)
    frames = []
    for i in range(0, len(wire), 5):  # a byte stream in arbitrary pieces, as the tunnel gives it
        frames += receiver.feed(wire[i : i + 5])
    assert [(f.type, f.stream_id) for f in frames] == [(1, 1), (1, 3), (0, 3), (6, 0)]
    assert frames[1].headers == {"streamtype": "data", "port": "8080", "requestid": "0"}
    assert frames[2].data == b"GET / HTTP/1.1\r\n\r\n" and frames[2].fin
    assert frames[3].ping_id == 7
    with pytest.raises(spdy.ProtocolError, match="SPDY version 2"):
        spdy.Codec().feed(b"\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01")


def _syn_stream(codec: spdy.Codec, stream_id: int, headers: dict[str, str]) -> bytes:
    payload = struct.pack(">IIBB", stream_id, 0, 0, 0) + codec._block(headers)
    return codec._control(spdy.SYN_STREAM, 0, payload)
