"""Catch-up through a context of another name (a real cluster, to istiotui) on a local API:
what the learner did by hand is kept and said, only the rest is done, and istioctl is asked for
only when Istio is missing — with the step that needs it and the command that gets it."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from second_context import LAB_CONTEXT, write_second_context

from istiotui.cli.session import open_session
from istiotui.cluster.kind import ClusterKind
from istiotui.cluster.objects import ref
from istiotui.lab import model as m
from istiotui.lab.catchup import CatchUp
from istiotui.lab.executor import Executor, StepFailed
from istiotui.lab.loader import load_lab
from istiotui.lab.plan import bodies
from istiotui.lab.session import Session
from istiotui.local import daemon
from istiotui.local.state import StateDir
from istiotui.mesh.release import ISTIO_VERSION

ISTIOD = "istiod.istio-system.svc:15012"


@pytest.fixture
def lab_master(
    start_local_cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Session]:
    """A fresh cluster (API alone) reached as `lab-master`, with no istioctl anywhere."""
    cluster = start_local_cluster("catchup-api", data_plane=False)
    kubeconfig = write_second_context(cluster.kubeconfig, tmp_path / "kubeconfig")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no istioctl here (checked below)
    monkeypatch.setenv("HOME", str(tmp_path))  # nor in ~/istio-*/bin
    session = open_session(
        argparse.Namespace(local=False, context=LAB_CONTEXT, kubeconfig=str(kubeconfig))
    )
    try:
        yield session
    finally:
        session.close()
        # Stopped now, not at the session's end: its address block is free for the next.
        daemon.down(StateDir(cluster.state))


def _catch_up(session: Session) -> tuple[CatchUp, list[str]]:
    lines: list[str] = []
    return CatchUp(Executor(session.objects, session.cluster, lines.append)), lines


def test_without_istio_the_error_names_the_step_and_the_download(lab_master: Session) -> None:
    from istiotui.lab import istioctl

    if istioctl.find() is not None:
        pytest.skip("istioctl is installed under /home/vagrant on this machine")
    assert lab_master.cluster == ClusterKind.REAL
    catching, _ = _catch_up(lab_master)
    with pytest.raises(StepFailed) as err:
        catching.to(load_lab(), "istio-ingress-gateway")
    text = str(err.value)
    assert text.startswith("step istio-install-minimal needs istioctl")
    assert "control plane istio-system/istiod not found" in text
    assert f"| ISTIO_VERSION={ISTIO_VERSION} sh -" in text
    # Nothing was installed half-way.
    assert lab_master.objects.get("apps/v1", "Deployment", "istiod", "istio-system") is None


def test_what_the_learner_did_is_kept_and_only_the_rest_done(lab_master: Session) -> None:
    lab, objects = load_lab(), lab_master.objects
    # By hand: the namespace, only one label, three of bookinfo's objects, one of them scaled.
    injection = lab.step("injection-enable")
    objects.apply(bodies(injection.actions[0].manifest, None))
    objects.patch(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bookinfo"}},
        {"metadata": {"labels": {"istio-injection": "enabled"}}},
    )
    deploy = lab.step("bookinfo-deploy")
    apply = deploy.actions[0]
    assert isinstance(apply, m.Apply)
    sent = bodies(apply.manifest, deploy.namespace)
    by_hand = [b for b in sent if b["metadata"]["name"] in ("details", "details-v1")]
    assert [b["kind"] for b in by_hand] == ["Service", "Deployment"]
    service, deployment = by_hand
    objects.apply([service, {**deployment, "spec": {**deployment["spec"], "replicas": 2}}])

    catching, lines = _catch_up(lab_master)
    found = catching.step(injection)
    assert found.summary == "completed", lines
    assert [o.state for o in found.outcomes] == ["there", "there", "done"]
    found = catching.step(deploy)
    assert found.summary == "completed", lines
    (outcome,) = found.outcomes
    assert outcome.kept == ("Service bookinfo/details", "Deployment bookinfo/details-v1")
    assert outcome.made == tuple(ref(b) for b in sent if b not in by_hand)
    # The learner's scaled Deployment was not redone.
    live = objects.get("apps/v1", "Deployment", "details-v1", "bookinfo")
    assert live is not None and live["spec"]["replicas"] == 2
    for body in sent:
        meta = body["metadata"]
        assert objects.get(body["apiVersion"], body["kind"], meta["name"], meta["namespace"])
    assert "= bookinfo-deploy: completed" in lines

    # Once more: everything is there, nothing is written.
    again = catching.step(deploy)
    assert again.summary == "already done"
    assert not again.outcomes[0].made


def test_an_installed_istio_without_access_logs_gets_them_not_a_reinstall(
    lab_master: Session,
) -> None:
    """Istio installed by hand without `--set meshConfig.accessLogFile=/dev/stdout`: the install
    step is partly there. istiod stays; its mesh config gets the setting."""
    objects = lab_master.objects
    objects.apply(
        [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system"}},
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "istio", "namespace": "istio-system"},
                "data": {
                    "mesh": "defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n"
                },
            },
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "istiod", "namespace": "istio-system"},
                "spec": {
                    "replicas": 0,
                    "selector": {"matchLabels": {"app": "istiod"}},
                    "template": {
                        "metadata": {"labels": {"app": "istiod"}},
                        "spec": {
                            "containers": [{"name": "discovery", "image": "istio/pilot:1.23.2"}]
                        },
                    },
                },
            },
        ]
    )
    step = load_lab().step("istio-install-minimal")
    install = next(a for a in step.actions if isinstance(a, m.Istioctl))
    only_the_install = dataclasses.replace(step, actions=(install,))
    catching, lines = _catch_up(lab_master)
    found = catching.step(only_the_install)
    assert found.summary == "completed", lines
    (outcome,) = found.outcomes
    assert outcome.kept == (
        f"control plane istio-system/istiod 1.23.2 (the lab installs {ISTIO_VERSION})",
    )
    assert outcome.made == ("meshConfig.accessLogFile=/dev/stdout in ConfigMap istio-system/istio",)
    live = objects.get("v1", "ConfigMap", "istio", "istio-system")
    assert live is not None
    mesh = yaml.safe_load(live["data"]["mesh"])
    assert mesh == {
        "defaultConfig": {"discoveryAddress": ISTIOD},
        "accessLogFile": "/dev/stdout",
    }
    again = catching.step(only_the_install)
    assert again.summary == "already done", lines
