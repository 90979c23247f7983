"""What a probe saw: one record per request, and the summary a verdict is judged on."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Response:
    """One request's outcome as a client saw it."""

    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    latency: float  # seconds, from sending to the last byte (or to the failure)
    klass: str | None = None  # what the probe's classifier made of it (v1, red, 503, …)
    error: str | None = None  # why there was no answer
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""


@dataclass(frozen=True)
class Summary:
    """Counts and percentiles over a probe's responses."""

    total: int
    classes: Mapping[str, int]
    statuses: Mapping[int, int]
    errors: int
    latencies: tuple[float, ...]  # sorted ascending
    elapsed: float  # wall seconds the probe ran
    first_error: str | None = None  # why the first unanswered request got no answer

    def percentile(self, p: float) -> float | None:
        """The p-th percentile latency (nearest rank), None without samples."""
        if not self.latencies:
            return None
        if not 0 <= p <= 100:
            raise ValueError(f"percentile out of range: {p}")
        rank = max(1, math.ceil(p / 100 * len(self.latencies)))
        return self.latencies[rank - 1]

    @property
    def rps(self) -> float:
        return self.total / self.elapsed if self.elapsed > 0 else 0.0

    def share(self, klass: str) -> float:
        return self.classes.get(klass, 0) / self.total if self.total else 0.0

    def status_share(self, code: int) -> float:
        return self.statuses.get(code, 0) / self.total if self.total else 0.0


def summarise(responses: Iterable[Response], elapsed: float) -> Summary:
    rows = list(responses)
    classes = Counter(r.klass for r in rows if r.klass is not None)
    statuses = Counter(r.status for r in rows if r.status is not None)
    return Summary(
        total=len(rows),
        classes=dict(sorted(classes.items())),
        statuses=dict(sorted(statuses.items())),
        errors=sum(1 for r in rows if r.status is None),
        latencies=tuple(sorted(r.latency for r in rows)),
        elapsed=elapsed,
        first_error=next((r.error for r in rows if r.error), None),
    )


def describe_counts(counts: Mapping[object, int], total: int) -> str:
    """`v1 96 (48.0 %), v3 104 (52.0 %)` — the numbers a verdict quotes."""
    if not total:
        return "no responses"
    return ", ".join(f"{k} {n} ({100 * n / total:.1f} %)" for k, n in counts.items())
