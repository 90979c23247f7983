"""The Envoy supervisor: one real Envoy, fed clusters, route tables and listeners through files.

`apply(config)` writes what changed — CDS, then the RDS files, then LDS (see envoy_files.py), each
replaced by rename, which Envoy's watched directories pick up — and returns only when Envoy's
admin reports every new version live. A configuration Envoy
refuses raises `ConfigRejected` with Envoy's own reason, and the previous files are put back so
that what runs — and what a restart would load — stays the last good configuration. If Envoy dies,
it is started again on the same files. Envoy runs in its own process group and is stopped with
SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from istiotui import process_group
from istiotui.local.envoy_bootstrap import ADMIN_HOST, base_id, dynamic_bootstrap, envoy_binary
from istiotui.local.envoy_files import (
    RouteFile,
    inotify_room,
    split_routes,
    texts_response,
    write_atomically,
)
from istiotui.local.pilot import EnvoyConfig, canonical
from istiotui.local.pilot.compile import CLUSTER_TYPE, LISTENER_TYPE

logger = logging.getLogger(__name__)

EMPTY_VERSION = "empty"
_POLL = 0.005
_WARMING = "listener_manager.total_listeners_warming"
# What apply() watches, asked for in the forms Envoy's admin answers fastest (a full /stats
# filter walks every statistic: ~12 ms here, against ~2 ms for these three together).
_STATS_QUERIES = (
    {"type": "TextReadouts"},  # the subscriptions' version_text
    {
        "usedonly": "",  # a counter never incremented reads as 0 anyway
        "type": "Counters",
        "filter": r"^(cluster_manager\.cds|listener_manager\.lds|http\..*\.rds\..*)"
        r"\.(update_rejected|update_success)$",
    },
    {"type": "Gauges", "usedonly": "", "filter": r"^listener_manager\.total_listeners_warming$"},
)


@dataclass(frozen=True)
class _Written:
    path: Path
    old: bytes | None  # None: the file is new
    scope: str | None  # the stat scope of the subscription that reads it, if one does

    def put_back(self) -> None:
        if self.old is None:
            self.path.unlink(missing_ok=True)
        else:
            write_atomically(self.path, self.old)


class EnvoyError(RuntimeError):
    """Envoy did not start, died for good, or did not take a configuration in time."""


class ConfigRejected(EnvoyError):
    """Envoy refused a configuration; the previous one keeps serving."""


def _describe(stat: str) -> str:
    scope = stat.rsplit(".", 1)[0]
    if scope == "cluster_manager.cds":
        return "the clusters (CDS)"
    if scope == "listener_manager.lds":
        return "the listeners (LDS)"
    prefix, _, table = scope.removeprefix("http.").rpartition(".rds.")
    proxy, _, listener = prefix.partition("|")
    return f"route table {table} of {proxy} ({listener}, RDS)"


class EnvoySupervisor:
    def __init__(
        self,
        state_dir: Path,
        admin_port: int = 0,
        *,
        binary: str | None = None,
        concurrency: int = 2,
        drain_seconds: int = 2,
        route_files: int | None = None,
    ) -> None:
        self.state_dir = Path(state_dir)
        # 0: Envoy takes a free port and writes it to `admin_address_path`; read after each start
        # (a restarted Envoy may get another one).
        self.requested_admin_port = admin_port
        self.admin_port = admin_port
        self.binary = binary or envoy_binary()
        self.concurrency = concurrency
        self.drain_seconds = drain_seconds
        self.dir = self.state_dir / "envoy"
        self.lds_path = self.dir / "lds" / "lds.json"
        self.cds_path = self.dir / "cds" / "cds.json"
        self.rds_dir = self.dir / "rds"
        self.log_path = self.dir / "envoy.log"
        self.admin_address_path = self.dir / "admin.address"
        self.restarts = 0
        self._proc: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False
        self._lock = asyncio.Lock()
        self._ready = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._applied: EnvoyConfig | None = None
        self._clusters_text = self._listeners_text = ""
        self._routes: dict[str, str] = {}  # route file key → version Envoy has
        # listener text → (the listener reading RDS, its text, its route files); see _split_routes
        self._split: dict[str, tuple[dict[str, Any], str, dict[str, RouteFile]]] = {}
        # How many route files Envoy may watch (one inotify instance each), set at start from
        # what this user has left; `route_files` given: that many at most.
        self.route_files = route_files if route_files is not None else 0
        self._fixed_route_files = route_files is not None
        self._warned_inline = False
        # Route files whose listener went away → when: a draining listener keeps its inotify
        # instance a while (drain time, then the parent's shutdown), so its room is not lent yet.
        self._released: dict[str, float] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def admin_url(self) -> str:
        return f"http://{ADMIN_HOST}:{self.admin_port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc and self._proc.returncode is None else None

    @property
    def serving(self) -> bool:
        """Envoy runs and has loaded its files (its /ready answered since its last start): a
        crashed or restarting Envoy serves no listener, whatever the configuration says."""
        return self.pid is not None and self._ready.is_set()

    @property
    def current(self) -> EnvoyConfig | None:
        """The configuration Envoy serves now (None before the first apply)."""
        return self._applied

    async def start(self, timeout: float = 30.0) -> None:
        """Start Envoy on an empty configuration; `apply()` then gives it the mesh's."""
        self.dir.mkdir(parents=True, exist_ok=True)
        if not self._fixed_route_files:
            self.route_files = inotify_room()
        for path in (self.lds_path, self.cds_path):
            path.parent.mkdir(exist_ok=True)
            empty = {"version_info": EMPTY_VERSION, "resources": []}
            write_atomically(path, json.dumps(empty).encode())
        shutil.rmtree(self.rds_dir, ignore_errors=True)
        bootstrap = dynamic_bootstrap(self.requested_admin_port, self.lds_path, self.cds_path)
        (self.dir / "bootstrap.json").write_text(json.dumps(bootstrap, indent=1), encoding="utf-8")
        self._stopping = False
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=5), connector=aiohttp.TCPConnector(limit=4)
        )
        try:
            await self._spawn()
            await self._wait_ready(timeout)
        except BaseException:
            await self.stop()  # an Envoy that never became ready is not left behind
            raise
        self._watch = asyncio.create_task(self._keep_running(), name="envoy-supervisor")

    async def _spawn(self) -> None:
        self._ready.clear()
        self.admin_address_path.unlink(missing_ok=True)
        self.admin_port = self.requested_admin_port
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        try:
            self._proc = await asyncio.create_subprocess_exec(
                self.binary,
                "-c", str(self.dir / "bootstrap.json"),
                "--base-id", str(base_id(self.state_dir)),
                "--admin-address-path", str(self.admin_address_path),
                "--concurrency", str(self.concurrency),
                "--drain-time-s", str(self.drain_seconds),
                "--drain-strategy", "immediate",
                "--parent-shutdown-time-s", str(self.drain_seconds + 1),
                # Access logs are pod logs: flush often so `kubectl logs -f` follows closely.
                "--file-flush-interval-msec", "200",
                "-l", "warning",
                "--component-log-level", "config:info",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                # Dies with the cluster even if the cluster is killed: start the supervisor from
                # the thread that runs the event loop for the cluster's whole life.
                **process_group.spawn_options(die_with_parent=True),
            )  # fmt: skip
        finally:
            log.close()

    async def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.returncode is not None:
                raise EnvoyError(
                    f"envoy exited while starting; see {self.log_path}:\n{self._tail()}"
                )
            if not self.admin_port and not self._read_admin_address():
                await asyncio.sleep(0.02)
                continue
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with self._http().get(f"{self.admin_url}/ready") as resp:
                    if resp.status == 200:
                        self._pin_admin_port()
                        self._ready.set()
                        return
            await asyncio.sleep(0.05)
        raise EnvoyError(f"envoy did not become ready within {timeout:.0f}s; see {self.log_path}")

    def _pin_admin_port(self) -> None:
        """A restart keeps the admin port the first start found free: `server.json`, the
        pods' `pilot-agent` and the graph read it once, and the dead Envoy has let it go."""
        if self.requested_admin_port == 0 and self.admin_port:
            self.requested_admin_port = self.admin_port
            bootstrap = dynamic_bootstrap(self.admin_port, self.lds_path, self.cds_path)
            text = json.dumps(bootstrap, indent=1)
            (self.dir / "bootstrap.json").write_text(text, encoding="utf-8")

    def _read_admin_address(self) -> bool:
        """The admin port Envoy chose, once it has written it ("127.0.0.1:PORT")."""
        try:
            text = self.admin_address_path.read_text().strip()
        except OSError:
            return False
        port = text.rpartition(":")[2]
        if not port.isdigit():
            return False
        self.admin_port = int(port)
        return True

    async def _keep_running(self) -> None:
        """Restart Envoy on the current files whenever it exits without being asked to."""
        backoff = 0.2
        while not self._stopping:
            proc = self._proc
            assert proc is not None
            code = await proc.wait()
            if self._stopping:
                return
            self._ready.clear()
            with open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(f"[istiotui] envoy exited with status {code}; restarting\n")
            await asyncio.sleep(backoff)
            try:
                await self._spawn()
                await self._wait_ready(30.0)
                self.restarts += 1
                backoff = 0.2
            except (EnvoyError, OSError) as exc:
                with open(self.log_path, "a", encoding="utf-8") as fh:
                    fh.write(f"[istiotui] restart failed: {exc}\n")
                backoff = min(backoff * 2, 5.0)

    async def stop(self, grace: float = 5.0) -> None:
        """SIGTERM to Envoy's process group, SIGKILL after `grace` seconds."""
        self._stopping = True
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        proc = self._proc
        if proc is not None and proc.returncode is None:
            await process_group.stop_async(proc, grace)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> EnvoySupervisor:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- configuration -----------------------------------------------------------------------

    async def apply(self, config: EnvoyConfig, timeout: float = 15.0) -> None:
        """Make `config` live; returns once Envoy reports every changed part of it in use."""
        async with self._lock:
            deadline = time.monotonic() + timeout
            await self._await_running(deadline)
            if self._applied is not None and self._applied.version == config.version:
                return
            for log in config.log_files:
                Path(log).parent.mkdir(parents=True, exist_ok=True)
            listener_texts, cluster_texts = config.texts()
            listeners, routes = self._split_routes(config.listeners, listener_texts)
            clusters_text = "[" + ",".join(cluster_texts) + "]"
            listeners_text = "[" + ",".join(text for _, text in listeners) + "]"
            written: list[_Written] = []
            try:
                # Clusters first (new routes may name them), then route tables (a new listener
                # reads its table when it is created), then listeners.
                if clusters_text != self._clusters_text:
                    body = texts_response(config.version, CLUSTER_TYPE, cluster_texts)
                    await self._write_and_wait(
                        [(self.cds_path, body, "cluster_manager.cds")],
                        {"cluster_manager.cds.version_text": config.version},
                        written,
                        deadline,
                    )
                changed = [r for k, r in routes.items() if self._routes.get(k) != r.version]
                await self._write_and_wait(
                    [(r.path, r.data, r.stat_scope if r.key in self._routes else None)
                     for r in changed],
                    {r.version_stat: r.version for r in changed if r.key in self._routes},
                    written,
                    deadline,
                )  # fmt: skip
                if listeners_text != self._listeners_text:
                    body = texts_response(
                        config.version, LISTENER_TYPE, [text for _, text in listeners]
                    )
                    await self._write_and_wait(
                        [(self.lds_path, body, "listener_manager.lds")],
                        {"listener_manager.lds.version_text": config.version, _WARMING: "0"},
                        written,
                        deadline,
                    )
            except EnvoyError:
                # Refused, or not taken in time: what is on disk goes back to the last good
                # configuration, which is also what a restart of Envoy would load.
                await self._restore(written, deadline)
                raise
            except BaseException:  # cancelled: no waiting, but no half-written files either
                for w in reversed(written):
                    w.put_back()
                raise
            # Route files of listeners that went away stay on disk: Envoy may still watch their
            # directory (a draining listener's subscription is reused when the listener comes
            # back), and a watch on a removed directory never fires again.
            self._applied = config
            self._clusters_text, self._listeners_text = clusters_text, listeners_text
            now = time.monotonic()
            self._released.update((k, now) for k in self._routes if k not in routes)
            self._routes = {k: r.version for k, r in routes.items()}

    def _split_routes(
        self, listeners: list[dict[str, Any]], texts: tuple[str, ...]
    ) -> tuple[list[tuple[dict[str, Any], str]], dict[str, RouteFile]]:
        """split_routes, listener by listener, each kept by its text from one apply to the
        next: a change to one listener splits (and serializes) that one only. Route files
        stay within `route_files` (each is an inotify instance): the listeners kept count
        first, a table that had a file keeps it, new tables take what room is left."""
        kept: dict[str, tuple[dict[str, Any], str, dict[str, RouteFile]]] = {}
        found: list[tuple[dict[str, Any], str, dict[str, RouteFile]] | None] = []
        routes: dict[str, RouteFile] = {}
        for text in texts:
            split = kept.get(text) or self._split.get(text)
            if split is not None:
                kept[text] = split
                routes.update(split[2])
            found.append(split)
        granted: set[str] = set(routes)
        now, drain = time.monotonic(), self.drain_seconds + 2
        self._released = {k: t for k, t in self._released.items() if now - t < drain}
        # What Envoy watches now or may still (a listener going away drains with its files).
        held = set(self._routes) | set(self._released)
        taken = len(held | granted)
        inline = 0

        def room(key: str) -> bool:
            nonlocal inline, taken
            if key in granted or key in held:
                granted.add(key)
                return True
            if taken < self.route_files:
                granted.add(key)
                taken += 1
                return True
            inline += 1
            return False

        out: list[tuple[dict[str, Any], str]] = []
        for i, (listener, text) in enumerate(zip(listeners, texts, strict=True)):
            split = found[i] or kept.get(text)
            if split is None:
                (done,), files = split_routes([listener], self.rds_dir, room)
                split = (done, canonical(done), files)
                kept[text] = split
                routes.update(files)
            out.append((split[0], split[1]))
        if inline and not self._warned_inline:
            self._warned_inline = True
            logger.warning(
                "%d route tables stay inline in their listeners: this user's inotify instances"
                " (fs.inotify.max_user_instances) leave room for %d route files, one per table;"
                " a route change to these replaces the listener instead",
                inline,
                self.route_files,
            )
        self._split = kept
        return out, routes

    async def _write_and_wait(
        self,
        files: list[tuple[Path, bytes, str | None]],
        expect: dict[str, str],
        written: list[_Written],
        deadline: float,
    ) -> None:
        """Replace files (path, data, stat scope of the subscription reading it, if any) and wait
        until the stats in `expect` read their values; a rejection raises ConfigRejected."""
        if not files:
            return
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        before = await self._stats()
        rejected = {f"{scope}.update_rejected" for _, _, scope in files if scope}
        for path, data, scope in files:
            old = path.read_bytes() if path.exists() else None
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, data)
            written.append(_Written(path, old, scope))
        while True:
            stats = await self._stats()
            if all(stats.get(k) == v for k, v in expect.items()):
                return
            for name in rejected:
                if int(stats.get(name, 0)) > int(before.get(name, 0)):
                    raise ConfigRejected(
                        f"envoy rejected the update of {_describe(name)}:"
                        f" {self._rejection_reason(offset)}"
                    )
            if time.monotonic() > deadline:
                late = {k: stats.get(k) for k, v in expect.items() if stats.get(k) != v}
                raise EnvoyError(
                    f"envoy did not take the new configuration in time (still {late}); see"
                    f" {self.log_path}"
                )
            await asyncio.sleep(_POLL)

    async def _await_running(self, deadline: float) -> None:
        if self._session is None:
            raise EnvoyError("the Envoy supervisor is not started")
        try:
            await asyncio.wait_for(self._ready.wait(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise EnvoyError(f"envoy is not running; see {self.log_path}") from None

    async def _restore(self, written: list[_Written], deadline: float) -> None:
        """Put the last good files back, so that what runs, and what a restart would load, is
        the last good configuration. A refused LDS update may have been taken in part (Envoy
        adds listeners one by one): wait until Envoy has read each restored file."""
        for w in reversed(written):
            success = f"{w.scope}.update_success" if w.scope else None
            before = int((await self._stats()).get(success, 0)) if success else 0
            w.put_back()
            while success and w.old is not None and time.monotonic() < deadline:
                if int((await self._stats()).get(success, 0)) > before:
                    break
                await asyncio.sleep(_POLL)

    async def _stats(self) -> dict[str, str]:
        """The subscription statistics apply() watches, as name → value."""
        out = {_WARMING: "0"}
        for params in _STATS_QUERIES:
            try:
                async with self._http().get(f"{self.admin_url}/stats", params=params) as resp:
                    text = await resp.text()
            except (TimeoutError, aiohttp.ClientError):
                return {}  # Envoy restarting: the caller keeps polling until its deadline
            for line in text.splitlines():
                key, _, value = line.partition(": ")
                out[key.strip()] = value.strip().strip('"')
        return out

    def _rejection_reason(self, offset: int) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                fh.seek(offset)
                lines = fh.read().splitlines()
        except OSError:
            lines = []
        for line in reversed(lines):
            if "rejected" in line:
                return line.split("] ", 2)[-1].split(" rejected: ", 1)[-1].strip()
        return f"no reason found in {self.log_path}"

    def _tail(self, n: int = 10) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise EnvoyError("the Envoy supervisor is not started")
        return self._session

    async def admin(self, path: str) -> str:
        """GET an admin path (e.g. `/stats?filter=…`, `/config_dump`) and return its text."""
        async with self._http().get(f"{self.admin_url}{path}") as resp:
            return await resp.text()

    def snapshot(self) -> dict[str, Any]:
        """What a status view shows about Envoy."""
        return {
            "pid": self.pid,
            "admin": self.admin_url,
            "version": self._applied.version if self._applied else None,
            "restarts": self.restarts,
            "log": str(self.log_path),
        }
