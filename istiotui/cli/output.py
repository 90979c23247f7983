"""`-o json|yaml`: a command's result as data, for scripts (docs/cli-output.md has the schemas).

A command builds one plain structure (dicts, lists, strings, numbers, booleans, None) and either
renders it here or prints its human text as before; nothing else writes to stdout when the output
is data, so `istiotui verify --all -o json | jq` reads one document. Every document carries
`schemaVersion`, raised when a key changes meaning or goes away (a key added is not a change).
"""

from __future__ import annotations

import argparse
import enum
import json
import sys
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from pathlib import PurePath
from typing import Any

import yaml

TEXT = "text"
DATA_FORMATS = ("json", "yaml")
SCHEMA_VERSION = 1


def add_output_flag(parser: argparse.ArgumentParser, text: str = TEXT) -> None:
    """`-o/--output`, as kubectl's and istioctl's; `text` names the human form (analyze: `log`)."""
    parser.add_argument(
        "-o",
        "--output",
        choices=(text, *DATA_FORMATS),
        default=text,
        help=f"output format (default: {text}; json and yaml as in docs/cli-output.md)",
    )


def wants_data(args: argparse.Namespace) -> bool:
    return getattr(args, "output", TEXT) in DATA_FORMATS


def plain(value: Any) -> Any:
    """`value` with tuples, paths, enums and dataclasses turned into what json and yaml write."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [plain(v) for v in items]
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, PurePath):
        return str(value)
    return value


def render(data: Any, fmt: str) -> str:
    """`data` as a json or yaml document, ending with a newline (YAML's last `|` block needs
    it: without it the last text would lose its own final newline)."""
    data = plain(data)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
    raise ValueError(f"not a data format: {fmt!r} (one of {', '.join(DATA_FORMATS)})")


class _Dumper(yaml.SafeDumper):
    """Safe YAML with texts of several lines as `|` blocks, as a person would write them."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _str)


def emit(data: Any, fmt: str) -> None:
    """Write the document to stdout."""
    sys.stdout.write(render(data, fmt))


def document(**fields: Any) -> dict[str, Any]:
    """A top-level document: `schemaVersion` first, then the command's fields."""
    return {"schemaVersion": SCHEMA_VERSION, **fields}
