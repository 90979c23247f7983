"""What the workers tell the app: facts, named for what happened, never changed once posted.

Workers run in threads or tasks and never touch widgets; they post one of these and the app
updates its model and views on its own loop. Tests post the same messages with fixed data, so
the snapshots exercise the real wiring without a cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

from istiotui.cluster.kind import ClusterKind  # an enum alone: no client behind it

if TYPE_CHECKING:
    # Only named in annotations: the kubernetes client, the probe engine and the VM layer load
    # when a worker first needs them, after the first frame.
    from istiotui.cluster.watch import WatchEvent
    from istiotui.lab.session import Note
    from istiotui.lab.tunnels import Tunnel
    from istiotui.lab.verify import Judged
    from istiotui.mesh.analysis import Finding
    from istiotui.mesh.diff import ObjectDiff
    from istiotui.traffic.stats import Response
    from istiotui.vms import (
        ActionFinished,
        ActionProgress,
        MachineState,
        OutputLine,
        SshDetails,
    )


@dataclass
class ClusterConnected(Message):
    """What connected; the backend itself stays with the app (the connect worker hands it over)."""

    context: str
    cluster: ClusterKind
    server: str
    version: str  # Kubernetes gitVersion
    # The session's notes, e.g. a local cluster started that keeps running: said in the app's
    # language from their keys.
    notes: Sequence[Note] = ()


@dataclass
class ClusterFailed(Message):
    reason: str


@dataclass
class ClusterLost(Message):
    reason: str


@dataclass
class ClusterRestored(Message):
    pass


@dataclass
class IstioVersionFound(Message):
    version: str | None


@dataclass
class ResourcesChanged(Message):
    """Watch events, batched: a flood of them merges into one message in the queue."""

    events: Sequence[WatchEvent]

    def can_replace(self, message: Message) -> bool:
        # Textual asks the message being handled whether the next one in the queue may stand
        # for it; the next one then carries both batches, oldest first, and only it is handled.
        if isinstance(message, ResourcesChanged):
            message.events = (*self.events, *message.events)
            return True
        return False


@dataclass
class DiffComputed(Message):
    step_id: str
    diffs: Sequence[ObjectDiff]
    findings: Sequence[Finding] = ()
    for_apply: bool = False  # the user pressed `a`: ask to confirm next
    error: str | None = None


@dataclass
class ProgressReported(Message):
    line: str


@dataclass
class StepApplied(Message):
    step_id: str
    error: str | None = None  # file:line and the server's reason when it was rejected


@dataclass
class StepCleanedUp(Message):
    step_id: str
    error: str | None = None


@dataclass
class CaughtUp(Message):
    step_id: str
    error: str | None = None


@dataclass
class ProbeRoundFinished(Message):
    step_id: str
    probe_id: str
    classify: str
    responses: Sequence[Response]
    elapsed: float


@dataclass
class ProbeFailed(Message):
    step_id: str
    reason: str


@dataclass
class VerdictReached(Message):
    step_id: str
    judged: Sequence[Judged] = field(default_factory=tuple)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(j.verdict.passed for j in self.judged)


@dataclass
class TunnelChanged(Message):
    """A learner's port-forward opened or closed, or failed to open (error)."""

    tunnel: Tunnel
    opened: bool
    error: str | None = None


@dataclass
class TextFetched(Message):
    """YAML or logs to show in a viewer."""

    title: str
    text: str
    logs: tuple[str, str, str] | None = None  # namespace, pod, container: a log (can follow)
    refresh: bool = False  # new text for the viewer already open with this title


# -- the Environment screen (the lab's VMs) ---------------------------------------------------


@dataclass
class VmStatusRead(Message):
    """`vagrant status`: the machines (state "unknown" when Vagrant could not say) and why not."""

    machines: Sequence[MachineState]
    problem: str | None = None
    root: str | None = None  # the folder of the Vagrantfile, when one was found


@dataclass
class VmSshDetailsRead(Message):
    machine: str
    details: SshDetails | None
    error: str | None = None


@dataclass
class VmActionStarted(Message):
    """What started; the run itself (to cancel it) is handed to the screen by its worker."""

    action: str
    machine: str | None  # None: every machine
    command: str | None = None  # the command line as Vagrant runs it


@dataclass
class VmLinesPrinted(Message):
    """Vagrant's output lines, batched: a flood of them merges into one message."""

    lines: Sequence[OutputLine]

    def can_replace(self, message: Message) -> bool:
        if isinstance(message, VmLinesPrinted):
            message.lines = (*self.lines, *message.lines)
            return True
        return False


@dataclass
class VmProgressChanged(Message):
    progress: ActionProgress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, VmProgressChanged)  # the newer progress says it all


@dataclass
class VmActionFinished(Message):
    action: str
    machine: str | None
    finished: ActionFinished | None  # None when Vagrant did not even start
    error: str | None = None
