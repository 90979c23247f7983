"""Expectations judged on a probe's summary: pass or fail, always with the numbers seen.

Shares are tested, never eyeballed: a stated split is kept unless the counts make it implausible at
the stated confidence (a two-sided exact binomial test for two classes, Pearson's chi-square for
more). A small sample therefore passes a loose split easily; scenarios ask for enough requests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from istiotui.lab import model as m
from istiotui.lab.significance import binomial_two_sided, chi_square_goodness_of_fit
from istiotui.mesh.traffic_graph import Graph, find
from istiotui.traffic.stats import Response, Summary, describe_counts


@dataclass(frozen=True)
class Verdict:
    passed: bool
    detail: str  # what was seen, with numbers


def only(summary: Summary, klass: str) -> Verdict:
    seen = describe_counts(summary.classes, summary.total)
    if summary.total == 0:
        return Verdict(False, f"expected only {klass}: no responses")
    n = summary.classes.get(klass, 0)
    return Verdict(n == summary.total, f"expected only {klass}: {seen}")


def all_of(summary: Summary, klasses: Sequence[str]) -> Verdict:
    missing = [k for k in klasses if summary.classes.get(k, 0) == 0]
    seen = describe_counts(summary.classes, summary.total)
    if missing:
        return Verdict(False, f"expected each of {', '.join(klasses)}; missing {missing}: {seen}")
    return Verdict(True, f"each of {', '.join(klasses)} answered: {seen}")


def shares(summary: Summary, expected: Mapping[str, float], confidence: float) -> Verdict:
    """A share of 0 means the class must not appear and a share of 1 that every response is
    of it: those are exact statements, no test is needed (nor defined: a zero expectation or a
    single class leaves the statistic without degrees of freedom). The split over the remaining
    classes is tested as usual."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    total_share = sum(expected.values())
    if abs(total_share - 1) > 1e-9:
        raise ValueError(f"expected shares add up to {total_share}, not 1")
    if any(v < 0 for v in expected.values()):
        raise ValueError(f"expected shares must not be negative: {dict(expected)}")
    counts = {k: summary.classes.get(k, 0) for k in expected}
    others = summary.total - sum(counts.values())
    seen = describe_counts(summary.classes, summary.total)
    wanted = ", ".join(f"{k} {v:.0%}" for k, v in expected.items())
    if summary.total == 0:
        return Verdict(False, f"expected {wanted}: no responses")
    if others:
        return Verdict(False, f"expected {wanted}; {others} responses of other classes: {seen}")
    banned = [k for k, v in expected.items() if v == 0 and counts[k]]
    if banned:
        found = ", ".join(f"{counts[k]} {k}" for k in banned)
        return Verdict(False, f"expected {wanted}; {found} where none should be: {seen}")
    kept = {k: v for k, v in expected.items() if v > 0}
    if len(kept) == 1:
        return Verdict(True, f"expected {wanted}: every response is {next(iter(kept))}: {seen}")
    alpha = 1 - confidence
    observed = [counts[k] for k in kept]
    if len(kept) == 2:
        p_value = binomial_two_sided(observed[0], summary.total, next(iter(kept.values())))
    else:
        p_value = chi_square_goodness_of_fit(observed, list(kept.values()))
    ok = p_value > alpha
    return Verdict(
        ok,
        f"expected {wanted} at {confidence:.1%} confidence: {seen} (p = {p_value:.3g}"
        f"{' >' if ok else ' ≤'} {alpha:.3g})",
    )


def status_all(summary: Summary, code: int) -> Verdict:
    seen = describe_counts(summary.statuses, summary.total)
    if summary.errors:
        seen += f", {summary.errors} without answer (first: {summary.first_error})"
    if summary.total == 0:
        return Verdict(False, f"expected status {code}: no responses")
    return Verdict(summary.statuses.get(code, 0) == summary.total, f"expected {code}: {seen}")


