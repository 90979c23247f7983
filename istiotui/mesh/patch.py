"""Patches as the Kubernetes API applies them: JSON merge patch (RFC 7386), JSON patch (RFC 6902)
and strategic merge patch with the merge keys of the core and apps kinds.

Server-side apply lives in `istiotui.local.managed_fields`; it shares `list_key` with the
strategic merge patch so that both treat keyed lists (containers by name, ports by port…) the
same way. All functions are pure: they return new objects and never change their arguments.
"""

from __future__ import annotations

import copy
import json
from typing import Any


class PatchError(ValueError):
    """A patch that cannot be applied (the API answers 422 or 400 with this message)."""


# --- JSON merge patch -------------------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge key by key, null deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# --- JSON patch -------------------------------------------------------------------------------


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f'invalid JSON pointer "{path}": must start with "/"')
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str], path: str) -> Any:
    node = doc
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise PatchError(f'path "{path}" does not exist')
    return node


def _index(node: list, part: str, path: str, *, for_add: bool = False) -> int:
    if for_add and part == "-":
        return len(node)
    if not part.isdigit():
        raise PatchError(f'invalid array index "{part}" in "{path}"')
    index = int(part)
    if index > len(node) or (not for_add and index == len(node)):
        raise PatchError(f'array index {index} out of bounds in "{path}"')
    return index


def _get(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        return doc
    node = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(node, dict) and last in node:
        return node[last]
    if isinstance(node, list):
        return node[_index(node, last, path)]
    raise PatchError(f'path "{path}" does not exist')


def _remove(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        raise PatchError("cannot remove the whole document")
    node = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(node, dict):
        if last not in node:
            raise PatchError(f'unable to remove nonexistent key "{last}" at "{path}"')
        return node.pop(last)
    if isinstance(node, list):
        return node.pop(_index(node, last, path))
    raise PatchError(f'path "{path}" does not exist')


def _add(doc: Any, path: str, value: Any) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    node = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list):
        node.insert(_index(node, last, path, for_add=True), value)
    else:
        raise PatchError(f'path "{path}" does not exist')
    return doc


def json_patch(doc: Any, operations: Any) -> Any:
    """RFC 6902 over a copy of doc."""
    if not isinstance(operations, list):
        raise PatchError("a JSON patch must be a list of operations")
    doc = copy.deepcopy(doc)
    for n, op in enumerate(operations):
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError(f"operation {n} needs 'op' and 'path'")
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f"operation {n} ({kind}) needs 'value'")
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            _get(doc, path)  # must exist
            if _pointer(path):
                _remove(doc, path)
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind in ("move", "copy"):
            if "from" not in op:
                raise PatchError(f"operation {n} ({kind}) needs 'from'")
            value = _get(doc, op["from"])
            if kind == "move":
                _remove(doc, op["from"])
            doc = _add(doc, path, copy.deepcopy(value))
        elif kind == "test":
            if _get(doc, path) != op["value"]:
                raise PatchError(f'test operation failed at "{path}"')
        else:
            raise PatchError(f'unknown JSON patch operation "{kind}"')
    return doc


# --- strategic merge patch --------------------------------------------------------------------

# Merge keys of the core/apps types (their Go struct tags `patchMergeKey`), by field name. Fields
# named "ports" take "containerPort" inside a container and "port" in a Service's spec.
_MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "ownerReferences": "uid",
    "conditions": "type",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "secrets": "name",
}
# Lists of scalars whose strategy is "merge" (union) rather than replace.
_MERGE_SCALAR_LISTS = frozenset({"finalizers"})


def list_key(field: str, items: list[Any]) -> str | None:
    """The merge key of a keyed list field of a built-in kind, or None for an atomic list."""
    if field == "ports":
        dicts = [i for i in items if isinstance(i, dict)]
        if dicts and any("containerPort" in i for i in dicts):
            return "containerPort"
        return "port"
    return _MERGE_KEYS.get(field)


def is_merge_scalar_list(field: str) -> bool:
    return field in _MERGE_SCALAR_LISTS


def strategic_merge_patch(original: Any, patch: Any) -> Any:
    """Apply a strategic merge patch (as kubectl apply sends for built-in kinds)."""
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be an object")
    result = _smp_map(original if isinstance(original, dict) else {}, patch)
    return {} if result is None else result


def _smp_map(original: dict, patch: dict) -> dict | None:
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    clean = {k: v for k, v in patch.items() if not k.startswith("$")}
    if directive == "replace":
        return copy.deepcopy(clean)
    if directive not in (None, "merge"):
        raise PatchError(f'unknown patch directive "$patch: {directive}"')
    result = copy.deepcopy(original)
    for key, value in patch.items():
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list) and isinstance(value, list):
                result[field] = [v for v in result[field] if v not in value]
    for key, value in clean.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = _smp_map(result.get(key) if isinstance(result.get(key), dict) else {}, value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _smp_list(key, result.get(key), value)
        else:
            result[key] = copy.deepcopy(value)
    for key, order in patch.items():
        if key.startswith("$setElementOrder/") and isinstance(order, list):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list):
                result[field] = _reorder(field, result[field], order)
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _smp_list(field: str, original: Any, patch: list) -> list:
    original = original if isinstance(original, list) else []
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
        return [copy.deepcopy(i) for i in patch if not (isinstance(i, dict) and "$patch" in i)]
    if is_merge_scalar_list(field):
        return original + [v for v in patch if v not in original]
    key = list_key(field, original + patch)
    if key is None or not all(isinstance(i, dict) for i in patch):
        return copy.deepcopy(patch)
    result = copy.deepcopy(original)
    for item in patch:
        if key not in item:
            raise PatchError(f'map in list "{field}" has no merge key "{key}"')
        at = next(
            (n for n, o in enumerate(result) if isinstance(o, dict) and o.get(key) == item[key]),
            None,
        )
        if item.get("$patch") == "delete":
            if at is not None:
                result.pop(at)
            continue
        if at is None:
            result.append({k: v for k, v in item.items() if not k.startswith("$")})
        else:
            merged = _smp_map(result[at], item)
            if merged is None:
                result.pop(at)
            else:
                result[at] = merged
    return result


def _reorder(field: str, items: list, order: list) -> list:
    key = list_key(field, items)

    def ident(item: Any) -> Any:
        if key and isinstance(item, dict):
            return json.dumps(item.get(key), sort_keys=True)
        return json.dumps(item, sort_keys=True)

    wanted = [ident(o) for o in order]
    ranked = sorted(
        enumerate(items),
        key=lambda p: (wanted.index(ident(p[1])) if ident(p[1]) in wanted else len(wanted), p[0]),
    )
    return [item for _, item in ranked]
