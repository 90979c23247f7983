"""istiotui/vms sits below ui/ and uses nothing above it (docs/vms.md): only itself and the
package-root helpers every layer may use (settings, process_group)."""

from __future__ import annotations

import ast

from vms_helpers import ROOT

SHARED = {"istiotui.settings", "istiotui.process_group"}


def test_vms_imports_only_itself_from_istiotui() -> None:
    offenders = []
    for path in sorted((ROOT / "istiotui" / "vms").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module == "istiotui":
                names = [f"istiotui.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name in SHARED:
                    continue
                if name.startswith("istiotui") and not name.startswith("istiotui.vms"):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []
