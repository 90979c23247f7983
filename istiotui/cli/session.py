"""Wiring for commands that talk to a cluster: connection, object access, vantages, log counts.

This is the one place that knows the local cluster's address plan and state dir and hands them
to the layers below as plain values. Which cluster: `cluster_rule.choose_cluster`.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

from istiotui.cli.cluster_rule import choose_cluster, kind_of
from istiotui.cli.flags import LOCAL_CONTEXT
from istiotui.cluster.connection import ClusterUnreachable, Connection, connect
from istiotui.cluster.kind import ClusterKind
from istiotui.cluster.objects import Objects
from istiotui.lab.session import Note, Session, fallback_note, started_note
from istiotui.local import addresses
from istiotui.local.state import StateDir
from istiotui.local.workloads import local_ca
from istiotui.traffic.vantage import Vantages

log = logging.getLogger(__name__)

# State dirs of local clusters this process is starting and has not yet said keep running: a
# process ended meanwhile must not leave them behind (`stop_unannounced_starts`).
_starting: set[Path] = set()
_starting_lock = threading.Lock()


def open_session(args: argparse.Namespace, *, app: bool = False) -> Session:
    """Connect to the cluster the rule chooses; the local one is started when it is not running.
    `app`: the full-screen lab, which falls back to the local cluster (rule 4)."""
    choice = choose_cluster(args, app=app)
    log.info("cluster: %s", choice.why)
    notes: list[Note] = []
    if choice.local:
        connection = _local_connection(notes, app)
    else:
        try:
            connection = connect(choice.kubeconfig, choice.context)
        except ClusterUnreachable as exc:
            if not choice.fallback_to_local:
                raise
            notes.append(fallback_note(str(exc)))
            connection = _local_connection(notes, app)
    cluster = kind_of(connection.context)
    log.info(
        "connected: context %s at %s, Kubernetes %s",
        connection.context,
        connection.server,
        connection.version,
    )
    objects = Objects(connection.api_client)

    def list_pods(namespace: str, selector: str) -> list[dict]:
        return objects.list("v1", "Pod", namespace, selector or None)

    def get_service(namespace: str, name: str) -> dict | None:
        return objects.get("v1", "Service", name, namespace)

    state = StateDir.default()
    vantages = Vantages(
        cluster=cluster,
        list_pods=list_pods,
        get_service=get_service,
        sidecar_of=addresses.sidecar_ip if cluster == ClusterKind.LOCAL else None,
        bind_port=addresses.bind_port if cluster == ClusterKind.LOCAL else None,
        ca_file=str(local_ca.ca_bundle_path(state.root)) if cluster == ClusterKind.LOCAL else None,
        # Exec into client pods (real clusters) and port-forwards go through the API.
        api_client=connection.api_client,
    )
    admin = _local_envoy_admin(state) if cluster == ClusterKind.LOCAL else None
    session = Session(connection, objects, cluster, vantages, notes, envoy_admin=admin)
    if cluster == ClusterKind.LOCAL:
        logs = state.logs  # where local/pilot/filters.py has each proxy write its access log
        session.proxy_log = lambda namespace, pod: logs / namespace / pod / "istio-proxy.log"
    return session


def _local_envoy_admin(state: StateDir) -> str | None:
    from istiotui.local import daemon

    running = daemon.status(state)
    return running.envoy_admin if running is not None else None


def where(session: Session) -> str:
    """`cluster: CONTEXT (SERVER)`: what a command that writes says before its first write."""
    return f"cluster: {session.connection.context} ({session.connection.server})"


def open_for(args: argparse.Namespace, prog: str) -> Session | None:
    """A command's session as its flags ask, the notes printed under `prog`; None when no cluster
    answers (said on stderr): the command then returns `exit_codes.UNREACHABLE`."""
    try:
        session = open_session(args)
    except ClusterUnreachable as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return None
    print_notes(session, prog)
    return session


def print_notes(session: Session, prog: str) -> None:
    for note in session.notes:
        print(f"{prog}: {note.text}", file=sys.stderr)


def _local_connection(notes: list[Note], app: bool) -> Connection:
    from istiotui.local import daemon  # the local cluster is only imported when asked for
    from istiotui.local.host_support import local_cluster_unsupported

    unsupported = local_cluster_unsupported()
    if unsupported:
        raise ClusterUnreachable(unsupported)
    state = StateDir.default()
    try:
        addresses.check_environment()
        was_running = daemon.status(state) is not None
        if not was_running:
            with _starting_lock:
                _starting.add(state.root)
        running = daemon.up(state, port=addresses.api_port())  # attaches when it is up already
    except (daemon.DaemonError, ValueError) as exc:
        with _starting_lock:
            _starting.discard(state.root)  # it did not start: nothing is left to stop
        raise ClusterUnreachable(f"the local cluster could not start: {exc}") from None
    for note in running.notes:
        print(f"istiotui local: note: {note}", file=sys.stderr)
    if not was_running:
        # It outlives this command (Envoy and the lab's pods keep running): say so once. A
        # command prints the note at once; the app says when it has shown it (`forget_starts`).
        notes.append(started_note(running.url))
        if not app:
            with _starting_lock:
                _starting.discard(state.root)
    try:
        return connect(str(state.kubeconfig), LOCAL_CONTEXT)
    except ClusterUnreachable as exc:
        raise ClusterUnreachable(f"the local cluster did not answer: {exc}") from None


def forget_starts() -> None:
    """The app has shown its notes: the clusters it started keep running, as they said."""
    with _starting_lock:
        _starting.clear()


def stop_unannounced_starts() -> None:
    """For a process ended while it starts the local cluster: stop that cluster, which nobody
    was told about. A detached helper does it, since the server may not have written its pid
    yet and this process has no time left to wait (`python -m istiotui.cli.orphan`)."""
    with _starting_lock:
        roots = list(_starting)
        _starting.clear()
    for root in roots:
        subprocess.Popen(
            [sys.executable, "-m", "istiotui.cli.orphan", str(root)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=os.environ.copy(),
        )
