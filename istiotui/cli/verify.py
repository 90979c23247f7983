"""`istiotui verify [STEP … | --all]`: apply, probe and judge each step, headless.

Steps run in the lab's order. A step's `cleanup` undoes it on request and is not part of the way
forward (the lab's sections open with their own clean-up steps), so verify never runs it; asked
for single steps, verify first catches up by carrying out the earlier steps' actions.
"""

from __future__ import annotations

import argparse

from istiotui.cli.completers import complete_step_ids
from istiotui.cli.flags import CLUSTER_FLAGS, add_cluster_flags, add_lang_flag, takes
from istiotui.cli.output import add_output_flag


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "verify",
        help="carry out steps and check their expected results from real traffic",
        description="For each step in order: catch up, apply, probe, judge.",
    )
    steps = parser.add_argument("steps", nargs="*", metavar="STEP")
    steps.completer = complete_step_ids  # type: ignore[attr-defined]
    parser.add_argument("--all", action="store_true", help="every step the cluster can run")
    parser.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    add_output_flag(parser)
    add_lang_flag(parser, "language of the steps' titles")
    add_cluster_flags(parser)
    takes(parser, *CLUSTER_FLAGS, "lang")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # The heavy part (the kubernetes client) loads only when verify runs.
    from istiotui.cli.verify_run import run_verify

    return run_verify(args)
