"""The app's I/O, apart from its widgets: connecting, diffing, applying, probing, watching.

Everything here is plain Python over a `Session`; the app runs these in workers and turns the
results into messages. Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import yaml

from istiotui.cluster.connection import ClusterUnreachable
from istiotui.cluster.errors import ClusterError
from istiotui.cluster.watch import Watcher, WatchEvent
from istiotui.lab import model as m
from istiotui.lab.executor import Executor
from istiotui.lab.session import Session
from istiotui.lab.tunnels import Tunnel
from istiotui.lab.verify import StepReport, spec_of, target_of, verify_step
from istiotui.mesh.analysis import Finding, analyze, overlay
from istiotui.mesh.diff import ObjectDiff, diff_object, normalise
from istiotui.mesh.kinds import lookup
from istiotui.mesh.summary import istio_version
from istiotui.traffic.stats import Response
from istiotui.traffic.vantage import probe as probe_from
from istiotui.ui.store import TREE_KINDS, Key, key_of

Connector = Callable[[], Session]


@dataclass(frozen=True)
class DiffResult:
    diffs: tuple[ObjectDiff, ...]
    findings: tuple[Finding, ...]


def _bodies(manifest: m.Manifest, namespace: str | None) -> list[dict]:
    """The manifest's objects as `kubectl apply -n NS` would send them."""
    out = []
    for body in manifest.bodies:
        kind = lookup(body.get("kind", ""))
        meta = dict(body.get("metadata") or {})
        if namespace and (kind is None or kind.namespaced) and not meta.get("namespace"):
            meta["namespace"] = namespace
        out.append({**body, "metadata": meta})
    return out


def _ref_body(ref: m.ObjectRef) -> dict:
    kind = lookup(ref.kind)
    if kind is None:
        raise ClusterError(f"unknown kind {ref.kind!r}")
    meta = {"name": ref.name}
    if ref.namespace and kind.namespaced:
        meta["namespace"] = ref.namespace
    return {"apiVersion": kind.api_version, "kind": kind.kind, "metadata": meta}


def flat_actions(actions: Iterable[m.Action], cluster: str) -> list[m.Action]:
    """The actions that will really run here (an istioctl on the local cluster: its stand-ins)."""
    out: list[m.Action] = []
    for action in actions:
        if isinstance(action, m.Istioctl) and cluster == "local":
            out += flat_actions(action.local, cluster)
        else:
            out.append(action)
    return out


class Backend:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._watcher: Watcher | None = None
        # Set on close: a step's waits and istioctl in a worker thread end, so quitting never
        # waits for them (the executor checks it between and during actions).
        self._closing = threading.Event()

    @property
    def cluster(self) -> str:
        return self.session.cluster

    def describe(self) -> tuple[str, str, str, str]:
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
        diffs: list[ObjectDiff] = []
        applied: list[dict] = []
        deleted: list[dict] = []
        for action in flat_actions(step.actions, self.cluster):
            try:
                if isinstance(action, m.Apply | m.Create):
                    applied += self._dry_run(action, diffs)
                elif isinstance(action, m.DeleteManifest | m.DeleteObject):
                    deleted += self._would_delete(action, diffs)
            except ClusterError as exc:
                # Worded as the executor words it: where the action is written, then the reason.
                raise ClusterError(f"{action.source}: {action.verb}: {exc}") from None
        touched = {key_of(o) for o in (*applied, *deleted)}
        after = overlay(live, applied, deleted)
        findings = tuple(f for f in analyze(after) if (f.kind, f.namespace, f.name) in touched)
        return DiffResult(tuple(diffs), findings)

    def _dry_run(self, action: m.Apply | m.Create, diffs: list[ObjectDiff]) -> list[dict]:
        bodies = _bodies(action.manifest, action.namespace)
        results = self.session.objects.apply(bodies, dry_run=True)
        for body, result in zip(bodies, results, strict=True):
            diffs.append(diff_object(result.before, result.after, body))
        return [r.after for r in results]

    def _would_delete(
        self, action: m.DeleteManifest | m.DeleteObject, diffs: list[ObjectDiff]
    ) -> list[dict]:
        if isinstance(action, m.DeleteManifest):
            targets = _bodies(action.manifest, action.namespace)
        else:
            targets = [_ref_body(action.target)]
        gone = []
        for body in targets:
            meta = body["metadata"]
            live = self.session.objects.get(
                body["apiVersion"], body["kind"], meta["name"], meta.get("namespace")
            )
            if live is not None:
                diffs.append(diff_object(live, None))
                gone.append(live)
        return gone

    def run(self, actions: Iterable[m.Action], progress: Callable[[str], None]) -> None:
        """Carry out actions; StepFailed (with file:line) when one is rejected."""
        Executor(self.session.objects, self.cluster, progress, self._closing).run(actions)

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

    async def verify(
        self, step: m.Step, on_response: Callable[[m.Probe, Response], None] | None = None
    ) -> StepReport:
        return await verify_step(
            step, self.session.vantages, self.session.count_log_lines, on_response
        )


__all__ = ["Backend", "ClusterUnreachable", "Connector", "DiffResult", "flat_actions"]
