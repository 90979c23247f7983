"""The lab as the rest of the program sees it: immutable, validated, bilingual.

Everything here is built by `istiotui.lab.loader` from `scenarios/`; nothing in
this module reads files. Every element keeps its `source` (file:line) so that
later layers can point a learner or a content writer at the YAML behind it.
Manifest objects are plain dicts (as the kubernetes client wants them) and are
shared: treat them as read-only and copy before changing one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field
from pathlib import Path
from typing import Any, ClassVar, Literal

from istiotui.lab.values import Value, frozen

Lang = Literal["es", "en"]
LANGS: tuple[Lang, ...] = ("es", "en")

# This module loads before the TUI's first frame: its classes are `values.py`'s frozen values
# (equality, hash and repr written once), and each has a docstring (`dataclass` makes one with
# `inspect.signature` otherwise).


@frozen
class Source(Value):
    """Where something was written: a display path (relative when possible) and a 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@frozen
class Text(Value):
    """A text in both of the lab's languages."""

    es: str
    en: str

    def get(self, lang: Lang) -> str:
        return self.es if lang == "es" else self.en


@frozen
class TextList(Value):
    """A list of texts (objectives, prerequisites) in both languages."""

    es: tuple[str, ...]
    en: tuple[str, ...]

    def get(self, lang: Lang) -> tuple[str, ...]:
        return self.es if lang == "es" else self.en


# --- manifests ---------------------------------------------------------------


@frozen
class ManifestObject(Value):
    """One object of a manifest file; `body` has its namespace resolved (unless cluster-scoped)."""

    body: dict[str, Any]
    source: Source

    @property
    def api_version(self) -> str:
        return self.body["apiVersion"]

    @property
    def kind(self) -> str:
        return self.body["kind"]

    @property
    def name(self) -> str:
        return self.body["metadata"]["name"]

    @property
    def namespace(self) -> str | None:
        return self.body["metadata"].get("namespace")

    def __str__(self) -> str:
        where = f" -n {self.namespace}" if self.namespace else ""
        return f"{self.kind}/{self.name}{where}"


@frozen
class Manifest(Value):
    """A manifest file as an action names it (`path`) and where it is on disk (`file`)."""

    path: str
    file: Path
    objects: tuple[ManifestObject, ...]

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [obj.body for obj in self.objects]


# --- actions -----------------------------------------------------------------


@frozen
class ObjectRef(Value):
    """An object an action names: kind, name and namespace."""

    kind: str
    name: str
    namespace: str | None  # None for cluster-scoped kinds


@frozen
class Apply(Value):
    """`kubectl apply -f` of a manifest."""

    verb: ClassVar[str] = "apply"
    manifest: Manifest
    namespace: str | None  # the `namespace:` sibling, as `kubectl apply -n`
    source: Source


@frozen
class Create(Value):
    """`kubectl create -f` of a manifest (fails if its objects exist)."""

    verb: ClassVar[str] = "create"
    manifest: Manifest
    namespace: str | None
    source: Source


@frozen
class DeleteManifest(Value):
    """`kubectl delete -f` of a manifest's objects."""

    verb: ClassVar[str] = "delete"
    manifest: Manifest
    namespace: str | None
    ignore_not_found: bool
    source: Source


@frozen
class DeleteObject(Value):
    """`kubectl delete KIND NAME` of one object."""

    verb: ClassVar[str] = "delete"
    target: ObjectRef
    ignore_not_found: bool
    source: Source


@frozen
class Label(Value):
    """`kubectl label` of one object (set or remove labels)."""

    verb: ClassVar[str] = "label"
    target: ObjectRef
    labels: dict[str, str | None]  # None removes the label
    source: Source


@frozen
class Patch(Value):
    """`kubectl patch --type merge` of one object."""

    verb: ClassVar[str] = "patch"
    target: ObjectRef
    patch: dict[str, Any]  # a JSON merge patch
    source: Source


@frozen
class RolloutRestart(Value):
    """`kubectl rollout restart` of a Deployment."""

    verb: ClassVar[str] = "rollout_restart"
    target: ObjectRef
    source: Source


WaitFor = Literal["ready", "available", "deleted"]


