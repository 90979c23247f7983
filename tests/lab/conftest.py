from __future__ import annotations

import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).parent
GOOD = HERE / "fixtures" / "good"
BROKEN = HERE / "broken"


@pytest.fixture
def good_copy(tmp_path: Path) -> Path:
    """A writable copy of the good fixture lab; returns its `scenarios` directory."""
    shutil.copytree(GOOD, tmp_path / "lab")
    return tmp_path / "lab" / "scenarios"


@pytest.fixture
def good_lab_env(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Points the CLI at the good fixture lab through the environment, as a user would."""
    scenarios = GOOD / "scenarios"
    monkeypatch.setenv("ISTIOTUI_SCENARIOS", str(scenarios))
    return scenarios
