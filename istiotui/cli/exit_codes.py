"""The exit statuses every `istiotui` command uses: one table (docs/cli-output.md prints it).

Numbers follow the tools a learner uses beside istiotui where they have one: argparse's and
kubectl's 2 for a wrong command line, `systemctl status`'s 3 for "not running", istioctl
analyze's 79 for findings, the shell's 128+N for a signal. A command returns one of these names,
never a bare number.
"""

from __future__ import annotations

from dataclasses import dataclass

OK = 0
FAILED = 1
USAGE = 2
NOT_RUNNING = 3
LAB_INVALID = 4
UNREACHABLE = 5
ANALYZE_FOUND = 79
INTERRUPTED = 130  # 128 + SIGINT
PIPE_CLOSED = 141  # 128 + SIGPIPE
SIGNALLED = 128  # + the signal's number (SIGTERM 143, SIGHUP 129)


@dataclass(frozen=True)
class Row:
    code: int | str
    name: str
    meaning: str


TABLE: tuple[Row, ...] = (
    Row(OK, "OK", "done; every check passed"),
    Row(
        FAILED,
        "FAILED",
        "a check or verdict failed (a step of `verify`, requests without an answer in `probe`, "
        "something the lab needs missing in `doctor`), or the command could not do what was "
        "asked (no such pod, a login refused) — kubectl's general error",
    ),
    Row(
        USAGE,
        "USAGE",
        "the command line is wrong: unknown command or flag, a bad value, an unknown step id, a "
        "malformed `--suppress` rule or header, a file given that cannot be read, a bad "
        "`ISTIOTUI_*` value",
    ),
    Row(NOT_RUNNING, "NOT_RUNNING", "`local status`: no local cluster runs (`systemctl status`)"),
    Row(
        LAB_INVALID,
        "LAB_INVALID",
        "the lab's own files do not load (`ISTIOTUI_SCENARIOS`); each problem named `file:line` "
        "on stderr, nothing contacted",
    ),
    Row(
        UNREACHABLE,
        "UNREACHABLE",
        "no cluster to talk to: the chosen context does not answer, or the local cluster cannot "
        "start (not Linux, a corrupt store, no free address)",
    ),
    Row(
        ANALYZE_FOUND,
        "ANALYZE_FOUND",
        "`analyze`: a finding reaches `--failure-threshold` (istioctl)",
    ),
    Row(INTERRUPTED, "INTERRUPTED", "Ctrl-C"),
    Row(PIPE_CLOSED, "PIPE_CLOSED", "the reader of the output left (`istiotui lab list | head`)"),
    Row("128+N", "SIGNALLED", "ended by signal N: SIGTERM 143, SIGHUP 129 (a lost terminal)"),
)


def markdown() -> str:
    """The table as docs/cli-output.md shows it (a test keeps the two in step)."""
    lines = ["| code | name | meaning |", "|---|---|---|"]
    cell = str.maketrans({"|": "\\|"})  # a `|` inside a cell would end it
    lines += [f"| {row.code} | `{row.name}` | {row.meaning.translate(cell)} |" for row in TABLE]
    return "\n".join(lines)
