"""A step's commands at 80 columns: a wrapped line hangs under its command's text, never reads as
a command of its own, and `Y` copies the lab's commands exactly (no prompts, no breaks)."""

from __future__ import annotations

from test_habits import view_lines
from ui_data import SMALL, settle

from istiotui.ui.widgets.command_lines import pieces, transcript, wrapped
from istiotui.ui.widgets.step_view import StepView


async def command_rows(pilot) -> list[str]:
    """The step view's lines from the first command's `$` on (scrolled to the commands, as the
    learner would), cut at the prompt's column."""
    app = pilot.app
    view = app.main_screen.query_one(StepView)
    view.scroll_to_widget(view.query("MarkdownFence").first(), animate=False, top=True)
    await settle(pilot)
    lines = view_lines(app, view)
    first = next((n for n, line in enumerate(lines) if "$ " in line), None)
    assert first is not None, "no line of the step view starts a command with `$ `"
    column = lines[first].index("$ ")
    return [line[column:].rstrip() for line in lines[first:]]


def read_back(rows: list[str]) -> list[str]:
    """Commands as someone retyping them reads the screen: `$ ` starts one, `> ` adds a line of
    it, a line under the text continues the line above (its break was a space)."""
    commands: list[str] = []
    for row in rows:
        if row.startswith("$ "):
            commands.append(row[2:])
        elif row.startswith("> "):
            commands[-1] += "\n" + row[2:]
        elif row.startswith("  ") and row.strip() and commands:
            commands[-1] += " " + row[2:]
        else:
            break  # the end of the block
    return commands


async def test_a_wrapped_command_hangs_under_its_text_and_copies_whole(make_app, lab) -> None:
    step = lab.step("cb-fortio-c3")
    (command,) = step.commands
    assert len(command) > 80
    app = make_app(start_step=step.id)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        rows = await command_rows(pilot)
        assert rows[0].startswith("$ kubectl exec")
        assert rows[1].startswith("  ") and rows[1][2] != " "  # a continuation, not a command
        assert read_back(rows) == [command]
        await pilot.press("Y")
        await settle(pilot)
        assert app.clipboard == command + "\n"

        await pilot.resize_terminal(110, 30)  # wider: wrapped again, fewer lines
        await settle(pilot)
        wider = await command_rows(pilot)
        assert read_back(wider) == [command]
        assert wider.index("") < rows.index("")


async def test_a_heredoc_keeps_its_lines_apart_from_wrapping(make_app, lab) -> None:
    step = lab.step("mirror-deploy-versions")
    app = make_app(start_step=step.id)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        rows = await command_rows(pilot)
        assert rows[1].startswith("> apiVersion")  # the heredoc's own lines: the shell's `> `
        await pilot.press("Y")
        await settle(pilot)
        assert app.clipboard == "\n".join(step.commands) + "\n"
        assert "$ " not in app.clipboard and "\n> " not in app.clipboard


def test_wrapping_breaks_at_spaces_and_cuts_only_words_longer_than_the_line() -> None:
    assert pieces("kubectl apply -f x.yaml", 13) == [(0, 13), (14, 23)]
    path = "samples/bookinfo/networking/virtual-service-all-v1.yaml"
    assert [path[a:b] for a, b in pieces(path, 40)] == [  # a path parts after a `/`
        "samples/bookinfo/networking/",
        "virtual-service-all-v1.yaml",
    ]
    assert [path[a:b] for a, b in pieces(path, 6)][:3] == ["sample", "s/book", "info/"]
    code = "\n".join(transcript(["echo one two three", "cat <<EOF\nline\nEOF"]))
    shown = [line.plain for line in wrapped(code, 12)]
    assert shown == ["$ echo one", "  two three", "$ cat <<EOF", "> line", "> EOF"]
