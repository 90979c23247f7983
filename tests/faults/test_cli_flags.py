"""Flags before the subcommand, and the one rule for the cluster (docs/clusters.md), on real
processes: `istiotui` as a user runs it, two real local API servers as "this" and "another"
cluster. The kubeconfig points at the other one; `--local`, wherever it is written, must reach
this one, and `verify` names the cluster before it writes."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from istiotui.cli.cluster_rule import choose_cluster
from istiotui.cli.flags import settle
from istiotui.cli.main import build_parser

if TYPE_CHECKING:
    from conftest import LocalClusterHandle

STEP = "make-namespace"  # the one step of a lab of one step: it writes Namespace flags-probe
NAMESPACE = "flags-probe"
TINY_LAB = {
    "lab.yaml": """\
id: tiny
title: {es: "Uno", en: "One"}
intro: {es: "Un paso.", en: "One step."}
objectives: {es: ["Escribir"], en: ["Write"]}
prerequisites: {es: ["Nada"], en: ["Nothing"]}
""",
    "01-one.yaml": """\
id: one
number: 1
title: {es: "Uno", en: "One"}
steps:
  - id: make-namespace
    title: {es: "Crear un namespace", en: "Create a namespace"}
    text: {es: "Crea un namespace.", en: "Creates a namespace."}
    namespace: default
    actions:
      - apply: ns.yaml
    expected: {es: "Existe.", en: "It exists."}
""",
    "manifests/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flags-probe\n",
}


@pytest.fixture(scope="module")
def here(start_local_cluster) -> Iterator[LocalClusterHandle]:
    cluster = start_local_cluster("flags-here", data_plane=False)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def other(start_local_cluster) -> Iterator[LocalClusterHandle]:
    cluster = start_local_cluster("flags-other", data_plane=False)
    yield cluster
    cluster.stop()


def istiotui(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "istiotui", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def env_for(cluster: LocalClusterHandle, kubeconfig: Path, tmp_path: Path) -> dict[str, str]:
    scenarios = tmp_path / "scenarios"
    for name, text in TINY_LAB.items():
        (scenarios / name).parent.mkdir(parents=True, exist_ok=True)
        (scenarios / name).write_text(text, encoding="utf-8")
    return {
        **os.environ,
        **cluster.env,
        "KUBECONFIG": str(kubeconfig),
        "HOME": str(tmp_path),  # no ~/.kube/config of the user's
        "LANG": "C.UTF-8",
        "ISTIOTUI_SCENARIOS": str(scenarios),
    }


def has_namespace(cluster: LocalClusterHandle, name: str) -> bool:
    from istiotui.cluster.connection import connect
    from istiotui.cluster.objects import Objects

    connection = connect(str(cluster.kubeconfig), "istiotui-local")
    try:
        return Objects(connection.api_client).get("v1", "Namespace", name, None) is not None
    finally:
        connection.close()


def delete_namespace(cluster: LocalClusterHandle, name: str) -> None:
    from istiotui.cluster.connection import connect
    from istiotui.cluster.objects import Objects

    connection = connect(str(cluster.kubeconfig), "istiotui-local")
    try:
        objects = Objects(connection.api_client)
        live = objects.get("v1", "Namespace", name, None)
        if live is not None:
            objects.delete({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    finally:
        connection.close()


@pytest.mark.parametrize("where", ["before", "after"])
def test_local_reaches_the_local_cluster_wherever_it_is_written(
    here: LocalClusterHandle, other: LocalClusterHandle, tmp_path: Path, where: str
) -> None:
    delete_namespace(here, NAMESPACE)
    argv = ["--local", "verify", STEP] if where == "before" else ["verify", STEP, "--local"]
    done = istiotui(*argv, env=env_for(here, other.kubeconfig, tmp_path))
    # The cluster is named before the first write, with its server.
    named = f"cluster: istiotui-local ({here.url})"
    assert named in done.stderr, done.stderr + done.stdout
    assert has_namespace(here, NAMESPACE), done.stderr + done.stdout
    assert not has_namespace(other, NAMESPACE)  # the kubeconfig's cluster was not touched


def test_without_a_flag_the_kubeconfig_decides_and_is_named(
    here: LocalClusterHandle, other: LocalClusterHandle, tmp_path: Path
) -> None:
    delete_namespace(other, NAMESPACE)
    done = istiotui("verify", STEP, env=env_for(here, other.kubeconfig, tmp_path))
    assert f"cluster: istiotui-local ({other.url})" in done.stderr, done.stderr
    assert has_namespace(other, NAMESPACE)


def test_without_any_kubeconfig_the_local_cluster_is_used(
    here: LocalClusterHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    delete_namespace(here, NAMESPACE)
    done = istiotui("verify", STEP, env=env_for(here, tmp_path / "none", tmp_path))
    assert f"cluster: istiotui-local ({here.url})" in done.stderr, done.stderr
    assert has_namespace(here, NAMESPACE)
    # The full-screen lab follows the same rule (and alone falls back when nothing answers).
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    blank = argparse.Namespace(local=False, context=None, kubeconfig=None)
    assert choose_cluster(blank).local and choose_cluster(blank, app=True).local


def test_lang_before_the_subcommand_is_honoured(tmp_path: Path) -> None:
    env = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
    before = istiotui("--lang", "es", "lab", "list", env=env)
    after = istiotui("lab", "list", "--lang", "es", env=env)
    assert before.returncode == 0, before.stderr
    assert before.stdout.startswith("Gestión de tráfico con Istio")
    assert before.stdout == after.stdout
    shown = istiotui("--lang", "es", "lab", "show", "routing-all-v1", env=env)
    assert "Sección 5" in shown.stdout, shown.stdout[:300]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--local", "lab", "list"], "--local: not an option of `istiotui lab`"),
        (["--step", STEP, "verify", STEP], "--step: not an option of `istiotui verify`"),
        (["--lang", "es", "local", "status"], "--lang: not an option of `istiotui local`"),
        (["--context", "x", "probe", "http://x/"], None),  # taken by probe: no usage error
        (["--local", "verify", STEP, "--context", "x"], "goes with neither --context"),
        (["--kubeconfig", "k", "verify", STEP, "--local"], "goes with neither --context"),
    ],
)
def test_a_flag_a_command_does_not_take_is_a_usage_error(
    argv: list[str], said: str | None, tmp_path: Path
) -> None:
    env = {**os.environ, "ISTIOTUI_STATE_DIR": str(tmp_path / "state"), "HOME": str(tmp_path)}
    if said is None:
        parser = build_parser()
        args = parser.parse_args(argv)
        settle(parser, args)
        assert args.context == "x"
        return
    done = istiotui(*argv, env=env)
    assert done.returncode == 2
    assert said in done.stderr
    assert "usage: istiotui" in done.stderr
