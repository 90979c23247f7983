"""Latency and size statistics printed the way fortio prints them, and in its JSON shape.

A semi-logarithmic histogram (buckets 1..11, then by 2 to 20, by 5 to 50, by 10 to 100, and so
on, in units of the resolution, 1 ms by default); percentiles are interpolated inside their
bucket, the first bucket starting at the minimum seen and the last ending at the maximum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


def _bucket_edges() -> list[float]:
    # Steps of 1 up to 11, then by 2, 5, 10; the same pattern at 10x and 100x; then coarser.
    decade = (12, 14, 16, 18, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 90, 100)
    edges: list[float] = [*range(1, 12), *decade]
    for scale in (10, 100):
        edges += [x * scale for x in decade]
    edges += [2000, 3000, 4000, 5000, 7500, 10000, 20000, 30000, 40000, 50000, 75000, 100000]
    return sorted(set(edges))


EDGES = _bucket_edges()


def g(value: float, digits: int = 6) -> str:
    """Go's %g-like short number."""
    text = f"{value:.{digits}g}"
    return text


@dataclass
class Counter:
    count: int = 0
    total: float = 0.0
    sum_squares: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    def record(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.sum_squares += value * value
        self.min = min(self.min, value)
        self.max = max(self.max, value)

    @property
    def avg(self) -> float:
        return self.total / self.count if self.count else 0.0

    @property
    def stddev(self) -> float:
        if not self.count:
            return 0.0
        variance = self.sum_squares / self.count - self.avg**2
        return math.sqrt(max(variance, 0.0))

    def line(self, title: str) -> str:
        if not self.count:
            return f"{title} : count 0 avg 0 +/- 0 min 0 max 0 sum 0"
        return (
            f"{title} : count {self.count} avg {g(self.avg, 8)} +/- {g(self.stddev, 4)} "
            f"min {g(self.min, 9)} max {g(self.max, 9)} sum {g(self.total, 9)}"
        )


@dataclass
class Histogram:
    resolution: float = 0.001
    offset: float = 0.0
    counter: Counter = field(default_factory=Counter)
    hits: list[int] = field(default_factory=lambda: [0] * (len(EDGES) + 1))

    def record(self, value: float) -> None:
        self.counter.record(value)
        scaled = (value - self.offset) / self.resolution
        index = next((i for i, edge in enumerate(EDGES) if scaled < edge), len(EDGES))
        self.hits[index] += 1

    def _edge(self, index: int) -> float:
        return self.offset + (EDGES[index] if index < len(EDGES) else math.inf) * self.resolution

    def buckets(self) -> list[dict[str, float]]:
        """Non-empty buckets: Start, End, cumulative Percent, Count (fortio's `Data`)."""
        out: list[dict[str, float]] = []
        total = self.counter.count
        cumulative = 0
        for index, hits in enumerate(self.hits):
            if not hits:
                continue
            cumulative += hits
            start = self.offset if index == 0 else self._edge(index - 1)
            end = self._edge(index)
            out.append(
                {
                    "Start": max(start, self.counter.min),
                    "End": min(end, self.counter.max),
                    "Percent": 100.0 * cumulative / total,
                    "Count": hits,
                }
            )
        return out

    def percentile(self, p: float) -> float:
        previous = 0.0
        for bucket in self.buckets():
            if bucket["Percent"] >= p:
                span = bucket["Percent"] - previous
                fraction = (p - previous) / span if span else 1.0
                return bucket["Start"] + (bucket["End"] - bucket["Start"]) * fraction
            previous = bucket["Percent"]
        return self.counter.max if self.counter.count else 0.0

    def text(self, title: str, percentiles: list[float]) -> list[str]:
        lines = [self.counter.line(title), "# range, mid point, percentile, count"]
        for i, bucket in enumerate(self.buckets()):
            start, end = bucket["Start"], bucket["End"]
            opener = ">=" if i == 0 else ">"
            lines.append(
                f"{opener} {g(start)} <= {g(end)} , {g((start + end) / 2)} , "
                f"{bucket['Percent']:.2f}, {int(bucket['Count'])}"
            )
        for p in percentiles:
            lines.append(f"# target {p:g}% {g(self.percentile(p))}")
        return lines

    def export(self, percentiles: list[float] | None = None) -> dict[str, Any]:
        c = self.counter
        data: dict[str, Any] = {
            "Count": c.count,
            "Min": c.min if c.count else 0,
            "Max": c.max if c.count else 0,
            "Sum": c.total,
            "Avg": c.avg,
            "StdDev": c.stddev,
            "Data": self.buckets(),
        }
        if percentiles is not None:
            data["Percentiles"] = [
                {"Percentile": p, "Value": self.percentile(p)} for p in percentiles
            ]
        return data


def go_duration(seconds: float) -> str:
    """A duration as Go prints one: 59.8524ms, 5.059691387s, 1m0.0011s."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3f}".rstrip("0").rstrip(".") + "µs"
    if seconds < 1:
        return f"{seconds * 1e3:.6f}".rstrip("0").rstrip(".") + "ms"
    minutes, rest = divmod(seconds, 60)
    text = f"{rest:.9f}".rstrip("0").rstrip(".") + "s"
    return f"{int(minutes)}m{text}" if minutes else text
