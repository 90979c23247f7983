"""Each row of the exit-code table (cli/exit_codes.py, docs/cli-output.md), produced by a real
command run as a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.conftest import Istiotui
from istiotui.cli import exit_codes

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli-output.md"
BROKEN_LAB = Path(__file__).resolve().parents[1] / "lab" / "broken" / "bad-yaml" / "scenarios"
VS_WITHOUT_DR = """\
apiVersion: v1
kind: Service
metadata: {name: reviews}
spec: {selector: {app: reviews}, ports: [{port: 9080, name: http}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec: {hosts: [reviews], http: [{route: [{destination: {host: reviews, subset: v1}}]}]}
"""


def test_the_docs_hold_the_table_the_code_defines() -> None:
    assert exit_codes.markdown() in DOC.read_text(encoding="utf-8")


def test_every_name_is_one_number() -> None:
    numbers = [row.code for row in exit_codes.TABLE]
    assert len(numbers) == len(set(numbers))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed when the with ends: nothing answers there


@pytest.fixture
def silent_server() -> Iterator[socket.socket]:
    """Accepts connections and never answers: a request to it waits until it is ended."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s


def test_ok(istiotui: Istiotui) -> None:
    assert istiotui("lab", "list").returncode == exit_codes.OK


def test_failed_probe_without_answers(istiotui: Istiotui) -> None:
    done = istiotui("probe", f"http://127.0.0.1:{_closed_port()}/", "-n", "2")
    assert done.returncode == exit_codes.FAILED, done.stderr
    assert "No answer : 2" in done.stdout


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["probe", "http://127.0.0.1:1/", "-H", "no-colon"], "is not NAME:VALUE"),
        (["probe", "http://127.0.0.1:1/", "-n", "0"], "istiotui probe:"),
        (["probe", "--bogus", "http://x/"], "unrecognized arguments: --bogus"),
        (["lab", "show", "routing-al-v1"], "did you mean: routing-all-v1"),
        (["verify", "--local"], "name steps or give --all"),
        (["verify", "--local", "nope"], "unknown steps: nope"),
        (["--step", "nope"], "unknown step 'nope'"),
        (["lab", "list", "-o", "xml"], "invalid choice: 'xml'"),
        (["analyze", "--suppress", "not a rule", "x.yaml"], "istiotui analyze:"),
    ],
)
def test_usage(istiotui: Istiotui, argv: list[str], said: str) -> None:
    done = istiotui(*argv)
    assert done.returncode == exit_codes.USAGE, (done.stdout, done.stderr)
    assert said in done.stderr
    assert "Traceback" not in done.stderr


def test_usage_for_a_bad_setting(istiotui: Istiotui) -> None:
    done = istiotui("lab", "list", env={"ISTIOTUI_LOG_LEVEL": "loud"})
    assert done.returncode == exit_codes.USAGE
    assert "ISTIOTUI_LOG_LEVEL='loud'" in done.stderr


def test_not_running(istiotui: Istiotui) -> None:
    done = istiotui("local", "status")
    assert done.returncode == exit_codes.NOT_RUNNING and "not running" in done.stdout


@pytest.mark.parametrize(
    "argv",
    [["lab", "list"], ["lab", "show", "x"], ["verify", "--local", "x"], [], ["--local"]],
    ids=["lab-list", "lab-show", "verify", "tui", "tui-local"],
)
def test_lab_invalid_is_the_same_for_lab_verify_and_the_app(
    istiotui: Istiotui, isolated_env: dict[str, str], argv: list[str]
) -> None:
    done = istiotui(*argv, env={"ISTIOTUI_SCENARIOS": str(BROKEN_LAB)})
    assert done.returncode == exit_codes.LAB_INVALID, done.stderr
    assert "scenarios/01-basics.yaml:8: invalid YAML" in done.stderr
    assert "Traceback" not in done.stderr
    assert not Path(isolated_env["ISTIOTUI_STATE_DIR"], "local").exists()  # nothing started


@pytest.fixture
def dead_kubeconfig(tmp_path: Path) -> Path:
    path = tmp_path / "dead.kubeconfig"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: dead\n"
        f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{_closed_port()}'}}}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: dead, context: {cluster: c, user: u}}]\n"
    )
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["verify", "routing-all-v1"],
        ["analyze"],
        ["probe", "http://productpage:9080/", "--from", "bookinfo/x"],
        ["graph"],
        ["explain", "http://reviews:9080/"],
        ["proxy-status"],
        ["dashboard", "kiali"],
    ],
    ids=["verify", "analyze", "probe", "graph", "explain", "proxy-status", "dashboard"],
)
def test_unreachable(istiotui: Istiotui, dead_kubeconfig: Path, argv: list[str]) -> None:
    done = istiotui(*argv, "--kubeconfig", str(dead_kubeconfig))
    assert done.returncode == exit_codes.UNREACHABLE, done.stderr
    assert "did not answer" in done.stderr and "Traceback" not in done.stderr


def test_analyze_found(istiotui: Istiotui, tmp_path: Path) -> None:
    path = tmp_path / "objects.yaml"
    path.write_text(VS_WITHOUT_DR)
    done = istiotui("analyze", str(path))
    assert done.returncode == exit_codes.ANALYZE_FOUND
    assert "IT0101" in done.stdout


def test_pipe_closed(isolated_env: dict[str, str]) -> None:
    """The reader is gone before the first line: `istiotui lab list | true`, deterministically."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "istiotui", "lab", "list"],
            env=isolated_env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == exit_codes.PIPE_CLOSED, done.stderr
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("sig", "code"),
    [(signal.SIGINT, exit_codes.INTERRUPTED), (signal.SIGTERM, -signal.SIGTERM)],
    ids=["ctrl-c", "sigterm"],
)
def test_interrupted_and_signalled(
    isolated_env: dict[str, str], silent_server: socket.socket, sig: int, code: int
) -> None:
    port = silent_server.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "istiotui", "probe", f"http://127.0.0.1:{port}/", "-n", "1"],
        env=isolated_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        silent_server.settimeout(60)
        conn, _ = silent_server.accept()  # the request is in flight: the probe is waiting
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        conn.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # SIGTERM's default action ends the process: the shell reports 128 + 15 = 143.
    assert proc.returncode == code, err
    assert "Traceback" not in err
