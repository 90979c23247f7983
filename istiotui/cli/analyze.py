"""`istiotui analyze FILES…`: the mesh checks over manifest files, like `istioctl analyze`.

Given files alone, Deployments in them stand for their pods (as with `--use-kube=false`). The exit
status follows istioctl's: 0 when nothing reaches the failure threshold, 79 when something does,
2 when a file cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from istiotui.lab.i18n import choose_lang
from istiotui.lab.manifests import read_objects
from istiotui.mesh.analysis import Finding, Severity, analyze

EXIT_FOUND = 79  # istioctl analyze's "analyzers found issues"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "analyze",
        help="check Istio configuration for mistakes before applying it",
        description="Run the mesh checks over manifest files (Deployments stand for pods).",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument(
        "-n", "--namespace", default="default", help="namespace for objects without one"
    )
    parser.add_argument(
        "--failure-threshold",
        choices=[s.label for s in Severity],
        default="error",
        help="lowest severity that makes the exit status non-zero (default: error)",
    )
    parser.add_argument("--lang", choices=["es", "en"], default=None)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    lang = choose_lang(args.lang)
    objects: list[dict] = []
    origin: dict[int, str] = {}
    failed = False
    for path in args.files:
        found, problems = read_objects(path, str(path))
        for problem in problems:
            print(problem, file=sys.stderr)
            failed = True
        for item in found:
            obj = dict(item.body)
            meta = dict(obj.get("metadata") or {})
            meta.setdefault("namespace", args.namespace)
            obj["metadata"] = meta
            objects.append(obj)
            origin[id(obj)] = f"{item.source.file}:{item.source.line}"
    if failed:
        return 2
    findings = analyze(objects)
    threshold = Severity[args.failure_threshold.upper()]
    for finding in findings:
        print(_line(finding, lang, origin.get(id(_subject(finding, objects)))))
    if not findings:
        print("✔ Sin problemas." if lang == "es" else "✔ No problems found.")
    return EXIT_FOUND if any(f.severity >= threshold for f in findings) else 0


def _subject(finding: Finding, objects: list[dict]) -> dict | None:
    for obj in objects:
        meta = obj.get("metadata") or {}
        key = (obj.get("kind"), meta.get("namespace"), meta.get("name"))
        if key == (finding.kind, finding.namespace, finding.name):
            return obj
    return None


def _line(finding: Finding, lang: str, where: str | None) -> str:
    label = finding.severity.label.capitalize()
    place = f"{finding.kind} {finding.namespace}/{finding.name} {finding.field}"
    at = f" {where}" if where else ""
    return f"{label} [{finding.code}] ({place}){at}: {finding.message(lang)}"
