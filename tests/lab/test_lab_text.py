"""Text layout for 80 columns: Markdown re-flow and shell commands folded without changing them."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from istiotui.cli.lab import wrap_command, wrap_markdown
from istiotui.lab.i18n import choose_lang, lang_from_env

LONG = (
    "printf '%s|' kubectl exec \"$POD\" -c fortio -- /usr/bin/fortio load -c 2 -qps 0 "
    "-n 20 -loglevel Warning 'a b   c' \"d 'e' f\" http://httpbin:8000/get; echo done"
)


def test_command_folded_within_width() -> None:
    lines = wrap_command(LONG, 40, "  $ ", "      ")
    assert len(lines) > 2
    assert all(len(line) <= 40 for line in lines)
    assert all(line.endswith(" \\") for line in lines[:-1])
    assert "'a b   c'" in "\n".join(lines)  # never broken inside quotes


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_folded_command_means_the_same_to_bash() -> None:
    folded = "\n".join(
        line[4:] if i == 0 else line
        for i, line in enumerate(wrap_command(LONG, 40, "  $ ", "      "))
    )
    env = {"POD": "fortio-1", "PATH": "/usr/bin:/bin"}
    once = subprocess.run(["bash", "-c", LONG], capture_output=True, text=True, env=env)
    again = subprocess.run(["bash", "-c", folded], capture_output=True, text=True, env=env)
    assert once.returncode == again.returncode == 0
    assert again.stdout == once.stdout
    assert "a b   c|d 'e' f|" in once.stdout


def test_short_and_multiline_commands_as_written() -> None:
    assert wrap_command("kubectl get pods", 80, "  $ ", "    ") == ["  $ kubectl get pods"]
    heredoc = "kubectl apply -f - <<EOF\nkind: X\nEOF\n"
    assert wrap_command(heredoc, 80, "  $ ", "      ") == [
        "  $ kubectl apply -f - <<EOF",
        "    kind: X",
        "    EOF",
    ]


def test_markdown_reflow() -> None:
    text = (
        "A first paragraph that is long enough to need wrapping when the width is small.\n"
        "It continues here.\n\n"
        "- an item that is also rather long and wraps\n"
        "  with a continuation line\n"
        "  - a nested item\n\n"
        "```\n"
        "kubectl get pods    -n x\n"
        "```\n"
    )
    assert wrap_markdown(text, 30) == [
        "A first paragraph that is long",
        "enough to need wrapping when",
        "the width is small. It",
        "continues here.",
        "",
        "- an item that is also rather",
        "  long and wraps with a",
        "  continuation line",
        "  - a nested item",
        "",
        "```",
        "kubectl get pods    -n x",
        "```",
    ]


@pytest.mark.parametrize(
    ("env", "lang"),
    [
        ({"LANG": "es_MX.UTF-8"}, "es"),
        ({"LANG": "es"}, "es"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({}, "en"),
        ({"LC_ALL": "ES_es"}, "es"),
        ({"LC_MESSAGES": "es_ES", "LANG": "de_DE"}, "es"),
        ({"LC_ALL": "de_DE", "LC_MESSAGES": "es_ES"}, "en"),
    ],
)
def test_lang_from_env(env: dict[str, str], lang: str) -> None:
    assert lang_from_env(env) == lang


def test_choose_lang() -> None:
    assert choose_lang("es", {"LANG": "en_US"}) == "es"
    assert choose_lang(None, {"LANG": "es_ES"}) == "es"
    with pytest.raises(ValueError, match="es or en"):
        choose_lang("fr")
