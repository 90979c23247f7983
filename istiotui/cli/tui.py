"""`istiotui` with no command: the full-screen lab.

The cluster: `--local` for the embedded one, `--context`/`--kubeconfig` for a real one; with
neither, the kubeconfig's current cluster when it answers within a short timeout, else the local
cluster (started, or attached to when it runs already). The app connects after its first frame.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from istiotui.cli.flags import LOCAL_CONTEXT

if TYPE_CHECKING:
    from istiotui.lab.session import Session


def add_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("the full-screen lab (no COMMAND)")
    where = group.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="use the embedded local cluster")
    where.add_argument("--context", help="kubeconfig context of a real cluster")
    group.add_argument(
        "--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)"
    )
    group.add_argument("--lang", choices=("es", "en"), help="language (default: from the locale)")
    group.add_argument("--step", help="open this step first (an id from `istiotui lab list`)")


def connector_for(args: argparse.Namespace):
    """What the app calls (in a worker) to get its session, as the flags say."""

    def connect() -> Session:
        # The kubernetes client loads here, in the app's connect worker after its first frame.
        from istiotui.cli.session import open_session
        from istiotui.cluster.connection import ClusterUnreachable

        if args.local or args.context or args.kubeconfig:
            return open_session(args)
        try:
            return open_session(args)
        except ClusterUnreachable:
            # No answer from the kubeconfig's cluster: the lab still works on the local one.
            local = argparse.Namespace(local=True, context=None, kubeconfig=None)
            return open_session(local)

    return connect


def run(args: argparse.Namespace) -> int:
    from istiotui.lab.i18n import choose_lang
    from istiotui.lab.loader import LoaderError, load_lab
    from istiotui.ui.app import IstioTui  # Textual is only imported for the full-screen app

    try:
        lab = load_lab()
    except LoaderError as exc:
        print(f"istiotui: the lab does not load:\n{exc}", file=sys.stderr)
        return 2
    if args.step and not lab.has_step(args.step):
        print(f"istiotui: unknown step {args.step!r} (see `istiotui lab list`)", file=sys.stderr)
        return 2
    hint = LOCAL_CONTEXT if args.local else (args.context or "offline")
    app = IstioTui(
        lab,
        choose_lang(args.lang),
        connector_for(args),
        start_step=args.step,
        context_hint=hint,
    )
    app.run()
    return int(app.return_code or 0)
