"""Memory of a process tree as the kernel accounts it: PSS and RSS per process, and their sums.

RSS counts every page a process maps, so the pages N interpreters share (the Python binary,
shared libraries, the page cache of the same .pyc files) are counted N times; PSS divides each
shared page among the processes that map it, so the PSS of a set of processes sums to what the
set really costs. Both come from /proc/PID/smaps_rollup (Linux ≥ 4.14).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessMemory:
    pid: int
    label: str  # the pod (from its log, or HOSTNAME in its environment) or the command's name
    pss: int  # bytes
    rss: int  # bytes


def descendants(root_pid: int) -> list[int]:
    """The process and all its descendants by parent pid (workloads run in their own sessions
    and process groups, so neither a group nor a session would find them)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name may hold spaces and parentheses: the ppid follows the last ')'.
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _rollup(pid: int) -> tuple[int, int] | None:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:  # gone, or a kernel thread
        return None
    fields = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in ("Pss", "Rss"):
            fields[name] = int(rest.split()[0]) * 1024
    if "Pss" not in fields or "Rss" not in fields:
        return None
    return fields["Pss"], fields["Rss"]


def _label(pid: int) -> str:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    # A forked workload's environment block and command line are its parent's; its log
    # (stdout) names its pod: <root>/logs/<namespace>/<pod>/<container>.log
    try:
        log = Path(os.readlink(f"/proc/{pid}/fd/1"))
    except OSError:
        log = Path()
    if log.suffix == ".log" and log.parent.parent.parent.name == "logs":
        return f"{log.parent.name} ({comm})"
    if b"istiotui.local.workloads.zygote" in cmdline:
        return f"the workloads' parent ({comm})"
    for item in environ:
        if item.startswith(b"HOSTNAME="):
            return f"{item[9:].decode(errors='replace')} ({comm})"
    return comm


def tree_memory(root_pid: int) -> list[ProcessMemory]:
    rows = []
    for pid in descendants(root_pid):
        rollup = _rollup(pid)
        if rollup is not None:
            label = f"{_label(pid)}: the root (pid {pid})" if pid == root_pid else _label(pid)
            rows.append(ProcessMemory(pid, label, *rollup))
    return rows


def report(rows: list[ProcessMemory], per_process: bool = True) -> str:
    mib = 2**20
    lines = []
    if per_process:
        lines.append(f"{'process':<48} {'PSS MiB':>8} {'RSS MiB':>8}")
        for row in sorted(rows, key=lambda r: -r.pss):
            lines.append(f"{row.label[:48]:<48} {row.pss / mib:8.1f} {row.rss / mib:8.1f}")
    pss, rss = sum(r.pss for r in rows), sum(r.rss for r in rows)
    lines.append(
        f"{len(rows)} processes: PSS {pss / mib:.0f} MiB, RSS {rss / mib:.0f} MiB "
        f"(RSS counts shared pages once per process)"
    )
    return "\n".join(lines)
