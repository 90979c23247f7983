"""Istio's rejections of VirtualServices (CRD schema and validating webhook): a minimal failing
object per rule, with the exact field path and reason."""

from __future__ import annotations

import pytest

from istiotui.mesh.validation import FieldError, validate

from .edits import edit, meta

VS = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "VirtualService",
    "metadata": meta("reviews"),
    "spec": {
        "hosts": ["reviews"],
        "http": [
            {
                "match": [{"uri": {"prefix": "/"}}],
                "route": [
                    {"destination": {"host": "reviews", "subset": "v1"}, "weight": 50},
                    {"destination": {"host": "reviews", "subset": "v2"}, "weight": 50},
                ],
            }
        ],
    },
}
INVALID = "FieldValueInvalid"
REQUIRED = "FieldValueRequired"
NOT_SUPPORTED = "FieldValueNotSupported"
TYPE = "FieldValueTypeInvalid"
FORBIDDEN = "FieldValueForbidden"
DUPLICATE = "FieldValueDuplicate"

R0 = "spec.http[0].route[0]"

CASES = [
    # --- VirtualService
    (
        "all weights zero",
        edit(edit(VS, f"{R0}.weight", 0), "spec.http[0].route[1].weight", 0),
        "spec.http[0].route",
        INVALID,
    ),
    (
        "fault percentage too small to say",
        edit(
            VS, "spec.http[0].fault", {"abort": {"httpStatus": 500, "percentage": {"value": 1e-5}}}
        ),
        "spec.http[0].fault.abort.percentage.value",
        INVALID,
    ),
    (
        "http2Error abort",
        edit(VS, "spec.http[0].fault", {"abort": {"http2Error": "x"}}),
        "spec.http[0].fault.abort.http2Error",
        FORBIDDEN,
    ),
    (
        "unknown grpcStatus",
        edit(VS, "spec.http[0].fault", {"abort": {"grpcStatus": "BROKEN"}}),
        "spec.http[0].fault.abort.grpcStatus",
        NOT_SUPPORTED,
    ),
    (
        "empty prefix",
        edit(VS, "spec.http[0].match[0].uri", {"prefix": ""}),
        "spec.http[0].match[0].uri.prefix",
        INVALID,
    ),
    (
        "header name with a space",
        edit(VS, "spec.http[0].match[0].headers", {"end user": {"exact": "jason"}}),
        "spec.http[0].match[0].headers.end user",
        INVALID,
    ),
    (
        "setting Host in a response",
        edit(VS, "spec.http[0].headers", {"response": {"set": {"Host": "x"}}}),
        "spec.http[0].headers.response.set.Host",
        INVALID,
    ),
    (
        "redirect scheme",
        edit(edit(VS, "spec.http[0].route"), "spec.http[0].redirect", {"scheme": "ftp"}),
        "spec.http[0].redirect.scheme",
        NOT_SUPPORTED,
    ),
    (
        "uriRegexRewrite without rewrite",
        edit(VS, "spec.http[0].rewrite", {"uriRegexRewrite": {"match": "^/a"}}),
        "spec.http[0].rewrite.uriRegexRewrite.rewrite",
        REQUIRED,
    ),
    (
        "overlapping hosts",
        edit(VS, "spec.hosts", ["*.example.com", "a.example.com"]),
        "spec.hosts[1]",
        DUPLICATE,
    ),
    ("weight negative", edit(VS, f"{R0}.weight", -1), f"{R0}.weight", INVALID),
    ("weight as string", edit(VS, f"{R0}.weight", "50"), f"{R0}.weight", TYPE),
    (
        "timeout not a duration",
        edit(VS, "spec.http[0].timeout", "abc"),
        "spec.http[0].timeout",
        INVALID,
    ),
    (
        "timeout below 1ms",
        edit(VS, "spec.http[0].timeout", "100us"),
        "spec.http[0].timeout",
        INVALID,
    ),
    (
        "perTryTimeout",
        edit(VS, "spec.http[0].retries", {"attempts": 2, "perTryTimeout": "2x"}),
        "spec.http[0].retries.perTryTimeout",
        INVALID,
    ),
    (
        "retries attempts negative",
        edit(VS, "spec.http[0].retries", {"attempts": -1}),
        "spec.http[0].retries.attempts",
        INVALID,
    ),
    (
        "retryOn unknown",
        edit(VS, "spec.http[0].retries", {"attempts": 2, "retryOn": "5xx,sometimes"}),
        "spec.http[0].retries.retryOn",
        INVALID,
    ),
    (
        "fixedDelay",
        edit(
            VS, "spec.http[0].fault", {"delay": {"fixedDelay": "7", "percentage": {"value": 100}}}
        ),
        "spec.http[0].fault.delay.fixedDelay",
        INVALID,
    ),
    (
        "delay percentage above 100",
        edit(
            VS, "spec.http[0].fault", {"delay": {"fixedDelay": "7s", "percentage": {"value": 101}}}
        ),
        "spec.http[0].fault.delay.percentage.value",
        INVALID,
    ),
    (
        "abort httpStatus below 200",
        edit(VS, "spec.http[0].fault", {"abort": {"httpStatus": 99}}),
        "spec.http[0].fault.abort.httpStatus",
        INVALID,
    ),
    (
        "abort httpStatus above 600",
        edit(VS, "spec.http[0].fault", {"abort": {"httpStatus": 601}}),
        "spec.http[0].fault.abort.httpStatus",
        INVALID,
    ),
    (
        "abort percentage negative",
        edit(VS, "spec.http[0].fault", {"abort": {"httpStatus": 500, "percentage": {"value": -5}}}),
        "spec.http[0].fault.abort.percentage.value",
        INVALID,
    ),
    ("empty fault", edit(VS, "spec.http[0].fault", {}), "spec.http[0].fault", REQUIRED),
    (
        "route without destinations",
        edit(VS, "spec.http[0].route", []),
        "spec.http[0].route",
        REQUIRED,
    ),
    (
        "destination without host",
        edit(VS, f"{R0}.destination.host"),
        f"{R0}.destination.host",
        REQUIRED,
    ),
    (
        "destination host *",
        edit(VS, f"{R0}.destination.host", "*"),
        f"{R0}.destination.host",
        INVALID,
    ),
    (
        "destination port range",
        edit(VS, f"{R0}.destination.port", {"number": 70000}),
        f"{R0}.destination.port.number",
        INVALID,
    ),
    (
        "no hosts (a delegate) bound to gateways",
        edit(edit(VS, "spec.hosts", []), "spec.gateways", ["bookinfo-gateway"]),
        "spec.gateways",
        FORBIDDEN,
    ),
    (
        "no hosts (a delegate) with tcp routes",
        edit(
            edit(VS, "spec.hosts"),
            "spec.tcp",
            [{"route": [{"destination": {"host": "mongo"}}]}],
        ),
        "spec.tcp",
        FORBIDDEN,
    ),
    ("VirtualService with no routes", edit(VS, "spec.http"), "spec.http", REQUIRED),
    ("wildcard host on mesh", edit(VS, "spec.hosts", ["*"]), "spec.hosts[0]", INVALID),
    (
        "invalid uri regex",
        edit(VS, "spec.http[0].match[0].uri", {"regex": "(unclosed"}),
        "spec.http[0].match[0].uri.regex",
        INVALID,
    ),
    (
        "invalid header regex",
        edit(VS, "spec.http[0].match[0].headers", {"end-user": {"regex": "[a-"}}),
        "spec.http[0].match[0].headers.end-user.regex",
        INVALID,
    ),
    (
        "two kinds in one StringMatch",
        edit(VS, "spec.http[0].match[0].uri", {"exact": "/a", "prefix": "/"}),
        "spec.http[0].match[0].uri",
        INVALID,
    ),
    (
        "StringMatch as string",
        edit(VS, "spec.http[0].match[0].uri", "/productpage"),
        "spec.http[0].match[0].uri",
        TYPE,
    ),
    (
        "mirrorPercentage above 100",
        edit(VS, "spec.http[0].mirrorPercentage", {"value": 150.0}),
        "spec.http[0].mirrorPercentage.value",
        INVALID,
    ),
    (
        "route and redirect",
        edit(VS, "spec.http[0].redirect", {"uri": "/x"}),
        "spec.http[0].redirect",
        FORBIDDEN,
    ),
    (
        "redirect code",
        edit(
            edit(VS, "spec.http[0].route"),
            "spec.http[0].redirect",
            {"uri": "/x", "redirectCode": 200},
        ),
        "spec.http[0].redirect.redirectCode",
        INVALID,
    ),
    (
        "match port",
        edit(VS, "spec.http[0].match[0].port", 0),
        "spec.http[0].match[0].port",
        INVALID,
    ),
    (
        "tls route without sniHosts",
        edit(
            VS, "spec.tls", [{"match": [{"port": 443}], "route": [{"destination": {"host": "a"}}]}]
        ),
        "spec.tls[0].match[0].sniHosts",
        REQUIRED,
    ),
    (
        "sni host outside the hosts",
        edit(
            VS,
            "spec.tls",
            [{"match": [{"sniHosts": ["other.com"]}], "route": [{"destination": {"host": "a"}}]}],
        ),
        "spec.tls[0].match[0].sniHosts[0]",
        INVALID,
    ),
    (
        "tcp route without route",
        edit(VS, "spec.tcp", [{"match": [{"port": 27017}]}]),
        "spec.tcp[0].route",
        REQUIRED,
    ),
    ("exportTo", edit(VS, "spec.exportTo", ["Bad_NS"]), "spec.exportTo[0]", INVALID),
    ("gateway name", edit(VS, "spec.gateways", ["a/B_c"]), "spec.gateways[0]", INVALID),
    # --- wrong JSON types and oneOf groups
    (
        "list where object",
        edit(VS, f"{R0}.destination", [{"host": "a"}]),
        f"{R0}.destination",
        TYPE,
    ),
    ("object where list", edit(VS, "spec.hosts", {"a": 1}), "spec.hosts", TYPE),
    ("int in a string list", edit(VS, "spec.hosts", ["a", 7]), "spec.hosts[1]", TYPE),
    (
        "string where bool",
        edit(VS, "spec.http[0].match[0].ignoreUriCase", "yes"),
        "spec.http[0].match[0].ignoreUriCase",
        TYPE,
    ),
    (
        "fixedDelay and exponentialDelay",
        edit(VS, "spec.http[0].fault", {"delay": {"fixedDelay": "1s", "exponentialDelay": "1s"}}),
        "spec.http[0].fault.delay",
        INVALID,
    ),
    (
        "httpStatus and grpcStatus",
        edit(VS, "spec.http[0].fault", {"abort": {"httpStatus": 500, "grpcStatus": "UNAVAILABLE"}}),
        "spec.http[0].fault.abort",
        INVALID,
    ),
]


