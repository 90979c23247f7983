"""The local cluster's API server: aiohttp, on a 127.0.0.0/8 address only.

Routes: discovery (`/version`, `/api`, `/apis`, group and resource lists), OpenAPI v3, health, and
every resource URL the kinds table describes (objects in routes_objects, watches in routes_watch,
pod logs in routes_logs). Every error leaves as a `Status` object.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
import ssl
from pathlib import Path

from aiohttp import web

from istiotui.local import (
    discovery,
    openapi,
    routes_exec,
    routes_logs,
    routes_objects,
    routes_portforward,
    routes_scale,
    routes_watch,
    served_versions,
    tokens,
)
from istiotui.local import status as st
from istiotui.local.context import Context
from istiotui.local.resource_urls import parse
from istiotui.local.store import Store

log = logging.getLogger(__name__)


HEADER_BYTES = 1024 * 1024


class PortInUseError(OSError):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"cannot listen on {host}:{port}: the port is already in use")
        self.host, self.port = host, port


@web.middleware
async def _status_errors(request: web.Request, handler):  # type: ignore[no-untyped-def]
    try:
        return await handler(request)
    except st.ApiError as exc:
        return routes_objects.respond(exc.status(), exc.code)
    except web.HTTPException:
        raise
    except Exception as exc:
        log.exception("internal error serving %s %s", request.method, request.path)
        err = st.ApiError(500, "InternalError", f"Internal error occurred: {exc}")
        return routes_objects.respond(err.status(), 500)


def _json(data: dict | None) -> web.Response:
    if data is None:
        raise st.ApiError(404, "NotFound", "the server could not find the requested resource")
    return routes_objects.respond(data)


class ApiServer:
    def __init__(
        self,
        store: Store,
        logs_dir: Path,
        host: str = "127.0.0.1",
        port: int = 6443,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the local API server binds to loopback only, not {host}")
        self.host, self.port = host, port
        self.tls = tls
        self.ctx = Context(store=store, logs_dir=logs_dir, server_address=f"{host}:{port}")
        self.app = self._build()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def _build(self) -> web.Application:
        # Namespace-bound tokens (tokens) and fewer Istio versions on demand (served_versions).
        checks = [_status_errors, tokens.middleware(self.ctx), served_versions.middleware()]
        app = web.Application(middlewares=checks, client_max_size=16 * 1024 * 1024)
        routes_exec.add_routes(app, self.ctx)  # before the catch-all resource routes
        routes_portforward.add_routes(app, self.ctx)
        r = app.router

        def doc(make):  # type: ignore[no-untyped-def]
            async def handler(request: web.Request) -> web.Response:
                return _json(make(request))

            return handler

        for slash in ("", "/"):  # clients ask for both "/version" and "/version/"
            r.add_get("/version" + slash, doc(lambda _r: discovery.version()))
            r.add_get(
                "/api" + slash, doc(lambda _r: discovery.api_versions(self.ctx.server_address))
            )
            r.add_get("/apis" + slash, doc(lambda _r: discovery.api_group_list()))
        group = doc(lambda req: discovery.api_group(req.match_info["group"]))
        r.add_get("/apis/{group}", group)
        r.add_get("/apis/{group}/", group)
        for probe in ("/healthz", "/livez", "/readyz"):
            r.add_get(probe, self._ok)
        r.add_get("/openapi/v3", doc(lambda _r: openapi.index()))
        r.add_get("/openapi/v3/{path:.*}", self._openapi_doc)
        r.add_route("*", "/api/{path:.*}", self._resource)
        r.add_route("*", "/apis/{group}/{path:.*}", self._resource)
        r.add_route("*", "/{path:.*}", self._not_found)
        return app

    async def _ok(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _not_found(self, request: web.Request) -> web.Response:
        raise st.ApiError(404, "NotFound", "the server could not find the requested resource")

    async def _openapi_doc(self, request: web.Request) -> web.Response:
        gv = openapi.parse_gv(request.match_info["path"])
        body = openapi.document_bytes(*gv) if gv else None
        if body is None:
            raise st.ApiError(404, "NotFound", "the server could not find the requested resource")
        return web.Response(body=body, content_type="application/json")

    async def _resource(self, request: web.Request) -> web.StreamResponse:
        rr = parse(request.path)
        method = request.method
        if rr is None:
            if method != "GET":
                raise st.method_not_allowed(f"{method} is not allowed on {request.path}")
            parts = [p for p in request.path.split("/") if p]
            group, version = ("", parts[1]) if parts[0] == "api" else (parts[1], parts[2])
            return _json(discovery.resource_list(group, version))
        ctx = self.ctx
        if rr.subresource == "log" and rr.kind.kind == "Pod":
            return await routes_logs.logs(request, ctx, rr)
        if rr.subresource == "scale":
            return await routes_scale.scale(request, ctx, rr)
        watching = request.query.get("watch", "").lower() in ("true", "1")
        if method == "GET":
            if watching:
                return await routes_watch.watch(request, ctx, rr)
            if rr.name is None:
                return await routes_objects.list_(request, ctx, rr)
            return await routes_objects.get(request, ctx, rr)
        if method == "POST":
            return await routes_objects.create(request, ctx, rr)
        if rr.name is None and method in ("PUT", "PATCH"):
            raise st.method_not_allowed(f"{method} is not allowed on a collection ({request.path})")
        if method == "PUT":
            return await routes_objects.update(request, ctx, rr)
        if method == "PATCH":
            return await routes_objects.patch(request, ctx, rr)
        if method == "DELETE":
            return await routes_objects.delete(request, ctx, rr)
        raise st.method_not_allowed(f"{method} is not allowed on {request.path}")

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise PortInUseError(self.host, self.port) from exc
            raise
        sock.listen(128)
        sock.setblocking(False)
        # Port 0 (tests) binds an ephemeral port: learn which.
        self.port = sock.getsockname()[1]
        self.ctx.server_address = f"{self.host}:{self.port}"
        return sock

    async def start(self) -> None:
        sock = self._bind()
        # kube-apiserver takes request lines and headers up to 1 MiB (Go's MaxHeaderBytes): an
        # exec's command travels in the query string (`kubectl exec … -- curl URL URL …`).
        self._runner = web.AppRunner(
            self.app,
            access_log=None,
            handle_signals=False,
            max_line_size=HEADER_BYTES,
            max_field_size=HEADER_BYTES,
        )
        await self._runner.setup()
        await web.SockSite(self._runner, sock, ssl_context=self.tls).start()

    async def stop(self) -> None:
        self.ctx.closing = True
        self.ctx.store.close_watches()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
