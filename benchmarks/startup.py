"""Time to the first frame of `istiotui` (offline, in-process) against a bare Textual app.

    python benchmarks/startup.py [--runs N]

Both run headless through `App.run_test()`; the clock stops when the default screen is mounted
and the first refresh has happened. The lab is loaded before the clock starts for both (it is
the same work the CLI does before the app exists); the ratio says what istiotui's own widgets,
stylesheet and first render cost on top of Textual itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Static


class Bare(App):
    def compose(self) -> ComposeResult:
        yield Static("hello")


async def first_frame(make) -> float:
    app = make()
    started = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()  # mounted and refreshed once
        elapsed = time.perf_counter() - started
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    os.environ["KUBECONFIG"] = "/nonexistent"  # never the user's cluster
    state = Path(tempfile.mkdtemp(prefix="istiotui-bench-"))

    from istiotui.lab.loader import load_lab
    from istiotui.ui.app import IstioTui

    lab = load_lab()

    def ours() -> App:
        return IstioTui(lab, "en", None, state_dir=state)

    asyncio.run(first_frame(Bare))  # warm imports and caches for both
    asyncio.run(first_frame(ours))
    bare = [asyncio.run(first_frame(Bare)) for _ in range(args.runs)]
    tui = [asyncio.run(first_frame(ours)) for _ in range(args.runs)]
    b, t = statistics.median(bare), statistics.median(tui)
    print(f"bare Textual app: median {b * 1000:.1f} ms over {args.runs} runs")
    print(f"istiotui:         median {t * 1000:.1f} ms over {args.runs} runs")
    print(f"ratio: {t / b:.2f}x")


if __name__ == "__main__":
    main()
