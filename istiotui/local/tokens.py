"""Namespace-bound bearer tokens: how the local cluster plays a user without cluster-wide rights.

`<state dir>/tokens` lists one token a line: `TOKEN NAMESPACE [USER]` (`#` starts a comment).
A request bearing such a token may use that namespace's objects and read the namespace itself;
anything else is refused as a real API server's RBAC refuses it (403 Forbidden, naming the user,
verb, resource and scope).

The cluster's owner is whoever holds the token of the local kubeconfig (`Context.owner_token`, see
istiotui.local.kubeconfig). A request with no token, or one the server does not know, is 401
Unauthorized, as kube-apiserver answers without anonymous access; only the health probes
(`/healthz`, `/livez`, `/readyz`) answer anyone, since they say nothing about the cluster.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from istiotui.local import status as st
from istiotui.local.context import Context
from istiotui.local.resource_urls import ResourceRequest, parse

FILE_NAME = "tokens"
_OPEN_PATHS = frozenset({"/healthz", "/livez", "/readyz"})


@dataclass(frozen=True)
class Grant:
    namespace: str
    user: str


class TokenFile:
    """The tokens file, read again whenever it changes (tests and users edit it live)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._grants: dict[str, Grant] = {}

    def grants(self) -> dict[str, Grant]:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._grants = None, {}
            return self._grants
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp != self._stamp:
            self._grants = parse_tokens(self.path.read_text(), str(self.path))
            self._stamp = stamp
        return self._grants


def parse_tokens(text: str, where: str) -> dict[str, Grant]:
    grants = {}
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) not in (2, 3):
            raise ValueError(f"{where}:{number}: expected 'TOKEN NAMESPACE [USER]', got {line!r}")
        token, namespace = fields[0], fields[1]
        user = fields[2] if len(fields) == 3 else f"system:serviceaccount:{namespace}:istiotui"
        grants[token] = Grant(namespace, user)
    return grants


def _verb(request: web.Request, rr: ResourceRequest) -> str:
    method = request.method
    if method == "GET":
        if request.query.get("watch", "").lower() in ("true", "1"):
            return "watch"
        if rr.subresource in ("exec", "portforward"):
            return "create"  # what RBAC checks for a WebSocket upgrade to these
        return "get" if rr.name else "list"
    if method == "DELETE" and rr.name is None:
        return "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(
        method, method.lower()
    )


def forbidden(request: web.Request, rr: ResourceRequest, grant: Grant) -> st.ApiError:
    resource = rr.kind.plural + (f"/{rr.subresource}" if rr.subresource else "")
    scope = f'in the namespace "{rr.namespace}"' if rr.namespace else "at the cluster scope"
    subject = f'{rr.kind.plural} "{rr.name}"' if rr.name else rr.kind.plural
    message = (
        f'{subject} is forbidden: User "{grant.user}" cannot {_verb(request, rr)} resource '
        f'"{resource}" in API group "{rr.kind.group}" {scope}'
    )
    return st.ApiError(
        403, "Forbidden", message, kind=rr.kind.plural, name=rr.name or "", group=rr.kind.group
    )


def _allowed(request: web.Request, rr: ResourceRequest, grant: Grant) -> bool:
    if rr.namespace is not None:
        return rr.namespace == grant.namespace
    # The one cluster-scoped thing such a user may do: read its own Namespace object.
    return rr.kind.kind == "Namespace" and rr.name == grant.namespace and request.method == "GET"


def middleware(ctx: Context):  # type: ignore[no-untyped-def]
    tokens = TokenFile(ctx.logs_dir.parent / FILE_NAME)

    @web.middleware
    async def check(request: web.Request, handler):  # type: ignore[no-untyped-def]
        if request.path in _OPEN_PATHS:
            return await handler(request)
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        owner = ctx.owner_token.encode()
        if token and owner and secrets.compare_digest(token.encode(errors="replace"), owner):
            return await handler(request)
        grant = tokens.grants().get(token) if token else None
        if grant is None:
            raise st.ApiError(401, "Unauthorized", "Unauthorized")
        if request.path.startswith(("/api/", "/apis/")):
            try:
                rr = parse(request.path)
            except st.ApiError:
                rr = None  # not a resource: the handler answers 404 itself
            if rr is not None and not _allowed(request, rr, grant):
                raise forbidden(request, rr, grant)
        return await handler(request)

    return check
