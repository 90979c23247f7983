"""Which incoming headers Bookinfo's services pass on to the services they call.

Tracing needs the trace headers carried from hop to hop; productpage also passes on the client's
identity headers. `end-user` is handled separately: productpage sets it from its own session.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

TRACING_HEADERS = (
    "x-request-id",
    "traceparent",
    "tracestate",
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-parentspanid",
    "x-b3-sampled",
    "x-b3-flags",
    "b3",
    "x-ot-span-context",
    "x-cloud-trace-context",
    "grpc-trace-bin",
    "sw8",
    "x-datadog-trace-id",
    "x-datadog-parent-id",
    "x-datadog-sampling-priority",
)

PRODUCTPAGE_HEADERS = (*TRACING_HEADERS, "user-agent", "cookie", "authorization", "jwt")

REVIEWS_HEADERS = (*TRACING_HEADERS, "end-user", "user-agent")


def pick(incoming: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    """The headers of `incoming` named in `names` (any case), under their lower-case names."""
    lowered = {key.lower(): value for key, value in incoming.items()}
    return {name: lowered[name] for name in names if name in lowered}
