"""Watches: `?watch=true` streams one JSON event per line ({"type", "object"}), as the API does.

A watch starts from `resourceVersion` (the changes after it; 410 Gone as an ERROR event when
history no longer reaches it) or, without one, with the current objects as ADDED. With
`allowWatchBookmarks=true` it sends BOOKMARK events carrying the latest resourceVersion. It ends
after `timeoutSeconds`, when the client goes away, or when the server stops.
"""

from __future__ import annotations

import asyncio
import json
import time

from aiohttp import web

from istiotui.local import status as st
from istiotui.local.context import Context
from istiotui.local.resource_urls import ResourceRequest
from istiotui.local.routes_objects import wants_table
from istiotui.local.selectors import field_selector, label_selector
from istiotui.local.store import Change, as_version
from istiotui.mesh.tables import table


def _event_object(
    ctx: Context, rr: ResourceRequest, obj: dict, as_table: bool, include: str
) -> dict:
    obj = as_version(obj, rr.kind, rr.version)
    if as_table:
        return table(rr.kind, [obj], ctx.now(), include_object=include)
    return obj


async def watch(request: web.Request, ctx: Context, rr: ResourceRequest) -> web.StreamResponse:
    lmatch = label_selector(request.query.get("labelSelector"))
    fmatch = field_selector(request.query.get("fieldSelector"))
    if rr.name is not None:  # watching one object: a field selector on its name
        name = rr.name
        fmatch_name = fmatch
        fmatch = lambda o: fmatch_name(o) and o["metadata"]["name"] == name  # noqa: E731
    bookmarks = request.query.get("allowWatchBookmarks", "false").lower() == "true"
    try:
        timeout = float(request.query.get("timeoutSeconds", "0") or 0)
    except ValueError:
        raise st.bad_request("timeoutSeconds must be a number") from None
    as_table = wants_table(request)
    include = request.query.get("includeObject", "Metadata")

    resp = web.StreamResponse(status=200)
    resp.content_type = "application/json"
    resp.enable_chunked_encoding()
    await resp.prepare(request)

    async def send(type_: str, obj: dict) -> None:
        await resp.write(json.dumps({"type": type_, "object": obj}).encode() + b"\n")

    try:
        w, first = ctx.store.watch(
            rr.kind,
            rr.namespace,
            lambda o: lmatch(o) and fmatch(o),
            request.query.get("resourceVersion"),
        )
    except st.ApiError as exc:
        await send("ERROR", exc.status())
        return resp
    deadline = time.monotonic() + timeout if timeout > 0 else None
    try:
        for change in first:
            await send(change.type, _event_object(ctx, rr, change.new, as_table, include))
        while not ctx.closing:
            wait = ctx.bookmark_interval if bookmarks else 3600.0
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    break
            try:
                change: Change | None = await asyncio.wait_for(w.queue.get(), timeout=wait)
            except TimeoutError:
                if bookmarks:
                    mark = {
                        "kind": rr.kind.kind,
                        "apiVersion": rr.api_version,
                        "metadata": {"resourceVersion": str(ctx.store.rv)},
                    }
                    await send("BOOKMARK", mark)
                continue
            if change is None:
                break
            await send(change.type, _event_object(ctx, rr, change.new, as_table, include))
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        ctx.store.unwatch(w)
    return resp
