"""The key tables of docs/cli-output.md, and a check that a document has exactly those keys."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli-output.md"


def documented_keys(command: str) -> list[str]:
    """The `key` column of the table under the heading `### \\`istiotui COMMAND…\\``."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"### `istiotui {command}")
    section = text[start : text.find("\n### ", start + 1)]
    return re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE)


def paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path in a document, lists written `[]` (`steps[].id`)."""
    out: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            out.add(path)
            if _has_fixed_keys(path):
                out |= paths(item, path)
    elif isinstance(value, list):
        for item in value:
            out |= paths(item, f"{prefix}[]")
    return out


# Objects whose keys are data (status codes, class names), not schema.
_MAPS = {"statuses", "classes"}


def _has_fixed_keys(path: str) -> bool:
    return path not in _MAPS


def assert_documented(command: str, document: dict) -> None:
    documented = set(documented_keys(command))
    assert documented, f"no key table for {command} in {DOC}"
    found = paths(document)
    assert found <= documented, f"{command}: keys not in the docs: {sorted(found - documented)}"
    # Every documented key shows up (lists documented with items need an item to show them).
    top = {k for k in documented if "." not in k and "[" not in k}
    absent = sorted(top - set(document))
    assert not absent, f"{command}: documented keys missing: {absent}"
    missing = {k for k in documented - found if not _inside_empty_list(k, document)}
    assert not missing, f"{command}: documented keys missing: {sorted(missing)}"


def _inside_empty_list(key: str, document: dict) -> bool:
    """A key under a list (or a null object) that has no item here cannot be shown."""
    head = key.split("[]")[0].split(".")[0]
    value = document.get(head)
    return value in (None, [], {})
