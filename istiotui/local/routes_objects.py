"""Handlers for resource URLs: get, list, create, update, patch, delete (watch: routes_watch).

Every write goes: decode body → check apiVersion/kind → compute the new object (patch/apply) →
validation (admission) → managedFields → store (or nothing, with `dryRun=All`) → the after-write
hooks (the data plane) → the store flushed to disk → the answer. Any refusal raises ApiError before
the store is touched, so a rejected write changes nothing; a write the data plane refuses is
undone (Store.revert: watches see the write, then its undo) before the error goes out, so what
the store holds is always what Envoy serves. The deletion of a namespace is not undone (what it
held is gone with it): its error says the deletion stands.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
from typing import Any

from aiohttp import web

from istiotui.local import admission, defaulting, managed_fields
from istiotui.local import status as st
from istiotui.local.context import Context, NotSettled
from istiotui.local.resource_urls import ResourceRequest, check_type, decode, decode_object
from istiotui.local.selectors import field_selector, label_selector
from istiotui.local.store import as_version
from istiotui.mesh import patch as patches
from istiotui.mesh.kinds import Kind
from istiotui.mesh.tables import table

log = logging.getLogger(__name__)

JSON = "application/json"
_APPLY = "application/apply-patch+yaml"
_MERGE = "application/merge-patch+json"
_STRATEGIC = "application/strategic-merge-patch+json"
_JSON_PATCH = "application/json-patch+json"
# Kinds whose DELETE answers with the deleted object; the others answer with a Status.
_RETURNS_OBJECT = {"Pod", "Service", "Namespace"}


def respond(data: Any, status: int = 200, warnings: list[str] | None = None) -> web.Response:
    resp = web.Response(body=json.dumps(data).encode(), status=status, content_type=JSON)
    for w in warnings or []:
        resp.headers.add("Warning", '299 - "' + w.replace('"', '\\"') + '"')
    return resp


def wants_table(request: web.Request) -> bool:
    return "as=Table" in request.headers.get("Accept", "")


def dry_run_requested(request: web.Request) -> bool:
    values = request.query.getall("dryRun", [])
    for v in values:
        if v != "All":
            raise st.bad_request(f'unsupported dryRun value "{v}" (only "All" is supported)')
    return bool(values)


def _manager(request: web.Request, *, required: bool = False) -> str:
    manager = request.query.get("fieldManager")
    if manager:
        if len(manager) > 128:
            raise st.bad_request("fieldManager may not be longer than 128 characters")
        return manager
    if required:
        raise st.bad_request("fieldManager is required for apply requests")
    agent = request.headers.get("User-Agent", "unknown")
    return agent.split("/", 1)[0] or "unknown"


def _serve(ctx: Context, rr: ResourceRequest, obj: dict) -> dict:
    return as_version(obj, rr.kind, rr.version)


def _ns(rr: ResourceRequest) -> str:
    return rr.namespace or "" if rr.kind.namespaced else ""


# A write as the store took it: (kind, the object before, the object after); None: absent.
Written = tuple[Kind, dict | None, dict | None]


async def settle_write(ctx: Context, dry: bool, writes: list[Written]) -> None:
    """Wait for the data plane to serve the writes; if it cannot, undo them and raise the Status
    that says why. Either way the store is on disk before the answer goes out."""
    if dry:
        return
    try:
        await ctx.settle()
    except NotSettled as exc:
        undone = [w for w in reversed(writes) if ctx.store.revert(*w)]
        ctx.store.flush()
        if undone:
            # Envoy kept what it served before; bring the pilot's view back to it as well.
            with contextlib.suppress(NotSettled):
                await ctx.settle()
        raise _not_settled(exc, writes, bool(undone)) from None
    ctx.store.flush()


def _not_settled(exc: NotSettled, writes: list[Written], undone: bool) -> st.ApiError:
    outcome = "nothing was stored" if undone else "the write stands"
    log.warning("data plane refused a write (%s): %s", outcome, exc)
    kind, before, after = writes[0] if writes else (None, None, None)
    if exc.refused and kind is not None:
        name = (after or before or {}).get("metadata", {}).get("name", "")
        message = f"the data plane refused it ({outcome}): {exc}"
        cause = {"reason": "FieldValueInvalid", "message": message, "field": "spec"}
        return st.invalid(kind.kind, kind.group, name, [cause])
    return st.ApiError(
        500, "InternalError", f"Internal error occurred: the data plane did not take the write"
        f" ({outcome}): {exc}"
    )  # fmt: skip


def _target_ns(rr: ResourceRequest, obj: dict) -> str:
    if not rr.kind.namespaced:
        return ""
    return rr.namespace or obj.get("metadata", {}).get("namespace") or "default"


def _check_subresource(rr: ResourceRequest, method: str) -> None:
    if rr.subresource in (None, "status"):
        return
    raise st.method_not_allowed(
        f"the local cluster does not serve {rr.kind.plural}/{rr.subresource} ({method})"
    )


async def get(request: web.Request, ctx: Context, rr: ResourceRequest) -> web.StreamResponse:
    _check_subresource(rr, "GET")
    assert rr.name is not None
    obj = _serve(ctx, rr, ctx.store.get(rr.kind, _ns(rr), rr.name))
    if wants_table(request):
        return respond(
            table(
                rr.kind,
                [obj],
                ctx.now(),
                include_object=request.query.get("includeObject", "Metadata"),
            )
        )
    return respond(obj)


async def list_(request: web.Request, ctx: Context, rr: ResourceRequest) -> web.StreamResponse:
    lmatch = label_selector(request.query.get("labelSelector"))
    fmatch = field_selector(request.query.get("fieldSelector"))
    items, rv = ctx.store.list(rr.kind, rr.namespace, lambda o: lmatch(o) and fmatch(o))
    items = [_serve(ctx, rr, o) for o in items]
    if wants_table(request):
        include = request.query.get("includeObject", "Metadata")
        return respond(
            table(rr.kind, items, ctx.now(), include_object=include, resource_version=rv)
        )
    return respond(
        {
            "kind": f"{rr.kind.kind}List",
            "apiVersion": rr.api_version,
            "metadata": {"resourceVersion": rv},
            "items": items,
        }
    )


def _prepare(rr: ResourceRequest, obj: dict) -> dict:
    check_type(rr, obj)
    obj["apiVersion"], obj["kind"] = rr.kind.api_version, rr.kind.kind
    meta = obj.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        raise st.bad_request("metadata must be an object")
    return obj


async def create(request: web.Request, ctx: Context, rr: ResourceRequest) -> web.StreamResponse:
    if rr.subresource or rr.name:
        raise st.method_not_allowed("POST is only served on a collection")
    body = await request.read()
    obj = _prepare(rr, decode_object(body, request.content_type))
    dry = dry_run_requested(request)
    obj, warnings = admission.admit(rr.kind, obj, request.query.get("fieldValidation"))
    obj = defaulting.on_create(ctx.store, rr.kind, obj, _target_ns(rr, obj))
    obj = managed_fields.record_update(
        None, obj, manager=_manager(request), api_version=rr.api_version,
        now=ctx.store.clock(), builtin=rr.kind.builtin,
    )  # fmt: skip
    created = ctx.store.create(rr.kind, _ns(rr), obj, dry_run=dry)
    await settle_write(ctx, dry, [(rr.kind, None, created)])
    return respond(_serve(ctx, rr, created), 201, warnings)


def _check_name(rr: ResourceRequest, obj: dict) -> None:
    meta = obj.setdefault("metadata", {})
    name = meta.get("name")
    if name and name != rr.name:
        raise st.bad_request(
            f"the name of the object ({name}) does not match the name on the URL ({rr.name})"
        )
    meta["name"] = rr.name


async def update(request: web.Request, ctx: Context, rr: ResourceRequest) -> web.StreamResponse:
    _check_subresource(rr, "PUT")
    body = await request.read()
    obj = _prepare(rr, decode_object(body, request.content_type))
    _check_name(rr, obj)
    dry = dry_run_requested(request)
    old = ctx.store.get(rr.kind, _ns(rr), rr.name or "")
    obj = defaulting.prepare_update(rr.kind, old, obj)
    obj, warnings = admission.admit(rr.kind, obj, request.query.get("fieldValidation"))
    obj = defaulting.on_update(ctx.store, rr.kind, old, obj)
    obj = managed_fields.record_update(
        old, obj, manager=_manager(request), api_version=rr.api_version,
        now=ctx.store.clock(), builtin=rr.kind.builtin,
    )  # fmt: skip
    new = ctx.store.update(rr.kind, _ns(rr), obj, dry_run=dry, subresource=rr.subresource or "")
    await settle_write(ctx, dry, [(rr.kind, old, new)])
    return respond(_serve(ctx, rr, new), 200, warnings)


def _patched(rr: ResourceRequest, old: dict, content_type: str, body: bytes) -> dict:
    data = decode(body, content_type)
    try:
        if content_type == _MERGE:
            if not isinstance(data, dict):
                raise st.bad_request("a merge patch must be a JSON object")
            return patches.merge_patch(old, data)
        if content_type == _JSON_PATCH:
            return patches.json_patch(old, data)
        if content_type == _STRATEGIC:
            if not rr.kind.builtin:
                raise st.unsupported_media(content_type)
            return patches.strategic_merge_patch(old, data)
    except patches.PatchError as exc:
        raise st.ApiError(
            422, "Invalid", str(exc), kind=rr.kind.kind, name=rr.name, group=rr.kind.group
        ) from None
    raise st.unsupported_media(content_type)


async def patch(request: web.Request, ctx: Context, rr: ResourceRequest) -> web.StreamResponse:
    _check_subresource(rr, "PATCH")
    content_type = request.content_type
    body = await request.read()
    dry = dry_run_requested(request)
    fv = request.query.get("fieldValidation")
    ns, name = _ns(rr), rr.name or ""
    if content_type == _APPLY:
        return await _apply(request, ctx, rr, body, dry, fv)
    if "force" in request.query:
        raise st.bad_request(
            "force is only allowed on apply requests (application/apply-patch+yaml)"
        )
    old = ctx.store.get(rr.kind, ns, name)
    new = _patched(rr, old, content_type, body)
    if not isinstance(new, dict):
        raise st.bad_request("the patch did not produce an object")
    new = _prepare(rr, new)
    _check_name(rr, new)
    new = defaulting.prepare_update(rr.kind, old, new)
    new, warnings = admission.admit(rr.kind, new, fv)
    new = defaulting.on_update(ctx.store, rr.kind, old, new)
    new = managed_fields.record_update(
        old, new, manager=_manager(request), api_version=rr.api_version,
        now=ctx.store.clock(), builtin=rr.kind.builtin,
    )  # fmt: skip
    stored = ctx.store.update(rr.kind, ns, new, dry_run=dry, subresource=rr.subresource or "")
    await settle_write(ctx, dry, [(rr.kind, old, stored)])
    return respond(_serve(ctx, rr, stored), 200, warnings)


async def _apply(
    request: web.Request, ctx: Context, rr: ResourceRequest, body: bytes, dry: bool, fv: str | None
) -> web.StreamResponse:
    config = _prepare(rr, decode_object(body, _APPLY))
    if not config.get("apiVersion") or not config.get("kind"):
        raise st.bad_request("apiVersion and kind are required in an apply configuration")
    _check_name(rr, config)
    manager = _manager(request, required=True)
    force = request.query.get("force", "false").lower() == "true"
    config, warnings = admission.strip_unknown(rr.kind, config, fv)
    ns, name = _ns(rr), rr.name or ""
    old = ctx.store.find(rr.kind, ns, name)
    try:
        new = managed_fields.apply(
            old, config, manager=manager, force=force, api_version=rr.api_version,
            now=ctx.store.clock(), builtin=rr.kind.builtin,
        )  # fmt: skip
    except managed_fields.ApplyConflict as exc:
        causes = managed_fields.conflict_message(exc.conflicts)
        fields = ", ".join(f"{c['message']}: {c['field']}" for c in causes)
        n = len(causes)
        raise st.ApiError(
            409, "Conflict",
            f"Apply failed with {n} conflict{'s' if n > 1 else ''}: {fields}",
            kind=rr.kind.plural, name=name, group=rr.kind.group, causes=causes,
        ) from None  # fmt: skip
    new = _prepare(rr, defaulting.prepare_update(rr.kind, old, new))
    admission.check(rr.kind, new)
    if old is None:
        if rr.subresource:
            raise st.not_found(rr.kind.plural, rr.kind.group, name)
        new = defaulting.on_create(ctx.store, rr.kind, new, _target_ns(rr, new))
        created = ctx.store.create(rr.kind, ns, new, dry_run=dry)
        await settle_write(ctx, dry, [(rr.kind, None, created)])
        return respond(_serve(ctx, rr, created), 201, warnings)
    # A resourceVersion in the configuration is a precondition (stale → 409), as on a real server.
    wanted_rv = config.get("metadata", {}).get("resourceVersion")
    new["metadata"]["resourceVersion"] = wanted_rv or old["metadata"]["resourceVersion"]
    new = defaulting.on_update(ctx.store, rr.kind, old, new)
    stored = ctx.store.update(rr.kind, ns, new, dry_run=dry, subresource=rr.subresource or "")
    await settle_write(ctx, dry, [(rr.kind, old, stored)])
    return respond(_serve(ctx, rr, stored), 200, warnings)


def _delete_options(body: bytes) -> dict:
    if not body.strip():
        return {}
    data = decode(body, JSON)
    return data if isinstance(data, dict) else {}


def _success(rr: ResourceRequest, obj: dict) -> dict:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {
            "name": obj["metadata"]["name"],
            "group": rr.kind.group,
            "kind": rr.kind.plural,
            "uid": obj["metadata"].get("uid", ""),
        },
    }


async def delete(request: web.Request, ctx: Context, rr: ResourceRequest) -> web.StreamResponse:
    _check_subresource(rr, "DELETE")
    if rr.subresource:
        raise st.method_not_allowed(f"DELETE is not served on {rr.kind.plural}/{rr.subresource}")
    options = _delete_options(await request.read())
    dry = dry_run_requested(request) or "All" in (options.get("dryRun") or [])
    ns = _ns(rr)
    if rr.name is None:
        lmatch = label_selector(request.query.get("labelSelector"))
        fmatch = field_selector(request.query.get("fieldSelector"))
        items, rv = ctx.store.list(rr.kind, rr.namespace, lambda o: lmatch(o) and fmatch(o))
        for obj in items:
            ctx.store.delete(
                rr.kind, obj["metadata"].get("namespace", ""), obj["metadata"]["name"], dry_run=dry
            )
        gone: list[Written] = [] if rr.kind.kind == "Namespace" else [
            (rr.kind, obj, None) for obj in items
        ]  # fmt: skip
        await settle_write(ctx, dry or not items, gone)
        kind_list = {"kind": f"{rr.kind.kind}List", "apiVersion": rr.api_version}
        return respond({**kind_list, "metadata": {"resourceVersion": rv}, "items": items})
    current = ctx.store.get(rr.kind, ns, rr.name)
    pre = options.get("preconditions") or {}
    for key in ("uid", "resourceVersion"):
        if pre.get(key) and pre[key] != current["metadata"].get(key):
            raise st.conflict(
                rr.kind.plural, rr.kind.group, rr.name,
                f"Precondition failed: {key} in precondition: {pre[key]}, "
                f"{key} in object meta: {current['metadata'].get(key)}",
            )  # fmt: skip
    old = ctx.store.delete(rr.kind, ns, rr.name, dry_run=dry)
    await settle_write(ctx, dry, [] if rr.kind.kind == "Namespace" else [(rr.kind, old, None)])
    if rr.kind.kind == "Namespace":
        old = copy.deepcopy(old)
        old["status"] = {"phase": "Terminating"}
    if rr.kind.kind in _RETURNS_OBJECT or not rr.kind.builtin:
        return respond(_serve(ctx, rr, old))
    return respond(_success(rr, old))
