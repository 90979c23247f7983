"""Where the lab's data is: the scenarios directory and Istio's IstioOperator manifests.

In order: an environment variable (for content writers and tests), the copy a
wheel installs inside the package (`istiotui/_data/`, see pyproject's
force-include), and the repository's own folders next to the package (an
editable install or a checkout).
"""

from __future__ import annotations

import os
from pathlib import Path

import istiotui

SCENARIOS_ENV = "ISTIOTUI_SCENARIOS"
ISTIO_MANIFESTS_ENV = "ISTIOTUI_ISTIO_MANIFESTS"

_PACKAGE = Path(istiotui.__file__).resolve().parent


def _find(env: str, name: str) -> Path:
    value = os.environ.get(env)
    if value:
        return Path(value).expanduser().resolve()
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def scenarios_dir() -> Path:
    """The directory holding `lab.yaml` and the section files."""
    return _find(SCENARIOS_ENV, "scenarios")


def istio_manifests_dir(scenarios: Path | None = None) -> Path:
    """The `istio-manifests/` folder; next to a given scenarios directory when it has one."""
    if scenarios is not None and not os.environ.get(ISTIO_MANIFESTS_ENV):
        sibling = scenarios.parent / "istio-manifests"
        if sibling.is_dir():
            return sibling.resolve()
    return _find(ISTIO_MANIFESTS_ENV, "istio-manifests")


def display_path(path: Path, scenarios: Path) -> str:
    """`path` relative to the scenarios directory's parent (`scenarios/05-….yaml`) if it can."""
    try:
        return path.resolve().relative_to(scenarios.resolve().parent).as_posix()
    except ValueError:
        return str(path)
