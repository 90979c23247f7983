"""`python -m istiotui.cli.orphan STATE_DIR`: stop a local cluster whose starter was ended
before it could say the cluster keeps running (a lost terminal during the app's start-up).

Started detached by `session.stop_unannounced_starts`. The server writes its pid file as it
starts; wait for it (as long as a start may take), then stop the server as `local down` does.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from istiotui.local import daemon
from istiotui.local.state import StateDir

POLL_S = 0.1


def stop_when_started(state: StateDir, timeout: float = daemon.START_TIMEOUT + 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid = int(state.pid_file.read_text().strip())
        except (OSError, ValueError):
            pid = 0
        if pid and daemon.down(state):  # down checks the pid is a live server
            return True
        time.sleep(POLL_S)  # the server's own files are the only signal there is
    return False


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m istiotui.cli.orphan STATE_DIR", file=sys.stderr)
        return 2
    stop_when_started(StateDir(Path(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
