"""The OpenAPI v3 documents kubectl reads before `apply`.

kubectl 1.32 downloads `/openapi/v3` and the document of the resource's group-version. When the
resource's post/put/patch operations declare the `fieldValidation` query parameter, it leaves
validation to the server (it sends `fieldValidation=Strict`); it also reads the object schemas'
`x-kubernetes-patch-merge-key`/`-strategy` to build strategic merge patches. The schemas come from
`istiotui.mesh.validation.schema_for`; a kind without one gets no schema here, so kubectl falls
back to the merge keys compiled into it (built-in kinds) or to a JSON merge patch (the others).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from istiotui.mesh.kinds import KINDS, Kind, group_version, kinds_in

_FIELD_VALIDATION = {
    "name": "fieldValidation",
    "in": "query",
    "description": "Ignore, Warn or Strict: what to do with unknown or duplicate fields.",
    "schema": {"type": "string", "uniqueItems": True},
}
_DRY_RUN = {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}}
_FIELD_MANAGER = {
    "name": "fieldManager",
    "in": "query",
    "schema": {"type": "string", "uniqueItems": True},
}
_FORCE = {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": True}}


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def schema_name(kind: Kind, version: str) -> str:
    if kind.group == "":
        return f"io.k8s.api.core.{version}.{kind.kind}"
    if kind.group == "apps":
        return f"io.k8s.api.apps.{version}.{kind.kind}"
    reversed_group = ".".join(reversed(kind.group.split(".")))
    return f"{reversed_group}.{version}.{kind.kind}"


def _schema(kind: Kind, version: str) -> dict | None:
    try:
        from istiotui.mesh.validation import schema_for
    except ImportError:
        return None
    schema = schema_for(kind.group, version, kind.kind)
    if schema is None:
        return None
    gvk = [{"group": kind.group, "version": version, "kind": kind.kind}]
    return {**schema, "x-kubernetes-group-version-kind": gvk}


def _operation(kind: Kind, version: str, verb: str, params: list[dict], ref: str | None) -> dict:
    op: dict = {
        "operationId": f"{verb}{kind.kind}",
        "parameters": params,
        "x-kubernetes-action": verb,
        "x-kubernetes-group-version-kind": {
            "group": kind.group,
            "version": version,
            "kind": kind.kind,
        },
        "responses": {"200": {"description": "OK"}},
    }
    if ref:
        content = {"application/json": {"schema": {"$ref": ref}}}
        op["responses"] = {"200": {"description": "OK", "content": content}}
        if verb in ("post", "put"):
            op["requestBody"] = {"content": {"*/*": {"schema": {"$ref": ref}}}}
    return op


def document(group: str, version: str) -> dict | None:
    kinds = kinds_in(group, version)
    if not kinds:
        return None
    paths: dict[str, dict] = {}
    schemas: dict[str, dict] = {}
    prefix = "/" + _gv_path(group, version)
    for kind in kinds:
        schema = _schema(kind, version)
        ref = None
        if schema is not None:
            schemas[schema_name(kind, version)] = schema
            ref = f"#/components/schemas/{schema_name(kind, version)}"
        ns = "/namespaces/{namespace}" if kind.namespaced else ""
        collection = f"{prefix}{ns}/{kind.plural}"
        write = [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION]
        paths[collection] = {
            "get": _operation(kind, version, "list", [], None),
            "post": _operation(kind, version, "post", write, ref),
        }
        paths[collection + "/{name}"] = {
            "get": _operation(kind, version, "get", [], ref),
            "put": _operation(kind, version, "put", write, ref),
            "patch": _operation(kind, version, "patch", [*write, _FORCE], ref),
            "delete": _operation(kind, version, "delete", [_DRY_RUN], None),
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (istiotui local cluster)", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


@cache
def document_bytes(group: str, version: str) -> bytes | None:
    doc = document(group, version)
    return None if doc is None else json.dumps(doc).encode()


def _hash(group: str, version: str) -> str:
    body = document_bytes(group, version) or b""
    return hashlib.sha512(body).hexdigest().upper()[:128]


def index() -> dict:
    paths: dict[str, dict] = {}
    seen: set[tuple[str, str]] = set()
    for kind in KINDS:
        for version in kind.versions:
            if (kind.group, version) in seen:
                continue
            seen.add((kind.group, version))
            path = _gv_path(kind.group, version)
            paths[path] = {
                "serverRelativeURL": f"/openapi/v3/{path}?hash={_hash(kind.group, version)}"
            }
    return {"paths": paths}


def parse_gv(path: str) -> tuple[str, str] | None:
    """ "api/v1" → ("", "v1"); "apis/apps/v1" → ("apps", "v1")."""
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "api":
        return "", parts[1]
    if len(parts) == 3 and parts[0] == "apis":
        return parts[1], parts[2]
    return None


__all__ = ["document", "document_bytes", "group_version", "index", "parse_gv"]
