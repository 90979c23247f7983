"""`istiotui doctor`: what this machine has for the lab, each line ok or missing with its fix.

The lab runs on a real cluster (the kubeconfig's, e.g. the VMs') or on the embedded local
cluster. The exit status is OK when at least one of the two is usable now, FAILED when neither
is (docs/cli-output.md); what is only missing for the other ways is reported, not fatal.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from istiotui.cli import doctor_checks as checks
from istiotui.cli import exit_codes
from istiotui.cli.completers import complete_contexts
from istiotui.cli.doctor_checks import Check
from istiotui.cli.flags import takes
from istiotui.cli.output import add_output_flag, document, emit, wants_data

GROUPS = {
    "tools": "The lab's commands",
    "cluster": "A real cluster (the kubeconfig's current context)",
    "local": "The embedded local cluster",
    "vms": "The lab's VMs",
}
WAYS = {"cluster": "the real cluster", "local": "the local cluster (istiotui --local)"}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "doctor",
        help="check what this machine has for the lab, with the fix for what is missing",
        description="kubectl, a reachable cluster and its Istio, the local cluster's needs, "
        "Vagrant and VirtualBox: each ok or missing, with what to do.",
    )
    # The global flags' copies (cli/flags.py): no default, so that before or after `doctor`
    # they mean the same.
    context = parser.add_argument(
        "--context",
        default=argparse.SUPPRESS,
        help="check this kubeconfig context instead of the current one",
    )
    parser.add_argument(
        "--kubeconfig",
        default=argparse.SUPPRESS,
        help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)",
    )

    context.completer = complete_contexts  # type: ignore[attr-defined]
    takes(parser, "context", "kubeconfig")
    add_output_flag(parser)
    parser.set_defaults(func=run)


def collect(
    kubeconfig: str | None = None, context: str | None = None, platform: str | None = None
) -> list[Check]:
    """Every check, in the report's order, all at once (subprocesses, the cluster).
    `platform`: `sys.platform`'s value to judge (default: this machine's)."""
    jobs = [
        checks.kubectl,
        lambda: checks.cluster(kubeconfig, context),
        lambda: checks.platform(platform),
        checks.envoy,
        checks.loopback,
        checks.bubblewrap,
        checks.vagrant,
        checks.provider,
    ]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(lambda job: job(), jobs))
    out: list[Check] = []
    for result in results:
        out += result if isinstance(result, list) else [result]
    return out


def usable_ways(found: list[Check]) -> list[str]:
    """The ways to run the lab whose every needed check is ok."""
    return [
        way
        for way in WAYS
        if any(c.group == way for c in found)
        and all(c.ok or c.optional for c in found if c.group == way)
    ]


def exit_code(ways: list[str]) -> int:
    return exit_codes.OK if ways else exit_codes.FAILED


def run(args: argparse.Namespace) -> int:
    found = collect(args.kubeconfig, args.context)
    ways = usable_ways(found)
    code = exit_code(ways)
    if wants_data(args):
        emit(doctor_data(found, ways), args.output)
    else:
        print(text(found, ways))
    return code


def doctor_data(found: list[Check], ways: list[str]) -> dict[str, Any]:
    return document(
        usable=ways,
        checks=[
            {
                "id": c.id,
                "group": c.group,
                "status": "ok" if c.ok else "missing",
                "optional": c.optional,
                "found": c.found,
                "fix": c.fix,
            }
            for c in found
        ],
    )


def text(found: list[Check], ways: list[str]) -> str:
    lines: list[str] = []
    for group, title in GROUPS.items():
        if lines:
            lines.append("")
        lines.append(title)
        for c in (c for c in found if c.group == group):
            status = "ok" if c.ok else ("optional" if c.optional else "missing")
            lines.append(f"  {status:<8} {c.id:<11} {c.found}")
            if not c.ok and c.fix:
                lines.append(f"  {'':<8} {'':<11} fix: {c.fix}")
    lines.append("")
    if ways:
        lines.append("The lab can run on " + " and on ".join(WAYS[w] for w in ways) + ".")
    else:
        lines.append("Nothing to run the lab on yet: see the fixes above.")
    return "\n".join(lines)
