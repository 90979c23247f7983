"""Wiring for commands that talk to a cluster: connection, object access, vantages, log counts.

This is the one place that knows the local cluster's address plan and state dir and hands them
to the layers below as plain values.
"""

from __future__ import annotations

import argparse
import sys

from istiotui.cli.flags import LOCAL_CONTEXT
from istiotui.cluster.connection import ClusterKind, ClusterUnreachable, Connection, connect
from istiotui.cluster.objects import Objects
from istiotui.lab.session import Session
from istiotui.local import addresses
from istiotui.local.state import StateDir
from istiotui.local.workloads import local_ca
from istiotui.traffic.vantage import Vantages


def open_session(args: argparse.Namespace) -> Session:
    """Connect as the flags say; `--local` starts the embedded cluster when it is not running."""
    if getattr(args, "local", False):
        connection = _local_connection()
        cluster = ClusterKind.LOCAL
    else:
        connection = connect(getattr(args, "kubeconfig", None), getattr(args, "context", None))
        local = connection.context == LOCAL_CONTEXT
        cluster = ClusterKind.LOCAL if local else ClusterKind.REAL
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
    return Session(connection, objects, cluster, vantages)


def _local_connection() -> Connection:
    from istiotui.local import daemon  # the local cluster is only imported when asked for

    state = StateDir.default()
    try:
        addresses.check_environment()
        was_running = daemon.status(state) is not None
        running = daemon.up(state, port=addresses.api_port())  # attaches when it is up already
    except (daemon.DaemonError, ValueError) as exc:
        raise ClusterUnreachable(f"the local cluster could not start: {exc}") from None
    for note in running.notes:
        print(f"istiotui local: note: {note}", file=sys.stderr)
    if not was_running:
        # It outlives this command (Envoy and the lab's pods keep running): say so once.
        print(
            f"istiotui: started the local cluster at {running.url}; it keeps running — "
            "stop it with `istiotui local down`",
            file=sys.stderr,
        )
    try:
        return connect(str(state.kubeconfig), LOCAL_CONTEXT)
    except ClusterUnreachable as exc:
        raise ClusterUnreachable(f"the local cluster did not answer: {exc}") from None
