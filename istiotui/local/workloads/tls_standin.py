"""A local HTTPS stand-in for the lab's external host `edition.cnn.com`.

This machine has no internet, so the egress steps of the lab reach this server instead: it
listens on port 443 of an address of its own (one per local cluster: addresses.standin_ip),
with a certificate for the host's name signed by the local CA, and answers `/politics` with a
page that says plainly it is a local stand-in. It is reached only through the mesh (the pilot
points the external host's cluster here).

The local cluster serves it from its own process (`start_in_process`), on the event loop the API
runs on: it is no pod, and as a process of its own (an interpreter forked like a pod's) it cost
≈ 8 MiB for a page the lab asks for a few times. Its access log is written where a pod's would
be. `python -m istiotui.local.workloads.tls_standin --root STATE_DIR [--bind IP] [--port N]`
runs it alone.
"""

from __future__ import annotations

import argparse
import logging
import ssl
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from istiotui.local.addresses import bind_port
from istiotui.local.workloads import serving
from istiotui.local.workloads.local_ca import ensure_server_cert

HOSTNAME = "edition.cnn.com"
BIND = "127.250.0.1"
PORT = 443
# For the pilot: the external hosts this machine stands in for, and where.
STANDINS = {HOSTNAME: (BIND, PORT)}

PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Politics — local stand-in for {host}</title></head>
<body>
<h1>Politics</h1>
<p>This page is a <strong>local stand-in</strong> for https://{host}{path}, served by istiotui's
embedded local cluster because this machine has no internet access. Reaching it shows that the
request left the mesh the way the lab describes (through the sidecar and, when configured, the
egress gateway) and that TLS was verified against the local cluster's CA.</p>
</body>
</html>
"""


def make_app(hostname: str = HOSTNAME) -> web.Application:
    async def politics(request: web.Request) -> web.Response:
        return web.Response(
            text=PAGE.format(host=hostname, path=request.path), content_type="text/html"
        )

    async def root(_: web.Request) -> web.Response:
        raise web.HTTPFound("/politics")

    app = web.Application()
    app.router.add_get("/", root)
    app.router.add_get("/politics", politics)
    app.router.add_get("/politics/{tail:.*}", politics)
    return app


def server_context(root: Path, hostname: str) -> ssl.SSLContext:
    pair = ensure_server_cert(root, hostname)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pair.cert, pair.key)
    return context


def log_path(root: Path, hostname: str = HOSTNAME) -> Path:
    """Where its access log goes: where the log of a pod `tls-standin-<host>` would."""
    pod = f"tls-standin-{hostname.replace('.', '-')}"
    return root / "logs" / "istiotui-system" / pod / "standin.log"


@dataclass
class InProcess:
    """The stand-in served by the calling process's event loop."""

    runner: web.AppRunner
    log_path: Path
    handler: logging.Handler

    async def stop(self) -> None:
        await self.runner.cleanup()
        logging.getLogger(_logger_name(self.log_path)).removeHandler(self.handler)
        self.handler.close()


def _logger_name(path: Path) -> str:
    # The whole path: two stand-ins in one process (two clusters' state dirs) log apart.
    return "istiotui.standin." + str(path.resolve()).replace(".", "_")  # no sub-loggers


async def start_in_process(
    root: Path, bind: str = BIND, port: int = PORT, hostname: str = HOSTNAME
) -> InProcess:
    """Serve the stand-in here on `bind`:`port` (the declared port, bound where the cluster's
    port mapping says); returns once it listens. Its certificate is made if missing."""
    path = log_path(root, hostname)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(_logger_name(path))
    logger.setLevel(logging.INFO)  # access lines whatever the process's own log level
    logger.propagate = False  # into its log only, not the server's
    logger.addHandler(handler)
    runner = web.AppRunner(
        make_app(hostname),
        access_log=logger,
        access_log_format=serving.ACCESS_LOG_FORMAT,
        shutdown_timeout=1.0,
    )
    try:
        await runner.setup()
        site = web.TCPSite(
            runner, bind, bind_port(bind, port), ssl_context=server_context(root, hostname)
        )
        await site.start()
    except BaseException:
        await runner.cleanup()
        logger.removeHandler(handler)
        handler.close()
        raise
    logger.info("TLS stand-in for %s: listening on %s:%d", hostname, bind, port)
    return InProcess(runner, path, handler)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="the local cluster's state dir")
    parser.add_argument("--bind", default=BIND)
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--hostname", default=HOSTNAME)
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    web.run_app(
        make_app(args.hostname),
        host=args.bind,
        port=args.port,
        ssl_context=server_context(args.root, args.hostname),
        access_log_format=serving.ACCESS_LOG_FORMAT,
        print=lambda msg: print(f"TLS stand-in for {args.hostname}: {msg}", flush=True),
        shutdown_timeout=1.0,
    )


if __name__ == "__main__":
    main()
