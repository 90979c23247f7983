"""Flags shared by the commands that talk to a cluster (kept import-light for `--help`)."""

from __future__ import annotations

import argparse

# The context name of the embedded local cluster in its own kubeconfig.
LOCAL_CONTEXT = "istiotui-local"


def add_cluster_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--local", action="store_true", help="use the embedded local cluster")
    group.add_argument("--context", help="kubeconfig context of a real cluster")
    parser.add_argument(
        "--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)"
    )
