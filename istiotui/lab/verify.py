"""A step's probes and the verdict on them: real traffic in, pass or fail with numbers out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from istiotui.lab import expectations as ex
from istiotui.lab import model as m
from istiotui.mesh.traffic_graph import Graph, delta
from istiotui.traffic.classify import flag
from istiotui.traffic.engine import ProbeRun, ProbeSpec, Target
from istiotui.traffic.stats import Response
from istiotui.traffic.vantage import Vantages
from istiotui.traffic.vantage import probe as probe_from

# Lines in a deployment's logs right now (all its pods, one container).
LogCounter = Callable[[m.LogSource], int]
# Mirrored requests land after the client's answer: wait this long for the log to settle.
LOG_SETTLE_SECONDS = 5.0


class ProxyReader(Protocol):
    """The proxies' own statistics (the session reads them through `pilot-agent` in each pod)."""

    def stat(self, namespace: str, selector: str, name: str) -> int | None: ...

    def graph(self) -> Graph: ...


@dataclass(frozen=True)
class ProbeOutcome:
    probe: m.Probe
    run: ProbeRun
    log_lines_added: int | None
    # What the proxies counted while the probe ran: per ProxyStat name, and the graph's delta.
    stats_added: dict[str, int | None] = field(default_factory=dict)
    graph_added: Graph | None = None

    def flags(self) -> dict[str, int]:
        """Envoy's response flags as the client could tell them (UO, NR, FI, …), counted."""
        seen: dict[str, int] = {}
        for r in self.run.responses:
            name = flag(r.status, r.headers, r.body, r.latency)
            if name not in ("-", "no-answer"):
                seen[name] = seen.get(name, 0) + 1
        return seen


@dataclass(frozen=True)
class Judged:
    expectation: m.Expectation
    verdict: ex.Verdict


@dataclass(frozen=True)
class StepReport:
    step: m.Step
    outcomes: tuple[ProbeOutcome, ...]
    judged: tuple[Judged, ...]

    @property
    def passed(self) -> bool:
        return all(j.verdict.passed for j in self.judged)


def spec_of(probe: m.Probe) -> ProbeSpec:
    return ProbeSpec(
        url=probe.url,
        count=probe.count,
        concurrency=probe.concurrency,
        qps=probe.qps,
        timeout=probe.timeout,
        method=probe.method,
        host=probe.host,
        headers=dict(probe.headers),
        user=probe.user,
        keepalive=probe.keepalive,
        classify=probe.classify,
    )


def target_of(probe: m.Probe, vantages: Vantages) -> Target:
    if probe.vantage == "pod" and probe.pod is not None:
        return vantages.pod_target(probe.pod.namespace, probe.pod.selector, probe.pod.container)
    if probe.vantage == "port-forward" and probe.service is not None:
        s = probe.service
        return vantages.port_forward_target(s.namespace, s.name, s.port)
    return vantages.ingress_target()


async def _settled_count(
    count: LogCounter, source: m.LogSource, floor: int, want: int | None
) -> int:
    """Poll a log until it stops growing (or reaches `want` lines added) within the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LOG_SETTLE_SECONDS
    last = await asyncio.to_thread(count, source)
    while loop.time() < deadline:
        if want is not None and last - floor >= want:
            break
        await asyncio.sleep(0.25)
        now = await asyncio.to_thread(count, source)
        if now == last and want is None:
            break
        last = now
    return last


class _ProxySnapshot:
    """The statistics a step's expectations on one probe read, before or after it ran."""

    def __init__(self, step: m.Step, probe_id: str, proxies: ProxyReader | None) -> None:
        mine = [e for e in step.expect if e.probe == probe_id]
        self.stats = [e for e in mine if isinstance(e, m.ProxyStat)]
        self.wants_graph = any(isinstance(e, m.GraphEdges) for e in mine)
        self.proxies = proxies

    async def take(self) -> tuple[dict[str, int | None], Graph | None]:
        if self.proxies is None:
            return {}, None
        px = self.proxies
        values = {}
        for e in self.stats:
            values[e.name] = await asyncio.to_thread(px.stat, e.namespace, e.selector, e.name)
        graph = await asyncio.to_thread(px.graph) if self.wants_graph else None
        return values, graph


