"""`istiotui` entry point: global flags and the subcommand table.

Each subcommand lives in its own module of this package and exposes
`register(subparsers) -> None`, which adds its parser and sets `func`
(a callable taking the parsed namespace and returning an exit status).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from istiotui import __version__, settings
from istiotui.cli import exit_codes, logs
from istiotui.cli.flags import settle

# Modules of istiotui.cli, in the order their commands appear in --help.
COMMANDS: tuple[str, ...] = (
    "lab",
    "local",
    "verify",
    "probe",
    "analyze",
    "explain",
    "graph",
    "dashboard",
    "doctor",
    "completion",
)


def build_parser(commands: bool = True) -> argparse.ArgumentParser:
    """`commands=False`: the global flags alone, without importing any command's module; it
    raises ArgumentError rather than exit, so that the full parser can say it properly."""
    parser = argparse.ArgumentParser(
        prog="istiotui",
        description="A keyboard-driven terminal lab for Istio traffic management.",
        exit_on_error=commands,
    )
    parser.add_argument("--version", action="version", version=f"istiotui {__version__}")
    if commands:
        sub = parser.add_subparsers(dest="command", metavar="COMMAND")
        for name in COMMANDS:
            importlib.import_module(f"istiotui.cli.{name}").register(sub)
    importlib.import_module("istiotui.cli.tui").add_flags(parser)
    logs.add_flags(parser)  # last: onto every subcommand's parser too
    return parser


def parse(argv: Sequence[str] | None = None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """The parser that read `argv` and what it read, global flags settled.

    Plain `istiotui [flags]` (the full-screen lab) is parsed without the commands' modules, which
    would otherwise all load before the lab's first frame; anything else the light parser does not
    take (a command, a typo, help) goes to the full one, so its answers and errors are unchanged."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # A completion request (argcomplete's protocol) needs the full parser: the light one would
    # start the lab instead.
    if "_ARGCOMPLETE" not in os.environ and not any(a.startswith(("-h", "--h")) for a in argv):
        light = build_parser(commands=False)
        try:
            args, rest = light.parse_known_args(argv)
        except argparse.ArgumentError:
            rest = argv
        if not rest:
            args.command = None
            settle(light, args)
            return light, args
    parser = build_parser()
    from istiotui.cli.completers import autocomplete  # a command's module: not on the lab's path

    autocomplete(parser)  # the shell asking for Tab's candidates: answered, then exit
    args = parser.parse_args(argv)
    settle(parser, args)
    return parser, args


def main(argv: Sequence[str] | None = None) -> int:
    _parser, args = parse(argv)
    func = getattr(args, "func", None)
    try:
        logs.setup(args, logs.tui_log_file() if func is None else None)
    except settings.SettingError as exc:
        print(f"istiotui: {exc}", file=sys.stderr)
        return exit_codes.USAGE
    logging.getLogger(__name__).debug("istiotui %s, argv %s", __version__, argv or sys.argv[1:])
    if func is None:
        func = importlib.import_module("istiotui.cli.tui").run  # no command: the full-screen lab
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return exit_codes.INTERRUPTED
    except BrokenPipeError:
        # `istiotui lab list | head`: the reader left; say nothing more, as shell tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return exit_codes.PIPE_CLOSED


if __name__ == "__main__":
    sys.exit(main())
