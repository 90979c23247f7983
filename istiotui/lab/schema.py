"""A small declarative schema checker over `yamlsource` trees.

A spec checks one node, reports what is wrong with the line of the offending
key or value, and returns the checked value (or `INVALID`). Records come back as
`Rec`, which keeps the lines of their keys so that rules spanning several
records (duplicate ids, references) can still point at the right place. The
lab's own schema, written with these specs, is in `istiotui.lab.lab_schema`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from istiotui.lab.errors import Problem
from istiotui.lab.model import Text, TextList
from istiotui.lab.yamlsource import MapNode, Node, ScalarNode, SeqNode, kind_of, to_python
from istiotui.mesh.durations import parse_duration


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"

    def __bool__(self) -> bool:
        return False


INVALID: Any = _Invalid()


class Ctx:
    """Collects the problems of one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, line: int, path: str, message: str) -> None:
        text = f"{path}: {message}" if path else message
        self.problems.append(Problem(self.file, line, text))


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


@dataclass
class Rec:
    """A checked mapping: values by key, with the lines they were written at."""

    values: dict[str, Any]
    line: int
    key_lines: dict[str, int] = field(default_factory=dict)
    value_lines: dict[str, int] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self.values

    def line_of(self, key: str) -> int:
        return self.value_lines.get(key, self.key_lines.get(key, self.line))


def _scalar(node: Node | None) -> Any:
    return node.value if isinstance(node, ScalarNode) else INVALID


class Spec:
    what = "a value"

    def check(self, node: Node, cx: Ctx, path: str) -> Any:
        raise NotImplementedError

    def _wrong(self, node: Node, cx: Ctx, path: str) -> Any:
        cx.add(node.anchor, path, f"must be {self.what}, found {kind_of(node)}")
        return INVALID


class Str(Spec):
    def __init__(self, pattern: str | None = None, hint: str = "", empty_ok: bool = False) -> None:
        self.pattern = re.compile(pattern) if pattern else None
        self.hint = hint
        self.empty_ok = empty_ok
        self.what = "a string"

    def check(self, node: Node, cx: Ctx, path: str) -> Any:
        value = _scalar(node)
        if not isinstance(value, str):
            if isinstance(node, ScalarNode) and isinstance(value, bool | int | float):
                cx.add(node.line, path, f"must be a string, found {kind_of(node)}: quote it")
                return INVALID
            return self._wrong(node, cx, path)
        if not value.strip() and not self.empty_ok:
            cx.add(node.line, path, "must not be empty")
            return INVALID
        if self.pattern and not self.pattern.fullmatch(value):
            cx.add(node.line, path, f"{value!r} is not {self.hint}")
            return INVALID
        return value


KEBAB = r"[a-z0-9]+(?:-[a-z0-9]+)*"


def kebab() -> Str:
    return Str(KEBAB, "kebab-case (lower-case letters, digits and single dashes)")


class Number(Spec):
    """An int or float within bounds; `integer` refuses floats."""

    def __init__(
        self,
        *,
        gt: float | None = None,
        ge: float | None = None,
        le: float | None = None,
        lt: float | None = None,
        integer: bool = False,
        duration: bool = False,
    ) -> None:
        self.gt, self.ge, self.le, self.lt = gt, ge, le, lt
        self.integer = integer
        self.duration = duration
        self.what = "an integer" if integer else "a number"
        if duration:
            self.what = "a number of seconds or a duration such as 30s"

    def check(self, node: Node, cx: Ctx, path: str) -> Any:
        value = _scalar(node)
        if self.duration and isinstance(value, str):
            try:
                value = parse_duration(value)
            except ValueError as exc:
                cx.add(node.line, path, str(exc))
                return INVALID
        ok_types = (int,) if self.integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, ok_types):
            return self._wrong(node, cx, path)
        for bound, ok, words in (
            (self.gt, lambda b: value > b, "greater than"),
            (self.ge, lambda b: value >= b, "at least"),
            (self.le, lambda b: value <= b, "at most"),
            (self.lt, lambda b: value < b, "less than"),
        ):
            if bound is not None and not ok(bound):
                cx.add(node.line, path, f"must be {words} {bound:g}, found {value:g}")
                return INVALID
        return value


