"""The habits learners bring from k9s and Textual (issue 20): `:`, tab, esc, search, follow, copy,
a help that lists every key and a key bar that shows the keys that act where the focus is."""

from __future__ import annotations

import dataclasses

from test_keys import screen_text
from textual.command import CommandList, CommandPalette
from textual.widgets import Input, TextArea
from ui_data import LARGE, SMALL, bookinfo, settle, watch_events

from istiotui.ui import messages as msg
from istiotui.ui.screens.help import HelpScreen, help_rows
from istiotui.ui.screens.viewer import TextViewer, find_all
from istiotui.ui.widgets.keybar import KeyBar, key_text
from istiotui.ui.widgets.outline import Outline
from istiotui.ui.widgets.resource_tree import ResourceTree
from istiotui.ui.widgets.step_view import StepView

YAML = "\n".join(
    [
        "apiVersion: networking.istio.io/v1",
        "kind: VirtualService",
        "spec:",
        "  http:",
        "  - match: [{headers: {end-user: {exact: jason}}}]",
        "    route: [{destination: {host: reviews, subset: v2}}]",
        "  - route: [{destination: {host: reviews, subset: v1}}]",
    ]
)


def bar(app) -> str:
    return str(app.main_screen.query_one(KeyBar).render())


def view_lines(app, widget) -> list[str]:
    """What the terminal shows inside one widget's region, line by line."""
    strips = app.screen._compositor.render_strips()
    region = widget.region
    return [s.text[region.x : region.right] for s in strips[region.y : region.bottom]]


