"""How `istiotui analyze` prints its findings: lines (as istioctl's log output), JSON or YAML.

The JSON/YAML schema is documented in docs/mesh-checks.md; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from istiotui.cli import output
from istiotui.mesh.analysis import Finding, Severity
from istiotui.mesh.analysis.variants import Plan

SCHEMA_VERSION = output.SCHEMA_VERSION


@dataclass
class Report:
    mode: str  # "files" (no cluster) or "cluster"
    threshold: Severity
    plan: Plan | None = None
    # finding, file:line of its object (None: from the cluster), the alternatives it occurs with
    # (None: every run).
    found: list[tuple[Finding, str | None, list[str] | None]] = field(default_factory=list)

    suppressed: int = 0

    @property
    def failed(self) -> bool:
        return any(f.severity >= self.threshold for f, _, _ in self.found)


def _istioctl(f: Finding) -> str:
    ist = f.check.istioctl
    return f" (istioctl: {ist.code} {ist.name})" if ist else ""


def line(f: Finding, lang: str, origin: str | None, alternatives: list[str] | None) -> str:
    at = f" {origin}" if origin else ""
    with_ = ""
    if alternatives:
        word = "tras" if lang == "es" else "after"
        with_ = f" [{word} {', '.join(Path(a).name for a in alternatives)}]"
    return f"{f.headline()}{at}{with_}: {f.message(lang)}{_istioctl(f)}"


def variants_note(plan: Plan, lang: str) -> str:
    n, objs = len(plan.alternatives), ", ".join(plan.varied)
    shown = ", ".join(Path(f).name for f in plan.alternatives)
    if lang == "es":
        return (
            f"Variantes: {n} ficheros definen de forma distinta los mismos objetos ({objs}). "
            f"istioctl se detiene con «already exists»; aquí cada uno se analiza como una "
            f"alternativa: el estado justo después de aplicarlo, con los anteriores aplicados en "
            f"el orden dado (kubectl apply -f) y los otros {len(plan.base)} objetos: {shown}."
        )
    return (
        f"Variants: {n} files define the same objects differently ({objs}). istioctl stops at "
        f"'already exists'; here each is analysed as an alternative: the state right after it is "
        f"applied, the ones before it applied in the order given (kubectl apply -f), with the "
        f"{len(plan.base)} other objects: {shown}."
    )


def as_text(report: Report, lang: str) -> str:
    out: list[str] = []
    if report.plan is not None and report.plan.alternatives:
        out.append(variants_note(report.plan, lang))
    out += [line(f, lang, origin, alts) for f, origin, alts in report.found]
    if not report.found:
        out.append("✔ Sin problemas." if lang == "es" else "✔ No problems found.")
    if report.suppressed:
        n = report.suppressed
        out.append(f"({n} silenciados con --suppress)" if lang == "es" else f"({n} suppressed)")
    return "\n".join(out)


def as_data(report: Report, lang: str) -> dict:
    plan = report.plan
    variants = None
    if plan is not None and plan.alternatives:
        variants = {
            "how": "alternatives-in-order",
            "alternatives": list(plan.alternatives),
            "objects": list(plan.varied),
        }
    return {
        "schemaVersion": SCHEMA_VERSION,
        "mode": report.mode,
        "failureThreshold": report.threshold.label,
        "failed": report.failed,
        "variants": variants,
        "suppressed": report.suppressed,
        "findings": [_finding(f, lang, origin, alts) for f, origin, alts in report.found],
    }


def _finding(f: Finding, lang: str, origin: str | None, alts: list[str] | None) -> dict:
    ist = f.check.istioctl
    return {
        "code": f.code,
        "name": f.check.name,
        "severity": f.severity.label,
        "istioctl": {"code": ist.code, "name": ist.name} if ist else None,
        "kind": f.kind,
        "namespace": f.namespace,
        "object": f.name,
        "field": f.field,
        "origin": origin,
        "alternatives": alts,
        "message": f.message(lang),
    }


def render(report: Report, fmt: str, lang: str) -> str:
    if fmt in output.DATA_FORMATS:
        return output.render(as_data(report, lang), fmt)
    return as_text(report, lang)