def status_share(summary: Summary, code: int, low: float, high: float) -> Verdict:
    share = summary.status_share(code)
    seen = describe_counts(summary.statuses, summary.total)
    if summary.total == 0:
        return Verdict(False, f"expected {low:.0%}–{high:.0%} of {code}: no responses")
    ok = low <= share <= high
    return Verdict(ok, f"expected {low:.0%}–{high:.0%} of {code}, saw {share:.1%}: {seen}")


def latency(summary: Summary, percentile: float, low: float | None, high: float | None) -> Verdict:
    value = summary.percentile(percentile)
    bounds = f"{'' if low is None else f'{low:g} s ≤ '}p{percentile:g}" + (
        "" if high is None else f" ≤ {high:g} s"
    )
    if value is None:
        return Verdict(False, f"expected {bounds}: no responses")
    ok = (low is None or value >= low) and (high is None or value <= high)
    return Verdict(ok, f"expected {bounds}, saw p{percentile:g} = {value:.2f} s")


def count_between(what: str, seen: int, low: int | None, high: int | None) -> Verdict:
    """For counted things other than responses, e.g. log lines added while probing."""
    ok = (low is None or seen >= low) and (high is None or seen <= high)
    wanted = " and ".join(
        part
        for part in (
            None if low is None else f"at least {low}",
            None if high is None else f"at most {high}",
        )
        if part
    )
    return Verdict(ok, f"expected {wanted} {what}, saw {seen}")


def text(responses: Sequence[Response], needle: str, present: bool = True) -> Verdict:
    if not responses:
        return Verdict(False, f"expected text {needle!r}: no responses")
    hits = sum(1 for r in responses if needle in r.body)
    n = len(responses)
    if present:
        return Verdict(hits == n, f"expected {needle!r} in every response: in {hits} of {n}")
    return Verdict(hits == 0, f"expected {needle!r} in no response: in {hits} of {n}")


def header_share(
    responses: Sequence[Response],
    name: str,
    value: str | None,
    min_share: float,
    max_share: float = 1.0,
) -> Verdict:
    if not responses:
        return Verdict(False, f"expected header {name}: no responses")
    key = name.lower()
    hits = sum(
        1
        for r in responses
        if any(k.lower() == key and (value is None or v == value) for k, v in r.headers.items())
    )
    share = hits / len(responses)
    shown = name if value is None else f"{name}: {value}"
    bounds = f"{min_share:.0%}–{max_share:.0%}" if max_share < 1 else f"at least {min_share:.0%}"
    return Verdict(
        min_share <= share <= max_share,
        f"expected {shown} on {bounds}: on {hits} of {len(responses)} ({share:.1%})",
    )


def stat_equals_status(name: str, added: int | None, summary: Summary, code: int) -> Verdict:
    """A proxy statistic's gain while probing against the probe's count of one status."""
    wanted = summary.statuses.get(code, 0)
    short = name.rsplit(".", 1)[-1]
    if added is None:
        return Verdict(False, f"expected {short} to count the {wanted} × {code}: no such statistic")
    return Verdict(
        added == wanted,
        f"expected {short} to gain the probe's {code}s ({wanted}): it gained {added}",
    )


def graph_edges(graph: Graph, checks: Sequence[m.EdgeCheck], responses: int) -> Verdict:
    """The traffic graph's edges (what they gained while probing) against the checks."""
    seen: list[str] = []
    ok = True
    for c in checks:
        edges = [e for e in find(graph, c.source, c.destination) if not e.mirrored]
        by_version = {e.destination.version: e.requests for e in edges}
        total = sum(by_version.values())
        missing = [v for v in c.versions if not by_version.get(v)]
        shown = ", ".join(f"{v or '?'} {n}" for v, n in sorted(by_version.items())) or "none"
        wanted = responses if c.requests_of_probe else c.min
        fits = (total == wanted) if c.requests_of_probe else (total >= wanted)
        ok = ok and fits and not missing
        part = f"{c.source} → {c.destination}: {total} ({shown})"
        if missing:
            part += f", no requests to {', '.join(missing)}"
        if not fits:
            part += f", expected {'' if c.requests_of_probe else 'at least '}{wanted}"
        seen.append(part)
    return Verdict(ok, "; ".join(seen))
