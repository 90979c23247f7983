"""ObjectMeta and the other `meta/v1` pieces every object shares, with their name rules."""

from __future__ import annotations

import re
from typing import Any

from istiotui.mesh.schemas.build import (
    Schema,
    any_object,
    arr,
    boolean,
    integer,
    obj,
    string,
    string_map,
    strings,
    timestamp,
)
from istiotui.mesh.schemas.walker import FORBIDDEN, INVALID, REQUIRED, FieldError, child, show

OWNER_REFERENCE = obj(
    {
        "apiVersion": string(),
        "kind": string(),
        "name": string(),
        "uid": string(),
        "controller": boolean(),
        "blockOwnerDeletion": boolean(),
    },
    required=("apiVersion", "kind", "name", "uid"),
)

MANAGED_FIELDS_ENTRY = obj(
    {
        "manager": string(),
        "operation": string(),
        "apiVersion": string(),
        "time": timestamp(),
        "fieldsType": string(),
        "fieldsV1": any_object(),
        "subresource": string(),
    }
)


def object_meta() -> Schema:
    return obj(
        {
            "name": string(),
            "generateName": string(),
            "namespace": string(),
            "selfLink": string(),
            "uid": string(),
            "resourceVersion": string(),
            "generation": integer("int64"),
            "creationTimestamp": timestamp(nullable=True),
            "deletionTimestamp": timestamp(nullable=True),
            "deletionGracePeriodSeconds": integer("int64"),
            "labels": string_map(),
            "annotations": string_map(),
            "ownerReferences": arr(
                OWNER_REFERENCE, merge_key="uid", list_type="map", map_keys=("uid",)
            ),
            "finalizers": arr(string(), strategy="merge", list_type="set"),
            "managedFields": arr(MANAGED_FIELDS_ENTRY, list_type="atomic"),
        }
    )


def label_selector() -> Schema:
    return obj(
        {
            "matchLabels": string_map(),
            "matchExpressions": arr(
                obj(
                    {
                        "key": string(),
                        "operator": string(enum=("In", "NotIn", "Exists", "DoesNotExist")),
                        "values": strings(),
                    },
                    required=("key", "operator"),
                )
            ),
        }
    )


def object_reference() -> Schema:
    return obj(
        {
            "apiVersion": string(),
            "kind": string(),
            "name": string(),
            "namespace": string(),
            "uid": string(),
            "resourceVersion": string(),
            "fieldPath": string(),
        }
    )


def local_object_reference() -> Schema:
    return obj({"name": string()})


def condition() -> Schema:
    """A status condition: the fields Kubernetes' condition types share, others kept as they are."""
    return obj(
        {
            "type": string(),
            "status": string(),
            "reason": string(),
            "message": string(),
            "lastTransitionTime": timestamp(),
            "lastUpdateTime": timestamp(),
            "lastProbeTime": timestamp(nullable=True),
            "lastHeartbeatTime": timestamp(),
            "observedGeneration": integer("int64"),
        },
        preserve=True,
    )


def conditions() -> Schema:
    return arr(condition(), merge_key="type", list_type="map", map_keys=("type",))


def typed(meta: Schema, spec: Schema | None = None, status: Schema | None = None) -> Schema:
    """The top of a kind's schema: apiVersion, kind, metadata, then its spec and status."""
    properties: dict[str, Schema] = {
        "apiVersion": string(),
        "kind": string(),
        "metadata": meta,
    }
    if spec is not None:
        properties["spec"] = spec
    if status is not None:
        properties["status"] = status
    return obj(properties)


# --- name and label rules (apimachinery's validation, written here from its documented rules) ---

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")


def is_dns1123_label(value: str) -> bool:
    return len(value) <= 63 and bool(_DNS1123_LABEL.fullmatch(value))


def is_dns1123_subdomain(value: str) -> bool:
    return len(value) <= 253 and bool(_DNS1123_SUBDOMAIN.fullmatch(value))


def is_dns1035_label(value: str) -> bool:
    return len(value) <= 63 and bool(_DNS1035_LABEL.fullmatch(value))


