"""`istiotui analyze [--local | --context NAME] [FILES…]`: the mesh checks, like `istioctl analyze`.

Given files and no cluster flag, the files are analysed alone (as `--use-kube=false`): their
Deployments stand for their pods, the gateways an Istio install creates count as present, and
what files alone cannot settle is an Info, never an error. With a cluster flag, the cluster's live
objects are analysed with the files laid over them — the state after `kubectl apply -f FILES`.
Files that define the same object differently (Istio's samples/bookinfo/networking/) are
analysed as alternatives, one at a time. The exit status follows istioctl's: 0 when nothing
reaches the failure threshold, 79 when something does, 2 when a file cannot be read or a
`--suppress` rule is malformed; 1 when the cluster refuses a read; 5 when it does not answer
(cli/exit_codes.py). Anything else is a bug, and ends as one (a traceback), not as a usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from istiotui.cli import exit_codes
from istiotui.cli.analyze_output import Report, render
from istiotui.cli.flags import CLUSTER_FLAGS, add_cluster_flags, add_lang_flag, takes
from istiotui.cli.output import add_output_flag
from istiotui.lab.i18n import choose_lang
from istiotui.lab.manifests import cluster_scoped, read_objects
from istiotui.mesh.analysis import Finding, Offline, Severity, analyze, overlay
from istiotui.mesh.analysis.suppress import Rule, parse_rule
from istiotui.mesh.analysis.variants import Item, plan

EXIT_FOUND = exit_codes.ANALYZE_FOUND  # istioctl analyze's "analyzers found issues"
_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "analyze",
        help="check Istio configuration for mistakes before applying it",
        description="Run the mesh checks over manifest files or folders (Deployments stand for "
        "pods, an Istio install's gateways count as present), or over a cluster's live objects "
        "with the files laid over them.",
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
    add_output_flag(parser, text="log")  # istioctl's name for its lines
    parser.add_argument(
        "--suppress",
        action="append",
        default=[],
        metavar="CODE[=Kind ns/name]",
        help="leave out a finding, as istioctl's --suppress: e.g. 'IT0111=Namespace bookinfo', "
        "'IST0102=Namespace frod', 'IT0109=DestinationRule *.bookinfo' (repeatable)",
    )
    add_lang_flag(parser, "language of the findings")
    add_cluster_flags(parser)
    takes(parser, *CLUSTER_FLAGS, "lang")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    lang = choose_lang(args.lang)
    try:
        rules = tuple(parse_rule(text) for text in args.suppress)
    except ValueError as exc:
        print(f"istiotui analyze: {exc}", file=sys.stderr)
        return exit_codes.USAGE
    items, failed = _read(args.files, args.namespace)
    if failed:
        return exit_codes.USAGE
    on_cluster = bool(args.local or args.context or args.kubeconfig)
    if not on_cluster and not args.files:
        print(
            "istiotui analyze: give FILES, or --local / --context to analyse a cluster",
            file=sys.stderr,
        )
        return exit_codes.USAGE
    chosen = plan(items)
    for first, later in chosen.redefined:
        print(
            f"{later.file}:{later.line}: {later.ref} is defined again (first at line "
            f"{first.line}); the later one is analysed, as kubectl apply would keep it",
            file=sys.stderr,
        )
    live: list[dict] = []
    offline: Offline | None = None
    from istiotui.cluster.connection import ClusterUnreachable
    from istiotui.cluster.errors import ClusterError
    from istiotui.local.pilot.model import PilotError

    try:
        if on_cluster:
            live = _live_objects(args)
        else:
            offline = _offline([i.obj for i in items])
    except ClusterUnreachable as exc:
        print(f"istiotui analyze: {exc}", file=sys.stderr)
        return exit_codes.UNREACHABLE
    except ClusterError as exc:  # the cluster answered, but not what was asked (a 403, …)
        print(f"istiotui analyze: {exc}", file=sys.stderr)
        return exit_codes.FAILED
    except PilotError as exc:  # a malformed IstioOperator among the files: the input's fault
        print(f"istiotui analyze: {exc}", file=sys.stderr)
        return exit_codes.USAGE
    report = Report("cluster" if on_cluster else "files", Severity[args.failure_threshold.upper()])
    report.plan = chosen
    _collect(report, chosen.runs(), live, offline, rules, on_cluster)
    shown = render(report, args.output, lang)
    sys.stdout.write(shown if shown.endswith("\n") else shown + "\n")
    return EXIT_FOUND if report.failed else exit_codes.OK


def _offline(objects: list[dict]) -> Offline:
    from istiotui.cli.analyze_install import installed_objects

    return Offline(tuple(installed_objects(objects)))


def _collect(
    report: Report,
    runs: list[tuple[str | None, list[Item]]],
    live: list[dict],
    offline: Offline | None,
    rules: tuple[Rule, ...],
    on_cluster: bool,
) -> None:
    """Analyse each run (one, or one per alternative) and merge: a finding seen in every run is
    shown once; one seen in some names the alternatives it comes with."""
    merged: dict[tuple[str, ...], tuple[Finding, str | None, list[str]]] = {}
    silenced: set[tuple[str, ...]] = set()
    for alternative, items in runs:
        origin = {item.key: f"{item.file}:{item.line}" for item in items}
        objects = [item.obj for item in items]
        state = overlay(live, objects) if on_cluster else objects
        for finding in analyze(state, offline=offline):
            where = origin.get(_subject(finding))
            key = (*finding.key(), where or "")  # one object per file: each variant its own
            if any(rule.matches(finding) for rule in rules):
                silenced.add(key)
                continue
            found = merged.setdefault(key, (finding, where, []))
            if alternative is not None:
                found[2].append(alternative)
    everywhere = len(runs)
    for finding, where, alternatives in merged.values():
        # Seen in every alternative, or on an object of the one alternative it belongs to: the
        # place says it all. Otherwise name the alternatives.
        own = (
            where is not None and len(alternatives) == 1 and where.split(":")[0] in alternatives[0]
        )
        shown = alternatives if 0 < len(alternatives) < everywhere and not own else None
        report.found.append((finding, where, shown))
    report.found.sort(
        key=lambda x: (-x[0].severity, x[0].kind, x[0].namespace, x[0].name, x[0].field)
    )
    report.suppressed = len(silenced)


def _subject(finding: Finding) -> tuple[str, str, str]:
    ns = "default" if finding.kind == "Namespace" else finding.namespace
    return (finding.kind, ns, finding.name)


def _files(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for its manifest files (not its subfolders), sorted."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.suffix in _MANIFEST_SUFFIXES)
        else:
            out.append(path)
    return out


def _read(paths: list[Path], namespace: str) -> tuple[list[Item], bool]:
    items: list[Item] = []
    failed = False
    for path in _files(paths):
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
            if not cluster_scoped(str(obj.get("kind", ""))):
                meta.setdefault("namespace", namespace)
            obj["metadata"] = meta
            items.append(Item(obj, item.source.file, item.source.line))
    return items, failed


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
