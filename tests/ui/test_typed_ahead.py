"""Keys typed in a burst (a paste, a fast typist over SSH) right after the key that opens a field,
and before the first frame: each lands where a slow typist's would, in order, Enter included.

The keys are posted to the app all at once, as the terminal driver posts the keys of one read;
`pilot.press` waits for the app to be idle after each key, which hides the bug.
"""

from __future__ import annotations

from textual import events
from textual.command import CommandInput, CommandPalette
from textual.widgets import Input
from ui_data import SMALL, settle

from istiotui.ui.widgets.deferred import AfterFirstFrame

CHARACTERS = {"colon": ":", "slash": "/", "enter": "\r", "escape": "\x1b"}


def burst(app, *keys: str) -> None:
    """Keys queued together, as one read of the terminal gives them."""
    for key in keys:
        app.post_message(events.Key(key, CHARACTERS.get(key, key if len(key) == 1 else None)))


def not_drawn_yet(app) -> bool:
    return not all(place.filled for place in app.main_screen.query(AfterFirstFrame))


async def test_enter_in_a_burst_after_colon_runs_what_was_typed(make_app) -> None:
    """Not the first hit of the empty prompt (Catch up, which changes the cluster)."""
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        burst(app, "colon", *"cbfortioc3", "enter")
        await settle(pilot)
        assert app.screen is app.main_screen
        assert app.step.id == "cb-fortio-c3"
        assert not app.notices, app.notices


async def test_a_burst_after_colon_lands_in_the_prompt_in_order(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        burst(app, "colon", *"proxies", "backspace", "s")
        await settle(pilot)
        assert CommandPalette.is_open(app)
        assert app.screen.query_one(CommandInput).value == "proxies"
        assert app.focused is app.screen.query_one(CommandInput)


async def test_a_burst_from_a_widget_next_to_the_app_is_not_dropped(make_app) -> None:
    """With the focus on nothing, the keys go to the screen, one step from the app: they reach
    the app right behind `:`, and the prompt must have the focus by then (an unfocused palette
    drops them)."""
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.main_screen.set_focus(None)
        burst(app, "colon", *"proxies")
        await settle(pilot)
        assert CommandPalette.is_open(app)
        assert app.screen.query_one(CommandInput).value == "proxies"


async def test_colon_typed_before_the_first_frame(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        assert not_drawn_yet(app)  # else this test checks nothing
        burst(app, "colon", *"cbfortioc3", "enter")
        await settle(pilot)
        assert app.step.id == "cb-fortio-c3"
        assert not app.notices, app.notices


async def test_slash_typed_before_the_panels_are_mounted_opens_the_filter(make_app) -> None:
    """`e` must not open the Environment screen: `/` mounts the panels at once and the keys
    after it go into the filter."""
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        assert not_drawn_yet(app)
        burst(app, "slash", *"env")
        await settle(pilot)
        assert app.screen is app.main_screen
        field = app.main_screen.query_one("#filter", Input)
        assert field.value == "env"
        assert app.focused is field
        assert app.filter_text == "env"


async def test_a_paste_that_starts_with_colon_runs_its_first_line(make_app) -> None:
    """A terminal sends a paste as one event (bracketed paste), which the main screen's widgets
    do not take: `:…⏎` is typed into the palette, and what follows the line break is not typed
    (`a` would apply the step: here, a notice that a cluster is needed)."""
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.post_message(events.Paste(":cbfortioc3\r\nac"))
        await settle(pilot)
        assert app.screen is app.main_screen
        assert app.step.id == "cb-fortio-c3"
        assert not app.notices, app.notices


async def test_a_paste_that_starts_with_slash_fills_the_filter(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.post_message(events.Paste("/web-"))
        await settle(pilot)
        assert app.main_screen.query_one("#filter", Input).value == "web-"


async def test_any_other_paste_on_the_main_screen_is_not_typed(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        step = app.step.id
        app.post_message(events.Paste("ace"))  # apply, clean up, the VMs
        await settle(pilot)
        assert app.screen is app.main_screen
        assert app.step.id == step
        assert not app.notices, app.notices
