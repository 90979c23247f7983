"""Start, watch and stop a pod's containers as local processes, and run `exec` commands in a pod.

Each container is a subprocess in its own process group (so stopping it stops all it started),
with the pod's environment (HOSTNAME = pod name, its pod IP and, when it has a sidecar, the
sidecar IP its requests leave through), its stdout and stderr appended to
`<root>/logs/<namespace>/<pod>/<container>.log`. Start returns once the container answers its
readiness check; stop is SIGTERM to the group, then SIGKILL after a grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from istiotui import process_group
from istiotui.local.addresses import bind_port, sidecar_ip
from istiotui.local.workloads import exec_sandbox, images, outbound, restarts
from istiotui.local.workloads.images import Implementation, Readiness
from istiotui.local.workloads.zygote_client import ForkedProcess, Zygote, forkable

# Host variables a container may see; everything else of the supervisor's env stays out.
# The owner mark goes on too: `local down` finds every process of the cluster by it.
_PASSED_ENV = (
    "PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "PYTHONPATH", "SSL_CERT_FILE",
    process_group.OWNER_ENV,
)  # fmt: skip
LOG_TAIL_BYTES = 4000
PROXY_CONTAINER = "istio-proxy"


class ContainerError(Exception):
    """A container that did not start or did not become ready (`exit_code`: its process's, when
    it exited before it was ready)."""

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class ContainerSpec:
    """One container of a pod, as the controller asks for it."""

    namespace: str
    pod: str
    container: str
    image: str
    pod_ip: str
    root: Path
    command: Sequence[str] | None = None
    args: Sequence[str] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    sidecar: bool = True
    ca_bundle: Path | None = None
    log_dir: Path | None = None  # default: <root>/logs/<namespace>/<pod>

    @property
    def log_path(self) -> Path:
        directory = self.log_dir or self.root / "logs" / self.namespace / self.pod
        return directory / f"{self.container}.log"

    @property
    def sidecar_ip(self) -> str | None:
        return sidecar_ip(self.pod_ip) if self.sidecar else None

    def implementation(self) -> Implementation:
        """Raises images.UnknownImage / UnsupportedCommand for what cannot run here."""
        return images.resolve(self.image, self.pod_ip, self.command, self.args, self.env)


def _write_script(script: Path, text: str) -> None:
    if not script.exists() or script.read_text() != text:
        tmp = script.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.chmod(0o755)
        tmp.replace(script)


def tools_dir(root: Path) -> Path:
    """`<root>/bin` with `curl` and `fortio` commands that run this project's implementations,
    first on a pod's PATH, so that `sh -c 'curl …'` inside a pod finds them too."""
    directory = root / "bin"
    directory.mkdir(parents=True, exist_ok=True)
    for tool, module in images.EXEC_TOOLS.items():
        text = f'#!/bin/sh\nexec "{sys.executable}" -m {images.PKG}.{module} "$@"\n'
        _write_script(directory / tool, text)
    return directory


PILOT_AGENT = "pilot-agent"


def write_pilot_agent(root: Path, admin_url: str) -> Path:
    """`<root>/bin/pilot-agent`: istio-proxy's `pilot-agent request …` answered from this
    cluster's Envoy admin (known once Envoy runs; its port changes from start to start)."""
    script = tools_dir(root) / PILOT_AGENT
    module = f"{images.PKG}.pilot_agent"
    _write_script(
        script, f'#!/bin/sh\nexec "{sys.executable}" -m {module} --admin {admin_url} "$@"\n'
    )
    return script


PILOT_DISCOVERY = "pilot-discovery"


def write_pilot_discovery(root: Path, admin_url: str, envoy_dir: Path) -> Path:
    """`<root>/bin/pilot-discovery`: istiod's `pilot-discovery request GET /debug/syncz`
    answered from what the local pilot wrote to `envoy_dir` and what Envoy serves."""
    script = tools_dir(root) / PILOT_DISCOVERY
    module = f"{images.PKG}.pilot_discovery"
    _write_script(
        script,
        # Quoted: a state dir's path may hold spaces.
        f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m {module} "
        f'--admin {shlex.quote(admin_url)} --envoy-dir {shlex.quote(str(envoy_dir))} "$@"\n',
    )
    return script


