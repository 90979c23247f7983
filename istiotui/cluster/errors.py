"""The API server's refusals, turned into sentences that name the object and the field."""

from __future__ import annotations

import json

from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic.exceptions import DynamicApiError


class ClusterError(Exception):
    """A request the cluster refused or could not serve."""

    def __init__(self, message: str, status: int | None = None, reason: str | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason


def describe(obj_ref: str, exc: Exception) -> ClusterError:
    """`VirtualService bookinfo/reviews: Invalid: spec.http[0].route[0].weight: …`."""
    status = getattr(exc, "status", None)
    body = getattr(exc, "body", None)
    if isinstance(exc, DynamicApiError):
        body = exc.body
    parsed: dict = {}
    if body:
        try:
            parsed = json.loads(body if isinstance(body, str) else body.decode())
        except (ValueError, AttributeError):
            parsed = {}
    reason = parsed.get("reason") or getattr(exc, "reason", None)
    message = parsed.get("message") or str(exc)
    causes = (parsed.get("details") or {}).get("causes") or []
    fields = "; ".join(
        f"{c.get('field')}: {c.get('message')}" if c.get("field") else str(c.get("message"))
        for c in causes
    )
    text = f"{obj_ref}: {reason}: {fields or message}" if reason else f"{obj_ref}: {message}"
    if status == 403:
        text = f"{obj_ref}: forbidden (HTTP 403): {message}"
    return ClusterError(text, status, reason)


API_ERRORS = (ApiException, DynamicApiError)
