"""YAML documents as trees that remember the line of every key and value.

PyYAML's composer already knows where each node starts; this module keeps that
knowledge in small node types (`MapNode`, `SeqNode`, `ScalarNode`) so that the
schema checker can point at the exact line of whatever is wrong. Plain Python
values come back out with `to_python`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # libyaml is several times faster, and the lab is parsed at every start
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


class YamlSyntaxError(Exception):
    """The text is not YAML; `line` is 1-based, as editors count."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"{line}: {message}")
        self.line = line
        self.message = message


@dataclass(eq=False)
class Node:
    line: int  # 1-based

    # The line of the key this node is the value of: a block mapping or list starts on the
    # line after its key, but "title: missing 'en'" belongs on the key's line.
    owner_line: int | None = field(default=None, kw_only=True)

    @property
    def anchor(self) -> int:
        """The line to report a problem with the node as a whole."""
        return self.owner_line if self.owner_line is not None else self.line


@dataclass(eq=False)
class ScalarNode(Node):
    value: Any


@dataclass(eq=False)
class SeqNode(Node):
    items: list[Node] = field(default_factory=list)


@dataclass(eq=False)
class Entry:
    key: Any
    key_line: int
    value: Node


@dataclass(eq=False)
class MapNode(Node):
    # A list, not a dict: duplicate keys must survive so that they can be reported.
    entries: list[Entry] = field(default_factory=list)

    def get(self, key: str) -> Node | None:
        for entry in self.entries:
            if entry.key == key:
                return entry.value
        return None

    def keys(self) -> list[Any]:
        return [entry.key for entry in self.entries]


def kind_of(node: Node) -> str:
    """How a node is described in messages ("a mapping", "a list", "a string", …)."""
    if isinstance(node, MapNode):
        return "a mapping"
    if isinstance(node, SeqNode):
        return "a list"
    value = node.value if isinstance(node, ScalarNode) else None
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


def _mark_line(exc: yaml.MarkedYAMLError) -> int:
    mark = exc.problem_mark or exc.context_mark
    return mark.line + 1 if mark is not None else 1


def _describe(exc: yaml.MarkedYAMLError) -> str:
    context = exc.context or ""
    mark, problem_mark = exc.context_mark, exc.problem_mark
    if context and mark is not None and (problem_mark is None or mark.line != problem_mark.line):
        context += f" (started at line {mark.line + 1})"
    parts = [p for p in (context, exc.problem) if p]
    return "invalid YAML: " + ", ".join(parts) if parts else "invalid YAML"


class _Converter:
    """Turns PyYAML's composed nodes into ours, scalars constructed the safe way."""

    def __init__(self) -> None:
        self._constructor = yaml.constructor.SafeConstructor()
        self._seen: dict[int, Node] = {}

    def convert(self, ynode: yaml.Node) -> Node:
        # Aliases come back as the very same node object: share the result too.
        done = self._seen.get(id(ynode))
        if done is not None:
            return done
        line = ynode.start_mark.line + 1
        if isinstance(ynode, yaml.ScalarNode):
            if ynode.tag == _STR_TAG:  # most scalars: skip the constructor's bookkeeping
                return ScalarNode(line, ynode.value)
            try:
                value = self._constructor.construct_object(ynode, deep=True)
            except yaml.constructor.ConstructorError as exc:
                raise YamlSyntaxError(_mark_line(exc), _describe(exc)) from None
            out: Node = ScalarNode(line, value)
        elif isinstance(ynode, yaml.SequenceNode):
            seq = SeqNode(line)
            self._seen[id(ynode)] = seq
            seq.items = [self.convert(item) for item in ynode.value]
            out = seq
        elif isinstance(ynode, yaml.MappingNode):
            mapping = MapNode(line)
            self._seen[id(ynode)] = mapping
            self._flatten_merges(ynode)
            for knode, vnode in ynode.value:
                key = self.convert(knode)
                key_value = key.value if isinstance(key, ScalarNode) else key
                value = self.convert(vnode)
                if value.owner_line is None and not isinstance(value, ScalarNode):
                    value.owner_line = key.line
                mapping.entries.append(Entry(key_value, key.line, value))
            out = mapping
        else:  # pragma: no cover - PyYAML has no other node kinds
            raise YamlSyntaxError(line, f"unsupported YAML node {type(ynode).__name__}")
        self._seen[id(ynode)] = out
        return out

    def _flatten_merges(self, ynode: yaml.MappingNode) -> None:
        if any(k.tag == _MERGE_TAG for k, _ in ynode.value):
            try:
                self._constructor.flatten_mapping(ynode)
            except yaml.constructor.ConstructorError as exc:
                raise YamlSyntaxError(_mark_line(exc), _describe(exc)) from None


def parse_documents(text: str) -> list[Node | None]:
    """Every document of `text`; an empty document is None. Raises YamlSyntaxError."""
    try:
        ydocs = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        raise YamlSyntaxError(_mark_line(exc), _describe(exc)) from None
    except yaml.YAMLError as exc:  # e.g. a reader error for a control character
        line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 1
        raise YamlSyntaxError(line, f"invalid YAML: {exc}") from None
    converter = _Converter()
    docs = [None if d is None else converter.convert(d) for d in ydocs]
    # An explicit but empty document (`---` and nothing) is a null scalar: treat it as empty.
    return [None if isinstance(d, ScalarNode) and d.value is None else d for d in docs]


def parse_document(text: str) -> Node | None:
    """The one document of `text` (None when empty); more than one is an error."""
    docs = parse_documents(text)
    if len(docs) > 1:
        line = docs[1].line if docs[1] is not None else 1
        raise YamlSyntaxError(line, "expected one YAML document, found more")
    return docs[0] if docs else None


def to_python(node: Node | None) -> Any:
    """The plain value of a node: dicts, lists and scalars (the last duplicate key wins)."""
    if node is None:
        return None
    if isinstance(node, ScalarNode):
        return node.value
    if isinstance(node, SeqNode):
        return [to_python(item) for item in node.items]
    if isinstance(node, MapNode):
        return {entry.key: to_python(entry.value) for entry in node.entries}
    raise TypeError(node)  # pragma: no cover
