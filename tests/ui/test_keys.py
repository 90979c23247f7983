"""The keyboard drives the app (Pilot): moving, opening, language, help, palette, re-layout."""

from __future__ import annotations

import argparse
import html
import json
import re

from textual.widgets import TabbedContent
from ui_data import LARGE, SMALL, bookinfo, rounds_and_verdict, settle, version_rounds, watch_events

from istiotui.cli.session import open_session
from istiotui.cluster.kind import ClusterKind
from istiotui.ui import messages as msg
from istiotui.ui.keymap import ACTIONS
from istiotui.ui.learner_progress import StepState
from istiotui.ui.screens.help import HelpScreen
from istiotui.ui.screens.modals import ChooseContainer, ConfirmApply
from istiotui.ui.widgets.keybar import KeyBar
from istiotui.ui.widgets.outline import Outline
from istiotui.ui.widgets.resource_tree import ResourceTree
from istiotui.ui.widgets.status_line import StatusLine
from istiotui.ui.widgets.step_view import StepView


def plain(widget) -> str:
    return str(widget.render())


def screen_text(app) -> str:
    """What the terminal shows, as text (from the app's own screenshot)."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


async def test_keys_move_through_the_outline_and_open_a_step(make_app, lab, tmp_path) -> None:
    app = make_app()
    steps = list(lab.steps())
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert isinstance(app.focused, Outline) and app.step.id == steps[0].id
        await pilot.press("j", "enter")
        await settle(pilot)
        assert app.step.id == steps[1].id
        await pilot.press("k", "k", "down", "enter")  # up to the section line and back down
        await settle(pilot)
        assert app.step.id == steps[0].id
        assert lab.step(app.step.id).title.en in app.main_screen.query_one(StepView).source
    saved = json.loads((tmp_path / "state" / "progress" / "offline.json").read_text())
    assert saved["current"] == steps[0].id


async def test_language_switch_without_restart(make_app, lab) -> None:
    app = make_app(lang="en", start_step="shift-50-v3")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert "Half to v1, half to v3" in app.main_screen.query_one(StepView).source
        await pilot.press("L")
        await settle(pilot)
        assert app.lang == "es"
        assert "Mitad a v1, mitad a v3" in app.main_screen.query_one(StepView).source
        assert "Aplicar" in plain(app.main_screen.query_one(KeyBar))
        assert app.step.id == "shift-50-v3"  # the same step, now in Spanish


async def test_help_lists_every_action_from_the_registry(make_app) -> None:
    app = make_app(lang="es")
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for action in ACTIONS:
            assert action.es in text, action.id
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main_screen


async def test_palette_jumps_to_a_step(make_app) -> None:
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"cbfortioc3")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.step.id == "cb-fortio-c3"


async def test_palette_switches_language(make_app) -> None:
    app = make_app(lang="en")
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"espa")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.lang == "es"


async def test_resize_switches_between_tabs_and_side_by_side(make_app) -> None:
    app = make_app(start_step="routing-all-v1")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.post_message(watch_events(bookinfo()))
        await settle(pilot)
        tabs = app.main_screen.query_one("#tabs", TabbedContent)
        assert tabs.query("#tab-step") and app.main_screen.layout_name == "narrow"
        await pilot.resize_terminal(*LARGE)
        await settle(pilot)
        assert app.main_screen.layout_name == "wide"
        assert not app.main_screen.query("#tab-step")  # the step text sits beside the panels
        assert app.main_screen.query_one(StepView).region.width > 0
        tree = app.main_screen.query_one(ResourceTree)
        assert tree.region.height > 0 and "reviews" in str(tree.root.children[0].children[1].label)


async def test_tree_filter_keeps_matching_objects(make_app) -> None:
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        app.post_message(watch_events(bookinfo()))
        await settle(pilot)
        await pilot.press("slash", *"ratings", "enter")
        await settle(pilot)
        tree = app.main_screen.query_one(ResourceTree)
        labels = [str(n.label) for n in tree.root.children[0].children]
        assert labels and all("ratings" in label for label in labels)
        assert isinstance(app.focused, ResourceTree)


async def test_actions_without_a_cluster_say_why(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("a")
        app.main_screen.query_one(ResourceTree).focus()  # `y` acts on the tree
        await pilot.press("y")
        await pilot.press("o")  # the proxies' views read them from the cluster
        await settle(pilot)
    messages = [n.message for n in app.notices]
    assert messages.count("A connected cluster is needed") == 2  # `a`, then `o`
    assert "Select an object in the tree" in messages


async def test_unreachable_cluster_is_reported_and_the_app_keeps_running(
    make_app, tmp_path
) -> None:
    calls = []
    missing = tmp_path / "missing-kubeconfig"

    def connector():
        calls.append(1)
        return open_session(argparse.Namespace(local=False, context=None, kubeconfig=str(missing)))

    app = make_app(connector=connector)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        status = plain(app.main_screen.query_one(StatusLine))
        assert "not connected" in status and "r retries" in status
        assert any(n.severity == "error" and str(missing) in n.message for n in app.notices)
        await pilot.press("j", "enter")  # the lab is still usable
        await settle(pilot)
        assert app.step.id != "vms-clone"
        await pilot.press("r")
        await settle(pilot)
        assert len(calls) == 2


async def test_apply_asks_to_confirm_after_showing_the_diff(make_app, lab) -> None:
    from ui_data import step_diff

    step = lab.step("routing-jason-v2")
    app = make_app(start_step=step.id)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        diff = step_diff(step, bookinfo())
        app.post_message(msg.DiffComputed(step.id, diff.diffs, diff.findings, for_apply=True))
        await settle(pilot)
        assert isinstance(app.screen, ConfirmApply)
        assert "update: VirtualService bookinfo/reviews" in str(
            app.screen.query_one("#confirm-summary").render()
        )
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is app.main_screen
        assert app.progress.state(step.id) is StepState.PENDING


async def test_verdict_marks_the_step_and_progress_is_restored(make_app, lab, tmp_path) -> None:
    step = lab.step("shift-50-v3")
    app = make_app(start_step=step.id, context_hint="istiotui-local")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        for message in rounds_and_verdict(step, version_rounds([20, 20], 40)):
            app.post_message(message)
        app.post_message(msg.StepApplied("shift-all-v1"))
        await settle(pilot)
    assert app.progress.state(step.id) is StepState.VERIFIED
    again = make_app(context_hint="istiotui-local")
    async with again.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert again.step.id == step.id
        assert again.progress.state("shift-all-v1") is StepState.APPLIED
        labels = [
            str(n.label) for n in again.main_screen.query_one(Outline).root.children[7].children
        ]
        assert any(label.startswith("✔") for label in labels)
        assert any(label.startswith("●") for label in labels)


async def test_log_viewer_preselects_the_application_container(make_app) -> None:
    chosen = []
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        containers = ["istio-proxy", "reviews"]
        app.push_screen(ChooseContainer("reviews-v1-x", containers, "en"), chosen.append)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
    assert chosen == ["reviews"]


async def test_no_color_renders_in_grey_only(make_app, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(start_step="routing-jason-v2")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        svg = app.export_screenshot()
    colours = set(re.findall(r"fill[:=]\s*\"?#([0-9a-f]{6})", svg))
    colours -= {"c5c8c6", "ff5f57", "febc2e", "28c840"}  # the screenshot's own window frame
    assert colours
    for hex_ in colours:
        r, g, b = (int(hex_[i : i + 2], 16) for i in (0, 2, 4))
        assert max(r, g, b) - min(r, g, b) <= 2, f"#{hex_} is a colour"


async def test_a_lost_watch_is_said_in_the_tree_until_it_is_restored(make_app) -> None:
    from istiotui.cluster.watch import WatchEvent

    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        app.post_message(watch_events(bookinfo()))
        app.post_message(msg.ResourcesChanged((WatchEvent("LOST", "Pod", message="refused"),)))
        await settle(pilot)
        tree = app.main_screen.query_one(ResourceTree)
        assert "cluster lost: refused" in str(tree.root.children[0].label)
        app.post_message(msg.ResourcesChanged((WatchEvent("RESTORED", "Pod"),)))
        await settle(pilot)
        assert str(tree.root.children[0].label).startswith("bookinfo")


async def test_the_header_shows_istiods_release_once_it_is_installed(make_app) -> None:
    from istiotui.cluster.watch import WatchEvent

    istiod = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "istiod", "namespace": "istio-system"},
        "spec": {"template": {"spec": {"containers": [
            {"name": "discovery", "image": "docker.io/istio/pilot:1.24.0"},
        ]}}},
    }  # fmt: skip
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        app.post_message(
            msg.ClusterConnected("istiotui-local", ClusterKind.LOCAL, "https://x", "v1.32.0")
        )
        await settle(pilot)
        # Connected, the Deployments not read yet: nothing is said about Istio.
        assert "Istio …" in plain(app.main_screen.query_one(StatusLine))
        app.post_message(msg.ResourcesChanged((WatchEvent("SYNCED", "Deployment"),)))
        await settle(pilot)
        assert "Istio not installed" in plain(app.main_screen.query_one(StatusLine))
        # istioctl install runs while the app is open: the watch brings istiod's Deployment.
        app.post_message(msg.ResourcesChanged((WatchEvent("ADDED", "Deployment", istiod),)))
        await settle(pilot)
        assert "Istio 1.24.0" in plain(app.main_screen.query_one(StatusLine))
        app.post_message(msg.ResourcesChanged((WatchEvent("DELETED", "Deployment", istiod),)))
        await settle(pilot)
        assert "Istio not installed" in plain(app.main_screen.query_one(StatusLine))


async def test_a_failure_is_notified_as_written_even_with_brackets_in_it(make_app) -> None:
    """A cluster's or a tool's words go into toasts as text: a `[/…]` in them is no markup."""
    from textual.widgets._toast import Toast

    reason = "cannot reach https://127.0.0.1:6443 [/healthz]: [b] connection refused"
    app = make_app()
    async with app.run_test(size=LARGE, notifications=True) as pilot:
        await settle(pilot)
        app.post_message(msg.ClusterFailed(reason))
        await settle(pilot)
        shown = [str(toast.render()) for toast in app.screen.query(Toast)]
        assert any(reason in text for text in shown), shown
