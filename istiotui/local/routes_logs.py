"""Pod logs: `GET /api/v1/namespaces/NS/pods/NAME/log` with `container`, `tailLines`, `follow`,
`limitBytes`. Logs are files the pod runtime writes: `logs/<namespace>/<pod>/<container>.log`
under the state dir."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from istiotui.local import status as st
from istiotui.local.context import Context
from istiotui.local.resource_urls import ResourceRequest

_POLL = 0.2
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"


def _container(pod: dict, wanted: str | None) -> str:
    name = pod["metadata"]["name"]
    containers = [c.get("name", "") for c in pod.get("spec", {}).get("containers", [])]
    if wanted:
        if wanted not in containers:
            raise st.bad_request(f"container {wanted} is not valid for pod {name}")
        return wanted
    default = (pod["metadata"].get("annotations") or {}).get(DEFAULT_CONTAINER)
    if default in containers:
        return default
    if len(containers) == 1:
        return containers[0]
    raise st.bad_request(
        f"a container name must be specified for pod {name}, "
        f"choose one of: [{' '.join(containers)}]"
    )


def _tail(data: bytes, lines: int) -> bytes:
    if lines <= 0:
        return b""
    parts = data.splitlines(keepends=True)
    return b"".join(parts[-lines:])


def _int(request: web.Request, key: str) -> int | None:
    value = request.query.get(key)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise st.bad_request(f"{key} must be an integer") from None


async def logs(request: web.Request, ctx: Context, rr: ResourceRequest) -> web.StreamResponse:
    if request.method != "GET":
        raise st.method_not_allowed(f"{request.method} is not served on pods/log")
    ns, name = rr.namespace or "default", rr.name or ""
    pod = ctx.store.get(rr.kind, ns, name)
    container = _container(pod, request.query.get("container"))
    if request.query.get("previous", "false").lower() == "true":
        raise st.bad_request(
            f'previous terminated container "{container}" in pod "{name}" not found'
        )
    for cs in pod.get("status", {}).get("containerStatuses", []):
        waiting = (cs.get("state") or {}).get("waiting")
        if cs.get("name") == container and waiting:
            raise st.bad_request(
                f'container "{container}" in pod "{name}" is waiting to start: '
                f"{waiting.get('reason', 'ContainerCreating')}"
            )
    path: Path = ctx.log_path(ns, name, container)
    data = path.read_bytes() if path.exists() else b""
    offset = len(data)  # follow from what was read, not from the size later (lines may land)
    tail = _int(request, "tailLines")
    if tail is not None:
        data = _tail(data, tail)
    limit = _int(request, "limitBytes")
    if limit is not None:
        data = data[:limit]
    follow = request.query.get("follow", "false").lower() == "true"
    if not follow:
        return web.Response(body=data, content_type="text/plain")

    resp = web.StreamResponse(status=200)
    resp.content_type = "text/plain"
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    await resp.write(data)
    try:
        while not ctx.closing and ctx.store.find(rr.kind, ns, name) is not None:
            await asyncio.sleep(_POLL)
            if not path.exists():
                continue
            size = path.stat().st_size
            if size < offset:
                offset = 0  # the file was replaced (container restarted)
            if size > offset:
                with path.open("rb") as f:
                    f.seek(offset)
                    chunk = f.read(size - offset)
                offset = size
                await resp.write(chunk)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return resp
