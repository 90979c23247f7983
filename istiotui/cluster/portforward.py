"""A port-forward to a pod through the API (`pods/portforward` over WebSocket), no kubectl process:
a TCP listener on 127.0.0.1 whose every connection is carried to the pod's port.

Each accepted connection gets a WebSocket of its own, to the pod the resolver names *now*: a
dropped forward costs one connection, never the listener, and a pod that was replaced (a rollout,
a restart) is picked up by the next connection. The probe engine just sees a local HTTP server.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
from collections.abc import Callable

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import portforward

from istiotui.cluster.exec import handshake_error

log = logging.getLogger(__name__)
# (namespace, pod name) to forward to, asked again for every connection.
PodResolver = Callable[[], tuple[str, str]]
BUFFER = 64 * 1024


class PortForward:
    """`kubectl port-forward POD LOCAL:REMOTE` as a thread; `local_port` 0 picks a free port."""

    def __init__(
        self,
        api_client: client.ApiClient,
        resolve_pod: PodResolver,
        remote_port: int,
        local_port: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        self._configuration = api_client.configuration
        self._resolve = resolve_pod
        self.remote_port = remote_port
        self._listener = socket.create_server((host, local_port))
        self.host, self.local_port = self._listener.getsockname()[:2]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.last_error: str | None = None
        self.connections = 0
        self._accept = threading.Thread(
            target=self._serve, name=f"port-forward-{self.local_port}", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.local_port}"

    def start(self) -> PortForward:
        self._accept.start()
        return self

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._accept.join(2.0)
        for thread in list(self._threads):
            thread.join(2.0)

    def __enter__(self) -> PortForward:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()

    def open(self) -> tuple[object, socket.socket, str]:
        """The client library's forward for one connection, its socket, and what it names."""
        namespace, pod = self._resolve()
        where = f"port-forward to pod {namespace}/{pod} port {self.remote_port}"
        # `portforward` swaps the ApiClient's call_api while it connects: a private client keeps
        # the connection's other threads (watches, lists) out of the WebSocket.
        private = client.ApiClient(self._configuration)
        try:
            forward = portforward(
                client.CoreV1Api(private).connect_get_namespaced_pod_portforward,
                pod,
                namespace,
                ports=str(self.remote_port),
            )
        except ApiException as exc:
            raise handshake_error(where, exc) from None
        finally:
            private.close()
        return forward, forward.socket(self.remote_port), where

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            thread = threading.Thread(target=self._carry, args=(conn,), daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def _carry(self, conn: socket.socket) -> None:
        self.connections += 1
        try:
            forward, remote, where = self.open()
        except Exception as exc:  # no ready pod, a refused handshake, a dropped socket, …
            # The client sees its connection closed at once, not a hang, and the reason is kept.
            self.last_error = str(exc) or type(exc).__name__
            log.warning("port-forward to port %s: %s", self.remote_port, self.last_error)
            conn.close()
            return
        try:
            _relay(conn, remote, self._stop)
        finally:
            conn.close()
            error = forward.error(self.remote_port)  # type: ignore[attr-defined]
            if error:
                self.last_error = f"{where}: {error}"
                log.warning("%s", self.last_error)
            forward.close()  # type: ignore[attr-defined]


def _relay(a: socket.socket, b: socket.socket, stop: threading.Event) -> None:
    """Copy both ways until either side closes."""
    pair = {a: b, b: a}
    while not stop.is_set():
        readable, _, _ = select.select(list(pair), [], [], 0.5)
        for sock in readable:
            try:
                data = sock.recv(BUFFER)
            except OSError:
                return
            if not data:
                return
            try:
                pair[sock].sendall(data)
            except OSError:
                return
