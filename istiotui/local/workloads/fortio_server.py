"""fortio-compatible echo server (`fortio server`): what the fortio image serves on 8080.

Any path echoes the request body back; `?status=N` answers with that status, `?delay=D` waits
first (capped at 1.5 s as fortio caps it); `/debug` describes the request in plain text.
fortio's gRPC ping (8079), web UI and redirector are not served.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from aiohttp import web

from istiotui import settings
from istiotui.local.workloads import serving
from istiotui.mesh.durations import parse_duration

MAX_DELAY = 1.5


async def debug(request: web.Request) -> web.Response:
    body = await request.read()
    lines = [
        f"Φορτίο-compatible echo debug server (istiotui) on {os.environ.get('HOSTNAME', '')} - "
        f"request from {request.remote}",
        "",
        f"{request.method} {request.path_qs} HTTP/{request.version.major}.{request.version.minor}",
        "",
        "headers:",
        "",
        *(f"{name}: {value}" for name, value in request.headers.items()),
        "",
        "body:",
        "",
        body.decode(errors="replace"),
    ]
    return web.Response(text="\n".join(lines))


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    delay = request.query.get("delay")
    if delay:
        try:
            seconds = min(parse_duration(delay), MAX_DELAY)
        except ValueError:
            return web.Response(status=400, text=f"bad delay {delay!r}\n")
        await asyncio.sleep(seconds)
    try:
        status = int(request.query.get("status", "200"))
    except ValueError:
        return web.Response(status=400, text="bad status\n")
    return web.Response(status=status, body=body)


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/debug", debug)
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


def serve(http_port: str) -> None:
    host, _, port = http_port.rpartition(":")
    host = host or (settings.POD_IP.get() or "127.0.0.1")
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    web.run_app(
        make_app(),
        host=host,
        port=int(port),
        access_log_format=serving.ACCESS_LOG_FORMAT,
        print=lambda msg: print(f"Fortio-compatible echo server: {msg}", flush=True),
        shutdown_timeout=1.0,
    )
