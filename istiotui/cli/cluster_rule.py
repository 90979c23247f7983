"""The one rule that decides which cluster a command talks to (docs/clusters.md).

1. `--local`: the embedded local cluster (started when it is not running).
2. `--context` and/or `--kubeconfig`: that kubeconfig's context; nothing else is tried.
3. Neither: the current context of the kubeconfig (`$KUBECONFIG`, else `~/.kube/config`) when
   there is one, or the pod's own service account inside a pod; with no kubeconfig at all, the
   local cluster.
4. Only the full-screen lab, only in case 3: when that cluster does not answer, the local cluster
   (it writes nothing before a key is pressed, and its header says where it is).

Pure: reads the flags and the environment, opens nothing.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from istiotui.cli.flags import LOCAL_CONTEXT
from istiotui.cluster.kind import ClusterKind


@dataclass(frozen=True)
class ClusterChoice:
    local: bool
    kubeconfig: str | None
    context: str | None
    # Rule 4: the kubeconfig's cluster not answering sends the full-screen lab to the local one.
    fallback_to_local: bool
    why: str  # how it was chosen, for messages


def _kubeconfig_present() -> str | None:
    """The kubeconfig rule 3 reads, when there is one (a KUBECONFIG list counts if one of its
    files exists, as the client merges them)."""
    listed = os.environ.get("KUBECONFIG")
    if listed:
        files = [f for f in listed.split(os.pathsep) if f]
        return listed if any(Path(f).expanduser().exists() for f in files) else None
    default = Path.home() / ".kube" / "config"
    return str(default) if default.exists() else None


def choose_cluster(args: argparse.Namespace, *, app: bool = False) -> ClusterChoice:
    local = bool(getattr(args, "local", False))
    kubeconfig = getattr(args, "kubeconfig", None)
    context = getattr(args, "context", None)
    if local:
        return ClusterChoice(True, None, None, False, "--local")
    if kubeconfig or context:
        named = " ".join(
            part
            for part in (
                f"--context {context}" if context else "",
                f"--kubeconfig {kubeconfig}" if kubeconfig else "",
            )
            if part
        )
        return ClusterChoice(False, kubeconfig, context, False, named)
    present = _kubeconfig_present()
    if present is not None:
        return ClusterChoice(False, None, None, app, f"the current context of {present}")
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return ClusterChoice(False, None, None, app, "the pod's service account")
    return ClusterChoice(True, None, None, False, "no kubeconfig: the local cluster")


def kind_of(context: str) -> ClusterKind:
    """Local only when reached through the local cluster's own context: any other context is a
    real cluster, even one whose server is the local API (port-forward and exec vantages, no
    local shortcuts), which is how real-cluster paths are tested here."""
    return ClusterKind.LOCAL if context == LOCAL_CONTEXT else ClusterKind.REAL
