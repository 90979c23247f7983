"""Envoy's HTTP matching, as its router does it: virtual host by domain, then routes in order.

Each check returns why it held or failed in words, so that the walk can say which clause of a
route took the request (or which one turned it away).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    authority: str  # the Host header as sent (may carry :port)
    path: str  # with the query string
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    scheme: str = "http"

    @property
    def path_only(self) -> str:
        return self.path.split("?", 1)[0]

    @property
    def query(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if "?" in self.path:
            for part in self.path.split("?", 1)[1].split("&"):
                name, _, value = part.partition("=")
                if name:
                    out.setdefault(name, value)
        return out

    def header(self, name: str) -> str | None:
        pseudo = {
            ":method": self.method,
            ":authority": self.authority,
            "host": self.authority,
            ":path": self.path,
            ":scheme": self.scheme,
        }
        if name in pseudo:
            return pseudo[name]
        return self.headers.get(name.lower())


# -- virtual hosts ---------------------------------------------------------------------


def _domain_rank(domain: str, host: str) -> tuple[int, int] | None:
    """Envoy's order: exact, then `*.suffix` (longest first), `prefix*` (longest), then `*`."""
    domain = domain.lower()
    if domain == host:
        return (0, 0)
    if domain == "*":
        return (3, 0)
    if domain.startswith("*") and host.endswith(domain[1:]) and len(host) > len(domain) - 1:
        return (1, -len(domain))
    if domain.endswith("*") and host.startswith(domain[:-1]) and len(host) > len(domain) - 1:
        return (2, -len(domain))
    return None


def pick_virtual_host(
    vhosts: list[dict[str, Any]], authority: str
) -> tuple[dict[str, Any] | None, str]:
    """The virtual host Envoy picks for this Host header, and the domain that matched."""
    host = authority.lower()
    best: tuple[tuple[int, int], int, dict[str, Any], str] | None = None
    for i, vh in enumerate(vhosts):
        for d in vh.get("domains") or []:
            rank = _domain_rank(str(d), host)
            if rank is not None and (best is None or (rank, i) < (best[0], best[1])):
                best = (rank, i, vh, str(d))
    if best is None:
        return None, ""
    return best[2], best[3]


# -- string and header matchers ------------------------------------------------------------


def _regex(pattern: str, value: str, ignore_case: bool = False) -> bool:
    try:
        return re.fullmatch(pattern, value, re.IGNORECASE if ignore_case else 0) is not None
    except re.error:
        return False  # RE2 syntax Python does not know: say no rather than guess


def string_match(spec: dict[str, Any], value: str) -> tuple[bool, str]:
    """An Envoy `StringMatcher` against a value, and the clause in words."""
    ic = bool(spec.get("ignore_case"))
    v = value.lower() if ic else value

    def norm(s: Any) -> str:
        return str(s).lower() if ic else str(s)

    if "exact" in spec:
        return v == norm(spec["exact"]), f"exact {spec['exact']!r}"
    if "prefix" in spec:
        return v.startswith(norm(spec["prefix"])), f"prefix {spec['prefix']!r}"
    if "suffix" in spec:
        return v.endswith(norm(spec["suffix"])), f"suffix {spec['suffix']!r}"
    if "contains" in spec:
        return norm(spec["contains"]) in v, f"contains {spec['contains']!r}"
    if "safe_regex" in spec:
        pattern = str((spec["safe_regex"] or {}).get("regex", ""))
        return _regex(pattern, value, ic), f"regex {pattern!r}"
    return True, "any value"


def header_match(spec: dict[str, Any], req: Request) -> tuple[bool, str]:
    """An Envoy `HeaderMatcher`: (holds, the clause in words)."""
    name = str(spec.get("name", "")).lower()
    value = req.header(name)
    invert = bool(spec.get("invert_match"))
    if "present_match" in spec:
        ok, text = value is not None, "present"
        if spec["present_match"] is False:
            ok, text = not ok, "absent"
    elif value is None:
        ok, text = False, _header_clause(spec)
    else:
        ok, text = _header_value_match(spec, value)
    ok = ok != invert
    clause = f"header {name} {'not ' if invert else ''}{text}"
    shown = "absent" if value is None else repr(value)
    return ok, f"{clause} ({shown})"


def _header_clause(spec: dict[str, Any]) -> str:
    if spec.get("string_match"):
        return string_match(spec["string_match"], "")[1]
    for key, word in (("exact_match", "exact"), ("prefix_match", "prefix"),
                      ("suffix_match", "suffix"), ("contains_match", "contains")):  # fmt: skip
        if key in spec:
            return f"{word} {spec[key]!r}"
    if "safe_regex_match" in spec:
        return f"regex {(spec['safe_regex_match'] or {}).get('regex', '')!r}"
    return "present"


def _header_value_match(spec: dict[str, Any], value: str) -> tuple[bool, str]:
    if spec.get("string_match"):
        return string_match(spec["string_match"], value)
    legacy = {
        "exact_match": "exact",
        "prefix_match": "prefix",
        "suffix_match": "suffix",
        "contains_match": "contains",
    }
    for key, word in legacy.items():
        if key in spec:
            return string_match({word: spec[key]}, value)
    if "safe_regex_match" in spec:
        return string_match({"safe_regex": spec["safe_regex_match"]}, value)
    return True, "present"


# -- routes ----------------------------------------------------------------------------------


def path_match(match: dict[str, Any], req: Request) -> tuple[bool, str]:
    case = match.get("case_sensitive", True) is not False
    path = req.path_only
    p = path if case else path.lower()

    def norm(s: str) -> str:
        return s if case else s.lower()

    if "prefix" in match:
        return p.startswith(norm(str(match["prefix"]))), f"path prefix {match['prefix']!r}"
    if "path" in match:
        return p == norm(str(match["path"])), f"path exact {match['path']!r}"
    if "path_separated_prefix" in match:
        pre = norm(str(match["path_separated_prefix"]))
        ok = p == pre or p.startswith(pre + "/")
        return ok, f"path segment prefix {match['path_separated_prefix']!r}"
    if "safe_regex" in match:
        pattern = str((match["safe_regex"] or {}).get("regex", ""))
        return _regex(pattern, path, not case), f"path regex {pattern!r}"
    if "connect_matcher" in match:
        return req.method == "CONNECT", "CONNECT request"
    return False, "a path matcher this tool does not read"


def route_match(match: dict[str, Any], req: Request) -> tuple[bool, list[str], str]:
    """(holds, the clauses that held, the first clause that failed or "")."""
    held: list[str] = []
    ok, text = path_match(match, req)
    if not ok:
        return False, held, f"{text} ({req.path_only!r})"
    held.append(text)
    for spec in match.get("headers") or []:
        ok, text = header_match(spec, req)
        if not ok:
            return False, held, text
        held.append(text)
    query = req.query
    for spec in match.get("query_parameters") or []:
        name = str(spec.get("name", ""))
        value = query.get(name)
        if spec.get("present_match"):
            ok, text = value is not None, f"query {name} present"
        elif value is None:
            ok, text = False, f"query {name} (absent)"
        else:
            ok, text = string_match(spec.get("string_match") or {}, value)
            text = f"query {name} {text} ({value!r})"
        if not ok:
            return False, held, text
        held.append(text)
    return True, held, ""
