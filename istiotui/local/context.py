"""What the API's request handlers share: the store, where pod logs live, the clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from istiotui import settings
from istiotui.local.store import Store


def utc_now() -> datetime:
    return datetime.now(UTC)


def _bookmark_seconds() -> float:
    return settings.LOCAL_BOOKMARK_SECONDS.get()


class NotSettled(Exception):
    """An after_write hook could not make a write live. `refused`: the write itself was refused
    (the data plane will not take it); otherwise the data plane could not be reached in time."""

    def __init__(self, message: str, *, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused


@dataclass
class Context:
    store: Store
    logs_dir: Path
    server_address: str = "127.0.0.1:6443"
    now: Callable[[], datetime] = utc_now
    # Seconds between watch bookmarks (ISTIOTUI_LOCAL_BOOKMARK_SECONDS; tests shorten it).
    bookmark_interval: float = field(default_factory=_bookmark_seconds)
    closing: bool = field(default=False)
    # The bearer token of the local kubeconfig: whoever presents it is the cluster's owner.
    owner_token: str = ""
    # Awaited after every write that changed the store, before the answer goes out: the data
    # plane hooks in here so that `kubectl apply` returns once Envoy serves what was applied.
    # A hook that cannot raises NotSettled, and the write is undone (routes_objects).
    after_write: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def settle(self) -> None:
        for hook in self.after_write:
            await hook()

    def log_path(self, namespace: str, pod: str, container: str) -> Path:
        """Layout of pod logs: logs/<namespace>/<pod>/<container>.log (the runtime writes them)."""
        return self.logs_dir / namespace / pod / f"{container}.log"
