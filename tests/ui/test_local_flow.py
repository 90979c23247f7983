"""The whole loop against the embedded local cluster: connect, catch up, apply, verify.

It needs the local data plane to serve Bookinfo through the ingress; when productpage does not
answer once the cluster is up and caught up, the test is skipped and says so.
"""

from __future__ import annotations

import argparse
import dataclasses
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from ui_data import LARGE, SMALL, select_in_tree, settle, wait_until

from istiotui.lab import model as m
from istiotui.lab.executor import Executor
from istiotui.lab.plan import flat_actions
from istiotui.lab.walk import catch_up
from istiotui.ui.learner_progress import StepState
from istiotui.ui.screens.modals import ConfirmApply
from istiotui.ui.widgets.status_line import StatusLine

STEP = "routing-all-v1"
START_BUDGET = 60.0  # seconds for the fixture to bring Bookinfo up before the test is skipped
WAIT_CAP = 15.0  # a working local cluster readies a pod in seconds; a broken one never does

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def page_answers(url: str, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)  # polling a server we do not control: no event to wait on
    return False


def reach(lab, session, deadline: float) -> None:
    """Earlier steps' actions, every wait cut to what is left of the budget."""
    run = Executor(session.objects, session.cluster, lambda _: None).run
    for step in catch_up(lab, STEP, session.cluster):
        for action in flat_actions(step.actions, session.cluster):
            if isinstance(action, m.Wait):
                left = max(1.0, deadline - time.monotonic())
                cap = min(action.timeout, left, WAIT_CAP)
                action = dataclasses.replace(action, timeout=cap)
            run([action])


@pytest.fixture(scope="module")
def local_env(start_local_cluster, lab) -> Iterator:  # the cluster's LocalClusterHandle
    cluster = start_local_cluster("tui-local")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in cluster.env.items():
            mp.setenv(key, value)
        from istiotui.cli.session import open_session

        session = open_session(argparse.Namespace(local=True, context=None, kubeconfig=None))
        try:
            deadline = time.monotonic() + START_BUDGET
            reach(lab, session, deadline)
            url = f"{cluster.ingress}/productpage"
            assert page_answers(url, deadline + 10), f"{url} does not answer"
            yield cluster
        finally:
            session.close()
            cluster.stop()


async def test_apply_probe_verdict_on_the_local_cluster(
    local_env, make_app, tmp_path, monkeypatch
) -> None:
    from istiotui.cli.tui import connector_for

    for key, value in local_env.env.items():
        monkeypatch.setenv(key, value)  # over the per-test isolation: this cluster's ports
    connect = connector_for(argparse.Namespace(local=True, context=None, kubeconfig=None))

    def connector():
        session = connect()
        # The session is built as the app builds it: it must reach this cluster's gateway pod.
        assert session.vantages.ingress_target().base_url == local_env.ingress
        return session

    app = make_app(connector=connector, start_step=STEP, state_dir=Path(tmp_path))
    async with app.run_test(size=LARGE) as pilot:
        await wait_until(pilot, lambda: app.info.state == "connected", 30, "the connection")
        await wait_until(pilot, lambda: app.store.objects, 30, "the resource tree")
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmApply), 30, "the diff")
        await pilot.press("y")
        await wait_until(
            pilot, lambda: app.progress.state(STEP) is StepState.APPLIED, 60, "the apply"
        )
        await pilot.press("p")
        await wait_until(pilot, lambda: len(app.traffic.rounds) >= 2, 120, "probe rounds")
        await pilot.press("p")
        await pilot.press("v")
        await wait_until(pilot, lambda: app.judged, 120, "the verdict")
        await settle(pilot)
    failed = [j.verdict.detail for j in app.judged if not j.verdict.passed]
    assert not failed, failed
    assert app.progress.state(STEP) is StepState.VERIFIED
    assert app.traffic.rounds and app.traffic.rounds[-1].summary.total > 0


