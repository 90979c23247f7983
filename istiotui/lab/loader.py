"""Loads `scenarios/` into a `Lab`, or reports every problem it finds as `file:line: message`.

Three passes: each file against the schema; the rules across records (section
numbers, step ids, `requires`, probes named by expectations, manifest files);
then, only when nothing was wrong, the model. A half-valid lab is never
returned.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path, PurePosixPath
from typing import Any

from istiotui.lab import lab_schema, manifests
from istiotui.lab.build import MANIFEST_ACTIONS, Builder
from istiotui.lab.errors import LoaderError, Problem
from istiotui.lab.model import Lab, Manifest, ManifestObject, Source
from istiotui.lab.paths import display_path, istio_manifests_dir, scenarios_dir
from istiotui.lab.schema import Ctx, Rec
from istiotui.lab.yamlsource import SeqNode, YamlSyntaxError, parse_document

__all__ = ["LoaderError", "Problem", "load_lab", "resolve_manifest_path"]

SECTION_FILE = re.compile(r"(\d+)-(.+)\.yaml")
ISTIO_PREFIX = "istio-manifests/"


def load_lab(scenarios: Path | None = None, *, istio_manifests: Path | None = None) -> Lab:
    """The lab in `scenarios` (default: `paths.scenarios_dir()`); LoaderError when invalid."""
    root = (scenarios or scenarios_dir()).resolve()
    istio = (istio_manifests or istio_manifests_dir(root)).resolve()
    return _LabLoader(root, istio).load()


def resolve_manifest_path(path: str, scenarios: Path, istio_manifests: Path) -> Path:
    """The file an action's manifest PATH names (it may not exist); ValueError if it escapes."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts:
        raise ValueError("must be a relative path inside scenarios/manifests or istio-manifests")
    if path.startswith(ISTIO_PREFIX):
        return istio_manifests / path[len(ISTIO_PREFIX) :]
    return scenarios / "manifests" / path


