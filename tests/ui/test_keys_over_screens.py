"""Which keys act while the Graph view, Explain, Proxies or a viewer is shown: the screen's own,
the help, the language (and on the Graph view quit and the palette), never the step's keys
behind the learner's back; and `L` re-words the screen that is open (issue 20)."""

from __future__ import annotations

import threading

import pytest
from test_keys import screen_text
from test_screen_keys import CountedProxies, QuietExplain, make_screen
from textual.command import CommandPalette
from textual.containers import VerticalScroll
from textual.widgets import Input
from ui_data import SMALL, settle

from istiotui.lab.words import word as t
from istiotui.ui.keymap import EXPLAIN, GRAPH, PROXIES, VIEWER, by_id, screen_actions
from istiotui.ui.screens.graph import GraphScreen
from istiotui.ui.screens.help import HelpScreen
from istiotui.ui.screens.modals import ConfirmQuit

# App keys that, offline, say why they cannot act (a notice) or open a screen: what they do is
# seen when they act. `y`/`l`/`Y`/`tab` are the main screen's own and never reached the graph.
STEP_KEYS = "adpvcufxoe"


async def test_the_step_keys_do_nothing_on_the_graph_view(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("a")  # on the main screen it acts: offline, it says why it cannot
        await settle(pilot)
        assert [n.message for n in app.notices] == [t("needs_cluster", "en")]
        app.notices.clear()
        await pilot.press("g")
        await settle(pilot)
        graph = app.screen
        assert isinstance(graph, GraphScreen)
        for key in STEP_KEYS:
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is graph, f"{key!r} on the graph opened {app.screen!r}"
            assert app.notices == [], f"{key!r} acted behind the graph: {app.notices}"
        # Its own keys, the help, the palette and quitting still act.
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen) and app.screen.first == GRAPH
        await pilot.press("escape", "colon")
        await settle(pilot)
        assert CommandPalette.is_open(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is graph
        release = threading.Event()  # a clean-up running: quitting asks first
        app.run_worker(release.wait, "cleanup_step", group="change", thread=True)
        try:
            await pilot.press("q")
            for _ in range(5):
                await pilot.pause()
            assert isinstance(app.screen, ConfirmQuit)
            assert t("work.cleanup_step", "en") in screen_text(app)
            await pilot.press("n")
            for _ in range(5):
                await pilot.pause()
            assert app.screen is graph
        finally:
            release.set()
        await pilot.press("g")
        await settle(pilot)
        assert app.screen is app.main_screen


@pytest.mark.parametrize("name", [PROXIES, EXPLAIN, VIEWER])
async def test_question_mark_opens_the_help_over_a_modal_screen(make_app, name) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = make_screen(name, app, "en")
        await app.push_screen(screen)
        await settle(pilot)
        if name == EXPLAIN:  # in the URL field `?` is typed: a query string
            url = screen.query_one("#explain-url", Input)
            assert url.has_focus
            await pilot.press("end", "question_mark")
            await settle(pilot)
            assert app.screen is screen and url.value == "http://reviews:9080/?"
            screen.query_one(VerticalScroll).focus()  # outside the fields, it is the help
        if name == VIEWER:  # …and in the viewer's search field
            await pilot.press("slash", "question_mark")
            await settle(pilot)
            assert app.screen is screen
            assert screen.query_one("#viewer-search", Input).value == "?"
            await pilot.press("escape")  # closes the search, not the viewer
            await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen), f"`?` on {name} did not open the help"
        assert app.screen.first == name  # the screen's keys listed first
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


def key_line(screen) -> str:
    """What the screen shows of its keys in the current language."""
    if isinstance(screen, GraphScreen):
        return str(screen.query_one("#graph-keys").render())
    if isinstance(screen, QuietExplain):
        return str(screen.query_one("#explain-head").render())
    if isinstance(screen, CountedProxies):
        return str(screen.query_one("#proxies-head").render())
    return str(screen.query_one("#viewer-title").render())


LINES = {  # a piece of each screen's key line, (es, en)
    GRAPH: ("esc:Volver", "esc:Back"),
    EXPLAIN: ("esc: Cerrar", "esc: Close"),
    PROXIES: ("1-5: pestaña", "1-5: tab"),
    VIEWER: ("/ busca", "/ searches"),
}


@pytest.mark.parametrize("name", [GRAPH, EXPLAIN, PROXIES, VIEWER])
async def test_the_language_key_rewords_the_screen_that_is_open(make_app, name) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = make_screen(name, app, "en")
        await app.push_screen(screen)
        await settle(pilot)
        if name == EXPLAIN:
            screen.query_one(VerticalScroll).focus()  # in a field `L` is typed
        assert LINES[name][1] in key_line(screen)
        await pilot.press("L")
        await settle(pilot)
        assert app.lang == "es" and app.screen is screen
        words = {b.id: b.description for _, b in screen._bindings if b.id}
        for action in screen_actions(name):
            assert words[action.id] == action.description("es"), action.id
        assert words["app.help"] == by_id("app.help").description("es")
        assert LINES[name][0] in key_line(screen), key_line(screen)
        app.set_language("en")  # what the palette's "Language: English" runs
        await settle(pilot)
        assert LINES[name][1] in key_line(screen), key_line(screen)
        assert {b.id: b.description for _, b in screen._bindings if b.id}["app.help"] == "Help"
