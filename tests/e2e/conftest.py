"""One embedded local cluster for the whole session, walked through the lab in order.

The cluster runs as `istiotui local up` would run it — its own process, real Envoy, real
workloads — on free ports and a temporary state dir, so it never meets a learner's cluster.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from istiotui.lab import model as m
from istiotui.lab.executor import Executor
from istiotui.lab.loader import load_lab
from istiotui.lab.session import Session
from istiotui.lab.verify import StepReport, verify_step
from istiotui.lab.walk import catch_up


@dataclass
class LabRun:
    lab: m.Lab
    session: Session
    state: Path
    env: dict[str, str]  # what a command must see to attach to this cluster
    envoy_admin: str | None = None  # the local Envoy's admin URL
    done: set[str] = field(default_factory=set)
    lines: list[str] = field(default_factory=list)

    @property
    def executor(self) -> Executor:
        return Executor(self.session.objects, self.session.cluster, self.lines.append)

    def reach(self, step_id: str) -> m.Step:
        """Carry out every earlier step not yet done, then this one's actions."""
        for earlier in catch_up(self.lab, step_id, self.session.cluster):
            if earlier.id not in self.done:
                self.executor.run(earlier.actions)
                self.done.add(earlier.id)
        step = self.lab.step(step_id)
        if step_id not in self.done:
            self.executor.run(step.actions)
            self.done.add(step_id)
        return step

    def verify(self, step_id: str) -> StepReport:
        step = self.reach(step_id)
        session = self.session
        return asyncio.run(
            verify_step(step, session.vantages, session.count_log_lines, proxies=session)
        )


def assert_passed(report: StepReport) -> None:
    failed = [j.verdict.detail for j in report.judged if not j.verdict.passed]
    assert report.judged, f"{report.step.id} judged nothing"
    assert not failed, f"{report.step.id}: " + " | ".join(failed)


WALK_FIRST = "test_lab_on_local_cluster.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The lab's walk checks each step's state as the install leaves it, so it runs first on the
    shared cluster whatever order the modules were named or collected in; the other users of
    `lab_run` (the explain walk) bring the cluster to their step from wherever it is."""
    # Hooks here see the whole session's items: reorder only the slots `lab_run`'s users hold.
    slots = [i for i, item in enumerate(items) if "lab_run" in item.fixturenames]
    users = sorted((items[i] for i in slots), key=lambda item: item.path.name != WALK_FIRST)
    for i, item in zip(slots, users, strict=True):
        items[i] = item


@pytest.fixture(scope="session")
def lab_run(start_local_cluster) -> Iterator[LabRun]:
    cluster = start_local_cluster("e2e-lab")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in cluster.env.items():
            mp.setenv(key, value)
        from istiotui.cli.session import open_session

        session = open_session(argparse.Namespace(local=True, context=None, kubeconfig=None))
    try:
        yield LabRun(load_lab(), session, cluster.state, cluster.env, cluster.envoy_admin)
    finally:
        session.close()
