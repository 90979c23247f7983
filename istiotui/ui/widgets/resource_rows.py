"""What the resource tree shows, as sorted rows per parent, kept up to date object by object.

Pure: no widget here. `resource_tree.py` turns differences between these rows and the nodes it
has into node additions and removals. The shape (one namespace under the root):

    namespace → Gateways, VirtualServices, DestinationRules, ServiceEntries, Services,
                Deployments (→ the Pods each selects), then Pods no Deployment selects

A filter matches names only, so it is applied before anything looks at an object; a Deployment
stays when it or one of its Pods matches, with all its Pods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from istiotui.mesh.labels import selects
from istiotui.ui.store import Key, ResourceStore

SHOWN_KINDS = ("Gateway", "VirtualService", "DestinationRule", "ServiceEntry", "Service")
SKIPPED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
_GROUP = {kind: i for i, kind in enumerate((*SHOWN_KINDS, "Deployment", "Pod"))}

Row = tuple[tuple, Key]  # (sort key, the object's key): rows sort as the tree shows them
ROOT: Key = ("", "", "")  # the parent id of the namespaces
MESSAGE: Key = ("Message", "", "")  # "connecting…", "cluster lost: …" above everything


def forbidden_id(kind: str) -> Key:
    """A kind the server refused to list: said below everything."""
    return ("Forbidden", "", kind)


def namespace_id(namespace: str) -> Key:
    return ("Namespace", "", namespace)


def matcher(needle: str) -> Callable[[Key], bool]:
    needle = needle.lower()
    if not needle:
        return lambda _key: True
    return lambda key: needle in key[2].lower()


def _selector(dep: dict) -> dict | None:
    return ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels")


def _labels(pod: dict) -> dict | None:
    return (pod.get("metadata") or {}).get("labels")


class Ownership:
    """Which Deployments select which Pods (by `matchLabels`, in the same namespace)."""

    def __init__(self) -> None:
        self.owners: dict[Key, set[Key]] = {}  # pod → the Deployments selecting it
        self.children: dict[Key, set[Key]] = {}  # Deployment → the Pods it selects

    def rebuild(self, store: ResourceStore) -> None:
        self.owners.clear()
        self.children.clear()
        for namespace in {key[1] for key in store.objects}:
            objects = store.in_namespace(namespace)
            # Pods by label pair: each Deployment looks only at the pods of its rarest pair.
            by_pair: dict[tuple[str, str], list[Key]] = {}
            for key, obj in objects.items():
                if key[0] == "Pod":
                    for pair in (_labels(obj) or {}).items():
                        by_pair.setdefault(pair, []).append(key)
            for key, obj in objects.items():
                if key[0] != "Deployment":
                    continue
                selector = _selector(obj)
                found: set[Key] = set()
                if selector:
                    pools = [by_pair.get(pair, []) for pair in selector.items()]
                    pool = min(pools, key=len)
                    found = {p for p in pool if selects(selector, _labels(objects[p]),
                                                        empty_selects_all=False)}  # fmt: skip
                self._set_children(key, found)

    def update(self, store: ResourceStore, key: Key) -> set[Key]:
        """After `key` changed (or went): the keys whose place in the tree may have moved —
        Pods that gained or lost an owner, Deployments that gained or lost a Pod."""
        moved = {key}
        if key[0] == "Deployment":
            before = self.children.get(key, set())
            dep = store.objects.get(key)
            after: set[Key] = set()
            if dep is not None and (selector := _selector(dep)):
                after = {
                    k
                    for k, o in store.in_namespace(key[1]).items()
                    if k[0] == "Pod" and selects(selector, _labels(o), empty_selects_all=False)
                }
            self._set_children(key, after)
            moved |= before ^ after
        elif key[0] == "Pod":
            before = self.owners.get(key, set())
            pod = store.objects.get(key)
            after = set()
            if pod is not None:
                labels = _labels(pod)
                after = {
                    k
                    for k, o in store.in_namespace(key[1]).items()
                    if k[0] == "Deployment"
                    and selects(_selector(o), labels, empty_selects_all=False)
                }
            for dep in before - after:
                self.children.get(dep, set()).discard(key)
            for dep in after - before:
                self.children.setdefault(dep, set()).add(key)
            if after:
                self.owners[key] = after
            else:
                self.owners.pop(key, None)
            moved |= before ^ after
        return moved

    def _set_children(self, dep: Key, pods: set[Key]) -> None:
        for pod in self.children.get(dep, set()) - pods:
            owners = self.owners.get(pod)
            if owners is not None:
                owners.discard(dep)
                if not owners:
                    del self.owners[pod]
        for pod in pods:
            self.owners.setdefault(pod, set()).add(dep)
        if pods:
            self.children[dep] = set(pods)
        else:
            self.children.pop(dep, None)


def namespace_rows(
    store: ResourceStore, namespace: str, own: Ownership, matches: Callable[[Key], bool]
) -> list[Row]:
    rows: list[Row] = []
    for key in store.in_namespace(namespace):
        kind = key[0]
        group = _GROUP.get(kind)
        if group is None:
            continue
        if kind == "Deployment":
            shown = matches(key) or any(matches(p) for p in own.children.get(key, ()))
        elif kind == "Pod":
            shown = key not in own.owners and matches(key)
        else:
            shown = matches(key)
        if shown:
            rows.append(((group, key[2]), key))
    rows.sort()
    return rows


def deployment_rows(dep: Key, own: Ownership) -> list[Row]:
    return sorted(((pod[2],), pod) for pod in own.children.get(dep, ()))


def root_rows(namespaces: Iterable[str], forbidden: Iterable[str], message: bool) -> list[Row]:
    """Namespaces that show something, between the message (first) and refused kinds (last)."""
    rows: list[Row] = [((1, ns), namespace_id(ns)) for ns in namespaces]
    rows += [((2, kind), forbidden_id(kind)) for kind in forbidden]
    if message:
        rows.append(((0, ""), MESSAGE))
    rows.sort()
    return rows


def visible_namespace(namespace: str) -> bool:
    return bool(namespace) and namespace not in SKIPPED_NAMESPACES
