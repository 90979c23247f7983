"""One line of Istio's default text access log, read back (the fields `--send` reports)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE = re.compile(
    r'^\[(?P<start>[^\]]*)\] "(?P<method>\S+) (?P<path>\S+) (?P<protocol>[^"]*)" '
    r"(?P<code>\d+) (?P<flags>\S+) (?P<details>\S+) (?P<termination>\S+) "
    r'"(?P<failure>[^"]*)" (?P<received>\d+) (?P<sent>\d+) (?P<duration>\d+) (?P<upstream>\S+) '
    r'"(?P<xff>[^"]*)" "(?P<agent>[^"]*)" "(?P<request_id>[^"]*)" "(?P<authority>[^"]*)" '
    r'"(?P<upstream_host>[^"]*)" (?P<cluster>\S+)'
    r"(?: (?P<upstream_local>\S+) (?P<downstream_local>\S+) (?P<downstream_remote>\S+)"
    r" (?P<server_name>\S+))?"
)


@dataclass(frozen=True)
class AccessLine:
    method: str
    path: str
    code: int
    flags: str
    details: str
    duration_ms: int
    request_id: str
    agent: str
    authority: str
    upstream_host: str
    cluster: str
    server_name: str = "-"  # the TLS SNI the proxy saw


def parse_line(line: str) -> AccessLine | None:
    m = _LINE.match(line.strip())
    if m is None:
        return None
    return AccessLine(
        m["method"], m["path"], int(m["code"]), m["flags"], m["details"], int(m["duration"]),
        m["request_id"], m["agent"], m["authority"], m["upstream_host"], m["cluster"],
        m["server_name"] or "-",
    )  # fmt: skip


def find_request(text: str, request_id: str) -> AccessLine | None:
    """The log line of the request sent with this x-request-id or user agent (the last one)."""
    found = None
    for line in text.splitlines():
        if request_id in line:
            parsed = parse_line(line)
            if parsed is not None and request_id in (parsed.request_id, parsed.agent):
                found = parsed
    return found
