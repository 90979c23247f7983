"""Response flags that no cluster counter holds, read from a proxy's access log.

Envoy's cluster statistics count what the router sent upstream: a request the proxy answered
itself never reaches them. `NR` (no route), `FI` (an injected abort) are such answers; `DI` (an
injected delay) and `DC` (the client went away) have no cluster counter either. Every request's
access-log line carries its flags (`%RESPONSE_FLAGS%`), the Istio cluster it was routed to and
its `:authority`, so the log gives these flags per outbound cluster (or per host, for `NR`).

The lines are Istio's default text format as the local cluster writes it (local/pilot/filters.py:
the cluster column is Istio's `outbound|PORT|SUBSET|FQDN`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Flags read from the log; the cluster counters already give UO, UH, UF, UT, URX, UR.
ROUTE_FLAGS = ("NR", "FI", "DI", "DC")
# Answers the proxy made itself: the request never reached the cluster's counters.
LOCAL_ANSWERS = ("NR", "FI")

_LINE = re.compile(
    r'^\[[^\]]*\] "[^"]*" (?P<code>\d+) (?P<flags>\S+) \S+ \S+ "[^"]*" \d+ \d+ \d+ \S+ '
    r'"[^"]*" "[^"]*" "[^"]*" "(?P<authority>[^"]*)" "[^"]*" (?P<cluster>\S+) '
)


@dataclass
class Answers:
    """One proxy's route-level flags for one outbound cluster (or an unrouted host)."""

    flags: dict[str, int] = field(default_factory=dict)
    local: int = 0  # requests the proxy answered itself (NR, FI)
    local_errors: int = 0  # of those, 5xx


# key: an outbound cluster's Istio name, or `outbound|PORT||HOST` made from the authority of
# a request no route took
RouteFlags = dict[str, Answers]


def unrouted_cluster(authority: str) -> str:
    host, _, port = authority.rpartition(":") if ":" in authority else (authority, "", "")
    if not port.isdigit():
        host, port = authority, "80"
    return f"outbound|{port}||{host}"


def add_lines(text: str, into: RouteFlags) -> RouteFlags:
    """Count the route-level flags of each complete outbound line of `text` into `into`."""
    for line in text.splitlines():
        m = _LINE.match(line)
        if m is None or m.group("flags") == "-":
            continue
        flags = [f for f in m.group("flags").split(",") if f in ROUTE_FLAGS]
        if not flags:
            continue
        cluster = m.group("cluster")
        if cluster == "-" and "NR" in flags:
            cluster = unrouted_cluster(m.group("authority"))
        if not cluster.startswith("outbound|"):
            continue  # inbound: the caller's proxy counts it
        answers = into.setdefault(cluster, Answers())
        for flag in flags:
            answers.flags[flag] = answers.flags.get(flag, 0) + 1
        if any(f in LOCAL_ANSWERS for f in flags):
            answers.local += 1
            answers.local_errors += m.group("code").startswith("5")
    return into
