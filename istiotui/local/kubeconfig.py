"""The cluster's own kubeconfig (context `istiotui-local`), never the user's ~/.kube/config."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

CONTEXT = "istiotui-local"


def render(server_url: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": {"server": server_url}}],
        "users": [{"name": CONTEXT, "user": {}}],
        "contexts": [
            {
                "name": CONTEXT,
                "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": "default"},
            }
        ],
        "current-context": CONTEXT,
        "preferences": {},
    }


def write(path: Path, server_url: str) -> None:
    """Write atomically (readers never see half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(yaml.safe_dump(render(server_url), sort_keys=False))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
