"""Sections 7–12 of the lab (traffic shifting … troubleshooting) and their manifests.

The loader checks the schema; these tests check what the schema cannot: that the manifests say
what the lab's inline commands say, that probes reach pods the manifests really create, that
Services point at ports the containers open, and that each section cleans up what it made.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from istiotui.lab.loader import LoaderError, load_lab

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
MANIFESTS = SCENARIOS / "manifests"
SECTION_FILES = {
    7: "07-traffic-shifting.yaml",
    8: "08-circuit-breaking.yaml",
    9: "09-mirroring.yaml",
    10: "10-ingress-gateway.yaml",
    11: "11-egress-gateway.yaml",
    12: "12-troubleshooting.yaml",
}
MANIFEST_VERBS = ("apply", "create", "delete")
HEREDOC = re.compile(r"^kubectl (apply|create) -f - <<EOF\n(?P<body>.*)\nEOF$", re.S)


def section(number: int) -> dict[str, Any]:
    return yaml.safe_load((SCENARIOS / SECTION_FILES[number]).read_text(encoding="utf-8"))


def steps(*numbers: int) -> Iterator[dict[str, Any]]:
    for number in numbers or tuple(SECTION_FILES):
        yield from section(number)["steps"]


def manifest_objects(path: str) -> list[dict[str, Any]]:
    text = (MANIFESTS / path).read_text(encoding="utf-8")
    return [doc for doc in yaml.safe_load_all(text) if doc]


def manifest_paths(actions: list[dict[str, Any]], verbs: tuple[str, ...]) -> list[str]:
    return [
        action[verb] for action in actions for verb in verbs if isinstance(action.get(verb), str)
    ]


def key(obj: dict[str, Any]) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


def selector_matches(selector: str | dict[str, str], labels: dict[str, str]) -> bool:
    wanted = (
        dict(part.split("=", 1) for part in selector.split(","))
        if isinstance(selector, str)
        else selector
    )
    return all(labels.get(k) == v for k, v in wanted.items())


def deployments_of(paths: list[str]) -> list[dict[str, Any]]:
    return [obj for p in paths for obj in manifest_objects(p) if obj["kind"] == "Deployment"]


def test_loader_reports_nothing_in_these_sections() -> None:
    """The real loader, over the whole lab: no problem may point at sections 7–12's files."""
    mine = {f"scenarios/{name}" for name in SECTION_FILES.values()}
    try:
        lab = load_lab(SCENARIOS)
    except LoaderError as err:
        ours = [str(p) for p in err.problems if p.file in mine or "manifests/lab/" in p.file]
        assert not ours, "\n".join(ours)
        return
    numbers = [s.number for s in lab.sections]
    assert set(SECTION_FILES) <= set(numbers)


def inline_steps() -> list[dict[str, Any]]:
    return [s for s in steps() if any(HEREDOC.match(c) for c in s.get("commands", []))]


@pytest.mark.parametrize("step", inline_steps(), ids=lambda s: s["id"])
def test_inline_manifests_match_the_files_the_step_applies(step: dict[str, Any]) -> None:
    """Each `kubectl apply|create -f - <<EOF` command equals, object by object, the files."""
    inline = [
        doc
        for command in step.get("commands", [])
        if (m := HEREDOC.match(command))
        for doc in yaml.safe_load_all(m["body"])
        if doc
    ]
    applied = [
        obj
        for path in manifest_paths(step.get("actions", []), ("apply", "create"))
        for obj in manifest_objects(path)
    ]
    assert applied == inline


@pytest.mark.parametrize("step", inline_steps(), ids=lambda s: s["id"])
def test_inline_verbs_match_the_actions(step: dict[str, Any]) -> None:
    """`kubectl create` blocks are `create:` actions (they fail on leftovers); apply likewise."""
    verbs = [m[1] for c in step.get("commands", []) if (m := HEREDOC.match(c))]
    actions = [
        verb for action in step.get("actions", []) for verb in ("apply", "create") if verb in action
    ]
    assert actions == verbs


def test_pod_probes_start_from_pods_the_section_deploys() -> None:
    """A `vantage: pod` probe's selector and container name a pod template of its section."""
    checked = 0
    for number in (8, 9, 11):
        sect = section(number)
        paths = [
            p
            for s in sect["steps"]
            for p in manifest_paths(s.get("actions", []), ("apply", "create"))
        ]
        templates = [d["spec"]["template"] for d in deployments_of(paths)]
        for step in sect["steps"]:
            for probe in step.get("probes", []):
                if probe["vantage"] != "pod":
                    continue
                source = probe["from"]
                found = [
                    t
                    for t in templates
                    if selector_matches(source["selector"], t["metadata"]["labels"])
                    and source["container"] in {c["name"] for c in t["spec"]["containers"]}
                ]
                assert found, f"{step['id']}/{probe['id']}: no pod matches {source}"
                checked += 1
    assert checked >= 8