def pod_env(spec: ContainerSpec, image_env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a process in `spec`'s pod: host basics, image defaults, container env."""
    env = {key: os.environ[key] for key in _PASSED_ENV if key in os.environ}
    env["PATH"] = os.pathsep.join([str(tools_dir(spec.root)), env.get("PATH", os.defpath)])
    env["PYTHONUNBUFFERED"] = "1"  # log lines reach the log file as they happen
    env.update(image_env or {})
    env.update(spec.env)
    env["HOSTNAME"] = spec.pod
    if spec.container == PROXY_CONTAINER:  # what Istio's injector gives istio-proxy
        env.update(POD_NAME=spec.pod, POD_NAMESPACE=spec.namespace, INSTANCE_IP=spec.pod_ip)
    env[outbound.POD_IP_ENV] = spec.pod_ip
    if spec.sidecar_ip:
        env[outbound.SIDECAR_ENV] = spec.sidecar_ip
    else:
        env.pop(outbound.SIDECAR_ENV, None)
    if spec.ca_bundle:
        env[outbound.CA_BUNDLE_ENV] = str(spec.ca_bundle)
    return env


@dataclass
class RunningContainer:
    spec: ContainerSpec
    implementation: Implementation
    process: asyncio.subprocess.Process | ForkedProcess | None
    started_at: float
    ready_at: float | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def returncode(self) -> int | None:
        return self.process.returncode if self.process else None

    @property
    def running(self) -> bool:
        return self.process is None or self.process.returncode is None

    @property
    def start_seconds(self) -> float | None:
        """Start-to-ready time."""
        return None if self.ready_at is None else self.ready_at - self.started_at

    def rss_bytes(self) -> int:
        """Resident memory of the container's processes (its whole process group)."""
        if self.process is None or self.returncode is not None:
            return 0
        return sum(_rss(pid) for pid in _group_pids(self.process.pid))

    async def wait(self) -> int:
        if self.process is None:
            return 0
        return await self.process.wait()


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.getpgid(int(entry.name)) == pgid:
                    pids.append(int(entry.name))
    return pids


def _rss(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def log_tail(path: Path, size: int = LOG_TAIL_BYTES) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - size))
            return fh.read().decode(errors="replace")
    except OSError:
        return ""


async def _spawn(
    argv: Sequence[str], env: Mapping[str, str], stdout: int, stderr: int, stdin: int | None
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *argv,
        env=dict(env),
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        # Its own process group (stop() reaches every child); it dies with the cluster. Start
        # containers from the event loop's (main) thread: the death signal follows that thread.
        **process_group.spawn_options(die_with_parent=True),
    )


async def _start_process(
    impl: Implementation, spec: ContainerSpec, zygote: Zygote | None
) -> asyncio.subprocess.Process | ForkedProcess:
    env = pod_env(spec, impl.env)
    module = forkable(impl.argv or [])
    if zygote is not None and module is not None and zygote.running:
        try:
            return await zygote.fork(module[0], module[1], env, spec.log_path)
        except ConnectionError:
            pass  # the parent is gone: an interpreter of its own, as without one
    with spec.log_path.open("ab") as log:
        return await _spawn(
            impl.argv or [], env, log.fileno(), log.fileno(), asyncio.subprocess.DEVNULL
        )


async def start_container(
    spec: ContainerSpec,
    ready_timeout: float = 30.0,
    implementation: Implementation | None = None,
    zygote: Zygote | None = None,
) -> RunningContainer:
    """Start `spec`'s container and return once it is ready.

    Raises images.ImageError before starting anything when the image cannot run here, and
    ContainerError (with the log's tail) when the process exits or is not ready in time; in that
    case nothing is left running. `implementation` overrides the image table (for the cluster's
    own helpers such as the TLS stand-in). With a `zygote`, a Python container is forked from
    that pre-imported parent instead of starting an interpreter of its own.
    """
    impl = implementation or spec.implementation()
    started = time.monotonic()
    if not impl.runs_process:
        return RunningContainer(spec, impl, None, started, ready_at=started)
    spec.log_path.parent.mkdir(parents=True, exist_ok=True)
    process = await _start_process(impl, spec, zygote)
    running = RunningContainer(spec, impl, process, started)
    try:
        await _wait_ready(running, ready_timeout)
    except BaseException:
        await stop(running)
        raise
    running.ready_at = time.monotonic()
    return running


async def _probe(host: str, readiness: Readiness) -> bool:
    port = bind_port(host, readiness.port)
    try:
        if readiness.path is None:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
            writer.close()
            return True
        timeout = aiohttp.ClientTimeout(total=1.0)
        connector = aiohttp.TCPConnector(force_close=True)
        async with (
            aiohttp.ClientSession(timeout=timeout, connector=connector) as session,
            session.get(f"http://{host}:{port}{readiness.path}") as resp,
        ):
            return 200 <= resp.status < 400
    except (OSError, aiohttp.ClientError, TimeoutError):
        return False


