"""Tab's candidates: argcomplete's hook and the completers for step ids and kubeconfig contexts.

Kept apart from the `completion` command (which prints the shell's script) so that the parsers
that attach these completers, the lab's own start among them, never load a command's module.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any


def autocomplete(parser: argparse.ArgumentParser) -> None:
    """Answer a completion request and exit, when the shell made one; else do nothing."""
    if "_ARGCOMPLETE" not in os.environ:
        return  # an ordinary run: argcomplete is not even imported
    import argcomplete

    argcomplete.autocomplete(parser)


def complete_step_ids(parsed_args: argparse.Namespace | None = None, **_: Any) -> dict[str, str]:
    """The lab's step ids in the lab's order, each with its title (zsh shows it beside)."""
    from istiotui.lab.cache import load_lab_cached  # each Tab: the app's copy, not a fresh load
    from istiotui.lab.errors import LoaderError
    from istiotui.lab.i18n import choose_lang

    try:
        lab = load_lab_cached()
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
