"""Validation of written objects, the way an API server with Istio's CRDs and Istio's validating
webhook would: the OpenAPI schema (types, required fields, enums, ranges, unknown fields) and then
the semantic rules of Kubernetes and Istio that a schema cannot say."""

from __future__ import annotations

import copy
from typing import Any

from istiotui.mesh.schemas.kind_schemas import KINDS, KindInfo, lookup, split_api_version
from istiotui.mesh.schemas.meta import meta_errors
from istiotui.mesh.schemas.walker import (
    NOT_SUPPORTED,
    REQUIRED,
    TYPE_INVALID,
    FieldError,
    ValidationResult,
    check,
    prune,
    show,
)

__all__ = [
    "FieldError",
    "ValidationResult",
    "prune_unknown",
    "schema_for",
    "served_kinds",
    "validate",
]


def _kind_of(obj: Any) -> tuple[KindInfo | None, FieldError | None]:
    if not isinstance(obj, dict):
        return None, FieldError("kind", TYPE_INVALID, "Invalid value: the object must be a mapping")
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not api_version:
        return None, FieldError("apiVersion", REQUIRED, "Required value: apiVersion is required")
    if not isinstance(kind, str) or not kind:
        return None, FieldError("kind", REQUIRED, "Required value: kind is required")
    info = lookup(*split_api_version(api_version), kind)
    if info is None:
        return None, FieldError(
            "kind",
            NOT_SUPPORTED,
            f"Unsupported value: {show(kind)}: no kind {show(kind)} is registered for version"
            f" {show(api_version)}",
        )
    return info, None


def validate(obj: dict[str, Any]) -> ValidationResult:
    """Every rejection of `obj` and every field its schema does not know, with their paths.

    Semantic rules run on the object without its unknown fields (as an API server prunes them
    before validating); they are skipped when a value has the wrong type, as the server's
    decoding would have failed before they ran.
    """
    info, problem = _kind_of(obj)
    if info is None:
        return ValidationResult([problem] if problem else [], [])
    result = check(info.schema, obj)
    errors = list(result.errors)
    if any(e.reason == TYPE_INVALID for e in errors):
        return ValidationResult(errors, result.unknown_fields)
    pruned = prune(info.schema, obj)
    extra = meta_errors(pruned.get("metadata"), info.name_rule, info.namespaced)
    if info.rules is not None:
        extra += info.rules(pruned)
    reported = {e.field for e in errors}
    for error in extra:
        if error.field not in reported and error not in errors:
            errors.append(error)
    return ValidationResult(errors, result.unknown_fields)


def prune_unknown(obj: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of `obj` with the fields its schema does not know removed."""
    info, _ = _kind_of(obj)
    if info is None:
        return copy.deepcopy(obj)
    return prune(info.schema, obj)


def schema_for(group: str, version: str, kind: str) -> dict[str, Any] | None:
    """The OpenAPI v3 schema of a served kind, with `x-kubernetes-group-version-kind`."""
    info = lookup(group, version, kind)
    if info is None:
        return None
    schema = copy.deepcopy(info.schema)
    schema["x-kubernetes-group-version-kind"] = [{"group": group, "kind": kind, "version": version}]
    return schema


def served_kinds() -> list[tuple[str, str, str, bool]]:
    """(group, version, kind, namespaced) for every kind and version with a schema."""
    return [
        (info.group, version, info.kind, info.namespaced)
        for info in KINDS
        for version in info.versions
    ]
