"""Shell completion for bash and zsh: `istiotui completion bash|zsh` prints the script.

argcomplete does the work: at each Tab the shell runs `istiotui` itself with the command line in
the environment, argcomplete walks the very argparse parser the command runs with and answers the
candidates. So subcommands, flags and choices can never drift from the parser, and the step ids and
kubeconfig contexts come from `completers.py` (the lab's files; the kubeconfig read as YAML,
with no cluster contacted). The printed script is argcomplete's own for that shell.
"""

from __future__ import annotations

import argparse
import sys

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
