"""`-o json|yaml` of the commands that need no cluster: real runs through `main(argv)`, their
documents parsed back and held against the key tables of docs/cli-output.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cli.output_schema import assert_documented, documented_keys
from istiotui.cli import exit_codes
from istiotui.cli.main import main
from istiotui.cli.output import plain, render
from istiotui.lab.loader import load_lab


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_lab_list_is_the_outline_as_data(capsys, fmt: str) -> None:
    code, out = _run(capsys, "lab", "list", "-o", fmt, "--lang", "en")
    assert code == exit_codes.OK
    doc = json.loads(out) if fmt == "json" else yaml.safe_load(out)
    assert_documented("lab list", doc)
    lab = load_lab()
    ids = [s["id"] for section in doc["sections"] for s in section["steps"]]
    assert ids == lab.step_ids()
    assert doc["lang"] == "en" and doc["title"] == lab.title.get("en")


@pytest.mark.parametrize("step", ["routing-all-v1", "cb-fortio-c3", "vms-up"])
def test_lab_show_is_the_step_as_data(capsys, step: str) -> None:
    code, out = _run(capsys, "lab", "show", step, "-o", "json", "--lang", "es")
    assert code == exit_codes.OK
    doc = json.loads(out)
    assert_documented("lab show", doc)
    lab_step = load_lab().step(step)
    assert doc["id"] == step and doc["lang"] == "es"
    assert doc["title"] == lab_step.title.es
    assert doc["commands"] == list(lab_step.commands)
    assert [a["verb"] for a in doc["actions"]] == [a.verb for a in lab_step.actions]
    assert [p["id"] for p in doc["probes"]] == [p.id for p in lab_step.probes]


def test_lab_show_yaml_keeps_texts_as_blocks(capsys) -> None:
    code, out = _run(capsys, "lab", "show", "routing-all-v1", "-o", "yaml", "--lang", "en")
    assert code == exit_codes.OK
    assert "\ntext: |\n" in out
    assert yaml.safe_load(out)["text"] == load_lab().step("routing-all-v1").text.en


def test_an_unknown_step_prints_no_document(capsys) -> None:
    code, out = _run(capsys, "lab", "show", "nope", "-o", "json")
    assert code == exit_codes.USAGE and out == ""


def test_local_status_when_nothing_runs_is_a_document_too(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("ISTIOTUI_STATE_DIR", str(tmp_path))
    code, out = _run(capsys, "local", "status", "-o", "json")
    assert code == exit_codes.NOT_RUNNING
    doc = json.loads(out)
    assert_documented("local status", doc)
    assert doc["running"] is False and doc["url"] is None
    assert doc["stateDir"] == str(tmp_path / "local")


def test_analyze_renders_through_the_same_module(capsys, tmp_path: Path) -> None:
    path = tmp_path / "vs.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: r}\n"
        "spec: {selector: {app: r}, ports: [{port: 9080, name: http}]}\n---\n"
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\n"
        "spec: {hosts: [r], http: [{route: [{destination: {host: r, subset: v1}}]}]}\n"
    )
    code, out = _run(capsys, "analyze", str(path), "-o", "yaml")
    assert code == exit_codes.ANALYZE_FOUND
    doc = yaml.safe_load(out)
    assert doc["schemaVersion"] == 1 and doc["failed"] is True
    assert any(f["code"] == "IT0101" for f in doc["findings"]), doc


def test_render_writes_plain_data_and_refuses_other_formats() -> None:
    data = {"a": (1, 2), "p": Path("/x"), "s": frozenset({"b", "a"}), "t": "one\ntwo\n"}
    written = {"a": [1, 2], "p": "/x", "s": ["a", "b"], "t": "one\ntwo\n"}
    assert json.loads(render(data, "json")) == written
    assert yaml.safe_load(render(data, "yaml")) == plain(data)
    with pytest.raises(ValueError, match="not a data format"):
        render(data, "text")


def test_every_documented_command_has_a_table() -> None:
    for command in ("lab list", "lab show", "local status", "verify", "probe", "doctor", "graph"):
        assert documented_keys(command)[0] == "schemaVersion", command


def test_graph_document_has_the_issue_keys_after_the_schema_version() -> None:
    from istiotui.cli.graph import graph_data
    from istiotui.mesh.traffic_graph import Edge, Graph, Node, Workload

    page, details = Workload("bookinfo", "productpage", "v1"), Workload("bookinfo", "details", "v1")
    httpbin = Workload("default", "httpbin", "v1")
    fortio = Workload("default", "fortio")
    edges = (
        Edge(page, details, 100, 0, 1.6, 4.9),
        Edge(fortio, httpbin, 30, 19, None, None, {"UO": 19}),
        Edge(fortio, Workload("default", "httpbin", "v2"), 30, 0, 1.0, 2.0, mirrored=True),
    )
    graph = Graph(tuple(Node(w, "workload") for w in (page, details, fortio)), edges, "src", 4)
    doc = json.loads(render(graph_data(graph, "bookinfo"), "json"))
    assert next(iter(doc)) == "schemaVersion"
    assert_documented("graph", doc)
    assert doc["namespace"] == "bookinfo" and doc["proxies"] == 4 and doc["source"] == "src"
    first, overflow, mirror = doc["edges"]
    assert first == {
        "source": {"namespace": "bookinfo", "app": "productpage", "version": "v1"},
        "destination": {"namespace": "bookinfo", "app": "details", "version": "v1"},
        "requests": 100, "errors": 0, "p50_ms": 1.6, "p99_ms": 4.9, "flags": {},
        "mirrored": False,
    }  # fmt: skip
    assert overflow["flags"] == {"UO": 19} and overflow["p50_ms"] is None
    assert mirror["mirrored"] is True
    assert yaml.safe_load(render(graph_data(graph, None), "yaml"))["namespace"] is None


def test_graph_refuses_an_unknown_format(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["graph", "-o", "wide", "--local"])
    assert info.value.code == exit_codes.USAGE
    assert "table" in capsys.readouterr().err
