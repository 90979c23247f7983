"""What every aiohttp workload shares: its command line, its access log and how it runs."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from aiohttp import web

# Apache-like, one line per request, so `kubectl logs` shows traffic as it would on a cluster.
ACCESS_LOG_FORMAT = '%a - - %t "%r" %s %b "%{User-Agent}i"'


def parse_args(
    description: str, default_port: int, argv: Sequence[str] | None
) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (the pod IP)")
    parser.add_argument("--port", type=int, default=default_port, help="port to listen on")
    return parser.parse_args(argv)


def run(
    make_app: Callable[[], web.Application],
    description: str,
    default_port: int,
    argv: Sequence[str] | None = None,
) -> None:
    args = parse_args(description, default_port, argv)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    # aiohttp stops on SIGTERM/SIGINT by itself (graceful shutdown), which is what stop() sends.
    web.run_app(
        make_app(),
        host=args.bind,
        port=args.port,
        access_log_format=ACCESS_LOG_FORMAT,
        print=lambda msg: print(msg, flush=True),
        shutdown_timeout=2.0,
    )
