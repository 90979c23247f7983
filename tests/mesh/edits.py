"""Making a minimal failing object from a valid one: change or delete one field by its path."""

from __future__ import annotations

import copy
import re
from typing import Any

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_DELETE = object()


def edit(obj: dict, path: str, value: Any = _DELETE) -> dict:
    """A copy of obj with the value at `a.b[0].c` replaced (or deleted)."""
    out = copy.deepcopy(obj)
    steps = [int(i) if i else k for k, i in _STEP.findall(path)]
    node: Any = out
    for step in steps[:-1]:
        if isinstance(step, str) and step not in node:
            node[step] = {}
        node = node[step]
    if value is _DELETE:
        del node[steps[-1]]
    else:
        node[steps[-1]] = value
    return out


def meta(name: str = "x") -> dict:
    return {"name": name}