class Bool(Spec):
    what = "true or false"

    def check(self, node: Node, cx: Ctx, path: str) -> Any:
        value = _scalar(node)
        return value if isinstance(value, bool) else self._wrong(node, cx, path)


class Enum(Spec):
    def __init__(self, *values: str, prefixes: Sequence[str] = ()) -> None:
        self.values = values
        self.prefixes = tuple(prefixes)
        shown = [*values, *(f"{p}NAME" for p in prefixes)]
        self.what = "one of " + ", ".join(shown)

    def check(self, node: Node, cx: Ctx, path: str) -> Any:
        value = _scalar(node)
        if isinstance(value, str):
            if value in self.values:
                return value
            for prefix in self.prefixes:
                if value.startswith(prefix) and len(value) > len(prefix):
                    return value
            cx.add(node.line, path, f"unknown value {value!r}; must be {self.what}")
            return INVALID
        return self._wrong(node, cx, path)


class TextSpec(Spec):
    """`{es: "…", en: "…"}`: both languages, neither empty."""

    what = "a mapping with 'es' and 'en' texts"

    def check(self, node: Node, cx: Ctx, path: str) -> Any:
        return _bilingual(node, cx, path, Str(), self.what, lambda es, en: Text(es, en))


class TextListSpec(Spec):
    """`{es: [..], en: [..]}`: both languages, item for item."""

    what = "a mapping with 'es' and 'en' lists of texts"

    def check(self, node: Node, cx: Ctx, path: str) -> Any:
        out = _bilingual(node, cx, path, ListOf(Str(), min_items=1), self.what, TextList)
        if out is INVALID:
            return out
        if len(out.es) != len(out.en):
            cx.add(
                node.anchor,
                path,
                f"'es' has {len(out.es)} items and 'en' has {len(out.en)}: "
                "each item needs its translation",
            )
            return INVALID
        return TextList(tuple(out.es), tuple(out.en))


def _bilingual(
    node: Node, cx: Ctx, path: str, item: Spec, what: str, build: Callable[[Any, Any], Any]
) -> Any:
    if not isinstance(node, MapNode):
        cx.add(node.anchor, path, f"must be {what}, found {kind_of(node)}")
        return INVALID
    found: dict[str, Any] = {}
    ok = True
    for entry in node.entries:
        if entry.key not in ("es", "en"):
            cx.add(entry.key_line, path, f"unknown key {entry.key!r} (allowed: es, en)")
            ok = False
        elif entry.key in found:
            cx.add(entry.key_line, path, f"duplicate key {entry.key!r}")
            ok = False
        else:
            found[entry.key] = item.check(entry.value, cx, join(path, entry.key))
            ok = ok and is_valid(found[entry.key])
    for lang in ("es", "en"):
        if lang not in found:
            cx.add(node.anchor, path, f"missing {lang!r}")
            ok = False
    return build(found["es"], found["en"]) if ok else INVALID


def is_valid(value: Any) -> bool:
    """False for INVALID and for a list holding an INVALID item."""
    if isinstance(value, list):
        return all(item is not INVALID for item in value)
    return value is not INVALID


class ListOf(Spec):
    def __init__(self, item: Spec, min_items: int = 0, label: Callable[[Node], str] | None = None):
        self.item = item
        self.min_items = min_items
        self.label = label
        self.what = "a list"

    def check(self, node: Node, cx: Ctx, path: str) -> Any:
        if not isinstance(node, SeqNode):
            return self._wrong(node, cx, path)
        if len(node.items) < self.min_items:
            cx.add(node.anchor, path, f"needs at least {self.min_items} item(s)")
            return INVALID
        # Items that fail stay in the list as INVALID, so that rules spanning several
        # items (duplicate ids, references) still see the others.
        out: list[Any] = []
        for index, child in enumerate(node.items):
            tag = self.label(child) if self.label else ""
            out.append(self.item.check(child, cx, f"{path}[{tag or index}]"))
        return out


