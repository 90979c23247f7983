"""Vagrant actions run for real (halt and provision of not-created machines), streamed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from vms_helpers import NO_PROVIDER_ENV, no_builtin_provider

from istiotui.vms import (
    ActionFinished,
    OutputLine,
    ProgressChanged,
    SettingsError,
    VagrantAction,
    VagrantLab,
)


def _collect(run) -> tuple[list[OutputLine], list[ProgressChanged], ActionFinished]:
    lines, progress, finished = [], [], []
    for event in run.events():
        {OutputLine: lines, ProgressChanged: progress, ActionFinished: finished}[
            type(event)
        ].append(event)
    assert len(finished) == 1
    return lines, progress, finished[0]


def test_halt_streams_each_machines_lines_and_reaches_full_progress(
    provider_usable: str, lab_dir: Path
) -> None:
    with VagrantLab(lab_dir).start(VagrantAction.HALT) as run:
        lines, progress, finished = _collect(run)
    assert finished.ok and finished.returncode == 0 and finished.error is None
    assert {line.machine for line in lines} == {"master", "worker1", "worker2"}
    assert all(line.text.startswith(f"==> {line.machine}: ") for line in lines)
    # Progress only grows, and every machine ends finished.
    overall = [p.progress.fraction for p in progress]
    assert overall == sorted(overall) and overall[0] < 1.0
    assert finished.progress.fraction == 1.0
    assert all(m.finished and m.phase == "done" for m in finished.progress.machines)


def test_provisioning_one_machine_tracks_only_that_machine(
    provider_usable: str, lab_dir: Path
) -> None:
    with VagrantLab(lab_dir).start(VagrantAction.PROVISION, "worker2") as run:
        assert run.argv[-2:] == ["--machine-readable", "worker2"]
        lines, _, finished = _collect(run)
    assert finished.ok
    assert [m.name for m in finished.progress.machines] == ["worker2"]
    assert {line.machine for line in lines} == {"worker2"}


def test_a_failing_action_finishes_with_vagrants_error(vagrant_exe: str, lab_dir: Path) -> None:
    no_builtin_provider()
    # halt, not up: harmless wherever this runs.
    with VagrantLab(lab_dir, env=NO_PROVIDER_ENV).start(VagrantAction.HALT) as run:
        lines, _, finished = _collect(run)
    assert not finished.ok and finished.returncode != 0 and not finished.cancelled
    assert finished.error is not None
    assert finished.error.startswith("No usable default provider could be found")
    assert any(line.level == "error" for line in lines)
    assert finished.progress.fraction == 0.0


def test_an_unknown_machine_is_refused_before_vagrant_starts(lab_dir: Path) -> None:
    with pytest.raises(SettingsError, match="no machine named 'worker3'"):
        VagrantLab(lab_dir).start(VagrantAction.HALT, "worker3")


def test_cancel_stops_vagrant_and_its_whole_process_group(vagrant_exe: str, lab_dir: Path) -> None:
    run = VagrantLab(lab_dir).start(VagrantAction.HALT)
    with run:
        run.cancel(interrupt_grace=10.0)
        *_, finished = _collect(run)
    assert finished.cancelled and not finished.ok
    with pytest.raises(ProcessLookupError):
        os.killpg(run.pid, 0)
