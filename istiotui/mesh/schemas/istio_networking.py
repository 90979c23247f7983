"""`networking.istio.io` Gateway, VirtualService, DestinationRule and ServiceEntry (API v1, which
v1beta1 and v1alpha3 serve unchanged), with the fields of Istio's API reference."""

from __future__ import annotations

from istiotui.mesh.schemas.build import (
    Schema,
    any_object,
    arr,
    boolean,
    doc,
    duration,
    integer,
    map_of,
    number,
    obj,
    string,
    string_map,
    strings,
    uint32,
)
from istiotui.mesh.schemas.meta import object_meta, typed


def _istio_kind(spec: Schema) -> Schema:
    # Istio's CRDs keep whatever the controllers write into status.
    return typed(object_meta(), spec, any_object("Istio status, as written by its controllers"))


def string_match() -> Schema:
    return obj({"exact": string(), "prefix": string(), "regex": string()})


def percent() -> Schema:
    return obj({"value": number()})


def port_selector() -> Schema:
    return obj({"number": uint32(maximum=4294967295)})


def destination() -> Schema:
    return obj(
        {
            "host": doc(
                string(), "The service to send traffic to, as in the registry (e.g. reviews)."
            ),
            "subset": doc(string(), "A subset named in the host's DestinationRule."),
            "port": doc(port_selector(), "The service port, needed when it has several."),
        },
        required=("host",),
    )


def _header_ops() -> Schema:
    return obj({"set": string_map(), "add": string_map(), "remove": strings()})


def headers() -> Schema:
    return obj({"request": _header_ops(), "response": _header_ops()})


def http_match() -> Schema:
    return obj(
        {
            "name": string(),
            "uri": string_match(),
            "scheme": string_match(),
            "method": string_match(),
            "authority": string_match(),
            "headers": map_of(string_match()),
            "port": uint32(),
            "sourceLabels": string_map(),
            "gateways": strings(),
            "queryParams": map_of(string_match()),
            "ignoreUriCase": boolean(),
            "withoutHeaders": map_of(string_match()),
            "sourceNamespace": string(),
            "statPrefix": string(),
        }
    )


def http_route() -> Schema:
    return obj(
        {
            "name": string(),
            "match": arr(http_match()),
            "route": arr(
                obj(
                    {
                        "destination": destination(),
                        "weight": doc(
                            integer(), "Share of the traffic, 0..100, relative to the others."
                        ),
                        "headers": headers(),
                    },
                    required=("destination",),
                )
            ),
            "redirect": obj(
                {
                    "uri": string(),
                    "authority": string(),
                    "port": uint32(),
                    "derivePort": string(enum=("FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT")),
                    "scheme": string(),
                    "redirectCode": uint32(),
                }
            ),
            "directResponse": obj(
                {
                    "status": uint32(),
                    "body": obj({"string": string(), "bytes": string(fmt="binary")}),
                },
                required=("status",),
            ),
            "delegate": obj({"name": string(), "namespace": string()}),
            "rewrite": obj(
                {
                    "uri": string(),
                    "authority": string(),
                    "uriRegexRewrite": obj({"match": string(), "rewrite": string()}),
                }
            ),
            "timeout": doc(
                duration(), "Time allowed for the whole request (e.g. 10s); off if unset."
            ),
            "retries": obj(
                {
                    "attempts": integer(),
                    "perTryTimeout": duration(),
                    "retryOn": string(),
                    "retryRemoteLocalities": boolean(nullable=True),
                    "retryIgnorePreviousHosts": boolean(nullable=True),
                    "backoff": duration(),
                }
            ),
            "fault": obj(
                {
                    "delay": obj(
                        {
                            "fixedDelay": duration(),
                            "exponentialDelay": duration(),
                            "percentage": percent(),
                            "percent": integer(),
                        }
                    ),
                    "abort": obj(
                        {
                            "httpStatus": integer(),
                            "grpcStatus": string(),
                            "http2Error": string(),
                            "percentage": percent(),
                        }
                    ),
                }
            ),
            "mirror": doc(
                destination(), "Where a copy of each request goes; its answer is dropped."
            ),
            "mirrorPercent": uint32(nullable=True),
            "mirrorPercentage": doc(percent(), "Share of requests mirrored (100 when unset)."),
            "mirrors": arr(
                obj(
                    {"destination": destination(), "percentage": percent()},
                    required=("destination",),
                )
            ),
            "corsPolicy": obj(
                {
                    "allowOrigins": arr(string_match()),
                    "allowOrigin": strings(),
                    "allowMethods": strings(),
                    "allowHeaders": strings(),
                    "exposeHeaders": strings(),
                    "maxAge": duration(),
                    "allowCredentials": boolean(nullable=True),
                    "unmatchedPreflights": string(enum=("UNSPECIFIED", "FORWARD", "IGNORE")),
                }
            ),
            "headers": headers(),
        }
    )


