"""A proxy's Envoy configuration dump, asked of its own pilot-agent through exec.

`kubectl exec POD -c istio-proxy -- pilot-agent request GET config_dump?include_eds`: what
`istioctl proxy-config` reads. The same call works on the local cluster once its istio-proxy
answers `pilot-agent request` (until then the wiring layer hands a local reader instead).
"""

from __future__ import annotations

import json
from typing import Any

from kubernetes import client

from istiotui.cluster import exec as pod_exec
from istiotui.cluster.errors import ClusterError

PROXY_CONTAINER = "istio-proxy"
DUMP_PATH = "config_dump?include_eds"


def exec_config_dump(
    api_client: client.ApiClient, namespace: str, pod: str, timeout: float = 60.0
) -> dict[str, Any]:
    """The dump as JSON; ClusterError says why there is none (no sidecar, agent refused…)."""
    argv = ["pilot-agent", "request", "GET", DUMP_PATH]
    result = pod_exec.run(api_client, namespace, pod, argv, PROXY_CONTAINER, timeout=timeout)
    where = f"pod {namespace}/{pod}: pilot-agent request GET {DUMP_PATH}"
    if result.code != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise ClusterError(f"{where}: exit {result.code}: {detail[-1] if detail else 'no output'}")
    try:
        data = json.loads(result.stdout)
    except ValueError as exc:
        raise ClusterError(f"{where}: the answer is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ClusterError(f"{where}: the answer is not a JSON object")
    return data
