"""Events (core v1) the local cluster records about what it did, as kubelet and controllers do:
repeated events bump `count` and `lastTimestamp` instead of piling up."""

from __future__ import annotations

import time

from istiotui.local.store import Store
from istiotui.mesh.kinds import by_kind

_EVENTS = by_kind("", "Event")


def record(store: Store, obj: dict, type_: str, reason: str, message: str, component: str) -> None:
    assert _EVENTS is not None
    meta = obj.get("metadata", {})
    ns = meta.get("namespace") or "default"
    if store.find(by_kind("", "Namespace"), "", ns) is None:  # type: ignore[arg-type]
        return  # the namespace is going away with the object
    now = store.clock()
    for ev in store.items(_EVENTS, ns):
        inv = ev.get("involvedObject", {})
        if (
            inv.get("uid") == meta.get("uid")
            and ev.get("reason") == reason
            and ev.get("message") == message
        ):
            ev = {**ev, "count": int(ev.get("count", 1)) + 1, "lastTimestamp": now}
            store.update(_EVENTS, ns, ev, check_rv=False)
            return
    involved = {
        "kind": obj.get("kind"),
        "namespace": meta.get("namespace"),
        "name": meta.get("name"),
        "uid": meta.get("uid"),
        "apiVersion": obj.get("apiVersion"),
        "resourceVersion": meta.get("resourceVersion"),
    }
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{meta.get('name')}.{time.time_ns():x}", "namespace": ns},
        "involvedObject": {k: v for k, v in involved.items() if v is not None},
        "reason": reason,
        "message": message,
        "type": type_,
        "source": {"component": component},
        "reportingComponent": component,
        "reportingInstance": "",
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }
    store.create(_EVENTS, ns, event)
