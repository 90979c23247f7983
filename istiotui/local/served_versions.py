"""`ISTIOTUI_LOCAL_ISTIO_VERSIONS=v1beta1,v1alpha3`: serve fewer Istio networking versions, as a
cluster with an older Istio does (v1 arrived with Istio 1.22), so that version discovery and
manifest adaptation can be tried against the local cluster. Unset: everything is served.

The server reads the variable once, at start. Discovery documents (`/apis`, the group) list only
the served versions, and every URL under another version is 404, as on such a cluster.
"""

from __future__ import annotations

import json

from aiohttp import web

from istiotui import settings
from istiotui.local import status as st

ENV = settings.LOCAL_ISTIO_VERSIONS.name
GROUP = "networking.istio.io"


def _filter_group(group: dict, served: list[str]) -> dict:
    versions = [v for v in group.get("versions") or [] if v.get("version") in served]
    return {**group, "versions": versions, "preferredVersion": versions[0] if versions else None}


def middleware(environ: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """The middleware, or a pass-through when the variable is unset."""
    served = list(settings.LOCAL_ISTIO_VERSIONS.get(environ))

    @web.middleware
    async def narrow(request: web.Request, handler):  # type: ignore[no-untyped-def]
        if not served:
            return await handler(request)
        parts = [p for p in request.path.split("/") if p]
        if parts[:2] == ["apis", GROUP] and len(parts) >= 3 and parts[2] not in served:
            raise st.ApiError(404, "NotFound", "the server could not find the requested resource")
        response = await handler(request)
        if parts == ["apis"] or parts == ["apis", GROUP]:
            data = json.loads(response.body)
            if parts == ["apis"]:
                data["groups"] = [
                    _filter_group(g, served) if g.get("name") == GROUP else g
                    for g in data.get("groups") or []
                ]
            else:
                data = _filter_group(data, served)
            return web.json_response(data, status=response.status)
        return response

    return narrow
