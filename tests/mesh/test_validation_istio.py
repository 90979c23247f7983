"""Istio's rejections of DestinationRules, Gateways, ServiceEntries and IstioOperators (CRD schema
and validating webhook): a minimal failing object per rule, with the exact field path and reason."""

from __future__ import annotations

import pytest

from istiotui.mesh.validation import validate

from .edits import edit, meta

DR = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "DestinationRule",
    "metadata": meta("reviews"),
    "spec": {
        "host": "reviews",
        "trafficPolicy": {
            "connectionPool": {"tcp": {"maxConnections": 1}, "http": {"maxRetries": 1}},
            "outlierDetection": {"interval": "1s", "baseEjectionTime": "3m"},
        },
        "subsets": [{"name": "v1", "labels": {"version": "v1"}}],
    },
}
GW = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "Gateway",
    "metadata": meta("gw"),
    "spec": {
        "selector": {"istio": "ingressgateway"},
        "servers": [
            {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["a.example.com"]}
        ],
    },
}
SE = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "ServiceEntry",
    "metadata": meta("cnn"),
    "spec": {
        "hosts": ["edition.cnn.com"],
        "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}],
        "resolution": "DNS",
    },
}

INVALID = "FieldValueInvalid"
REQUIRED = "FieldValueRequired"
NOT_SUPPORTED = "FieldValueNotSupported"
TYPE = "FieldValueTypeInvalid"
FORBIDDEN = "FieldValueForbidden"
DUPLICATE = "FieldValueDuplicate"

TP = "spec.trafficPolicy"

