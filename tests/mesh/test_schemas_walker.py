"""The OpenAPI-subset checker on its own: each keyword it supports, and pruning."""

from __future__ import annotations

from istiotui.mesh.schemas.build import (
    any_object,
    arr,
    boolean,
    int_or_string,
    integer,
    map_of,
    number,
    obj,
    quantity,
    string,
    uint32,
)
from istiotui.mesh.schemas.walker import FieldError, check, prune

SCHEMA = obj(
    {
        "count": integer(minimum=0, maximum=10),
        "big": integer(),
        "port": uint32(maximum=65535),
        "ratio": number(),
        "flag": boolean(),
        "mode": string(enum=("A", "B")),
        "code": string(pattern=r"^[a-z]+$", max_length=5),
        "target": int_or_string(),
        "cpu": quantity(),
        "when": string(nullable=True),
        "tags": arr(string(), min_items=1),
        "limits": map_of(integer()),
        "open": any_object(),
        "nested": obj({"name": string()}, required=("name",)),
    },
    required=("mode",),
)


def _errors(value: dict) -> list[tuple[str, str]]:
    return [(e.field, e.reason) for e in check(SCHEMA, value).errors]


def test_a_good_value_passes() -> None:
    value = {
        "count": 3,
        "big": -5,
        "port": 8080,
        "ratio": 1,
        "flag": False,
        "mode": "A",
        "code": "abc",
        "target": "http",
        "cpu": 0.5,
        "when": None,
        "tags": ["x"],
        "limits": {"a": 1},
        "open": {"anything": [1, {"goes": True}]},
        "nested": {"name": "n"},
    }
    assert check(SCHEMA, value).errors == []
    assert check(SCHEMA, value).unknown_fields == []


def test_each_keyword_rejects() -> None:
    assert _errors({"mode": "C"}) == [("mode", "FieldValueNotSupported")]
    assert _errors({}) == [("mode", "FieldValueRequired")]
    assert _errors({"mode": None}) == [("mode", "FieldValueRequired")]
    assert _errors({"mode": "A", "count": 11}) == [("count", "FieldValueInvalid")]
    assert _errors({"mode": "A", "count": -1}) == [("count", "FieldValueInvalid")]
    assert _errors({"mode": "A", "big": 2**31}) == [("big", "FieldValueInvalid")]
    assert _errors({"mode": "A", "port": 70000}) == [("port", "FieldValueInvalid")]
    assert _errors({"mode": "A", "code": "ABC"}) == [("code", "FieldValueInvalid")]
    assert _errors({"mode": "A", "code": "abcdef"}) == [("code", "FieldValueInvalid")]
    assert _errors({"mode": "A", "tags": []}) == [("tags", "FieldValueRequired")]
    assert _errors({"mode": "A", "nested": {}}) == [("nested.name", "FieldValueRequired")]


def test_types() -> None:
    typed = "FieldValueTypeInvalid"
    assert _errors({"mode": "A", "count": True}) == [("count", typed)]
    assert _errors({"mode": "A", "count": 1.0}) == [("count", typed)]
    assert _errors({"mode": "A", "flag": "true"}) == [("flag", typed)]
    assert _errors({"mode": "A", "target": 1.5}) == [("target", typed)]
    assert _errors({"mode": "A", "target": 8080}) == []
    assert _errors({"mode": "A", "cpu": "250m"}) == []
    assert _errors({"mode": "A", "cpu": [1]}) == [("cpu", typed)]
    assert _errors({"mode": "A", "tags": "x"}) == [("tags", typed)]
    assert _errors({"mode": "A", "tags": ["x", 1]}) == [("tags[1]", typed)]
    assert _errors({"mode": "A", "limits": {"a": "1"}}) == [("limits.a", typed)]
    assert _errors({"mode": "A", "open": []}) == [("open", typed)]
    assert check(SCHEMA, []).errors == [
        FieldError("", typed, 'Invalid value: "array": must be of type object')
    ]


def test_unknown_fields_and_pruning() -> None:
    value = {"mode": "A", "extra": 1, "nested": {"name": "n", "typo": 2}, "open": {"kept": 3}}
    assert check(SCHEMA, value).unknown_fields == ["extra", "nested.typo"]
    assert prune(SCHEMA, value) == {"mode": "A", "nested": {"name": "n"}, "open": {"kept": 3}}
    assert check(SCHEMA, value, "spec").unknown_fields == ["spec.extra", "spec.nested.typo"]
