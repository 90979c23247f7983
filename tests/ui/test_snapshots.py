"""Screens at fixed sizes on fixed data, no cluster: compared with the stored SVG snapshots.

Update them on purpose with `pytest tests/ui --snapshot-update` and look at the report.
"""

from __future__ import annotations

from ui_data import (
    LARGE,
    SMALL,
    bookinfo,
    circuit_breaking,
    reviews_all_v1,
    rounds_and_verdict,
    settle,
    status_rounds,
    step_diff,
    version_rounds,
    watch_events,
)


def test_first_screen_small(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=settle)


def test_first_screen_large(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=LARGE, run_before=settle)


def test_routing_step_tree_and_diff(snap_compare, make_app, lab) -> None:
    step = lab.step("routing-jason-v2")
    # Without the DestinationRule for reviews: the analysis warns before anything is applied.
    live = [o for o in bookinfo(reviews_all_v1()) if o["kind"] != "DestinationRule"]

    async def feed(pilot) -> None:
        await settle(pilot)  # mounted first: a tab chosen earlier would be reset by the mount
        pilot.app.post_message(watch_events(live))
        pilot.app.post_message(step_diff(step, live))
        await settle(pilot)

    app = make_app(start_step=step.id)
    assert snap_compare(app, terminal_size=LARGE, run_before=feed)


def test_traffic_during_fifty_fifty(snap_compare, make_app, lab) -> None:
    step = lab.step("shift-50-v3")

    async def feed(pilot) -> None:
        await settle(pilot)
        for message in rounds_and_verdict(step, version_rounds([19, 22, 18, 21, 20], 40)):
            pilot.app.post_message(message)
        pilot.app.main_screen.show_tab("tab-traffic")
        await settle(pilot)

    app = make_app(start_step=step.id)
    assert snap_compare(app, terminal_size=LARGE, run_before=feed)


def test_circuit_breaking_status_view(snap_compare, make_app, lab) -> None:
    step = lab.step("cb-fortio-c3")

    async def feed(pilot) -> None:
        await settle(pilot)  # mounted first: a tab chosen earlier would be reset by the mount
        pilot.app.post_message(watch_events(circuit_breaking()))
        for message in rounds_and_verdict(step, status_rounds([31, 38, 35, 40, 36], 60)):
            pilot.app.post_message(message)
        pilot.app.main_screen.show_tab("tab-traffic")
        await settle(pilot)

    app = make_app(start_step=step.id)
    assert snap_compare(app, terminal_size=LARGE, run_before=feed)


def test_help_screen(snap_compare, make_app) -> None:
    async def open_help(pilot) -> None:
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SMALL, run_before=open_help)


def test_rejected_apply(snap_compare, make_app, lab) -> None:
    from istiotui.ui import messages as msg

    step = lab.step("routing-jason-v2")
    reason = (
        "scenarios/05-request-routing.yaml:330: apply: VirtualService bookinfo/reviews: "
        "spec.http[0].route[0].destination.host: Required value"
    )

    async def reject(pilot) -> None:
        await settle(pilot)
        pilot.app.post_message(msg.StepApplied(step.id, reason))
        await settle(pilot)

    app = make_app(start_step=step.id)
    assert snap_compare(app, terminal_size=SMALL, run_before=reject)
    assert any(n.severity == "error" and reason in n.message for n in app.notices)
