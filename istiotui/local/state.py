"""The local cluster's state dir and the files in it.

`local/` under istiotui's state folder (`$ISTIOTUI_STATE_DIR`, else `$XDG_STATE_HOME/istiotui`,
else `~/.local/state/istiotui`; see istiotui.settings). Layout:

    server.pid        pid of the running server (its process group id too)
    server.json       address and pid of the running server, written once it listens
    server.log        the server's log
    store.json        the objects (written atomically after every change)
    block             the loopback address block its pods were given (see local/blocks.py)
    store.json.corrupt-<time>   a store that did not read back (`up --reset-corrupt-state`)
    kubeconfig        a kubeconfig with context `istiotui-local` and the owner's token (0600)
    logs/<namespace>/<pod>/<container>.log   pod logs, written by the pod runtime

The directory is private (0700): it holds the cluster's credential and its pods' logs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from istiotui import settings


def default_dir() -> Path:
    return settings.state_root() / "local"


@dataclass(frozen=True)
class StateDir:
    root: Path

    @classmethod
    def default(cls) -> StateDir:
        return cls(default_dir())

    def ensure(self) -> StateDir:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Made private even when it existed before (an older version made it 0755).
        os.chmod(self.root, 0o700)
        self.logs.mkdir(exist_ok=True)
        return self

    @property
    def pid_file(self) -> Path:
        return self.root / "server.pid"

    @property
    def info_file(self) -> Path:
        return self.root / "server.json"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    @property
    def store_file(self) -> Path:
        return self.root / "store.json"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def logs(self) -> Path:
        return self.root / "logs"
