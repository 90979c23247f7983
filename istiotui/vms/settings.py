"""settings.yaml, the file both the Vagrantfile and istiotui read to know the lab's machines.

The Vagrantfile's `lab_machines` and `LabSettings.machines` turn the same file into the same
machines; tests/vms compare the two through the Vagrantfile's VAGRANT_LAB_PLAN introspection.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from istiotui.vms.errors import SettingsError

SETTINGS_NAME = "settings.yaml"
MASTER_NAME = "master"
WORKER_PREFIX = "worker"
MAX_WORKERS = 9
# kubeadm's default service network; the Vagrantfile keeps nodes and pods out of it too.
SERVICE_CIDR = ipaddress.IPv4Network("10.96.0.0/12")

# The Vagrantfile's shell provisioners of each role, in the order they run.
ROLE_PROVISIONERS: dict[str, tuple[str, ...]] = {
    "master": ("common", "master", "istiotui"),
    "worker": ("common", "worker"),
}

_BOX = re.compile(r"^[\w.-]+/[\w.-]+$")
_K8S_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_CALICO_TAG = re.compile(r"^v\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class MachineSpec:
    """One VM as settings.yaml defines it."""

    name: str
    role: str
    ip: str
    cpus: int
    memory_mb: int
    provisioners: tuple[str, ...]


@dataclass(frozen=True)
class LabSettings:
    path: Path
    box: str
    box_version: str
    master_ip: str
    pod_cidr: str
    master_cpus: int
    master_memory_mb: int
    worker_count: int
    worker_cpus: int
    worker_memory_mb: int
    kubernetes_version: str
    calico_version: str

    def machines(self) -> tuple[MachineSpec, ...]:
        """The master, then worker1..N on the addresses that follow the master's."""
        master = MachineSpec(
            MASTER_NAME,
            "master",
            self.master_ip,
            self.master_cpus,
            self.master_memory_mb,
            ROLE_PROVISIONERS["master"],
        )
        first = ipaddress.IPv4Address(self.master_ip)
        workers = tuple(
            MachineSpec(
                f"{WORKER_PREFIX}{i}",
                "worker",
                str(first + i),
                self.worker_cpus,
                self.worker_memory_mb,
                ROLE_PROVISIONERS["worker"],
            )
            for i in range(1, self.worker_count + 1)
        )
        return (master, *workers)

    def machine(self, name: str) -> MachineSpec:
        for spec in self.machines():
            if spec.name == name:
                return spec
        known = ", ".join(m.name for m in self.machines())
        raise SettingsError(f"{self.path}: no machine named {name!r} (the lab has {known})")


class _Reader:
    """Looks values up by dotted path and names file:line in every complaint."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        try:
            self.node = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data = yaml.safe_load(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            line = f":{mark.line + 1}" if mark is not None else ""
            raise SettingsError(f"{path}{line}: not valid YAML: {exc.problem}") from exc
        if not isinstance(self.data, dict):
            raise SettingsError(f"{path}:1: must be a mapping of sections (box, network, ...)")

    def _line(self, dotted: str) -> int:
        """The line of the deepest node of `dotted` that exists (1 when nothing does)."""
        node, line = self.node, 1
        for key in dotted.split("."):
            if not isinstance(node, yaml.MappingNode):
                break
            match = next((v for k, v in node.value if k.value == key), None)
            if match is None:
                break
            node, line = match, match.start_mark.line + 1
        return line

    def fail(self, dotted: str, message: str) -> SettingsError:
        return SettingsError(f"{self.path}:{self._line(dotted)}: {dotted}: {message}")

    def get(self, dotted: str) -> Any:
        value: Any = self.data
        for key in dotted.split("."):
            if not isinstance(value, dict) or key not in value:
                raise self.fail(dotted, "is missing")
            value = value[key]
        if value is None:
            raise self.fail(dotted, "is empty")
        return value

    def integer(self, dotted: str, low: int, high: int) -> int:
        value = self.get(dotted)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(dotted, f"must be an integer from {low} to {high}, got {value!r}")
        return value

    def text(self, dotted: str, pattern: re.Pattern[str], what: str) -> str:
        value = str(self.get(dotted))
        if not pattern.match(value):
            raise self.fail(dotted, f"must be {what}, got {value!r}")
        return value


def load_settings(path: Path) -> LabSettings:
    """Read and check settings.yaml; a bad value raises SettingsError naming file:line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read the lab's settings: {exc.strerror}") from exc
    r = _Reader(path, text)
    box = r.text("box.name", _BOX, "a box name like bento/ubuntu-24.04")
    version = (r.data.get("box") or {}).get("version")
    box_version = "" if version is None else str(version)

    try:
        master_ip = ipaddress.IPv4Address(str(r.get("network.master_ip")))
    except ValueError as exc:
        raise r.fail("network.master_ip", f"must be an IPv4 address ({exc})") from exc
    try:
        pod_cidr = ipaddress.IPv4Network(str(r.get("network.pod_cidr")))
    except ValueError as exc:
        raise r.fail("network.pod_cidr", f"must be a CIDR like 172.16.0.0/16 ({exc})") from exc
    kubernetes = r.text("versions.kubernetes", _K8S_VERSION, "a full version like 1.31.12")
    calico = r.text("versions.calico", _CALICO_TAG, "a release tag like v3.29.3")
    count = r.integer("workers.count", 0, MAX_WORKERS)
    last_octet = int(str(master_ip).rsplit(".", 1)[1])
    # .1 is the host's own address on the host-only network VirtualBox creates.
    if last_octet < 2 or last_octet + count > 254:
        message = (
            f"{master_ip} leaves no room for {count} workers after it "
            f"(the master takes .2 to .{254 - count}; .1 is the host's)"
        )
        raise r.fail("network.master_ip", message)
    if pod_cidr.overlaps(SERVICE_CIDR):
        raise r.fail("network.pod_cidr", f"{pod_cidr} overlaps the service network {SERVICE_CIDR}")
    for i in range(count + 1):
        node, ip = (f"{WORKER_PREFIX}{i}" if i else MASTER_NAME), master_ip + i
        if ip in pod_cidr:
            message = f"{pod_cidr} overlaps {node}'s address {ip} (network.master_ip + {i})"
            raise r.fail("network.pod_cidr", message)
        if ip in SERVICE_CIDR:
            message = (
                f"{node}'s address {ip} (network.master_ip + {i}) is inside the service network "
                f"{SERVICE_CIDR}: move it, e.g. to 192.168.56.10"
            )
            raise r.fail("network.master_ip", message)

    return LabSettings(
        path=path,
        box=box,
        box_version=box_version,
        master_ip=str(master_ip),
        pod_cidr=str(pod_cidr),
        master_cpus=r.integer("master.cpus", 2, 64),
        master_memory_mb=r.integer("master.memory_mb", 2048, 262_144),
        worker_count=count,
        worker_cpus=r.integer("workers.cpus", 1, 64),
        worker_memory_mb=r.integer("workers.memory_mb", 1024, 262_144),
        kubernetes_version=kubernetes,
        calico_version=calico,
    )
