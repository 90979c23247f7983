"""Which kind of cluster a session talks to. A module of its own, without the kubernetes client,
so that the lab's outline and the app's first frame can name it without loading the client."""

from __future__ import annotations

from enum import StrEnum


class ClusterKind(StrEnum):
    """The embedded local cluster, or a real one: the one place the two are named; a `StrEnum`,
    so it prints and compares as the word a lab's `where:` uses."""

    LOCAL = "local"
    REAL = "real"
