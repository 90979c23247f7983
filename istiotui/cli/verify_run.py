"""What `istiotui verify` does once its arguments are parsed."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from xml.etree import ElementTree as ET

from istiotui.cli.session import open_session, print_notes, where
from istiotui.cluster.connection import ClusterUnreachable
from istiotui.lab import model as m
from istiotui.lab.executor import Executor, StepFailed
from istiotui.lab.i18n import choose_lang
from istiotui.lab.loader import LoaderError, load_lab
from istiotui.lab.session import Session
from istiotui.lab.verify import StepReport, verify_step
from istiotui.lab.walk import catch_up, runs_on
from istiotui.mesh.flags import explain
from istiotui.traffic.vantage import VantageUnavailable


def run_verify(args: argparse.Namespace) -> int:
    try:
        lab = load_lab()
    except LoaderError as exc:
        print(f"istiotui verify: the lab does not load:\n{exc}", file=sys.stderr)
        return 2
    lang = choose_lang(args.lang)
    if not args.all and not args.steps:
        print("istiotui verify: name steps or give --all", file=sys.stderr)
        return 2
    unknown = [s for s in args.steps if not lab.has_step(s)]
    if unknown:
        print(f"istiotui verify: unknown steps: {', '.join(unknown)}", file=sys.stderr)
        return 2
    try:
        session = open_session(args)
    except ClusterUnreachable as exc:
        print(f"istiotui verify: {exc}", file=sys.stderr)
        return 2
    print_notes(session, "istiotui verify")
    print(where(session), file=sys.stderr)  # before the first write
    try:
        rows = _verify(lab, session, args.steps if not args.all else None, lang)
    finally:
        session.close()
    _table(rows)
    if args.junit:
        _junit(rows, args.junit)
    return 0 if all(r[1] in ("pass", "skip") for r in rows) else 1


Row = tuple[str, str, float, str]  # step id, outcome, seconds, detail


def _verify(lab: m.Lab, session: Session, wanted: list[str] | None, lang: str) -> list[Row]:
    ex = Executor(session.objects, session.cluster, progress=lambda line: print(f"    {line}"))
    steps = [s for s in lab.steps() if wanted is None or s.id in wanted]
    done: set[str] = set()
    rows: list[Row] = []
    started_all = time.monotonic()
    for step in steps:
        t0 = time.monotonic()
        if not runs_on(step, session.cluster):
            rows.append((step.id, "skip", 0.0, f"only on a {step.where} cluster"))
            print(f"- {step.id}: skipped (only on a {step.where} cluster)")
            continue
        print(f"▶ {step.id}: {step.title.get(lang)}")  # type: ignore[arg-type]
        try:
            if wanted is not None:
                for earlier in catch_up(lab, step.id, session.cluster):
                    if earlier.id not in done:
                        ex.run(earlier.actions)
                        done.add(earlier.id)
            ex.run(step.actions)
            report = asyncio.run(
                verify_step(step, session.vantages, session.count_log_lines, proxies=session)
            )
            done.add(step.id)
        except (StepFailed, VantageUnavailable, OSError) as exc:
            rows.append((step.id, "error", time.monotonic() - t0, str(exc)))
            print(f"  ✗ {step.id}: {exc}")
            continue
        rows.append(_row(report, time.monotonic() - t0, lang))
        for judged in report.judged:
            mark = "✓" if judged.verdict.passed else "✗"
            print(f"  {mark} {judged.verdict.detail}")
        for outcome in report.outcomes:
            for name, count in outcome.flags().items():
                print(f"    {name} ×{count} — {explain(name, lang)}")
    print(f"wall time: {time.monotonic() - started_all:.1f} s")
    return rows


def _row(report: StepReport, seconds: float, lang: str) -> Row:
    if not report.judged:
        return (report.step.id, "pass", seconds, "applied (nothing to measure)")
    failed = [j.verdict.detail for j in report.judged if not j.verdict.passed]
    outcome = "fail" if failed else "pass"
    return (report.step.id, outcome, seconds, "; ".join(failed) or report.judged[0].verdict.detail)


def _table(rows: list[Row]) -> None:
    width = max((len(r[0]) for r in rows), default=4)
    print(f"\n{'STEP'.ljust(width)}  RESULT  SECONDS")
    for step_id, outcome, seconds, _ in rows:
        print(f"{step_id.ljust(width)}  {outcome.upper():6}  {seconds:7.1f}")
    counts = {k: sum(1 for r in rows if r[1] == k) for k in ("pass", "fail", "error", "skip")}
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
    for step_id, outcome, seconds, detail in rows:
        case = ET.SubElement(
            suite, "testcase", classname="lab", name=step_id, time=f"{seconds:.3f}"
        )
        if outcome in ("fail", "error"):
            ET.SubElement(case, "failure" if outcome == "fail" else "error", message=detail)
        elif outcome == "skip":
            ET.SubElement(case, "skipped", message=detail)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
