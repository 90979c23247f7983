"""More sidecars than the user's inotify instances allow route files for, in a real Envoy, and a
pod's readiness across an Envoy crash: Ready always means its sidecar's listeners answer."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from istiotui.local.addresses import sidecar_ip
from istiotui.local.dataplane import DataPlane
from istiotui.local.envoy_files import inotify_room
from istiotui.local.pilot import PilotOptions
from istiotui.local.store import Store
from istiotui.mesh.kinds import by_kind

from .conftest import free_port
from .mesh_fixtures import pod, service

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

NS = "default"
BASE = 254 * 150  # pod indices apart from the live tests' and a running cluster's
PORTS = (9080, 9081, 9082, 9083)  # four HTTP ports: four route tables per sidecar
POD, SVC = by_kind("", "Pod"), by_kind("", "Service")


@dataclass
class Mesh:
    plane: DataPlane
    pods: list[dict[str, Any]]
    tables: int  # route tables the pilot made (one per sidecar and HTTP port)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def mesh(tmp_path_factory: Any) -> AsyncIterator[Mesh]:
    room = inotify_room()
    if room > 240:
        pytest.skip(f"this user may create {room} more inotify instances: nothing to keep within")
    # More tables than there is room for files, whatever else holds instances now.
    n = room // len(PORTS) + 4
    state = tmp_path_factory.mktemp("many-sidecars")
    store = Store()
    for i, port in enumerate(PORTS):
        store.create(SVC, NS, service(f"svc{i}", NS, port))
    for i in range(n):
        store.create(POD, NS, pod(f"client-{i}", NS, {"app": "client"}, BASE + i + 1))
    plane = DataPlane(store, state, PilotOptions(log_dir=state / "logs"), free_port())
    try:
        await plane.start()
        yield Mesh(plane, list(store.items(POD, NS)), n * len(PORTS))
    finally:
        await plane.stop()


async def answer(address: str, port: int, host: str) -> str:
    """The status line and headers of one request through a sidecar's outbound listener."""
    reader, writer = await asyncio.open_connection(address, port)
    try:
        writer.write(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        return (await asyncio.wait_for(reader.read(), 10)).decode(errors="replace").lower()
    finally:
        writer.close()


async def every_sidecar_answers(mesh: Mesh, pods: list[dict[str, Any]]) -> None:
    """Each pod Ready, and each of its outbound HTTP listeners routing (no endpoint behind the
    Services: the sidecar's own 503, by route). Together: each takes about a second."""
    assert all(mesh.plane.proxy_ready(p) for p in pods)
    asked = [
        (sidecar_ip(p["status"]["podIP"]), port, f"svc{i}:{port}")
        for p in pods
        for i, port in enumerate(PORTS)
    ]
    answers = await asyncio.gather(*(answer(*a) for a in asked))
    for a, got in zip(asked, answers, strict=True):
        assert got.startswith("http/1.1 503") and got.endswith("no healthy upstream"), (a, got)


def route_files(state: Path) -> int:
    return len(list((state / "envoy" / "rds").glob("*/routes.json")))


async def test_every_sidecar_serves_past_the_route_files_room(mesh: Mesh) -> None:
    envoy = mesh.plane.envoy
    # Envoy aborts when a subscription finds no inotify instance left; it did not.
    assert envoy.restarts == 0 and envoy.serving
    files = route_files(envoy.state_dir)
    assert files == envoy.route_files < mesh.tables  # the rest stayed in their listeners
    await every_sidecar_answers(mesh, mesh.pods)


async def test_pods_replaced_at_a_full_room_leave_room_for_the_draining_ones(mesh: Mesh) -> None:
    """A rollout: the old pods' listeners drain with their route files still watched (their
    inotify instances open), so the new pods' tables may not take that room yet: every file
    on disk is still watched or may be, and they stay within the room."""
    envoy, store = mesh.plane.envoy, mesh.plane.store
    old = mesh.pods[-6:]
    for p in old:
        store.delete(POD, NS, p["metadata"]["name"])
    start = BASE + len(mesh.pods) + 1
    for i in range(len(old)):
        store.create(POD, NS, pod(f"client-new-{i}", NS, {"app": "client"}, start + i))
    await mesh.plane.sync()
    mesh.pods[-6:] = [store.find(POD, NS, f"client-new-{i}") for i in range(len(old))]
    assert envoy.restarts == 0 and envoy.serving
    assert route_files(envoy.state_dir) == envoy.route_files
    await every_sidecar_answers(mesh, mesh.pods[-6:])


async def test_a_pod_is_ready_only_while_its_sidecar_answers(mesh: Mesh) -> None:
    envoy = mesh.plane.envoy
    first = mesh.pods[0]
    side = sidecar_ip(first["status"]["podIP"])
    pid, restarts = envoy.pid, envoy.restarts
    assert pid is not None and mesh.plane.proxy_ready(first)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while envoy.serving:  # the crash noticed (a kubelet notices at its next probe)
        assert time.monotonic() < deadline, "the dead envoy still reads as serving"
        await asyncio.sleep(0.005)
    looks = 0
    # Through the restart: whenever the pod reads Ready, its listener answers (it used to read
    # Ready as soon as a new Envoy process existed, before that process had loaded a listener).
    while envoy.restarts == restarts:
        assert time.monotonic() < deadline, "envoy was not restarted"
        if mesh.plane.proxy_ready(first):
            got = await answer(side, PORTS[0], f"svc0:{PORTS[0]}")
            assert got.startswith("http/1.1 503"), got
        looks += 1
        await asyncio.sleep(0.005)
    assert looks and mesh.plane.proxy_ready(first) and envoy.pid not in (None, pid)
    assert route_files(envoy.state_dir) == envoy.route_files
