"""Helpers for the real-cluster-path tests: pods to exec into and listeners they can reach."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, urlparse

import pytest
from kubernetes import client

from istiotui.local import daemon, istio_release
from istiotui.local.state import StateDir

T = TypeVar("T")


@dataclass(frozen=True)
class Server:
    """The session's local API server: its state dir and URL."""

    state: StateDir
    url: str

    @property
    def kubeconfig(self) -> Path:
        return self.state.kubeconfig


CURL_IMAGE = "curlimages/curl:8.11.1"
FORTIO_IMAGE = "fortio/fortio:1.69.1"
PROXY_IMAGE = istio_release.PROXY_IMAGE  # the release the local cluster stands for


def start_cluster(state: StateDir, **settings: str) -> Server:
    """`istiotui local up` on a free port, with `settings` in the server's environment; it also
    goes if this test run is killed before its teardown."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ISTIOTUI_LOCAL_EXIT_WITH_PID", str(os.getpid()))
        for key, value in settings.items():
            mp.setenv(key, value)
        running = daemon.up(state, "127.0.0.1", 0)  # port 0: any free port
    return Server(state, running.url)


def wait_for(check: Callable[[], T], what: str, timeout: float = 15.0) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def pod_manifest(
    name: str, image: str, labels: dict[str, str] | None = None, sidecar: bool = False
) -> dict:
    containers = [{"name": image.split("/")[-1].split(":")[0], "image": image,
                   "command": ["sleep", "3600"]}]  # fmt: skip
    if sidecar:
        containers.append({"name": "istio-proxy", "image": PROXY_IMAGE})
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {"app": name}},
        "spec": {"containers": containers},
    }


def running_pod(api: client.ApiClient, namespace: str, body: dict) -> dict:
    """Create the pod and return it (as a dict) once it is Running with an address."""
    core = client.CoreV1Api(api)
    core.create_namespaced_pod(namespace, body)
    name = body["metadata"]["name"]

    def running() -> dict | None:
        pod = api.sanitize_for_serialization(core.read_namespaced_pod(name, namespace))
        status = pod.get("status") or {}
        return pod if status.get("phase") == "Running" and status.get("podIP") else None

    return wait_for(running, f"pod {namespace}/{name} running")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)
        status = int(query.get("status", ["200"])[0])
        answer = {
            "served_by": self.server.name,
            "path": self.path,
            "host": self.headers.get("Host"),
        }
        if self.headers.get("Cookie"):
            answer["cookie"] = self.headers["Cookie"]
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-served-by", self.server.name)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        """`/login` as productpage's form: a session cookie for the user named in the form."""
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        self.send_response(302)
        self.send_header("Location", "/productpage")
        self.send_header("Set-Cookie", f"session={form['username'][0]}; Path=/; HttpOnly")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:  # quiet
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    name = ""


@contextmanager
def listener(address: str, name: str, port: int = 0) -> Iterator[int]:
    """A small real HTTP server on `address` (a pod's IP), answering JSON naming `name`;
    `?status=N` picks the status. Yields its port."""
    server = _Server((address, port), _Handler)
    server.name = name
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2.0)
