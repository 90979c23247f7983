"""The keys of the screens that have their own (Graph, Explain, Proxies, the viewer) come from the
keymap: the help lists them in both languages, the palette offers them over their screen, and
the main key bar keeps its most useful keys at 80 columns (issue 20)."""

from __future__ import annotations

import pytest
from test_habits import bar, palette_prompts
from test_keys import screen_text
from test_proxy_screen_snapshot import FixedProxies
from textual.screen import ModalScreen, Screen
from ui_data import LARGE, SMALL, settle

from istiotui.ui.keymap import (
    EXPLAIN,
    GRAPH,
    PROXIES,
    VIEWER,
    app_keys_on,
    by_id,
    screen_actions,
)
from istiotui.ui.screens.explain import ExplainScreen, ExplainTarget
from istiotui.ui.screens.graph import GraphScreen
from istiotui.ui.screens.help import HelpScreen, help_rows
from istiotui.ui.screens.proxies import ProxyScreen
from istiotui.ui.screens.viewer import TextViewer
from istiotui.ui.widgets.keybar import DROP_FIRST, key_text
from istiotui.ui.widgets.outline import Outline
from istiotui.ui.widgets.resource_tree import ResourceTree

SCREENS = [(GraphScreen, GRAPH), (ExplainScreen, EXPLAIN), (ProxyScreen, PROXIES),
           (TextViewer, VIEWER)]  # fmt: skip


class QuietExplain(ExplainScreen):
    """Explains nothing (no cluster): what its keys asked for is recorded instead."""

    def __init__(self, lab, lang) -> None:
        super().__init__(None, lab, ExplainTarget("http://reviews:9080/"), lang)  # type: ignore[arg-type]
        self.asked: list[str] = []

    def run_explain(self, send_too: bool) -> None:
        self.asked.append("send" if send_too else "explain")


class CountedProxies(FixedProxies):
    reads = 0

    def action_read_again(self) -> None:
        self.reads += 1
        super().action_read_again()


def make_screen(name: str, app, lang):
    if name == GRAPH:
        return GraphScreen(None, lang)
    if name == EXPLAIN:
        return QuietExplain(app.lab, lang)
    if name == PROXIES:
        return CountedProxies(None, lang)  # type: ignore[arg-type]  # fixed rows, no session
    return TextViewer("reviews.yaml", "kind: VirtualService\n", lang)


def own_bindings(cls: type[Screen]):
    """What the screen binds beyond Textual's Screen and ModalScreen."""
    textual = {(k, b.action) for base in (Screen, ModalScreen) for k, b in base._merged_bindings}
    return [b for k, b in cls._merged_bindings if (k, b.action) not in textual]


@pytest.mark.parametrize(("cls", "name"), SCREENS, ids=[n for _, n in SCREENS])
def test_every_key_a_screen_binds_is_one_of_the_keymaps(cls, name) -> None:
    bound = own_bindings(cls)
    assert bound
    for b in bound:
        assert b.id is not None, f"{cls.__name__} binds {b.key!r} outside the keymap"
        action = by_id(b.id)
        if action.screen is None:  # an app key that acts there too: run on the app
            assert name in action.also_on and b.action == f"app.{action.action}", b
        else:
            assert (action.screen, b.action) == (name, action.action), b
        assert b.key in action.keys.split(",")
    # …and every key the keymap gives the screen is bound by it.
    ids = {b.id for b in bound}
    assert {a.id for a in [*screen_actions(name), *app_keys_on(name)]} <= ids


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("name", [GRAPH, EXPLAIN, PROXIES])
async def test_the_help_lists_every_key_of_the_screen_it_is_asked_on(make_app, name, lang) -> None:
    app = make_app(lang=lang)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        screen = make_screen(name, app, lang)
        await app.push_screen(screen)
        await settle(pilot)
        # The screen's bindings speak the app's language (Textual's keys panel shows them);
        # they are made in English, so only Spanish tests `speak`.
        words = {b.id: b.description for _, b in screen._bindings if b.id}
        for action in screen_actions(name):
            if lang == "es":
                assert words[action.id] == action.description("es")
        app.action_help()  # what `?` on these screens, and the palette's Help, run
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = help_rows(lang, app.screen.bound, app.screen.first)
        listed = {(k, what) for keys, what in rows for k in keys.split(" ")}
        shown = screen_text(app)
        for b in own_bindings(type(screen)):
            what = by_id(b.id).description(lang)
            assert (key_text(b.key), what) in listed, (b.key, what)
            assert what in shown
        # The screen's group comes first: its title is the first row.
        es, en = {"graph": ("Grafo", "Traffic graph"), "explain": ("Explicar", "Explain"),
                  "proxies": ("Proxies", "Proxies")}[name]  # fmt: skip
        assert (es if lang == "es" else en) in rows[0][1]


