"""The daemon's side of the workloads' pre-imported parent (`zygote`): start it, ask it to fork.

`Zygote.start()` starts the parent early (its imports overlap the rest of `local up`); `fork()`
returns a `ForkedProcess`, which behaves as the part of `asyncio.subprocess.Process` the launcher
and `process_group` use (`pid`, `returncode`, `wait()`): its exit comes from the parent, which
is the one that reaps it. Only a container that is `python -m MODULE …` of this interpreter can
be forked (`forkable`); anything else is started as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from istiotui import process_group


class ForkedProcess:
    """A container's process forked by the zygote."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._exited = asyncio.get_running_loop().create_future()

    def _set_exit(self, code: int) -> None:
        self.returncode = code
        if not self._exited.done():
            self._exited.set_result(code)

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)


async def _watch_orphan(child: ForkedProcess) -> None:
    while process_group.group_alive(child.pid):
        await asyncio.sleep(0.05)
    child._set_exit(-15)


def forkable(argv: Sequence[str]) -> tuple[str, list[str]] | None:
    """(module, args) when `argv` runs a module of this interpreter, else None."""
    if len(argv) >= 3 and argv[0] == sys.executable and argv[1] == "-m":
        return argv[2], list(argv[3:])
    return None


class Zygote:
    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = dict(env) if env is not None else None
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._next = 0
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._children: dict[int, ForkedProcess] = {}
        self._early: dict[int, int] = {}  # exits read before the fork's answer was handled
        self._lock = asyncio.Lock()
        # Watchers of forks whose parent died: held here, as the loop keeps only a weak
        # reference to a task and one collected midway would never report its fork's exit.
        self._orphans: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self) -> None:
        """Start the parent; it imports while the caller goes on (requests queue meanwhile)."""
        if not process_group.POSIX or self.running:
            return
        # Start from the event loop's thread: the parent dies with that thread (and its forks
        # die with it, each being told SIGTERM).
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-u",  # the forks' stdout and stderr go to their log as they are written
            "-m",
            "istiotui.local.workloads.zygote",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=self._env,
            **process_group.spawn_options(die_with_parent=True),
        )
        self._reader = asyncio.create_task(self._read(), name="zygote-reader")

    async def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        try:
            while line := await self._proc.stdout.readline():
                message = json.loads(line)
                if "exited" in message:
                    child = self._children.pop(message["exited"], None)
                    if child is not None:
                        child._set_exit(message["code"])
                    else:
                        self._early[message["exited"]] = message["code"]
                    continue
                future = self._waiting.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message)
        finally:
            gone = ConnectionError("the workloads' parent process exited")
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(gone)
            self._waiting.clear()
            # Its forks were told SIGTERM as it ended; nobody will report their exits now.
            orphans, self._children = self._children, {}
            for child in orphans.values():
                task = asyncio.get_running_loop().create_task(_watch_orphan(child))
                self._orphans.add(task)
                task.add_done_callback(self._orphans.discard)

    async def fork(
        self, module: str, args: Sequence[str], env: Mapping[str, str], log: Path
    ) -> ForkedProcess:
        """Fork a container running `python -m module args`; ConnectionError when the parent
        is not there (the caller then starts an interpreter of its own)."""
        proc = self._proc
        if proc is None or proc.returncode is not None or proc.stdin is None:
            raise ConnectionError("the workloads' parent process is not running")
        self._next += 1
        request = {
            "id": self._next,
            "module": module,
            "args": list(args),
            "env": dict(env),
            "log": str(log),
        }
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[self._next] = future
        async with self._lock:
            proc.stdin.write((json.dumps(request) + "\n").encode())
            await proc.stdin.drain()
        answer = await future
        if "error" in answer:
            raise OSError(f"fork of {module}: {answer['error']}")
        child = ForkedProcess(int(answer["pid"]))
        if child.pid in self._early:
            child._set_exit(self._early.pop(child.pid))
        else:
            self._children[child.pid] = child
        return child

    async def stop(self, grace: float = 5.0) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), grace)
        await process_group.stop_async(proc, grace)
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await self._reader
        self._proc = None
