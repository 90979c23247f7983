"""istioctl, run by a step on a real cluster, ends with whoever runs it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from istiotui import process_group
from istiotui.cluster.kind import ClusterKind
from istiotui.lab import model as m
from istiotui.lab.executor import Executor


def test_an_interrupted_istioctl_is_stopped_with_its_children(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in istioctl (the real one needs a cluster) that starts a child, as an install's
    # helpers would, says its pid (its group's: istioctl leads a session of its own) and runs on.
    fake = tmp_path / "istioctl"
    fake.write_text('#!/bin/sh\nsleep 300 &\necho "group $$"\nwait\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    groups: list[int] = []

    def progress(line: str) -> None:
        groups.append(int(line.split()[1]))
        raise KeyboardInterrupt  # Ctrl-C while istioctl works

    executor = Executor(None, ClusterKind.REAL, progress)  # type: ignore[arg-type]  # istioctl only
    action = m.Istioctl(("install", "-y"), (), m.Source("lab.yaml", 3))
    with pytest.raises(KeyboardInterrupt):
        executor.istioctl(action, "istio-install-minimal")
    assert len(groups) == 1
    left = process_group.group_alive(groups[0])
    if left:
        process_group.stop_group(groups[0], grace=1.0)  # not to leave it to the next test
    assert not left
