"""One local proxy's config dump: the one Envoy's `/config_dump`, restricted to that proxy.

Every sidecar and gateway of the local cluster is a set of listeners and clusters named
`<pod>.<namespace>|…` inside one Envoy (pilot/names.py); restricting the dump to that prefix and
dropping it gives what the pod's own Envoy would answer on a real cluster.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from istiotui.local.pilot.names import METADATA_NS
from istiotui.mesh.explain.dump import restrict

TIMEOUT = 30.0


class ProxyDumpError(Exception):
    """The local Envoy could not be asked; the message says why."""


def proxy_id(namespace: str, pod: str) -> str:
    return f"{pod}.{namespace}"


def envoy_config_dump(admin_url: str) -> dict[str, Any]:
    url = admin_url.rstrip("/") + "/config_dump?include_eds"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
            return json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        why = f"the local Envoy's admin at {admin_url} did not answer: {exc}"
        raise ProxyDumpError(why) from None


def local_config_dump(admin_url: str, namespace: str, pod: str) -> dict[str, Any]:
    """The dump of pod NAMESPACE/POD's proxy; ProxyDumpError when Envoy knows nothing of it."""
    pid = proxy_id(namespace, pod)
    dump = restrict(envoy_config_dump(admin_url), pid)
    names = [
        e for c in dump["configs"] for key in ("dynamic_listeners", "dynamic_active_clusters")
        for e in c.get(key) or []
    ]  # fmt: skip
    if not names:
        raise ProxyDumpError(
            f"pod {namespace}/{pod} has no proxy in the local Envoy (no sidecar, not ready yet,"
            " or not a gateway)"
        )
    _declared_addresses(dump)
    return dump


def _declared_addresses(node: Any) -> None:
    """Endpoints at the ports pods declare (80), not where they are bound here (10080): the
    declared address is kept in each endpoint's metadata (pilot/clusters.py)."""
    if isinstance(node, list):
        for v in node:
            _declared_addresses(v)
    elif isinstance(node, dict):
        declared = ((node.get("metadata") or {}).get("filter_metadata") or {}).get(METADATA_NS)
        sock = ((node.get("endpoint") or {}).get("address") or {}).get("socket_address")
        if isinstance(declared, dict) and isinstance(sock, dict) and "address" in declared:
            _, _, port = str(declared["address"]).rpartition(":")
            if port.isdigit():
                sock["port_value"] = int(port)
        for v in node.values():
            _declared_addresses(v)
