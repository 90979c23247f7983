"""The lab walked verbatim on a fresh local cluster: every command of the course, in its order.

`seed_walk.yaml` lists the commands (each with the line of the lab where it stands) and what the
lab says they print. Each runs through bash with kubectl (1.32, the machine's) pointed at the
cluster, from a folder laid out as the Istio release the lab works in (`samples/…`). Exported
variables carry from one command to the next, as in the learner's shell; port-forwards stay open
in the background. The lab's local ports (8080, 9080, 9000) are used as written when free; on a
machine where something else holds one, the walk takes another and rewrites the commands that
name it (said in the test's output).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed here"),
]

HERE = Path(__file__).parent
REPO = HERE.parent.parent
WALK = yaml.safe_load((HERE / "seed_walk.yaml").read_text(encoding="utf-8"))
LAB_PORTS = (8080, 9080, 9000)
UNTIL_SECONDS = 90  # how long a learner keeps looking again before calling it broken


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _any_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Walk:
    env: dict[str, str]
    exports: Path
    ports: dict[int, int]
    background: dict[str, subprocess.Popen[str]] = field(default_factory=dict)

    def text(self, command: str, fill: dict[str, str] | None) -> str:
        for placeholder, value in (fill or {}).items():
            command = command.replace(placeholder, value)
        for lab, here in self.ports.items():
            if lab != here:  # only this machine's end: the URLs on it and port-forward's LOCAL
                command = re.sub(rf"\b(127\.0\.0\.1|localhost):{lab}\b", rf"\g<1>:{here}", command)
                command = re.sub(rf"(?<=\s){lab}:(80|9080)\b", rf"{here}:\1", command)
        return command

    def run(self, command: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        # The learner's shell: what earlier commands exported, then this command, then keep
        # what it exported for the next one.
        script = f"source {self.exports}\n{command}\nrc=$?\nexport -p > {self.exports}\nexit $rc\n"
        return subprocess.run(
            ["bash", "-c", script],
            cwd=REPO / "scenarios" / "manifests",
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, command: str) -> None:
        if command in self.background and self.background[command].poll() is None:
            return  # still open from an earlier step, as the lab advises
        proc = subprocess.Popen(
            ["bash", "-c", f"source {self.exports}\nexec {command}"],
            cwd=REPO / "scenarios" / "manifests",
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("Forwarding from 127.0.0.1:"), first + proc.stdout.read()
        self.background[command] = proc

    def follow(self, command: str, pattern: str) -> str:
        """A command that never ends (`logs -f`): read until a line matches, then stop it."""
        proc = subprocess.Popen(
            ["bash", "-c", f"source {self.exports}\nexec {command}"],
            cwd=REPO / "scenarios" / "manifests",
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        seen = []
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                seen.append(line)
                if re.search(pattern, line):
                    return "".join(seen)
        finally:
            proc.terminate()
            proc.wait(10)
        raise AssertionError(f"{command} ended before a line matched {pattern}:\n{''.join(seen)}")

    def close(self) -> None:
        for proc in self.background.values():
            proc.terminate()
            proc.wait(10)


@pytest.fixture(scope="module")
def walk(start_local_cluster, tmp_path_factory) -> Iterator[Walk]:
    cluster = start_local_cluster("seed-walk")
    home = tmp_path_factory.mktemp("learner")
    editor = home / "edit-to-clusterip"
    editor.write_text("#!/bin/sh\nsed -i 's/type: LoadBalancer/type: ClusterIP/' \"$1\"\n")
    editor.chmod(0o755)
    exports = home / "exports.sh"
    exports.write_text("")
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "KUBECONFIG": str(cluster.kubeconfig),
        "KUBE_EDITOR": str(editor),  # the learner's edit, made by a script
    }
    ports = {p: p if _free(p) else _any_port() for p in LAB_PORTS}
    moved = {lab: here for lab, here in ports.items() if lab != here}
    if moved:
        print(f"lab ports in use here, taken elsewhere: {moved}")
    state = Walk(env, exports, ports)
    try:
        yield state
    finally:
        state.close()
        cluster.stop()


def _id(step: dict[str, Any]) -> str:
    kind = "extra" if step.get("extra") else "skip" if step.get("skip") else "cmd"
    return f"line{step['line']}-{kind}"


def _check(step: dict[str, Any], out: str) -> None:
    for pattern in step.get("expect") or []:
        assert re.search(pattern, out, re.M), f"expected /{pattern}/ in:\n{out[-3000:]}"
    for pattern in step.get("absent") or []:
        assert not re.search(pattern, out, re.M), f"did not expect /{pattern}/ in:\n{out[-3000:]}"


def _lines(spec: dict[str, Any], out: str) -> set[str]:
    keep = spec.get("keep")
    lines = [ln for ln in out.splitlines() if ln.strip() and (not keep or re.search(keep, ln))]
    assert len(lines) == spec["count"], out
    only = [re.compile(p) for p in spec["only"]]
    for ln in lines:
        assert any(p.fullmatch(ln.strip()) for p in only), f"unexpected line {ln!r} in:\n{out}"
    return {next(p.pattern for p in only if p.fullmatch(ln.strip())) for ln in lines}


@pytest.mark.parametrize("step", WALK, ids=[_id(s) for s in WALK])
def test_seed_command(walk: Walk, step: dict[str, Any]) -> None:
    if step.get("skip"):
        pytest.skip(f"lab line {step['line']}: {step['skip']}")
    command = walk.text(step.get("local") or step["run"], step.get("fill"))
    if step.get("background"):
        walk.start(command)
        return
    if step.get("follow"):
        walk.follow(command, step["follow"])
        return
    deadline = time.monotonic() + UNTIL_SECONDS
    runs = 0
    seen: set[str] = set()
    while True:
        runs += 1
        proc = walk.run(command)
        out = proc.stdout + proc.stderr
        wanted = step.get("rc", 0)
        rc_ok = proc.returncode in (wanted if isinstance(wanted, list) else [wanted])
        if "until" in step:
            if rc_ok and re.search(step["until"], out, re.M):
                return
            assert time.monotonic() < deadline, f"never matched /{step['until']}/:\n{out[-3000:]}"
            time.sleep(0.5)
            continue
        assert rc_ok, f"exit {proc.returncode} (wanted {wanted}):\n{out[-3000:]}"
        _check(step, out)
        spec = step.get("lines")
        if spec is None:
            return
        seen |= _lines(spec, proc.stdout)
        if len(seen) == len(spec["only"]) or runs >= spec.get("all_seen_within", 1):
            assert len(seen) == len(spec["only"]), f"only {seen} in {runs} runs"
            return
