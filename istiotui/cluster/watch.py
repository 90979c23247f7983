"""Long-lived watches that feed the resource tree: list, then watch from that version, forever.

One thread per kind. A watch that expires (410 Gone) lists again; a cluster that stops answering
is retried with back-off and reported once, and again when it comes back; a 403 is reported as
such (the tree shows "forbidden", never an empty list). `stop()` ends every thread promptly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from istiotui.cluster.errors import API_ERRORS, ClusterError, describe
from istiotui.cluster.objects import Objects

EventType = Literal["ADDED", "MODIFIED", "DELETED", "SYNCED", "ERROR", "LOST", "RESTORED"]
WATCH_SECONDS = 30  # each watch call ends after this and is renewed: a dead peer is noticed


@dataclass(frozen=True)
class WatchEvent:
    type: EventType
    kind: str
    obj: dict | None = None
    message: str = ""


class Watcher:
    def __init__(
        self,
        objects: Objects,
        kinds: Sequence[tuple[str, str]],  # (apiVersion, kind)
        on_event: Callable[[WatchEvent], None],
        namespace: str | None = None,
    ) -> None:
        self._objects = objects
        self._kinds = list(kinds)
        self._on_event = on_event
        self._namespace = namespace
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for api_version, kind in self._kinds:
            thread = threading.Thread(
                target=self._run, args=(api_version, kind), name=f"watch-{kind}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def _run(self, api_version: str, kind: str) -> None:
        backoff = 0.5
        lost = False
        while not self._stop.is_set():
            try:
                version = self._list(api_version, kind)
                if lost:
                    self._on_event(
                        WatchEvent("RESTORED", kind, message="the cluster answers again")
                    )
                    lost = False
                backoff = 0.5
                self._watch(api_version, kind, version)
            except ClusterError as exc:
                if exc.status == 403:
                    self._on_event(WatchEvent("ERROR", kind, message=str(exc)))
                    return  # rights don't come back by retrying
                if not lost:
                    self._on_event(WatchEvent("LOST", kind, message=str(exc)))
                    lost = True
            except Exception as exc:  # the connection layer raises many types
                if not lost:
                    self._on_event(WatchEvent("LOST", kind, message=f"{kind} watch: {exc}"))
                    lost = True
            self._stop.wait(backoff)
            backoff = min(backoff * 2, 10.0)

    def _list(self, api_version: str, kind: str) -> str:
        res = self._objects.resource(api_version, kind)
        ns = self._namespace if res.namespaced else None
        try:
            listed = res.get(namespace=ns)
        except API_ERRORS as exc:
            raise describe(f"{kind} list in {ns or 'all namespaces'}", exc) from None
        for item in listed.items:
            self._on_event(WatchEvent("ADDED", kind, item.to_dict()))
        self._on_event(WatchEvent("SYNCED", kind))
        return listed.metadata.resourceVersion

    def _watch(self, api_version: str, kind: str, version: str) -> None:
        res = self._objects.resource(api_version, kind)
        ns = self._namespace if res.namespaced else None
        while not self._stop.is_set():
            stream = res.watch(namespace=ns, resource_version=version, timeout=WATCH_SECONDS)
            for event in stream:
                if self._stop.is_set():
                    return
                raw = event.get("raw_object") or {}
                if event.get("type") == "ERROR":
                    if raw.get("code") == 410:
                        return  # expired: the caller lists again
                    raise ClusterError(f"{kind} watch: {raw.get('message', raw)}", raw.get("code"))
                if event.get("type") == "BOOKMARK":
                    version = (raw.get("metadata") or {}).get("resourceVersion", version)
                    continue
                version = (raw.get("metadata") or {}).get("resourceVersion", version)
                self._on_event(WatchEvent(event["type"], kind, raw))
