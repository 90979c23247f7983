"""PodSpec and Container: the fields real manifests use, modelled; deep sub-objects accepted whole.

Sub-objects this project does not model field by field (volume sources, probes, affinity,
security contexts, lifecycle hooks) are objects that keep whatever they hold, so that a valid
manifest is never rejected; typos at the modelled levels are still reported as unknown fields.
"""

from __future__ import annotations

from istiotui.mesh.schemas.build import (
    Schema,
    any_object,
    arr,
    boolean,
    integer,
    map_of,
    obj,
    quantity,
    string,
    string_map,
    strings,
)
from istiotui.mesh.schemas.meta import conditions, local_object_reference, object_meta

PROTOCOLS = ("TCP", "UDP", "SCTP")
PULL_POLICIES = ("Always", "Never", "IfNotPresent")
PORT_RANGE = {"minimum": 1, "maximum": 65535}


def container_port() -> Schema:
    return obj(
        {
            "name": string(),
            "containerPort": integer(**PORT_RANGE),
            "hostPort": integer(**PORT_RANGE),
            "hostIP": string(),
            "protocol": string(enum=PROTOCOLS),
        },
        required=("containerPort",),
    )


def env_var() -> Schema:
    key_ref = obj({"name": string(), "key": string(), "optional": boolean()}, required=("key",))
    return obj(
        {
            "name": string(),
            "value": string(),
            "valueFrom": obj(
                {
                    "fieldRef": obj(
                        {"apiVersion": string(), "fieldPath": string()}, required=("fieldPath",)
                    ),
                    "resourceFieldRef": obj(
                        {"containerName": string(), "resource": string(), "divisor": quantity()},
                        required=("resource",),
                    ),
                    "configMapKeyRef": key_ref,
                    "secretKeyRef": key_ref,
                    "fileKeyRef": any_object(),
                }
            ),
        },
        required=("name",),
    )


def resources() -> Schema:
    return obj(
        {
            "limits": map_of(quantity()),
            "requests": map_of(quantity()),
            "claims": arr(
                obj({"name": string(), "request": string()}, required=("name",)),
                list_type="map",
                map_keys=("name",),
            ),
        }
    )


def volume_mount() -> Schema:
    return obj(
        {
            "name": string(),
            "mountPath": string(),
            "readOnly": boolean(),
            "recursiveReadOnly": string(),
            "subPath": string(),
            "subPathExpr": string(),
            "mountPropagation": string(enum=("None", "HostToContainer", "Bidirectional")),
        },
        required=("name", "mountPath"),
    )


def container() -> Schema:
    return obj(
        {
            "name": string(),
            "image": string(),
            "imagePullPolicy": string(enum=PULL_POLICIES),
            "command": arr(string(), list_type="atomic"),
            "args": arr(string(), list_type="atomic"),
            "workingDir": string(),
            "ports": arr(
                container_port(),
                merge_key="containerPort",
                list_type="map",
                map_keys=("containerPort", "protocol"),
            ),
            "env": arr(env_var(), merge_key="name", list_type="map", map_keys=("name",)),
            "envFrom": arr(any_object(), list_type="atomic"),
            "resources": resources(),
            "resizePolicy": arr(any_object(), list_type="atomic"),
            "restartPolicy": string(),
            "volumeMounts": arr(
                volume_mount(), merge_key="mountPath", list_type="map", map_keys=("mountPath",)
            ),
            "volumeDevices": arr(
                any_object(), merge_key="devicePath", list_type="map", map_keys=("devicePath",)
            ),
            "livenessProbe": any_object(),
            "readinessProbe": any_object(),
            "startupProbe": any_object(),
            "lifecycle": any_object(),
            "terminationMessagePath": string(),
            "terminationMessagePolicy": string(enum=("File", "FallbackToLogsOnError")),
            "securityContext": any_object(),
            "stdin": boolean(),
            "stdinOnce": boolean(),
            "tty": boolean(),
            "targetContainerName": string(),
        },
        required=("name",),
    )


def volume() -> Schema:
    # One of ~30 volume sources sits beside the name; they are kept as written.
    return obj({"name": string()}, required=("name",), preserve=True)


def pod_spec() -> Schema:
    containers = arr(container(), merge_key="name", list_type="map", map_keys=("name",))
    return obj(
        {
            "containers": containers,
            "initContainers": arr(
                container(), merge_key="name", list_type="map", map_keys=("name",)
            ),
            "ephemeralContainers": arr(
                container(), merge_key="name", list_type="map", map_keys=("name",)
            ),
            "volumes": arr(
                volume(),
                merge_key="name",
                strategy="merge,retainKeys",
                list_type="map",
                map_keys=("name",),
            ),
            "restartPolicy": string(enum=("Always", "OnFailure", "Never")),
            "terminationGracePeriodSeconds": integer("int64", minimum=0),
            "activeDeadlineSeconds": integer("int64", minimum=1),
            "dnsPolicy": string(
                enum=("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None")
            ),
            "dnsConfig": any_object(),
            "nodeSelector": string_map(),
            "serviceAccountName": string(),
            "serviceAccount": string(),
            "automountServiceAccountToken": boolean(),
            "nodeName": string(),
            "hostNetwork": boolean(),
            "hostPID": boolean(),
            "hostIPC": boolean(),
            "hostUsers": boolean(),
            "shareProcessNamespace": boolean(),
            "securityContext": any_object(),
            "imagePullSecrets": arr(
                local_object_reference(), merge_key="name", list_type="map", map_keys=("name",)
            ),
            "hostname": string(),
            "subdomain": string(),
            "setHostnameAsFQDN": boolean(),
            "affinity": any_object(),
            "schedulerName": string(),
            "tolerations": arr(any_object(), list_type="atomic"),
            "hostAliases": arr(
                obj({"ip": string(), "hostnames": strings()}, required=("ip",)),
                merge_key="ip",
                list_type="map",
                map_keys=("ip",),
            ),
            "priorityClassName": string(),
            "priority": integer(),
            "preemptionPolicy": string(enum=("PreemptLowerPriority", "Never")),
            "readinessGates": arr(obj({"conditionType": string()}, required=("conditionType",))),
            "runtimeClassName": string(),
            "enableServiceLinks": boolean(),
            "overhead": map_of(quantity()),
            "topologySpreadConstraints": arr(any_object()),
            "os": obj({"name": string()}, required=("name",)),
            "schedulingGates": arr(
                obj({"name": string()}, required=("name",)),
                merge_key="name",
                list_type="map",
                map_keys=("name",),
            ),
            "resourceClaims": arr(any_object()),
            "resources": resources(),
        },
        required=("containers",),
    )


def pod_template() -> Schema:
    return obj({"metadata": object_meta(), "spec": pod_spec()})


def pod_status() -> Schema:
    ip_list = arr(obj({"ip": string()}), merge_key="ip")
    return obj(
        {
            "phase": string(enum=("Pending", "Running", "Succeeded", "Failed", "Unknown")),
            "conditions": conditions(),
            "message": string(),
            "reason": string(),
            "nominatedNodeName": string(),
            "hostIP": string(),
            "hostIPs": ip_list,
            "podIP": string(),
            "podIPs": ip_list,
            "startTime": string(),
            "initContainerStatuses": arr(any_object()),
            "containerStatuses": arr(any_object()),
            "ephemeralContainerStatuses": arr(any_object()),
            "qosClass": string(enum=("Guaranteed", "Burstable", "BestEffort")),
            "resize": string(),
            "resourceClaimStatuses": arr(any_object()),
            "observedGeneration": integer("int64"),
        }
    )
