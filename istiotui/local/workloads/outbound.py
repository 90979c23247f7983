"""Where a pod's outbound request really goes, as iptables capture would decide on a real node.

A pod with a sidecar sends every request for a name (`http://reviews:9080/...`) to its sidecar IP
on the destination's port, keeping the original `Host` header (and, for https, the TLS SNI) so
that the sidecar's listener can route it. A pod without a sidecar sends it the same way to the
node address (127.X.Y.0, the .0 of its pod's /24), where the local pilot plays cluster DNS and
kube-proxy: the Service the name means, a ready endpoint round robin, no Istio
(`pilot/node_proxy.py`). A name no Service has comes back marked, and is the client's "Could not
resolve host".
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from istiotui import settings
from istiotui.local.addresses import UNRESOLVED_HEADER, bind_port, node_ip

SIDECAR_ENV = settings.SIDECAR_IP.name
POD_IP_ENV = settings.POD_IP.name
CA_BUNDLE_ENV = settings.CA_BUNDLE.name

DEFAULT_PORTS = {"http": 80, "https": 443}


class OutboundError(Exception):
    """A URL that cannot be turned into a connection."""


class UnresolvableHost(OutboundError):
    """A name that resolves to nothing (curl's exit code 6): no Service has it, or the caller
    is no pod of the local cluster (no pod address to find its node by)."""

    def __init__(self, host: str) -> None:
        super().__init__(f"Could not resolve host: {host}")
        self.host = host


@dataclass(frozen=True)
class Target:
    """One request's destination: what the URL says and where the bytes actually go."""

    scheme: str
    host: str
    port: int
    path: str
    connect_host: str
    connect_port: int
    via_sidecar: bool
    via_node: bool = False  # a sidecar-less pod's name, resolved at the node address

    def unresolved(self, headers: Mapping[str, str]) -> bool:
        """Whether an answer says the name resolved to nothing (see pilot/node_proxy.py)."""
        return self.via_node and UNRESOLVED_HEADER in headers

    @property
    def host_header(self) -> str:
        if self.port == DEFAULT_PORTS[self.scheme]:
            return _bracket(self.host)
        return f"{_bracket(self.host)}:{self.port}"

    @property
    def server_hostname(self) -> str | None:
        """The TLS SNI and the name the certificate must match (https only)."""
        return self.host if self.scheme == "https" else None

    @property
    def connect_url(self) -> str:
        return f"{self.scheme}://{_bracket(self.connect_host)}:{self.connect_port}{self.path}"


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def resolve(url: str, env: Mapping[str, str] | None = None) -> Target:
    """Turn a URL into a `Target` for a pod whose environment is `env` (default: this process's).

    IP literals go where they say (they are real addresses on this machine, e.g. the ingress
    gateway on 127.0.0.1:8080); `localhost` is the pod itself; any other name goes to the sidecar.
    """
    env = os.environ if env is None else env
    parts = urlsplit(url if "://" in url else f"http://{url}")
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise OutboundError(f"unsupported protocol {scheme!r} in {url!r} (only http and https)")
    host = (parts.hostname or "").lower()
    if not host:
        raise OutboundError(f"no host in URL {url!r}")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise OutboundError(f"bad port in URL {url!r}: {exc}") from None
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    # Connections go where the cluster's processes really listen (80 → 10080 on its addresses).
    if _is_ip(host):
        return Target(scheme, host, port, path, host, bind_port(host, port), via_sidecar=False)
    if host == "localhost":
        own = env.get(POD_IP_ENV) or "127.0.0.1"
        return Target(scheme, host, port, path, own, bind_port(own, port), via_sidecar=False)
    sidecar = env.get(SIDECAR_ENV)
    if sidecar:
        return Target(scheme, host, port, path, sidecar, bind_port(sidecar, port), via_sidecar=True)
    try:
        node = node_ip(env.get(POD_IP_ENV) or "")
    except ValueError:
        raise UnresolvableHost(host) from None
    return Target(scheme, host, port, path, node, bind_port(node, port), False, via_node=True)


def request_kwargs(target: Target, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """aiohttp request arguments that send `target`'s request with its original Host and SNI.

    A `Host` given in `headers` wins, as with `curl -H 'Host: …'`.
    """
    merged = {"Host": target.host_header}
    for name, value in (headers or {}).items():
        if name.lower() == "host":
            merged["Host"] = value
        else:
            merged[name] = value
    kwargs: dict[str, Any] = {"headers": merged}
    if target.scheme == "https":
        kwargs["server_hostname"] = target.server_hostname
    return kwargs


def connector(env: Mapping[str, str] | None = None, **kwargs: Any) -> aiohttp.TCPConnector:
    """A connector whose connections leave from the pod's own IP, as they would on a pod network
    (so a server or the sidecar's access log sees which pod called)."""
    env = os.environ if env is None else env
    own = env.get(POD_IP_ENV)
    if own:
        kwargs.setdefault("local_addr", (own, 0))
    return aiohttp.TCPConnector(**kwargs)


def unpooled_session() -> aiohttp.ClientSession:
    """A client session that opens a new connection for every request, as Bookinfo's do."""
    return aiohttp.ClientSession(connector=connector(force_close=True))


async def get_json(
    session: aiohttp.ClientSession,
    url: str,
    *,
    headers: Mapping[str, str],
    timeout: float,
) -> tuple[int, Any]:
    """GET `url` through the pod's sidecar; (status, parsed JSON or None).

    Connection failures and timeouts raise (aiohttp.ClientError, TimeoutError, OutboundError):
    the callers treat any of them like a failed attempt.
    """
    target = resolve(url)
    async with session.get(
        target.connect_url,
        timeout=aiohttp.ClientTimeout(total=timeout),
        **request_kwargs(target, headers),
    ) as resp:
        body = await resp.read()
        try:
            data = await resp.json(content_type=None) if body else None
        except ValueError:
            data = None
        return resp.status, data
