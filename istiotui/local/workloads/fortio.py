"""A fortio-compatible command: `python -m istiotui.local.workloads.fortio load|curl|server …`.

`load -c N -qps Q -n N -t D -loglevel L [-json FILE|-] [-H 'k: v'] URL` prints fortio's report
(on stderr, as fortio does; `-json -` puts the JSON on stdout). `curl [-quiet] URL` fetches once:
headers on stderr, body on stdout, exit 1 unless 200. `server` is the echo server. Requests
leave through the pod's sidecar (see `outbound`). Flags are read the Go way (`-n 20`, `-n=20`,
`--n 20`; booleans as `-quiet` or `-keepalive=false`).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from istiotui.local.workloads import outbound
from istiotui.local.workloads.fortio_load import (
    VERSION,
    LoadOptions,
    header_lines,
    log_json,
    report_lines,
    run_load,
    to_json,
)
from istiotui.mesh.durations import parse_duration

LOG_LEVELS = {"debug": 0, "verbose": 1, "info": 2, "warning": 3, "error": 4, "critical": 5}
BOOL_FLAGS = {"quiet", "keepalive", "a", "stdclient", "k", "https-insecure", "allow-initial-errors"}
VALUE_FLAGS = {
    "c", "qps", "n", "t", "loglevel", "json", "H", "p", "r", "timeout", "labels", "http-port",
    "grpc-port", "redirect-port", "config-dir", "data-dir", "ui-path", "echo-server-default-params",
}  # fmt: skip


class FlagError(Exception):
    pass


def parse_flags(argv: Sequence[str]) -> tuple[dict[str, list[str]], list[str]]:
    flags: dict[str, list[str]] = {}
    items = list(argv)
    i = 0
    while i < len(items):
        arg = items[i]
        if not arg.startswith("-") or arg in ("-", "--"):
            rest = items[i + 1 :] if arg == "--" else items[i:]
            return flags, rest
        name, eq, value = arg.lstrip("-").partition("=")
        i += 1
        if name in BOOL_FLAGS:
            flags.setdefault(name, []).append(value if eq else "true")
        elif name in VALUE_FLAGS:
            if not eq:
                if i >= len(items):
                    raise FlagError(f"flag needs an argument: -{name}")
                value = items[i]
                i += 1
            flags.setdefault(name, []).append(value)
        else:
            raise FlagError(f"flag provided but not defined: -{name}")
    return flags, []


def _last(flags: dict[str, list[str]], name: str, default: str) -> str:
    return flags.get(name, [default])[-1]


def _duration(text: str, flag: str) -> float:
    if text.strip() in ("0", "-1"):
        return float(text)
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise FlagError(f"invalid value {text!r} for flag -{flag}: {exc}") from None


def _number(text: str, flag: str, kind: type[int] | type[float]) -> float:
    try:
        return kind(text)
    except ValueError:
        raise FlagError(f"invalid value {text!r} for flag -{flag}: parse error") from None


def _loglevel(flags: dict[str, list[str]]) -> int:
    if _last(flags, "quiet", "false") == "true":
        return LOG_LEVELS["error"]
    name = _last(flags, "loglevel", "info").lower()
    if name not in LOG_LEVELS:
        raise FlagError(f"invalid value {name!r} for flag -loglevel: one of {sorted(LOG_LEVELS)}")
    return LOG_LEVELS[name]


def _headers(flags: dict[str, list[str]]) -> list[tuple[str, str]]:
    out = []
    for raw in flags.get("H", []):
        name, sep, value = raw.partition(":")
        if not sep:
            raise FlagError(f"invalid value {raw!r} for flag -H: expected 'Name: value'")
        out.append((name.strip(), value.strip()))
    return out


def load_options(flags: dict[str, list[str]], url: str) -> LoadOptions:
    percentiles = [
        _number(p, "p", float) for p in _last(flags, "p", "50,75,90,99,99.9").split(",") if p
    ]
    options = LoadOptions(
        url=url,
        connections=int(_number(_last(flags, "c", "4"), "c", int)),
        qps=_number(_last(flags, "qps", "8"), "qps", float),
        exactly=int(_number(_last(flags, "n", "0"), "n", int)),
        duration=_duration(_last(flags, "t", "5s"), "t"),
        timeout=_duration(_last(flags, "timeout", "3s"), "timeout"),
        keepalive=_last(flags, "keepalive", "true") != "false",
        headers=_headers(flags),
        percentiles=percentiles,
        resolution=_number(_last(flags, "r", "0.001"), "r", float),
        loglevel=_loglevel(flags),
        labels=_last(flags, "labels", ""),
    )
    if options.connections < 1:
        raise FlagError("-c must be at least 1")
    if options.exactly <= 0 and options.duration <= 0:
        raise FlagError("-t 0 (run until interrupted) is not supported here: give -n or -t")
    return options


async def load(flags: dict[str, list[str]], url: str) -> int:
    options = load_options(flags, url)
    err = sys.stderr
    if "loglevel" in flags:
        # fortio says so (as an info line, whatever the new level) when -loglevel changes it.
        name = next(k for k, v in LOG_LEVELS.items() if v == options.loglevel).capitalize()
        was = LOG_LEVELS["info"]
        log_json(err, "info", f"Log level is now {options.loglevel} {name} (was {was} Info)")
    # Printed whatever the log level, as fortio prints them (they are output, not log lines).
    err.write("\n".join(header_lines(options)) + "\n")
    result = await run_load(options, err)
    err.write("\n".join(report_lines(result)) + "\n")
    json_to = flags.get("json", [None])[-1]
    if json_to:
        text = json.dumps(to_json(result), indent=2) + "\n"
        if json_to == "-":
            sys.stdout.write(text)
        else:
            Path(json_to).write_text(text)
            err.write(f"Successfully wrote {len(text)} bytes of Json data to {json_to}\n")
    err.flush()
    sys.stdout.flush()
    return 0


async def curl(flags: dict[str, list[str]], url: str) -> int:
    loglevel = _loglevel(flags)
    target = outbound.resolve(url)
    headers = {"User-Agent": f"fortio.org/fortio-{VERSION}", **dict(_headers(flags))}
    timeout = _duration(_last(flags, "timeout", "3s"), "timeout")
    async with (
        aiohttp.ClientSession(
            connector=outbound.connector(),
            timeout=aiohttp.ClientTimeout(total=timeout),
            auto_decompress=False,
        ) as session,
        session.get(
            target.connect_url,
            allow_redirects=False,
            skip_auto_headers=("Accept-Encoding",),
            **outbound.request_kwargs(target, headers),
        ) as resp,
    ):
        body = await resp.read()
        status_line = f"HTTP/{resp.version.major}.{resp.version.minor} {resp.status} {resp.reason}"
        head = [status_line.encode()] + [k + b": " + v for k, v in resp.raw_headers]
        sys.stderr.buffer.write(b"\r\n".join(head) + b"\r\n\r\n")
        sys.stderr.flush()
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    if resp.status != 200:
        if loglevel <= 4:
            summary = body[:512].decode(errors="replace")
            sys.stderr.write(f"Error status {resp.status} : {summary}\n")
        return 1
    return 0


def run(argv: Sequence[str]) -> int:
    if not argv or argv[0] in ("help", "-h", "--help"):
        sys.stderr.write("usage: fortio load|curl|server [flags] [url]\n")
        return 1 if not argv else 0
    if argv[0] == "version":
        print(VERSION)
        return 0
    command, rest = argv[0], argv[1:]
    try:
        flags, args = parse_flags(rest)
        if command == "server":
            from istiotui.local.workloads import fortio_server

            fortio_server.serve(_last(flags, "http-port", "8080"))
            return 0
        if command not in ("load", "curl"):
            raise FlagError(f"unknown command {command!r} (this fortio has load, curl, server)")
        if len(args) != 1:
            raise FlagError(f"fortio {command} needs exactly one url (got {args})")
        url = args[0].strip()
        if command == "load":
            return asyncio.run(load(flags, url))
        return asyncio.run(curl(flags, url))
    except FlagError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    except outbound.OutboundError as exc:
        sys.stderr.write(f"fortio: {exc}\n")
        return 1
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        sys.stderr.write(f"fortio: unable to fetch {rest[-1] if rest else ''}: {exc}\n")
        return 1


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
