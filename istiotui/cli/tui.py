"""`istiotui` with no command: the full-screen lab.

The cluster: as `cluster_rule` decides for every command; the app alone falls back to the local
cluster when the kubeconfig's current one does not answer. The app connects after its first frame.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import sys
from typing import TYPE_CHECKING

from istiotui.cli import exit_codes
from istiotui.cli.completers import complete_step_ids
from istiotui.cli.ending import Ending
from istiotui.cli.flags import LOCAL_CONTEXT, add_cluster_flags, add_lang_flag

if TYPE_CHECKING:
    from istiotui.lab.session import Session
    from istiotui.ui.app import IstioTui


def add_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "the cluster and the language (before or after COMMAND; see docs/clusters.md)"
    )
    add_cluster_flags(group)
    add_lang_flag(group, "language (default: from the locale)")
    step = group.add_argument(
        "--step",
        default=argparse.SUPPRESS,
        help="the full-screen lab: open this step first (an id from `istiotui lab list`)",
    )

    step.completer = complete_step_ids  # type: ignore[attr-defined]


def connector_for(args: argparse.Namespace):
    """What the app calls (in a worker) to get its session, as the flags say."""

    def connect() -> Session:
        # The kubernetes client loads here, in the app's connect worker after its first frame.
        from istiotui.cli.session import open_session

        return open_session(args, app=True)  # rule 4: the local cluster when no answer

    return connect


def run(args: argparse.Namespace) -> int:
    # Signals first: a lost terminal while the lab loads or Textual starts ends the process too.
    app_box: list = []
    ending = Ending([lambda: _settle_local_start(app_box[0] if app_box else None), _exit_hooks])
    ending.install()
    try:
        code = _run(args, ending, app_box)
    finally:
        ending.restore()
    # Ended by a signal: the shell's 128+N whether the app shut down in time or the timer ended
    # it (exit_codes.SIGNALLED), so a script sees one code for one cause.
    return exit_codes.SIGNALLED + ending.signalled if ending.signalled else code


def _run(args: argparse.Namespace, ending: Ending, app_box: list) -> int:
    # Start-up makes some 90,000 objects the collector tracks, nearly all living as long as the
    # process (modules, the lab, styles); it would walk them over and over before the first frame
    # (≈ 40 ms). It runs again once the first frame is drawn, with them set aside for good
    # (`gc.freeze`).
    gc.disable()
    try:
        return _start(args, ending, app_box)
    finally:
        _resume_collector()


def _resume_collector() -> None:
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _start(args: argparse.Namespace, ending: Ending, app_box: list) -> int:
    from istiotui.lab.cache import load_lab_cached
    from istiotui.lab.errors import LoaderError
    from istiotui.lab.i18n import choose_lang
    from istiotui.ui.app import IstioTui  # Textual is only imported for the full-screen app

    try:
        lab = load_lab_cached()
    except LoaderError as exc:
        print(f"istiotui: the lab does not load:\n{exc}", file=sys.stderr)
        return exit_codes.LAB_INVALID
    if args.step and not lab.has_step(args.step):
        print(f"istiotui: unknown step {args.step!r} (see `istiotui lab list`)", file=sys.stderr)
        return exit_codes.USAGE
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Without a terminal Textual has nothing to read keys from or draw on: it would spin
        # (and start a local cluster) with nobody to see it.
        print(
            "istiotui: the full-screen lab needs a terminal (stdin and stdout); in a script use "
            "its commands: `istiotui lab list`, `istiotui verify STEP`, `istiotui --help`",
            file=sys.stderr,
        )
        return exit_codes.USAGE
    hint = LOCAL_CONTEXT if args.local else (args.context or "offline")
    app = IstioTui(
        lab,
        choose_lang(args.lang),
        connector_for(args),
        start_step=args.step,
        context_hint=hint,
        exit_signals=False,  # `ending` handles them, also when the app's loop is blocked
    )
    app.after_first_frame.append(_resume_collector)
    app_box.append(app)
    ending.quit = app.exit
    try:
        app.run()
    finally:
        _settle_local_start(app)
    return int(app.return_code or 0)


def _settle_local_start(app: IstioTui | None) -> None:
    """A local cluster the app started keeps running once the app has said so (its notes shown
    on connecting); one whose start it never reported is stopped (docs/clusters.md)."""
    session = sys.modules.get("istiotui.cli.session")
    if session is None:
        return  # nothing was connected, so nothing was started
    if app is not None and app.notes_shown:
        session.forget_starts()
    else:
        session.stop_unannounced_starts()


def _exit_hooks() -> None:
    # What a normal exit would run (the vms layer's hook interrupts a running vagrant); the
    # forced end skips them otherwise. Private to CPython but the one way to run them early.
    atexit._run_exitfuncs()
