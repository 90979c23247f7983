"""The kubelet's HTTP probes, for containers whose manifest declares them.

A container is probed over HTTP only when its manifest says so (`readinessProbe.httpGet` or
`livenessProbe.httpGet`), as the kubelet does: the requests carry `User-Agent: kube-probe/1.32`,
come every `periodSeconds` (default 10) after `initialDelaySeconds`, and so show in the app's
access log exactly as they would on a node. A container without one is never sent a request the
learner did not send (the launcher's start-up check is a TCP connect).

Only the readiness probe decides readiness (`failureThreshold` failures in a row make the
container not ready, one success makes it ready again); a liveness probe is sent and logged but
restarts nothing here.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import aiohttp

from istiotui.local.addresses import bind_port

USER_AGENT = "kube-probe/1.32"


@dataclass(frozen=True)
class HttpProbe:
    kind: str  # readiness | liveness
    path: str
    port: int | str  # a number or the name of one of the container's ports
    period: float = 10.0
    timeout: float = 1.0
    initial_delay: float = 0.0
    failure_threshold: int = 3
    headers: tuple[tuple[str, str], ...] = ()


def declared(container: dict[str, Any]) -> list[HttpProbe]:
    """The container's HTTP probes, readiness first; exec and tcpSocket probes send no request."""
    out = []
    for kind in ("readiness", "liveness"):
        probe = container.get(f"{kind}Probe") or {}
        get = probe.get("httpGet") if isinstance(probe, dict) else None
        if not isinstance(get, dict) or get.get("port") in (None, ""):
            continue
        if str(get.get("scheme", "HTTP")).upper() != "HTTP":
            continue
        port = get["port"]
        out.append(
            HttpProbe(
                kind=kind,
                path=str(get.get("path") or "/"),
                port=int(port) if str(port).isdigit() else str(port),
                period=float(probe.get("periodSeconds") or 10),
                timeout=float(probe.get("timeoutSeconds") or 1),
                initial_delay=float(probe.get("initialDelaySeconds") or 0),
                failure_threshold=int(probe.get("failureThreshold") or 3),
                headers=tuple(
                    (str(h.get("name", "")), str(h.get("value", "")))
                    for h in get.get("httpHeaders") or []
                    if isinstance(h, dict) and h.get("name")
                ),
            )
        )
    return out


def container_port(container: dict[str, Any], port: int | str) -> int | None:
    """A probe's port as a number: itself, or the container port of that name."""
    if isinstance(port, int):
        return port
    for p in container.get("ports") or []:
        if p.get("name") == port and str(p.get("containerPort", "")).isdigit():
            return int(p["containerPort"])
    return None


async def probe_once(host: str, port: int, probe: HttpProbe) -> bool:
    """One probe: success is a status from 200 to 399, as the kubelet counts it."""
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*", **dict(probe.headers)}
    try:
        async with (
            aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=probe.timeout),
                connector=aiohttp.TCPConnector(force_close=True),
                skip_auto_headers=("Accept-Encoding",),
            ) as session,
            session.get(
                f"http://{host}:{bind_port(host, port)}{probe.path}",  # where it really listens
                headers=headers,
                allow_redirects=False,
            ) as resp,
        ):
            await resp.read()
            return 200 <= resp.status < 400
    except (OSError, aiohttp.ClientError, TimeoutError):
        return False


@dataclass
class Prober:
    """Probes one container for as long as it runs; `ready` is what its readiness probe says."""

    host: str
    port: int
    probe: HttpProbe
    ready: bool = False
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"probe-{self.host}-{self.probe.kind}")

    async def _run(self) -> None:
        await asyncio.sleep(self.probe.initial_delay)
        failures = 0
        while True:
            if await probe_once(self.host, self.port, self.probe):
                failures, self.ready = 0, True
            else:
                failures += 1
                if failures >= self.probe.failure_threshold:
                    self.ready = False
            await asyncio.sleep(self.probe.period)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
