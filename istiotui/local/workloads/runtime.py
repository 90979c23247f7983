"""`WorkloadRuntime`: the controller's `PodRuntime` (istiotui.local.runtime) made of real processes.

A pod's app containers run what their images name (see `images`), on the pod's IP, with the
pod's env, command and args; a pod with an injected `istio-proxy` container has a sidecar, so its
processes send their requests to the sidecar IP. `istio-proxy` itself runs no process here (the
one local Envoy holds every pod's sidecar listeners); its readiness comes from `proxy_ready`,
which the Envoy supervisor can supply (default: ready).

An app container is ready once its process listens (a TCP connect, which leaves no line in any
log); a container whose manifest declares an HTTP readiness or liveness probe is also probed as
the kubelet probes it (`probes`), and then its readiness probe decides.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from istiotui.local.workloads import images, launcher, local_ca, probes
from istiotui.local.workloads.launcher import ContainerSpec, RunningContainer

PROXY_CONTAINER = "istio-proxy"


def _key(pod: dict[str, Any]) -> tuple[str, str]:
    meta = pod.get("metadata", {})
    return meta.get("namespace", "default"), meta.get("name", "")


def has_sidecar(pod: dict[str, Any]) -> bool:
    """Whether the pod was injected: it has an `istio-proxy` container next to its apps."""
    return any(c.get("name") == PROXY_CONTAINER for c in pod.get("spec", {}).get("containers", []))


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
    ) -> None:
        self.root = Path(root)
        self.ready_timeout = ready_timeout
        self.proxy_ready = proxy_ready
        self._pods: dict[tuple[str, str], list[RunningContainer]] = {}
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
            *(launcher.start_container(s, self.ready_timeout) for s in specs),
            return_exceptions=True,
        )
        started = [r for r in results if isinstance(r, RunningContainer)]
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            await asyncio.gather(*(launcher.stop(r) for r in started))
            raise RuntimeError(str(failures[0])) from failures[0]
        self._pods[_key(pod)] = started
        self._start_probes(pod, started)

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

    async def stop(self, pod: dict[str, Any]) -> None:
        await self._stop_probes(_key(pod))
        running = self._pods.pop(_key(pod), [])
        await asyncio.gather(*(launcher.stop(r) for r in running))

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
        for key in list(self._probers):
            await self._stop_probes(key)
        pods = list(self._pods)
        await asyncio.gather(*(launcher.stop(r) for key in pods for r in self._pods.pop(key)))
