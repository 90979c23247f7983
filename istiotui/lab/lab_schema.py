"""The schema of `scenarios/` (docs/writing-steps.md), written with `istiotui.lab.schema` specs.

Rules that need more than one value of one mapping (min ≤ max, a vantage's own
keys) live in `post` checks next to the record they belong to; rules across
records (ids, references, manifests) are the loader's.
"""

from __future__ import annotations

from typing import Any, ClassVar

from istiotui.lab.schema import (
    INVALID,
    AnyMap,
    Bool,
    Ctx,
    Enum,
    Field,
    ListOf,
    MapOf,
    Node,
    Nullable,
    Number,
    Rec,
    Record,
    Spec,
    Str,
    TextListSpec,
    TextSpec,
    check_keys,
    id_label,
    join,
    kebab,
)
from istiotui.lab.yamlsource import MapNode, kind_of

DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
NAMESPACE = Str(DNS_LABEL, "a valid namespace name")
KIND = Str(r"[A-Z][A-Za-z0-9]*", "a Kubernetes kind (such as VirtualService)")
SHARE = Number(ge=0, le=1)


class Checked(Record):
    """A record with an extra check over its values once they are all valid."""

    def __init__(self, fields: dict[str, Field], post: Any, what: str = "a mapping") -> None:
        super().__init__(fields, what)
        self.post = post

    def check_entries(self, node: MapNode, cx: Ctx, path: str, seen: dict) -> Any:
        before = len(cx.problems)
        rec = super().check_entries(node, cx, path, seen)
        if len(cx.problems) == before:
            self.post(rec, cx, path)
        return rec


def _min_le_max(low: str = "min", high: str = "max", need_one: bool = False) -> Any:
    def post(rec: Rec, cx: Ctx, path: str) -> None:
        lo, hi = rec.get(low), rec.get(high)
        if need_one and low not in rec.key_lines and high not in rec.key_lines:
            cx.add(rec.line, path, f"needs {low!r}, {high!r} or both")
        elif lo is not None and hi is not None and lo > hi:
            cx.add(rec.line_of(high), join(path, high), f"{low} ({lo:g}) is greater than {high}")

    return post


# --- actions -----------------------------------------------------------------

OBJECT = {
    "kind": Field(KIND, required=True),
    "name": Field(Str(), required=True),
    "namespace": Field(NAMESPACE),
}


class OneOf(Spec):
    """The first spec whose shape (scalar or mapping) fits the node."""

    def __init__(self, scalar: Spec, mapping: Spec) -> None:
        self.scalar, self.mapping = scalar, mapping
        self.what = f"{scalar.what} or {mapping.what}"

    def check(self, node: Node, cx: Ctx, path: str) -> Any:
        spec = self.mapping if isinstance(node, MapNode) else self.scalar
        return spec.check(node, cx, path)


class ActionSpec(Spec):
    """A one-key mapping naming the action (`apply: PATH`), with the siblings that action allows."""

    what = "an action (a mapping such as `apply: PATH`)"
    kinds: ClassVar[dict[str, tuple[Spec, dict[str, Field]]]] = {}

    def check(self, node: Node, cx: Ctx, path: str) -> Any:
        if not isinstance(node, MapNode) or not node.entries:
            cx.add(node.anchor, path, f"must be {self.what}, found {kind_of(node)}")
            return INVALID
        named = [e for e in node.entries if e.key in self.kinds]
        if not named:
            first = node.entries[0]
            cx.add(
                first.key_line,
                path,
                f"unknown action {first.key!r}; actions are {', '.join(self.kinds)}",
            )
            return INVALID
        if len(named) > 1:
            keys = " and ".join(repr(e.key) for e in named)
            cx.add(named[1].key_line, path, f"one action per item, found {keys}")
            return INVALID
        kind = named[0].key
        value_spec, siblings = self.kinds[kind]
        fields = {kind: Field(value_spec, required=True), **siblings}
        rec = Record(fields).check(node, cx, path)
        rec.values["kind"] = kind
        return rec