async def run_probes(
    step: m.Step,
    vantages: Vantages,
    count_logs: LogCounter | None = None,
    on_response: Callable[[m.Probe, Response], None] | None = None,
    proxies: ProxyReader | None = None,
) -> list[ProbeOutcome]:
    outcomes = []
    for probe in step.probes:
        before = None
        if probe.logs is not None and count_logs is not None:
            before = await asyncio.to_thread(count_logs, probe.logs)
        snapshot = _ProxySnapshot(step, probe.id, proxies)
        stats_before, graph_before = await snapshot.take()
        callback = (lambda r, p=probe: on_response(p, r)) if on_response else None
        run = await probe_from(spec_of(probe), target_of(probe, vantages), callback)
        added = None
        if before is not None and probe.logs is not None and count_logs is not None:
            want = _wanted_lines(step, probe.id)
            after = await _settled_count(count_logs, probe.logs, before, want)
            added = after - before
        stats_after, graph_after = await snapshot.take()
        stats_added = {
            name: None if value is None else value - (stats_before.get(name) or 0)
            for name, value in stats_after.items()
        }
        graph_added = (
            delta(graph_after, graph_before) if graph_after and graph_before is not None else None
        )
        outcomes.append(ProbeOutcome(probe, run, added, stats_added, graph_added))
    return outcomes


def _wanted_lines(step: m.Step, probe_id: str) -> int | None:
    for e in step.expect:
        if isinstance(e, m.LogLines) and e.probe == probe_id and e.min is not None:
            return e.min
    return None


def judge(step: m.Step, outcomes: list[ProbeOutcome]) -> list[Judged]:
    by_id = {o.probe.id: o for o in outcomes}
    judged = []
    for e in step.expect:
        outcome = by_id.get(e.probe)
        if outcome is None:
            judged.append(Judged(e, ex.Verdict(False, f"probe {e.probe} did not run")))
            continue
        judged.append(Judged(e, _verdict(e, outcome)))
    return judged


def _verdict(e: m.Expectation, o: ProbeOutcome) -> ex.Verdict:
    s, rows = o.run.summary, o.run.responses
    match e:
        case m.Only(value=value):
            return ex.only(s, value)
        case m.AllOf(values=values):
            return ex.all_of(s, values)
        case m.Shares(shares=shares, confidence=confidence):
            return ex.shares(s, shares, confidence)
        case m.StatusIs(code=code):
            return ex.status_all(s, code)
        case m.StatusShare(code=code, min=low, max=high):
            return ex.status_share(s, code, low, high)
        case m.LatencyWithin(percentile=p, min=low, max=high):
            return ex.latency(s, p, low, high)
        case m.BodyHas(text=text):
            return ex.text(rows, text)
        case m.BodyLacks(text=text):
            return ex.text(rows, text, present=False)
        case m.LogLines(min=low, max=high):
            if o.log_lines_added is None:
                return ex.Verdict(False, "the probe names no logs to count")
            return ex.count_between("log lines added", o.log_lines_added, low, high)
        case m.HeaderShare(name=name, value=value, min_share=low, max_share=high):
            return ex.header_share(rows, name, value, low, high)
        case m.ProxyStat(name=name, equals_status=code):
            if name not in o.stats_added:
                return ex.Verdict(False, "no proxy statistics were read (no reader given)")
            return ex.stat_equals_status(name, o.stats_added[name], s, code)
        case m.GraphEdges(edges=edges, namespace=namespace):
            if o.graph_added is None:
                return ex.Verdict(False, "no traffic graph was read (no reader given)")
            return ex.graph_edges(o.graph_added.only_namespace(namespace), edges, s.total)
    raise TypeError(f"unknown expectation {e!r}")


async def verify_step(
    step: m.Step,
    vantages: Vantages,
    count_logs: LogCounter | None = None,
    on_response: Callable[[m.Probe, Response], None] | None = None,
    proxies: ProxyReader | None = None,
) -> StepReport:
    outcomes = await run_probes(step, vantages, count_logs, on_response, proxies)
    return StepReport(step, tuple(outcomes), tuple(judge(step, outcomes)))
