"""The seam between the controller and whatever runs a pod's containers.

The controller decides *which* pods exist; a `PodRuntime` makes them run. The workload runtime
(Bookinfo services, httpbin, the sidecars through the local pilot) plugs in here by implementing
`PodRuntime` and being passed to `Controller(runtime=…)`.

`NullRuntime`, the default until then, starts **no processes**: it accepts every image and
reports every container running and ready at once, so the API shows pods `Running` and `2/2`
while nothing listens on their addresses. It is there for the API's own tests and must not be
mistaken for a workload: anything that sends traffic needs the real runtime.

Contract:
- `supports(image)`: whether this runtime has a local implementation of an image. The controller
  leaves a pod whose images are not all supported `Pending`, with a Warning Event naming the
  image, and never starts it.
- `start(pod, pod_ip, log_dir)`: start the pod's containers (app containers bind `pod_ip`); each
  container writes its output to `log_dir/<container>.log` (the API serves these as pod logs).
  Called once per pod; may raise `RuntimeError` with a message for the pod's Event.
- `stop(pod)`: stop everything `start` started for that pod (whole process groups) and return
  once it is gone. Called on pod deletion and when the cluster stops.
- `readiness(pod)`: container name → ready, for the containers it runs; polled by the controller.
- `close()`: stop every pod still running (the cluster is stopping).
- optional `container_states(pod)`: container name → `ContainerState` (restart count, state,
  last state) for a runtime that restarts crashed containers as the kubelet does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable


@runtime_checkable
class PodRuntime(Protocol):
    def supports(self, image: str) -> bool: ...

    async def start(self, pod: dict, pod_ip: str, log_dir: Path) -> None: ...

    async def stop(self, pod: dict) -> None: ...

    def readiness(self, pod: dict) -> dict[str, bool]: ...

    async def close(self) -> None: ...


def _key(pod: dict) -> tuple[str, str]:
    meta = pod.get("metadata", {})
    return meta.get("namespace", ""), meta.get("name", "")


class NullRuntime:
    """Starts nothing; marks every container of a started pod running and ready (see above)."""

    def __init__(self) -> None:
        self._running: dict[tuple[str, str], list[str]] = {}

    def supports(self, image: str) -> bool:
        return True

    async def start(self, pod: dict, pod_ip: str, log_dir: Path) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        names = [c.get("name", "") for c in pod.get("spec", {}).get("containers", [])]
        self._running[_key(pod)] = names

    async def stop(self, pod: dict) -> None:
        self._running.pop(_key(pod), None)

    def readiness(self, pod: dict) -> dict[str, bool]:
        return dict.fromkeys(self._running.get(_key(pod), []), True)

    async def close(self) -> None:
        self._running.clear()


@dataclass(frozen=True)
class ContainerState:
    """What the kubelet reports of one container beyond readiness (an optional part of the
    seam: a runtime with `container_states(pod) -> {name: ContainerState}` restarts containers,
    and the controller writes these into the pod's containerStatuses)."""

    restart_count: int
    state: dict  # Kubernetes ContainerState: {"running": …} | {"waiting": …} | {"terminated": …}
    last_state: dict = field(default_factory=dict)
