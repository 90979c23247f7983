"""Which loopback address block a local cluster's pods take (see `addresses`).

Two local clusters on one machine — two state dirs of one learner, two learners on one VM, a test
run beside a learner's cluster — must never hand out the same pod addresses. A block is held by the
running cluster's server through an advisory lock on a file of the machine's temp dir, one file per
block: the kernel drops the lock with the process, so a server killed with SIGKILL frees its block
and no stale file can keep one taken.

A state dir keeps the block it was first given (the `block` file): its stored pods carry addresses
of that block, so a later start takes the same one or says why it cannot.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

from istiotui import settings
from istiotui.local import addresses
from istiotui.local.state import StateDir


class BlockHeld(RuntimeError):
    """The block this cluster needs is held by another running local cluster."""


def lock_path(block: int) -> Path:
    return Path(tempfile.gettempdir()) / f"istiotui-block-{block}.lock"


def _open(path: Path) -> int:
    # Opened without O_CREAT when it exists: a sticky temp dir with protected_regular refuses
    # O_CREAT on a file another user made, and a read-only descriptor can hold a flock.
    try:
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        pass
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return os.open(path, os.O_RDONLY)
    # Readable by every user whatever the umask (077 would make it 0600): another user's
    # cluster must open it to see whether the block is held.
    os.fchmod(fd, 0o644)
    return fd


def hold(block: int) -> int | None:
    """Take `block` for the calling process: the descriptor that holds it (keep it open for as
    long as the cluster runs), or None when another process holds it."""
    try:
        fd = _open(lock_path(block))
    except PermissionError:
        return None  # another user's lock file this user cannot read (made 0600 by old versions)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def is_free(block: int) -> bool:
    fd = hold(block)
    if fd is None:
        return False
    os.close(fd)
    return True


def recorded(state: StateDir) -> int | None:
    """The block this state dir was given at its first start, if any."""
    try:
        value = int((state.root / "block").read_text().strip())
    except (OSError, ValueError):
        return None
    return value if 0 <= value < settings.BLOCKS else None


def describe(block: int) -> str:
    return f"address block {block} ({addresses.block_net(block)})"


def choose(state: StateDir) -> int:
    """The block this state dir's cluster starts with: the setting when it names one, else the
    one kept with the state dir, else the first free one; kept with the state dir from then on.

    Raises BlockHeld when the block it must take is held by another running local cluster."""
    if settings.LOCAL_BLOCK.is_set():
        wanted: int | None = settings.LOCAL_BLOCK.get()
        why = f"{settings.LOCAL_BLOCK.name} names it"
    else:
        wanted = recorded(state)
        why = f"the pods stored in {state.root} have its addresses"
    if wanted is not None:
        if not is_free(wanted):
            path = lock_path(wanted)
            if not os.access(path, os.R_OK):
                raise BlockHeld(
                    f"{describe(wanted)} cannot be checked: its lock file {path} belongs to "
                    f"another user and is not readable ({why}); ask them (or root) to remove it, "
                    f"or set {settings.LOCAL_BLOCK.name} to another block (0-{settings.BLOCKS - 1})"
                )
            raise BlockHeld(
                f"{describe(wanted)} is held by another local cluster on this machine ({why}); "
                f"stop that cluster, or set {settings.LOCAL_BLOCK.name} to a free block "
                f"(0-{settings.BLOCKS - 1}) with a state dir of its own"
            )
        block = wanted
    else:
        free = [b for b in range(settings.BLOCKS) if is_free(b)]
        if not free:
            raise BlockHeld(f"all {settings.BLOCKS} address blocks are held by local clusters")
        block = free[0]
    (state.root / "block").write_text(f"{block}\n")
    return block
