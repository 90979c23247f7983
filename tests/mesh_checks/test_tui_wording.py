"""The TUI's diff panel and `istiotui analyze` say the same thing about the same objects.

The panel gets its findings from the same `analyze` (over the cluster's state with the step laid
over it, see ui/backend.py) and prints each finding's own sentence; this checks that the words it
shows are the CLI's, in both languages, and that the suppress annotation holds in both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from istiotui.cli.main import main
from istiotui.mesh.analysis import analyze
from istiotui.ui.widgets.diff_view import render_diff

from .builders import dr, namespace, pod, route, service, vs


def world() -> list[dict]:
    """A reviews VirtualService with a typo in a subset, a conflicting twin, an untrippable
    breaker and an uninjected namespace: errors, warnings and info at once."""
    policy = {
        "connectionPool": {"tcp": {"maxConnections": 10}, "http": {"http1MaxPendingRequests": 10}}
    }
    rules = [{"route": [route("reviews", "v33")]}]
    return [
        namespace("bookinfo", injected=False),
        service("reviews", "bookinfo"),
        pod("reviews-v1-0", "bookinfo", {"app": "reviews", "version": "v1"}),
        dr("reviews", "reviews", {"v1": {"version": "v1"}}, "bookinfo", policy),
        vs("reviews", ["reviews"], rules, "bookinfo"),
        vs("reviews-too", ["reviews"], rules, "bookinfo"),
    ]


def cli_lines(tmp_path: Path, capsys, objects: list[dict], lang: str) -> list[str]:
    path = tmp_path / "world.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    # Files alone: these objects hold the Services their references need, so the files settle
    # everything and the findings are the cluster's.
    main(["analyze", str(path), "--lang", lang])
    return capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_panel_shows_the_clis_sentences(tmp_path, capsys, lang: str) -> None:
    findings = analyze(world())
    assert {f.code for f in findings} >= {"IT0101", "IT0107", "IT0111", "IT0118"}
    panel = render_diff((), findings, None, lang, "step").plain
    cli = "\n".join(cli_lines(tmp_path, capsys, world(), lang))
    for f in findings:
        sentence = f.message(lang)
        assert sentence in panel and sentence in cli
        assert f"{f.code} {f.where()}" in panel
        assert f"[{f.code}] ({f.where()})" in cli


def test_the_annotation_silences_a_finding_in_the_panel_too() -> None:
    objects = world()
    objects[0]["metadata"]["annotations"] = {"galley.istio.io/analyze-suppress": "IST0102"}
    findings = analyze(objects)
    panel = render_diff((), findings, None, "en", "step").plain
    assert "IT0111" not in panel
    assert "IT0101" in panel
