"""Server-side apply and field ownership (`metadata.managedFields`, FieldsV1).

A field path is a tuple of FieldsV1 keys:
`("f:spec", "f:containers", 'k:{"name":"app"}', "f:image")`.
Keyed lists (containers by name, ports by port…) are sets of items addressed by `k:{…}`; other
lists are atomic and owned as a whole, like scalars. Custom resources (the Istio kinds) have no
keyed lists here: the Istio CRDs declare none that the lab's manifests depend on.

What this implements of the real algorithm:
- Apply: the manager's set becomes exactly the fields of its configuration; fields it owned before
  and no longer applies are removed unless another manager owns them; changing a field another
  manager owns is a conflict (409) unless `force`, which moves ownership.
- Update (create, put, patch): the manager takes the fields whose values it changed; removed
  fields leave every manager's set.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from istiotui.mesh.patch import list_key

Path = tuple[str, ...]

# Fields the API server owns itself; never part of anyone's set.
_IGNORED_TOP = {"apiVersion", "kind", "status"}
_IGNORED_META = {
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
}


class ApplyConflict(Exception):
    def __init__(self, conflicts: list[tuple[str, Path]]) -> None:
        super().__init__("apply conflict")
        self.conflicts = conflicts


def _item_key(key: str, item: dict) -> str:
    return "k:" + json.dumps({key: item.get(key)}, separators=(",", ":"))


def field_set(obj: dict, *, builtin: bool) -> set[Path]:
    """Every leaf field of obj (and every keyed-list item, as "." of the item)."""
    out: set[Path] = set()
    for name, value in obj.items():
        if name in _IGNORED_TOP:
            continue
        if name == "metadata" and isinstance(value, dict):
            meta = {k: v for k, v in value.items() if k not in _IGNORED_META}
            if meta:
                _walk(meta, ("f:metadata",), out, builtin)
            continue
        _walk_value(name, value, ("f:" + name,), out, builtin)
    return out


def _walk(value: dict, prefix: Path, out: set[Path], builtin: bool) -> None:
    if not value:
        out.add(prefix)
    for name, sub in value.items():
        _walk_value(name, sub, (*prefix, "f:" + name), out, builtin)


def _walk_value(name: str, value: Any, path: Path, out: set[Path], builtin: bool) -> None:
    if isinstance(value, dict):
        _walk(value, path, out, builtin)
        return
    if isinstance(value, list) and builtin:
        key = list_key(name, value)
        if key and all(isinstance(i, dict) and key in i for i in value):
            if not value:
                out.add(path)
            for item in value:
                ipath = (*path, _item_key(key, item))
                out.add((*ipath, "."))
                _walk(item, ipath, out, builtin)
            return
    out.add(path)


def encode(paths: set[Path]) -> dict:
    """A set of paths as a FieldsV1 tree."""
    tree: dict = {}
    for path in sorted(paths):
        node = tree
        for part in path:
            node = node.setdefault(part, {})
    return tree


def decode(tree: dict, prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    for part, sub in tree.items():
        path = (*prefix, part)
        if isinstance(sub, dict) and sub:
            out |= decode(sub, path)
        else:
            out.add(path)
    return out


def _lookup(obj: Any, path: Path) -> tuple[bool, Any]:
    node = obj
    for part in path:
        if part == ".":
            continue
        if part.startswith("f:") and isinstance(node, dict) and part[2:] in node:
            node = node[part[2:]]
        elif part.startswith("k:") and isinstance(node, list):
            want = json.loads(part[2:])
            match = [
                i
                for i in node
                if isinstance(i, dict) and all(i.get(k) == v for k, v in want.items())
            ]
            if not match:
                return False, None
            node = match[0]
        else:
            return False, None
    return True, node


def _delete(obj: Any, path: Path) -> None:
    if path and path[-1] == ".":
        path = path[:-1]
    found, parent = _lookup(obj, path[:-1])
    if not found:
        return
    last = path[-1]
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif last.startswith("k:") and isinstance(parent, list):
        want = json.loads(last[2:])
        parent[:] = [
            i
            for i in parent
            if not (isinstance(i, dict) and all(i.get(k) == v for k, v in want.items()))
        ]


def _merge(live: Any, config: Any, name: str, builtin: bool) -> Any:
    """Config merged over live: maps merge, keyed lists merge by key, the rest is replaced."""
    if isinstance(live, dict) and isinstance(config, dict):
        out = copy.deepcopy(live)
        for k, v in config.items():
            out[k] = _merge(live.get(k), v, k, builtin)
        return out
    if builtin and isinstance(live, list) and isinstance(config, list):
        key = list_key(name, live + config)
        if key and all(isinstance(i, dict) and key in i for i in live + config):
            out = [copy.deepcopy(i) for i in live]
            for item in config:
                at = next((n for n, o in enumerate(out) if o.get(key) == item.get(key)), None)
                if at is None:
                    out.append(copy.deepcopy(item))
                else:
                    out[at] = _merge(out[at], item, "", builtin)
            return out
    return copy.deepcopy(config)


def _entries(obj: dict) -> list[dict]:
    return list(obj.get("metadata", {}).get("managedFields") or [])


def _owned(entry: dict) -> set[Path]:
    return decode(entry.get("fieldsV1") or {})


def _entry(manager: str, operation: str, api_version: str, now: str, paths: set[Path]) -> dict:
    return {
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": now,
        "fieldsType": "FieldsV1",
        "fieldsV1": encode(paths),
    }


def _set_entries(obj: dict, entries: list[dict]) -> None:
    kept = [e for e in entries if e.get("fieldsV1")]
    obj.setdefault("metadata", {})["managedFields"] = kept
    if not kept:
        obj["metadata"].pop("managedFields")


def _covered(path: Path, owned: set[Path]) -> bool:
    """A path is owned when it or one of its ancestors (an atomic value) is in the set."""
    return any(path[:n] in owned for n in range(1, len(path) + 1))


def apply(
    live: dict | None,
    config: dict,
    *,
    manager: str,
    force: bool,
    api_version: str,
    now: str,
    builtin: bool,
) -> dict:
    """The object after `manager` applies `config` over `live` (None when it does not exist)."""
    base = copy.deepcopy(live) if live else {}
    entries = _entries(base)
    applied = field_set(config, builtin=builtin)
    previous: set[Path] = set()
    others: list[dict] = []
    for e in entries:
        if e.get("manager") == manager and e.get("operation") == "Apply":
            previous = _owned(e)
        else:
            others.append(e)

    conflicts: list[tuple[str, Path]] = []
    for path in sorted(applied):
        if path[-1] == ".":
            continue
        found, current = _lookup(base, path)
        if not found:
            continue
        _, wanted = _lookup(config, path)
        if current == wanted:
            continue
        for e in others:
            if _covered(path, _owned(e)):
                conflicts.append((str(e.get("manager")), path))
    if conflicts and not force and not _last_applied_allows(base, conflicts, builtin):
        raise ApplyConflict(conflicts)

    meta_keep = {k: v for k, v in base.get("metadata", {}).items() if k in _IGNORED_META}
    merged = _merge(base, config, "", builtin)
    merged.setdefault("metadata", {}).update(meta_keep)
    still_owned: set[Path] = set()
    new_others: list[dict] = []
    forced = {p for _, p in conflicts}
    for e in others:
        owned = {p for p in _owned(e) if p not in forced}
        still_owned |= owned
        new_others.append({**e, "fieldsV1": encode(owned)})
    for path in sorted(previous - applied, key=len, reverse=True):
        if not _covered(path, still_owned) and not _covered(path, applied):
            _delete(merged, path)
    _set_entries(merged, [*new_others, _entry(manager, "Apply", api_version, now, applied)])
    return merged


LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _last_applied_allows(live: dict, conflicts: list[tuple[str, Path]], builtin: bool) -> bool:
    """The API server's bridge from client-side to server-side apply: conflicts only over fields
    of the last client-side-applied configuration, still holding the values it set, are taken
    over by the applier (kubectl then moves the old manager's fields to it)."""
    text = (live.get("metadata", {}).get("annotations") or {}).get(LAST_APPLIED)
    if not text:
        return False
    try:
        last = json.loads(text)
    except ValueError:
        return False
    if not isinstance(last, dict):
        return False
    fields = field_set(last, builtin=builtin)
    return all(
        _covered(path, fields) and _lookup(live, path) == _lookup(last, path)
        for _, path in conflicts
    )


def record_update(
    old: dict | None, new: dict, *, manager: str, api_version: str, now: str, builtin: bool
) -> dict:
    """new with managedFields updated for a non-apply write by `manager`.

    A write that sets managedFields itself (kubectl's migration from client-side to server-side
    apply patches them) is taken as it is, as the API server does; an empty list clears them.
    """
    new = copy.deepcopy(new)
    sent = new.get("metadata", {}).get("managedFields")
    if sent is not None and sent != _entries(old or {}):
        _set_entries(new, [e for e in sent if isinstance(e, dict)])
        return new
    entries = _entries(old or {})
    old_fields = field_set(old, builtin=builtin) if old else set()
    new_fields = field_set(new, builtin=builtin)
    changed = {
        p
        for p in new_fields
        if p[-1] == "." or p not in old_fields or _lookup(old, p)[1] != _lookup(new, p)[1]
    }
    if old:
        changed = {p for p in changed if p[-1] != "." or p not in old_fields}
    removed = old_fields - new_fields
    result: list[dict] = []
    mine: set[Path] = set()
    for e in entries:
        owned = {p for p in _owned(e) if p not in removed and _keeps(p, new)}
        if e.get("manager") == manager and e.get("operation") == "Update":
            mine = owned
            continue
        result.append({**e, "fieldsV1": encode(owned - changed)})
    mine |= changed
    if mine:
        result.append(_entry(manager, "Update", api_version, now, mine))
    _set_entries(new, result)
    return new


def _keeps(path: Path, obj: dict) -> bool:
    return _lookup(obj, path)[0]


def conflict_message(conflicts: list[tuple[str, Path]]) -> list[dict[str, str]]:
    """Causes for a 409 apply conflict, in the API server's words."""
    causes = []
    for manager, path in conflicts:
        dotted = "." + ".".join(p[2:] for p in path if p != ".")
        causes.append(
            {
                "reason": "FieldManagerConflict",
                "message": f'conflict with "{manager}"',
                "field": dotted,
            }
        )
    return causes