ACTION = ActionSpec()
ActionSpec.kinds = {
    "apply": (Str(), {"namespace": Field(NAMESPACE)}),
    "create": (Str(), {"namespace": Field(NAMESPACE)}),
    "delete": (
        OneOf(Str(), Record(OBJECT, "a mapping with kind, name and namespace")),
        {"namespace": Field(NAMESPACE), "ignore_not_found": Field(Bool(), default=False)},
    ),
    "label": (
        Record({**OBJECT, "labels": Field(MapOf(Nullable(Str(empty_ok=True)), 1), True)}),
        {},
    ),
    "patch": (Record({**OBJECT, "patch": Field(AnyMap(), required=True)}), {}),
    "rollout_restart": (Record(OBJECT), {}),
    "wait": (
        Record(
            {
                "kind": Field(KIND, required=True),
                "namespace": Field(NAMESPACE),
                "selector": Field(Str()),
                "name": Field(Str()),
                "for": Field(Enum("ready", "available", "deleted"), default="ready"),
                "timeout": Field(Number(gt=0, duration=True), default=120),
            }
        ),
        {},
    ),
    "istioctl": (ListOf(Str(), min_items=1), {"local": Field(ListOf(ACTION))}),
    "host": (Str(), {}),
    "manual": (TextSpec(), {}),
}


# --- probes ------------------------------------------------------------------

PATH_VANTAGES = ("ingress", "port-forward")
URL_VANTAGES = ("pod", "egress-client")


def _probe_post(rec: Rec, cx: Ctx, path: str) -> None:
    vantage, url = rec["vantage"], rec["url"]
    if vantage in PATH_VANTAGES and not url.startswith("/"):
        where = join(path, "url")
        cx.add(rec.line_of("url"), where, f"must be a path starting with / for {vantage}")
    if vantage in URL_VANTAGES and not url.startswith(("http://", "https://")):
        cx.add(rec.line_of("url"), join(path, "url"), f"must be a full http(s) URL for {vantage}")
    if vantage == "pod" and "from" not in rec:
        cx.add(rec.line, path, "vantage pod needs 'from' (the client pod)")
    if vantage not in URL_VANTAGES and "from" in rec:
        cx.add(rec.key_lines["from"], path, "'from' is only for vantage pod or egress-client")
    if (vantage == "port-forward") != ("service" in rec):
        if "service" in rec:
            cx.add(rec.key_lines["service"], path, "'service' is only for vantage port-forward")
        else:
            cx.add(rec.line, path, "vantage port-forward needs 'service'")


PROBE = Checked(
    {
        "id": Field(kebab(), required=True),
        "vantage": Field(Enum("ingress", "egress-client", "pod", "port-forward"), required=True),
        "from": Field(
            Record(
                {
                    "namespace": Field(NAMESPACE),
                    "selector": Field(Str(), required=True),
                    "container": Field(Str()),
                }
            )
        ),
        "service": Field(
            Record(
                {
                    "namespace": Field(NAMESPACE),
                    "name": Field(Str(), required=True),
                    "port": Field(Number(integer=True, gt=0, le=65535), required=True),
                }
            )
        ),
        "url": Field(Str(), required=True),
        "method": Field(Enum("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"), default="GET"),
        "host": Field(Str()),
        "headers": Field(MapOf(Str(empty_ok=True))),
        "user": Field(Str()),
        "count": Field(Number(integer=True, gt=0), default=1),
        "concurrency": Field(Number(integer=True, gt=0), default=1),
        "qps": Field(Number(ge=0), default=0),
        "timeout": Field(Number(gt=0, duration=True), default=15),
        "keepalive": Field(Bool(), default=False),
        "classify": Field(
            Enum("reviews-version", "stars", "status", "flag", "latency", prefixes=["header:"]),
            default="status",
        ),
        "logs": Field(
            Record(
                {
                    "namespace": Field(NAMESPACE),
                    "deployment": Field(Str(), required=True),
                    "container": Field(Str()),
                }
            )
        ),
    },
    _probe_post,
)


# --- expectations ------------------------------------------------------------


def _shares_post(shares: dict[str, float], line: int, cx: Ctx, path: str) -> None:
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6:
        cx.add(line, path, f"shares must add up to 1, they add up to {total:g}")


EXPECTATION_KINDS: dict[str, Spec] = {
    "only": Str(),
    "all_of": ListOf(Str(), min_items=1),
    "shares": MapOf(SHARE, min_items=1),
    "status": Number(integer=True, ge=100, le=599),
    "status_share": Checked(
        {
            "code": Field(Number(integer=True, ge=100, le=599), required=True),
            "min": Field(SHARE, default=0.0),
            "max": Field(SHARE, default=1.0),
        },
        _min_le_max(),
    ),
    "latency": Checked(
        {
            "percentile": Field(Number(gt=0, le=100), required=True),
            "min": Field(Number(ge=0)),
            "max": Field(Number(ge=0)),
        },
        _min_le_max(need_one=True),
    ),
    "text": Str(),
    "no_text": Str(),
    "log_lines": Checked(
        {"min": Field(Number(integer=True, ge=0)), "max": Field(Number(integer=True, ge=0))},
        _min_le_max(need_one=True),
    ),
    "header": Checked(
        {
            "name": Field(Str(), required=True),
            "value": Field(Str(empty_ok=True)),
            "min_share": Field(SHARE, default=0.0),
            "max_share": Field(SHARE, default=1.0),
        },
        _min_le_max("min_share", "max_share"),
    ),
}


