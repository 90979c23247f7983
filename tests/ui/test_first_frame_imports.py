"""What the first frame loads, and what it shows; what comes right after it.

A fresh interpreter takes the path `istiotui` takes (the parser, the lab read back from its
cache, the app with a connector) up to the first frame, then says which modules it holds and
which widgets are mounted; and again once the app has settled. The connect worker is not
started: it loads the client (after the first frame), which is the point.
"""

from __future__ import annotations

import json
import subprocess
import sys

from istiotui.lab.cache import load_lab_cached

# Each costs milliseconds to hundreds of them to import; none is needed to draw the first frame.
# The cluster's: never before the connect worker runs.
CLUSTER = ("kubernetes", "aiohttp", "urllib3", "scipy", "numpy", "vagrant")
# The panels' and the step's Markdown: right after the first frame (docs/tui.md, Start-up).
PANELS = (
    "plotext",
    "rich.pretty",
    "markdown_it",
    "pygments",
    "yaml",
    "textual.widgets._markdown",
    "textual.widgets._tabbed_content",
    "istiotui.lab.loader",
    "istiotui.mesh.analysis",
    "istiotui.mesh.diff",
    "istiotui.ui.workers",
    "istiotui.ui.messages",
    "istiotui.ui.screens.modals",
    "istiotui.ui.screens.viewer",
    "istiotui.ui.widgets.resource_tree",
    "istiotui.ui.widgets.diff_view",
    "istiotui.ui.widgets.traffic",
    "istiotui.ui.widgets.command_fence",  # with the Markdown
    "rich._emoji_codes",  # markup labels; the first frame's are Text
)
# Loaded once the panels are mounted; the rest (the lab's loader, the workers and their messages,
# the dialogs) waits for its first use.
ON_USE = (
    "istiotui.lab.loader",
    "istiotui.ui.workers",
    "istiotui.ui.messages",
    "istiotui.ui.screens.modals",
    "istiotui.ui.screens.viewer",
)
SETTLED = {m for m in PANELS if m not in ON_USE}

FIRST_FRAME = """
import asyncio, json, sys, tempfile
from pathlib import Path

from istiotui.cli.main import parse
from istiotui.cli.tui import connector_for
from istiotui.lab.cache import load_lab_cached
from istiotui.ui.app import IstioTui

_parser, args = parse(["--context", "none"])
connector = connector_for(args)
app = IstioTui(load_lab_cached(Path(CACHE)), "en", connector, state_dir=Path(tempfile.mkdtemp()))
app.connect_cluster = lambda: None  # the worker that would load the client stays unstarted
seen = {}


def loaded():
    return sorted(name for name in HEAVY if name in sys.modules)


def widgets():
    screen = app.main_screen
    return {
        "draft": len(screen.query("#step > .draft")),
        "markdown": len(screen.query("#step > Markdown")),
        "tree": len(screen.query("#resources")),
        "tabs": len(screen.query("#tabs")),
        "keys": str(screen.query_one("#keys").render()),
    }


def at_first_frame():
    seen["at_first_frame"] = loaded()
    seen["first_widgets"] = widgets()


app.after_first_frame.append(at_first_frame)


async def run() -> None:
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):  # until the deferred widgets are in (bounded; no sleeps)
            await pilot.pause()
            if app.main_screen.query("#step > Markdown") and app.main_screen.query("#traffic"):
                break
        await pilot.pause()
        seen["settled"] = loaded()
        seen["settled_widgets"] = widgets()

asyncio.run(run())
print(json.dumps(seen))
"""


def first_frame(tmp_path, size: tuple[int, int]) -> dict:
    cache = tmp_path / "cache"
    load_lab_cached(cache)  # as any start after the first finds it
    heavy = (*CLUSTER, *PANELS)
    code = f"HEAVY = {heavy!r}\nCACHE = {str(cache)!r}\nSIZE = {size!r}\n{FIRST_FRAME}"
    env = {"KUBECONFIG": str(tmp_path / "none"), "ISTIOTUI_STATE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**_base_env(), **env},
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_first_frame_loads_only_what_it_shows(tmp_path) -> None:
    seen = first_frame(tmp_path, (120, 40))
    assert seen["at_first_frame"] == [], f"loaded before the first frame: {seen}"
    # The first frame: the step's text as a draft, the key bar whole, no panels yet.
    first = seen["first_widgets"]
    assert first["draft"] >= 3 and first["markdown"] == 0, first
    assert first["tree"] == 0 and first["tabs"] == 0, first
    assert "palette" in first["keys"] and "Apply" in first["keys"], first
    # Right after it: the Markdown in the draft's place, the panels and their modules; the
    # cluster's modules wait for the connect worker.
    settled = seen["settled_widgets"]
    assert settled["draft"] == 0 and settled["markdown"] == 1, settled
    assert settled["tree"] == 1 and settled["tabs"] == 1, settled
    assert settled["keys"] == first["keys"]
    assert set(seen["settled"]) == SETTLED, seen


def test_below_120_columns_the_step_tab_is_drawn_first(tmp_path) -> None:
    """The tabs hold the step there: they are in the first frame, the other tabs' contents and
    the Markdown are not."""
    seen = first_frame(tmp_path, (80, 24))
    assert seen["at_first_frame"] == ["textual.widgets._tabbed_content"], seen
    first, settled = seen["first_widgets"], seen["settled_widgets"]
    assert first["draft"] >= 3 and first["markdown"] == 0 and first["tree"] == 0, first
    assert settled["draft"] == 0 and settled["markdown"] == 1 and settled["tree"] == 1, settled
    assert "Apply" in first["keys"] and settled["keys"] == first["keys"]
    assert set(seen["settled"]) == SETTLED, seen


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("ISTIOTUI_")}
