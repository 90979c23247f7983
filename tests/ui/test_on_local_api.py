"""The app against a real local API server (no data plane needed): connect, watch, diff, apply.

The server runs as `istiotui local up` runs it, on a free port and a temporary state dir; the app
reaches it through the same connector the CLI builds for `--local`.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest
from ui_data import LARGE, select_in_tree, settle, wait_until

from istiotui.cli.tui import connector_for
from istiotui.lab import model as m
from istiotui.ui.learner_progress import StepState
from istiotui.ui.screens.modals import ConfirmApply
from istiotui.ui.screens.viewer import TextViewer
from istiotui.ui.widgets.resource_tree import ResourceTree
from istiotui.ui.widgets.status_line import StatusLine

LOCAL = argparse.Namespace(local=True, context=None, kubeconfig=None)


@pytest.fixture(scope="module")
def local_cluster(start_local_cluster):
    # The API alone (no Envoy, no processes): these tests apply, watch and read objects.
    return start_local_cluster("tui-api", data_plane=False)


def walk_nodes(node):
    for child in node.children:
        yield child
        yield from walk_nodes(child)


def tree_labels(app) -> list[str]:
    out = []

    def walk(node) -> None:
        for child in node.children:
            out.append(str(child.label))
            walk(child)

    walk(app.main_screen.query_one(ResourceTree).root)
    return out


async def test_connects_watches_diffs_and_applies(on_local, make_app, lab, tmp_path) -> None:
    step = lab.step("routing-all-v1")
    app = make_app(connector=connector_for(LOCAL), start_step=step.id, state_dir=tmp_path)
    async with app.run_test(size=LARGE) as pilot:
        await wait_until(pilot, lambda: app.backend is not None, 20, "the connection")
        status = str(app.main_screen.query_one(StatusLine).render())
        assert "istiotui-local" in status and "local" in status
        app.backend.session.objects.apply(
            [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bookinfo"}}]
        )
        await wait_until(pilot, lambda: "bookinfo" in app.store.namespaces(), 20, "the watch")

        await pilot.press("a")  # the diff first, then the question
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmApply), 20, "the diff")
        _, diffs, _ = app.diff
        assert {d.ref for d in diffs} >= {"VirtualService bookinfo/reviews"}
        assert all(d.change == "create" for d in diffs)
        assert (
            app.backend.session.objects.get(
                "networking.istio.io/v1", "VirtualService", "reviews", "bookinfo"
            )
            is None
        )  # a dry run wrote nothing
        await pilot.press("y")
        await wait_until(
            pilot, lambda: app.progress.state(step.id) is StepState.APPLIED, 20, "the apply"
        )
        await wait_until(
            pilot,
            lambda: any(
                "VirtualService reviews" in t and "reviews → v1" in t for t in tree_labels(app)
            ),
            20,
            "the tree to show the new VirtualService",
        )
        tree = app.main_screen.query_one(ResourceTree)
        node = next(
            n for n in walk_nodes(tree.root) if n.data == ("VirtualService", "bookinfo", "reviews")
        )
        await select_in_tree(pilot, tree, node, "the VirtualService selected")
        tree.focus()
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewer), 20, "the YAML")
        assert "subset: v1" in app.screen.text and "managedFields" not in app.screen.text
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("c")  # the step's cleanup deletes what it applied
        await wait_until(
            pilot, lambda: any("cleaned up" in x for x in app.activity_lines), 20, "the cleanup"
        )
        await wait_until(
            pilot,
            lambda: ("VirtualService", "bookinfo", "reviews") not in app.store.objects,
            20,
            "the tree to lose the VirtualService",
        )
        assert app.progress.state(step.id) is StepState.PENDING
    assert any("applied" in line for line in app.activity_lines)


async def test_a_deleting_step_shows_what_it_removes(on_local, make_app, lab, tmp_path) -> None:
    step = lab.step("egress-cleanup-previous")
    app = make_app(connector=connector_for(LOCAL), start_step=step.id, state_dir=tmp_path)
    async with app.run_test(size=LARGE) as pilot:
        await wait_until(pilot, lambda: app.backend is not None, 20, "the connection")
        gateway = {
            "apiVersion": "networking.istio.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "httpbin-gateway", "namespace": "default"},
            "spec": {
                "servers": [
                    {
                        "port": {"number": 80, "name": "http", "protocol": "HTTP"},
                        "hosts": ["httpbin.example.com"],
                    }
                ]
            },
        }
        app.backend.session.objects.apply([gateway])
        await pilot.press("d")
        await wait_until(pilot, lambda: app.diff is not None, 20, "the diff")
        _, diffs, _ = app.diff
        assert [(d.change, d.ref) for d in diffs] == [("delete", "Gateway default/httpbin-gateway")]
        assert any(
            line.sign == "-" and "httpbin.example.com" in line.text for line in diffs[0].lines
        )
        app.backend.session.objects.delete(gateway)


async def test_a_rejected_manifest_names_file_line_and_field(on_local, make_app, lab, tmp_path):
    base = lab.step("shift-50-v3")
    bad = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "reviews-broken", "namespace": "bookinfo"},
        "spec": {"hosts": ["reviews"], "http": [{"route": [{"destination": {}}]}]},
    }
    where = m.Source("scenarios/07-traffic-shifting.yaml", 130)
    manifest = m.Manifest("broken.yaml", Path("broken.yaml"), (m.ManifestObject(bad, where),))
    step = dataclasses.replace(base, actions=(m.Apply(manifest, "bookinfo", where),))
    app = make_app(connector=connector_for(LOCAL), start_step=base.id, state_dir=tmp_path)
    async with app.run_test(size=LARGE) as pilot:
        await wait_until(pilot, lambda: app.backend is not None, 20, "the connection")
        app.backend.session.objects.apply(
            [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bookinfo"}}]
        )
        app.step = step  # the lab's step with a broken manifest in place of its own
        await pilot.press("a")
        await wait_until(pilot, lambda: app.diff_error is not None, 20, "the rejection")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmApply)  # nothing to confirm
    assert app.diff_error.startswith("scenarios/07-traffic-shifting.yaml:130: apply:")
    assert "destination" in app.diff_error
    assert any(
        n.severity == "error" and "07-traffic-shifting.yaml:130" in n.message for n in app.notices
    )


def gateway_without_envoy(state: Path) -> None:
    """An ingress gateway Service and pod as an install makes them; with the API alone the pod
    is marked running but nothing listens on its address."""
    from kubernetes import client, config

    api = config.new_client_from_config(str(state / "kubeconfig"))
    labels = {"app": "istio-ingressgateway", "istio": "ingressgateway"}
    meta = client.V1ObjectMeta(name="istio-ingressgateway", namespace="istio-system", labels=labels)
    port = client.V1ServicePort(name="http2", port=80, target_port=8080)
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    try:
        core.create_namespaced_service(
            "istio-system",
            client.V1Service(
                metadata=meta, spec=client.V1ServiceSpec(selector=labels, ports=[port])
            ),
        )
        container = client.V1Container(name="istio-proxy", image="docker.io/istio/proxyv2:1.24.0")
        template = client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels=labels),
            spec=client.V1PodSpec(containers=[container]),
        )
        deployment = client.V1DeploymentSpec(
            replicas=1, selector=client.V1LabelSelector(match_labels=labels), template=template
        )
        apps.create_namespaced_deployment(
            "istio-system", client.V1Deployment(metadata=meta, spec=deployment)
        )
    except client.ApiException as exc:
        if exc.status != 409:  # already made by an earlier run of this module's cluster
            raise
    finally:
        api.close()


async def test_probe_rounds_repeat_until_stopped(
    on_local, local_state, make_app, lab, tmp_path, monkeypatch
) -> None:
    """`p` runs rounds of the first probe; an ingress that does not answer (the API alone runs
    no gateway) gives errors, not a crash."""
    from istiotui.cli.session import open_session

    def connector():
        return open_session(LOCAL)

    step = lab.step("routing-gateway")
    gateway_without_envoy(local_state)
    app = make_app(connector=connector, start_step="bookinfo-productpage", state_dir=tmp_path)
    async with app.run_test(size=LARGE) as pilot:
        await wait_until(pilot, lambda: app.backend is not None, 20, "the connection")
        await pilot.press("p")  # through a port-forward to a Service that does not exist
        await wait_until(pilot, lambda: app.traffic_error is not None, 20, "the probe's failure")
        assert "productpage" in app.traffic_error and not app.probing
        assert any(n.severity == "error" for n in app.notices)
        app.open_step(step.id)
        await pilot.press("p")
        await wait_until(pilot, lambda: len(app.traffic.rounds) >= 2, 30, "two probe rounds")
        assert app.probing
        await pilot.press("p")
        await settle(pilot)
        assert not app.probing
        rounds = len(app.traffic.rounds)
        await settle(pilot)
        assert len(app.traffic.rounds) == rounds  # stopped
    first = app.traffic.rounds[0].summary
    assert first.total == step.probes[0].count and first.errors == first.total
    assert app.traffic.counts(by_status=True)[0] == {"error": first.total}


def test_without_flags_an_unanswering_kubeconfig_falls_back_to_local(on_local, tmp_path) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
        "clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "contexts: [{name: gone, context: {cluster: gone, user: me}}]\n"
        "users: [{name: me, user: {token: x}}]\n"
    )
    flags = argparse.Namespace(local=False, context=None, kubeconfig=None)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KUBECONFIG", str(kubeconfig))
        session = connector_for(flags)()
    try:
        assert session.cluster == "local"
        assert session.connection.context == "istiotui-local"
    finally:
        session.close()


async def test_a_one_container_pods_log_opens_at_once_and_follows(
    on_local, make_app, lab, tmp_path
) -> None:
    app = make_app(connector=connector_for(LOCAL), state_dir=tmp_path)
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "docker.io/kong/httpbin:0.1.0"}]},
            },
        },
    }
    async with app.run_test(size=LARGE) as pilot:
        await wait_until(pilot, lambda: app.backend is not None, 20, "the connection")
        objects = app.backend.session.objects
        objects.apply([deployment])
        try:
            tree = app.main_screen.query_one(ResourceTree)

            def pod_node():
                return next(
                    (
                        n
                        for n in walk_nodes(tree.root)
                        if n.data and n.data[0] == "Pod" and n.data[2].startswith("web-")
                    ),
                    None,
                )

            await wait_until(pilot, lambda: pod_node() is not None, 20, "the pod in the tree")
            await select_in_tree(pilot, tree, pod_node(), "the pod selected")
            tree.focus()  # `l` acts on the tree
            await pilot.press("l")  # one container: nothing to choose, the log at once
            await wait_until(pilot, lambda: isinstance(app.screen, TextViewer), 20, "the logs")
            viewer = app.screen
            assert viewer.title_text.startswith("logs default/web-")
            assert viewer.title_text.endswith("-c web")
            await pilot.press("F")  # follow: fetched again through the same backend
            await wait_until(pilot, lambda: viewer.refreshes >= 1, 20, "the log fetched again")
            assert viewer.following and app.screen is viewer
            await pilot.press("F")
        finally:
            objects.delete(deployment)
