"""`istiotui verify` with lab files that do not load: the loader's `file:line` problems and exit
status 4 (LAB_INVALID), never a traceback, and no cluster is contacted (the lab is read first)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from istiotui.cli import exit_codes

BROKEN = Path(__file__).resolve().parents[1] / "lab" / "broken"


@pytest.mark.parametrize(
    ("lab", "where"),
    [
        ("bad-yaml", "scenarios/01-basics.yaml:8: invalid YAML"),
        ("duplicate-step-id", "scenarios/"),
        ("missing-manifest", "scenarios/"),
    ],
)
def test_verify_names_the_file_and_line_and_exits_lab_invalid(
    lab: str, where: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "ISTIOTUI_SCENARIOS": str(BROKEN / lab / "scenarios"),
        # A cluster that would be contacted if the lab were not read first: none may be.
        "KUBECONFIG": str(tmp_path / "no-kubeconfig"),
        "ISTIOTUI_STATE_DIR": str(tmp_path / "state"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "istiotui", "verify", "--local", "some-step"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == exit_codes.LAB_INVALID, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("istiotui verify: the lab does not load:\n")
    problems = done.stderr.splitlines()[1:]
    assert problems and all(line.startswith(where) for line in problems), done.stderr
    assert all(":" in line.removeprefix("scenarios/").split(" ")[0] for line in problems)
    assert not (tmp_path / "state").exists()  # no local cluster was started
