"""`WorkloadRuntime`: the controller's `PodRuntime` (istiotui.local.runtime) made of real processes.

A pod's app containers run what their images name (see `images`), on the pod's IP, with the
pod's env, command and args; a pod with an injected `istio-proxy` container has a sidecar, so its
processes send their requests to the sidecar IP. `istio-proxy` itself runs no process here (the
one local Envoy holds every pod's sidecar listeners); its readiness comes from `proxy_ready`,
which the Envoy supervisor can supply (default: ready).

An app container is ready once its process listens (a TCP connect, which leaves no line in any
log); a container whose manifest declares an HTTP readiness or liveness probe is also probed as
the kubelet probes it (`probes`), and then its readiness probe decides.

A container whose process exits is restarted as the kubelet restarts it (`restarts`): per the
pod's restartPolicy, after the kubelet's back-off, with its restart count, its last state
(exit code and reason) and, while it waits, `CrashLoopBackOff`; `container_states` reports that
to the controller, and `on_event` (when given) receives the kubelet's events about it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from istiotui import process_group
from istiotui.local.runtime import ContainerState
from istiotui.local.store import now_rfc3339
from istiotui.local.workloads import images, launcher, local_ca, probes, restarts
from istiotui.local.workloads.launcher import ContainerError, ContainerSpec, RunningContainer
from istiotui.local.workloads.zygote_client import Zygote

# (pod, type, reason, message): an event the kubelet would record about the pod.
EventSink = Callable[[dict[str, Any], str, str, str], None]

PROXY_CONTAINER = "istio-proxy"


def _key(pod: dict[str, Any]) -> tuple[str, str]:
    meta = pod.get("metadata", {})
    return meta.get("namespace", "default"), meta.get("name", "")


def has_sidecar(pod: dict[str, Any]) -> bool:
    """Whether the pod was injected: it has an `istio-proxy` container next to its apps."""
    return any(c.get("name") == PROXY_CONTAINER for c in pod.get("spec", {}).get("containers", []))


async def _exited(running: RunningContainer) -> int:
    """Wait for the container's process to exit; its exit code. What it left in its group
    (gunicorn's workers) goes with it, as a container's processes go with its cgroup."""
    code = restarts.exit_code(await running.wait())
    if running.process is not None:
        process_group.signal_group(running.process.pid, signal.SIGKILL)
    return code


def _backoff_key(spec: ContainerSpec) -> str:
    return f"{spec.namespace}/{spec.pod}/{spec.container}"


def supports(image: str) -> bool:
    try:
        images.resolve(image, "127.0.0.1")
    except images.UnknownImage:
        return False
    except images.ImageError:
        return True  # the image is known; its command is judged at start
    return True


def container_env(container: dict[str, Any]) -> dict[str, str]:
    """The container's literal `env` values (valueFrom is not resolved locally)."""
    return {
        item["name"]: str(item.get("value", ""))
        for item in container.get("env") or []
        if "name" in item and "valueFrom" not in item
    }


class WorkloadRuntime:
    def __init__(
        self,
        root: Path,
        ready_timeout: float = 30.0,
        proxy_ready: Callable[[dict[str, Any]], bool] | None = None,
        on_event: EventSink | None = None,
        backoff: restarts.BackOff | None = None,
        zygote: Zygote | None = None,
    ) -> None:
        self.root = Path(root)
        self.ready_timeout = ready_timeout
        self.proxy_ready = proxy_ready
        self.on_event = on_event
        self.backoff = backoff or restarts.BackOff()
        self.zygote = zygote  # when given, Python containers are forked from it (see zygote)
        self._pods: dict[tuple[str, str], list[RunningContainer]] = {}
        # (namespace, pod) → container → what the kubelet reports of it; and its supervisors
        self._states: dict[tuple[str, str], dict[str, ContainerState]] = {}
        self._supervisors: dict[tuple[str, str], list[asyncio.Task[None]]] = {}
        # (namespace, pod) → container → its probers (readiness first)
        self._probers: dict[tuple[str, str], dict[str, list[probes.Prober]]] = {}

    def supports(self, image: str) -> bool:
        return supports(image)

    def specs(self, pod: dict[str, Any], pod_ip: str, log_dir: Path) -> list[ContainerSpec]:
        namespace, name = _key(pod)
        sidecar = has_sidecar(pod)
        bundle = local_ca.ensure_ca(self.root).cert
        return [
            ContainerSpec(
                namespace=namespace,
                pod=name,
                container=c.get("name", ""),
                image=c.get("image", ""),
                pod_ip=pod_ip,
                root=self.root,
                command=c.get("command"),
                args=c.get("args"),
                env=container_env(c),
                sidecar=sidecar,
                ca_bundle=bundle,
                log_dir=log_dir,
            )
            for c in pod.get("spec", {}).get("containers", [])
        ]

    async def start(self, pod: dict[str, Any], pod_ip: str, log_dir: Path) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        specs = self.specs(pod, pod_ip, log_dir)
        try:
            for spec in specs:
                spec.implementation()  # refuse before starting anything
        except images.ImageError as exc:
            raise RuntimeError(str(exc)) from exc
        results = await asyncio.gather(
            *(launcher.start_container(s, self.ready_timeout, zygote=self.zygote) for s in specs),
            return_exceptions=True,
        )
        started = [r for r in results if isinstance(r, RunningContainer)]
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            await asyncio.gather(*(launcher.stop(r) for r in started))
            raise RuntimeError(str(failures[0])) from failures[0]
        key = _key(pod)
        self._pods[key] = started
        now = now_rfc3339()
        self._states[key] = {
            r.spec.container: ContainerState(0, {"running": {"startedAt": now}}) for r in started
        }
        self._start_probes(pod, started)
        self._supervisors[key] = [
            asyncio.create_task(self._supervise(pod, r.spec.container))
            for r in started
            if r.implementation.runs_process
        ]

    def _start_probes(self, pod: dict[str, Any], started: list[RunningContainer]) -> None:
        manifest = {c.get("name", ""): c for c in pod.get("spec", {}).get("containers", [])}
        probers: dict[str, list[probes.Prober]] = {}
        for running in started:
            if not running.implementation.runs_process:
                continue  # istio-proxy: the one Envoy answers for it (proxy_ready)
            container = manifest.get(running.spec.container, {})
            for probe in probes.declared(container):
                port = probes.container_port(container, probe.port)
                listening = running.implementation.readiness
                if port is None:
                    continue
                if port < 1024 and listening is not None:
                    port = listening.port  # a privileged port: where the process really listens
                prober = probes.Prober(running.spec.pod_ip, port, probe)
                prober.start()
                probers.setdefault(running.spec.container, []).append(prober)
        if probers:
            self._probers[_key(pod)] = probers

    async def _stop_probes(self, key: tuple[str, str]) -> None:
        for probers in self._probers.pop(key, {}).values():
            await asyncio.gather(*(p.stop() for p in probers))

    async def _stop_supervisors(self, key: tuple[str, str]) -> None:
        tasks = self._supervisors.pop(key, [])
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def stop(self, pod: dict[str, Any]) -> None:
        key = _key(pod)
        await self._stop_supervisors(key)  # first: a stopped process is no crash to restart
        await self._stop_probes(key)
        self._states.pop(key, None)
        for running in self._pods.get(key, []):
            self.backoff.forget(_backoff_key(running.spec))
        running = self._pods.pop(key, [])
        await asyncio.gather(*(launcher.stop(r) for r in running))

    def container_states(self, pod: dict[str, Any]) -> dict[str, ContainerState]:
        return dict(self._states.get(_key(pod), {}))

    def _current(self, key: tuple[str, str], container: str) -> RunningContainer:
        return next(r for r in self._pods[key] if r.spec.container == container)

    def _event(self, pod: dict[str, Any], type_: str, reason: str, message: str) -> None:
        if self.on_event is not None:
            self.on_event(pod, type_, reason, message)

    async def _supervise(self, pod: dict[str, Any], container: str) -> None:
        """Wait for the container's process to exit; restart it as the kubelet would, for as
        long as the pod runs (`stop` cancels this first)."""
        key = _key(pod)
        meta = pod.get("metadata", {})
        uid = str(meta.get("uid", ""))
        policy = pod.get("spec", {}).get("restartPolicy")
        running = self._current(key, container)
        spec = running.spec
        bkey = _backoff_key(spec)
        container_id = f"istiotui://{spec.namespace}/{spec.pod}/{container}"
        code = await _exited(running)
        while True:
            exited_at = time.monotonic()
            state = self._states[key][container]
            started_at = state.state.get("running", {}).get("startedAt", now_rfc3339())
            last = restarts.terminated(code, started_at, now_rfc3339(), container_id)
            self._states[key][container] = ContainerState(
                state.restart_count, last, state.last_state
            )
            if not restarts.restarts(policy, code):
                return
            delay = self.backoff.wait_after_exit(bkey, exited_at, time.monotonic())
            if delay > 0:
                message = restarts.backoff_message(
                    self.backoff.current(bkey), container, spec.pod, spec.namespace, uid
                )
                waiting = {"waiting": {"reason": "CrashLoopBackOff", "message": message}}
                self._states[key][container] = ContainerState(state.restart_count, waiting, last)
                event = restarts.backoff_event(container, spec.pod, spec.namespace, uid)
                self._event(pod, "Warning", "BackOff", event)
                await asyncio.sleep(delay)
            self.backoff.restarted(bkey, time.monotonic())
            count = state.restart_count + 1
            now = now_rfc3339()
            fresh = {"running": {"startedAt": now}}
            self._states[key][container] = ContainerState(count, fresh, last)
            for reason, message in (
                ("Pulled", f'Container image "{spec.image}" already present on machine'),
                ("Created", f"Created container: {container}"),
                ("Started", f"Started container {container}"),
            ):
                self._event(pod, "Normal", reason, message)
            try:
                running = await launcher.start_container(
                    spec, self.ready_timeout, zygote=self.zygote
                )
            except ContainerError as exc:
                code = exc.exit_code if exc.exit_code is not None else 1
                continue
            self._pods[key] = [running if r.spec.container == container else r
                               for r in self._pods[key]]  # fmt: skip
            code = await _exited(running)

    def readiness(self, pod: dict[str, Any]) -> dict[str, bool]:
        out = {}
        for running in self._pods.get(_key(pod), []):
            if running.implementation.kind == "proxy":
                out[running.spec.container] = (
                    self.proxy_ready(pod) if self.proxy_ready is not None else True
                )
            else:
                probers = self._probers.get(_key(pod), {}).get(running.spec.container, [])
                readiness = next((p for p in probers if p.probe.kind == "readiness"), None)
                out[running.spec.container] = running.running and (
                    readiness is None or readiness.ready
                )
        return out

    def running(self, pod: dict[str, Any]) -> list[RunningContainer]:
        return list(self._pods.get(_key(pod), []))

    def spec_for(self, pod: dict[str, Any], container: str | None) -> ContainerSpec | None:
        """The container `exec` should run in (the first app container when none is named)."""
        for running in self._pods.get(_key(pod), []):
            if container in (None, running.spec.container) and (
                container is not None or running.implementation.kind != "proxy"
            ):
                return running.spec
        return None

    async def close(self) -> None:
        for key in list(self._supervisors):
            await self._stop_supervisors(key)
        self._states.clear()
        for key in list(self._probers):
            await self._stop_probes(key)
        pods = list(self._pods)
        await asyncio.gather(*(launcher.stop(r) for key in pods for r in self._pods.pop(key)))
