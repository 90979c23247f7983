"""Files that are variants of the same objects, analysed as alternatives.

Istio's samples ship several versions of one object side by side (`virtual-service-all-v1.yaml`,
`virtual-service-reviews-50-v3.yaml`, … all define VirtualService `reviews`): they are meant to be
applied one at a time. istioctl, given the folder, keeps the first and stops with "already exists"
(istio/istio#36160). Here the files that define no object differently from another file form the
base, and each file that does is analysed as one alternative: base + that file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    """An object read from a file, with where it was written."""

    obj: dict
    file: str
    line: int

    @property
    def key(self) -> tuple[str, str, str]:
        meta = self.obj.get("metadata") or {}
        return (self.obj.get("kind", ""), meta.get("namespace") or "default", meta.get("name", ""))

    @property
    def ref(self) -> str:
        kind, ns, name = self.key
        return f"{kind} {ns}/{name}"


@dataclass(frozen=True)
class Plan:
    base: tuple[Item, ...]
    # (file, the objects it defines): analysed one at a time over the base. Empty: no variants.
    alternatives: tuple[tuple[str, tuple[Item, ...]], ...]
    varied: tuple[str, ...]  # the objects several files define differently, as `Kind ns/name`
    redefined: tuple[tuple[Item, Item], ...]  # one file defining an object twice: (first, later)

    def runs(self) -> list[tuple[str | None, list[Item]]]:
        """What to analyse: (alternative file or None, objects), later definitions winning."""
        if not self.alternatives:
            return [(None, list(self.base))]
        out: list[tuple[str | None, list[Item]]] = []
        for file, items in self.alternatives:
            merged = {i.key: i for i in self.base}
            merged.update({i.key: i for i in items})
            out.append((file, list(merged.values())))
        return out


def _body(obj: dict) -> str:
    return json.dumps(obj, sort_keys=True, default=str)


def plan(items: Sequence[Item]) -> Plan:
    per_file: dict[str, dict[tuple[str, str, str], Item]] = {}
    redefined: list[tuple[Item, Item]] = []
    for item in items:
        mine = per_file.setdefault(item.file, {})
        earlier = mine.get(item.key)
        if earlier is not None and _body(earlier.obj) != _body(item.obj):
            redefined.append((earlier, item))  # as `kubectl apply -f FILE`: the later one wins
        mine[item.key] = item
    bodies: dict[tuple[str, str, str], dict[str, list[str]]] = {}
    for file, mine in per_file.items():
        for key, item in mine.items():
            bodies.setdefault(key, {}).setdefault(_body(item.obj), []).append(file)
    varied = {key for key, versions in bodies.items() if len(versions) > 1}
    variant_files = {file for key in varied for files in bodies[key].values() for file in files}
    seen: set[tuple[str, str, str]] = set()
    base: list[Item] = []
    alternatives: list[tuple[str, tuple[Item, ...]]] = []
    for file, mine in per_file.items():
        if file in variant_files:
            alternatives.append((file, tuple(mine.values())))
            continue
        for key, item in mine.items():
            if key not in seen:  # the same object, identical, in two files: once is enough
                seen.add(key)
                base.append(item)
    shown = sorted(f"{k} {ns}/{n}" for k, ns, n in varied)
    return Plan(tuple(base), tuple(alternatives), tuple(shown), tuple(redefined))
