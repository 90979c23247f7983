"""`istiotui` entry point: global flags and the subcommand table.

Each subcommand lives in its own module of this package and exposes
`register(subparsers) -> None`, which adds its parser and sets `func`
(a callable taking the parsed namespace and returning an exit status).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from istiotui import __version__
from istiotui.cli.flags import settle

# Modules of istiotui.cli, in the order their commands appear in --help.
COMMANDS: tuple[str, ...] = ("lab", "local", "verify", "probe", "analyze", "graph")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="istiotui",
        description="A keyboard-driven terminal lab for Istio traffic management.",
    )
    parser.add_argument("--version", action="version", version=f"istiotui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"istiotui.cli.{name}").register(sub)
    importlib.import_module("istiotui.cli.tui").add_flags(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settle(parser, args)
    func = getattr(args, "func", None)
    if func is None:
        func = importlib.import_module("istiotui.cli.tui").run  # no command: the full-screen lab
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `istiotui lab list | head`: the reader left; say nothing more, as shell tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
