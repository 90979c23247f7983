"""Label and field selectors in the syntax of `?labelSelector=` and `?fieldSelector=`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from istiotui.local.status import bad_request
from istiotui.mesh.labels import selects

Matcher = Callable[[dict], bool]

_SET_RE = re.compile(r"^\s*(!?)([A-Za-z0-9._/-]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9._/-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)\s*$")


def _split(selector: str) -> list[str]:
    """Split on commas outside parentheses ("a in (x,y),b" → two requirements)."""
    parts, depth, cur = [], 0, ""
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


def label_selector(selector: str | None) -> Matcher:
    if not selector:
        return lambda _obj: True
    tests: list[Callable[[dict[str, str]], bool]] = []
    for req in _split(selector):
        eq = _EQ_RE.match(req)
        if eq:
            key, op, value = eq.groups()
            if op == "!=":
                tests.append(lambda lab, k=key, v=value: lab.get(k) != v)
            else:
                tests.append(lambda lab, k=key, v=value: lab.get(k) == v)
            continue
        st = _SET_RE.match(req)
        if not st:
            raise bad_request(
                f'unable to parse requirement: invalid label selector "{req.strip()}"'
            )
        neg, key, op, values = st.groups()
        if op:
            if neg:
                raise bad_request(f'unable to parse requirement "{req.strip()}"')
            vals = {v.strip() for v in values.split(",") if v.strip()}
            if op == "in":
                tests.append(lambda lab, k=key, vs=vals: lab.get(k) in vs)
            else:
                tests.append(lambda lab, k=key, vs=vals: lab.get(k) not in vs)
        elif neg:
            tests.append(lambda lab, k=key: k not in lab)
        else:
            tests.append(lambda lab, k=key: k in lab)

    def match(obj: dict) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(t(labels) for t in tests)

    return match


def match_expressions(selector: dict, labels: dict[str, str] | None) -> bool:
    """A LabelSelector object ({matchLabels, matchExpressions}) against labels."""
    labels = labels or {}
    if not selects(selector.get("matchLabels"), labels, empty_selects_all=True):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _field(obj: dict, path: str) -> Any:
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def field_selector(selector: str | None) -> Matcher:
    if not selector:
        return lambda _obj: True
    tests: list[tuple[str, bool, str]] = []
    for req in _split(selector):
        m = _EQ_RE.match(req) or re.match(r"^\s*([A-Za-z0-9._/-]+)\s*(==|=|!=)\s*(.*)$", req)
        if not m:
            raise bad_request(f'invalid selector: "{req.strip()}"; can\'t understand it')
        key, op, value = m.groups()
        tests.append((key, op != "!=", value.strip()))

    def match(obj: dict) -> bool:
        for key, equal, value in tests:
            got = _field(obj, key)
            got_s = "" if got is None else str(got)
            if (got_s == value) != equal:
                return False
        return True

    return match