def test_log_sources_are_deployments_with_that_container() -> None:
    """Logs read from the section's own workloads name a Deployment and container it creates."""
    for number in (8, 9):
        sect = section(number)
        paths = [
            p
            for s in sect["steps"]
            for p in manifest_paths(s.get("actions", []), ("apply", "create"))
        ]
        containers = {
            d["metadata"]["name"]: {c["name"] for c in d["spec"]["template"]["spec"]["containers"]}
            for d in deployments_of(paths)
        }
        for step in sect["steps"]:
            for probe in step.get("probes", []):
                logs = probe.get("logs")
                if logs:
                    assert logs["container"] in containers.get(logs["deployment"], set()), (
                        step["id"],
                        logs,
                    )


@pytest.mark.parametrize(
    "files",
    [
        ["samples/httpbin/httpbin.yaml"],
        ["samples/httpbin/sample-client/fortio-deploy.yaml"],
        ["lab/09-httpbin-service.yaml", "lab/09-httpbin-v1.yaml", "lab/09-httpbin-v2.yaml"],
    ],
)
def test_services_target_a_port_their_pods_open(files: list[str]) -> None:
    objects = [obj for f in files for obj in manifest_objects(f)]
    services = [o for o in objects if o["kind"] == "Service"]
    templates = [o["spec"]["template"] for o in objects if o["kind"] == "Deployment"]
    assert services and templates
    for svc in services:
        backing = [
            t
            for t in templates
            if selector_matches(svc["spec"]["selector"], t["metadata"]["labels"])
        ]
        assert backing, f"Service {svc['metadata']['name']} selects no pod"
        for port in svc["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            for t in backing:
                opened = {p["containerPort"] for c in t["spec"]["containers"] for p in c["ports"]}
                assert target in opened, (svc["metadata"]["name"], target, opened)


def test_httpbin_keeps_the_facts_the_lab_relies_on() -> None:
    objects = {key(o): o for o in manifest_objects("samples/httpbin/httpbin.yaml")}
    (port,) = objects["Service", "httpbin"]["spec"]["ports"]
    assert (port["name"], port["port"]) == ("http", 8000)
    pod = objects["Deployment", "httpbin"]["spec"]["template"]
    assert pod["metadata"]["labels"]["version"] == "v1"
    assert pod["spec"]["serviceAccountName"] == "httpbin"
    assert ("ServiceAccount", "httpbin") in objects


def test_fortio_keeps_the_outbound_cluster_stats() -> None:
    """The stats step greps `cluster.outbound…` counters: the proxy config must keep them."""
    (deploy,) = deployments_of(["samples/httpbin/sample-client/fortio-deploy.yaml"])
    config = yaml.safe_load(
        deploy["spec"]["template"]["metadata"]["annotations"]["proxy.istio.io/config"]
    )
    assert "cluster.outbound" in config["proxyStatsMatcher"]["inclusionPrefixes"]
    assert deploy["metadata"]["name"] == "fortio-deploy"


@pytest.mark.parametrize(
    ("made_in", "removed_by"),
    [
        (8, "mirror-cleanup-previous"),
        (9, "ingress-cleanup-previous"),
        (10, "egress-cleanup-previous"),
    ],
)
def test_the_next_section_removes_what_a_section_made(made_in: int, removed_by: str) -> None:
    made = {
        key(obj)
        for step in steps(made_in)
        for path in manifest_paths(step.get("actions", []), ("apply", "create"))
        for obj in manifest_objects(path)
    }
    (cleaner,) = [s for s in steps() if s["id"] == removed_by]
    removed = {
        key(obj)
        for path in manifest_paths(cleaner["actions"], ("delete",))
        for obj in manifest_objects(path)
    } | {
        (a["delete"]["kind"], a["delete"]["name"])
        for a in cleaner["actions"]
        if isinstance(a.get("delete"), dict)
    }
    assert made <= removed, sorted(made - removed)


@pytest.mark.parametrize("number", [8, 9, 10, 11])
def test_step_cleanups_remove_everything_the_section_made(number: int) -> None:
    made: set[tuple[str, str]] = set()
    removed: set[tuple[str, str]] = set()
    for step in steps(number):
        for path in manifest_paths(step.get("actions", []), ("apply", "create")):
            made |= {key(o) for o in manifest_objects(path)}
        cleanup = step.get("cleanup", [])
        for path in manifest_paths(cleanup, ("delete",)):
            removed |= {key(o) for o in manifest_objects(path)}
        removed |= {
            (a["delete"]["kind"], a["delete"]["name"])
            for a in cleanup
            if isinstance(a.get("delete"), dict)
        }
    assert made <= removed, sorted(made - removed)


def test_statistical_checks_use_enough_requests() -> None:
    """Bounds on noisy outcomes only hold with enough samples (see the c3 and 50/50 texts)."""
    by_id = {s["id"]: s for s in steps(7, 8)}
    split = by_id["shift-50-v3"]
    assert split["probes"][0]["count"] >= 200
    assert any(e.get("confidence") == 0.999 for e in split["expect"])
    overflow = by_id["cb-fortio-c3"]["probes"][0]
    assert (overflow["count"], overflow["concurrency"], overflow["keepalive"]) == (300, 3, True)
