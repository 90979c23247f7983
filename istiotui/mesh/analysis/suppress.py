"""Silencing findings on purpose, as istioctl allows: `--suppress` rules and the annotation.

A rule is `CODE` (everywhere) or `CODE=Kind REF`, where REF is `ns/name` (as istiotui prints
objects), istioctl's `name.ns`, or a bare name (cluster-scoped kinds such as Namespace, or that
name in any namespace). `*` is a wildcard in every part. CODE is istiotui's (`IT0111`) or
istioctl's (`IST0102`), which covers every check istioctl reports under that code. An object
annotated `galley.istio.io/analyze-suppress: "IT0109,IST0101"` (or `"*"`) silences those findings
on itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

from istiotui.mesh.analysis.findings import CATALOGUE, Finding

ANNOTATION = "galley.istio.io/analyze-suppress"
_CODE = re.compile(r"^(IT|IST)\d{4}$|^\*$")


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str = "*"
    namespace: str = "*"
    name: str = "*"

    def matches(self, finding: Finding) -> bool:
        return (
            code_matches(self.code, finding)
            and fnmatchcase(finding.kind, self.kind)
            and fnmatchcase(finding.namespace, self.namespace)
            and fnmatchcase(finding.name, self.name)
        )


def code_matches(code: str, finding: Finding) -> bool:
    ist = finding.check.istioctl
    return code in ("*", finding.code) or (ist is not None and code == ist.code)


def _known_code(code: str) -> bool:
    # istioctl's codes are taken as they come (a rule copied from an istioctl command line may
    # name one no check here maps to: it silences nothing); ours must exist.
    return code == "*" or code.startswith("IST") or any(code == c.code for c in CATALOGUE)


def parse_rule(text: str) -> Rule:
    """A `--suppress` argument as a rule; ValueError says what is wrong with it."""
    code, sep, target = text.partition("=")
    code = code.strip()
    if not _CODE.match(code):
        raise ValueError(f"--suppress {text!r}: {code!r} is not a code like IT0111 or IST0102")
    if not _known_code(code):
        raise ValueError(f"--suppress {text!r}: no check has code {code} (see docs/mesh-checks.md)")
    if not sep:
        return Rule(code)
    parts = target.split()
    if len(parts) != 2:
        raise ValueError(
            f"--suppress {text!r}: after '=' give 'Kind ns/name' (or istioctl's 'Kind name.ns')"
        )
    kind, ref = parts
    if "/" in ref:
        namespace, _, name = ref.partition("/")
    elif "." in ref and not ref.endswith("."):
        name, _, namespace = ref.rpartition(".")  # namespaces have no dots; names may
    else:
        namespace, name = "*", ref
    if not namespace or not name:
        raise ValueError(f"--suppress {text!r}: {ref!r} names no object")
    return Rule(code, kind, namespace, name)


def annotated_codes(obj: dict | None) -> list[str]:
    raw = (((obj or {}).get("metadata") or {}).get("annotations") or {}).get(ANNOTATION)
    return [c.strip() for c in str(raw).split(",") if c.strip()] if raw else []


def silenced(finding: Finding, subject: dict | None, rules: tuple[Rule, ...] = ()) -> bool:
    """Whether a rule, or the annotation on the finding's own object, silences it."""
    if any(rule.matches(finding) for rule in rules):
        return True
    return any(code_matches(code, finding) for code in annotated_codes(subject))
