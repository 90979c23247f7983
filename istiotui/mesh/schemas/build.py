"""Small constructors for OpenAPI v3 schema dicts, so each schema reads like the API it describes.

The dicts they return are the one source for both validation (`walker`) and the `/openapi/v3`
documents the local API server serves, so they use only standard keywords and Kubernetes'
`x-kubernetes-*` extensions.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT32 = (0, 2**32 - 1)


def obj(
    properties: dict[str, Schema] | None = None,
    *,
    required: tuple[str, ...] | list[str] = (),
    preserve: bool = False,
    description: str | None = None,
) -> Schema:
    """An object with known properties; unknown keys are reported unless `preserve`."""
    schema: Schema = {"type": "object"}
    if description:
        schema["description"] = description
    if properties:
        schema["properties"] = properties
    if required:
        schema["required"] = list(required)
    if preserve:
        schema["x-kubernetes-preserve-unknown-fields"] = True
    return schema


def doc(schema: Schema, text: str) -> Schema:
    """`schema` with the description `kubectl explain` prints for it."""
    return {**schema, "description": text}


def any_object(description: str | None = None) -> Schema:
    """An object this project does not model in depth: anything inside is accepted and kept."""
    return obj(preserve=True, description=description)


def map_of(values: Schema) -> Schema:
    return {"type": "object", "additionalProperties": values}


def string_map() -> Schema:
    return map_of(string())


def arr(
    items: Schema,
    *,
    merge_key: str | None = None,
    strategy: str | None = None,
    list_type: str | None = None,
    map_keys: tuple[str, ...] | None = None,
    min_items: int | None = None,
) -> Schema:
    """An array; `merge_key` adds the strategic-merge metadata kubectl reads for patches."""
    schema: Schema = {"type": "array", "items": items}
    if merge_key:
        schema["x-kubernetes-patch-merge-key"] = merge_key
        schema["x-kubernetes-patch-strategy"] = strategy or "merge"
    elif strategy:
        schema["x-kubernetes-patch-strategy"] = strategy
    if list_type:
        schema["x-kubernetes-list-type"] = list_type
    if map_keys:
        schema["x-kubernetes-list-map-keys"] = list(map_keys)
    if min_items is not None:
        schema["minItems"] = min_items
    return schema


def strings() -> Schema:
    return arr(string())


def string(
    *,
    enum: tuple[str, ...] | list[str] | None = None,
    pattern: str | None = None,
    fmt: str | None = None,
    nullable: bool = False,
    max_length: int | None = None,
) -> Schema:
    schema: Schema = {"type": "string"}
    if enum:
        schema["enum"] = list(enum)
    if pattern:
        schema["pattern"] = pattern
    if fmt:
        schema["format"] = fmt
    if nullable:
        schema["nullable"] = True
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def integer(
    fmt: str = "int32", *, minimum: int | None = None, maximum: int | None = None
) -> Schema:
    schema: Schema = {"type": "integer", "format": fmt}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def uint32(*, maximum: int | None = None, nullable: bool = False) -> Schema:
    """Istio's proto uint32 fields: the CRDs write them as integers bounded to 0..2^32-1."""
    schema = integer("int64", minimum=0, maximum=UINT32[1] if maximum is None else maximum)
    if nullable:
        schema["nullable"] = True
    return schema


def number(fmt: str = "double") -> Schema:
    return {"type": "number", "format": fmt}


def boolean(*, nullable: bool = False) -> Schema:
    schema: Schema = {"type": "boolean"}
    if nullable:
        schema["nullable"] = True
    return schema


def int_or_string() -> Schema:
    return {"x-kubernetes-int-or-string": True}


def quantity() -> Schema:
    """resource.Quantity: Kubernetes accepts `500m`, `1Gi`, `2` and also bare JSON numbers."""
    return {"x-kubernetes-int-or-string": True, "format": "quantity"}


def duration() -> Schema:
    """A protobuf Duration as Istio's CRDs write it (a string such as `7s`); Istio's webhook
    checks the value itself (see `istio_rules`)."""
    return string()


def timestamp(*, nullable: bool = False) -> Schema:
    return string(fmt="date-time", nullable=nullable)
