"""What `istiotui verify` does once its arguments are parsed."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any, NamedTuple, TextIO
from xml.etree import ElementTree as ET

from istiotui.cli import exit_codes
from istiotui.cli.output import document, emit, wants_data
from istiotui.cli.session import open_for, where
from istiotui.cluster.errors import ClusterError
from istiotui.lab import model as m
from istiotui.lab.catchup import CatchUp
from istiotui.lab.effects import StepCatchUp
from istiotui.lab.executor import Executor, StepFailed
from istiotui.lab.i18n import choose_lang
from istiotui.lab.loader import LoaderError, load_lab
from istiotui.lab.session import Session
from istiotui.lab.verify import StepReport, verify_step
from istiotui.lab.walk import runs_on
from istiotui.mesh.flags import explain
from istiotui.traffic.vantage import VantageUnavailable


def run_verify(args: argparse.Namespace) -> int:
    try:
        lab = load_lab()
    except LoaderError as exc:
        print(f"istiotui verify: the lab does not load:\n{exc}", file=sys.stderr)
        return exit_codes.LAB_INVALID
    lang = choose_lang(args.lang)
    if not args.all and not args.steps:
        print("istiotui verify: name steps or give --all", file=sys.stderr)
        return exit_codes.USAGE
    unknown = [s for s in args.steps if not lab.has_step(s)]
    if unknown:
        print(f"istiotui verify: unknown steps: {', '.join(unknown)}", file=sys.stderr)
        return exit_codes.USAGE
    session = open_for(args, "istiotui verify")
    if session is None:
        return exit_codes.UNREACHABLE
    print(where(session), file=sys.stderr)  # before the first write
    data = wants_data(args)
    # With -o json|yaml stdout holds the one document; the running commentary goes to stderr.
    out = sys.stderr if data else sys.stdout
    started = time.monotonic()
    try:
        rows = _verify(lab, session, args.steps if not args.all else None, lang, out)
        cluster = {
            "context": session.connection.context,
            "server": session.connection.server,
            "kind": str(session.cluster.value),
        }
    finally:
        session.close()
    if data:
        emit(_document(rows, cluster, time.monotonic() - started), args.output)
    else:
        _table(rows)
    if args.junit:
        _junit(rows, args.junit)
    passed = all(r.outcome in ("pass", "skip") for r in rows)
    return exit_codes.OK if passed else exit_codes.FAILED


class Row(NamedTuple):
    step: str
    outcome: str  # pass | fail | error | skip
    seconds: float
    detail: str
    checks: tuple[tuple[bool, str], ...] = ()  # each judged expectation: passed, what was seen


OUTCOMES = ("pass", "fail", "error", "skip")


def _document(rows: list[Row], cluster: dict[str, str], wall: float) -> dict[str, Any]:
    return document(
        cluster=cluster,
        passed=all(r.outcome in ("pass", "skip") for r in rows),
        counts={k: sum(1 for r in rows if r.outcome == k) for k in OUTCOMES},
        wallSeconds=round(wall, 3),
        steps=[
            {
                "id": r.step,
                "result": r.outcome,
                "seconds": round(r.seconds, 3),
                "detail": r.detail,
                "checks": [{"passed": ok, "detail": detail} for ok, detail in r.checks],
            }
            for r in rows
        ],
    )


def _verify(
    lab: m.Lab, session: Session, wanted: list[str] | None, lang: str, out: TextIO
) -> list[Row]:
    def say(line: str) -> None:
        print(line, file=out)

    ex = Executor(session.objects, session.cluster, progress=lambda line: say(f"    {line}"))
    # Earlier steps are checked against the cluster first: what is there is kept and said.
    catching = CatchUp(ex)
    steps = [s for s in lab.steps() if wanted is None or s.id in wanted]
    done: set[str] = set()
    rows: list[Row] = []
    started_all = time.monotonic()
    for step in steps:
        t0 = time.monotonic()
        if not runs_on(step, session.cluster):
            rows.append(Row(step.id, "skip", 0.0, f"only on a {step.where} cluster"))
            say(f"- {step.id}: skipped (only on a {step.where} cluster)")
            continue
        say(f"▶ {step.id}: {step.title.get(lang)}")  # type: ignore[arg-type]
        try:
            if wanted is not None:
                caught = catching.to(lab, step.id, skip=done)
                done.update(c.step.id for c in caught)
                _caught_up(caught, say)
            ex.run(step.actions, step.id)
            report = asyncio.run(
                verify_step(step, session.vantages, session.count_log_lines, proxies=session)
            )
            done.add(step.id)
        # ClusterError: reading the proxies' statistics (an exec the pod refused) ends this step,
        # as in the app, never the run.
        except (StepFailed, VantageUnavailable, ClusterError, OSError) as exc:
            rows.append(Row(step.id, "error", time.monotonic() - t0, str(exc)))
            say(f"  ✗ {step.id}: {exc}")
            continue
        rows.append(_row(report, time.monotonic() - t0, lang))
        for judged in report.judged:
            mark = "✓" if judged.verdict.passed else "✗"
            say(f"  {mark} {judged.verdict.detail}")
        for outcome in report.outcomes:
            for name, count in outcome.flags().items():
                say(f"    {name} ×{count} — {explain(name, lang)}")
    say(f"wall time: {time.monotonic() - started_all:.1f} s")
    return rows


def _caught_up(caught: list[StepCatchUp], say: Callable[[str], None]) -> None:
    """One line per kind of finding: which earlier steps the cluster already had."""
    for summary in ("already done", "completed", "done now"):
        ids = [c.step.id for c in caught if c.summary == summary]
        if ids:
            say(f"  catch-up, {summary}: {', '.join(ids)}")


def _row(report: StepReport, seconds: float, lang: str) -> Row:
    if not report.judged:
        return Row(report.step.id, "pass", seconds, "applied (nothing to measure)")
    failed = [j.verdict.detail for j in report.judged if not j.verdict.passed]
    outcome = "fail" if failed else "pass"
    detail = "; ".join(failed) or report.judged[0].verdict.detail
    checks = tuple((j.verdict.passed, j.verdict.detail) for j in report.judged)
    return Row(report.step.id, outcome, seconds, detail, checks)


def _table(rows: list[Row]) -> None:
    width = max((len(r[0]) for r in rows), default=4)
    print(f"\n{'STEP'.ljust(width)}  RESULT  SECONDS")
    for row in rows:
        print(f"{row.step.ljust(width)}  {row.outcome.upper():6}  {row.seconds:7.1f}")
    counts = {k: sum(1 for r in rows if r.outcome == k) for k in OUTCOMES}
    print(", ".join(f"{n} {k}" for k, n in counts.items()))


def _junit(rows: list[Row], path: str) -> None:
    suite = ET.Element(
        "testsuite",
        name="istiotui verify",
        tests=str(len(rows)),
        failures=str(sum(1 for r in rows if r[1] == "fail")),
        errors=str(sum(1 for r in rows if r[1] == "error")),
        skipped=str(sum(1 for r in rows if r[1] == "skip")),
    )
    for step_id, outcome, seconds, detail, _ in rows:
        case = ET.SubElement(
            suite, "testcase", classname="lab", name=step_id, time=f"{seconds:.3f}"
        )
        if outcome in ("fail", "error"):
            ET.SubElement(case, "failure" if outcome == "fail" else "error", message=detail)
        elif outcome == "skip":
            ET.SubElement(case, "skipped", message=detail)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
