"""The workloads' pre-imported parent: one Python process that forks every pod's process.

Starting one interpreter per container and importing aiohttp (and the lab's workload modules)
again in each was most of the time from `local up` to the first page, and most of the memory.
This process imports them once; each container is then a fork of it that runs its module as
`python -m MODULE ARGS` would: the `main()` of this package's workloads (what their `__main__`
block calls), any other module through `runpy`, as `__main__`. The fork shares the imported
pages with this parent and its siblings (copy-on-write; `gc.freeze()` keeps the collector from
touching them), so it costs a few MiB of its own instead of ~24.

A container keeps what it had as its own interpreter: its own process and PID, a session (so a
process group) of its own, the pod's environment, its log file as stdout and stderr, stdin from
/dev/null, SIGTERM when its parent dies, and the exit code it exits with. What is not the same:
`/proc/PID/environ` shows this parent's environment (it carries the cluster's owner mark, which is
what `local down` looks for); the pod's variables are in `os.environ` and in whatever it starts.

It must stay single-threaded: forking a process that runs threads copies locks other threads
held. It runs no event loop and starts no thread; the daemon talks to it over stdin/stdout, one
JSON object a line (see `zygote_client`):

    → {"id": 1, "module": "…", "args": […], "env": {…}, "log": "…"}
    ← {"id": 1, "pid": 1234}             or  {"id": 1, "error": "…"}
    ← {"exited": 1234, "code": 0}         (a negative code: killed by that signal)

`python -m istiotui.local.workloads.zygote` — it ends when its stdin closes (the daemon went
away), or with SIGTERM.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import json
import os
import runpy
import select
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

# Imported before the first fork: what (nearly) every workload of the lab loads.
PRELOAD = (
    "aiohttp",
    "aiohttp.web",
    "istiotui.local.workloads.serving",
    "istiotui.local.workloads.outbound",
    "istiotui.local.workloads.bookinfo_productpage",
    "istiotui.local.workloads.bookinfo_reviews",
    "istiotui.local.workloads.bookinfo_details",
    "istiotui.local.workloads.bookinfo_ratings",
)
# Loaded in this parent the first time a container needs them, so later ones share them. Not
# the httpbin app itself: what it prints as it loads belongs in its pod's log.
EXTRA = {
    "gunicorn": ("gunicorn.app.wsgiapp",),
    "istiotui.local.workloads.fortio": ("istiotui.local.workloads.fortio",),
    "istiotui.local.workloads.curl": ("istiotui.local.workloads.curl",),
}
# Workloads of this package (their `main()` is what running them as `__main__` does).
_OWN = "istiotui.local.workloads."
_PR_SET_PDEATHSIG = 1
# Looked up here, before any fork (the child then only calls it).
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def _send(message: dict[str, Any]) -> None:
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(1, data) :]


def _preload(modules: tuple[str, ...] | list[str]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:  # the container's own start will say it again
            print(f"zygote: could not preload {name}: {exc}", file=sys.stderr, flush=True)


def _entry_point(module: str) -> Callable[[], object] | None:
    """The `main` of one of this package's workloads already imported here: what its
    `if __name__ == "__main__": main()` runs. Called in the fork instead of executing the module
    a second time, whose new functions and classes would fill pages of the fork's own
    (≈ 0.5 MiB per pod, measured)."""
    loaded = sys.modules.get(module) if module.startswith(_OWN) else None
    entry = getattr(loaded, "main", None)
    return entry if callable(entry) else None


def _child(request: dict[str, Any], parent: int) -> int:  # pragma: no cover
    """In the fork: become the container's process, run its module; its exit code."""
    os.setsid()
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the line above: nobody to die with
        return 1
    gc.enable()
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.closerange(3, 1024)
    os.environ.clear()
    os.environ.update(request["env"])
    module = request["module"]
    sys.argv = [module, *request["args"]]
    try:
        entry = _entry_point(module)
        if entry is not None:
            code = entry()
            return code if isinstance(code, int) else 0
        # Run as __main__ (a fresh copy, as `-m` runs it); its imports are already loaded.
        sys.modules.pop(module, None)
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # As an interpreter ends on an uncaught Ctrl-C: killed by SIGINT.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        return 128 + signal.SIGINT
    except BaseException:  # what an interpreter prints for an uncaught error
        traceback.print_exc()
        return 1
    return 0


def _fork(request: dict[str, Any]) -> int:
    module = request["module"]
    _preload(list(EXTRA.get(module, ())))
    parent = os.getpid()
    # What exists now is never collected in the child: its collector then never writes to (and
    # so never copies) the pages the parent's objects sit in.
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            code = _child(request, parent)
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    return pid


def _reap() -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send({"exited": pid, "code": os.waitstatus_to_exitcode(status)})


def serve() -> None:
    # The SIGCHLD handler does nothing itself: the signal's byte on the wakeup pipe wakes
    # select(), and the loop reaps.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    # No collection in this parent: one would leave holes in pages the forks share, and later
    # allocations would write into them (Python's advice for fork without exec).
    gc.disable()
    _preload(PRELOAD)
    pending = b""
    while True:
        try:
            ready, _, _ = select.select([0, wake_r], [], [])
        except InterruptedError:
            continue
        if wake_r in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_r, 4096)
            _reap()
        if 0 not in ready:
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            return  # the daemon went away; the children get SIGTERM as this process ends
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            request = json.loads(line)
            try:
                _send({"id": request["id"], "pid": _fork(request)})
            except OSError as exc:
                _send({"id": request["id"], "error": str(exc)})
        _reap()


if __name__ == "__main__":
    serve()
