"""Tab completion as the shells run it: bash sources `istiotui completion bash` and calls its
function with the line typed; zsh's side of argcomplete's protocol is driven through the same
environment its script sets, and real zsh must register the function. Step ids come from the
lab, contexts from the kubeconfig (which names a server that would refuse: none is asked)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from istiotui.lab.cache import FILE_NAME
from istiotui.lab.loader import load_lab

BIN = str(Path(sys.executable).parent)  # where the venv put the `istiotui` script
KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts:
- {name: lab-master, context: {cluster: c, user: u}}
- {name: kind-istio, context: {cluster: c, user: u}}
current-context: lab-master
"""
BASH_DRIVER = """\
eval "$(istiotui completion bash)"
line="$1"
COMP_LINE="$line"; COMP_POINT=${#line}
read -ra COMP_WORDS <<< "$line"
[[ "$line" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
_python_argcomplete istiotui
printf '%s\\n' "${COMPREPLY[@]}"
"""


@pytest.fixture
def env(isolated_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    return {**isolated_env, "PATH": f"{BIN}:{isolated_env['PATH']}", "KUBECONFIG": str(kubeconfig)}


def bash_complete(env: dict[str, str], line: str) -> list[str]:
    done = subprocess.run(
        ["bash", "-c", BASH_DRIVER, "driver", line],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [word.strip() for word in done.stdout.splitlines() if word.strip()]


def test_bash_completes_subcommands_and_global_flags(env: dict[str, str]) -> None:
    words = bash_complete(env, "istiotui ")
    for expected in ("lab", "local", "verify", "probe", "analyze", "doctor", "completion"):
        assert expected in words
    assert {"--local", "--context", "--lang", "--step", "--log-level"} <= set(words)


def test_bash_completes_a_commands_flags_and_choices(env: dict[str, str]) -> None:
    assert {"--all", "--junit", "--output", "--context", "--verbose"} <= set(
        bash_complete(env, "istiotui verify --")
    )
    assert bash_complete(env, "istiotui lab list -o ") == ["text", "json", "yaml"]
    assert [w for w in bash_complete(env, "istiotui lab ") if not w.startswith("-")] == [
        "list",
        "show",
    ]


def test_bash_completes_step_ids(env: dict[str, str]) -> None:
    lab = load_lab()
    routing = [i for i in lab.step_ids() if i.startswith("routing-")]
    assert bash_complete(env, "istiotui lab show routing-") == routing
    assert bash_complete(env, "istiotui verify --local shift-50") == ["shift-50-v3"]
    assert bash_complete(env, "istiotui --step fault-ab") == ["fault-abort-jason"]
    # Read from the copy the app keeps (a Tab must not load and check the lab each time).
    assert (Path(env["ISTIOTUI_STATE_DIR"]) / "cache" / FILE_NAME).is_file()


def test_bash_completes_contexts_from_the_kubeconfig(env: dict[str, str], tmp_path: Path) -> None:
    assert bash_complete(env, "istiotui verify --context ") == ["lab-master", "kind-istio"]
    assert bash_complete(env, "istiotui --context kind") == ["kind-istio"]
    other = tmp_path / "other"
    other.write_text(KUBECONFIG.replace("lab-master", "vm-cluster"))
    line = f"istiotui analyze --kubeconfig {other} --context "
    assert bash_complete(env, line) == ["vm-cluster", "kind-istio"]


def _zsh_protocol(env: dict[str, str], line: str) -> list[str]:
    """What argcomplete answers the zsh script: `value:description`, separated by \\v."""
    out = Path(env["HOME"]) / "completions"
    out.parent.mkdir(parents=True, exist_ok=True)
    zsh_env = {
        **env,
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_SHELL": "zsh",
        "_ARGCOMPLETE_SUPPRESS_SPACE": "1",
        "_ARGCOMPLETE_STDOUT_FILENAME": str(out),
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
    }
    subprocess.run(["istiotui"], env=zsh_env, timeout=60, check=True, capture_output=True)
    return out.read_text().split("\v")


def test_zsh_gets_step_ids_with_their_titles(env: dict[str, str]) -> None:
    lab = load_lab()
    got = _zsh_protocol({**env, "LANG": "en_US.UTF-8"}, "istiotui lab show routing-a")
    assert got == [f"routing-all-v1:{lab.step('routing-all-v1').title.en}"]
    contexts = _zsh_protocol(env, "istiotui --context ")
    assert [c.split(":")[0] for c in contexts] == ["lab-master", "kind-istio"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_registers_the_completion_function(env: dict[str, str]) -> None:
    script = 'autoload -U compinit && compinit -u && eval "$(istiotui completion zsh)" && '
    script += "print -r -- ${_comps[istiotui]}"
    done = subprocess.run(
        ["zsh", "-f", "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "_python_argcomplete", done.stderr
