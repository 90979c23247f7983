"""`istiotui analyze [--local | --context NAME] [FILES…]`: the mesh checks, like `istioctl analyze`.

Given files and no cluster flag, the files are analysed alone and their Deployments stand for
their pods (as with `--use-kube=false`). With a cluster flag, the cluster's live objects are
analysed with the files laid over them — the state after `kubectl apply -f FILES`. The exit status
follows istioctl's: 0 when nothing reaches the failure threshold, 79 when something does, 2 when a
file cannot be read or the cluster does not answer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from istiotui.cli.flags import CLUSTER_FLAGS, add_cluster_flags, add_lang_flag, takes
from istiotui.lab.i18n import choose_lang
from istiotui.lab.manifests import read_objects
from istiotui.mesh.analysis import Finding, Severity, analyze, overlay

EXIT_FOUND = 79  # istioctl analyze's "analyzers found issues"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "analyze",
        help="check Istio configuration for mistakes before applying it",
        description="Run the mesh checks over manifest files (Deployments stand for pods), or "
        "over a cluster's live objects with the files laid over them.",
    )
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE")
    parser.add_argument(
        "-n", "--namespace", default="default", help="namespace for objects without one"
    )
    parser.add_argument(
        "--failure-threshold",
        choices=[s.label for s in Severity],
        default="error",
        help="lowest severity that makes the exit status non-zero (default: error)",
    )
    add_lang_flag(parser, "language of the findings")
    add_cluster_flags(parser)
    takes(parser, *CLUSTER_FLAGS, "lang")
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
            invalid = _invalid(item.body)
            for line in invalid:
                print(f"{item.source}: {line}", file=sys.stderr)
            if invalid:
                failed = True  # the checks read objects of the right shape only
                continue
            obj = dict(item.body)
            meta = dict(obj.get("metadata") or {})
            meta.setdefault("namespace", args.namespace)
            obj["metadata"] = meta
            objects.append(obj)
            origin[id(obj)] = f"{item.source.file}:{item.source.line}"
    if failed:
        return 2
    if args.local or args.context or args.kubeconfig:
        try:
            objects = overlay(_live_objects(args), objects)
        except Exception as exc:  # the cluster layer's errors all say what went wrong
            print(f"istiotui analyze: {exc}", file=sys.stderr)
            return 2
    elif not args.files:
        print(
            "istiotui analyze: give FILES, or --local / --context to analyse a cluster",
            file=sys.stderr,
        )
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


# What the checks read from a live cluster.
LIVE_KINDS = (
    ("v1", "Namespace"),
    ("v1", "Pod"),
    ("v1", "Service"),
    ("networking.istio.io/v1", "Gateway"),
    ("networking.istio.io/v1", "VirtualService"),
    ("networking.istio.io/v1", "DestinationRule"),
    ("networking.istio.io/v1", "ServiceEntry"),
    ("install.istio.io/v1alpha1", "IstioOperator"),
)


def _live_objects(args: argparse.Namespace) -> list[dict]:
    from istiotui.cli.session import open_session, print_notes
    from istiotui.cluster.errors import ClusterError

    session = open_session(args)
    print_notes(session, "istiotui analyze")
    try:
        out = []
        for api_version, kind in LIVE_KINDS:
            try:
                session.objects.resource(api_version, kind)
            except ClusterError:
                continue  # not served here (e.g. no IstioOperator CRD): nothing of it to check
            for obj in session.objects.list(api_version, kind):
                obj.setdefault("apiVersion", api_version)
                obj.setdefault("kind", kind)
                out.append(obj)
        return out
    finally:
        session.close()


def _invalid(obj: dict) -> list[str]:
    """What the API server would refuse in an object, as `Kind name: field: message` lines.
    Kinds it has no schema for are passed over: the checks ignore them too."""
    from istiotui.mesh.validation import validate

    errors = validate(obj).errors
    if any(e.field == "kind" for e in errors):
        return []
    name = (obj.get("metadata") or {}).get("name", "?")
    return [f"{obj.get('kind')} {name}: {e.field}: {e.message}" for e in errors]
