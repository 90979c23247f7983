"""Lines of keys and values, duplicates, aliases and merges, YAML errors."""

from __future__ import annotations

import pytest

from istiotui.lab.yamlsource import (
    MapNode,
    ScalarNode,
    SeqNode,
    YamlSyntaxError,
    parse_document,
    parse_documents,
    to_python,
)

TEXT = """\
a: 1
b:
  c: [x, y]
  d:
    - e: true
base: &base {k: v, n: 1}
merged:
  <<: *base
  n: 2
a: 3
"""


def test_lines_of_keys_and_values() -> None:
    doc = parse_document(TEXT)
    assert isinstance(doc, MapNode)
    assert [(e.key, e.key_line) for e in doc.entries] == [
        ("a", 1),
        ("b", 2),
        ("base", 6),
        ("merged", 7),
        ("a", 10),
    ]
    b = doc.get("b")
    assert isinstance(b, MapNode) and b.line == 3 and b.anchor == 2
    d = b.get("d")
    assert isinstance(d, SeqNode) and d.anchor == 4 and d.items[0].line == 5


def test_duplicates_kept_and_merges_resolved() -> None:
    doc = parse_document(TEXT)
    assert isinstance(doc, MapNode)
    assert doc.keys().count("a") == 2
    assert to_python(doc)["a"] == 3  # as PyYAML does: the last one wins
    assert to_python(doc)["merged"] == {"k": "v", "n": 2}
    c = doc.get("b").get("c")  # type: ignore[union-attr]
    assert isinstance(c, SeqNode) and isinstance(c.items[1], ScalarNode)
    assert c.items[1].value == "y"


def test_yaml_error_has_pyyaml_line() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        parse_document("a: 1\nb: [1, 2\nc: 3\n")
    assert caught.value.line == 3
    assert "invalid YAML" in caught.value.message


def test_one_document_expected() -> None:
    assert len(parse_documents("a: 1\n---\nb: 2\n")) == 2
    with pytest.raises(YamlSyntaxError) as caught:
        parse_document("a: 1\n---\nb: 2\n")
    assert caught.value.line == 3


def test_empty_document() -> None:
    assert parse_document("") is None
    assert parse_documents("---\n---\na: 1\n")[0] is None
