"""`pods/NAME/exec` over WebSocket: a command run "inside" a local pod.

The command runs the local way (istiotui.local.workloads.launcher): with the pod's environment,
so `curl` and `/usr/bin/fortio` are this project's implementations and their requests leave
through the pod's sidecar, and in a sandbox that shows the pod, not the host
(istiotui.local.workloads.exec_sandbox). A command the pod's image does not have ends with exit
code 127 and kubelet's line on stderr. kubectl 1.32 and the kubernetes Python client both speak the
channel protocol of istiotui.local.channels; SPDY (kubectl's fallback, and kubectl < 1.30) is
answered with a Status that says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Sequence

from aiohttp import WSMsgType, web

from istiotui import process_group
from istiotui.local import channels as ch
from istiotui.local import status as st
from istiotui.local.context import Context
from istiotui.local.workloads import images, launcher
from istiotui.local.workloads.launcher import ContainerSpec
from istiotui.local.workloads.runtime import WorkloadRuntime
from istiotui.mesh.kinds import lookup

POD_PATH = "/api/v1/namespaces/{namespace}/pods/{name}/"
READ_CHUNK = 64 * 1024
KILL_GRACE = 1.0


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("true", "1")


def running_pod(ctx: Context, namespace: str, name: str) -> dict:
    """The pod, running and with an address, or the ApiError a real API server would give."""
    kind = lookup("Pod")
    assert kind is not None
    pod = ctx.store.find(kind, namespace, name)
    if pod is None:
        raise st.not_found("pods", "", name)
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or not status.get("podIP"):
        phase = status.get("phase", "Pending")
        raise st.bad_request(f"pod {name} is not running (phase {phase}): nothing to connect to")
    return pod


def websocket_only(request: web.Request, what: str) -> None:
    """Refuse anything but a WebSocket upgrade (SPDY POSTs are kubectl's fallback)."""
    upgrade = request.headers.get("Upgrade", "").lower()
    if upgrade != "websocket":
        via = f"an upgrade to {request.headers['Upgrade']}" if upgrade else "a plain request"
        raise st.ApiError(
            400,
            "BadRequest",
            f"{what} on the local cluster is served over WebSocket only "
            f"(subprotocols {', '.join(ch.EXEC_PROTOCOLS)}), not {via}: "
            "use kubectl 1.30 or newer, or the kubernetes Python client",
        )


def container_spec(ctx: Context, pod: dict, container: str | None) -> ContainerSpec:
    meta = pod["metadata"]
    names = [c.get("name") for c in pod["spec"].get("containers", [])]
    if container is not None and container not in names:
        raise st.bad_request(f"container {container} is not valid for pod {meta['name']}")
    root = ctx.logs_dir.parent  # the state dir: logs/ is one of its entries
    pod_ip = pod["status"]["podIP"]
    log_dir = ctx.logs_dir / meta["namespace"] / meta["name"]
    specs = WorkloadRuntime(root).specs(pod, pod_ip, log_dir)
    chosen = container or names[0]
    spec = next(s for s in specs if s.container == chosen)
    try:
        spec.implementation()  # exec runs with the image's environment: it must be known
    except images.ImageError as exc:
        why = f"cannot exec in container {chosen} of pod {meta['name']}: {exc}"
        raise st.bad_request(why) from None
    return spec


async def exec_(request: web.Request, ctx: Context) -> web.StreamResponse:
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    pod = running_pod(ctx, namespace, name)
    argv = request.query.getall("command", [])
    if not argv:
        raise st.bad_request("you must specify at least one command for the container")
    spec = container_spec(ctx, pod, request.query.get("container"))
    websocket_only(request, "exec")
    ws = web.WebSocketResponse(protocols=ch.EXEC_PROTOCOLS, autoping=True)
    ready = ws.can_prepare(request)
    if not ready.ok or ready.protocol is None:
        offered = request.headers.get("Sec-WebSocket-Protocol", "none")
        raise st.bad_request(
            f"exec needs one of the subprotocols {', '.join(ch.EXEC_PROTOCOLS)}; offered: {offered}"
        )
    await ws.prepare(request)
    session = _ExecSession(ws, spec, argv, stdin=_flag(request, "stdin"), tty=_flag(request, "tty"))
    await session.run()
    return ws


class _ExecSession:
    def __init__(
        self,
        ws: web.WebSocketResponse,
        spec: ContainerSpec,
        argv: Sequence[str],
        *,
        stdin: bool,
        tty: bool,
    ) -> None:
        self.ws, self.spec, self.argv = ws, spec, list(argv)
        self.stdin, self.tty = stdin, tty

    async def run(self) -> None:
        try:
            process = await launcher.start_exec(self.spec, self.argv, stdin=self.stdin)
        except FileNotFoundError:
            line = f'exec: "{self.argv[0]}": executable file not found in $PATH\n'
            await self._send(ch.STDOUT if self.tty else ch.STDERR, line.encode())
            await self._finish(127)
            return
        except OSError as exc:
            await self._send(ch.STDERR, f"exec: {self.argv[0]}: {exc.strerror}\n".encode())
            await self._finish(126)
            return
        reader = asyncio.create_task(self._from_client(process))
        try:
            assert process.stdout is not None and process.stderr is not None
            await asyncio.gather(
                self._pump(process.stdout, ch.STDOUT),
                self._pump(process.stderr, ch.STDOUT if self.tty else ch.STDERR),
            )
            code = await process.wait()
        except ConnectionError:
            return  # the client left mid-output: `finally` stops the command
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            if process.returncode is None:  # the client went away: nothing may outlive it
                await launcher.kill_group(process, KILL_GRACE)
            # nor what it left in the background
            process_group.signal_group(process.pid, signal.SIGKILL)
        await self._finish(128 - code if code < 0 else code)  # killed by signal N: 128+N

    async def _pump(self, stream: asyncio.StreamReader, channel: int) -> None:
        while chunk := await stream.read(READ_CHUNK):
            await self._send(channel, chunk)

    async def _from_client(self, process: asyncio.subprocess.Process) -> None:
        """stdin and control messages; a client that leaves ends the command."""
        async for msg in self.ws:
            if msg.type not in (WSMsgType.BINARY, WSMsgType.TEXT):
                continue
            data = msg.data if isinstance(msg.data, bytes) else msg.data.encode()
            if not data:
                continue
            channel, payload = ch.parse(data)
            if channel == ch.STDIN and process.stdin is not None and payload:
                process.stdin.write(payload)
                with contextlib.suppress(ConnectionError):
                    await process.stdin.drain()
            elif channel == ch.CLOSE and ch.closed_channel(payload) == ch.STDIN and process.stdin:
                process.stdin.close()
        # The client closed the WebSocket: stop the command and all it started (its own process
        # group), as kubectl's Ctrl-C does on a real cluster.
        if process.returncode is None:
            process_group.signal_group(process.pid, signal.SIGTERM)

    async def _send(self, channel: int, payload: bytes) -> None:
        if self.ws.closed:
            raise ConnectionResetError("the exec client went away")
        await self.ws.send_bytes(ch.frame(channel, payload))

    async def _finish(self, code: int) -> None:
        if not self.ws.closed:
            await self.ws.send_bytes(ch.status_message(ch.exit_status(code, self.argv)))
            await self.ws.close()


def add_routes(app: web.Application, ctx: Context) -> None:
    """Serve `…/pods/NAME/exec` (GET and POST, as kubectl and the Python client send it)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return await exec_(request, ctx)

    app.router.add_route("*", POD_PATH + "exec", handler)