async def test_the_lab_port_forward_held_open_by_the_app(
    local_env, make_app, tmp_path, monkeypatch
) -> None:
    """`f` opens the lab's `kubectl port-forward svc/istio-ingressgateway -n istio-system 8080:80`
    through the API (as kubectl does), the header shows it, and it is gone when the app ends."""
    from istiotui.cli.tui import connector_for

    for key, value in local_env.env.items():
        monkeypatch.setenv(key, value)
    connect = connector_for(argparse.Namespace(local=True, context=None, kubeconfig=None))
    app = make_app(connector=connect, start_step=STEP, state_dir=Path(tmp_path))
    url = "http://127.0.0.1:8080/productpage"
    async with app.run_test(size=LARGE) as pilot:
        await wait_until(pilot, lambda: app.info.state == "connected", 30, "the connection")
        await pilot.press("f")
        await wait_until(pilot, lambda: app.tunnel is not None, 30, "the port-forward")
        header = str(app.main_screen.query_one(StatusLine).render())
        assert "⇄ :8080→istio-ingressgateway:80" in header
        assert page_answers(url, time.monotonic() + 30), f"{url} does not answer"
        await pilot.press("f")
        await wait_until(pilot, lambda: app.tunnel is None, 30, "the port-forward to close")
        assert not page_answers(url, time.monotonic() + 0.5)
        await pilot.press("f")  # open again: the app's end must close it
        await wait_until(pilot, lambda: app.tunnel is not None, 30, "the port-forward")
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 8080))  # free again: nothing of the app outlived it


def test_a_busy_local_port_is_named(local_env, monkeypatch) -> None:
    from istiotui.cli.session import open_session
    from istiotui.traffic.vantage import VantageUnavailable

    for key, value in local_env.env.items():
        monkeypatch.setenv(key, value)
    session = open_session(argparse.Namespace(local=True, context=None, kubeconfig=None))
    try:
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            with pytest.raises(VantageUnavailable, match=f"cannot listen on 127.0.0.1:{port}"):
                session.vantages.open_tunnel("istio-system", "istio-ingressgateway", 80, port)
    finally:
        session.close()


async def test_o_on_a_pod_of_the_tree_opens_its_proxy(
    local_env, make_app, tmp_path, monkeypatch
) -> None:
    """`o` with a Bookinfo pod selected in the tree: the Proxies screen at 80×24 on that pod's
    configuration (exec of pilot-agent in its istio-proxy), the status tab from istiod; Esc
    goes back."""
    from textual.widgets import DataTable

    from istiotui.cli.tui import connector_for
    from istiotui.ui.screens.proxies import ProxyScreen
    from istiotui.ui.widgets.resource_tree import ResourceTree

    for key, value in local_env.env.items():
        monkeypatch.setenv(key, value)
    connect = connector_for(argparse.Namespace(local=True, context=None, kubeconfig=None))
    app = make_app(connector=connect, start_step=STEP, state_dir=Path(tmp_path))

    def walk(node):
        for child in node.children:
            yield child
            yield from walk(child)

    async with app.run_test(size=SMALL) as pilot:
        await wait_until(pilot, lambda: app.backend is not None, 30, "the connection")
        tree = app.main_screen.query_one(ResourceTree)

        def productpage():
            return next((n for n in walk(tree.root) if n.data and n.data[0] == "Pod"
                         and n.data[2].startswith("productpage-v1-")), None)  # fmt: skip

        await wait_until(pilot, lambda: productpage() is not None, 30, "the pod in the tree")
        node = productpage()

        def ready() -> bool:  # its sidecar serves: what `o` reads is there (as a learner waits)
            pod = next(p for p in app.store.of_kind("Pod", "bookinfo")
                       if p["metadata"]["name"] == node.data[2])  # fmt: skip
            conditions = (pod.get("status") or {}).get("conditions") or []
            return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

        await wait_until(pilot, ready, 30, "the pod Ready")
        await select_in_tree(pilot, tree, node, "the pod selected")
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, ProxyScreen), 10, "the screen")
        screen = app.screen
        listeners = screen.query_one("#proxies-listeners", DataTable)
        status = screen.query_one("#proxies-status", DataTable)
        read = lambda: listeners.row_count > 0 and status.row_count > 0  # noqa: E731
        await wait_until(pilot, lambda: read() or screen.errors, 30, "its listeners and status")
        assert not screen.errors, screen.errors  # what the screen said instead
        assert screen.proxy == f"{node.data[2]}.bookinfo"
        names = [str(listeners.get_row_at(i)[0]) for i in range(listeners.row_count)]
        assert "0.0.0.0_9080" in names  # the outbound listener Bookinfo's calls go through
        assert any(str(k.value).startswith("productpage-v1-") for k in status.rows)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main_screen, 10, "the lab again")
    assert not app.crashes
