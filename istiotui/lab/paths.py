"""Where the lab's data is: the scenarios directory and Istio's IstioOperator manifests.

In order: an environment variable (for content writers and tests), the copy a
wheel installs inside the package (`istiotui/_data/`, see pyproject's
force-include), and the repository's own folders next to the package (an
editable install or a checkout).
"""

from __future__ import annotations

from pathlib import Path

import istiotui
from istiotui import settings

SCENARIOS_ENV = settings.SCENARIOS.name
ISTIO_MANIFESTS_ENV = settings.ISTIO_MANIFESTS.name

_PACKAGE = Path(istiotui.__file__).resolve().parent


def _find(setting: settings.Setting[Path | None], name: str) -> Path:
    value = setting.get()
    if value is not None:
        return value.resolve()
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def scenarios_dir() -> Path:
    """The directory holding `lab.yaml` and the section files."""
    return _find(settings.SCENARIOS, "scenarios")


def istio_manifests_dir(scenarios: Path | None = None) -> Path:
    """The `istio-manifests/` folder; next to a given scenarios directory when it has one."""
    if scenarios is not None and not settings.ISTIO_MANIFESTS.is_set():
        sibling = scenarios.parent / "istio-manifests"
        if sibling.is_dir():
            return sibling.resolve()
    return _find(settings.ISTIO_MANIFESTS, "istio-manifests")


def display_path(path: Path, scenarios: Path) -> str:
    """`path` relative to the scenarios directory's parent (`scenarios/05-….yaml`) if it can."""
    try:
        return path.resolve().relative_to(scenarios.resolve().parent).as_posix()
    except ValueError:
        return str(path)
