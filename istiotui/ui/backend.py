"""The app's I/O, apart from its widgets: connecting, diffing, applying, probing, watching.

Everything here is plain Python over a `Session`; the app runs these in workers and turns the
results into messages. Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable

import yaml

from istiotui.cluster.connection import ClusterUnreachable
from istiotui.cluster.errors import ClusterError
from istiotui.cluster.kind import ClusterKind
from istiotui.cluster.watch import Watcher, WatchEvent
from istiotui.lab import model as m
from istiotui.lab.catchup import CatchUp
from istiotui.lab.effects import StepCatchUp
from istiotui.lab.executor import Executor
from istiotui.lab.plan import DiffResult, dry_run
from istiotui.lab.session import Session
from istiotui.lab.tunnels import Tunnel
from istiotui.lab.verify import StepReport, spec_of, target_of, verify_step
from istiotui.mesh.diff import normalise
from istiotui.mesh.summary import istio_version
from istiotui.mesh.traffic_graph import Graph
from istiotui.traffic.stats import Response
from istiotui.traffic.vantage import probe as probe_from
from istiotui.ui.store import TREE_KINDS, Key

Connector = Callable[[], Session]


class Backend:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._watcher: Watcher | None = None
        # Set on close: a step's waits and istioctl in a worker thread end, so quitting never
        # waits for them (the executor checks it between and during actions).
        self._closing = threading.Event()

    @property
    def cluster(self) -> ClusterKind:
        return self.session.cluster

    def describe(self) -> tuple[str, ClusterKind, str, str]:
        """Context, kind of cluster, server, Kubernetes version."""
        c = self.session.connection
        return c.context, self.session.cluster, c.server, c.version

    def istio_version(self) -> str | None:
        try:
            deps = self.session.objects.list("apps/v1", "Deployment", "istio-system")
        except ClusterError:
            return None
        return istio_version(deps)

    # -- watching ------------------------------------------------------------

    def watch(self, on_event: Callable[[WatchEvent], None]) -> None:
        self.stop_watch()
        self._watcher = Watcher(self.session.objects, TREE_KINDS, on_event)
        self._watcher.start()

    def stop_watch(self) -> None:
        if self._watcher is not None:
            # Don't join: a thread blocked in a watch call only sees the stop flag when the call
            # returns; the threads are daemons and end on their own.
            self._watcher.stop(timeout=0.0)
            self._watcher = None

    def close(self) -> None:
        """Stop the watch and everything the session opened (port-forwards included)."""
        self._closing.set()
        self.stop_watch()
        self.session.close()

    # -- the learner's port-forward ---------------------------------------------------

    def open_tunnel(self, tunnel: Tunnel) -> str:
        return self.session.vantages.open_tunnel(
            tunnel.namespace, tunnel.service, tunnel.port, tunnel.local_port
        )

    def close_tunnel(self, tunnel: Tunnel) -> bool:
        return self.session.vantages.close_tunnel(tunnel.local_port)

    # -- diff and apply ------------------------------------------------------

    def diff(self, step: m.Step, live: Iterable[dict]) -> DiffResult:
        """The step's changes as the server would make them (dry run), and findings after it."""
        return dry_run(self.session.objects, step, self.cluster, live)

    def run(
        self,
        actions: Iterable[m.Action],
        progress: Callable[[str], None],
        step_id: str | None = None,
    ) -> None:
        """Carry out actions; StepFailed (with file:line, and the step when given) when one is
        rejected."""
        executor = Executor(self.session.objects, self.cluster, progress, self._closing)
        executor.run(actions, step_id)

    def catch_up_step(self, step: m.Step, progress: Callable[[str], None]) -> StepCatchUp:
        """An earlier step, checked against the cluster first: what is there is kept and said
        (`= STEP: already done`), only the rest is done."""
        executor = Executor(self.session.objects, self.cluster, progress, self._closing)
        return CatchUp(executor).step(step)

    # -- reading -------------------------------------------------------------

    def object_yaml(self, key: Key, api_version: str) -> str:
        kind, namespace, name = key
        obj = self.session.objects.get(api_version, kind, name, namespace or None)
        if obj is None:
            raise ClusterError(f"{kind} {namespace}/{name} no longer exists")
        return yaml.safe_dump(normalise(obj), sort_keys=False)

    def pod_logs(self, namespace: str, pod: str, container: str | None) -> str:
        return self.session.objects.logs(namespace, pod, container, tail=500)

    # -- traffic -------------------------------------------------------------

    async def probe_round(
        self, probe: m.Probe, on_response: Callable[[Response], None] | None = None
    ) -> tuple[list[Response], float]:
        # Finding the client pod lists pods: the kubernetes client is synchronous.
        target = await asyncio.to_thread(target_of, probe, self.session.vantages)
        started = time.monotonic()
        run = await probe_from(spec_of(probe), target, on_response)
        return run.responses, time.monotonic() - started

    def graph(self) -> Graph:
        """The traffic graph now, from the proxies' statistics (blocks: call from a thread)."""
        return self.session.graph()

    def kiali(self) -> str:
        """`istioctl dashboard kiali`: a port-forward to Kiali (closed with the app), its URL; the
        addon's own port when free, else any. NotInstalled says what to do instead."""
        from istiotui.lab import dashboards
        from istiotui.traffic.vantage import VantageUnavailable

        try:
            board = dashboards.open_dashboard(self.session, "kiali")
        except VantageUnavailable:
            board = dashboards.open_dashboard(self.session, "kiali", 0)  # 20001 taken
        return board.url

    async def verify(
        self, step: m.Step, on_response: Callable[[m.Probe, Response], None] | None = None
    ) -> StepReport:
        s = self.session
        return await verify_step(step, s.vantages, s.count_log_lines, on_response, proxies=s)


__all__ = ["Backend", "ClusterUnreachable", "Connector", "DiffResult"]
