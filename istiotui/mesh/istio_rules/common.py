"""What the Istio rule modules share: the error collector and checks of fields found in
several kinds (destinations, string matches, exportTo, durations, percentages)."""

from __future__ import annotations

from typing import Any

from istiotui.mesh.schemas.istio_values import (
    duration_problem,
    fraction_problem,
    gateway_name_problem,
    percent_problem,
    port_problem,
    regex_problem,
    wildcard_domain_problem,
)
from istiotui.mesh.schemas.meta import is_dns1123_label, label_errors
from istiotui.mesh.schemas.walker import (
    INVALID,
    FieldError,
    child,
    index,
    show,
)


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, path: str, message: str | None, reason: str = INVALID) -> None:
        if message:
            self.items.append(FieldError(path, reason, message))

    def duration(
        self, parent: dict[str, Any], key: str, path: str, *, at_least_ms: bool = True
    ) -> None:
        if parent.get(key) is not None:
            self.add(child(path, key), duration_problem(parent[key], at_least_ms=at_least_ms))

    def percent(
        self, parent: dict[str, Any], key: str, path: str, what: str = "percentage"
    ) -> None:
        self.add(child(path, key), percent_problem(parent.get(key), what))

    def percentage(self, parent: dict[str, Any], key: str, path: str, what: str) -> None:
        """A `Percent` message ({value: double}) of a mirror: 0..100."""
        value = as_dict(parent.get(key)).get("value")
        self.add(child(child(path, key), "value"), percent_problem(value, what))

    def fraction(self, parent: dict[str, Any], key: str, path: str) -> None:
        """A fault's `Percent`: 0, or 0.0001..100."""
        value = as_dict(parent.get(key)).get("value")
        self.add(child(child(path, key), "value"), fraction_problem(value))

    def labels(self, value: Any, path: str) -> None:
        self.items += label_errors(value, path)

    def export_to(self, spec: dict[str, Any], *, service_entry: bool = False) -> None:
        values = as_list(spec.get("exportTo"))
        seen: set[Any] = set()
        for i, value in enumerate(values):
            allowed = value in (".", "*") or (service_entry and value == "~")
            if not allowed and not (isinstance(value, str) and is_dns1123_label(value)):
                self.add(
                    index("spec.exportTo", i),
                    f"Invalid value: {show(value)}: must be '.', '*'"
                    + (", '~'" if service_entry else "")
                    + " or a namespace name",
                )
            elif value in seen:
                self.add(
                    index("spec.exportTo", i),
                    f"Duplicate value: {show(value)}: duplicate entries in exportTo",
                    "FieldValueDuplicate",
                )
            seen.add(value)
        if "*" in values and len(values) > 1:
            self.add(
                "spec.exportTo",
                "Invalid value: cannot have both public (*) and non-public exportTo values for a"
                " resource",
            )
        if service_entry and "~" in values and len(values) > 1:
            self.add(
                "spec.exportTo",
                "Invalid value: cannot export service entry to no one (~) and someone",
            )

    def destination(self, dest: Any, path: str) -> None:
        dest = as_dict(dest)
        host = dest.get("host")
        if host == "*":
            self.add(child(path, "host"), 'Invalid value: "*": invalid destination host *')
        elif isinstance(host, str):
            self.add(child(path, "host"), wildcard_domain_problem(host))
        subset = dest.get("subset")
        if isinstance(subset, str) and subset and not is_dns1123_label(subset):
            self.add(
                child(path, "subset"), f"Invalid value: {show(subset)}: subset name is invalid"
            )
        number = as_dict(dest.get("port")).get("number")
        self.add(child(child(path, "port"), "number"), port_problem(number))

    def one_of(self, parent: Any, keys: tuple[str, ...], path: str) -> None:
        """Istio's CRDs declare these as a `oneOf`: at most one of the keys may be set."""
        present = [k for k in keys if as_dict(parent).get(k) is not None]
        if len(present) > 1:
            self.add(
                path,
                f"Invalid value: {', '.join(present)} are all set: only one of"
                f" {', '.join(keys)} may be set",
            )

    def string_match(self, match: Any, path: str, where: str) -> None:
        match = as_dict(match)
        self.one_of(match, ("exact", "prefix", "regex"), path)
        if isinstance(match.get("regex"), str):
            self.add(child(path, "regex"), regex_problem(match["regex"], where))
        if match.get("prefix") == "":
            self.add(
                child(path, "prefix"),
                f'Invalid value: "": {where}: prefix string match should not be empty',
            )

    def gateways(self, names: Any, path: str) -> None:
        for i, name in enumerate(as_list(names)):
            if isinstance(name, str):
                self.add(index(path, i), gateway_name_problem(name))
