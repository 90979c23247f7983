"""The app's long work: plain functions over the backend, each run in a worker by the app.

Each takes what it needs as arguments — a `Job` (the backend, a way to post messages) and the
step or object it works on — and reports results and failures as messages (`messages.py`).
Nothing here touches a widget or knows the app; `post_message` is safe from any thread. Thread
workers run the synchronous ones (the kubernetes client), async workers the probes.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message
from textual.worker import get_current_worker

from istiotui.lab import model as m
from istiotui.lab.logs import with_flag_notes
from istiotui.lab.tunnels import Tunnel
from istiotui.lab.walk import catch_up
from istiotui.lab.words import word as t
from istiotui.ui import messages as msg
from istiotui.ui.store import Key

if TYPE_CHECKING:
    from istiotui.cluster.watch import WatchEvent
    from istiotui.ui.backend import Backend, Connector

Post = Callable[[Message], object]


@functools.cache
def expected() -> tuple[type[BaseException], ...]:
    """What a worker may meet that is the cluster's or the step's fault, not the app's.

    Imported on first use, in a worker: the kubernetes client and the probe engine are not
    needed for the first frame (the connect worker has loaded them by the time this runs)."""
    from istiotui.cluster.connection import ClusterUnreachable
    from istiotui.cluster.errors import ClusterError
    from istiotui.lab.executor import StepFailed
    from istiotui.traffic.vantage import VantageUnavailable

    return (ClusterError, ClusterUnreachable, StepFailed, VantageUnavailable, OSError, ValueError)


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


@dataclass(frozen=True)
class Job:
    """What one piece of work is given when it starts.

    The backend is taken once, at the start: `r` (reconnect) replaces the app's backend and
    closes the old one while work may still be using it. The old one's close ends its waits;
    `why` then says the connection was reset rather than some error of the closed client.
    """

    backend: Backend
    post: Post
    lang: m.Lang
    current: Callable[[], Backend | None]  # the app's backend now

    def why(self, exc: BaseException) -> str:
        if self.current() is not self.backend:
            return f"{t('reset_under_work', self.lang)} ({_reason(exc)})"
        return _reason(exc)

    def progress(self, line: str) -> None:
        self.post(msg.ProgressReported(line))


def connect(connector: Connector, post: Post, adopt: Callable[[Backend], bool]) -> None:
    """Open a session, hand the backend to `adopt` (False: a newer connect has taken over, so
    this one is closed), then say what connected and start watching."""
    try:
        from istiotui.ui.backend import Backend  # the kubernetes client: after the first frame

        backend = Backend(connector())
    except Exception as exc:  # a connector may fail in any way: say why and keep running
        post(msg.ClusterFailed(_reason(exc)))
        return
    if not adopt(backend):
        backend.close()
        return
    context, kind, server, version = backend.describe()
    post(msg.ClusterConnected(context, kind, server, version, tuple(backend.session.notes)))

    def on_event(event: WatchEvent) -> None:
        if event.type == "LOST":
            post(msg.ClusterLost(event.message))
        elif event.type == "RESTORED":
            post(msg.ClusterRestored())
        post(msg.ResourcesChanged((event,)))

    backend.watch(on_event)
    post(msg.IstioVersionFound(backend.istio_version()))


def compute_diff(job: Job, step: m.Step, for_apply: bool, live: list[dict]) -> None:
    """`live`: a copy taken on the app's thread (the store changes under a running worker)."""
    try:
        result = job.backend.diff(step, live)
    except expected() as exc:
        job.post(msg.DiffComputed(step.id, (), (), for_apply, job.why(exc)))
        return
    job.post(msg.DiffComputed(step.id, result.diffs, result.findings, for_apply))


def _carry_out(
    job: Job,
    actions: tuple[m.Action, ...],
    done: Callable[..., Message],
    step_id: str | None = None,
) -> None:
    try:
        job.backend.run(actions, job.progress, step_id)
    except expected() as exc:
        job.post(done(job.why(exc)))
        return
    job.post(done())


def apply_step(job: Job, step: m.Step) -> None:
    _carry_out(job, step.actions, functools.partial(msg.StepApplied, step.id), step.id)


def cleanup_step(job: Job, step: m.Step) -> None:
    _carry_out(job, step.cleanup, functools.partial(msg.StepCleanedUp, step.id))


def catch_up_to(job: Job, lab: m.Lab, step: m.Step) -> None:
    try:
        for earlier in catch_up(lab, step.id, job.backend.cluster):
            if get_current_worker().is_cancelled:
                return
            # The way forward only: a cleanup undoes its step on request (`c`). What the
            # cluster already has is kept, and the progress lines say which was which.
            job.backend.catch_up_step(earlier, job.progress)
    except expected() as exc:
        job.post(msg.CaughtUp(step.id, job.why(exc)))
        return
    job.post(msg.CaughtUp(step.id))


async def probe_rounds(job: Job, step: m.Step, probe: m.Probe) -> None:
    """Rounds of the step's first probe until cancelled (`p` again, another step, quit)."""
    try:
        while True:
            responses, elapsed = await job.backend.probe_round(probe)
            job.post(msg.ProbeRoundFinished(step.id, probe.id, probe.classify, responses, elapsed))
            await asyncio.sleep(0)  # let a cancel in
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        job.post(msg.ProbeFailed(step.id, job.why(exc)))


async def verify(job: Job, step: m.Step) -> None:
    try:
        report = await job.backend.verify(step)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        job.post(msg.VerdictReached(step.id, (), job.why(exc)))
        return
    for o in report.outcomes:
        job.post(
            msg.ProbeRoundFinished(
                step.id, o.probe.id, o.probe.classify, o.run.responses, o.run.summary.elapsed
            )
        )
    job.post(msg.VerdictReached(step.id, report.judged))


def toggle_tunnel(job: Job, tunnel: Tunnel, open_it: bool) -> None:
    try:
        if open_it:
            job.backend.open_tunnel(tunnel)
        else:
            job.backend.close_tunnel(tunnel)
        job.post(msg.TunnelChanged(tunnel, open_it))
    except expected() as exc:
        job.post(msg.TunnelChanged(tunnel, False, _reason(exc)))


def fetch_yaml(job: Job, key: Key, api_version: str) -> None:
    try:
        text = job.backend.object_yaml(key, api_version)
    except expected() as exc:
        text = _reason(exc)
    job.post(msg.TextFetched(f"{key[0]} {key[1]}/{key[2]}", text))


def fetch_logs(job: Job, namespace: str, pod: str, container: str, follow: bool = False) -> None:
    """A container's last lines; `follow`: a refresh of a log viewer already open."""
    try:
        logs = job.backend.pod_logs(namespace, pod, container) or "(empty)"
        text = with_flag_notes(logs, job.lang)
    except expected() as exc:
        text = _reason(exc)
    title = f"logs {namespace}/{pod} -c {container}"
    job.post(msg.TextFetched(title, text, logs=(namespace, pod, container), refresh=follow))
