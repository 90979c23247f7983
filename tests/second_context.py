"""A kubeconfig that reaches a local test cluster through a context of another name.

To istiotui that context is a real cluster (cli/cluster_rule.kind_of): probes go through
port-forward and exec over the API, istioctl is what installs Istio, nothing local is assumed.
Same server, same credentials, as a learner's kubeconfig for the lab's VMs would hold them.
"""

from __future__ import annotations

from pathlib import Path

import yaml

LAB_CONTEXT = "lab-master"


def write_second_context(local_kubeconfig: Path, dest: Path, name: str = LAB_CONTEXT) -> Path:
    doc = yaml.safe_load(local_kubeconfig.read_text())
    cluster = doc["clusters"][0]["cluster"]
    user = doc["users"][0]["user"]
    other = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": f"{name}-admin", "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-admin"}}],
        "current-context": name,
    }
    dest.write_text(yaml.safe_dump(other, sort_keys=False))
    dest.chmod(0o600)
    return dest