class MapOf(Spec):
    """A free mapping of string keys to values of one spec (headers, labels, shares)."""

    def __init__(self, value: Spec, min_items: int = 0) -> None:
        self.value = value
        self.min_items = min_items
        self.what = "a mapping"

    def check(self, node: Node, cx: Ctx, path: str) -> Any:
        if not isinstance(node, MapNode):
            return self._wrong(node, cx, path)
        if len(node.entries) < self.min_items:
            cx.add(node.anchor, path, f"needs at least {self.min_items} entry(ies)")
            return INVALID
        out: dict[str, Any] = {}
        ok = True
        for entry in node.entries:
            if not isinstance(entry.key, str) or not entry.key:
                cx.add(entry.key_line, path, f"key {entry.key!r} must be a non-empty string")
                ok = False
                continue
            if entry.key in out:
                cx.add(entry.key_line, path, f"duplicate key {entry.key!r}")
                ok = False
            value = self.value.check(entry.value, cx, join(path, entry.key))
            ok = ok and value is not INVALID
            out[entry.key] = value
        return out if ok else INVALID


class Nullable(Spec):
    def __init__(self, inner: Spec) -> None:
        self.inner = inner
        self.what = f"{inner.what} or null"

    def check(self, node: Node, cx: Ctx, path: str) -> Any:
        if isinstance(node, ScalarNode) and node.value is None:
            return None
        return self.inner.check(node, cx, path)


class AnyMap(Spec):
    """Any mapping, returned as plain Python (a merge patch, say)."""

    what = "a mapping"

    def check(self, node: Node, cx: Ctx, path: str) -> Any:
        return to_python(node) if isinstance(node, MapNode) else self._wrong(node, cx, path)


@dataclass(frozen=True)
class Field:
    spec: Spec
    required: bool = False
    default: Any = None


def _close(word: Any, choices: Sequence[str]) -> str:
    if not isinstance(word, str):
        return ""
    near = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {near[0]!r}?" if near else ""


def check_keys(
    node: MapNode, cx: Ctx, path: str, allowed: Sequence[str]
) -> dict[str, tuple[int, Node]]:
    """The entries of a mapping whose keys are allowed; reports unknown and duplicate keys."""
    seen: dict[str, tuple[int, Node]] = {}
    for entry in node.entries:
        key = entry.key
        if key not in allowed:
            cx.add(
                entry.key_line,
                path,
                f"unknown key {key!r}{_close(key, allowed)} (allowed: {', '.join(allowed)})",
            )
        elif key in seen:
            cx.add(entry.key_line, path, f"duplicate key {key!r} (first at line {seen[key][0]})")
        else:
            seen[key] = (entry.key_line, entry.value)
    return seen


class Record(Spec):
    """A mapping with known keys, each with its own spec.

    It returns a `Rec` even when some values are wrong (they are then INVALID and
    required keys may be missing): the caller decides from the problem count
    whether to build anything, and cross-record rules still get to run.
    """

    def __init__(self, fields: dict[str, Field], what: str = "a mapping") -> None:
        self.fields = fields
        self.what = what

    def check(self, node: Node, cx: Ctx, path: str) -> Any:
        if not isinstance(node, MapNode):
            return self._wrong(node, cx, path)
        return self.check_entries(node, cx, path, check_keys(node, cx, path, list(self.fields)))

    def check_entries(
        self, node: MapNode, cx: Ctx, path: str, seen: dict[str, tuple[int, Node]]
    ) -> Any:
        rec = Rec({}, node.line)
        for name, spec_field in self.fields.items():
            if name not in seen:
                if spec_field.required:
                    cx.add(node.anchor, path, f"missing required key {name!r}")
                elif spec_field.default is not None:
                    rec.values[name] = spec_field.default
                continue
            key_line, value_node = seen[name]
            rec.key_lines[name] = key_line
            rec.value_lines[name] = value_node.line
            rec.nodes[name] = value_node
            rec.values[name] = spec_field.spec.check(value_node, cx, join(path, name))
        return rec


def id_label(node: Node) -> str:
    """Names a list item by its `id` in messages (`steps[routing-all-v1]`), when it has one."""
    if isinstance(node, MapNode):
        value = node.get("id")
        if isinstance(value, ScalarNode) and isinstance(value.value, str) and value.value:
            return value.value
    return ""
