"""The Kubernetes WebSocket channel protocols, as the API server speaks them for exec and
port-forward.

Every binary WebSocket message starts with one byte naming its channel; the rest is payload.

- exec (`v5.channel.k8s.io`, `v4.channel.k8s.io`): 0 stdin, 1 stdout, 2 stderr, 3 error/status
  (one `Status` JSON when the command ends: `Success`, or `Failure` with reason
  `NonZeroExitCode` and the exit code as the first cause's message), 4 terminal resize
  (`{"Width": W, "Height": H}`). v5 adds 255 "close": `[255, n]` means the peer will send no
  more on channel n (kubectl uses it to close stdin).
- port-forward (`v4.channel.k8s.io`, `portforward.k8s.io`, …): two channels per requested port,
  in the order of the `ports` query parameter, data on 2·i and errors on 2·i+1; the first message
  the server sends on each of them is the port number as two little-endian bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

STDIN, STDOUT, STDERR, ERROR, RESIZE = 0, 1, 2, 3, 4
CLOSE = 255  # v5 only

V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
EXEC_PROTOCOLS = (V5, V4)
# The kubernetes Python client offers v5 and v4; the kubelet's own name is portforward.k8s.io.
PORTFORWARD_PROTOCOLS = (V5, V4, "portforward.k8s.io", "channel.k8s.io")
# kubectl ≥ 1.31 tunnels SPDY in WebSocket for port-forward; the local cluster does not speak it.
SPDY_TUNNEL = "SPDY/3.1+portforward.k8s.io"


class FrameError(ValueError):
    """A message that does not follow the channel protocol."""


def frame(channel: int, payload: bytes = b"") -> bytes:
    if not 0 <= channel <= 255:
        raise FrameError(f"channel {channel} out of range 0–255")
    return bytes((channel,)) + payload


def parse(message: bytes) -> tuple[int, bytes]:
    """`(channel, payload)` of one binary message."""
    if not message:
        raise FrameError("empty message: every message starts with its channel byte")
    return message[0], message[1:]


def closed_channel(payload: bytes) -> int:
    """The channel a v5 CLOSE message names."""
    if len(payload) != 1:
        raise FrameError(f"a close message names one channel, got {len(payload)} bytes")
    return payload[0]


def resize(payload: bytes) -> tuple[int, int]:
    """`(width, height)` of a resize message."""
    try:
        size = json.loads(payload)
        return int(size["Width"]), int(size["Height"])
    except (ValueError, KeyError, TypeError) as exc:
        raise FrameError(f"bad resize message {payload[:80]!r}: {exc}") from None


def exit_status(code: int, argv: Sequence[str]) -> dict[str, Any]:
    """The Status the error channel carries when a command ends (what kubelets send)."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": (
            "command terminated with non-zero exit code: error executing command "
            f"[{' '.join(argv)}], exit code {code}"
        ),
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def failure_status(message: str, reason: str = "InternalError", code: int = 500) -> dict:
    """A Status for the error channel when the command could not run at all."""
    return {
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def status_message(status: dict) -> bytes:
    return frame(ERROR, json.dumps(status).encode())


def exit_code_of(status: dict) -> int:
    """The exit code a Status from the error channel reports (0 on Success)."""
    if status.get("status") == "Success":
        return 0
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            return int(cause["message"])
    raise FrameError(f"the command failed: {status.get('message', status)}")


def port_prefix(port: int) -> bytes:
    if not 0 < port < 65536:
        raise FrameError(f"port {port} out of range 1–65535")
    return port.to_bytes(2, "little")


def data_channel(index: int) -> int:
    return 2 * index


def error_channel(index: int) -> int:
    return 2 * index + 1


def port_index(channel: int) -> tuple[int, bool]:
    """`(index of the port, is its error channel)` for a channel number."""
    return channel // 2, bool(channel % 2)
