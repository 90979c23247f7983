"""Helpers shared by the local API tests (a module name of its own: test dirs are not packages)."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from kubernetes import client, config

from istiotui.local import api_tls
from istiotui.local.kubeconfig import read_token
from istiotui.local.state import StateDir

MANIFESTS = Path(__file__).parent / "manifests"
WATCH_HISTORY = 100
BOOKMARK_SECONDS = 0.2


@dataclass(frozen=True)
class Server:
    state: StateDir
    url: str
    pid: int

    @property
    def kubeconfig(self) -> Path:
        return self.state.kubeconfig

    @property
    def token(self) -> str:
        """The owner's bearer token, as the local kubeconfig holds it."""
        return read_token(self.state.kubeconfig)

    def authorized(self, url: str, **kwargs: object) -> urllib.request.Request:
        """A request to `url` that carries the owner's token (open it with `self.open`)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        return urllib.request.Request(url, headers=headers, **kwargs)  # type: ignore[arg-type]

    def open(self, request: urllib.request.Request | str, timeout: float = 5):  # type: ignore[no-untyped-def]
        """urlopen, trusting this cluster's CA (the API serves TLS)."""
        context = api_tls.client_context(self.state.root)
        return urllib.request.urlopen(request, timeout=timeout, context=context)

    def configuration(self) -> client.Configuration:
        """A kubernetes client configuration for this server, from its kubeconfig."""
        configuration = client.Configuration()
        config.load_kube_config(
            config_file=str(self.kubeconfig), client_configuration=configuration
        )
        return configuration


T = TypeVar("T")


def wait_for(check: Callable[[], T], what: str, timeout: float = 10.0) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
