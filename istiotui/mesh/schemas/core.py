"""Core `v1` kinds: Namespace, Pod, Service, ServiceAccount, ConfigMap, Secret, Endpoints, Event."""

from __future__ import annotations

from istiotui.mesh.schemas.build import (
    Schema,
    any_object,
    arr,
    boolean,
    int_or_string,
    integer,
    obj,
    string,
    string_map,
    strings,
    timestamp,
)
from istiotui.mesh.schemas.meta import (
    conditions,
    local_object_reference,
    object_meta,
    object_reference,
    typed,
)
from istiotui.mesh.schemas.pod import PROTOCOLS, pod_spec, pod_status

SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
_PORT = {"minimum": 1, "maximum": 65535}


def namespace() -> Schema:
    return typed(
        object_meta(),
        obj({"finalizers": strings()}),
        obj({"phase": string(enum=("Active", "Terminating")), "conditions": conditions()}),
    )


def pod() -> Schema:
    return typed(object_meta(), pod_spec(), pod_status())


def service_port() -> Schema:
    return obj(
        {
            "name": string(),
            "protocol": string(enum=PROTOCOLS),
            "appProtocol": string(),
            "port": integer(**_PORT),
            "targetPort": int_or_string(),
            "nodePort": integer(),
        },
        required=("port",),
    )


def service() -> Schema:
    spec = obj(
        {
            "ports": arr(
                service_port(), merge_key="port", list_type="map", map_keys=("port", "protocol")
            ),
            "selector": string_map(),
            "clusterIP": string(),
            "clusterIPs": arr(string(), list_type="atomic"),
            "type": string(enum=SERVICE_TYPES),
            "externalIPs": strings(),
            "sessionAffinity": string(enum=("ClientIP", "None")),
            "sessionAffinityConfig": any_object(),
            "loadBalancerIP": string(),
            "loadBalancerSourceRanges": strings(),
            "loadBalancerClass": string(),
            "allocateLoadBalancerNodePorts": boolean(),
            "externalName": string(),
            "externalTrafficPolicy": string(enum=("Cluster", "Local")),
            "internalTrafficPolicy": string(enum=("Cluster", "Local")),
            "healthCheckNodePort": integer(),
            "publishNotReadyAddresses": boolean(),
            "ipFamilies": arr(string(enum=("IPv4", "IPv6")), list_type="atomic"),
            "ipFamilyPolicy": string(enum=("SingleStack", "PreferDualStack", "RequireDualStack")),
            "trafficDistribution": string(),
        }
    )
    status = obj(
        {
            "loadBalancer": obj({"ingress": arr(any_object(), list_type="atomic")}),
            "conditions": conditions(),
        }
    )
    return typed(object_meta(), spec, status)


def service_account() -> Schema:
    schema = typed(object_meta())
    schema["properties"].update(
        {
            "secrets": arr(object_reference(), merge_key="name"),
            "imagePullSecrets": arr(local_object_reference()),
            "automountServiceAccountToken": boolean(),
        }
    )
    return schema


def config_map() -> Schema:
    schema = typed(object_meta())
    schema["properties"].update(
        {"data": string_map(), "binaryData": string_map(), "immutable": boolean()}
    )
    return schema


def secret() -> Schema:
    schema = typed(object_meta())
    schema["properties"].update(
        {
            "data": string_map(),
            "stringData": string_map(),
            "type": string(),
            "immutable": boolean(),
        }
    )
    return schema


def endpoints() -> Schema:
    address = obj(
        {
            "ip": string(),
            "hostname": string(),
            "nodeName": string(),
            "targetRef": object_reference(),
        },
        required=("ip",),
    )
    port = obj(
        {
            "name": string(),
            "port": integer(**_PORT),
            "protocol": string(enum=PROTOCOLS),
            "appProtocol": string(),
        },
        required=("port",),
    )
    subset = obj(
        {
            "addresses": arr(address, list_type="atomic"),
            "notReadyAddresses": arr(address, list_type="atomic"),
            "ports": arr(port, list_type="atomic"),
        }
    )
    schema = typed(object_meta())
    schema["properties"]["subsets"] = arr(subset, list_type="atomic")
    return schema


def event() -> Schema:
    schema = typed(object_meta())
    schema["properties"].update(
        {
            "involvedObject": object_reference(),
            "reason": string(),
            "message": string(),
            "source": obj({"component": string(), "host": string()}),
            "firstTimestamp": timestamp(nullable=True),
            "lastTimestamp": timestamp(nullable=True),
            "count": integer(),
            "type": string(),
            "eventTime": string(fmt="date-time", nullable=True),
            "series": obj({"count": integer(), "lastObservedTime": string()}),
            "action": string(),
            "related": object_reference(),
            "reportingComponent": string(),
            "reportingInstance": string(),
        }
    )
    schema["required"] = ["involvedObject"]
    return schema
