"""`deployments/NAME/scale`: the autoscaling/v1 `Scale` view of a Deployment (`kubectl scale`).

GET answers the Scale; PUT and PATCH (merge, JSON or strategic merge patch of the Scale) change
only `spec.replicas` of the Deployment, through the same store and hooks as any other write.
"""

from __future__ import annotations

from aiohttp import web

from istiotui.local import status as st
from istiotui.local.context import Context
from istiotui.local.resource_urls import ResourceRequest, decode, decode_object
from istiotui.local.routes_objects import dry_run_requested, respond, settle_write
from istiotui.mesh import patch as patches


def _selector(deploy: dict) -> str:
    labels = deploy.get("spec", {}).get("selector", {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in labels.items())


def as_scale(deploy: dict) -> dict:
    meta = deploy["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                           "creationTimestamp") if k in meta},
        "spec": {"replicas": int(deploy.get("spec", {}).get("replicas", 1))},
        "status": {
            "replicas": int(deploy.get("status", {}).get("replicas", 0)),
            "selector": _selector(deploy),
        },
    }  # fmt: skip


def _replicas(scale: dict) -> int:
    value = scale.get("spec", {}).get("replicas")
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise st.invalid(
            "Scale",
            "autoscaling",
            str(scale.get("metadata", {}).get("name", "")),
            [{"reason": "FieldValueInvalid", "field": "spec.replicas",
              "message": f"Invalid value: {value!r}: must be greater than or equal to 0"}],
        )  # fmt: skip
    return value


async def scale(request: web.Request, ctx: Context, rr: ResourceRequest) -> web.StreamResponse:
    if rr.kind.kind != "Deployment" or rr.name is None:
        raise st.ApiError(404, "NotFound", "the server could not find the requested resource")
    ns = rr.namespace or "default"
    deploy = ctx.store.get(rr.kind, ns, rr.name)
    if request.method == "GET":
        return respond(as_scale(deploy))
    if request.method not in ("PUT", "PATCH"):
        raise st.method_not_allowed(f"{request.method} is not served on deployments/scale")
    body = await request.read()
    current = as_scale(deploy)
    if request.method == "PUT":
        wanted = decode_object(body, request.content_type)
    else:
        data = decode(body, request.content_type)
        try:
            if request.content_type == "application/json-patch+json":
                wanted = patches.json_patch(current, data)
            elif request.content_type == "application/strategic-merge-patch+json":
                wanted = patches.strategic_merge_patch(current, data)
            elif request.content_type == "application/merge-patch+json":
                wanted = patches.merge_patch(current, data)
            else:
                raise st.unsupported_media(request.content_type)
        except patches.PatchError as exc:
            raise st.ApiError(422, "Invalid", str(exc)) from None
    replicas = _replicas(wanted)
    rv = wanted.get("metadata", {}).get("resourceVersion")
    new = {**deploy, "spec": {**deploy["spec"], "replicas": replicas}}
    if rv:
        new["metadata"] = {**deploy["metadata"], "resourceVersion": rv}
    dry = dry_run_requested(request)
    stored = ctx.store.update(rr.kind, ns, new, dry_run=dry)
    await settle_write(ctx, dry, [(rr.kind, deploy, stored)])
    return respond(as_scale(stored))
