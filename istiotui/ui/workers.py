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
from istiotui.lab.tunnels import Tunnel
from istiotui.lab.walk import catch_up
from istiotui.lab.words import word as t
from istiotui.ui import messages as msg
from istiotui.ui.store import Key

if TYPE_CHECKING:
    from istiotui.cluster.watch import WatchEvent
    from istiotui.ui.app import IstioTui
    from istiotui.ui.backend import Backend


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
    """Mixed into the app.

    Each worker takes the backend once, when it starts: `r` (reconnect) replaces the app's
    backend and closes the old one while a worker may still be using it. The old one's close
    ends its waits; `_why` then says the connection was reset rather than some error of the
    closed client.
    """

    def _backend(self: IstioTui) -> Backend:
        backend = self.backend
        if backend is None:
            from istiotui.cluster.errors import ClusterError  # loaded after the first frame

            raise ClusterError(t("needs_cluster", self.lang))
        return backend

    def _why(self: IstioTui, exc: BaseException, backend: Backend | None) -> str:
        if backend is not None and backend is not self.backend:
            return f"{t('reset_under_work', self.lang)} ({_reason(exc)})"
        return _reason(exc)

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
        backend = None
        try:
            backend = self._backend()
            result = backend.diff(step, live)
        except expected() as exc:
            reason = self._why(exc, backend)
            self.post_message(msg.DiffComputed(step.id, (), (), for_apply, reason))
            return
        self.post_message(msg.DiffComputed(step.id, result.diffs, result.findings, for_apply))

    def _progress(self: IstioTui, line: str) -> None:
        self.post_message(msg.ProgressReported(line))

    @work(thread=True, exclusive=True, exit_on_error=False, group="change")
    def apply_step(self: IstioTui, step: m.Step) -> None:
        backend = None
        try:
            backend = self._backend()
            backend.run(step.actions, self._progress, step.id)
        except expected() as exc:
            self.post_message(msg.StepApplied(step.id, self._why(exc, backend)))
            return
        self.post_message(msg.StepApplied(step.id))

    @work(thread=True, exclusive=True, exit_on_error=False, group="change")
    def cleanup_step(self: IstioTui, step: m.Step) -> None:
        backend = None
        try:
            backend = self._backend()
            backend.run(step.cleanup, self._progress)
        except expected() as exc:
            self.post_message(msg.StepCleanedUp(step.id, self._why(exc, backend)))
            return
        self.post_message(msg.StepCleanedUp(step.id))

    @work(thread=True, exclusive=True, exit_on_error=False, group="change")
    def catch_up_to(self: IstioTui, step: m.Step) -> None:
        backend = None
        try:
            backend = self._backend()
            for earlier in catch_up(self.lab, step.id, backend.cluster):
                if get_current_worker().is_cancelled:
                    return
                # The way forward only: a cleanup undoes its step on request (`c`). What the
                # cluster already has is kept, and the progress lines say which was which.
                backend.catch_up_step(earlier, self._progress)
        except expected() as exc:
            self.post_message(msg.CaughtUp(step.id, self._why(exc, backend)))
            return
        self.post_message(msg.CaughtUp(step.id))

    @work(exclusive=True, exit_on_error=False, group="traffic")
    async def probe_rounds(self: IstioTui, step: m.Step, probe: m.Probe) -> None:
        """Rounds of the step's first probe until cancelled (`p` again, another step, quit)."""
        backend = None
        try:
            backend = self._backend()
            while True:
                responses, elapsed = await backend.probe_round(probe)
                self.post_message(
                    msg.ProbeRoundFinished(step.id, probe.id, probe.classify, responses, elapsed)
                )
                await asyncio.sleep(0)  # let a cancel in
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.post_message(msg.ProbeFailed(step.id, self._why(exc, backend)))

    @work(exclusive=True, exit_on_error=False, group="traffic")
    async def verify(self: IstioTui, step: m.Step) -> None:
        backend = None
        try:
            backend = self._backend()
            report = await backend.verify(step)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.post_message(msg.VerdictReached(step.id, (), self._why(exc, backend)))
            return
        for o in report.outcomes:
            self.post_message(
                msg.ProbeRoundFinished(
                    step.id, o.probe.id, o.probe.classify, o.run.responses, o.run.summary.elapsed
                )
            )
        self.post_message(msg.VerdictReached(step.id, report.judged))

    @work(thread=True, exclusive=True, exit_on_error=False, group="tunnel")
    def toggle_tunnel_in(self: IstioTui, tunnel: Tunnel, open_it: bool) -> None:
        try:
            if open_it:
                self.backend.open_tunnel(tunnel)
            else:
                self.backend.close_tunnel(tunnel)
            self.post_message(msg.TunnelChanged(tunnel, open_it))
        except expected() as exc:
            self.post_message(msg.TunnelChanged(tunnel, False, _reason(exc)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="read")
    def fetch_yaml(self: IstioTui, key: Key, api_version: str) -> None:
        try:
            text = self._backend().object_yaml(key, api_version)
        except expected() as exc:
            text = _reason(exc)
        self.post_message(msg.TextFetched(f"{key[0]} {key[1]}/{key[2]}", text))

    @work(thread=True, exclusive=True, exit_on_error=False, group="read")
    def fetch_logs(self: IstioTui, namespace: str, pod: str, container: str) -> None:
        try:
            text = with_flag_notes(
                self._backend().pod_logs(namespace, pod, container) or "(empty)", self.lang
            )
        except expected() as exc:
            text = _reason(exc)
        self.post_message(msg.TextFetched(f"logs {namespace}/{pod} -c {container}", text))
