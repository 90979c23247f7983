"""`-v/--verbose` and `--log-level`: Python logging for every command, before or after it.

Both are added to the main parser and to every subcommand's parser (walked once the table is
built, so a command added later has them too), with no default so that wherever they are written
they count. The level: `--log-level`, else `-v` (info) or `-vv` (debug), else `$ISTIOTUI_LOG_LEVEL`,
else warning. A level asked for is also exported as `ISTIOTUI_LOG_LEVEL`, so that a local cluster
this command starts logs at it too (its `server.log`; a running one keeps the level it started
with). Commands log to stderr; the full-screen lab, which owns the terminal, to `istiotui.log` in
the state folder.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from istiotui import settings

VERBOSE = "verbose_"  # + the parser's depth: `-v` counts at each level, summed
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def add_flags(parser: argparse.ArgumentParser, depth: int = 0) -> None:
    """The two flags on `parser` and on every subcommand's parser below it. Each level counts
    `-v` under a name of its own: argparse copies a subcommand's namespace over the main one, so
    one shared name would keep only the count after the command (`-v lab list -v` = 1)."""
    group = parser.add_argument_group("logging (before or after COMMAND)")
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        dest=f"{VERBOSE}{depth}",
        default=argparse.SUPPRESS,
        help="say more: -v info, -vv debug",
    )
    group.add_argument(
        "--log-level",
        type=str.lower,
        choices=settings.LOG_LEVELS,
        default=argparse.SUPPRESS,
        help="logging level (default: $ISTIOTUI_LOG_LEVEL, else warning)",
    )
    for action in parser._actions:  # argparse keeps subcommands there; no public accessor
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):  # aliases share a parser
                add_flags(sub, depth + 1)


def level_name(args: argparse.Namespace) -> str | None:
    """The level asked for by the flags or the environment; None: nobody asked."""
    given = getattr(args, "log_level", None)
    if given:
        return given
    verbose = sum(n or 0 for k, n in vars(args).items() if k.startswith(VERBOSE))
    if verbose:
        return "info" if verbose == 1 else "debug"
    return settings.LOG_LEVEL.get()


def setup(args: argparse.Namespace, log_file: Path | None = None) -> str | None:
    """Configure logging as `args` say; `log_file` instead of stderr (the full-screen lab).
    Returns the level set, or None when nobody asked (Python's own: warnings to stderr)."""
    name = level_name(args)
    if name is None:
        return None
    os.environ[settings.LOG_LEVEL.name] = name  # for the local cluster a command may start
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(name.upper())
    return name


def tui_log_file() -> Path:
    return settings.state_root() / "istiotui.log"
