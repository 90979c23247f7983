"""Which plot a step gets, and the verdict lines under it."""

from __future__ import annotations

from istiotui.lab.expectations import Verdict
from istiotui.lab.verify import Judged
from istiotui.ui.widgets.traffic import verdict_text, view_of


def test_fault_injection_gets_the_latency_view(lab) -> None:
    assert view_of(lab.step("fault-delay-jason"), "latency") == "latency"
    assert view_of(lab.step("ingress-virtual-service"), "status") == "latency"  # a latency check


def test_status_codes_for_circuit_breaking_and_classes_for_versions(lab) -> None:
    assert view_of(lab.step("cb-fortio-c3"), "status") == "status"
    assert view_of(lab.step("shift-50-v3"), "reviews-version") == "classes"
    assert view_of(None, "stars") == "classes"


def test_verdict_lines_quote_the_numbers(lab) -> None:
    step = lab.step("cb-fortio-c3")
    judged = [
        Judged(step.expect[0], Verdict(True, "expected 10%–95% of 503, saw 60.0%")),
        Judged(step.expect[1], Verdict(False, "on 0 of 300 (0.0%)")),
    ]
    text = verdict_text(judged, None, "en").plain
    assert "✔ load: share of 503 between 0.1 and 0.95" in text
    assert "saw 60.0%" in text and "✗ load: header x-envoy-overloaded" in text
    assert text.endswith("Verdict: failed")
    assert verdict_text((), "probe jason: no pod", "es").plain.startswith("✗ probe jason")


async def test_latency_rounds_draw_percentiles(make_app, lab) -> None:
    from textual_plotext import PlotextPlot
    from ui_data import LARGE, settle

    from istiotui.traffic.stats import Response
    from istiotui.ui import messages as msg

    step = lab.step("fault-delay-jason")
    app = make_app(start_step=step.id)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        for delay in (7.0, 7.1):
            rows = tuple(Response(200, delay + i / 100, "7s+") for i in range(10))
            app.post_message(msg.ProbeRoundFinished(step.id, "jason", "latency", rows, 8.0))
        app.main_screen.show_tab("tab-traffic")
        await settle(pilot)
        plot = app.main_screen.query_one(PlotextPlot)
        drawn = plot.plt.build()
    assert "jason: latency (s)" in drawn and "p50" in drawn and "max" in drawn
