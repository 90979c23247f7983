"""Vagrant's `--machine-readable` output: one record per line, `timestamp,target,type,data...`.

Vagrant escapes commas in data as `%!(VAGRANT_COMMA)` and newlines as a literal `\\n`
(lib/vagrant/ui.rb, MachineReadable#machine). Anything else on the stream (Ruby warnings, a
Vagrantfile's abort message on stderr) is kept as raw text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RECORD = re.compile(r"^(\d+),([^,]*),([^,]+),?(.*)$")
_COMMA = "%!(VAGRANT_COMMA)"


def unescape(field: str) -> str:
    return field.replace("\\n", "\n").replace("\\r", "\r").replace(_COMMA, ",")


@dataclass(frozen=True)
class Record:
    """One line of machine-readable output; `kind` is None for a raw (non-record) line."""

    target: str
    kind: str | None
    data: tuple[str, ...]
    raw: str

    @property
    def text(self) -> str:
        """The human text of a `ui` record (data[1]) or an `error-exit` record (data[1])."""
        if self.kind in ("ui", "error-exit") and len(self.data) >= 2:
            return self.data[1]
        return self.raw if self.kind is None else ",".join(self.data)


def parse_line(line: str) -> Record:
    line = line.rstrip("\r\n")
    match = _RECORD.match(line)
    if match is None:
        return Record(target="", kind=None, data=(), raw=line)
    _, target, kind, rest = match.groups()
    data = tuple(unescape(field) for field in rest.split(",")) if rest else ()
    return Record(target=target, kind=kind, data=data, raw=line)


def parse(output: str) -> list[Record]:
    return [parse_line(line) for line in output.splitlines() if line.strip()]


def error_exit(records: list[Record]) -> Record | None:
    """The `error-exit` record (Vagrant's exception class and message), if the run failed."""
    return next((r for r in records if r.kind == "error-exit"), None)


def first_paragraph(message: str) -> str:
    """Vagrant's error messages open with a one-paragraph summary; the rest is advice."""
    return " ".join(message.strip().split("\n\n", 1)[0].split())
