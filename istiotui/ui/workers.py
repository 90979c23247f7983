"""The app's long work, each in a worker: results and failures go back as messages.

Thread workers for the synchronous kubernetes client, async workers for probes. Nothing here
touches a widget; `post_message` is safe from any thread.
"""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING

from textual import work
from textual.worker import get_current_worker

from istiotui.lab import model as m
from istiotui.lab.logs import with_flag_notes
from istiotui.lab.walk import catch_up
from istiotui.ui import messages as msg
from istiotui.ui.store import Key

if TYPE_CHECKING:
    from istiotui.cluster.watch import WatchEvent
    from istiotui.ui.app import IstioTui


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


class Workers:
    """Mixed into the app."""

    @work(thread=True, exclusive=True, exit_on_error=False, group="connect")
    def connect_cluster(self: IstioTui) -> None:
        if self.connector is None:
            return
        try:
            from istiotui.ui.backend import Backend  # the kubernetes client: after the first frame

            backend = Backend(self.connector())
        except Exception as exc:  # a connector may fail in any way: say why and keep running
            self.post_message(msg.ClusterFailed(_reason(exc)))
            return
        context, cluster, server, version = backend.describe()
        self.post_message(msg.ClusterConnected(context, cluster, server, version, backend))

        def on_event(event: WatchEvent) -> None:
            if event.type == "LOST":
                self.post_message(msg.ClusterLost(event.message))
            elif event.type == "RESTORED":
                self.post_message(msg.ClusterRestored())
            self.post_message(msg.ResourcesChanged((event,)))

        backend.watch(on_event)
        self.post_message(msg.IstioVersionFound(backend.istio_version()))

    @work(thread=True, exclusive=True, exit_on_error=False, group="diff")
    def compute_diff(self: IstioTui, step: m.Step, for_apply: bool, live: list[dict]) -> None:
        """`live`: a copy taken on the app's thread (the store changes under a running worker)."""
        try:
            result = self.backend.diff(step, live)
        except expected() as exc:
            self.post_message(msg.DiffComputed(step.id, (), (), for_apply, _reason(exc)))
            return
        self.post_message(msg.DiffComputed(step.id, result.diffs, result.findings, for_apply))

    def _progress(self: IstioTui, line: str) -> None:
        self.post_message(msg.ProgressReported(line))

    @work(thread=True, exclusive=True, exit_on_error=False, group="change")
    def apply_step(self: IstioTui, step: m.Step) -> None:
        try:
            self.backend.run(step.actions, self._progress)
        except expected() as exc:
            self.post_message(msg.StepApplied(step.id, _reason(exc)))
            return
        self.post_message(msg.StepApplied(step.id))

    @work(thread=True, exclusive=True, exit_on_error=False, group="change")
    def cleanup_step(self: IstioTui, step: m.Step) -> None:
        try:
            self.backend.run(step.cleanup, self._progress)
        except expected() as exc:
            self.post_message(msg.StepCleanedUp(step.id, _reason(exc)))
            return
        self.post_message(msg.StepCleanedUp(step.id))

    @work(thread=True, exclusive=True, exit_on_error=False, group="change")
    def catch_up_to(self: IstioTui, step: m.Step) -> None:
        try:
            for earlier in catch_up(self.lab, step.id, self.backend.cluster):
                if get_current_worker().is_cancelled:
                    return
                self._progress(f"— {earlier.id}")
                # The way forward only: a cleanup undoes its step on request (`c`).
                self.backend.run(earlier.actions, self._progress)
        except expected() as exc:
            self.post_message(msg.CaughtUp(step.id, _reason(exc)))
            return
        self.post_message(msg.CaughtUp(step.id))

    @work(exclusive=True, exit_on_error=False, group="traffic")
    async def probe_rounds(self: IstioTui, step: m.Step, probe: m.Probe) -> None:
        """Rounds of the step's first probe until cancelled (`p` again, another step, quit)."""
        try:
            while True:
                responses, elapsed = await self.backend.probe_round(probe)
                self.post_message(
                    msg.ProbeRoundFinished(step.id, probe.id, probe.classify, responses, elapsed)
                )
                await asyncio.sleep(0)  # let a cancel in
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.post_message(msg.ProbeFailed(step.id, _reason(exc)))

    @work(exclusive=True, exit_on_error=False, group="traffic")
    async def verify(self: IstioTui, step: m.Step) -> None:
        try:
            report = await self.backend.verify(step)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.post_message(msg.VerdictReached(step.id, (), _reason(exc)))
            return
        for o in report.outcomes:
            self.post_message(
                msg.ProbeRoundFinished(
                    step.id, o.probe.id, o.probe.classify, o.run.responses, o.run.summary.elapsed
                )
            )
        self.post_message(msg.VerdictReached(step.id, report.judged))

    @work(thread=True, exclusive=True, exit_on_error=False, group="read")
    def fetch_yaml(self: IstioTui, key: Key, api_version: str) -> None:
        try:
            text = self.backend.object_yaml(key, api_version)
        except expected() as exc:
            text = _reason(exc)
        self.post_message(msg.TextFetched(f"{key[0]} {key[1]}/{key[2]}", text))

    @work(thread=True, exclusive=True, exit_on_error=False, group="read")
    def fetch_logs(self: IstioTui, namespace: str, pod: str, container: str) -> None:
        try:
            text = with_flag_notes(
                self.backend.pod_logs(namespace, pod, container) or "(empty)", self.lang
            )
        except expected() as exc:
            text = _reason(exc)
        self.post_message(msg.TextFetched(f"logs {namespace}/{pod} -c {container}", text))
