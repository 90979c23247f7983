"""Time from process start to the first frame on a terminal: `istiotui` against a bare Textual app.

    python benchmarks/startup.py [--runs N]

What a learner over SSH waits for: a fresh interpreter (`python -m istiotui`, as the console
script starts it), every import, the lab loaded, the first screen drawn. Each app runs in a new
pseudo-terminal of 120×40; the clock starts just before the fork and stops when the last row of
the first frame (the key bar's last words; the bare app's bottom line) has been written to the
terminal. The bare app (one Static, one docked line) is started the same way (`python -c`), and
the two run in turn — A B A B … — so the ratio is taken pair by pair even if the machine's speed
drifts. Nothing reaches a cluster: the app is told a context that no kubeconfig has (an empty
one), so its connect worker, which runs after the first frame, fails fast; state goes to a
temporary directory.

Both run from compiled bytecode, as from an install (pip compiles it): with
PYTHONDONTWRITEBYTECODE set, istiotui's own modules would be compiled again on every start while
Textual's come from site-packages' caches, so the benchmark keeps its own cache folder
(PYTHONPYCACHEPREFIX) that the uncounted first runs fill. The lab's on-disk copy
(`lab/cache.py`) is filled by them too, as any start after the first finds it.

    python benchmarks/startup.py --one ours|bare

starts one app, prints its time and ends it at once (SIGKILL): for an outside timer that takes
whole processes, A against B.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

ROWS, COLUMNS = 40, 120
TIMEOUT = 30.0

BARE_APP = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    CSS = "#last { dock: bottom; }"

    def compose(self):
        yield Static("hello")
        yield Static("bare app ready", id="last")

Bare().run()
"""


def first_frame(
    argv: list[str], marker: bytes, env: dict[str, str], cwd: Path, kill: bool = False
) -> float:
    """Seconds from fork to `marker` on the terminal; the process is then ended with SIGTERM
    (both apps quit on it; SIGKILL with `kill`, so that the time to quit is nobody's) and
    reaped. `cwd` is away from the source tree, so `-m istiotui` finds the installed package
    as the console script does."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the app
        try:
            os.chdir(cwd)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    seen = b""
    elapsed = None
    try:
        while elapsed is None:
            if time.perf_counter() - started > TIMEOUT:
                raise TimeoutError(f"no first frame within {TIMEOUT:g} s from {argv}")
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError as exc:  # EIO: the child closed the terminal (it exited)
                raise RuntimeError(f"{argv} ended before its first frame:\n{seen!r}") from exc
            seen = (seen + chunk)[-4000:]  # enough for the marker across chunks and an error
            if marker in seen:
                elapsed = time.perf_counter() - started
    finally:
        stop(pid, fd, signal.SIGKILL if kill else signal.SIGTERM)
    return elapsed


def stop(pid: int, fd: int, how: signal.Signals = signal.SIGTERM) -> None:
    os.kill(pid, how)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        # Keep reading so that an app writing its goodbye never blocks on a full terminal.
        if select.select([fd], [], [], 0.05)[0]:
            with contextlib.suppress(OSError):
                os.read(fd, 65536)
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os.close(fd)


def describe(name: str, times: list[float]) -> str:
    return (
        f"{name}: median {statistics.median(times):.3f} s "
        f"(min {min(times):.3f}, max {max(times):.3f}, n={len(times)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--one", choices=("ours", "bare"), help="one run of one app, then exit")
    parser.add_argument("--state", type=Path, help="with --one: the state folder to reuse")
    args = parser.parse_args()
    state = args.state or Path(tempfile.mkdtemp(prefix="istiotui-bench-"))
    state.mkdir(parents=True, exist_ok=True)
    kubeconfig = state / "kubeconfig"
    kubeconfig.write_text("")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {
        "TERM": "xterm-256color",
        "KUBECONFIG": str(kubeconfig),  # never the user's cluster
        "ISTIOTUI_STATE_DIR": str(state),
        "LANG": "en_US.UTF-8",
        "PYTHONPYCACHEPREFIX": str(state / "pycache"),
    }
    ours = ([sys.executable, "-m", "istiotui", "--context", "none", "--lang", "en"], b" palette ")
    bare = ([sys.executable, "-c", BARE_APP], b"bare app ready")
    if args.one:
        app = ours if args.one == "ours" else bare
        print(f"{args.one} {first_frame(*app, env, state, kill=True):.3f}")
        return

    first_frame(*bare, env, state)  # warm the page cache for both, uncounted
    first_frame(*ours, env, state)
    bare_times, our_times = [], []
    for _ in range(args.runs):
        our_times.append(first_frame(*ours, env, state))
        bare_times.append(first_frame(*bare, env, state))
    ratios = [o / b for o, b in zip(our_times, bare_times, strict=True)]
    print(describe("bare Textual app, process start → first frame", bare_times))
    print(describe("istiotui,         process start → first frame", our_times))
    print(
        f"ratio (pair by pair): median {statistics.median(ratios):.2f}x "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f})"
    )


if __name__ == "__main__":
    main()
