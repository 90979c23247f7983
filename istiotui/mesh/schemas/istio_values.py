"""Checks of single Istio field values (durations, hosts, ports, percentages, regexes), written
from the rules of Istio's validating webhook; `istio_rules` applies them field by field."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from istiotui.mesh.durations import parse_duration
from istiotui.mesh.schemas.meta import is_dns1123_label
from istiotui.mesh.schemas.walker import show

_HOST_LABEL = re.compile(r"[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?")
# Istio matches header names against this narrower set than HTTP's token characters.
_HEADER_NAME = re.compile(r"[-_A-Za-z0-9]+")
_JWT_CLAIM_PREFIX = "@request.auth.claims."
_REGEX_MAX = 1024

HTTP_PROTOCOLS = {"http", "http2", "grpc", "grpc-web", "http_proxy"}
TLS_PROTOCOLS = {"https", "tls"}
PROTOCOLS = HTTP_PROTOCOLS | TLS_PROTOCOLS | {"tcp", "udp", "mongo", "redis", "mysql", "hbone"}


def duration_problem(value: Any, *, at_least_ms: bool = True) -> str | None:
    """Istio takes protobuf durations: they must parse, and (for timeouts and intervals) be at
    least 1ms and whole milliseconds."""
    try:
        seconds = parse_duration(value)
    except ValueError:
        return f"Invalid value: {show(value)}: must be a duration like 7s, 100ms or 1m"
    if at_least_ms and seconds < 1e-3:
        return f"Invalid value: {show(value)}: duration must be at least 1ms"
    if at_least_ms and abs(seconds * 1000 - round(seconds * 1000)) > 1e-6:
        return f"Invalid value: {show(value)}: only durations to ms precision are supported"
    return None


def percent_problem(value: Any, what: str = "percentage") -> str | None:
    if isinstance(value, int | float) and not 0 <= value <= 100:
        return f"Invalid value: {show(value)}: {what} must be in range 0..100"
    return None


def fraction_problem(value: Any) -> str | None:
    """A fault's `percentage.value`: Envoy keeps it per million, so tiny values cannot be said."""
    if isinstance(value, int | float) and (not 0 <= value <= 100 or 0 < value < 0.0001):
        return (
            f"Invalid value: {show(value)}: percentage {value} is neither 0.0, nor in range"
            " [0.0001, 100.0]"
        )
    return None


def port_problem(value: Any) -> str | None:
    if isinstance(value, int) and not 1 <= value <= 65535:
        return f"Invalid value: {value}: port number must be in the range 1..65535"
    return None


def http_status_problem(value: Any) -> str | None:
    # Istio's check lets 600 through although its message says 200-599; kept as Istio has it.
    if isinstance(value, int) and not 200 <= value <= 600:
        return f"Invalid value: {value}: HTTP status {value} is not in range 200-599"
    return None


# RE2 syntax Python's `re` spells differently or lacks; rewritten before compiling so that a
# valid RE2 pattern is not refused: \z (end of text), \pN / \p{Greek} (Unicode classes), and
# flag groups such as (?i) that RE2 allows anywhere but Python only at the start.
_RE2_ONLY = (
    (re.compile(r"\\z"), r"\\Z"),
    (re.compile(r"\\[pP](\{[^}]*\}|[A-Za-z])"), "."),
    (re.compile(r"\(\?[imsU-]+\)"), ""),
)


def _as_python_regex(pattern: str) -> str:
    for construct, replacement in _RE2_ONLY:
        pattern = construct.sub(replacement, pattern)
    return pattern


def regex_problem(pattern: str, where: str) -> str | None:
    """Istio compiles match regexes with Go's RE2; Python's `re` is a close stand-in (it accepts
    a few constructs RE2 refuses, such as backreferences and lookarounds, so it errs on letting
    through rather than rejecting valid input)."""
    if not pattern:
        return f'Invalid value: "": {where}: regex string match should not be empty'
    if len(pattern) > _REGEX_MAX:
        return f"Invalid value: {where}: regex is too large, max length allowed is {_REGEX_MAX}"
    try:
        re.compile(_as_python_regex(pattern))
    except re.error as err:
        return (
            f"Invalid value: {show(pattern)}: {where}: {err}; Istio uses RE2 style regex-based"
            " match (https://github.com/google/re2/wiki/Syntax)"
        )
    return None


def is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_ip_or_cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _labels_problem(name: str) -> str | None:
    if len(name) > 255:
        return "domain name is too long, the limit is 255 characters"
    for label in name.split("."):
        if not label:
            return "domain name has an empty label"
        if len(label) > 63 or not _HOST_LABEL.fullmatch(label):
            return f"label {label!r} is not a valid DNS label"
    return None


def wildcard_domain_problem(host: str) -> str | None:
    """Istio's rule for hosts: a DNS name, optionally starting with `*.`, or `*` alone."""
    if not host:
        return 'Invalid value: "": host cannot be empty'
    if host == "*":
        return None
    name = host[2:] if host.startswith("*.") else host
    problem = _labels_problem(name.rstrip(".") if name.endswith(".") else name)
    return f"Invalid value: {show(host)}: {problem}" if problem else None


def fqdn_problem(host: str) -> str | None:
    problem = _labels_problem(host.rstrip("."))
    return f"Invalid value: {show(host)}: {problem}" if problem else None


def gateway_name_problem(name: str) -> str | None:
    """VirtualService `gateways`: `mesh`, a name, `namespace/name`, or a gateway's FQDN."""
    namespace, slash, gateway = name.partition("/")
    if not slash:
        return fqdn_problem(name)
    if not namespace or not gateway:
        return f"Invalid value: {show(name)}: config namespace and gateway name cannot be empty"
    if not is_dns1123_label(namespace):
        return f"Invalid value: {show(name)}: invalid value for namespace: {namespace!r}"
    if not is_dns1123_label(gateway):
        return f"Invalid value: {show(name)}: invalid value for gateway name: {gateway!r}"
    return None


def header_name_problem(name: str, *, cors: bool = False) -> str | None:
    """A header name in a match (or a CORS list, where `*` is allowed too)."""
    if not name:
        return 'Invalid value: "": header name cannot be empty'
    if (cors and name == "*") or (not cors and name.startswith(_JWT_CLAIM_PREFIX)):
        return None
    if not _HEADER_NAME.fullmatch(name):
        return f"Invalid value: {show(name)}: header name {name} is not a valid header name"
    return None


def header_operation_problem(name: str, *, may_set_authority: bool) -> str | None:
    """A header name in `headers.request/response` set, add or remove."""
    if not name:
        return 'Invalid value: "": header name cannot be empty'
    lowered = name.lower()
    if may_set_authority and lowered in (":authority", "host"):
        return None
    if lowered == "host":
        return f"Invalid value: {show(name)}: cannot set Host header"
    if name.startswith(":"):
        return f'Invalid value: {show(name)}: header cannot have ":" prefix'
    return None


def protocol_problem(value: str) -> str | None:
    if value and value.lower() not in PROTOCOLS:
        return f"Unsupported value: {show(value)}: unsupported protocol"
    return None


def host_subset_of(candidate: str, host: str) -> bool:
    """Whether every name `candidate` matches is also matched by `host` (wildcards included)."""
    if host == "*" or candidate == host:
        return True
    if host.startswith("*."):
        suffix = host[1:]
        return candidate.endswith(suffix) and candidate != suffix.lstrip(".")
    return False


def hosts_overlap(a: str, b: str) -> bool:
    return host_subset_of(a, b) or host_subset_of(b, a)
