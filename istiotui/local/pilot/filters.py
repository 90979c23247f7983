"""The filters every listener uses: access log, HTTP connection manager, TCP proxy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from istiotui.local.addresses import bind_port
from istiotui.local.pilot.model import PilotOptions
from istiotui.local.pilot.names import METADATA_NS
from istiotui.local.pilot.routes import FAULT_FILTER

# Istio's default text access log format (meshConfig.accessLogFormat unset), with two changes: the
# cluster column prints Istio's cluster name kept in the cluster's metadata, because the raw name
# carries the proxy's id (see names.py); and the upstream host is the endpoint's declared address,
# kept in its metadata, because a privileged port is bound elsewhere (addresses.bind_port).
ACCESS_LOG_FORMAT = (
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" '
    "%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "
    '"%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% '
    '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" '
    f'"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_METADATA({METADATA_NS}:address)%" '
    f"%CLUSTER_METADATA({METADATA_NS}:istio_name)% %UPSTREAM_LOCAL_ADDRESS% "
    "%DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% "
    "%ROUTE_NAME%\n"
)
_T = "type.googleapis.com/envoy.extensions"


def log_path(options: PilotOptions, namespace: str, pod: str) -> str:
    """Where a pod's proxy writes its access log (served as `kubectl logs POD -c istio-proxy`)."""
    return str(Path(options.log_dir) / namespace / pod / "istio-proxy.log")


def access_log(path: str) -> list[dict[str, Any]]:
    return [
        {
            "name": "envoy.access_loggers.file",
            "typed_config": {
                "@type": f"{_T}.access_loggers.file.v3.FileAccessLog",
                "path": path,
                "log_format": {"text_format_source": {"inline_string": ACCESS_LOG_FORMAT}},
            },
        }
    ]


def http_connection_manager(
    stat_prefix: str, route_config: dict[str, Any], log: str, gateway: bool
) -> dict[str, Any]:
    return {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {
            "@type": f"{_T}.filters.network.http_connection_manager.v3.HttpConnectionManager",
            "stat_prefix": stat_prefix,
            "route_config": route_config,
            "http_filters": [
                {
                    "name": FAULT_FILTER,
                    "typed_config": {"@type": f"{_T}.filters.http.fault.v3.HTTPFault"},
                },
                {
                    "name": "envoy.filters.http.router",
                    "typed_config": {"@type": f"{_T}.filters.http.router.v3.Router"},
                },
            ],
            "access_log": access_log(log),
            "server_name": "istio-envoy",
            "use_remote_address": gateway,
            "normalize_path": True,
        },
    }


def tcp_proxy(stat_prefix: str, clusters: list[tuple[str, int]], log: str) -> dict[str, Any]:
    config: dict[str, Any] = {
        "@type": f"{_T}.filters.network.tcp_proxy.v3.TcpProxy",
        "stat_prefix": stat_prefix,
        "access_log": access_log(log),
    }
    if len(clusters) == 1:
        config["cluster"] = clusters[0][0]
    else:
        config["weighted_clusters"] = {"clusters": [{"name": c, "weight": w} for c, w in clusters]}
    return {"name": "envoy.filters.network.tcp_proxy", "typed_config": config}


HEALTH_PORT = 15021  # istio-proxy's readiness endpoint: GET /healthz/ready


def health_listener(proxy_id: str, address: str) -> dict[str, Any]:
    """The proxy's `/healthz/ready` on port 15021, as the injected readiness probe asks it.

    It exists once the proxy's configuration is live, which is what readiness means for an
    istio-proxy container; probes are not access-logged (in Istio pilot-agent answers them).
    """
    ready = {"match": {"path": "/healthz/ready"}, "direct_response": {"status": 200}}
    hcm = {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {
            "@type": f"{_T}.filters.network.http_connection_manager.v3.HttpConnectionManager",
            "stat_prefix": f"{proxy_id}|health",
            "route_config": {
                "name": "health",
                "virtual_hosts": [{"name": "health", "domains": ["*"], "routes": [ready]}],
            },
            "http_filters": [
                {
                    "name": "envoy.filters.http.router",
                    "typed_config": {"@type": f"{_T}.filters.http.router.v3.Router"},
                }
            ],
        },
    }
    name = f"{proxy_id}|health_{HEALTH_PORT}"
    return listener(name, address, HEALTH_PORT, [{"filters": [hcm]}], False)


def listener(
    name: str, address: str, port: int, chains: list[dict[str, Any]], tls_inspector: bool
) -> dict[str, Any]:
    bound = bind_port(address, port)
    if bound != port:  # the access log shows the declared port, as everything else does
        chains = _declared_local_port(chains, port)
    out: dict[str, Any] = {
        "name": name,  # names and stats keep the declared port; the socket binds where it may
        "address": {"socket_address": {"address": address, "port_value": bound}},
        "filter_chains": chains,
    }
    if tls_inspector:
        out["listener_filters"] = [
            {
                "name": "envoy.filters.listener.tls_inspector",
                "typed_config": {"@type": f"{_T}.filters.listener.tls_inspector.v3.TlsInspector"},
            }
        ]
    return out


_LOCAL = "%DOWNSTREAM_LOCAL_ADDRESS%"


def _declared_local_port(chains: list[dict[str, Any]], port: int) -> list[dict[str, Any]]:
    """`chains` with their access logs printing `port` as the local address's port."""
    text = json.dumps(chains)
    return json.loads(text.replace(_LOCAL, f"%DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT%:{port}"))
