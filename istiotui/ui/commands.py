"""The command palette (ctrl+p): jump to a step, language, catch up, every registry action."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

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