EDGE = Record(
    {
        "from": Field(Str(), required=True),
        "to": Field(Str(), required=True),
        "versions": Field(ListOf(Str(), min_items=1)),
        "requests": Field(Enum("probe")),
        "min": Field(Number(integer=True, ge=0), default=1),
    }
)
EXPECTATION_KINDS["stat"] = Record(
    {
        "from": Field(
            Record({"namespace": Field(NAMESPACE), "selector": Field(Str(), required=True)}),
            required=True,
        ),
        "name": Field(Str(), required=True),
        "equals_status": Field(Number(integer=True, ge=100, le=599), required=True),
    }
)
EXPECTATION_KINDS["graph"] = Record(
    {
        "namespace": Field(NAMESPACE),
        "edges": Field(ListOf(EDGE, min_items=1), required=True),
    }
)


class ExpectationSpec(Spec):
    """`{probe: P, <one kind>: …, why: …}`; `confidence` goes with `shares` only."""

    what = "an expectation (a mapping such as {probe: P, only: v1})"

    def check(self, node: Node, cx: Ctx, path: str) -> Any:
        if not isinstance(node, MapNode):
            cx.add(node.anchor, path, f"must be {self.what}, found {kind_of(node)}")
            return INVALID
        allowed = ["probe", *EXPECTATION_KINDS, "confidence", "why"]
        seen = check_keys(node, cx, path, allowed)
        kinds = [k for k in seen if k in EXPECTATION_KINDS]
        if not kinds:
            cx.add(
                node.anchor, path, f"names no expectation; one of: {', '.join(EXPECTATION_KINDS)}"
            )
            return INVALID
        if len(kinds) > 1:
            second = seen[kinds[1]][0]
            cx.add(second, path, f"one expectation per item, found {' and '.join(kinds)}")
            return INVALID
        kind = kinds[0]
        if "confidence" in seen and kind != "shares":
            cx.add(seen["confidence"][0], path, "'confidence' goes with 'shares' only")
        fields = {
            "probe": Field(kebab(), required=True),
            kind: Field(EXPECTATION_KINDS[kind], required=True),
            "why": Field(TextSpec()),
        }
        if kind == "shares":
            fields["confidence"] = Field(Number(gt=0, lt=1), default=0.999)
        before = len(cx.problems)
        rec = Record(fields).check_entries(node, cx, path, seen)
        if kind == "shares" and len(cx.problems) == before:
            _shares_post(rec["shares"], rec.line_of("shares"), cx, join(path, "shares"))
        rec.values["kind"] = kind
        return rec


# --- steps, sections, lab ----------------------------------------------------

STEP = Record(
    {
        "id": Field(kebab(), required=True),
        "title": Field(TextSpec(), required=True),
        "text": Field(TextSpec(), required=True),
        "where": Field(Enum("any", "real", "local"), default="any"),
        "namespace": Field(NAMESPACE, default="default"),
        "commands": Field(ListOf(Str()), default=[]),
        "requires": Field(ListOf(kebab()), default=[]),
        "actions": Field(ListOf(ACTION), default=[]),
        "cleanup": Field(ListOf(ACTION), default=[]),
        "probes": Field(ListOf(PROBE, label=id_label), default=[]),
        "expect": Field(ListOf(ExpectationSpec()), default=[]),
        "expected": Field(TextSpec(), required=True),
    },
    "a step (a mapping)",
)

SECTION = Record(
    {
        "id": Field(kebab(), required=True),
        "number": Field(Number(integer=True, ge=0), required=True),
        "title": Field(TextSpec(), required=True),
        "intro": Field(TextSpec()),
        "steps": Field(ListOf(STEP, min_items=1, label=id_label), required=True),
    },
    "a section (a mapping)",
)

LAB = Record(
    {
        "id": Field(kebab(), required=True),
        "title": Field(TextSpec(), required=True),
        "intro": Field(TextSpec(), required=True),
        "objectives": Field(TextListSpec(), required=True),
        "prerequisites": Field(TextListSpec(), required=True),
    },
    "the lab (a mapping)",
)
