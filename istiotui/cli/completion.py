"""Shell completion for bash and zsh: `istiotui completion bash|zsh` prints the script.

argcomplete does the work: at each Tab the shell runs `istiotui` itself with the command line in
the environment, argcomplete walks the very argparse parser the command runs with and answers the
candidates. So subcommands, flags and choices can never drift from the parser, and the step ids and
kubeconfig contexts come from completers below (the lab's files; the kubeconfig read as YAML, with
no cluster contacted). The printed script is argcomplete's own for that shell.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from istiotui.cli import exit_codes

SHELLS = ("bash", "zsh")
PROG = "istiotui"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "completion",
        help="print the shell completion script (bash or zsh)",
        description="Print the script that makes Tab complete istiotui's commands, flags, step "
        'ids and kubeconfig contexts. bash: eval "$(istiotui completion bash)" in ~/.bashrc; '
        'zsh: eval "$(istiotui completion zsh)" in ~/.zshrc after compinit.',
    )
    parser.add_argument("shell", choices=SHELLS)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import argcomplete

    sys.stdout.write(argcomplete.shellcode([PROG], shell=args.shell))
    return exit_codes.OK


def autocomplete(parser: argparse.ArgumentParser) -> None:
    """Answer a completion request and exit, when the shell made one; else do nothing."""
    if "_ARGCOMPLETE" not in os.environ:
        return  # an ordinary run: argcomplete is not even imported
    import argcomplete

    argcomplete.autocomplete(parser)


def complete_step_ids(parsed_args: argparse.Namespace | None = None, **_: Any) -> dict[str, str]:
    """The lab's step ids in the lab's order, each with its title (zsh shows it beside)."""
    from istiotui.lab.i18n import choose_lang
    from istiotui.lab.loader import LoaderError, load_lab

    try:
        lab = load_lab()
    except LoaderError:
        return {}  # completion says nothing rather than print the lab's problems mid-line
    lang = choose_lang(getattr(parsed_args, "lang", None))
    return {step.id: step.title.get(lang) for step in lab.steps()}


def complete_contexts(parsed_args: argparse.Namespace | None = None, **_: Any) -> list[str]:
    """The contexts of the kubeconfig the command would read (`--kubeconfig` when already
    written, else $KUBECONFIG's files, else ~/.kube/config), in file order."""
    given = getattr(parsed_args, "kubeconfig", None)
    return kubeconfig_contexts(given)


def kubeconfig_contexts(kubeconfig: str | None = None) -> list[str]:
    import yaml

    if kubeconfig:
        files = [kubeconfig]
    elif os.environ.get("KUBECONFIG"):
        files = [f for f in os.environ["KUBECONFIG"].split(os.pathsep) if f]
    else:
        files = [str(Path.home() / ".kube" / "config")]
    names: list[str] = []
    for name in files:
        try:
            doc = yaml.safe_load(Path(name).expanduser().read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # a missing or broken file offers nothing, as kubectl skips it
        contexts = doc.get("contexts") if isinstance(doc, dict) else None
        for context in contexts if isinstance(contexts, list) else []:
            found = context.get("name") if isinstance(context, dict) else None
            if isinstance(found, str) and found not in names:
                names.append(found)
    return names
