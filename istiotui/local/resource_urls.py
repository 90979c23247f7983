"""Parsing resource URLs (`/api/v1/namespaces/NS/pods/NAME/log`, `/apis/G/V/PLURAL`) against the
kinds table, and decoding request bodies (JSON or YAML) with the API server's error messages."""

from __future__ import annotations

import json
from dataclasses import dataclass

import yaml

from istiotui.local import protobuf
from istiotui.local import status as st
from istiotui.mesh.kinds import Kind, by_plural, group_version, kinds_in


@dataclass(frozen=True)
class ResourceRequest:
    kind: Kind
    version: str
    namespace: str | None  # None: all namespaces (or a cluster-scoped kind)
    name: str | None
    subresource: str | None

    @property
    def api_version(self) -> str:
        return group_version(self.kind.group, self.version)


def parse(path: str) -> ResourceRequest | None:
    """The resource a path names; None for a group-version root (a discovery document).
    Unknown groups, versions or resources are 404 NotFound, as on a real server."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise st.ApiError(404, "NotFound", "the server could not find the requested resource")
    if not kinds_in(group, version):
        raise st.ApiError(404, "NotFound", "the server could not find the requested resource")
    if not rest:
        return None
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        candidate = by_plural(group, version, rest[2])
        if candidate is not None and candidate.namespaced:
            namespace, rest = rest[1], rest[2:]
    kind = by_plural(group, version, rest[0])
    if kind is None or len(rest) > 3:
        raise st.ApiError(404, "NotFound", "the server could not find the requested resource")
    if kind.namespaced and namespace is None and len(rest) > 1:
        # /api/v1/pods/NAME: a namespaced object needs its namespace in the path.
        raise st.ApiError(404, "NotFound", "the server could not find the requested resource")
    name = rest[1] if len(rest) >= 2 else None
    sub = rest[2] if len(rest) == 3 else None
    return ResourceRequest(kind, version, namespace, name, sub)


def decode(body: bytes, content_type: str) -> object:
    """A request body as data; malformed JSON or YAML is 400 BadRequest naming line and column."""
    if content_type == "application/vnd.kubernetes.protobuf":
        return protobuf.decode(body)
    if "protobuf" in content_type or "cbor" in content_type:
        raise st.unsupported_media(content_type)
    text = body.decode("utf-8", errors="replace")
    if not text.strip():
        raise st.bad_request("the request body is empty")
    if "yaml" in content_type:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise st.bad_request(f"error decoding YAML: {where}{problem}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise st.bad_request(
            f"error decoding JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


def decode_object(body: bytes, content_type: str) -> dict:
    data = decode(body, content_type)
    if not isinstance(data, dict):
        raise st.bad_request("the request body must be an object (a Kubernetes resource)")
    return data


def check_type(req: ResourceRequest, obj: dict) -> None:
    """The body's apiVersion/kind must be the URL's (they may be left out)."""
    want_av = req.api_version
    av, kind = obj.get("apiVersion"), obj.get("kind")
    if kind is not None and kind != req.kind.kind:
        raise st.bad_request(
            f'kind "{kind}" in the body does not match the resource '
            f"{req.kind.plural} ({req.kind.kind})"
        )
    if av is not None and av != want_av:
        if av in [group_version(req.kind.group, v) for v in req.kind.versions]:
            return
        raise st.bad_request(
            f"the API version in the data ({av}) does not match the expected API version "
            f"({want_av})"
        )
