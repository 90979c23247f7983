"""What the first frame loads: never the kubernetes client, the probe engine or the VM layer.

A fresh interpreter takes the path `istiotui` takes (the parser, the lab, the app with a
connector) up to the first frame, then says which heavy modules it holds, and again once the
hidden tabs are mounted. The connect worker is not started: it loads the client (after the first
frame), which is the point.
"""

from __future__ import annotations

import json
import subprocess
import sys

# Each costs tens to hundreds of milliseconds to import; none is needed to draw the lab.
HEAVY = ("kubernetes", "aiohttp", "urllib3", "scipy", "numpy", "vagrant", "plotext", "rich.pretty")

FIRST_FRAME = """
import argparse, asyncio, json, sys, tempfile
from pathlib import Path

from istiotui.cli.main import parse
from istiotui.cli.tui import connector_for
from istiotui.lab.loader import load_lab
from istiotui.ui.app import IstioTui

_parser, args = parse(["--context", "none"])
connector = connector_for(args)
app = IstioTui(load_lab(), "en", connector, state_dir=Path(tempfile.mkdtemp()))
app.connect_cluster = lambda: None  # the worker that would load the client stays unstarted

seen = {}

async def first_frame() -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        seen["drawn"] = bool(app.screen.query("#step"))
        seen["at_first_frame"] = sorted(name for name in HEAVY if name in sys.modules)
        await pilot.pause()
        seen["settled"] = sorted(name for name in HEAVY if name in sys.modules)

asyncio.run(first_frame())
print(json.dumps(seen))
"""


def test_the_first_frame_loads_none_of_the_heavy_modules(tmp_path) -> None:
    code = f"HEAVY = {HEAVY!r}\n{FIRST_FRAME}"
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
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["drawn"]
    assert seen["at_first_frame"] == [], f"loaded before the first frame: {seen}"
    # Right after it the hidden tabs get their widgets (plot, log); the cluster's modules wait
    # for the connect worker.
    assert set(seen["settled"]) <= {"plotext", "rich.pretty"}, seen


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("ISTIOTUI_")}
