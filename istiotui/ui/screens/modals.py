"""Small modal screens: confirm an apply or a quit, choose a container (the viewer of YAML and
logs is `viewer.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from istiotui.lab.model import Lang
from istiotui.lab.words import word as t


class ConfirmApply(ModalScreen[bool]):
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape,n", "answer(False)", "No"),
        Binding("y", "answer(True)", "Yes"),
    ]

    def __init__(self, step_id: str, summary: str, lang: Lang) -> None:
        super().__init__()
        self.step_id, self.summary, self.lang = step_id, summary, lang

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(t("confirm_apply", self.lang, step=self.step_id), id="question")
            yield Static(self.summary, id="confirm-summary")
            with Horizontal(id="buttons"):
                yield Button(t("yes", self.lang), variant="primary", id="yes")
                yield Button(t("no", self.lang), id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ConfirmQuit(ModalScreen[bool]):
    """Asked when quitting would stop work half-way; `q` or Ctrl+C again quits."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape,n", "answer(False)", "No"),
        Binding("y,q", "answer(True)", "Yes"),
        Binding("ctrl+c", "answer(True)", "Yes", priority=True),
    ]

    def __init__(self, work: str, lang: Lang) -> None:
        super().__init__()
        self.work, self.lang = work, lang

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(t("confirm_quit", self.lang, work=self.work), id="question")
            with Horizontal(id="buttons"):
                yield Button(t("quit_yes", self.lang), variant="error", id="yes")
                yield Button(t("no", self.lang), id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ChooseContainer(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[Binding]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, pod: str, containers: Sequence[str], lang: Lang) -> None:
        super().__init__()
        self.pod, self.containers, self.lang = pod, list(containers), lang

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"{t('container', self.lang)} · {self.pod}")
            yield OptionList(*[Option(c, id=c) for c in self.containers])

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        # The application's container first: istio-proxy is rarely what a learner wants.
        preferred = next((c for c in self.containers if c != "istio-proxy"), None)
        options.highlighted = self.containers.index(preferred) if preferred else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
