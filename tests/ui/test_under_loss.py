"""The app under loss, against a real local API server: a reconnect (`r`) while a catch-up is
writing, and Ctrl+C while work runs. The harness fails the test if a worker dies.

The server runs without its data plane, so the ingress gateway's pod never gets ready: a
catch-up past `istio-ingress-gateway` stays in that step's wait — work that is certainly still
running when the keys below are pressed.
"""

from __future__ import annotations

import argparse

import pytest
from ui_data import LARGE, SMALL, settle, wait_until

from istiotui.cli.tui import connector_for
from istiotui.ui.screens.modals import ConfirmQuit

LOCAL = argparse.Namespace(local=True, context=None, kubeconfig=None)
PAST_THE_WAIT = "istio-egress-gateway"  # its catch-up waits for the ingress gateway's pod
DEADLINE_S = 30.0


@pytest.fixture(scope="module")
def local_cluster(start_local_cluster):
    return start_local_cluster("tui-loss", data_plane=False)


def reached_the_wait(app) -> bool:
    # The first wait of the catch-up: for istiod after the minimal install (the API alone runs
    # no installer, so it never ends on its own).
    return any("installed-state.yaml" in line for line in app.activity_lines)


def catching_up(app) -> bool:
    return any(w.name == "catch_up_to" and not w.is_finished for w in app.workers)


async def test_a_reconnect_during_a_catch_up_is_said_and_the_app_goes_on(
    on_local, make_app, lab, tmp_path
) -> None:
    app = make_app(connector=connector_for(LOCAL), start_step=PAST_THE_WAIT, state_dir=tmp_path)
    async with app.run_test(size=LARGE) as pilot:
        await wait_until(pilot, lambda: app.backend is not None, DEADLINE_S, "the connection")
        first = app.backend
        await pilot.press("u")
        await wait_until(
            pilot, lambda: reached_the_wait(app), DEADLINE_S, "the catch-up to reach the wait"
        )
        assert catching_up(app)
        await pilot.press("r")  # reconnect: the backend the catch-up uses is closed under it
        await wait_until(pilot, lambda: not catching_up(app), DEADLINE_S, "the catch-up to end")
        said = [n for n in app.notices if "reset" in n.message]
        assert said, app.notices
        assert said[0].severity == "error"
        assert any("reset" in line for line in app.activity_lines)
        # It goes on: connected again, to a new backend, and it answers the next key.
        await wait_until(
            pilot,
            lambda: app.backend is not None and app.backend is not first,
            DEADLINE_S,
            "reconnecting",
        )
        assert app.info.state == "connected"
        await pilot.press("d")
        await wait_until(
            pilot, lambda: app.diff is not None, DEADLINE_S, "the diff after the reset"
        )
        assert app.diff_error is None, app.diff_error
    # The harness asserts that no worker died (the AttributeError of issue 13 was one).


async def test_ctrl_c_quits_when_nothing_runs(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: not app.is_running, DEADLINE_S, "the app to quit")
    assert app.return_code == 0


async def test_ctrl_c_asks_while_work_runs_and_a_second_one_quits(
    on_local, make_app, tmp_path
) -> None:
    app = make_app(connector=connector_for(LOCAL), start_step=PAST_THE_WAIT, state_dir=tmp_path)
    async with app.run_test(size=LARGE) as pilot:
        await wait_until(pilot, lambda: app.backend is not None, DEADLINE_S, "the connection")
        await pilot.press("u")
        await wait_until(pilot, lambda: catching_up(app), DEADLINE_S, "the catch-up to start")
        await pilot.press("ctrl+c")
        await wait_until(
            pilot, lambda: isinstance(app.screen, ConfirmQuit), DEADLINE_S, "the question"
        )
        assert "catching up" in app.screen.work
        await pilot.press("n")  # no: the work goes on
        await settle(pilot)
        assert app.is_running and catching_up(app)
        assert not isinstance(app.screen, ConfirmQuit)
        await pilot.press("ctrl+c")
        await wait_until(
            pilot, lambda: isinstance(app.screen, ConfirmQuit), DEADLINE_S, "the question"
        )
        await pilot.press("ctrl+c")  # again: quit, as people expect of a second Ctrl+C
        await wait_until(pilot, lambda: not app.is_running, DEADLINE_S, "the app to quit")
