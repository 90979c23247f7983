"""The pod runtime that runs the lab's workloads as local processes (see runtime.PodRuntime).

App containers run through the workloads' launcher on the pod's IP. The `istio-proxy` container
has no process of its own: the pod's sidecar is a set of listeners in the one Envoy, so it is
ready when the data plane has that pod's configuration live.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from istiotui.local.workloads import images, launcher

log = logging.getLogger(__name__)
PROXY = "istio-proxy"


def _key(pod: dict) -> tuple[str, str]:
    meta = pod.get("metadata") or {}
    return meta.get("namespace", ""), meta.get("name", "")


def _env(container: dict) -> dict[str, str]:
    # Only literal values: valueFrom (field refs, secrets) has no source on this machine.
    return {e["name"]: str(e.get("value", "")) for e in container.get("env") or [] if "name" in e}


class WorkloadRuntime:
    def __init__(
        self,
        root: Path,
        proxy_ready: Callable[[dict], bool],
        ca_bundle: Path | None = None,
    ) -> None:
        self.root = root
        self._proxy_ready = proxy_ready
        self._ca_bundle = ca_bundle
        self._pods: dict[tuple[str, str], list[launcher.RunningContainer]] = {}

    def supports(self, image: str) -> bool:
        try:
            images.resolve(image, "127.0.0.1")
        except images.UnknownImage:
            return False
        except images.ImageError:
            return True  # the image is known; its command is judged when the pod starts
        return True

    async def start(self, pod: dict, pod_ip: str, log_dir: Path) -> None:
        namespace, name = _key(pod)
        containers = (pod.get("spec") or {}).get("containers") or []
        sidecar = any(c.get("name") == PROXY for c in containers)
        started: list[launcher.RunningContainer] = []
        try:
            for c in containers:
                if c.get("name") == PROXY:
                    continue
                spec = launcher.ContainerSpec(
                    namespace=namespace,
                    pod=name,
                    container=c.get("name", "app"),
                    image=c.get("image", ""),
                    pod_ip=pod_ip,
                    root=self.root,
                    command=c.get("command"),
                    args=c.get("args"),
                    env=_env(c),
                    sidecar=sidecar,
                    ca_bundle=self._ca_bundle,
                    log_dir=log_dir,
                )
                started.append(await launcher.start_container(spec))
        except (images.ImageError, launcher.ContainerError) as exc:
            await asyncio.gather(*(launcher.stop(r) for r in started))
            raise RuntimeError(str(exc)) from None
        self._pods[(namespace, name)] = started

    async def stop(self, pod: dict) -> None:
        running = self._pods.pop(_key(pod), [])
        await asyncio.gather(*(launcher.stop(r) for r in running))

    def readiness(self, pod: dict) -> dict[str, bool]:
        running = self._pods.get(_key(pod))
        if running is None:
            return {}
        ready = {r.spec.container: r.running for r in running}
        containers = (pod.get("spec") or {}).get("containers") or []
        if any(c.get("name") == PROXY for c in containers):
            ready[PROXY] = self._proxy_ready(pod)
        return ready

    def container_spec(self, pod: dict, container: str | None) -> launcher.ContainerSpec | None:
        """The running container `exec` should run in (the first app container by default)."""
        for r in self._pods.get(_key(pod), []):
            if container in (None, r.spec.container):
                return r.spec
        return None

    async def close(self) -> None:
        pods = list(self._pods.values())
        self._pods.clear()
        await asyncio.gather(*(launcher.stop(r) for running in pods for r in running))