class _LabLoader:
    def __init__(self, root: Path, istio: Path) -> None:
        self.root = root
        self.istio = istio
        self.problems: list[Problem] = []
        # A section file that could not be read hides its step ids: "unknown step" would be noise.
        self._unreadable_sections = False
        self._raw_manifests: dict[Path, list[ManifestObject] | None] = {}
        # Resolved manifests by (file, step namespace, action namespace), filled by the checks.
        self._manifests: dict[tuple[Path, str, str | None], Manifest] = {}

    # -- files ---------------------------------------------------------------

    def show(self, path: Path) -> str:
        return display_path(path, self.root)

    def _parse(self, path: Path, spec: Any) -> tuple[Ctx, Rec | None]:
        cx = Ctx(self.show(path))
        try:
            node = parse_document(path.read_text(encoding="utf-8"))
        except YamlSyntaxError as exc:
            cx.add(exc.line, "", exc.message)
            return cx, None
        except (OSError, UnicodeDecodeError) as exc:
            cx.add(1, "", f"cannot read: {exc}")
            return cx, None
        if node is None:
            cx.add(1, "", "file is empty")
            return cx, None
        rec = spec.check(node, cx, "")
        return cx, rec if isinstance(rec, Rec) else None

    def load(self) -> Lab:
        if not self.root.is_dir():
            raise LoaderError([Problem(str(self.root), 0, "scenarios directory not found")])
        lab_file = self.root / "lab.yaml"
        lab_rec: Rec | None = None
        if lab_file.is_file():
            cx, lab_rec = self._parse(lab_file, lab_schema.LAB)
            self.problems += cx.problems
        else:
            self.problems.append(Problem(self.show(lab_file), 0, "lab.yaml not found"))

        sections: list[tuple[int, str, Ctx, Rec]] = []
        for path in sorted(self.root.glob("*.yml")):
            # Silently skipping it would drop a section from the lab.
            self.problems.append(Problem(self.show(path), 0, "lab files end in .yaml, not .yml"))
        for path in sorted(self.root.glob("*.yaml")):
            if path.name == "lab.yaml":
                continue
            match = SECTION_FILE.fullmatch(path.name)
            if not match:
                self.problems.append(
                    Problem(self.show(path), 1, "not a section file name: use NN-<section-id>.yaml")
                )
                continue
            cx, rec = self._parse(path, lab_schema.SECTION)
            if rec is None or not isinstance(rec.get("steps"), list):
                self._unreadable_sections = True
            if rec is not None:
                self._check_file_name(rec, int(match.group(1)), match.group(2), cx)
                sections.append((int(match.group(1)), path.name, cx, rec))
            self.problems += cx.problems
        if not sections and not self.problems:
            self.problems.append(Problem(self.show(self.root), 0, "no section files (NN-id.yaml)"))
        sections.sort(key=lambda s: (s[0], s[1]))

        self._check_sections(sections)
        self._check_steps(sections)
        if self.problems or lab_rec is None:
            raise LoaderError(self.problems)
        files = [(cx.file, rec) for _number, _name, cx, rec in sections]
        builder = Builder(self._manifest_for)
        return builder.lab(lab_rec, Source(self.show(lab_file), lab_rec.line), files, self.root)

    # -- rules across records ------------------------------------------------

    def _check_file_name(self, rec: Rec, number: int, file_id: str, cx: Ctx) -> None:
        if isinstance(rec.get("number"), int) and rec["number"] != number:
            cx.add(
                rec.line_of("number"),
                "number",
                f"is {rec['number']} but the file name says {number:02d}",
            )
        if isinstance(rec.get("id"), str) and rec["id"] != file_id:
            cx.add(rec.line_of("id"), "id", f"is {rec['id']!r} but the file name says {file_id!r}")

    def _check_sections(self, sections: list[tuple[int, str, Ctx, Rec]]) -> None:
        ids: dict[str, str] = {}
        numbers: dict[int, str] = {}
        for _number, _name, cx, rec in sections:
            where = f"{cx.file}:{rec.line_of('id')}"
            sid = rec.get("id")
            if isinstance(sid, str):
                if sid in ids:
                    message = f"id: duplicate section id {sid!r} (also {ids[sid]})"
                    self._add(cx, rec.line_of("id"), message)
                ids.setdefault(sid, where)
            num = rec.get("number")
            if isinstance(num, int):
                if num in numbers:
                    self._add(cx, rec.line_of("number"), f"number: {num} is also {numbers[num]}")
                numbers.setdefault(num, where)

    def _add(self, cx: Ctx, line: int, message: str) -> None:
        self.problems.append(Problem(cx.file, line, message))

    def _check_steps(self, sections: list[tuple[int, str, Ctx, Rec]]) -> None:
        ordered: list[tuple[Ctx, Rec]] = []
        for _number, _name, cx, rec in sections:
            for step in rec.get("steps") or []:
                if isinstance(step, Rec):
                    ordered.append((cx, step))
                if not (isinstance(step, Rec) and isinstance(step.get("id"), str)):
                    self._unreadable_sections = True
        position: dict[str, tuple[int, str]] = {}
        for index, (cx, step) in enumerate(ordered):
            sid = step.get("id")
            if not isinstance(sid, str):
                continue
            if sid in position:
                first = position[sid][1]
                message = f"steps[{sid}].id: duplicate step id {sid!r} (also {first})"
                self._add(cx, step.line_of("id"), message)
            else:
                position[sid] = (index, f"{cx.file}:{step.line_of('id')}")
        for index, (cx, step) in enumerate(ordered):
            path = f"steps[{step.get('id') or index}]"
            self._check_requires(cx, step, path, index, position)
            self._check_probe_names(cx, step, path)
            namespace = step.get("namespace")
            if isinstance(namespace, str):
                for key in ("actions", "cleanup"):
                    for number, action in enumerate(step.get(key) or []):
                        self._check_action(cx, action, f"{path}.{key}[{number}]", namespace)

    def _check_requires(
        self, cx: Ctx, step: Rec, path: str, index: int, position: dict[str, tuple[int, str]]
    ) -> None:
        node = step.nodes.get("requires")
        if not isinstance(node, SeqNode):
            return
        for item_node, wanted in zip(node.items, step.get("requires") or [], strict=False):
            if not isinstance(wanted, str):
                continue
            if wanted not in position:
                if self._unreadable_sections:
                    continue
                near = difflib.get_close_matches(wanted, list(position), n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                self._add(cx, item_node.line, f"{path}.requires: unknown step {wanted!r}{hint}")
            elif position[wanted][0] >= index:
                self._add(
                    cx,
                    item_node.line,
                    f"{path}.requires: step {wanted!r} ({position[wanted][1]}) does not come "
                    "before this one; a step can only require earlier steps",
                )

    def _check_probe_names(self, cx: Ctx, step: Rec, path: str) -> None:
        probes: dict[str, int] = {}
        for probe in step.get("probes") or []:
            if isinstance(probe, Rec) and isinstance(probe.get("id"), str):
                pid = probe["id"]
                if pid in probes:
                    message = f"duplicate probe id {pid!r} (also line {probes[pid]})"
                    self._add(cx, probe.line_of("id"), f"{path}.probes[{pid}].id: {message}")
                probes.setdefault(pid, probe.line_of("id"))
        for number, expectation in enumerate(step.get("expect") or []):
            if not isinstance(expectation, Rec) or not isinstance(expectation.get("probe"), str):
                continue
            name = expectation["probe"]
            if name not in probes:
                known = ", ".join(probes) or "none"
                self._add(
                    cx,
                    expectation.line_of("probe"),
                    f"{path}.expect[{number}].probe: no probe {name!r} in this step "
                    f"(its probes: {known})",
                )

    def _check_action(self, cx: Ctx, action: Any, path: str, step_ns: str) -> None:
        if not isinstance(action, Rec):
            return
        kind = action["kind"]
        if kind == "istioctl":
            for number, inner in enumerate(action.get("local") or []):
                self._check_action(cx, inner, f"{path}.local[{number}]", step_ns)
            return
        if kind not in MANIFEST_ACTIONS or not isinstance(action.get(kind), str):
            return
        forced = action.get("namespace")
        if forced is not None and not isinstance(forced, str):
            return
        name = action[kind]
        line = action.line_of(kind)
        where = f"{path}.{kind}"
        try:
            file = resolve_manifest_path(name, self.root, self.istio)
        except ValueError as exc:
            self._add(cx, line, f"{where}: {name!r} {exc}")
            return
        if not file.is_file():
            self._add(cx, line, f"{where}: manifest {name!r} not found (no {self.show(file)})")
            return
        objects = self._read_manifest(file)
        if objects is None:
            return
        resolved, problems = manifests.resolve(objects, step_ns, forced)
        for problem in problems:
            at = f"{problem.file}:{problem.line}"
            self._add(cx, line, f"{where}: {problem.message} ({at})")
        if not problems:
            self._manifests[(file, step_ns, forced)] = Manifest(name, file, tuple(resolved))

    def _manifest_for(self, path: str, step_ns: str, forced: str | None) -> Manifest:
        file = resolve_manifest_path(path, self.root, self.istio)
        return self._manifests[(file, step_ns, forced)]

    def _read_manifest(self, file: Path) -> list[ManifestObject] | None:
        """A manifest's objects, read once per load; None when it has problems (reported once)."""
        if file not in self._raw_manifests:
            objects, problems = manifests.read_objects(file, self.show(file))
            self.problems += problems
            self._raw_manifests[file] = None if problems else objects
        return self._raw_manifests[file]