def route_destination() -> Schema:
    return obj({"destination": destination(), "weight": integer()}, required=("destination",))


def _l4_match(*, sni: bool) -> Schema:
    properties: dict[str, Schema] = {
        "destinationSubnets": strings(),
        "port": uint32(),
        "sourceLabels": string_map(),
        "gateways": strings(),
        "sourceNamespace": string(),
    }
    if sni:
        properties["sniHosts"] = strings()
    return obj(properties, required=("sniHosts",) if sni else ())


def virtual_service() -> Schema:
    spec = obj(
        {
            "hosts": strings(),
            "gateways": strings(),
            "http": arr(http_route()),
            "tls": arr(
                obj(
                    {"match": arr(_l4_match(sni=True)), "route": arr(route_destination())},
                    required=("match",),
                )
            ),
            "tcp": arr(
                obj({"match": arr(_l4_match(sni=False)), "route": arr(route_destination())})
            ),
            "exportTo": strings(),
        }
    )
    return _istio_kind(spec)


def load_balancer() -> Schema:
    return obj(
        {
            "simple": string(
                enum=(
                    "UNSPECIFIED",
                    "LEAST_CONN",
                    "RANDOM",
                    "PASSTHROUGH",
                    "ROUND_ROBIN",
                    "LEAST_REQUEST",
                )
            ),
            "consistentHash": obj(
                {
                    "httpHeaderName": string(),
                    "httpCookie": obj(
                        {
                            "name": string(),
                            "path": string(),
                            "ttl": duration(),
                            "attributes": arr(obj({"name": string(), "value": string()})),
                        },
                        required=("name",),
                    ),
                    "useSourceIp": boolean(),
                    "httpQueryParameterName": string(),
                    "ringHash": obj({"minimumRingSize": uint32()}),
                    "maglev": obj({"tableSize": uint32()}),
                    "minimumRingSize": uint32(),
                }
            ),
            "localityLbSetting": any_object(),
            "warmupDurationSecs": duration(),
            "warmup": obj(
                {"duration": duration(), "minimumPercent": number(), "aggression": number()}
            ),
        }
    )


def connection_pool() -> Schema:
    return obj(
        {
            "tcp": obj(
                {
                    "maxConnections": integer(),
                    "connectTimeout": duration(),
                    "tcpKeepalive": obj(
                        {"probes": uint32(), "time": duration(), "interval": duration()}
                    ),
                    "maxConnectionDuration": duration(),
                    "idleTimeout": duration(),
                }
            ),
            "http": obj(
                {
                    "http1MaxPendingRequests": integer(),
                    "http2MaxRequests": integer(),
                    "maxRequestsPerConnection": integer(),
                    "maxRetries": integer(),
                    "idleTimeout": duration(),
                    "h2UpgradePolicy": string(enum=("DEFAULT", "DO_NOT_UPGRADE", "UPGRADE")),
                    "useClientProtocol": boolean(),
                    "maxConcurrentStreams": integer(),
                }
            ),
        }
    )


def outlier_detection() -> Schema:
    return obj(
        {
            "splitExternalLocalOriginErrors": boolean(),
            "consecutiveLocalOriginFailures": uint32(nullable=True),
            "consecutiveGatewayErrors": uint32(nullable=True),
            "consecutive5xxErrors": uint32(nullable=True),
            "consecutiveErrors": integer(),
            "interval": duration(),
            "baseEjectionTime": duration(),
            "maxEjectionPercent": integer(),
            "minHealthPercent": integer(),
        }
    )


