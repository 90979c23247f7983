"""The local cluster's server process: `python -m istiotui.local.server --state-dir D --port N`.

`istiotui local up` starts it in its own session (process group); it writes its pid file, then
`server.json` once it listens, and stops cleanly on SIGTERM, SIGINT and SIGHUP: the API stops,
the runtime stops every pod's processes, and the pid and info files are removed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path

from istiotui import process_group, settings
from istiotui.local import blocks
from istiotui.local.apiserver import PortInUseError
from istiotui.local.cluster import LocalCluster
from istiotui.local.state import StateDir
from istiotui.local.store import CorruptStore
from istiotui.local.workloads.local_ca import CertificateError

EXIT_PORT_IN_USE = 3
EXIT_CORRUPT_STATE = 4
EXIT_BLOCK_HELD = 5
EXIT_WITH_PID_ENV = settings.LOCAL_EXIT_WITH_PID.name
DATA_PLANE_ENV = settings.LOCAL_DATA_PLANE.name


async def serve(state: StateDir, host: str, port: int) -> int:
    # ISTIOTUI_LOCAL_DATA_PLANE=0 serves the API alone (the API's own tests): no Envoy, no
    # processes, pods marked running.
    data_plane = settings.LOCAL_DATA_PLANE.get()
    try:
        cluster = LocalCluster(state, host, port, data_plane=data_plane)
    except CorruptStore as exc:  # `up` checks first; this is for a server started by hand
        logging.error("cannot start: the store %s %s", exc.path, exc.reason)
        print(
            f"istiotui local: cannot start: the store {exc.path} {exc.reason}; see "
            "`istiotui local up --reset-corrupt-state`",
            file=sys.stderr,
        )
        return EXIT_CORRUPT_STATE
    except CertificateError as exc:  # made in a child before anything starts: said as a start
        logging.error("the local cluster could not start: %s", exc)
        print(f"istiotui local: the local cluster could not start: {exc}", file=sys.stderr)
        return 1
    # Handlers first: a signal during start-up lets the start finish, then stops it cleanly,
    # instead of killing the server with Envoy and pods half-started.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    try:
        await cluster.start()
    except PortInUseError as exc:
        logging.error("%s", exc)
        print(f"istiotui local: {exc}", file=sys.stderr)
        return EXIT_PORT_IN_USE
    except Exception as exc:  # Envoy, a workload, a bind: say which, in the log `up` shows
        logging.debug("start-up failure", exc_info=True)
        logging.error("the local cluster could not start: %s", exc)
        print(f"istiotui local: the local cluster could not start: {exc}", file=sys.stderr)
        return 1
    watchdog = _exit_with(settings.LOCAL_EXIT_WITH_PID.get(), stop)
    info = {
        "pid": os.getpid(),
        "url": cluster.url,
        "host": host,
        "port": cluster.api.port,
        "envoy_admin": cluster.envoy_admin,
        "notes": cluster.notes,
    }
    for note in cluster.notes:
        logging.warning("%s", note)
    tmp = state.info_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(info))
    os.replace(tmp, state.info_file)
    logging.info("listening on %s", cluster.url)
    await stop.wait()
    logging.info("stopping")
    if watchdog is not None:
        watchdog.cancel()
    await cluster.stop()
    return 0


def _exit_with(pid: int | None, stop: asyncio.Event) -> asyncio.Task[None] | None:
    """With ISTIOTUI_LOCAL_EXIT_WITH_PID set (test sessions set it to their own pid), stop when
    that process is gone, so that a test run killed before its teardown leaves no server."""
    if pid is None:
        return None

    async def watch() -> None:
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                logging.info("process %d is gone", pid)
                stop.set()
                return
            except PermissionError:
                pass
            await asyncio.sleep(0.5)

    return asyncio.create_task(watch())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="istiotui-local-server")
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6443)
    args = parser.parse_args(argv)
    state = StateDir(args.state_dir).ensure()
    logging.basicConfig(
        # The starting command's -v/--log-level reach here through the environment.
        level=(settings.LOG_LEVEL.get() or "info").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Held for the server's whole life (the descriptor is not inherited by pods): `up` chose a
    # free block, and this closes the race with another cluster starting at the same moment.
    block = settings.LOCAL_BLOCK.get()
    if blocks.hold(block) is None:
        print(f"istiotui local: {blocks.describe(block)} is held by another local cluster "
              "on this machine", file=sys.stderr)  # fmt: skip
        return EXIT_BLOCK_HELD
    state.pid_file.write_text(str(os.getpid()))
    try:
        return asyncio.run(serve(state, args.host, args.port))
    finally:
        # What `kubectl exec … sh -c '… &'` left in sessions of its own is the cluster's too.
        mark = settings.OWNER.get()
        if mark:
            process_group.sweep_owned(mark, grace=2.0)
        for f in (state.pid_file, state.info_file):
            if f.exists() and (f != state.pid_file or f.read_text().strip() == str(os.getpid())):
                f.unlink()


if __name__ == "__main__":
    sys.exit(main())