async def test_the_graph_views_keys_work_and_its_key_line_speaks_spanish(make_app) -> None:
    app = make_app(lang="es")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await app.push_screen(GraphScreen(None, "es"))
        await settle(pilot)
        line = str(app.screen.query_one("#graph-keys").render())
        assert "esc:Volver" in line and "K:Abrir Kiali" in line and "?:Ayuda" in line
        await pilot.press("question_mark")  # an app key the view binds too (`also_on`)
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        assert app.screen is app.main_screen


async def test_the_explain_and_proxies_keys_still_do_what_they_did(make_app) -> None:
    app = make_app(lang="es")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        explain = QuietExplain(app.lab, "es")
        await app.push_screen(explain)
        await settle(pilot)
        await pilot.press("enter", "ctrl+s")  # enter in the URL field: the field's own
        await settle(pilot)
        assert explain.asked == ["explain", "explain", "send"]  # on mount, enter, ^s
        assert "Explicar, desde" in screen_text(app) and "esc: Cerrar" in screen_text(app)
        await pilot.press("q")  # typed into the URL: it does not close the screen
        await settle(pilot)
        assert app.screen is explain
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main_screen
        proxies = CountedProxies(None, "es")  # type: ignore[arg-type]
        await app.push_screen(proxies)
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        assert proxies.query_one("TabbedContent").active == "routes"
        await pilot.press("r")
        await settle(pilot)
        assert proxies.reads == 2  # on mount, then `r`
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main_screen


async def test_the_palette_offers_a_screens_keys_over_it_only(make_app) -> None:
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"read again")
        await settle(pilot)
        assert not any("Proxies: Read again" in p for p in palette_prompts(app))
        await pilot.press("escape")
        await settle(pilot)
        proxies = CountedProxies(None, "en")  # type: ignore[arg-type]
        await app.push_screen(proxies)
        await settle(pilot)
        await pilot.press("ctrl+p", *"read again")
        await settle(pilot)
        assert any("Proxies: Read again" in p for p in palette_prompts(app))
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is proxies and proxies.reads == 2


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_the_key_bar_keeps_the_most_useful_keys_at_80_columns(make_app, lang) -> None:
    app = make_app(lang=lang)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert isinstance(app.focused, Outline)
        kept = ["a", "p", "v", "Y", "?"]
        for focus in ("outline", "tree"):
            if focus == "tree":
                await pilot.press("tab", "tab")  # the step, then the resource tree
                await settle(pilot)
                assert isinstance(app.focused, ResourceTree)
                kept += ["y", "l"]
            line = bar(app)
            assert len(line) <= SMALL[0] and "…" not in line, line
            keys = {word.split(":")[0] for word in line.split() if ":" in word}
            assert set(kept) <= keys, (focus, line)
            # Only the keys DROP_FIRST names may be missing.
            dropped = {key_text(by_id(i).keys) for i in DROP_FIRST}
            every = {"a", "d", "p", "v", "c", "Y", "/", "?", "q"}
            assert every - keys <= dropped, line
