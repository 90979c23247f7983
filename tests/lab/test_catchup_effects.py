"""The catch-up's decisions, pure: what the lab's istioctl actions leave, where istioctl is looked
for, what the learner is told when it is missing, and which effects count as already there."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from istiotui.cli.cluster_rule import kind_of
from istiotui.cluster.kind import ClusterKind
from istiotui.lab import effects, istioctl
from istiotui.lab import model as m
from istiotui.lab.effects import Outcome, StepCatchUp
from istiotui.lab.loader import load_lab
from istiotui.local import istio_release
from istiotui.mesh.release import ISTIO_VERSION

SRC = m.Source("t.yaml", 1)


@pytest.fixture(scope="module")
def lab() -> m.Lab:
    return load_lab()


def _istioctl_of(lab: m.Lab, step_id: str) -> m.Istioctl:
    return next(a for a in lab.step(step_id).actions if isinstance(a, m.Istioctl))


def test_the_labs_installs_leave_istiod_and_each_gateway(lab: m.Lab) -> None:
    minimal = istioctl.leaves(_istioctl_of(lab, "istio-install-minimal"))
    ingress = istioctl.leaves(_istioctl_of(lab, "istio-ingress-gateway"))
    egress = istioctl.leaves(_istioctl_of(lab, "istio-egress-gateway"))
    assert [str(c) for c in minimal or ()] == ["control plane istio-system/istiod"]
    assert [str(c) for c in ingress or ()] == ["gateway istio-system/istio-ingressgateway"]
    assert [str(c) for c in egress or ()] == ["gateway istio-system/istio-egressgateway"]
    # precheck only reads: a catch-up has nothing to redo for it.
    assert istioctl.leaves(_istioctl_of(lab, "istio-precheck")) == ()


def test_the_files_istioctl_is_given_are_the_labs_own(lab: m.Lab) -> None:
    action = _istioctl_of(lab, "istio-ingress-gateway")
    args = istioctl.resolved_args(action)
    assert args[:2] == ("install", "-f") and args[3:] == ("-y",)
    given = Path(args[2])
    assert given.is_absolute() and given.parts[-2:] == ("istio-manifests", "ingress.yaml")
    assert "istio: ingressgateway" in given.read_text()
    minimal = _istioctl_of(lab, "istio-install-minimal")
    assert istioctl.resolved_args(minimal) == minimal.args


def test_an_install_it_cannot_read_must_run() -> None:
    unknown_file = m.Istioctl(("install", "-f", "mine.yaml"), (), SRC)
    assert istioctl.leaves(unknown_file) is None
    assert istioctl.leaves(m.Istioctl(("upgrade",), (), SRC)) == (
        istioctl.Component("istiod", "istio-system", "control plane"),
        istioctl.Component("istio-ingressgateway", "istio-system", "gateway"),
    )
    assert istioctl.leaves(m.Istioctl(("tag", "set", "x"), (), SRC)) is None


def _fake_istioctl(folder: Path) -> Path:
    exe = folder / "bin" / "istioctl"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\necho istioctl\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


def test_istioctl_is_found_where_the_lab_puts_it(tmp_path: Path) -> None:
    empty_path = str(tmp_path / "nothing-here")
    home, vagrant = tmp_path / "home", tmp_path / "vagrant"
    home.mkdir()
    vagrant.mkdir()
    assert istioctl.find(empty_path, (home, vagrant)) is None
    newer = _fake_istioctl(vagrant / "istio-1.25.1")
    assert istioctl.find(empty_path, (home, vagrant)) == str(newer)
    older = _fake_istioctl(vagrant / "istio-1.9.0")
    assert istioctl.find(empty_path, (home, vagrant)) == str(newer)  # 1.25 after 1.9
    labs = _fake_istioctl(vagrant / f"istio-{ISTIO_VERSION}")
    assert istioctl.find(empty_path, (home, vagrant)) == str(labs)  # the lab's release first
    mine = _fake_istioctl(home / "istio-1.20.0")
    assert istioctl.find(empty_path, (home, vagrant)) == str(mine)  # the home folder first
    on_path = _fake_istioctl(tmp_path / "path")
    assert istioctl.find(str(on_path.parent), (home, vagrant)) == str(on_path)
    labs.chmod(0o644)  # not executable: not istioctl
    assert istioctl.find(empty_path, (tmp_path / "nobody", vagrant)) == str(newer)
    assert older.exists()


def test_the_missing_message_names_the_step_and_the_one_command(lab: m.Lab) -> None:
    action = _istioctl_of(lab, "istio-install-minimal")
    absent = istioctl.leaves(action) or ()
    text = istioctl.missing("istio-install-minimal", action, absent)
    assert text.startswith("step istio-install-minimal needs istioctl")
    assert "control plane istio-system/istiod not found" in text
    assert str(action.source) in text  # scenarios/01-install-istio.yaml:NNN
    assert text.endswith(
        f"curl -L https://istio.io/downloadIstio | ISTIO_VERSION={ISTIO_VERSION} sh -"
    )


def test_one_release_for_the_lab_and_the_local_cluster(lab: m.Lab) -> None:
    assert istio_release.ISTIO_VERSION == ISTIO_VERSION
    download = lab.step("istio-download")
    # The lab's own PATH line names the same folder.
    assert any(f"istio-{ISTIO_VERSION}/bin" in c for c in download.commands)


def test_an_images_release_is_its_tag_never_a_registrys_port() -> None:
    def deployment(*images: str) -> dict:
        containers = [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]
        return {"spec": {"template": {"spec": {"containers": containers}}}}

    assert istioctl.version_of(deployment("docker.io/istio/pilot:1.24.0")) == "1.24.0"
    assert istioctl.version_of(deployment("registry.local:5000/istio/pilot:1.23.2")) == "1.23.2"
    assert istioctl.version_of(deployment("registry.local:5000/istio/pilot")) is None
    assert istioctl.version_of(deployment("pilot", "gcr.io/istio/proxyv2:1.22.1")) == "1.22.1"
    assert istioctl.version_of({"spec": {}}) is None


def test_a_context_not_named_as_the_local_one_is_a_real_cluster() -> None:
    assert kind_of("istiotui-local") == ClusterKind.LOCAL
    for other in ("lab-master", "kubernetes-admin@kubernetes", "istiotui-local-2", ""):
        assert kind_of(other) == ClusterKind.REAL


def _vs(hosts: list[str], subset: str) -> dict:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "reviews", "namespace": "bookinfo"},
        "spec": {
            "hosts": hosts,
            "http": [{"route": [{"destination": {"host": "reviews", "subset": subset}}]}],
        },
    }


def _live(body: dict, **server: object) -> dict:
    out = {**body, "metadata": {**body["metadata"], "resourceVersion": "7", "uid": "u"}}
    out.update(server)
    return out


def test_routing_objects_are_compared_as_the_diff_compares_them() -> None:
    wanted = _vs(["reviews"], "v1")
    same = _live(wanted, status={"observedGeneration": 1})
    assert effects.applied_state(wanted, None, wanted) == "missing"
    assert effects.applied_state(wanted, same, same) == "there"
    other = _live(_vs(["reviews"], "v2"))
    assert effects.applied_state(wanted, other, _live(wanted)) == "differs"


def test_workloads_are_kept_when_they_exist() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "reviews-v1", "namespace": "bookinfo"},
        "spec": {"replicas": 1},
    }
    theirs = _live({**deployment, "spec": {"replicas": 3}})
    # Not redone from scratch: the learner's Deployment (from the lab's URL, scaled) stays.
    assert effects.applied_state(deployment, theirs, theirs) == "there"
    assert effects.applied_state(deployment, None, deployment) == "missing"


def test_labels_and_patches_count_only_what_differs() -> None:
    ns = {"metadata": {"name": "default", "labels": {"kubernetes.io/metadata.name": "default"}}}
    assert effects.labels_to_set(ns, {"istio-injection": "enabled"}) == {
        "istio-injection": "enabled"
    }
    ns["metadata"]["labels"]["istio-injection"] = "enabled"
    assert effects.labels_to_set(ns, {"istio-injection": "enabled"}) == {}
    assert effects.labels_to_set(ns, {"istio-injection": None}) == {"istio-injection": None}
    svc = {"spec": {"type": "ClusterIP", "ports": [{"port": 80}]}}
    assert effects.conforms(svc, {"spec": {"type": "ClusterIP"}})
    assert not effects.conforms(svc, {"spec": {"type": "LoadBalancer"}})
    assert not effects.conforms(svc, {"spec": {"ports": None}})
    assert effects.conforms(svc, {"spec": {"externalIPs": None}})


def test_a_wait_for_what_nobody_made_waits_for_nothing() -> None:
    assert not effects.wait_needed(0, wrote=False)  # kiali, never installed by hand
    assert effects.wait_needed(0, wrote=True)  # the step just applied it: it is coming
    assert effects.wait_needed(2, wrote=False)  # there: checked as the step checks it


def test_a_step_partly_there_is_completed(lab: m.Lab) -> None:
    step = lab.step("bookinfo-deploy")
    action = step.actions[0]
    partly = StepCatchUp(step, (Outcome(action, kept=("a",), made=("b",)),))
    assert partly.summary == "completed"
    assert StepCatchUp(step, (Outcome(action, kept=("a",)),)).summary == "already done"
    assert StepCatchUp(step, (Outcome(action, made=("b",)),)).summary == "done now"
    manual = m.Manual(m.Text("", ""), SRC)
    assert StepCatchUp(step, (Outcome(manual, manual=True),)).summary == "by hand"
    assert partly.line() == "bookinfo-deploy: completed"
    assert partly.outcomes[0].line() == (
        "apply samples/bookinfo/platform/kube/bookinfo.yaml: already there: a; done now: b"
    )


def test_the_installs_mesh_settings_are_compared_with_the_live_mesh_config(lab: m.Lab) -> None:
    action = _istioctl_of(lab, "istio-install-minimal")
    settings = istioctl.mesh_settings(action.args)
    assert settings == {"accessLogFile": "/dev/stdout"}
    live = {"defaultConfig": {"discoveryAddress": "istiod.istio-system.svc:15012"}}
    assert istioctl.mesh_to_set(settings, live) == settings
    after = istioctl.with_settings(live, settings)
    assert after == {**live, "accessLogFile": "/dev/stdout"}
    assert live == {"defaultConfig": {"discoveryAddress": "istiod.istio-system.svc:15012"}}
    assert istioctl.mesh_to_set(settings, after) == {}
    nested = istioctl.mesh_settings(
        ("install", "--set", "meshConfig.defaultConfig.holdApplicationUntilProxyStarts=true")
    )
    assert nested == {"defaultConfig.holdApplicationUntilProxyStarts": True}
    both = istioctl.with_settings(live, nested)
    assert both["defaultConfig"] == {
        "discoveryAddress": "istiod.istio-system.svc:15012",
        "holdApplicationUntilProxyStarts": True,
    }
    assert istioctl.mesh_to_set(nested, both) == {}
