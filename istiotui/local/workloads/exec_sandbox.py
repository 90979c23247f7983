"""Where a command run by `kubectl exec` runs: a view of the pod, not of the host.

With bubblewrap (`bwrap`) and unprivileged user namespaces, the command runs in namespaces of
its own — user (as uid/gid 65534, `nobody`, whoever started the cluster, root included), UTS
(its hostname is the pod's name), IPC and PID (it sees only its own processes, which end with
it) — over a root made of read-only binds of what commands need: /usr and the /bin, /sbin, /lib*
links, the basics of /etc, the Python installation and venv the curl/fortio shims run from,
istiotui's own package, the cluster's tools dir (`<state>/bin`) and the CA bundle file; /tmp is
a fresh tmpfs. Nothing else of the host (its home, the state dir, /root, /work…) is there. The
network namespace stays the host's: pods reach each other on their 127.x addresses.

Where bwrap is missing or the kernel refuses user namespaces, the command runs as a process of
the cluster's user on the host (the fallback), limited to what the pod's image provides — a
small allowlist per image, as in a minimal image; anything else is "executable file not found
in $PATH" (exit 127). Its `PATH` holds only those commands. The fallback does not isolate: see
docs/workloads.md.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import istiotui
from istiotui.local.workloads import images

SANDBOX_UID = 65534  # nobody: never root, never the cluster's own user
# What a container's PATH holds in the sandbox, after the tools dir (as an image's ENV PATH).
SANDBOX_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC = (
    "passwd", "group", "hosts", "nsswitch.conf", "resolv.conf", "host.conf", "localtime",
    "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "ssl", "ca-certificates",
    "ca-certificates.conf", "mime.types",
)  # fmt: skip

# The fallback's allowlists: what each image ships (busybox-like basics on the Alpine and Debian
# based images; fortio's image is FROM scratch with fortio alone).
_BASICS = (
    "sh", "env", "sleep", "cat", "ls", "echo", "printf", "hostname", "id", "true", "false",
    "test", "[", "grep", "head", "tail", "wc", "date", "kill", "ps", "sed", "tr", "cut", "sort",
    "uniq", "tee", "xargs", "mkdir", "rm", "touch", "uname", "pwd", "expr", "seq", "timeout",
)  # fmt: skip
IMAGE_COMMANDS: dict[str, frozenset[str]] = {
    "curl": frozenset((*_BASICS, "curl")),
    "fortio": frozenset(("fortio",)),
    "httpbin": frozenset(_BASICS),
    "proxy": frozenset((*_BASICS, "curl", "pilot-agent")),
    "pilot": frozenset((*_BASICS, "pilot-discovery")),
    "bookinfo": frozenset((*_BASICS, "curl")),
}

_usable: dict[str, bool] = {}


def bwrap() -> str | None:
    """bubblewrap on the server's PATH, if the kernel lets it make user namespaces."""
    found = shutil.which("bwrap")
    if found is None:
        return None
    if found not in _usable:
        trial = [found, *_namespaces("probe"), *_system_binds(), "--", "/bin/true"]
        try:
            done = subprocess.run(trial, capture_output=True, timeout=10, check=False)
            _usable[found] = done.returncode == 0
        except (OSError, subprocess.SubprocessError):
            _usable[found] = False
    return found if _usable[found] else None


def _namespaces(hostname: str) -> list[str]:
    return [
        "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
        "--unshare-uts", "--hostname", hostname, "--unshare-ipc", "--unshare-pid",
        "--die-with-parent",
    ]  # fmt: skip


def _system_binds() -> list[str]:
    out: list[str] = []
    for directory in _SYSTEM_DIRS:
        out += ["--ro-bind-try", directory, directory]
    for name in _ETC:
        out += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return [*out, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]


def _python_roots() -> list[Path]:
    """The Python installation and venv the shims run from, and istiotui's package."""
    roots = {Path(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    roots.add(Path(istiotui.__file__).resolve().parent)
    executable = Path(sys.executable)
    roots.add(executable.resolve().parent.parent)  # the interpreter the venv's link points to
    return sorted(roots)


def shown_paths(tools: Path, ca_bundle: Path | None) -> list[Path]:
    """Host paths the sandbox shows (read-only), beyond the system directories."""
    shown = [*_python_roots(), tools]
    if ca_bundle is not None:
        shown.append(ca_bundle)
    return shown


def _visible(path: Path, tools: Path, ca_bundle: Path | None) -> bool:
    roots = [Path(d) for d in _SYSTEM_DIRS] + shown_paths(tools, ca_bundle)
    return any(path == r or r in path.parents for r in roots)


def sandbox_path(tools: Path) -> str:
    return os.pathsep.join([str(tools), *SANDBOX_PATH])


def sandboxed(
    program: str,
    argv: Sequence[str],
    hostname: str,
    tools: Path,
    ca_bundle: Path | None,
    also: Sequence[Path] = (),
) -> list[str]:
    """The bwrap command line that runs `argv` in a sandbox named `hostname`. Raises
    FileNotFoundError when the program is not inside the sandbox's view."""
    first = argv[0]
    if "/" in first:
        found: str | None = first if Path(first).is_file() else None
    else:
        found = shutil.which(first, path=sandbox_path(tools))
    if found is None or not _visible(Path(found), tools, ca_bundle):
        raise FileNotFoundError(first)
    binds: list[str] = []
    for path in shown_paths(tools, ca_bundle):
        binds += ["--ro-bind", str(path), str(path)]
    for path in also:  # what this container's own image would hold (istiod: its outputs)
        binds += ["--ro-bind-try", str(path), str(path)]
    return [
        program, *_namespaces(hostname), *_system_binds(), *binds,
        "--chdir", "/", "--", found, *argv[1:],
    ]  # fmt: skip


def allowed(kind: str) -> frozenset[str]:
    """What the fallback lets run in a container of this implementation kind."""
    return IMAGE_COMMANDS.get(kind.split("-", 1)[0], frozenset(_BASICS))


def fallback_path(root: Path, kind: str, tools: Path) -> Path:
    """`<root>/exec-path/<kind>`: links to the commands the image provides, the fallback's only
    PATH entry (so `sh -c 'python3'` is not found either)."""
    directory = root / "exec-path" / kind.split("-", 1)[0]
    directory.mkdir(parents=True, exist_ok=True)
    for name in allowed(kind):
        link = directory / name
        target = tools / name if (tools / name).exists() else None
        if target is None:
            where = shutil.which(name, path=os.pathsep.join(SANDBOX_PATH))
            target = Path(where) if where else None
        if target is None or link.is_symlink():
            continue
        link.symlink_to(target)
    return directory


def fallback_argv(argv: Sequence[str], kind: str, path: Path) -> list[str]:
    """`argv` with its program found among the image's commands (curl and fortio are this
    project's, by any path); FileNotFoundError otherwise."""
    name = argv[0].rsplit("/", 1)[-1]
    if name not in allowed(kind):
        raise FileNotFoundError(argv[0])
    if name in images.EXEC_TOOLS:
        return images.exec_argv(argv)
    if not (path / name).exists():
        raise FileNotFoundError(argv[0])
    return [str(path / name), *argv[1:]]
