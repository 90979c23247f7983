"""What `istioctl install -f <IstioOperator>` does on the local cluster: its objects appear.

Applying an IstioOperator through the API makes what it installs exist, labelled as an install
labels them: istiod's ServiceAccount, Deployment and Service when its profile has a control plane
(`minimal`, `default`…), and each enabled gateway's. Deleting the IstioOperator removes what it
installed. The objects go through the API server's own defaulting, as istioctl's writes do (a
Service gets its clusterIP, a LoadBalancer its node ports and a `<pending>` external IP). The
controller then runs their pods like any other: istiod's is the local pilot and the gateways'
listeners live in the one Envoy, so neither runs a process.
"""

from __future__ import annotations

import asyncio
import copy
import logging

from istiotui.local import defaulting
from istiotui.local.pilot.model import PilotError
from istiotui.local.pilot.operator import control_plane_objects, gateway_objects
from istiotui.local.store import Change, Store
from istiotui.mesh.kinds import for_object, lookup

log = logging.getLogger(__name__)
OWNER_LABEL = "install.operator.istio.io/owning-resource"


class GatewayInstaller:
    def __init__(self, store: Store) -> None:
        self.store = store

    def start(self) -> None:
        self.store.listen(self._on_change)
        for kind in (lookup("IstioOperator"),):
            if kind is not None:
                for iop in list(self.store.items(kind)):
                    # A restart recreates what is missing; it never undoes a learner's edits
                    # (istioctl does not run again when the cluster restarts either).
                    self._install(iop, update=False)

    def _on_change(self, change: Change) -> None:
        if change.kind.kind != "IstioOperator":
            return
        # Listeners run inside the store's commit: write afterwards, not from within it.
        loop = asyncio.get_running_loop()
        if change.type == "DELETED":
            loop.call_soon(self._uninstall, change.new)
        else:
            loop.call_soon(self._install, change.new)

    def _install(self, iop: dict, update: bool = True) -> None:
        name = iop["metadata"]["name"]
        try:
            wanted = control_plane_objects(iop) + gateway_objects(iop)
        except PilotError as exc:
            log.error("%s", exc)
            return
        keep = set()
        for obj in wanted:
            obj = copy.deepcopy(obj)
            obj["metadata"].setdefault("labels", {})[OWNER_LABEL] = name
            kind = for_object(obj)
            if kind is None:
                continue
            ns = obj["metadata"].get("namespace", "istio-system")
            self._ensure_namespace(ns)
            keep.add((kind.kind, ns, obj["metadata"]["name"]))
            live = self.store.find(kind, ns, obj["metadata"]["name"])
            if live is None:
                self.store.create(kind, ns, defaulting.on_create(self.store, kind, obj, ns))
                continue
            if not update:
                continue
            obj["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
            obj = defaulting.on_update(self.store, kind, live, obj)
            if _spec(live) != _spec(obj):
                self.store.update(kind, ns, obj)
        self._remove_owned(name, keep)

    def _uninstall(self, iop: dict) -> None:
        self._remove_owned(iop["metadata"]["name"], set())

    def _remove_owned(self, owner: str, keep: set[tuple[str, str, str]]) -> None:
        for kind_name in ("Service", "Deployment", "ServiceAccount"):
            kind = lookup(kind_name)
            if kind is None:
                continue
            for obj in list(self.store.items(kind)):
                meta = obj["metadata"]
                if (meta.get("labels") or {}).get(OWNER_LABEL) != owner:
                    continue
                if (kind.kind, meta.get("namespace", ""), meta["name"]) not in keep:
                    self.store.delete(kind, meta.get("namespace", ""), meta["name"])

    def _ensure_namespace(self, name: str) -> None:
        ns_kind = lookup("Namespace")
        if ns_kind is not None and self.store.find(ns_kind, "", name) is None:
            self.store.create(
                ns_kind, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
            )


def _spec(obj: dict) -> object:
    return (obj.get("spec"), (obj.get("metadata") or {}).get("labels"))
