"""A checker for the subset of OpenAPI v3 that the schemas here use.

Supported: type, properties, required, enum, items, additionalProperties, format (int32, int64,
quantity), minimum/maximum, minLength/maxLength, minItems, pattern, nullable,
x-kubernetes-preserve-unknown-fields and x-kubernetes-int-or-string. Paths are written the way
the API server writes them: `spec.http[0].route[1].weight`, map entries as `metadata.labels.app`.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from istiotui.mesh.schemas.build import INT32, INT64, Schema

INVALID = "FieldValueInvalid"
REQUIRED = "FieldValueRequired"
NOT_SUPPORTED = "FieldValueNotSupported"
TYPE_INVALID = "FieldValueTypeInvalid"
FORBIDDEN = "FieldValueForbidden"


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str
    message: str


@dataclass(frozen=True)
class ValidationResult:
    errors: list[FieldError]
    unknown_fields: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


def child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def show(value: Any) -> str:
    """A value the way Kubernetes quotes it in messages: strings in quotes, numbers bare."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)[:200]


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _type_ok(expected: str, value: Any) -> bool:
    if expected == "integer":
        return _is_int(value)
    if expected == "number":
        return _is_int(value) or isinstance(value, float)
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "array":
        return isinstance(value, list | tuple)
    if expected == "object":
        return isinstance(value, dict)
    return True


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class _Walk:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.unknown: list[str] = []

    def error(self, path: str, reason: str, message: str) -> None:
        self.errors.append(FieldError(path, reason, message))

    def type_error(self, path: str, expected: str, value: Any) -> None:
        got = json_type(value)
        self.error(path, TYPE_INVALID, f'Invalid value: "{got}": must be of type {expected}')

    def node(self, schema: Schema, value: Any, path: str) -> None:
        if value is None:
            # Kubernetes drops nulls for non-nullable fields before validating, and a nullable
            # field may hold null: either way there is nothing to check.
            return
        if schema.get("x-kubernetes-int-or-string"):
            allowed = _is_int(value) or isinstance(value, str)
            if schema.get("format") == "quantity":
                allowed = allowed or isinstance(value, float)
            if not allowed:
                self.type_error(path, "integer or string", value)
            return
        expected = schema.get("type")
        if expected and not _type_ok(expected, value):
            self.type_error(path, expected, value)
            return
        if "enum" in schema and value not in schema["enum"]:
            supported = ", ".join(show(v) for v in schema["enum"])
            self.error(
                path,
                NOT_SUPPORTED,
                f"Unsupported value: {show(value)}: supported values: {supported}",
            )
            return
        if _is_int(value) or isinstance(value, float):
            self.numeric(schema, value, path)
        elif isinstance(value, str):
            self.text(schema, value, path)
        elif isinstance(value, dict):
            self.mapping(schema, value, path)
        elif isinstance(value, list | tuple):
            if "minItems" in schema and len(value) < schema["minItems"]:
                self.error(path, REQUIRED, f"Required value: at least {schema['minItems']} item(s)")
            items = schema.get("items")
            if items:
                for i, item in enumerate(value):
                    self.node(items, item, index(path, i))

    def numeric(self, schema: Schema, value: float, path: str) -> None:
        low, high = schema.get("minimum"), schema.get("maximum")
        fmt = schema.get("format")
        bounds = {"int32": INT32, "int64": INT64}.get(fmt or "")
        if bounds and not bounds[0] <= value <= bounds[1]:
            self.error(path, INVALID, f"Invalid value: {show(value)}: out of range for {fmt}")
        elif low is not None and value < low:
            self.error(
                path,
                INVALID,
                f"Invalid value: {show(value)}: must be greater than or equal to {low}",
            )
        elif high is not None and value > high:
            self.error(
                path, INVALID, f"Invalid value: {show(value)}: must be less than or equal to {high}"
            )

    def text(self, schema: Schema, value: str, path: str) -> None:
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            limit = schema["maxLength"]
            self.error(
                path, INVALID, f"Invalid value: {show(value)}: may not be longer than {limit}"
            )
        if "minLength" in schema and len(value) < schema["minLength"]:
            limit = schema["minLength"]
            self.error(
                path, INVALID, f"Invalid value: {show(value)}: must be at least {limit} long"
            )
        pattern = schema.get("pattern")
        if pattern and not _compiled(pattern).search(value):
            self.error(path, INVALID, f"Invalid value: {show(value)}: must match {pattern!r}")

    def mapping(self, schema: Schema, value: dict[str, Any], path: str) -> None:
        for name in schema.get("required", ()):
            if value.get(name) is None:
                self.error(child(path, name), REQUIRED, "Required value")
        properties: dict[str, Schema] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        preserve = schema.get("x-kubernetes-preserve-unknown-fields", False)
        for key, item in value.items():
            sub = properties.get(key)
            if sub is not None:
                self.node(sub, item, child(path, key))
            elif isinstance(extra, dict):
                self.node(extra, item, child(path, str(key)))
            elif not (preserve or extra is True):
                self.unknown.append(child(path, str(key)))


def check(schema: Schema, value: Any, path: str = "") -> ValidationResult:
    """Every schema error and unknown field in `value`, with full paths."""
    walk = _Walk()
    walk.node(schema, value, path)
    return ValidationResult(walk.errors, walk.unknown)


def prune(schema: Schema, value: Any) -> Any:
    """A deep copy of `value` without the fields `schema` does not know."""
    if isinstance(value, dict) and schema.get("type") == "object":
        properties: dict[str, Schema] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        keep_all = schema.get("x-kubernetes-preserve-unknown-fields") or extra is True
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in properties:
                out[key] = prune(properties[key], item)
            elif isinstance(extra, dict):
                out[key] = prune(extra, item)
            elif keep_all:
                out[key] = copy.deepcopy(item)
        return out
    if isinstance(value, list | tuple) and schema.get("items"):
        return [prune(schema["items"], item) for item in value]
    return copy.deepcopy(value)
