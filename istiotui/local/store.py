"""The local cluster's object store, with the semantics of the Kubernetes API's storage layer.

- One global resourceVersion counter (a decimal string, as etcd's revision): every write bumps it.
- uid, creationTimestamp and generation set by the store; generation bumps when anything but
  metadata and status changes (for the kinds that have one: Deployments and custom resources).
- Namespaced objects need their namespace; deleting a namespace deletes what is in it.
- Watches: every change goes to the open watches (asyncio queues) and to a bounded history, so a
  watch can resume from a recent resourceVersion; an older one gets 410 Gone ("too old").
- Persistence: the whole store as one JSON file in the state dir, replaced atomically (written to
  a temporary file, then renamed) at most SAVE_DELAY after a write, and on `flush()` when the
  server stops, so `down`/`up` keeps the objects. The API flushes before it answers a write, so a
  write it acknowledged survives even a SIGKILL of the server. A file that does not read back
  raises CorruptStore (what to do about it is the daemon's business, never a traceback).
- `revert()` undoes a write the data plane refused, as a change of its own.

Objects are kept in their kind's preferred version; callers set `apiVersion` when serving another.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
import secrets
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from istiotui import settings
from istiotui.local import status as st
from istiotui.mesh.kinds import KINDS, Kind, by_kind

SAVE_DELAY = 0.05
_NS_MISMATCH = (
    "the namespace of the provided object does not match the namespace sent on the request"
)
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease", "istio-system")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Kinds whose names must be DNS labels (they become DNS names themselves).
_LABEL_NAMED = {"Namespace", "Service"}
# Kinds with metadata.generation: Deployments and every custom resource.
_GENERATION = {"apps"}


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key(kind: Kind) -> str:
    return f"{kind.plural}.{kind.group}" if kind.group else kind.plural


def _has_generation(kind: Kind) -> bool:
    return kind.group in _GENERATION or not kind.builtin


def _spec_part(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


@dataclass
class Change:
    type: str  # ADDED | MODIFIED | DELETED
    kind: Kind
    rv: int
    old: dict | None
    new: dict  # the object as stored (for DELETED: the last state, with the deletion's rv)


@dataclass
class Watch:
    kind: Kind
    namespace: str | None
    match: Callable[[dict], bool]
    queue: asyncio.Queue[Change | None] = field(default_factory=asyncio.Queue)


class Store:
    def __init__(self, path: Path | None = None, clock: Callable[[], str] = now_rfc3339) -> None:
        self.path = path
        self.clock = clock
        self.rv = 0
        self._objects: dict[str, dict[tuple[str, str], dict]] = {}
        self._history: deque[Change] = deque(maxlen=settings.LOCAL_WATCH_HISTORY.get())
        self._watches: list[Watch] = []
        self._listeners: list[Callable[[Change], None]] = []
        self._save_handle: asyncio.TimerHandle | None = None
        if path is not None and path.exists():
            self._load(path)
        for ns in SYSTEM_NAMESPACES:
            if self.find(_NS, "", ns) is None:
                self.create(
                    _NS, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
                )

    # --- reading ---------------------------------------------------------------------------

    def find(self, kind: Kind, namespace: str, name: str) -> dict | None:
        obj = self._objects.get(_key(kind), {}).get((namespace if kind.namespaced else "", name))
        return copy.deepcopy(obj) if obj is not None else None

    def get(self, kind: Kind, namespace: str, name: str) -> dict:
        obj = self.find(kind, namespace, name)
        if obj is None:
            raise st.not_found(kind.plural, kind.group, name)
        return obj

    def items(self, kind: Kind, namespace: str | None = None) -> Iterator[dict]:
        """Objects of a kind (in one namespace, or all), ordered by namespace and name."""
        table = self._objects.get(_key(kind), {})
        for (ns, _name), obj in sorted(table.items()):
            if namespace is None or ns == namespace:
                yield obj

    def list(
        self, kind: Kind, namespace: str | None, match: Callable[[dict], bool] = lambda _o: True
    ) -> tuple[list[dict], str]:
        items = [copy.deepcopy(o) for o in self.items(kind, namespace) if match(o)]
        return items, str(self.rv)

    # --- writing ---------------------------------------------------------------------------

    def create(self, kind: Kind, namespace: str, obj: dict, *, dry_run: bool = False) -> dict:
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(
                secrets.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5)
            )
        name = meta.get("name") or ""
        self._check_name(kind, name)
        ns = self._namespace_for(kind, namespace, meta)
        if self.find(kind, ns, name) is not None:
            raise st.already_exists(kind.plural, kind.group, name)
        for drop in (
            "resourceVersion",
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "selfLink",
        ):
            meta.pop(drop, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = self.clock()
        if _has_generation(kind):
            meta["generation"] = 1
        else:
            meta.pop("generation", None)
        if kind.kind == "Namespace":
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            obj["status"] = {"phase": "Active"}
        obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
        if dry_run:
            meta["resourceVersion"] = str(self.rv)
            return obj
        self._commit("ADDED", kind, None, obj)
        return copy.deepcopy(obj)

    def update(
        self,
        kind: Kind,
        namespace: str,
        obj: dict,
        *,
        dry_run: bool = False,
        subresource: str = "",
        check_rv: bool = True,
    ) -> dict:
        """Replace an object (PUT). status changes only through the status subresource and
        the rest only through the main resource, as for kinds that have a status subresource."""
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        name = meta.get("name") or ""
        ns = namespace if kind.namespaced else ""
        if meta.get("namespace") and kind.namespaced and meta["namespace"] != ns:
            raise st.bad_request(_NS_MISMATCH)
        old = self.find(kind, ns, name)
        if old is None:
            raise st.not_found(kind.plural, kind.group, name)
        rv = meta.get("resourceVersion")
        if check_rv and rv and rv != old["metadata"]["resourceVersion"]:
            raise st.conflict(
                kind.plural,
                kind.group,
                name,
                "the object has been modified; please apply your changes to the latest version "
                "and try again",
            )
        if subresource == "status":
            new = copy.deepcopy(old)
            new["status"] = obj.get("status", {})
        else:
            new = obj
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        for keep in ("uid", "creationTimestamp", "generation", "deletionTimestamp"):
            if keep in old["metadata"]:
                new["metadata"][keep] = old["metadata"][keep]
        new["metadata"]["name"], new["apiVersion"], new["kind"] = name, kind.api_version, kind.kind
        if kind.namespaced:
            new["metadata"]["namespace"] = ns
        if kind.kind == "Namespace":
            new["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
        if _has_generation(kind) and _spec_part(new) != _spec_part(old):
            new["metadata"]["generation"] = int(old["metadata"].get("generation", 1)) + 1
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        if new == old or dry_run:
            return new
        self._commit("MODIFIED", kind, old, new)
        return copy.deepcopy(new)

    def delete(self, kind: Kind, namespace: str, name: str, *, dry_run: bool = False) -> dict:
        ns = namespace if kind.namespaced else ""
        old = self.get(kind, ns, name)
        if dry_run:
            return old
        if kind.kind == "Namespace":
            for other in [k for k in KINDS if k.namespaced]:
                for obj in list(self.items(other, name)):
                    self.delete(other, name, obj["metadata"]["name"])
        self._commit("DELETED", kind, old, copy.deepcopy(old))
        return old

    def revert(self, kind: Kind, before: dict | None, after: dict | None) -> bool:
        """Undo a write that must not stand (the data plane refused it): put `before` back (None:
        the object did not exist), if the object is still as that write left it (`after`; None:
        deleted). The undo is a change of its own, with a new resourceVersion, sent to watches
        and listeners like any other, so whatever followed the write follows its undo. False
        when another write came in between: that one stands."""
        if before == after:
            return False  # the write changed nothing
        meta = (after or before or {}).get("metadata", {})
        ns = meta.get("namespace", "") if kind.namespaced else ""
        current = self._objects.get(_key(kind), {}).get((ns, meta.get("name", "")))
        if after is None:
            if current is not None:
                return False
        elif current is None or current["metadata"].get("resourceVersion") != after["metadata"].get(
            "resourceVersion"
        ):
            return False
        if before is None:
            assert current is not None
            self._commit("DELETED", kind, copy.deepcopy(current), copy.deepcopy(current))
        else:
            change = "MODIFIED" if current is not None else "ADDED"
            self._commit(change, kind, copy.deepcopy(current), copy.deepcopy(before))
        return True

    # --- watching --------------------------------------------------------------------------

    def listen(self, callback: Callable[[Change], None]) -> None:
        """Call back (synchronously, after the commit) on every change: the controller's hook."""
        self._listeners.append(callback)

    def watch(
        self, kind: Kind, namespace: str | None, match: Callable[[dict], bool], since: str | None
    ) -> tuple[Watch, list[Change]]:
        """Open a watch; returns it with the changes to send first.

        since None/"" /"0": the current objects as ADDED; a number: the changes after it, or
        410 Gone when history no longer reaches back that far.
        """
        w = Watch(kind, namespace, match)
        first: list[Change] = []
        if not since or since == "0":
            for obj in self.items(kind, namespace):
                if match(obj):
                    first.append(
                        Change("ADDED", kind, int(obj["metadata"]["resourceVersion"]), None, obj)
                    )
        else:
            try:
                start = int(since)
            except ValueError:
                raise st.bad_request(f'invalid resourceVersion "{since}"') from None
            oldest = self._history[0].rv if self._history else self.rv + 1
            if start < oldest - 1 and start < self.rv:
                raise st.gone(f"too old resource version: {start} ({oldest - 1})")
            first = [c for c in self._history if c.rv > start]
            first = [e for c in first if (e := _filtered(w, c)) is not None]
        self._watches.append(w)
        return w, first

    def unwatch(self, w: Watch) -> None:
        if w in self._watches:
            self._watches.remove(w)

    def close_watches(self) -> None:
        for w in self._watches:
            w.queue.put_nowait(None)
        self._watches.clear()

    # --- internals -------------------------------------------------------------------------

    def _check_name(self, kind: Kind, name: str) -> None:
        if not name:
            raise st.invalid(
                kind.kind,
                kind.group,
                "",
                [
                    {
                        "reason": "FieldValueRequired",
                        "message": "Required value: name or generateName is required",
                        "field": "metadata.name",
                    }
                ],
            )
        pattern = _DNS_LABEL if kind.kind in _LABEL_NAMED else _DNS_SUBDOMAIN
        if len(name) > (63 if kind.kind in _LABEL_NAMED else 253) or not pattern.match(name):
            what = "RFC 1123 label" if kind.kind in _LABEL_NAMED else "RFC 1123 subdomain"
            msg = (
                f'Invalid value: "{name}": a lowercase {what} must consist of lower case '
                "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
                "character"
            )
            raise st.invalid(
                kind.kind,
                kind.group,
                name,
                [{"reason": "FieldValueInvalid", "message": msg, "field": "metadata.name"}],
            )

    def _namespace_for(self, kind: Kind, namespace: str, meta: dict) -> str:
        if not kind.namespaced:
            meta.pop("namespace", None)
            return ""
        if meta.get("namespace") and namespace and meta["namespace"] != namespace:
            raise st.bad_request(_NS_MISMATCH)
        ns = namespace or meta.get("namespace") or "default"
        if self.find(_NS, "", ns) is None:
            raise st.not_found("namespaces", "", ns)
        meta["namespace"] = ns
        return ns

    def _commit(self, type_: str, kind: Kind, old: dict | None, new: dict) -> None:
        self.rv += 1
        new["metadata"]["resourceVersion"] = str(self.rv)
        table = self._objects.setdefault(_key(kind), {})
        key = (new["metadata"].get("namespace", ""), new["metadata"]["name"])
        if type_ == "DELETED":
            table.pop(key, None)
        else:
            table[key] = new
        change = Change(type_, kind, self.rv, old, copy.deepcopy(new))
        self._history.append(change)
        for w in list(self._watches):
            event = _filtered(w, change)
            if event is not None:
                w.queue.put_nowait(event)
        self._save()
        for callback in list(self._listeners):
            callback(change)

    def _save(self) -> None:
        """Write soon: inside an event loop, bursts of changes (an apply of many objects, the
        controller's follow-up writes) are written once, SAVE_DELAY after the first."""
        if self.path is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if self._save_handle is None:
            self._save_handle = loop.call_later(SAVE_DELAY, self.flush)

    def flush(self) -> None:
        """Write the store to its file now (atomically: a temporary file, then a rename)."""
        if self._save_handle is not None:
            self._save_handle.cancel()
            self._save_handle = None
        if self.path is None:
            return
        data = {
            "resourceVersion": self.rv,
            "objects": {k: list(t.values()) for k, t in self._objects.items() if t},
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")))
        os.replace(tmp, self.path)

    def _load(self, path: Path) -> None:
        self.rv, objects = read_file(path)
        for kind, obj in objects:
            key = (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
            self._objects.setdefault(_key(kind), {})[key] = obj


class CorruptStore(Exception):
    """store.json cannot be read or is not shaped as the store writes it."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


def read_file(path: Path) -> tuple[int, list[tuple[Kind, dict]]]:
    """The resourceVersion and objects of a store file; CorruptStore names what is wrong.
    Objects of kinds this version does not serve are skipped, as before."""
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise CorruptStore(path, f"cannot be read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptStore(path, f"is not valid JSON: {exc}") from None
    try:
        rv = int(data.get("resourceVersion", 0))
        loaded = []
        for objs in data.get("objects", {}).values():
            for obj in objs:
                group, _, _version = obj["apiVersion"].rpartition("/")
                kind = by_kind(group, obj["kind"])
                if kind is None:
                    continue
                meta = obj["metadata"]
                int(meta["resourceVersion"])  # watches resume from it
                if not isinstance(meta["name"], str) or not isinstance(
                    meta.get("namespace", ""), str
                ):
                    raise TypeError("metadata.name and metadata.namespace must be strings")
                loaded.append((kind, obj))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise CorruptStore(path, f"is not a store file ({type(exc).__name__}: {exc})") from None
    return rv, loaded


def _filtered(w: Watch, change: Change) -> Change | None:
    """The event a watch sees: objects entering or leaving its selection become ADDED/DELETED."""
    if _key(change.kind) != _key(w.kind):
        return None
    ns = change.new["metadata"].get("namespace", "")
    if w.namespace is not None and ns != w.namespace:
        return None
    now = change.type != "DELETED" and w.match(change.new)
    before = change.old is not None and w.match(change.old)
    if change.type == "DELETED":
        return change if before else None
    if now and before:
        return change
    if now:
        return Change("ADDED", change.kind, change.rv, change.old, change.new)
    if before:
        return Change("DELETED", change.kind, change.rv, change.old, change.new)
    return None


def _ns_kind() -> Kind:
    kind = by_kind("", "Namespace")
    assert kind is not None
    return kind


_NS = _ns_kind()


def as_version(obj: dict, kind: Kind, version: str) -> dict[str, Any]:
    """The stored object as served in another of its kind's versions (same schema here)."""
    if version != kind.preferred_version:
        obj = {**obj, "apiVersion": f"{kind.group}/{version}" if kind.group else version}
    return obj