async def _wait_ready(running: RunningContainer, timeout: float) -> None:
    process = running.process
    assert process is not None
    readiness = running.implementation.readiness
    deadline = time.monotonic() + timeout
    exited = asyncio.ensure_future(process.wait())
    try:
        delay = 0.02
        while True:
            if exited.done():
                raise ContainerError(
                    f"{running.spec.namespace}/{running.spec.pod}/{running.spec.container}: "
                    f"{running.implementation.kind} exited with code {process.returncode} before "
                    f"it was ready; log {running.spec.log_path}:\n"
                    + log_tail(running.spec.log_path),
                    exit_code=restarts.exit_code(process.returncode),
                )
            if readiness is None or await _probe(running.spec.pod_ip, readiness):
                return
            if time.monotonic() >= deadline:
                raise ContainerError(
                    f"{running.spec.namespace}/{running.spec.pod}/{running.spec.container}: not "
                    f"ready on {running.spec.pod_ip}:{readiness.port} after {timeout:.0f} s; log "
                    f"{running.spec.log_path}:\n{log_tail(running.spec.log_path)}"
                )
            # Poll until the deadline, backing off; the process exiting ends the wait early.
            await asyncio.wait([exited], timeout=delay)
            delay = min(delay * 1.5, 0.25)
    finally:
        if not exited.done():
            exited.cancel()


async def stop(running: RunningContainer, grace: float = 5.0) -> int | None:
    """SIGTERM to the container's process group, SIGKILL after `grace` seconds; its exit code."""
    process = running.process
    if process is None:
        return None
    await kill_group(process, grace)
    return process.returncode


async def kill_group(process: asyncio.subprocess.Process | ForkedProcess, grace: float) -> None:
    await process_group.stop_async(process, grace)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ExecResult:
    returncode: int
    stdout: bytes
    stderr: bytes


async def start_exec(
    spec: ContainerSpec, argv: Sequence[str], *, stdin: bool = False, sandbox: bool | None = None
) -> asyncio.subprocess.Process:
    """Start `argv` "inside" `spec`'s pod (same env, so its requests leave through the pod's
    sidecar), with pipes for the caller to stream. `curl` and `fortio` (by any path) run this
    project's implementations. The command sees the pod, not the host (`exec_sandbox`): in a
    bubblewrap sandbox when this machine allows one (`sandbox=None`: decide; False: force the
    fallback, where only the image's commands run). FileNotFoundError for a command the pod's
    image does not have.
    """
    if not argv:
        raise ValueError("exec needs a command")
    impl = spec.implementation()
    program_name = argv[0].rsplit("/", 1)[-1]
    if program_name == PILOT_AGENT and impl.kind != "proxy":
        raise FileNotFoundError(argv[0])  # only the proxy's image ships it
    if program_name == PILOT_DISCOVERY and impl.kind != "pilot":
        raise FileNotFoundError(argv[0])  # only istiod's
    # istiod's view includes what the local pilot (istiod here) wrote for Envoy, read-only.
    also = (spec.root / "envoy",) if impl.kind == "pilot" else ()
    env = pod_env(spec, impl.env)
    tools = tools_dir(spec.root)
    program = exec_sandbox.bwrap() if sandbox is not False else None
    if program is not None:
        env["PATH"] = exec_sandbox.sandbox_path(tools)
        env["HOME"] = "/tmp"
        local = images.exec_argv(argv)
        command = exec_sandbox.sandboxed(program, local, spec.pod, tools, spec.ca_bundle, also=also)
    else:
        path = exec_sandbox.fallback_path(spec.root, impl.kind, tools)
        env["PATH"] = str(path)
        command = exec_sandbox.fallback_argv(argv, impl.kind, path)
    return await _spawn(
        command,
        env,
        asyncio.subprocess.PIPE,
        asyncio.subprocess.PIPE,
        asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
    )


async def exec_command(
    spec: ContainerSpec,
    argv: Sequence[str],
    *,
    input: bytes | None = None,
    timeout: float = 300.0,
    sandbox: bool | None = None,
) -> ExecResult:
    """Run `argv` in `spec`'s pod to completion; on timeout its process group is killed."""
    try:
        process = await start_exec(spec, argv, stdin=input is not None, sandbox=sandbox)
    except FileNotFoundError:
        message = f'exec: "{argv[0]}": executable file not found in $PATH\n'
        return ExecResult(127, b"", message.encode())
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(input), timeout)
    except BaseException:
        await kill_group(process, 1.0)
        raise
    return ExecResult(process.returncode or 0, stdout, stderr)
