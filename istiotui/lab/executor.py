"""Carrying out a step's actions (or its cleanup) against a cluster, with progress lines.

Manifests go through the cluster layer's all-or-nothing apply. `istioctl` runs when it is on
PATH (or where the lab's download puts it, lab/istioctl.py) on a real cluster, and only when
what it installs is not there yet; on the local cluster the step's `local:` actions stand for
it. Host and manual actions are the learner's to do: they are reported, never run.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from istiotui import process_group
from istiotui.cluster.errors import ClusterError
from istiotui.cluster.kind import ClusterKind
from istiotui.cluster.objects import Objects
from istiotui.lab import istioctl
from istiotui.lab import model as m
from istiotui.lab.plan import StepFailed, bodies, failed, ref_body
from istiotui.mesh.kinds import lookup
from istiotui.mesh.release import ISTIO_VERSION

__all__ = ["Executor", "Progress", "StepFailed"]

Progress = Callable[[str], None]
# What an istioctl install leaves, each with its Deployment now (None: absent).
Installed = list[tuple[istioctl.Component, dict | None]]


class Executor:
    def __init__(
        self,
        objects: Objects,
        cluster: ClusterKind,
        progress: Progress = print,
        cancelled: threading.Event | None = None,
    ) -> None:
        self.objects = objects
        self.cluster = cluster
        self.progress = progress
        # Set by whoever runs us in a thread (the app, on quit): waits and istioctl stop at once.
        self.cancelled = cancelled or threading.Event()

    def run(self, actions: Iterable[m.Action], step_id: str | None = None) -> None:
        """`step_id`: the step these actions belong to, for messages that must name it."""
        for action in actions:
            if self.cancelled.is_set():
                raise StepFailed("cancelled")
            try:
                self._one(action, step_id)
            except ClusterError as exc:
                raise failed(action, exc) from None

    def _one(self, action: m.Action, step_id: str | None) -> None:
        say = self.progress
        match action:
            case m.Apply(manifest=manifest, namespace=ns):
                sent = bodies(manifest, ns)
                self.objects.apply(sent)
                say(f"applied {manifest.path} ({len(sent)} objects)")
            case m.Create(manifest=manifest, namespace=ns):
                self.objects.create(bodies(manifest, ns))
                say(f"created {manifest.path}")
            case m.DeleteManifest(manifest=manifest, namespace=ns, ignore_not_found=ignore):
                gone = [
                    self.objects.delete(b, ignore_not_found=ignore) for b in bodies(manifest, ns)
                ]
                say(f"deleted {sum(gone)} objects of {manifest.path}")
            case m.DeleteObject(target=target, ignore_not_found=ignore):
                done = self.objects.delete(ref_body(target), ignore_not_found=ignore)
                say(f"deleted {target.kind} {target.name}" if done else f"{target.name}: not found")
            case m.Label(target=target, labels=labels):
                self.objects.patch(ref_body(target), {"metadata": {"labels": labels}})
                say(f"labelled {target.kind} {target.name}")
            case m.Patch(target=target, patch=patch):
                self.objects.patch(ref_body(target), patch)
                say(f"patched {target.kind} {target.name}")
            case m.RolloutRestart(target=target):
                stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                annotation = {"kubectl.kubernetes.io/restartedAt": stamp}
                patch = {"spec": {"template": {"metadata": {"annotations": annotation}}}}
                self.objects.patch(ref_body(target), patch)
                say(f"restarted {target.kind} {target.name}")
            case m.Wait():
                self._wait(action)
            case m.Istioctl(args=args, local=local):
                if self.cluster == ClusterKind.LOCAL:
                    say(f"istioctl {' '.join(args)}: on the local cluster, its equivalent")
                    self.run(local, step_id)
                    return
                found = self.installed(action)
                if found and all(live is not None for _, live in found):
                    there = described(found)
                    say(f"istioctl {' '.join(args)}: not run, already installed: {there}")
                    return
                absent = [c for c, live in found or [] if live is None]
                self.istioctl(action, step_id, absent)
            case m.Host(command=command):
                say(f"on your machine: {command}")
            case m.Manual(text=text):
                say(f"by hand: {text.en.splitlines()[0] if text.en else ''}")

    def installed(self, action: m.Istioctl) -> Installed | None:
        """What the action installs and whether each part is there now; None when that cannot
        be told from the action (it must run), [] when it installs nothing."""
        parts = istioctl.leaves(action)
        if parts is None:
            return None
        return [(c, self.objects.get("apps/v1", "Deployment", c.name, c.namespace)) for c in parts]

    def istioctl(
        self,
        action: m.Istioctl,
        step_id: str | None = None,
        absent: Iterable[istioctl.Component] = (),
    ) -> None:
        """Run istioctl (found on PATH or where the lab puts it); its output goes to progress."""
        exe = istioctl.find()
        if exe is None:
            raise StepFailed(istioctl.missing(step_id, action, absent))
        args = istioctl.resolved_args(action)
        # Its own process group, so that a cancel stops istioctl and whatever it started.
        with subprocess.Popen(
            [exe, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            **process_group.spawn_options(),
        ) as proc:
            watcher = threading.Thread(target=self._stop_on_cancel, args=(proc,), daemon=True)
            watcher.start()
            assert proc.stdout is not None
            try:
                for line in proc.stdout:
                    self.progress(line.rstrip())
                proc.wait()
            except BaseException:
                # Ctrl-C or a signal's SystemExit here: istioctl's own session never saw it, and
                # Popen's exit would leave it installing on its own.
                process_group.stop(proc, grace=5.0)
                raise
        if self.cancelled.is_set():
            raise StepFailed(f"istioctl {' '.join(args)}: cancelled")
        if proc.returncode:
            raise StepFailed(f"istioctl {' '.join(args)} exited with {proc.returncode}")

    def _stop_on_cancel(self, proc: subprocess.Popen[str]) -> None:
        while proc.poll() is None:
            if self.cancelled.wait(0.5):
                process_group.stop(proc, grace=5.0)
                return

    def _wait(self, action: m.Wait) -> None:
        kind = lookup(action.kind)
        if kind is None:
            raise StepFailed(f"{action.source}: unknown kind {action.kind!r}")
        deadline = time.monotonic() + action.timeout
        what = action.name or action.selector or f"every {kind.kind}"
        delay = 0.05  # soon at first (a local pod is ready within tenths), then every 0.5 s
        while True:
            items = self.objects.list(
                kind.api_version, kind.kind, action.namespace, action.selector
            )
            if action.name:
                items = [i for i in items if i["metadata"]["name"] == action.name]
            if _done(action.until, items):
                self.progress(f"{kind.kind} {what} in {action.namespace}: {action.until}")
                return
            if time.monotonic() > deadline:
                raise StepFailed(
                    f"{action.source}: {kind.kind} {what} in {action.namespace} not "
                    f"{action.until} after {action.timeout:g} s"
                )
            if self.cancelled.wait(delay):
                raise StepFailed(f"{action.source}: waiting for {what}: cancelled")
            delay = min(delay * 1.5, 0.5)


def _done(until: str, items: list[dict]) -> bool:
    if until == "deleted":
        return not items
    if not items:
        return False
    if until == "available" or items[0].get("kind") == "Deployment":
        return all(
            ((i.get("status") or {}).get("availableReplicas") or 0)
            >= ((i.get("spec") or {}).get("replicas", 1))
            for i in items
        )
    return all(_pod_ready(i) for i in items)


def _pod_ready(pod: dict) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def described(found: Installed) -> str:
    """`control plane istio-system/istiod 1.24.0, gateway istio-system/istio-ingressgateway`."""
    out = []
    for component, live in found:
        version = istioctl.version_of(live) if live is not None else None
        if version is None:
            out.append(str(component))
        elif version != ISTIO_VERSION:
            # Kept: reinstalling would be an upgrade the learner did not ask for.
            out.append(f"{component} {version} (the lab installs {ISTIO_VERSION})")
        else:
            out.append(f"{component} {version}")
    return ", ".join(out)
