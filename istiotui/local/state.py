"""The local cluster's state dir and the files in it.

`local/` under istiotui's state folder (`$ISTIOTUI_STATE_DIR`, else `$XDG_STATE_HOME/istiotui`,
else `~/.local/state/istiotui`; see istiotui.settings). Layout:

    server.pid        pid of the running server (its process group id too)
    server.json       address and pid of the running server, written once it listens
    server.log        the server's log
    store.json        the objects (written atomically after every change)
    kubeconfig        a kubeconfig with context `istiotui-local`
    logs/<namespace>/<pod>/<container>.log   pod logs, written by the pod runtime
"""

from __future__ import annotations

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
        self.root.mkdir(parents=True, exist_ok=True)
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