def name_problem(value: str, rule: str) -> str | None:
    """Why `value` is not a valid name under `rule` (subdomain, label, dns1035), or None."""
    if rule == "label" and not is_dns1123_label(value):
        return (
            "a lowercase RFC 1123 label must be at most 63 characters of lower case alphanumeric"
            " characters or '-', starting and ending with an alphanumeric character"
            " (e.g. 'my-name')"
        )
    if rule == "dns1035" and not is_dns1035_label(value):
        return (
            "a DNS-1035 label must be at most 63 characters of lower case alphanumeric characters"
            " or '-', starting with a letter and ending with an alphanumeric character"
            " (e.g. 'my-name')"
        )
    if rule == "subdomain" and not is_dns1123_subdomain(value):
        return (
            "a lowercase RFC 1123 subdomain must be at most 253 characters of lower case"
            " alphanumeric characters, '-' or '.', starting and ending with an alphanumeric"
            " character (e.g. 'example.com')"
        )
    return None


def qualified_name_problem(key: str) -> str | None:
    """Why `key` is not a valid label or annotation key (`[prefix/]name`), or None."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and not prefix:
        return "prefix part must be non-empty"
    if prefix and not is_dns1123_subdomain(prefix):
        return "prefix part must be a lowercase RFC 1123 subdomain"
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _QUALIFIED_NAME.fullmatch(name):
        return (
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start"
            " and end with an alphanumeric character"
        )
    return None


def label_value_problem(value: str) -> str | None:
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _LABEL_VALUE.fullmatch(value):
        return (
            "a valid label must be an empty string or consist of alphanumeric characters, '-',"
            " '_' or '.', and must start and end with an alphanumeric character"
        )
    return None


def label_errors(labels: Any, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(labels, dict):
        return errors
    for key, value in labels.items():
        problem = qualified_name_problem(str(key))
        if problem:
            errors.append(FieldError(path, INVALID, f"Invalid value: {show(key)}: {problem}"))
        if isinstance(value, str):
            problem = label_value_problem(value)
            if problem:
                errors.append(
                    FieldError(
                        child(path, str(key)), INVALID, f"Invalid value: {show(value)}: {problem}"
                    )
                )
    return errors


_ANNOTATIONS_TOTAL_LIMIT = 256 * 1024


def meta_errors(meta: Any, name_rule: str, namespaced: bool) -> list[FieldError]:
    """ObjectMeta rules that a schema cannot say: names, label and annotation keys and values."""
    if not isinstance(meta, dict):
        return [FieldError("metadata", REQUIRED, "Required value")]
    errors: list[FieldError] = []
    name, generate = meta.get("name"), meta.get("generateName")
    if not name and not generate:
        errors.append(
            FieldError(
                "metadata.name", REQUIRED, "Required value: name or generateName is required"
            )
        )
    if isinstance(name, str) and name:
        problem = name_problem(name, name_rule)
        if problem:
            errors.append(
                FieldError("metadata.name", INVALID, f"Invalid value: {show(name)}: {problem}")
            )
    if isinstance(generate, str) and generate and not name:
        # generateName gets a random suffix, so only its prefix needs to be valid.
        candidate = generate[:-1] if generate.endswith("-") and len(generate) > 1 else generate
        problem = name_problem(candidate, name_rule)
        if problem:
            errors.append(
                FieldError(
                    "metadata.generateName", INVALID, f"Invalid value: {show(generate)}: {problem}"
                )
            )
    namespace = meta.get("namespace")
    if isinstance(namespace, str) and namespace:
        if not namespaced:
            errors.append(
                FieldError(
                    "metadata.namespace",
                    FORBIDDEN,
                    "Forbidden: not allowed on this type",
                )
            )
        elif not is_dns1123_label(namespace):
            problem = name_problem(namespace, "label")
            errors.append(
                FieldError(
                    "metadata.namespace", INVALID, f"Invalid value: {show(namespace)}: {problem}"
                )
            )
    errors += label_errors(meta.get("labels"), "metadata.labels")
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        total = 0
        for key, value in annotations.items():
            problem = qualified_name_problem(str(key).lower())
            if problem:
                errors.append(
                    FieldError(
                        "metadata.annotations", INVALID, f"Invalid value: {show(key)}: {problem}"
                    )
                )
            total += len(str(key)) + (len(value) if isinstance(value, str) else 0)
        if total > _ANNOTATIONS_TOTAL_LIMIT:
            errors.append(
                FieldError(
                    "metadata.annotations",
                    INVALID,
                    f"Too long: must have at most {_ANNOTATIONS_TOTAL_LIMIT} bytes",
                )
            )
    return errors