def client_tls() -> Schema:
    return obj(
        {
            "mode": string(enum=("DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL")),
            "clientCertificate": string(),
            "privateKey": string(),
            "caCertificates": string(),
            "credentialName": string(),
            "subjectAltNames": strings(),
            "sni": string(),
            "insecureSkipVerify": boolean(nullable=True),
            "caCrl": string(),
        }
    )


def traffic_policy() -> Schema:
    common: dict[str, Schema] = {
        "loadBalancer": load_balancer(),
        "connectionPool": doc(connection_pool(), "Limits that become Envoy's circuit breakers."),
        "outlierDetection": doc(
            outlier_detection(), "Ejects hosts that keep failing from the pool."
        ),
        "tls": client_tls(),
    }
    port_level = obj({"port": port_selector(), **common})
    return obj(
        {
            **common,
            "portLevelSettings": arr(port_level),
            "tunnel": obj(
                {"protocol": string(), "targetHost": string(), "targetPort": uint32()},
                required=("targetHost", "targetPort"),
            ),
            "proxyProtocol": obj({"version": string(enum=("V1", "V2"))}),
        }
    )


def destination_rule() -> Schema:
    spec = obj(
        {
            "host": string(),
            "trafficPolicy": traffic_policy(),
            "subsets": arr(
                obj(
                    {"name": string(), "labels": string_map(), "trafficPolicy": traffic_policy()},
                    required=("name",),
                )
            ),
            "exportTo": strings(),
            "workloadSelector": obj({"matchLabels": string_map()}),
        },
        required=("host",),
    )
    return _istio_kind(spec)


SERVER_TLS_MODES = (
    "PASSTHROUGH",
    "SIMPLE",
    "MUTUAL",
    "AUTO_PASSTHROUGH",
    "ISTIO_MUTUAL",
    "OPTIONAL_MUTUAL",
)
TLS_VERSIONS = ("TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3")


def gateway() -> Schema:
    server = obj(
        {
            "port": obj(
                {
                    "number": uint32(),
                    "protocol": string(),
                    "name": string(),
                    "targetPort": uint32(),
                },
                required=("number", "protocol", "name"),
            ),
            "bind": string(),
            "hosts": strings(),
            "tls": obj(
                {
                    "httpsRedirect": boolean(),
                    "mode": string(enum=SERVER_TLS_MODES),
                    "serverCertificate": string(),
                    "privateKey": string(),
                    "caCertificates": string(),
                    "caCrl": string(),
                    "credentialName": string(),
                    "credentialNames": strings(),
                    "tlsCertificates": arr(
                        obj(
                            {
                                "serverCertificate": string(),
                                "privateKey": string(),
                                "caCertificates": string(),
                            }
                        )
                    ),
                    "subjectAltNames": strings(),
                    "verifyCertificateSpki": strings(),
                    "verifyCertificateHash": strings(),
                    "minProtocolVersion": string(enum=TLS_VERSIONS),
                    "maxProtocolVersion": string(enum=TLS_VERSIONS),
                    "cipherSuites": strings(),
                }
            ),
            "defaultEndpoint": string(),
            "name": string(),
        },
        required=("port", "hosts"),
    )
    spec = obj({"servers": arr(server), "selector": string_map()})
    return _istio_kind(spec)


def service_entry() -> Schema:
    spec = obj(
        {
            "hosts": strings(),
            "addresses": strings(),
            "ports": arr(
                obj(
                    {
                        "number": uint32(),
                        "protocol": string(),
                        "name": string(),
                        "targetPort": uint32(),
                    },
                    required=("number", "name"),
                )
            ),
            "location": string(enum=("MESH_EXTERNAL", "MESH_INTERNAL")),
            "resolution": string(enum=("NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN")),
            "endpoints": arr(
                obj(
                    {
                        "address": string(),
                        "ports": map_of(uint32()),
                        "labels": string_map(),
                        "network": string(),
                        "locality": string(),
                        "weight": uint32(),
                        "serviceAccount": string(),
                    }
                )
            ),
            "workloadSelector": obj({"labels": string_map()}),
            "exportTo": strings(),
            "subjectAltNames": strings(),
        },
        required=("hosts",),
    )
    return _istio_kind(spec)