@frozen
class Wait(Value):
    """`kubectl wait` for objects of a kind to be ready, available or deleted."""

    verb: ClassVar[str] = "wait"
    kind: str
    namespace: str
    selector: str | None  # None with name None: every object of the kind in the namespace
    name: str | None
    until: WaitFor  # the YAML's `for`
    timeout: float  # seconds
    source: Source


@frozen
class Istioctl(Value):
    """An `istioctl` command; on the local cluster, the actions that stand for it."""

    verb: ClassVar[str] = "istioctl"
    args: tuple[str, ...]
    local: tuple[Action, ...]  # what stands for it on the embedded local cluster
    source: Source


@frozen
class Host(Value):
    """A command the learner runs on their own machine; the app only shows it."""

    verb: ClassVar[str] = "host"
    command: str  # shown to the learner, never run by the app
    source: Source


@frozen
class Manual(Value):
    """Something the learner does by hand, described in words."""

    verb: ClassVar[str] = "manual"
    text: Text
    source: Source


Action = (
    Apply
    | Create
    | DeleteManifest
    | DeleteObject
    | Label
    | Patch
    | RolloutRestart
    | Wait
    | Istioctl
    | Host
    | Manual
)


# --- probes and expectations -------------------------------------------------

Vantage = Literal["ingress", "egress-client", "pod", "port-forward"]


@frozen
class PodSelector(Value):
    """The pods a probe runs from (vantage `pod`): namespace, selector, container."""

    namespace: str
    selector: str
    container: str | None


@frozen
class ServiceTarget(Value):
    """The Service a probe reaches through a port-forward."""

    namespace: str
    name: str
    port: int


@frozen
class LogSource(Value):
    """The Deployment (and container) whose log lines a probe counts."""

    namespace: str
    deployment: str
    container: str | None


@frozen
class Probe(Value):
    """Requests sent while a step is verified, from a vantage, and how to classify them."""

    id: str
    vantage: Vantage
    url: str
    method: str
    host: str | None
    headers: dict[str, str]
    user: str | None
    count: int
    concurrency: int
    qps: float  # 0: as fast as it can
    timeout: float  # seconds per request
    keepalive: bool
    classify: str  # reviews-version | stars | status | flag | latency | header:NAME
    source: Source
    pod: PodSelector | None = None  # the YAML's `from`, for vantage pod
    service: ServiceTarget | None = None  # for vantage port-forward
    logs: LogSource | None = None

    @property
    def classify_header(self) -> str | None:
        """The header name when responses are classified by a header's value."""
        return self.classify.split(":", 1)[1] if self.classify.startswith("header:") else None


@frozen
class Only(Value):
    """Every response of the probe falls in one class."""

    kind: ClassVar[str] = "only"
    probe: str
    value: str
    why: Text | None
    source: Source


@frozen
class AllOf(Value):
    """Each of these classes shows up among the probe's responses."""

    kind: ClassVar[str] = "all_of"
    probe: str
    values: tuple[str, ...]
    why: Text | None
    source: Source


@frozen
class Shares(Value):
    """The classes come in these shares (a goodness-of-fit test at `confidence`)."""

    kind: ClassVar[str] = "shares"
    probe: str
    shares: dict[str, float]  # class -> expected share; they add up to 1
    confidence: float
    why: Text | None
    source: Source


@frozen
class StatusIs(Value):
    """Every response has this HTTP status."""

    kind: ClassVar[str] = "status"
    probe: str
    code: int
    why: Text | None
    source: Source


@frozen
class StatusShare(Value):
    """The share of responses with this status lies between `min` and `max`."""

    kind: ClassVar[str] = "status_share"
    probe: str
    code: int
    min: float
    max: float
    why: Text | None
    source: Source


@frozen
class LatencyWithin(Value):
    """A percentile of the latencies lies within the bounds (seconds)."""

    kind: ClassVar[str] = "latency"
    probe: str
    percentile: float
    min: float | None  # seconds
    max: float | None
    why: Text | None
    source: Source


@frozen
class BodyHas(Value):
    """Every response body contains the text."""

    kind: ClassVar[str] = "text"
    probe: str
    text: str
    why: Text | None
    source: Source


