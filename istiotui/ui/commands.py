"""The command palette (`:` and ctrl+p): jump to a step, language, catch up, every registry
action; and the palette itself, whose Enter runs what was typed, however fast it was typed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import CommandInput, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.widgets import Input
from textual.worker import Worker

from istiotui.lab.words import word as t
from istiotui.ui.keymap import ACTIONS, GROUP_TITLES, SHOWN_ONLY


class LabCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        app = self.app
        lang = app.lang
        yield (f"{t('catch_up', lang)} ({app.step.id})", app.action_catch_up, "")
        yield (f"{t('language', lang)}: español", partial(app.set_language, "es"), "es")
        yield (f"{t('language', lang)}: English", partial(app.set_language, "en"), "en")
        for step in app.lab.steps():
            title = step.title.get(lang)
            yield (f"{t('jump', lang)}: {title} ({step.id})", partial(app.open_step, step.id), "")
        here = getattr(self.screen, "KEYMAP_SCREEN", None)  # the screen it was opened over
        for action in ACTIONS:
            if action.screen in SHOWN_ONLY and action.screen != here:
                continue  # keys of a screen (a viewer, the graph…) not open behind the palette
            if action.action == "command_palette":
                continue
            es, en = GROUP_TITLES[action.group]
            group = es if lang == "es" else en
            yield (
                f"{group}: {action.description(lang)}",
                partial(app.run_registry_action, action, self.screen),
                action.key_display or action.keys,
            )

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands():
            if text.startswith(t("jump", self.app.lang)):
                continue  # fifty steps would bury the rest; typing finds them
            yield DiscoveryHit(text, callback, help=help_text or None)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text or None)


class LabPalette(CommandPalette):
    """Textual's palette, but an Enter that arrives while the hits of what was typed are still
    being searched for (a burst: `:vs⏎` pasted, or typed fast over SSH) waits for them. Textual's
    would select from the list still shown, the hits of the text before (the first of them with
    nothing typed yet): the wrong command, one that may change the cluster."""

    def __init__(self) -> None:
        super().__init__(id="--command-palette")  # as Textual opens its own
        self._enter_waiting = False

    def _searching(self) -> bool:
        # The palette's only workers are its searches; a new one cancels the one before.
        return any(w.node is self and not w.is_finished for w in self.app.workers)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self._searching():
            event.prevent_default()  # Textual's handler, which would pick from the old list
            event.stop()
            self._enter_waiting = True

    async def on_worker_state_changed(self, _: Worker.StateChanged) -> None:
        if not self.is_current:  # closed meanwhile (Esc): the search was cancelled
            self._enter_waiting = False
        if self._enter_waiting and not self._searching():
            self._enter_waiting = False
            await self.query_one(CommandInput).action_submit()  # with the hits of what was typed
