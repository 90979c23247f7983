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


def walk(value: Any, prefix: str = "") -> tuple[set[str], set[str]]:
    """Every key path in a document, lists written `[]` (`steps[].id`), and the paths that held
    an object (so whose keys must show: an empty list or a null object shows none)."""
    keys: set[str] = set()
    objects: set[str] = set()
    if isinstance(value, dict):
        objects.add(prefix)
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            keys.add(path)
            if path not in _MAPS:
                more_keys, more_objects = walk(item, path)
                keys |= more_keys
                objects |= more_objects
    elif isinstance(value, list):
        for item in value:
            more_keys, more_objects = walk(item, f"{prefix}[]")
            keys |= more_keys
            objects |= more_objects
    return keys, objects


# Objects whose keys are data (status codes, class names), not schema.
_MAPS = {"statuses", "classes", "edges[].flags"}


def assert_documented(command: str, document: dict) -> None:
    documented = set(documented_keys(command))
    assert documented, f"no key table for {command} in {DOC}"
    found, objects = walk(document)
    assert found <= documented, f"{command}: keys not in the docs: {sorted(found - documented)}"
    missing = sorted(k for k in documented - found if _parent(k) in objects)
    assert not missing, f"{command}: documented keys missing: {missing}"


def _parent(key: str) -> str:
    """`steps[].checks[].detail` → `steps[].checks[]`; `latencyMs.p50` → `latencyMs`."""
    return key.rpartition(".")[0]