@pytest.mark.parametrize(
    ("obj", "field", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rejection_names_field_and_reason(obj: dict, field: str, reason: str) -> None:
    errors = validate(obj).errors
    assert (field, reason) in [(e.field, e.reason) for e in errors], errors


def test_base_is_valid() -> None:
    assert validate(VS).errors == []


def test_messages_say_what_is_wrong() -> None:
    weight = validate(edit(VS, f"{R0}.weight", -5)).errors
    assert weight == [FieldError(f"{R0}.weight", INVALID, "Invalid value: -5: weight -5 < 0")]
    duration = validate(edit(VS, "spec.http[0].timeout", "abc")).errors[0]
    assert duration.message.startswith('Invalid value: "abc": must be a duration like 7s')
    typed = validate(edit(VS, f"{R0}.weight", "50")).errors[0]
    assert typed.message == 'Invalid value: "string": must be of type integer'
    regex = validate(edit(VS, "spec.http[0].match[0].uri", {"regex": "(x"})).errors[0]
    assert "RE2" in regex.message
    status = validate(edit(VS, "spec.http[0].fault", {"abort": {"httpStatus": 700}})).errors[0]
    assert status.message == "Invalid value: 700: HTTP status 700 is not in range 200-599"


def test_type_errors_stop_before_semantic_rules() -> None:
    # As on an API server, a value that cannot be decoded fails alone: the webhook never runs.
    obj = edit(edit(VS, f"{R0}.weight", "50"), "spec.http[0].timeout", "abc")
    assert [(e.field, e.reason) for e in validate(obj).errors] == [(f"{R0}.weight", TYPE)]


def test_several_errors_are_all_reported() -> None:
    obj = edit(edit(VS, f"{R0}.weight", -1), "spec.http[0].timeout", "abc")
    fields = {e.field for e in validate(obj).errors}
    assert fields == {f"{R0}.weight", "spec.http[0].timeout"}


def test_unknown_kind_is_one_error_on_kind() -> None:
    result = validate(
        {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": meta()}
    )
    assert [(e.field, e.reason) for e in result.errors] == [("kind", NOT_SUPPORTED)]
    unserved = validate({**VS, "apiVersion": "networking.istio.io/v2"})
    assert [e.field for e in unserved.errors] == ["kind"]


@pytest.mark.parametrize("version", ["v1", "v1beta1", "v1alpha3"])
def test_istio_versions_share_one_schema(version: str) -> None:
    obj = edit({**VS, "apiVersion": f"networking.istio.io/{version}"}, f"{R0}.weight", -1)
    assert [e.field for e in validate(obj).errors] == [f"{R0}.weight"]


def test_duration_boundaries() -> None:
    for ok in ("1ms", "0.5s", "7s", "1h30m", "3m"):
        assert validate(edit(VS, "spec.http[0].timeout", ok)).errors == [], ok
    for bad in ("0s", "0.5ms", "1.5ms", "7", "-1s", "7 s"):
        fields = [e.field for e in validate(edit(VS, "spec.http[0].timeout", bad)).errors]
        assert fields == ["spec.http[0].timeout"], bad


def test_weights_are_relative_shares() -> None:
    # Current Istio refuses only negative weights; 150/50 is a 75/25 split, as on a real cluster.
    obj = edit(edit(VS, f"{R0}.weight", 150), "spec.http[0].route[1].weight", 50)
    assert validate(obj).errors == []


def test_a_virtual_service_without_hosts_is_a_delegate() -> None:
    # Istio accepts it (delegates are on by default) as long as it names no gateways.
    assert validate(edit(VS, "spec.hosts")).errors == []
    assert validate(edit(VS, "spec.hosts", [])).errors == []


def test_re2_syntax_python_spells_differently_is_accepted() -> None:
    for pattern in (r"^/api/v\d+\z", r"\p{Greek}+", r"/a(?i)bc"):
        obj = edit(VS, "spec.http[0].match[0].uri", {"regex": pattern})
        assert validate(obj).errors == [], pattern
