"""Validation of every write, through `istiotui.mesh.validation`.

Order as on a real API server: decoding first (unknown fields, per `fieldValidation`: Strict →
400 "strict decoding error", Warn → a `Warning` header and the field dropped, Ignore → dropped),
then validation (schema and Istio's own rules → 422 Invalid with the fields in details.causes).
Nothing is stored when either step refuses.
"""

from __future__ import annotations

from istiotui.local import status as st
from istiotui.mesh.kinds import Kind

FIELD_VALIDATION = ("Ignore", "Warn", "Strict")


def _validation():  # the module lands separately; without it only the API machinery checks run
    try:
        from istiotui.mesh import validation
    except ImportError:
        return None
    return validation


def available() -> bool:
    return _validation() is not None


def strip_unknown(kind: Kind, obj: dict, field_validation: str | None) -> tuple[dict, list[str]]:
    """Decoding: obj without the fields its schema does not know, and the warnings to send."""
    mode = field_validation or "Warn"
    if mode not in FIELD_VALIDATION:
        raise st.bad_request(
            f'fieldValidation parameter unsupported: "{mode}" (must be one of Ignore, Warn, Strict)'
        )
    mod = _validation()
    if mod is None:
        return obj, []
    unknown = mod.validate(obj).unknown_fields
    if not unknown:
        return obj, []
    texts = [f'unknown field "{f}"' for f in unknown]
    if mode == "Strict":
        # The API server prefixes the decoder's message for built-in kinds and custom resources
        # alike: `DestinationRule in version "v1" cannot be handled as a DestinationRule: …`.
        version = str(obj.get("apiVersion", "")).rpartition("/")[2]
        prefix = f'{kind.kind} in version "{version}" cannot be handled as a {kind.kind}: '
        raise st.bad_request(prefix + "strict decoding error: " + ", ".join(texts))
    return mod.prune_unknown(obj), (texts if mode == "Warn" else [])


def check(kind: Kind, obj: dict) -> None:
    """Validation: 422 Invalid with a cause per field the schema or Istio's rules reject."""
    mod = _validation()
    if mod is None:
        return
    result = mod.validate(obj)
    if result.errors:
        name = str(obj.get("metadata", {}).get("name", ""))
        causes = [
            {"reason": e.reason, "message": e.message, "field": e.field} for e in result.errors
        ]
        raise st.invalid(kind.kind, kind.group, name, causes)


def admit(kind: Kind, obj: dict, field_validation: str | None) -> tuple[dict, list[str]]:
    """The object to store (unknown fields pruned) and the warnings to send, or ApiError."""
    obj, warnings = strip_unknown(kind, obj, field_validation)
    check(kind, obj)
    return obj, warnings