@frozen
class BodyLacks(Value):
    """No response body contains the text."""

    kind: ClassVar[str] = "no_text"
    probe: str
    text: str
    why: Text | None
    source: Source


@frozen
class LogLines(Value):
    """The number of new log lines while probing lies within the bounds."""

    kind: ClassVar[str] = "log_lines"
    probe: str
    min: int | None
    max: int | None
    why: Text | None
    source: Source


@frozen
class HeaderShare(Value):
    """The share of responses carrying the header (with the value) lies within bounds."""

    kind: ClassVar[str] = "header"
    probe: str
    name: str
    value: str | None  # None: any value counts
    min_share: float
    max_share: float
    why: Text | None
    source: Source


@frozen
class ProxyStat(Value):
    """A statistic of the client pods' proxies (`pilot-agent request GET stats`): what it gained
    while the probe ran equals the probe's count of one status (the UO 503s and the overflow
    counter, say)."""

    kind: ClassVar[str] = "stat"
    probe: str
    namespace: str
    selector: str
    name: str
    equals_status: int
    why: Text | None
    source: Source


@frozen
class EdgeCheck(Value):
    """One edge of the traffic graph: `app` or `app/version` at each end. `versions`: the
    destination versions that must each have requests (their sum is what is counted);
    `requests_of_probe`: that sum equals the probe's responses; else at least `min`."""

    source: str
    destination: str
    versions: tuple[str, ...]
    requests_of_probe: bool
    min: int


@frozen
class GraphEdges(Value):
    """Edges the traffic graph (from the proxies' statistics) gained while the probe ran."""

    kind: ClassVar[str] = "graph"
    probe: str
    namespace: str
    edges: tuple[EdgeCheck, ...]
    why: Text | None
    source: Source


Expectation = (
    Only
    | AllOf
    | Shares
    | StatusIs
    | StatusShare
    | LatencyWithin
    | BodyHas
    | BodyLacks
    | LogLines
    | HeaderShare
    | ProxyStat
    | GraphEdges
)


# --- steps, sections, the lab ------------------------------------------------

Where = Literal["any", "real", "local"]


@frozen
class Step(Value):
    """One step of the lab: its text, commands, actions, probes and what to expect."""

    id: str
    section: str  # the section's id
    title: Text
    text: Text
    where: Where
    namespace: str
    commands: tuple[str, ...]
    requires: tuple[str, ...]
    actions: tuple[Action, ...]
    cleanup: tuple[Action, ...]
    probes: tuple[Probe, ...]
    expect: tuple[Expectation, ...]
    expected: Text
    source: Source

    # Hashable by identity in the lab (the fields hold dicts), so steps can key a UI's state.
    def __hash__(self) -> int:
        return hash(("step", self.id))

    def probe(self, probe_id: str) -> Probe:
        for probe in self.probes:
            if probe.id == probe_id:
                return probe
        raise KeyError(probe_id)


@frozen
class Section(Value):
    """A section of the lab: a titled group of steps."""

    id: str
    number: int
    title: Text
    intro: Text | None
    steps: tuple[Step, ...]
    source: Source

    def __hash__(self) -> int:
        return hash(("section", self.id))


@frozen
class Lab(Value):
    """The whole lab, as loaded from `scenarios/`."""

    id: str
    title: Text
    intro: Text
    objectives: TextList
    prerequisites: TextList
    sections: tuple[Section, ...]
    root: Path  # the scenarios directory it was loaded from
    source: Source
    _by_id: dict[str, Step] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __hash__(self) -> int:
        return hash(("lab", self.id))

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {s.id: s for s in self.steps()})

    def steps(self) -> Iterator[Step]:
        """Every step, in the order the learner meets them."""
        for section in self.sections:
            yield from section.steps

    def step(self, step_id: str) -> Step:
        return self._by_id[step_id]

    def has_step(self, step_id: str) -> bool:
        return step_id in self._by_id

    def step_ids(self) -> list[str]:
        return list(self._by_id)

    def section_of(self, step_id: str) -> Section:
        wanted = self._by_id[step_id].section
        return next(s for s in self.sections if s.id == wanted)
