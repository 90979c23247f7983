"""Probe rounds as a plot (counts per round, running share) and the verdict under it.

Three views, chosen from the step: classes (which version answered), status codes (circuit
breaking, aborts) and latency (fault injection). Redraws are throttled to 4 a second so a fast
probe never floods the screen or delays a key press.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Static

from istiotui.lab import model as m
from istiotui.lab.describe import expectation_line
from istiotui.lab.words import word as t
from istiotui.ui.store import Traffic

if TYPE_CHECKING:  # verifying (probes, aiohttp) loads when a step is first verified
    from textual_plotext import PlotextPlot

    from istiotui.lab.verify import Judged

MIN_REDRAW_SECONDS = 0.25


def view_of(step: m.Step | None, classify: str) -> str:
    """latency | status | classes: what the plot shows for this step."""
    if step is not None and any(isinstance(e, m.LatencyWithin) for e in step.expect):
        return "latency"
    if classify == "latency":
        return "latency"
    if classify == "status" or (
        step is not None and any(isinstance(e, m.StatusShare) for e in step.expect)
    ):
        return "status"
    return "classes"


def verdict_text(judged: Sequence[Judged] | None, error: str | None, lang: m.Lang) -> Text:
    out = Text()
    if error:
        out.append(f"✗ {error}\n", "bold red")
    for j in judged or ():
        mark, style = ("✔", "green") if j.verdict.passed else ("✗", "bold red")
        out.append(f"{mark} {expectation_line(j.expectation)}\n", style)
        out.append(f"  {j.verdict.detail}\n")
    if judged:
        ok = all(j.verdict.passed for j in judged) and not error
        out.append(
            f"{t('verdict', lang)}: {t('passed' if ok else 'failed', lang)}",
            "bold green" if ok else "bold red",
        )
    return out


class TrafficPanel(Vertical):
    DEFAULT_CSS = """
    TrafficPanel > PlotextPlot { height: 1fr; min-height: 8; }
    TrafficPanel > #traffic-verdict { height: auto; max-height: 50%; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        # Set here, not on mount: the app may show traffic between this panel's (deferred)
        # mount and its Mount event.
        self._last_draw = -1.0
        self._pending = False
        self._args: tuple | None = None
        self._composed = False

    def compose(self):
        # plotext loads with the panel; the main screen mounts the panel after its first frame.
        from textual_plotext import PlotextPlot

        yield PlotextPlot(id="traffic-plot")
        yield Static(id="traffic-verdict")

    def on_mount(self) -> None:
        self._composed = True
        self.app.main_screen.show_traffic()  # mounted later than the rest: catch up

    @property
    def plot(self) -> PlotextPlot:
        return self.query_one("#traffic-plot")  # type: ignore[return-value]

    @property
    def pending(self) -> bool:
        """A redraw is waiting for the throttle (tests wait on this instead of sleeping)."""
        return self._pending

    def show(
        self,
        traffic: Traffic,
        step: m.Step | None,
        judged: Sequence[Judged] | None,
        error: str | None,
        lang: m.Lang,
    ) -> None:
        self._args = (traffic, step, judged, error, lang)
        if not self._composed:
            return  # drawn on mount, with the app's latest
        now = self.app.clock_monotonic()
        wait = self._last_draw + MIN_REDRAW_SECONDS - now
        if self._last_draw < 0 or wait <= 0:
            self._draw()
        elif not self._pending:
            self._pending = True
            self.set_timer(wait, self._draw)

    def _draw(self) -> None:
        self._pending = False
        if self._args is None:
            return
        self._last_draw = self.app.clock_monotonic()
        traffic, step, judged, error, lang = self._args
        plot = self.plot
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        view = view_of(step, traffic.classify)
        if not traffic.rounds:
            plt.title(t("no_probe", lang) if step and not step.probes else t("no_rounds", lang))
        elif view == "latency":
            self._latency(traffic, lang)
        else:
            self._counts(traffic, view == "status", lang)
        plot.refresh()
        self.query_one("#traffic-verdict", Static).update(verdict_text(judged, error, lang))

    def _counts(self, traffic: Traffic, by_status: bool, lang: m.Lang) -> None:
        plt = self.plot.plt
        classes = traffic.classes(by_status)
        rounds = list(range(1, len(traffic.rounds) + 1))
        counts = traffic.counts(by_status)
        series = [[c.get(k, 0) for c in counts] for k in classes]
        if classes:
            plt.stacked_bar(rounds, series, labels=classes, width=0.4)
            for klass, shares in traffic.running_shares(by_status).items():
                plt.plot(rounds, shares, yside="right", marker="dot", label=f"{klass} %")
            plt.ylim(0, 100, yside="right")
        what = "status" if by_status else traffic.classify
        plt.title(f"{traffic.probe_id}: {what}")
        plt.xlabel(t("round", lang))
        plt.ylabel(t("requests", lang), yside="left")
        plt.ylabel(t("share", lang), yside="right")

    def _latency(self, traffic: Traffic, lang: m.Lang) -> None:
        plt = self.plot.plt
        rounds = list(range(1, len(traffic.rounds) + 1))
        for p in (50, 90, 100):
            ys = [r.summary.percentile(p) or 0.0 for r in traffic.rounds]
            plt.plot(rounds, ys, marker="dot", label="max" if p == 100 else f"p{p}")
        plt.title(f"{traffic.probe_id}: {t('latency', lang)}")
        plt.xlabel(t("round", lang))
        plt.ylabel(t("latency", lang))