CASES = [
    # --- DestinationRule
    ("host required", edit(DR, "spec.host"), "spec.host", REQUIRED),
    ("subset without name", edit(DR, "spec.subsets[0].name"), "spec.subsets[0].name", REQUIRED),
    (
        "duplicate subset names",
        edit(DR, "spec.subsets", [{"name": "v1"}, {"name": "v1"}]),
        "spec.subsets[1].name",
        DUPLICATE,
    ),
    ("bad subset name", edit(DR, "spec.subsets[0].name", "V_1"), "spec.subsets[0].name", INVALID),
    (
        "maxEjectionPercent above 100",
        edit(DR, f"{TP}.outlierDetection.maxEjectionPercent", 101),
        f"{TP}.outlierDetection.maxEjectionPercent",
        INVALID,
    ),
    (
        "maxEjectionPercent negative",
        edit(DR, f"{TP}.outlierDetection.maxEjectionPercent", -1),
        f"{TP}.outlierDetection.maxEjectionPercent",
        INVALID,
    ),
    (
        "interval",
        edit(DR, f"{TP}.outlierDetection.interval", "0s"),
        f"{TP}.outlierDetection.interval",
        INVALID,
    ),
    (
        "baseEjectionTime",
        edit(DR, f"{TP}.outlierDetection.baseEjectionTime", "3 minutes"),
        f"{TP}.outlierDetection.baseEjectionTime",
        INVALID,
    ),
    (
        "consecutive5xxErrors negative",
        edit(DR, f"{TP}.outlierDetection.consecutive5xxErrors", -1),
        f"{TP}.outlierDetection.consecutive5xxErrors",
        INVALID,
    ),
    (
        "connectTimeout",
        edit(DR, f"{TP}.connectionPool.tcp.connectTimeout", "10"),
        f"{TP}.connectionPool.tcp.connectTimeout",
        INVALID,
    ),
    (
        "maxConnections negative",
        edit(DR, f"{TP}.connectionPool.tcp.maxConnections", -1),
        f"{TP}.connectionPool.tcp.maxConnections",
        INVALID,
    ),
    (
        "http1MaxPendingRequests negative",
        edit(DR, f"{TP}.connectionPool.http.http1MaxPendingRequests", -3),
        f"{TP}.connectionPool.http.http1MaxPendingRequests",
        INVALID,
    ),
    (
        "maxRequestsPerConnection as string",
        edit(DR, f"{TP}.connectionPool.http.maxRequestsPerConnection", "1"),
        f"{TP}.connectionPool.http.maxRequestsPerConnection",
        TYPE,
    ),
    (
        "loadBalancer simple enum",
        edit(DR, f"{TP}.loadBalancer", {"simple": "FASTEST"}),
        f"{TP}.loadBalancer.simple",
        NOT_SUPPORTED,
    ),
    (
        "h2UpgradePolicy enum",
        edit(DR, f"{TP}.connectionPool.http.h2UpgradePolicy", "YES"),
        f"{TP}.connectionPool.http.h2UpgradePolicy",
        NOT_SUPPORTED,
    ),
    ("empty traffic policy", edit(DR, TP, {}), TP, REQUIRED),
    (
        "empty connection pool",
        edit(DR, f"{TP}.connectionPool", {}),
        f"{TP}.connectionPool",
        REQUIRED,
    ),
    (
        "subsets as object",
        edit(DR, "spec.subsets", {"name": "v1"}),
        "spec.subsets",
        TYPE,
    ),
    # --- Gateway
    ("server without hosts", edit(GW, "spec.servers[0].hosts"), "spec.servers[0].hosts", REQUIRED),
    (
        "server with empty hosts",
        edit(GW, "spec.servers[0].hosts", []),
        "spec.servers[0].hosts",
        REQUIRED,
    ),
    ("server without port", edit(GW, "spec.servers[0].port"), "spec.servers[0].port", REQUIRED),
    (
        "server port number",
        edit(GW, "spec.servers[0].port.number", 0),
        "spec.servers[0].port.number",
        INVALID,
    ),
    (
        "server protocol",
        edit(GW, "spec.servers[0].port.protocol", "SMTP"),
        "spec.servers[0].port.protocol",
        NOT_SUPPORTED,
    ),
    (
        "gateway short host",
        edit(GW, "spec.servers[0].hosts", ["httpbin"]),
        "spec.servers[0].hosts[0]",
        INVALID,
    ),
    (
        "https server without tls",
        edit(GW, "spec.servers[0].port", {"number": 443, "name": "https", "protocol": "HTTPS"}),
        "spec.servers[0].tls",
        REQUIRED,
    ),
    (
        "tls mode enum",
        edit(GW, "spec.servers[0].tls", {"mode": "STRICT"}),
        "spec.servers[0].tls.mode",
        NOT_SUPPORTED,
    ),
    (
        "SIMPLE tls without credential",
        edit(GW, "spec.servers[0].tls", {"mode": "SIMPLE"}),
        "spec.servers[0].tls.serverCertificate",
        REQUIRED,
    ),
    ("no servers", edit(GW, "spec.servers", []), "spec.servers", REQUIRED),
    # --- ServiceEntry
    ("SE hosts empty", edit(SE, "spec.hosts", []), "spec.hosts", REQUIRED),
    ("SE hosts missing", edit(SE, "spec.hosts"), "spec.hosts", REQUIRED),
    ("SE wildcard with DNS", edit(SE, "spec.hosts", ["*.cnn.com"]), "spec.hosts[0]", INVALID),
    ("SE host *", edit(SE, "spec.hosts", ["*"]), "spec.hosts[0]", INVALID),
    (
        "SE resolution enum",
        edit(SE, "spec.resolution", "DYNAMIC"),
        "spec.resolution",
        NOT_SUPPORTED,
    ),
    ("SE location enum", edit(SE, "spec.location", "OUTSIDE"), "spec.location", NOT_SUPPORTED),
    ("SE port name required", edit(SE, "spec.ports[0].name"), "spec.ports[0].name", REQUIRED),
    ("SE port number", edit(SE, "spec.ports[0].number", 65536), "spec.ports[0].number", INVALID),
    (
        "SE duplicate port",
        edit(
            SE,
            "spec.ports",
            [
                {"number": 443, "name": "tls", "protocol": "TLS"},
                {"number": 443, "name": "https", "protocol": "HTTPS"},
            ],
        ),
        "spec.ports[1].number",
        DUPLICATE,
    ),
    (
        "SE endpoints with resolution NONE",
        edit(edit(SE, "spec.resolution", "NONE"), "spec.endpoints", [{"address": "1.2.3.4"}]),
        "spec.endpoints",
        FORBIDDEN,
    ),
    (
        "SE STATIC endpoint not an IP",
        edit(edit(SE, "spec.resolution", "STATIC"), "spec.endpoints", [{"address": "cnn.com"}]),
        "spec.endpoints[0].address",
        INVALID,
    ),
    ("SE address", edit(SE, "spec.addresses", ["300.1.1.1"]), "spec.addresses[0]", INVALID),
    # --- more of the webhook's Gateway rules
    ("gateway name with dots", edit(GW, "metadata.name", "my.gateway"), "metadata.name", INVALID),
    (
        "gateway targetPort",
        edit(GW, "spec.servers[0].port.targetPort", 8080),
        "spec.servers[0].port.targetPort",
        FORBIDDEN,
    ),
    (
        "TLS settings on a plain HTTP server",
        edit(GW, "spec.servers[0].tls", {"mode": "SIMPLE", "credentialName": "cert"}),
        "spec.servers[0].tls",
        FORBIDDEN,
    ),
    (
        "TLS settings on a TCP server",
        edit(
            edit(GW, "spec.servers[0].port.protocol", "TCP"),
            "spec.servers[0].tls",
            {"mode": "PASSTHROUGH"},
        ),
        "spec.servers[0].tls",
        FORBIDDEN,
    ),
    (
        "ISTIO_MUTUAL with a credential",
        edit(
            edit(GW, "spec.servers[0].port", {"number": 443, "name": "tls", "protocol": "TLS"}),
            "spec.servers[0].tls",
            {"mode": "ISTIO_MUTUAL", "credentialName": "cert"},
        ),
        "spec.servers[0].tls.credentialName",
        FORBIDDEN,
    ),
    # --- more of the webhook's DestinationRule rules
    (
        "tunnel with proxyProtocol",
        edit(
            DR,
            TP,
            {
                "tunnel": {"targetHost": "a.b", "targetPort": 8080},
                "proxyProtocol": {"version": "V1"},
            },
        ),
        TP,
        INVALID,
    ),
    (
        "local origin failures without the split",
        edit(DR, f"{TP}.outlierDetection.consecutiveLocalOriginFailures", 3),
        f"{TP}.outlierDetection.consecutiveLocalOriginFailures",
        INVALID,
    ),
    (
        "UPGRADE with useClientProtocol",
        edit(
            DR,
            f"{TP}.connectionPool.http",
            {"h2UpgradePolicy": "UPGRADE", "useClientProtocol": True},
        ),
        f"{TP}.connectionPool.http.useClientProtocol",
        INVALID,
    ),
    (
        "maglev table size not prime",
        edit(DR, f"{TP}.loadBalancer", {"consistentHash": {"maglev": {"tableSize": 1000}}}),
        f"{TP}.loadBalancer.consistentHash.maglev.tableSize",
        INVALID,
    ),
    (
        "empty port-level policy",
        edit(DR, f"{TP}.portLevelSettings", [{"port": {"number": 80}}]),
        f"{TP}.portLevelSettings[0]",
        REQUIRED,
    ),
    (
        "port-level policy without a port",
        edit(DR, f"{TP}.portLevelSettings", [{"loadBalancer": {"simple": "RANDOM"}}]),
        f"{TP}.portLevelSettings[0].port",
        REQUIRED,
    ),
    (
        "workload selector exported beyond its namespace",
        edit(
            edit(DR, "spec.workloadSelector", {"matchLabels": {"app": "a"}}), "spec.exportTo", ["*"]
        ),
        "spec.exportTo[0]",
        INVALID,
    ),
    # --- wrong JSON types and oneOf groups
    ("bool where int", edit(SE, "spec.ports[0].number", True), "spec.ports[0].number", TYPE),
    ("spec as string", edit(DR, "spec", "host: reviews"), "spec", TYPE),
    ("SE with DNS and no hosts", edit(SE, "spec.hosts", []), "spec.hosts", REQUIRED),
    (
        "simple and consistentHash",
        edit(
            DR, f"{TP}.loadBalancer", {"simple": "RANDOM", "consistentHash": {"useSourceIp": True}}
        ),
        f"{TP}.loadBalancer",
        INVALID,
    ),
    (
        "two hash keys",
        edit(
            DR,
            f"{TP}.loadBalancer",
            {"consistentHash": {"useSourceIp": True, "httpHeaderName": "x"}},
        ),
        f"{TP}.loadBalancer.consistentHash",
        INVALID,
    ),
    # --- IstioOperator keeps its spec, but its modelled fields still have types
    (
        "IstioOperator gateways list",
        {
            "apiVersion": "install.istio.io/v1alpha1",
            "kind": "IstioOperator",
            "metadata": meta("ingress"),
            "spec": {"components": {"ingressGateways": {"name": "x"}}},
        },
        "spec.components.ingressGateways",
        TYPE,
    ),
]


@pytest.mark.parametrize(
    ("obj", "field", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rejection_names_field_and_reason(obj: dict, field: str, reason: str) -> None:
    errors = validate(obj).errors
    assert (field, reason) in [(e.field, e.reason) for e in errors], errors


def test_bases_are_valid() -> None:
    for base in (DR, GW, SE):
        assert validate(base).errors == [], base["kind"]


def test_https_redirect_alone_is_fine_on_an_http_server() -> None:
    assert validate(edit(GW, "spec.servers[0].tls", {"httpsRedirect": True})).errors == []
