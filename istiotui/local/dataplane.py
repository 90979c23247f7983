"""The local data plane: the store's objects compiled by the local pilot into one real Envoy.

Every change to an object the pilot reads schedules a sync; a write through the API awaits
`settle()`, so `kubectl apply` returns only once Envoy reports the new configuration live — what
a learner probes right after an apply is what they applied. Syncs run one at a time and a sync
that finds nothing new returns at once, so a burst of changes costs one compile and one push.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from istiotui.local.context import NotSettled
from istiotui.local.envoy import ConfigRejected, EnvoyError, EnvoySupervisor
from istiotui.local.pilot.compile import EnvoyConfig, compile_mesh
from istiotui.local.pilot.compile_cache import CompileCache
from istiotui.local.pilot.model import PilotError, PilotOptions
from istiotui.local.store import Change, Store

log = logging.getLogger(__name__)

# What the pilot reads; a change to anything else never touches Envoy.
MESH_KINDS = frozenset(
    {
        "Service",
        "Pod",
        "Namespace",
        "Gateway",
        "VirtualService",
        "DestinationRule",
        "ServiceEntry",
        "IstioOperator",
    }
)


class DataPlane:
    def __init__(self, store: Store, state_dir: Path, options: PilotOptions, admin_port: int):
        self.store = store
        self.options = options
        self.envoy = EnvoySupervisor(state_dir, admin_port)
        self._lock = asyncio.Lock()
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._live_ips: frozenset[str] = frozenset()
        # Changes to what the pilot reads are counted; a sync with nothing new returns at once.
        self._generation = 0
        self._live_generation = -1
        self._tried_generation = -1  # the generation the last sync started with
        self._live: EnvoyConfig | None = None
        self._compiled = CompileCache()  # what the last compile built, for the next one
        # Called with the pod IPs a push just made live (their sidecars became ready then).
        self.on_live: list[Callable[[frozenset[str]], None]] = []
        self.last_error: str | None = None

    async def start(self) -> None:
        await self.envoy.start()
        self.store.listen(self._on_change)
        await self.sync()
        self._task = asyncio.create_task(self._follow(), name="dataplane-sync")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.envoy.stop()

    def _on_change(self, change: Change) -> None:
        if change.kind.kind in MESH_KINDS:
            self._generation += 1
            self._dirty.set()

    async def _follow(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            try:
                await self.sync()
            except (PilotError, EnvoyError) as exc:
                log.error("data plane sync failed: %s", exc)

    def _objects(self) -> list[dict]:
        from istiotui.mesh.kinds import KINDS

        return [obj for kind in KINDS if kind.kind in MESH_KINDS for obj in self.store.items(kind)]

    async def sync(self) -> EnvoyConfig:
        """Compile what the store holds now and make it live; returns the live configuration."""
        async with self._lock:
            generation = self._generation
            if self._live is not None and generation == self._live_generation:
                return self._live  # nothing the pilot reads has changed since the last push
            self._tried_generation = generation
            objects = self._objects()
            try:
                config = compile_mesh(objects, self.options, self._compiled)
            except PilotError as exc:
                self.last_error = str(exc)
                raise
            await self.envoy.apply(config)
            self.last_error = None
            live = frozenset(
                (o.get("status") or {}).get("podIP", "") for o in objects if o.get("kind") == "Pod"
            )
            new, self._live_ips = live - self._live_ips, live
            self._live, self._live_generation = config, generation
            if new:
                for callback in self.on_live:
                    callback(new)
            return config

    async def settle(self) -> None:
        """Wait until Envoy serves what the store holds (called after an API write).

        NotSettled when it cannot: `refused` when the pilot or Envoy refused the configuration
        (the API then undoes the write), not when Envoy is unreachable or late. A write that
        changed nothing the pilot reads since the last attempt returns at once, even if that
        attempt failed: the write that brought a change answers for it, not every later one."""
        self._dirty.clear()
        if self._generation == self._tried_generation:
            return
        try:
            await self.sync()
        except (PilotError, ConfigRejected) as exc:
            raise NotSettled(str(exc), refused=True) from None
        except EnvoyError as exc:
            raise NotSettled(str(exc), refused=False) from None

    def proxy_ready(self, pod: dict) -> bool:
        """A pod's sidecar is ready once Envoy serves a configuration that includes the pod.

        Serves, not merely runs: an Envoy that crashed and is starting again (or crashing in a
        loop) has no listener, and its pods stay Ready no longer than the kubelet's next look,
        as istio-proxy's readiness probe would fail on a real node."""
        ip = (pod.get("status") or {}).get("podIP")
        return bool(ip) and self.envoy.serving and ip in self._live_ips
