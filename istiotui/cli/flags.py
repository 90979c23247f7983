"""Flags that may be written before or after the subcommand (kept import-light for `--help`).

`istiotui --local verify X` and `istiotui verify X --local` mean the same. argparse copies a
subcommand's defaults over what the main parser read, so every copy of these flags has no default
(`SUPPRESS`): a flag is in the namespace only when it was written, wherever it was. `settle`
then refuses a flag the command does not take and fills in the defaults.
"""

from __future__ import annotations

import argparse

from istiotui.cli.completers import complete_contexts

# The context name of the embedded local cluster in its own kubeconfig.
LOCAL_CONTEXT = "istiotui-local"

CLUSTER_FLAGS = ("local", "context", "kubeconfig")
GLOBAL_FLAGS = (*CLUSTER_FLAGS, "lang", "step")
_DEFAULTS: dict[str, object] = {"local": False, "context": None, "kubeconfig": None}
_DEFAULTS |= {"lang": None, "step": None}

# Set by a subcommand's parser: which of the global flags it takes.
TAKES = "_takes"


def add_cluster_flags(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--local",
        action="store_true",
        default=argparse.SUPPRESS,
        help="use the embedded local cluster",
    )
    context = group.add_argument(
        "--context", default=argparse.SUPPRESS, help="kubeconfig context of a real cluster"
    )

    context.completer = complete_contexts  # type: ignore[attr-defined]
    parser.add_argument(
        "--kubeconfig",
        default=argparse.SUPPRESS,
        help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)",
    )


def add_lang_flag(parser: argparse.ArgumentParser | argparse._ArgumentGroup, help: str) -> None:
    parser.add_argument("--lang", choices=("es", "en"), default=argparse.SUPPRESS, help=help)


def takes(parser: argparse.ArgumentParser, *flags: str) -> None:
    """Declare the global flags a subcommand honours; the others are refused for it."""
    parser.set_defaults(**{TAKES: frozenset(flags)})


def settle(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse global flags the command does not take (a usage error, exit 2), then fill in the
    defaults of the ones not written."""
    command = getattr(args, "command", None)
    given = [f for f in GLOBAL_FLAGS if f in vars(args)]
    if command is not None:
        allowed = getattr(args, TAKES, frozenset())
        refused = [f for f in given if f not in allowed]
        if refused:
            names = ", ".join(f"--{f}" for f in refused)
            parser.error(f"{names}: not an option of `istiotui {command}`")
    if getattr(args, "local", False) and (
        getattr(args, "context", None) or getattr(args, "kubeconfig", None)
    ):
        parser.error("--local names the embedded cluster: it goes with neither --context nor "
                     "--kubeconfig")  # fmt: skip
    for flag, default in _DEFAULTS.items():
        if flag not in vars(args):
            setattr(args, flag, default)
    if TAKES in vars(args):
        delattr(args, TAKES)
