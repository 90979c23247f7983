"""What a step will change: live objects against the server's dry-run result, made readable.

Both sides are normalised (no managedFields, resourceVersion, status and the like), and a field
the step's manifest does not write is hidden when both sides hold the same value for it — so the
server's defaults don't drown the change — while any field that really changes stays visible.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from typing import Any, Literal

import yaml

_SERVER_META = (
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
_SERVER_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)

Change = Literal["create", "update", "delete", "unchanged"]


@dataclass(frozen=True)
class DiffLine:
    sign: Literal["+", "-", " ", "@"]
    text: str


@dataclass(frozen=True)
class ObjectDiff:
    ref: str  # `VirtualService bookinfo/reviews`
    change: Change
    lines: tuple[DiffLine, ...]


def normalise(obj: dict) -> dict:
    """A copy without what the server writes for itself."""
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.get("metadata") or {}
    for key in _SERVER_META:
        meta.pop(key, None)
    annotations = meta.get("annotations") or {}
    for key in _SERVER_ANNOTATIONS:
        annotations.pop(key, None)
    if "annotations" in meta and not annotations:
        meta.pop("annotations")
    return out


def _strip(live: Any, after: Any, written: Any) -> tuple[Any, Any]:
    """Drop, from both sides, keys the manifest does not write whose values agree."""
    if not (isinstance(live, dict) and isinstance(after, dict)):
        return live, after
    written = written if isinstance(written, dict) else {}
    out_live, out_after = {}, {}
    for key in list(dict.fromkeys([*after, *live])):
        in_live, in_after = key in live, key in after
        if key not in written and in_live and in_after and live[key] == after[key]:
            continue
        if in_live and in_after:
            out_live[key], out_after[key] = _strip(live[key], after[key], written.get(key))
        elif in_live:
            out_live[key] = live[key]
        else:
            out_after[key] = after[key]
    return out_live, out_after


def _only_written(after: Any, written: Any) -> Any:
    """The server's view of a new object, limited to what the manifest wrote."""
    if isinstance(after, dict) and isinstance(written, dict):
        return {k: _only_written(after[k], written[k]) for k in written if k in after}
    return after


def _yaml(obj: dict) -> list[str]:
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False).splitlines()


def ref_of(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{obj.get('kind', '?')} {ns + '/' if ns else ''}{meta.get('name', '?')}"


def diff_object(live: dict | None, after: dict | None, written: dict | None = None) -> ObjectDiff:
    """live: the object now (None: absent); after: the dry-run result (None: the step deletes it);
    written: the manifest as the step wrote it."""
    if live is None and after is None:
        raise ValueError("nothing to compare")
    ref = ref_of(after or live or {})
    if after is None:
        lines = tuple(DiffLine("-", t) for t in _yaml(normalise(live or {})))
        return ObjectDiff(ref, "delete", lines)
    after_n = normalise(after)
    if live is None:
        shown = _only_written(after_n, normalise(written)) if written else after_n
        return ObjectDiff(ref, "create", tuple(DiffLine("+", t) for t in _yaml(shown)))
    old, new = _strip(normalise(live), after_n, normalise(written) if written else {})
    if old == new:
        return ObjectDiff(ref, "unchanged", ())
    lines = []
    for text in difflib.unified_diff(_yaml(old), _yaml(new), lineterm="", n=3):
        if text.startswith(("---", "+++")):
            continue
        sign = text[0] if text[:1] in "+- " else "@"
        lines.append(DiffLine(sign, text[1:] if sign != "@" else text))  # type: ignore[arg-type]
    return ObjectDiff(ref, "update", tuple(lines))
