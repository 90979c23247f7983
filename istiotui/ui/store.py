"""What the app knows, apart from the widgets that show it: cluster objects and probe rounds.

The views are rebuilt from these at any time (a language switch or a re-layout recomposes the
screen), so no state lives only in a widget.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from istiotui.traffic.stats import Response, Summary, summarise

if TYPE_CHECKING:  # the kubernetes client loads after the first frame, with the connection
    from istiotui.cluster.watch import WatchEvent

Key = tuple[str, str, str]  # kind, namespace ("" when cluster-scoped), name

# The kinds the tree shows, in its order under each namespace.
TREE_KINDS: tuple[tuple[str, str], ...] = (
    ("v1", "Namespace"),
    ("networking.istio.io/v1", "Gateway"),
    ("networking.istio.io/v1", "VirtualService"),
    ("networking.istio.io/v1", "DestinationRule"),
    ("networking.istio.io/v1", "ServiceEntry"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("v1", "Pod"),
)
MARK_SECONDS = 3.0  # how long a new or changed object stays highlighted


def key_of(obj: dict) -> Key:
    meta = obj.get("metadata") or {}
    return (obj.get("kind", ""), meta.get("namespace") or "", meta.get("name", ""))


@dataclass
class ResourceStore:
    """The watched objects, and which of them changed since a version a view last showed.

    `objects` is read, never written, outside `apply` and `clear`: a namespace index and the
    change journal are kept beside it."""

    clock: Callable[[], float]
    objects: dict[Key, dict] = field(default_factory=dict)
    changed_at: dict[Key, float] = field(default_factory=dict)
    synced: set[str] = field(default_factory=set)
    forbidden: dict[str, str] = field(default_factory=dict)  # kind → the server's message
    lost: str | None = None
    version: int = 0  # one more for each object added, changed or removed
    _by_namespace: dict[str, dict[Key, dict]] = field(default_factory=dict, repr=False)
    # (version, key) in order; entries up to `_floor` were dropped, and so cannot be answered.
    _journal: list[tuple[int, Key]] = field(default_factory=list, repr=False)
    _floor: int = 0

    def apply(self, events: Iterable[WatchEvent]) -> None:
        for event in events:
            if event.type in ("ADDED", "MODIFIED") and event.obj is not None:
                key = key_of({**event.obj, "kind": event.obj.get("kind") or event.kind})
                old = self.objects.get(key)
                changed = old is None or _spec_of(old) != _spec_of(event.obj)
                # Initial lists are not news: only mark what changes after the kind synced.
                if changed and event.kind in self.synced:
                    self.changed_at[key] = self.clock()
                obj = {**event.obj, "kind": key[0]}
                self.objects[key] = obj
                self._by_namespace.setdefault(key[1], {})[key] = obj
                self._changed(key)
            elif event.type == "DELETED" and event.obj is not None:
                key = key_of({**event.obj, "kind": event.obj.get("kind") or event.kind})
                if self.objects.pop(key, None) is not None:
                    self._by_namespace.get(key[1], {}).pop(key, None)
                    self._changed(key)
                self.changed_at.pop(key, None)
            elif event.type == "SYNCED":
                self.synced.add(event.kind)
            elif event.type == "ERROR":
                self.forbidden[event.kind] = event.message
            elif event.type == "LOST":
                self.lost = event.message
            elif event.type == "RESTORED":
                self.lost = None

    def _changed(self, key: Key) -> None:
        self.version += 1
        self._journal.append((self.version, key))
        if len(self._journal) > 4 * len(self.objects) + 4096:
            # Views that fell that far behind rebuild from scratch (`changed_since` says None).
            drop = len(self._journal) // 2
            self._floor = self._journal[drop - 1][0]
            del self._journal[:drop]

    def changed_since(self, version: int) -> set[Key] | None:
        """The keys added, changed or removed after `version`; None when that is too long ago
        to say (or before a `clear`): the caller starts again from `objects`."""
        if version < self._floor or version > self.version:
            return None
        start = bisect.bisect_right(self._journal, version, key=lambda entry: entry[0])
        return {key for _, key in self._journal[start:]}

    def in_namespace(self, namespace: str) -> Mapping[Key, dict]:
        """The objects of one namespace ("" for cluster-scoped ones), unordered."""
        return self._by_namespace.get(namespace, {})

    def is_marked(self, key: Key) -> bool:
        at = self.changed_at.get(key)
        return at is not None and self.clock() - at < MARK_SECONDS

    def of_kind(self, kind: str, namespace: str | None = None) -> list[dict]:
        pool = self.objects if namespace is None else self.in_namespace(namespace)
        return [o for key, o in sorted(pool.items()) if key[0] == kind]

    def namespaces(self) -> list[str]:
        named = {ns for (_, ns, _) in self.objects if ns}
        named |= {name for (k, _, name) in self.objects if k == "Namespace"}
        return sorted(named)

    def clear(self) -> None:
        self.objects.clear()
        self._by_namespace.clear()
        self._journal.clear()
        self.version += 1  # what any view showed is gone: `changed_since` answers None
        self._floor = self.version
        self.changed_at.clear()
        self.synced.clear()
        self.forbidden.clear()
        self.lost = None


def _spec_of(obj: dict) -> object:
    return (obj.get("spec"), obj.get("status"), (obj.get("metadata") or {}).get("labels"))


@dataclass(frozen=True)
class Round:
    summary: Summary


@dataclass
class Traffic:
    """Rounds of one probe, as the plot and the verdict line show them."""

    step_id: str | None = None
    probe_id: str | None = None
    classify: str = "status"
    rounds: list[Round] = field(default_factory=list)

    def add(
        self,
        step_id: str,
        probe_id: str,
        classify: str,
        responses: Sequence[Response],
        elapsed: float,
    ) -> None:
        if (step_id, probe_id) != (self.step_id, self.probe_id):
            self.step_id, self.probe_id, self.classify = step_id, probe_id, classify
            self.rounds = []
        self.rounds.append(Round(summarise(responses, elapsed)))

    def reset(self) -> None:
        self.step_id = self.probe_id = None
        self.rounds = []

    def classes(self, by_status: bool) -> list[str]:
        seen: Counter[str] = Counter()
        for r in self.rounds:
            counts = _counts(r.summary, by_status)
            seen.update(counts)
        return sorted(seen)

    def counts(self, by_status: bool) -> list[dict[str, int]]:
        return [_counts(r.summary, by_status) for r in self.rounds]

    def running_shares(self, by_status: bool) -> dict[str, list[float]]:
        """For each class, its share (percent) of all responses up to each round."""
        classes = self.classes(by_status)
        totals: Counter[str] = Counter()
        seen = 0
        out: dict[str, list[float]] = {c: [] for c in classes}
        for counts in self.counts(by_status):
            totals.update(counts)
            seen += sum(counts.values())
            for c in classes:
                out[c].append(100.0 * totals[c] / seen if seen else 0.0)
        return out


def _counts(summary: Summary, by_status: bool) -> dict[str, int]:
    if by_status:
        counts = {str(code): n for code, n in summary.statuses.items()}
        if summary.errors:
            counts["error"] = summary.errors
        return counts
    return dict(summary.classes)
