"""What one compile keeps for the next, so that a change to one object redoes only what it touches.

The data plane compiles after every write the pilot reads; most writes change one object (a
pod's status, one VirtualService). Kept between compiles, each keyed by everything it was made
from, so a hit is exactly what building again would give:

- each object's records (`model.records`), by kind, namespace, name and resourceVersion;
- the whole result, when the records of the mesh are equal to the last compile's (a pod's
  status write that changes nothing the pilot reads: no compile at all);
- each proxy's listeners, by the proxy's pod and the mesh's configuration (Services, entries,
  Gateways, VirtualServices, DestinationRules and the options; not the endpoints);
- each cluster, by proxy, service, port, subset, DestinationRule and endpoints;
- each listener's and cluster's canonical JSON, which the version hash and the files reuse.

What a hit replays: the result and the warnings its build gave. Entries not used by a compile
are dropped at its end, so the cache holds one mesh's worth.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from istiotui.local.pilot.model import Mesh, PilotOptions, records


def fingerprint(*parts: Any) -> str:
    # repr of the frozen records: deterministic for the same objects (dicts keep their order).
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@dataclass
class Entry:
    value: Any
    notes: tuple[str, ...]
    texts: list[str]  # canonical JSON of each listener or cluster in `value`


@dataclass
class Generation:
    """Entries one compile used (the next compile's cache)."""

    records: dict[tuple[str, ...], tuple[str, tuple[str, list[Any]]]] = field(default_factory=dict)
    listeners: dict[tuple[str, ...], Entry] = field(default_factory=dict)
    clusters: dict[tuple[Any, ...], Entry] = field(default_factory=dict)


@dataclass
class CompileCache:
    old: Generation = field(default_factory=Generation)
    new: Generation = field(default_factory=Generation)
    last: tuple[Mesh, PilotOptions, Any] | None = None  # (mesh, options, EnvoyConfig)
    # What the last compile did, for tests and benchmarks: built vs reused.
    built: dict[str, int] = field(default_factory=dict)
    reused: dict[str, int] = field(default_factory=dict)

    def begin(self) -> None:
        self.new = Generation()
        self.built, self.reused = {}, {}

    def end(self) -> None:
        self.old, self.new = self.new, Generation()

    def abandon(self) -> None:
        """A compile that failed: what it built is not kept, what it found is."""
        for name in ("records", "listeners", "clusters"):
            getattr(self.old, name).update(getattr(self.new, name))
        self.new = Generation()

    def _count(self, table: dict[str, int], what: str) -> None:
        table[what] = table.get(what, 0) + 1

    def read(self, obj: dict[str, Any]) -> tuple[str, list[Any]]:
        """`model.records(obj)`, from the cache when the object's resourceVersion is known."""
        meta = obj.get("metadata") or {}
        version = meta.get("resourceVersion")
        if not version:
            return records(obj)
        key = (
            str(obj.get("apiVersion")),
            str(obj.get("kind")),
            str(meta.get("namespace") or ""),
            str(meta.get("name")),
        )
        hit = self.old.records.get(key)
        if hit is None or hit[0] != version:
            hit = (str(version), records(obj))
        self.new.records[key] = hit
        return hit[1]

    def entry(
        self,
        table: str,
        key: tuple[Any, ...],
        build: Callable[[], tuple[Any, tuple[str, ...]]],
        texts: Callable[[Any], list[str]],
    ) -> Entry:
        found = getattr(self.old, table).get(key) or getattr(self.new, table).get(key)
        if found is None:
            value, notes = build()
            found = Entry(value, notes, texts(value))
            self._count(self.built, table)
        else:
            self._count(self.reused, table)
        getattr(self.new, table)[key] = found
        return found
