"""Wiring for commands that talk to a cluster: connection, object access, vantages, log counts.

This is the one place that knows the local cluster's address plan and state dir and hands them
to the layers below as plain values.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from istiotui.cluster.connection import ClusterUnreachable, Connection, connect
from istiotui.cluster.objects import Objects
from istiotui.lab import model as m
from istiotui.local import addresses
from istiotui.local.state import StateDir
from istiotui.traffic.vantage import Vantages

LOCAL_CONTEXT = "istiotui-local"


def add_cluster_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--local", action="store_true", help="use the embedded local cluster")
    group.add_argument("--context", help="kubeconfig context of a real cluster")
    parser.add_argument(
        "--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)"
    )


@dataclass
class Session:
    connection: Connection
    objects: Objects
    cluster: str  # "local" | "real"
    vantages: Vantages

    def count_log_lines(self, source: m.LogSource) -> int:
        dep = self.objects.get("apps/v1", "Deployment", source.deployment, source.namespace)
        if dep is None:
            return 0
        labels = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        selector = ",".join(f"{k}={v}" for k, v in labels.items())
        total = 0
        for pod in self.objects.list("v1", "Pod", source.namespace, selector):
            text = self.objects.logs(source.namespace, pod["metadata"]["name"], source.container)
            total += sum(1 for line in text.splitlines() if line.strip())
        return total

    def close(self) -> None:
        self.connection.close()


def open_session(args: argparse.Namespace) -> Session:
    """Connect as the flags say; `--local` starts the embedded cluster when it is not running."""
    if getattr(args, "local", False):
        connection = _local_connection()
        cluster = "local"
    else:
        connection = connect(getattr(args, "kubeconfig", None), getattr(args, "context", None))
        cluster = "local" if connection.context == LOCAL_CONTEXT else "real"
    objects = Objects(connection.api_client)

    def list_pods(namespace: str, selector: str) -> list[dict]:
        return objects.list("v1", "Pod", namespace, selector or None)

    def get_service(namespace: str, name: str) -> dict | None:
        return objects.get("v1", "Service", name, namespace)

    state = StateDir.default()
    vantages = Vantages(
        cluster=cluster,  # type: ignore[arg-type]
        list_pods=list_pods,
        get_service=get_service,
        ingress=f"http://{addresses.INGRESS_HOST}:{addresses.INGRESS_PORT}"
        if cluster == "local"
        else None,
        sidecar_of=addresses.sidecar_ip if cluster == "local" else None,
        ca_file=str(state.root / "ca.pem") if cluster == "local" else None,
    )
    return Session(connection, objects, cluster, vantages)


def _local_connection() -> Connection:
    from istiotui.local import daemon  # the local cluster is only imported when asked for

    state = StateDir.default()
    daemon.ensure_running(state)
    try:
        return connect(str(state.kubeconfig), LOCAL_CONTEXT)
    except ClusterUnreachable as exc:
        raise ClusterUnreachable(f"the local cluster did not answer: {exc}") from None
