"""What the mesh's own processes say about the proxies, asked through exec as istioctl does.

- a proxy's Envoy configuration dump: `kubectl exec POD -c istio-proxy -- pilot-agent request
  GET config_dump?include_eds`, what `istioctl proxy-config` reads;
- istiod's view of every proxy's sync state: `kubectl exec ISTIOD -c discovery --
  pilot-discovery request GET /debug/syncz`, what `istioctl proxy-status` reads.

Both work the same on the local cluster, whose istio-proxy and istiod containers answer these
commands (local/workloads/pilot_agent.py, pilot_discovery.py).
"""

from __future__ import annotations

import json
from typing import Any

from kubernetes import client

from istiotui.cluster import exec as pod_exec
from istiotui.cluster.errors import ClusterError

PROXY_CONTAINER = "istio-proxy"
DUMP_PATH = "config_dump?include_eds"
ISTIOD_CONTAINER = "discovery"
SYNCZ_PATH = "/debug/syncz"


def exec_request(
    api_client: client.ApiClient,
    namespace: str,
    pod: str,
    container: str,
    argv: list[str],
    timeout: float,
) -> str:
    """The command's standard output; ClusterError names the command and why it failed."""
    result = pod_exec.run(api_client, namespace, pod, argv, container, timeout=timeout)
    if result.code != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        where = f"pod {namespace}/{pod}: {' '.join(argv)}"
        raise ClusterError(f"{where}: exit {result.code}: {detail[-1] if detail else 'no output'}")
    return result.stdout


def exec_config_dump(
    api_client: client.ApiClient, namespace: str, pod: str, timeout: float = 60.0
) -> dict[str, Any]:
    """The dump as JSON; ClusterError says why there is none (no sidecar, agent refused…)."""
    argv = ["pilot-agent", "request", "GET", DUMP_PATH]
    text = exec_request(api_client, namespace, pod, PROXY_CONTAINER, argv, timeout)
    where = f"pod {namespace}/{pod}: pilot-agent request GET {DUMP_PATH}"
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ClusterError(f"{where}: the answer is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ClusterError(f"{where}: the answer is not a JSON object")
    return data


def exec_syncz(
    api_client: client.ApiClient, namespace: str, pod: str, timeout: float = 60.0
) -> str:
    """istiod's `/debug/syncz` answer (JSON text, parsed by mesh/proxy_sync.py)."""
    argv = ["pilot-discovery", "request", "GET", SYNCZ_PATH]
    return exec_request(api_client, namespace, pod, ISTIOD_CONTAINER, argv, timeout)
