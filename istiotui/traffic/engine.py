"""The async probe engine: N requests at concurrency C and rate Q, streamed and summarised.

Where requests go is the vantage's business (`Target`): a base URL and, for in-mesh vantages on
the local cluster, the address every name resolves to — the client pod's sidecar, as iptables
capture would do on a node.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from istiotui.traffic.classify import Classifier, classifier
from istiotui.traffic.login import LoginFailed, form, login_url, refusal
from istiotui.traffic.stats import Response, Summary, summarise

__all__ = ["LoginFailed", "ProbeRun", "ProbeSpec", "Target", "run_probe"]

BODY_LIMIT = 256 * 1024  # enough for Bookinfo's page; bounds memory on long runs


@dataclass(frozen=True)
class ProbeSpec:
    url: str  # a path (joined to the target's base) or a full URL
    count: int = 1
    concurrency: int = 1
    qps: float = 0.0  # 0: as fast as it can
    timeout: float = 15.0
    method: str = "GET"
    host: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    user: str | None = None  # log in through productpage's form first
    keepalive: bool = True
    classify: str = "status"

    def __post_init__(self) -> None:
        # One message per field, naming it and the value, so a command can pass it on as is.
        for name, value, ok, rule in (
            ("count", self.count, self.count >= 1, "≥ 1"),
            ("concurrency", self.concurrency, self.concurrency >= 1, "≥ 1"),
            ("qps", self.qps, self.qps >= 0, "≥ 0"),
            ("timeout", self.timeout, self.timeout > 0, "> 0"),
        ):
            if not ok:
                raise ValueError(f"{name}: must be {rule}, got {value:g}")
        classifier(self.classify)  # raises ValueError naming the known ones
        if "://" in self.url:
            parsed = urlsplit(self.url)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ValueError(f"url: {self.url!r} is not an http(s) URL")
        elif not self.url.startswith("/"):
            raise ValueError(f"url: {self.url!r} is neither a path nor an http(s) URL")


@dataclass(frozen=True)
class Target:
    base_url: str = ""  # e.g. http://127.0.0.1:8080; empty when the spec's URL is complete
    resolve_to: str | None = None  # every host name resolves here (a sidecar address)
    ca_file: str | None = None  # to trust the local TLS stand-in
    # The local cluster's port mapping (address, declared port) → the port really listened on.
    bind_port: Callable[[str, int], int] | None = field(default=None, compare=False)

    def url(self, path_or_url: str) -> str:
        if "://" in path_or_url:
            return path_or_url
        return self.base_url.rstrip("/") + "/" + path_or_url.lstrip("/")


@dataclass(frozen=True)
class ProbeRun:
    responses: list[Response]
    summary: Summary


class _FixedResolver(AbstractResolver):
    """Resolves every name to one address: the client pod's sidecar."""

    def __init__(self, address: str, bind_port: Callable[[str, int], int] | None) -> None:
        self._address = address
        self._bind_port = bind_port

    async def resolve(
        self, host: str, port: int = 0, family: int = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {
                "hostname": host,
                "host": self._address,
                "port": self._bind_port(self._address, port) if self._bind_port else port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        return None


def _connector(target: Target, spec: ProbeSpec) -> aiohttp.TCPConnector:
    ssl_context: object = True
    if target.ca_file and spec.url.startswith("https:"):
        import ssl

        try:
            ssl_context = ssl.create_default_context(cafile=target.ca_file)
        except OSError as exc:
            raise OSError(f"cannot read the CA bundle {target.ca_file}: {exc}") from None
    kwargs: dict = {
        "limit": spec.concurrency,
        "force_close": not spec.keepalive,
        "ssl": ssl_context,
    }
    if target.resolve_to:
        kwargs["resolver"] = _FixedResolver(target.resolve_to, target.bind_port)
        kwargs["use_dns_cache"] = False
    return aiohttp.TCPConnector(**kwargs)


async def _read_body(resp: aiohttp.ClientResponse) -> bytes:
    """The body up to BODY_LIMIT. `read(n)` returns what has arrived so far, not n bytes: a page
    that comes in several segments must be read until its end."""
    chunks: list[bytes] = []
    size = 0
    while size < BODY_LIMIT:
        chunk = await resp.content.read(BODY_LIMIT - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


async def _login(session: aiohttp.ClientSession, target: Target, spec: ProbeSpec) -> None:
    assert spec.user is not None
    headers = {"Host": spec.host} if spec.host else {}
    url = login_url(target.base_url, spec.url)
    timeout = aiohttp.ClientTimeout(total=spec.timeout)
    try:
        async with session.post(
            url, data=form(spec.user), headers=headers, allow_redirects=False, timeout=timeout
        ) as resp:
            await resp.read()
            status, cookie = resp.status, bool(resp.cookies)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        if isinstance(exc, LoginFailed):
            raise
        reason = str(exc) or type(exc).__name__
        raise LoginFailed(f"login as {spec.user} at {url} failed: {reason}") from None
    refused = refusal(spec.user, url, status, cookie)
    if refused is not None:
        raise refused


async def run_probe(
    spec: ProbeSpec,
    target: Target,
    on_response: Callable[[Response], None] | None = None,
) -> ProbeRun:
    """Send the probe's requests; call `on_response` as each one finishes."""
    classify: Classifier = classifier(spec.classify)
    url = target.url(spec.url)
    headers = dict(spec.headers)
    if spec.host:
        headers["Host"] = spec.host
    timeout = aiohttp.ClientTimeout(total=spec.timeout)
    responses: list[Response] = []
    next_index = 0
    started = time.perf_counter()

    async def one(session: aiohttp.ClientSession) -> Response:
        t0 = time.perf_counter()
        try:
            async with session.request(
                spec.method, url, headers=headers, timeout=timeout, allow_redirects=False
            ) as resp:
                raw = await _read_body(resp)
                body = raw.decode("utf-8", errors="replace")
                latency = time.perf_counter() - t0
                got = dict(resp.headers)
                return Response(
                    resp.status, latency, classify(resp.status, got, body, latency), None, got, body
                )
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            latency = time.perf_counter() - t0
            reason = type(exc).__name__ if not str(exc) else f"{type(exc).__name__}: {exc}"
            return Response(None, latency, classify(None, {}, "", latency), reason)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal next_index
        while next_index < spec.count:
            index = next_index
            next_index += 1
            if spec.qps > 0:
                delay = started + index / spec.qps - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            result = await one(session)
            responses.append(result)
            if on_response is not None:
                on_response(result)

    async with aiohttp.ClientSession(
        connector=_connector(target, spec), cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        if spec.user:
            await _login(session, target, spec)
        await asyncio.gather(*(worker(session) for _ in range(spec.concurrency)))
    elapsed = time.perf_counter() - started
    return ProbeRun(responses, summarise(responses, elapsed))
