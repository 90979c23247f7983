"""The lab as the rest of the program sees it: immutable, validated, bilingual.

Everything here is built by `istiotui.lab.loader` from `scenarios/`; nothing in
this module reads files. Every element keeps its `source` (file:line) so that
later layers can point a learner or a content writer at the YAML behind it.
Manifest objects are plain dicts (as the kubernetes client wants them) and are
shared: treat them as read-only and copy before changing one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

Lang = Literal["es", "en"]
LANGS: tuple[Lang, ...] = ("es", "en")


@dataclass(frozen=True)
class Source:
    """Where something was written: a display path (relative when possible) and a 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Text:
    es: str
    en: str

    def get(self, lang: Lang) -> str:
        return self.es if lang == "es" else self.en


@dataclass(frozen=True)
class TextList:
    es: tuple[str, ...]
    en: tuple[str, ...]

    def get(self, lang: Lang) -> tuple[str, ...]:
        return self.es if lang == "es" else self.en


# --- manifests ---------------------------------------------------------------


@dataclass(frozen=True)
class ManifestObject:
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


@dataclass(frozen=True)
class Manifest:
    """A manifest file as an action names it (`path`) and where it is on disk (`file`)."""

    path: str
    file: Path
    objects: tuple[ManifestObject, ...]

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [obj.body for obj in self.objects]


# --- actions -----------------------------------------------------------------


@dataclass(frozen=True)
class ObjectRef:
    kind: str
    name: str
    namespace: str | None  # None for cluster-scoped kinds


@dataclass(frozen=True)
class Apply:
    verb: ClassVar[str] = "apply"
    manifest: Manifest
    namespace: str | None  # the `namespace:` sibling, as `kubectl apply -n`
    source: Source


@dataclass(frozen=True)
class Create:
    verb: ClassVar[str] = "create"
    manifest: Manifest
    namespace: str | None
    source: Source


@dataclass(frozen=True)
class DeleteManifest:
    verb: ClassVar[str] = "delete"
    manifest: Manifest
    namespace: str | None
    ignore_not_found: bool
    source: Source


@dataclass(frozen=True)
class DeleteObject:
    verb: ClassVar[str] = "delete"
    target: ObjectRef
    ignore_not_found: bool
    source: Source


@dataclass(frozen=True)
class Label:
    verb: ClassVar[str] = "label"
    target: ObjectRef
    labels: dict[str, str | None]  # None removes the label
    source: Source


@dataclass(frozen=True)
class Patch:
    verb: ClassVar[str] = "patch"
    target: ObjectRef
    patch: dict[str, Any]  # a JSON merge patch
    source: Source


@dataclass(frozen=True)
class RolloutRestart:
    verb: ClassVar[str] = "rollout_restart"
    target: ObjectRef
    source: Source


WaitFor = Literal["ready", "available", "deleted"]


@dataclass(frozen=True)
class Wait:
    verb: ClassVar[str] = "wait"
    kind: str
    namespace: str
    selector: str | None  # None with name None: every object of the kind in the namespace
    name: str | None
    until: WaitFor  # the YAML's `for`
    timeout: float  # seconds
    source: Source


@dataclass(frozen=True)
class Istioctl:
    verb: ClassVar[str] = "istioctl"
    args: tuple[str, ...]
    local: tuple[Action, ...]  # what stands for it on the embedded local cluster
    source: Source


@dataclass(frozen=True)
class Host:
    verb: ClassVar[str] = "host"
    command: str  # shown to the learner, never run by the app
    source: Source


@dataclass(frozen=True)
class Manual:
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


@dataclass(frozen=True)
class PodSelector:
    namespace: str
    selector: str
    container: str | None


@dataclass(frozen=True)
class ServiceTarget:
    namespace: str
    name: str
    port: int


@dataclass(frozen=True)
class LogSource:
    namespace: str
    deployment: str
    container: str | None


@dataclass(frozen=True)
class Probe:
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


@dataclass(frozen=True)
class Only:
    kind: ClassVar[str] = "only"
    probe: str
    value: str
    why: Text | None
    source: Source


@dataclass(frozen=True)
class AllOf:
    kind: ClassVar[str] = "all_of"
    probe: str
    values: tuple[str, ...]
    why: Text | None
    source: Source


@dataclass(frozen=True)
class Shares:
    kind: ClassVar[str] = "shares"
    probe: str
    shares: dict[str, float]  # class -> expected share; they add up to 1
    confidence: float
    why: Text | None
    source: Source


@dataclass(frozen=True)
class StatusIs:
    kind: ClassVar[str] = "status"
    probe: str
    code: int
    why: Text | None
    source: Source


@dataclass(frozen=True)
class StatusShare:
    kind: ClassVar[str] = "status_share"
    probe: str
    code: int
    min: float
    max: float
    why: Text | None
    source: Source


@dataclass(frozen=True)
class LatencyWithin:
    kind: ClassVar[str] = "latency"
    probe: str
    percentile: float
    min: float | None  # seconds
    max: float | None
    why: Text | None
    source: Source


@dataclass(frozen=True)
class BodyHas:
    kind: ClassVar[str] = "text"
    probe: str
    text: str
    why: Text | None
    source: Source


@dataclass(frozen=True)
class BodyLacks:
    kind: ClassVar[str] = "no_text"
    probe: str
    text: str
    why: Text | None
    source: Source


@dataclass(frozen=True)
class LogLines:
    kind: ClassVar[str] = "log_lines"
    probe: str
    min: int | None
    max: int | None
    why: Text | None
    source: Source


@dataclass(frozen=True)
class HeaderShare:
    kind: ClassVar[str] = "header"
    probe: str
    name: str
    value: str | None  # None: any value counts
    min_share: float
    max_share: float
    why: Text | None
    source: Source


@dataclass(frozen=True)
class ProxyStat:
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


@dataclass(frozen=True)
class EdgeCheck:
    """One edge of the traffic graph: `app` or `app/version` at each end. `versions`: the
    destination versions that must each have requests (their sum is what is counted);
    `requests_of_probe`: that sum equals the probe's responses; else at least `min`."""

    source: str
    destination: str
    versions: tuple[str, ...]
    requests_of_probe: bool
    min: int


@dataclass(frozen=True)
class GraphEdges:
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


@dataclass(frozen=True)
class Step:
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


@dataclass(frozen=True)
class Section:
    id: str
    number: int
    title: Text
    intro: Text | None
    steps: tuple[Step, ...]
    source: Source

    def __hash__(self) -> int:
        return hash(("section", self.id))


@dataclass(frozen=True)
class Lab:
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