def palette_prompts(app) -> list[str]:
    options = app.screen.query_one(CommandList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_colon_opens_the_palette_with_textuals_commands_beside_the_labs(make_app) -> None:
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await settle(pilot)
        assert CommandPalette.is_open(app)
        await pilot.press(*"screensh")
        await settle(pilot)
        assert any("Screenshot" in p for p in palette_prompts(app))
        await pilot.press(*["backspace"] * 8, *"theme")
        await settle(pilot)
        assert any("Theme" in p for p in palette_prompts(app))
        await pilot.press(*["backspace"] * 5, *"cbfortioc3")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.step.id == "cb-fortio-c3"  # the lab's own commands are there too


async def test_tab_reaches_every_panel_the_tree_included(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        tabs = app.main_screen.query_one("#tabs")
        seen = []
        for _ in range(6):
            await pilot.press("tab")
            await settle(pilot)
            focused = app.focused
            seen.append((tabs.active, focused.id or type(focused).__name__))
        assert seen == [
            ("tab-step", "step"),
            ("tab-tree", "resources"),
            ("tab-diff", "diff"),
            ("tab-traffic", "ContentTabs"),  # the plot has nothing to focus: the tabs' bar
            ("tab-activity", "activity"),
            ("tab-activity", "outline"),
        ]
        await pilot.press("shift+tab")
        await settle(pilot)
        assert app.focused.id == "activity"


async def test_tab_reaches_the_tree_side_by_side_too(make_app) -> None:
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        await pilot.press("tab")
        await settle(pilot)
        assert isinstance(app.focused, StepView)
        await pilot.press("tab")
        await settle(pilot)
        assert isinstance(app.focused, ResourceTree)


async def test_esc_clears_and_hides_the_filter(make_app) -> None:
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        app.post_message(watch_events(bookinfo()))
        await settle(pilot)
        tree = app.main_screen.query_one(ResourceTree)
        everything = len(tree.root.children[0].children)
        await pilot.press("slash", *"ratings")
        await settle(pilot)
        assert len(tree.root.children[0].children) < everything
        assert "esc" in bar(app) and "Apply" not in bar(app)  # letters are typed here
        await pilot.press("escape")
        await settle(pilot)
        field = app.main_screen.query_one("#filter", Input)
        assert field.value == "" and field.has_class("hidden") and app.filter_text == ""
        assert len(tree.root.children[0].children) == everything
        assert isinstance(app.focused, ResourceTree)


async def test_the_key_bar_shows_the_keys_that_act_where_the_focus_is(make_app) -> None:
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        assert isinstance(app.focused, Outline)
        assert "Apply" in bar(app) and "YAML" not in bar(app) and "Logs" not in bar(app)
        await pilot.press("y")  # no tree in focus: `y` does nothing
        await settle(pilot)
        assert app.notices == [] and app.screen is app.main_screen
        app.main_screen.query_one(ResourceTree).focus()
        await settle(pilot)
        assert "YAML" in bar(app) and "Logs" in bar(app) and "Apply" in bar(app)


async def test_help_lists_every_key_the_app_binds(make_app) -> None:
    """Drawn from the bindings in force (Textual's own included), not from a list kept by hand."""
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        screens = (app, app.main_screen, TextViewer("t", "", "en"))
        bound = [b for node in screens for _, b in node._bindings if not b.system]
        keys = {b.key for b in bound}
        assert {"ctrl+q", "colon", "ctrl+p", "shift+tab", "n", "F"} <= keys
        listed = {k for key, _ in help_rows("en", app.screen.bound) for k in key.split(" ")}
        assert {key_text(k) for k in keys} <= listed, {key_text(k) for k in keys} - listed
        shown = screen_text(app)
        assert "^q" in shown and "Quit (also q)" in shown


async def test_the_viewer_searches_forward_and_back(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.push_screen(TextViewer("VirtualService bookinfo/reviews", YAML, "en"))
        await settle(pilot)
        viewer = app.screen
        await pilot.press("slash", *"SUBSET", "enter")
        await settle(pilot)
        assert viewer.matches == find_all(YAML, "subset") == [(5, 42), (6, 42)]
        area = viewer.query_one(TextArea)
        assert area.selected_text == "subset"
        assert area.selection.start == (5, 42)
        await pilot.press("n")
        await settle(pilot)
        assert area.selection.start == (6, 42)
        await pilot.press("n")  # round to the first again
        await settle(pilot)
        assert area.selection.start == (5, 42)
        await pilot.press("N")
        await settle(pilot)
        assert area.selection.start == (6, 42)
        assert "match 2 of 2" in str(viewer.query_one("#viewer-status").render())
        await pilot.press("slash", *"nowhere", "enter")
        await settle(pilot)
        assert viewer.matches == []
        assert "No match: nowhere" in str(viewer.query_one("#viewer-status").render())
        await pilot.press("slash", "escape")  # esc closes the search first
        await settle(pilot)
        assert app.screen is viewer
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main_screen


async def test_a_log_viewer_follows_and_a_yaml_one_cannot(make_app) -> None:
    asked: list[int] = []
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.push_screen(TextViewer("VirtualService x/y", YAML, "en"))
        await settle(pilot)
        await pilot.press("F")
        await settle(pilot)
        assert not app.screen.following
        await pilot.press("escape")
        await settle(pilot)

        title = "logs bookinfo/reviews-v1-x -c reviews"
        app.push_screen(TextViewer(title, "line 1", "en", lambda: asked.append(1)))
        await settle(pilot)
        viewer = app.screen
        await pilot.press("F")
        await settle(pilot)
        assert viewer.following and asked == [1]  # asked again at once
        lines = "\n".join(f"line {i}" for i in range(1, 200))
        logs = ("bookinfo", "reviews-v1-x", "reviews")
        app.post_message(msg.TextFetched(title, lines, logs=logs, refresh=True))
        await settle(pilot)
        area = viewer.query_one(TextArea)
        assert area.text == lines and viewer.refreshes == 1
        assert area.cursor_location == area.document.end  # kept at the end
        assert area.scroll_offset.y > 0
        app.post_message(msg.TextFetched("logs other", "x", logs=logs, refresh=True))
        await settle(pilot)
        assert area.text == lines  # another log's answer is not this viewer's
        await pilot.press("F")
        await settle(pilot)
        assert not viewer.following


async def test_y_copies_the_steps_commands(make_app, lab) -> None:
    step = lab.step("routing-jason-v2")
    app = make_app(start_step=step.id)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("Y")
        await settle(pilot)
        assert app.clipboard == "\n".join(step.commands) + "\n"
        assert any("commands copied (1 lines)" in n.message for n in app.notices)


async def test_copying_a_step_without_commands_says_so(make_app, lab) -> None:
    step = lab.step("routing-jason-v2")
    app = make_app(start_step=step.id)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.step = dataclasses.replace(step, commands=())  # every step of the lab has some
        await pilot.press("Y")
        await settle(pilot)
        assert app.clipboard == ""
        assert [n.severity for n in app.notices] == ["warning"]


async def test_the_step_view_wraps_long_commands_whole(make_app, lab) -> None:
    step = lab.step("routing-jason-v2")
    app = make_app(start_step=step.id)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        view = app.main_screen.query_one(StepView)
        shown = "".join(line.strip() for line in view_lines(app, view))
        for command in step.commands:
            assert command.replace(" ", "") in shown.replace(" ", "")


def test_the_docs_list_every_key_of_the_keymap() -> None:
    from pathlib import Path

    from istiotui.ui.keymap import ACTIONS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "tui.md").read_text(encoding="utf-8")
    missing = [a.id for a in ACTIONS if f"| `{a.id}` |" not in doc]
    assert not missing, f"docs/tui.md has no row for {missing}"


async def test_keys_typed_right_after_slash_go_into_the_filter(make_app) -> None:
    """A burst, as from a fast typist or a paste: `e` must not open the Environment screen."""
    from textual import events

    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        for key, char in (("slash", "/"), ("e", "e"), ("n", "n"), ("v", "v")):
            app.post_message(events.Key(key, char))  # queued together, handled one by one
        await settle(pilot)
        assert app.screen is app.main_screen
        assert app.main_screen.query_one("#filter", Input).value == "env"


async def test_keys_typed_right_after_slash_go_into_the_viewers_search(make_app) -> None:
    from textual import events

    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.push_screen(TextViewer("VirtualService x/y", YAML, "en"))
        await settle(pilot)
        viewer = app.screen
        for key, char in (("slash", "/"), ("q", "q"), ("n", "n")):
            app.post_message(events.Key(key, char))
        await settle(pilot)
        assert app.screen is viewer
        assert viewer.query_one("#viewer-search", Input).value == "qn"
