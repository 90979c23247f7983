"""`istiotui local up | down | status`: the embedded local cluster as a background process."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from typing import Any

from istiotui.cli import exit_codes
from istiotui.cli.output import add_output_flag, document, emit, wants_data
from istiotui.local import addresses, daemon
from istiotui.local.host_support import local_cluster_unsupported
from istiotui.local.kubeconfig import CONTEXT
from istiotui.local.state import StateDir


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1–65535)")
    return int(text)


def _loopback(text: str) -> str:
    try:
        if ipaddress.ip_address(text).is_loopback:
            return text
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r}: the local cluster listens on 127.0.0.0/8 only")


def _up(args: argparse.Namespace) -> int:
    unsupported = local_cluster_unsupported()
    if unsupported:
        print(f"istiotui local up: {unsupported}", file=sys.stderr)
        return exit_codes.UNREACHABLE
    state = StateDir.default()
    try:
        addresses.check_environment()
        port = args.port if args.port is not None else addresses.api_port()
    except ValueError as exc:
        print(f"istiotui local up: {exc}", file=sys.stderr)
        return exit_codes.USAGE
    try:
        running = daemon.up(state, args.host, port, reset_corrupt_state=args.reset_corrupt_state)
    except daemon.DaemonError as exc:
        print(f"istiotui local up: {exc}", file=sys.stderr)
        return exit_codes.UNREACHABLE
    _print_notes(running.notes)
    _print_status(state, running)
    return exit_codes.OK


def _print_notes(notes: list[str] | tuple[str, ...]) -> None:
    for note in notes:
        print(f"istiotui local: note: {note}", file=sys.stderr)


def _down(args: argparse.Namespace) -> int:
    state = StateDir.default()
    _print_notes(daemon.stale_notes(state))
    if daemon.down(state):
        print("local cluster stopped")
    else:
        print("local cluster was not running")
    return exit_codes.OK


def _status(args: argparse.Namespace) -> int:
    state = StateDir.default()
    running = daemon.status(state)
    notes = daemon.stale_notes(state) if running is None else []
    code = exit_codes.OK if running is not None else exit_codes.NOT_RUNNING
    if wants_data(args):
        emit(status_data(state, running, notes), args.output)
        return code
    if running is None:
        _print_notes(notes)
        print(f"local cluster: not running (state dir {state.root})")
        return code
    _print_status(state, running)
    return code


def status_data(
    state: StateDir, running: daemon.Running | None, notes: list[str] | tuple[str, ...]
) -> dict[str, Any]:
    up = running is not None
    return document(
        running=up,
        url=running.url if up else None,
        port=running.port if up else None,
        pid=running.pid if up else None,
        envoyAdmin=running.envoy_admin if up else None,
        kubeconfig=str(state.kubeconfig) if up else None,
        context=CONTEXT if up else None,
        stateDir=str(state.root),
        notes=list(notes),
        unsupported=local_cluster_unsupported(),
    )


def _print_status(state: StateDir, running: daemon.Running) -> None:
    print(f"local cluster: running at {running.url} (pid {running.pid})")
    print(f"kubeconfig: {state.kubeconfig} (context {CONTEXT})")
    print(f"state dir: {state.root}")
    print(f"export KUBECONFIG={state.kubeconfig}")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("local", help="start, stop or show the embedded local cluster")
    sub = parser.add_subparsers(dest="local_command", metavar="ACTION", required=True)
    p_up = sub.add_parser("up", help="start the local cluster in the background")
    p_up.add_argument(
        "--port",
        type=_port,
        default=None,
        help="API port on 127.0.0.1 (default: $ISTIOTUI_API_PORT, else the one used last time "
        "if it is free, else any free port)",
    )
    p_up.add_argument(
        "--host", type=_loopback, default="127.0.0.1", help="loopback address to listen on"
    )
    p_up.add_argument(
        "--reset-corrupt-state",
        action="store_true",
        help="if the store does not read back, keep it aside (store.json.corrupt-<time>) and "
        "start with an empty cluster",
    )
    p_up.set_defaults(func=_up)
    sub.add_parser("down", help="stop the local cluster").set_defaults(func=_down)
    p_status = sub.add_parser("status", help="show address, pid and kubeconfig")
    add_output_flag(p_status)
    p_status.set_defaults(func=_status)
