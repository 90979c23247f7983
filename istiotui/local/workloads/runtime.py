"""`WorkloadRuntime`: the controller's `PodRuntime` (istiotui.local.runtime) made of real processes.

A pod's app containers run what their images name (see `images`), on the pod's IP, with the
pod's env, command and args; a pod with an injected `istio-proxy` container has a sidecar, so its
processes send their requests to the sidecar IP. `istio-proxy` itself runs no process here (the
one local Envoy holds every pod's sidecar listeners); its readiness comes from `proxy_ready`,
which the Envoy supervisor can supply (default: ready).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from istiotui.local.workloads import images, launcher, local_ca
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

    async def stop(self, pod: dict[str, Any]) -> None:
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
                out[running.spec.container] = running.running
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
        pods = list(self._pods)
        await asyncio.gather(*(launcher.stop(r) for key in pods for r in self._pods.pop(key)))
