"""Files that are variants of the same objects, analysed as alternatives.

Istio's samples ship several versions of one object side by side (`virtual-service-all-v1.yaml`,
`virtual-service-reviews-50-v3.yaml`, … all define VirtualService `reviews`): they are meant to be
applied one at a time. istioctl, given the folder, keeps the first and stops with "already exists"
(istio/istio#36160). Here the files that define no object differently from another file form the
base, and each file that does is analysed as one alternative (see `Plan.runs`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

# Kinds that send traffic somewhere: in an alternative only once their file is applied.
_ROUTES = frozenset({"VirtualService"})


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
    # The variant files, in the order given; each is one alternative. Empty: no variants.
    alternatives: tuple[str, ...]
    files: dict[str, tuple[Item, ...]]  # what each variant file defines
    varied: tuple[str, ...]  # the objects several files define differently, as `Kind ns/name`
    redefined: tuple[tuple[Item, Item], ...]  # one file defining an object twice: (first, later)

    def runs(self) -> list[tuple[str | None, list[Item]]]:
        """What to analyse: (the alternative's file, objects).

        An alternative is the state right after its file is applied, the variant files before
        it applied in the order given (`kubectl apply -f` one after the other), over the base and
        the first version of every object routes lean on: so a file that changes only a
        VirtualService still has the DestinationRule an earlier variant brought (the lab's
        mirror step relies on its routing step's)."""
        if not self.alternatives:
            return [(None, list(self.base))]
        out: list[tuple[str | None, list[Item]]] = []
        state = {i.key: i for i in self.base}
        # Before any is applied, what routes lean on (Services, workloads, DestinationRules,
        # Gateways) stands as its first version: a file applied early may need one that only a
        # later-sorted file defines. Routes themselves exist only once applied.
        for file in reversed(self.alternatives):
            state.update({i.key: i for i in self.files[file] if i.key[0] not in _ROUTES})
        state.update({i.key: i for i in self.base})
        for file in self.alternatives:
            state.update({i.key: i for i in self.files[file]})
            out.append((file, list(state.values())))
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
    varied = [key for key, versions in bodies.items() if len(versions) > 1]
    variant = {f for key in varied for files in bodies[key].values() for f in files}
    seen: set[tuple[str, str, str]] = set()
    base: list[Item] = []
    for file, mine in per_file.items():
        if file in variant:
            continue
        for key, item in mine.items():
            if key not in seen:  # the same object, identical, in two files: once is enough
                seen.add(key)
                base.append(item)
    alternatives = tuple(f for f in per_file if f in variant)
    files = {f: tuple(per_file[f].values()) for f in alternatives}
    shown = tuple(sorted(f"{k} {ns}/{n}" for k, ns, n in varied))
    return Plan(tuple(base), alternatives, files, shown, tuple(redefined))
