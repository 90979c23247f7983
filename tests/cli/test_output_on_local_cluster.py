"""`-o json` of the commands that talk to a cluster, run as a learner runs them against a local
cluster of the test session: `local status`, `verify --local` (the lab's own steps, judged from
real traffic through Envoy) and `probe` at the ingress gateway. Each document parses and has the
keys docs/cli-output.md lists; stdout holds nothing else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from cli.conftest import Istiotui
from cli.output_schema import assert_documented
from istiotui.cli import exit_codes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(start_local_cluster) -> Iterator[Any]:
    cluster = start_local_cluster("cli-output")
    yield cluster
    cluster.stop()


@pytest.fixture
def run(cluster: Any, istiotui: Istiotui) -> Istiotui:
    """`istiotui` as a learner runs it (tests/cli/conftest.py), attached to the cluster."""
    return lambda *argv: istiotui(*argv, env=cluster.env, timeout=300)


def test_local_status(cluster: Any, run: Istiotui) -> None:
    done = run("local", "status", "-o", "json")
    assert done.returncode == exit_codes.OK, done.stderr
    doc = json.loads(done.stdout)
    assert_documented("local status", doc)
    assert doc["running"] is True
    assert doc["url"] == cluster.url and doc["pid"] == cluster.pid
    assert doc["kubeconfig"] == str(cluster.kubeconfig) and doc["context"] == "istiotui-local"
    assert doc["unsupported"] is None


def test_verify_a_step_as_json(cluster: Any, run: Istiotui) -> None:
    done = run("verify", "--local", "routing-round-robin", "-o", "json")
    assert done.returncode == exit_codes.OK, done.stderr
    doc = json.loads(done.stdout)  # the commentary went to stderr
    assert_documented("verify", doc)
    assert doc["cluster"]["kind"] == "local" and doc["cluster"]["server"] == cluster.url
    assert doc["passed"] is True
    assert doc["counts"] == {"pass": 1, "fail": 0, "error": 0, "skip": 0}
    (step,) = doc["steps"]
    assert step["id"] == "routing-round-robin" and step["result"] == "pass"
    assert step["checks"] and all(c["passed"] for c in step["checks"])
    assert "v1" in step["detail"] and "v3" in step["detail"]
    assert "▶ routing-round-robin" in done.stderr


def test_verify_skips_as_json_and_yaml_parses(run: Istiotui) -> None:
    import yaml

    done = run("verify", "--local", "vms-up", "-o", "yaml")
    assert done.returncode == exit_codes.OK, done.stderr
    doc = yaml.safe_load(done.stdout)
    assert_documented("verify", doc)
    assert doc["steps"][0]["result"] == "skip" and doc["steps"][0]["checks"] == []


def test_probe_the_ingress_as_json(cluster: Any, run: Istiotui) -> None:
    # After routing-round-robin the gateway routes the page (the test above reached it).
    run("verify", "--local", "routing-round-robin", "-o", "json")
    url = f"{cluster.ingress}/productpage"
    done = run("probe", url, "-n", "6", "-o", "json")
    assert done.returncode == exit_codes.OK, done.stderr
    doc = json.loads(done.stdout)
    assert_documented("probe", doc)
    assert doc["sent"] == 6 and doc["errors"] == 0 and doc["passed"] is True
    assert doc["statuses"] == {"200": 6}
    assert doc["classify"] == "reviews-version"
    assert sum(doc["classes"].values()) == 6
    assert set(doc["classes"]) <= {"v1", "v2", "v3"}
    assert doc["latencyMs"]["p50"] <= doc["latencyMs"]["max"]


def test_graph_as_json_and_as_a_table(cluster: Any, run: Istiotui) -> None:
    run("verify", "--local", "routing-round-robin", "-o", "json")  # Bookinfo, routed
    sent = run("probe", f"{cluster.ingress}/productpage", "-n", "3", "-o", "json")
    assert sent.returncode == exit_codes.OK, sent.stderr
    done = run("graph", "-n", "bookinfo", "-o", "json", "--local")
    assert done.returncode == exit_codes.OK, done.stderr
    doc = json.loads(done.stdout)  # the notes, if any, went to stderr
    assert next(iter(doc)) == "schemaVersion"
    assert_documented("graph", doc)
    assert doc["namespace"] == "bookinfo" and doc["proxies"] > 0
    # The ingress gateway is a source like any other; counts are cumulative (the probe's 3 at
    # least, and whatever the tests before sent).
    edge = next(
        e for e in doc["edges"]
        if e["source"]["app"] == "istio-ingressgateway" and e["destination"]["app"] == "productpage"
    )  # fmt: skip
    assert edge["source"]["namespace"] == "istio-system" and edge["requests"] >= 3
    assert {"errors", "p50_ms", "p99_ms", "flags", "mirrored"} <= set(edge)
    table = run("graph", "-n", "bookinfo", "--local")
    assert table.returncode == exit_codes.OK, table.stderr
    assert "productpage" in table.stdout and not table.stdout.lstrip().startswith("{")
    assert "counts since each proxy started" in table.stderr
