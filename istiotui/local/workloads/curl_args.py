"""The part of curl's command line the lab uses, parsed the way curl reads it.

Short options combine (`-sSL`, `-sSo FILE`); an option that takes a value takes the rest of its
group or the next argument (`-HHost:x`, `-H 'Host: x'`). Unknown options are refused as curl
refuses them (exit 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


class UsageError(Exception):
    """A command line curl would refuse (exit code 2)."""


@dataclass
class CurlOptions:
    urls: list[str] = field(default_factory=list)
    silent: bool = False
    show_error: bool = False
    location: bool = False
    head: bool = False
    include: bool = False
    fail: bool = False
    insecure: bool = False
    verbose: bool = False
    output: str | None = None
    dump_header: str | None = None
    write_out: str | None = None
    max_time: float | None = None
    connect_timeout: float | None = None
    method: str | None = None
    data: str | None = None
    cacert: str | None = None
    headers: list[str] = field(default_factory=list)
    user_agent: str | None = None

    @property
    def shows_errors(self) -> bool:
        return not self.silent or self.show_error


_SHORT_FLAGS = {
    "s": "silent",
    "S": "show_error",
    "L": "location",
    "I": "head",
    "i": "include",
    "f": "fail",
    "k": "insecure",
    "v": "verbose",
}
_SHORT_VALUES = {
    "o": "output",
    "D": "dump_header",
    "w": "write_out",
    "m": "max_time",
    "X": "method",
    "d": "data",
    "H": "headers",
    "A": "user_agent",
}
_LONG_FLAGS = {
    "silent": "silent",
    "show-error": "show_error",
    "location": "location",
    "head": "head",
    "include": "include",
    "fail": "fail",
    "insecure": "insecure",
    "verbose": "verbose",
}
_LONG_VALUES = {
    "output": "output",
    "dump-header": "dump_header",
    "write-out": "write_out",
    "max-time": "max_time",
    "connect-timeout": "connect_timeout",
    "request": "method",
    "data": "data",
    "data-raw": "data",
    "header": "headers",
    "user-agent": "user_agent",
    "cacert": "cacert",
}
# Accepted and ignored: they change nothing for this implementation.
_LONG_IGNORED = {"http1.1", "no-progress-meter", "compressed", "no-buffer", "progress-bar"}


def _set(options: CurlOptions, attr: str, value: str, name: str) -> None:
    if attr == "headers":
        options.headers.append(value)
    elif attr in ("max_time", "connect_timeout"):
        try:
            setattr(options, attr, float(value))
        except ValueError:
            raise UsageError(f"option {name}: expected a proper numerical parameter") from None
    else:
        setattr(options, attr, value)


def parse(argv: Sequence[str]) -> CurlOptions:
    options = CurlOptions()
    items = list(argv)
    i = 0
    while i < len(items):
        arg = items[i]
        i += 1
        if arg.startswith("--") and len(arg) > 2:
            name = arg[2:]
            if name in _LONG_FLAGS:
                setattr(options, _LONG_FLAGS[name], True)
            elif name in _LONG_VALUES:
                if i >= len(items):
                    raise UsageError(f"option {arg}: requires parameter")
                _set(options, _LONG_VALUES[name], items[i], arg)
                i += 1
            elif name not in _LONG_IGNORED:
                raise UsageError(f"option {arg}: is unknown")
        elif arg.startswith("-") and len(arg) > 1:
            group = arg[1:]
            j = 0
            while j < len(group):
                letter = group[j]
                j += 1
                if letter in _SHORT_FLAGS:
                    setattr(options, _SHORT_FLAGS[letter], True)
                elif letter in _SHORT_VALUES:
                    value = group[j:]
                    if not value:
                        if i >= len(items):
                            raise UsageError(f"option -{letter}: requires parameter")
                        value = items[i]
                        i += 1
                    _set(options, _SHORT_VALUES[letter], value, f"-{letter}")
                    break
                else:
                    raise UsageError(f"option -{letter}: is unknown")
        else:
            options.urls.append(arg)
    if not options.urls:
        raise UsageError("no URL specified")
    return options
