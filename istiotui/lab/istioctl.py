"""istioctl on a real cluster: where to find it, what an `istioctl` action leaves behind, and
what to tell the learner when it is needed and absent.

The lab's own instructions download Istio into the home folder (`istio-<version>/`) and put its
`bin/` on PATH with an `export` that lasts one shell session; on the lab's VMs that folder is
`/home/vagrant/istio-<version>`. A learner who opened a new shell still has istioctl there, so
it is looked for there after PATH.

What an install leaves is read from the action itself: the IstioOperator files its local
stand-ins apply (the same files istioctl is given) and its `--set profile=…`. Commands that only
read the cluster (`x precheck`, `version`, `analyze`…) leave nothing, so a catch-up has nothing to
redo for them.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from istiotui.lab import model as m
from istiotui.mesh.release import CONTROL_PLANE_PROFILES, ISTIO_VERSION, PROFILE_GATEWAYS

# The lab's download command (its text pins the release the way the script allows).
DOWNLOAD = f"curl -L https://istio.io/downloadIstio | ISTIO_VERSION={ISTIO_VERSION} sh -"
# Where the lab's VMs keep the download, whoever runs istiotui there.
LAB_HOMES = (Path("/home/vagrant"),)
ISTIO_NAMESPACE = "istio-system"
# Subcommands (and their first argument, where it matters) that only read the cluster.
_READ_ONLY = {
    ("x", "precheck"),
    ("experimental", "precheck"),
    ("version",),
    ("analyze",),
    ("proxy-status",),
    ("ps",),
    ("proxy-config",),
    ("pc",),
    ("dashboard",),
    ("verify-install",),
    ("x", "describe"),
}


@dataclass(frozen=True)
class Component:
    """A Deployment an install leaves (istiod, or a gateway), by which it is recognised."""

    name: str
    namespace: str
    role: str  # "control plane" or "gateway"

    def __str__(self) -> str:
        return f"{self.role} {self.namespace}/{self.name}"


def changes_nothing(args: Iterable[str]) -> bool:
    words = tuple(a for a in args if not a.startswith("-"))
    return any(words[: len(ro)] == ro for ro in _READ_ONLY)


def leaves(action: m.Istioctl) -> tuple[Component, ...] | None:
    """What the action leaves in the cluster: () when it only reads, None when it cannot be
    told (then only running it will do)."""
    args = action.args
    if changes_nothing(args):
        return ()
    if not args or args[0] not in ("install", "upgrade"):
        return None
    operators = [
        body
        for stand_in in action.local
        if isinstance(stand_in, m.Apply | m.Create)
        for body in stand_in.manifest.bodies
        if body.get("kind") == "IstioOperator"
    ]
    if "-f" in args and not operators:
        return None  # a file istioctl reads that the lab gave no stand-in for
    profile = _set_value(args, "profile")
    out: list[Component] = []
    specs = [(o.get("spec") or {}) for o in operators] or [{}]
    for spec in specs:
        chosen = profile or spec.get("profile") or "default"
        if chosen in CONTROL_PLANE_PROFILES:
            out.append(Component("istiod", ISTIO_NAMESPACE, "control plane"))
        out += [Component(g, ISTIO_NAMESPACE, "gateway") for g in PROFILE_GATEWAYS.get(chosen, ())]
        out += _gateways(spec)
    return tuple(dict.fromkeys(out))


def _set_value(args: tuple[str, ...], key: str) -> str | None:
    for i, arg in enumerate(args):
        value = args[i + 1] if arg == "--set" and i + 1 < len(args) else arg
        if value.startswith(f"{key}="):
            return value.split("=", 1)[1]
    return None


def _gateways(spec: dict) -> list[Component]:
    components = spec.get("components") or {}
    out = []
    for kind in ("ingressGateways", "egressGateways"):
        for comp in components.get(kind) or []:
            if isinstance(comp, dict) and comp.get("name") and comp.get("enabled") is not False:
                ns = str(comp.get("namespace") or ISTIO_NAMESPACE)
                out.append(Component(str(comp["name"]), ns, "gateway"))
    return out


def resolved_args(action: m.Istioctl) -> tuple[str, ...]:
    """The arguments with each `-f FILE` the lab ships made absolute (its stand-in's file), so
    istioctl finds the file whatever folder istiotui was started from."""
    files = {
        stand_in.manifest.path: str(stand_in.manifest.file)
        for stand_in in action.local
        if isinstance(stand_in, m.Apply | m.Create)
    }
    args = list(action.args)
    for i in range(1, len(args)):
        if args[i - 1] in ("-f", "--filename") and args[i] in files:
            args[i] = files[args[i]]
    return tuple(args)


def mesh_settings(args: Iterable[str]) -> dict[str, Any]:
    """`--set meshConfig.accessLogFile=/dev/stdout` → {"accessLogFile": "/dev/stdout"} (dotted
    keys kept; values typed as istioctl reads them: `true` is a boolean)."""
    out: dict[str, Any] = {}
    args = list(args)
    for i, arg in enumerate(args):
        value = args[i + 1] if arg == "--set" and i + 1 < len(args) else ""
        if value.startswith("meshConfig.") and "=" in value:
            key, raw = value[len("meshConfig.") :].split("=", 1)
            out[key] = yaml.safe_load(raw) if raw else ""
    return out


def mesh_to_set(settings: dict[str, Any], mesh: dict) -> dict[str, Any]:
    """The settings the live mesh config (the `istio` ConfigMap's `mesh`) does not hold yet."""
    return {k: v for k, v in settings.items() if _at(mesh, k) != v}


def with_settings(mesh: dict, settings: dict[str, Any]) -> dict:
    out = copy.deepcopy(mesh)
    for key, value in settings.items():
        *parents, last = key.split(".")
        here = out
        for part in parents:
            child = here.get(part)
            if not isinstance(child, dict):
                child = here[part] = {}
            here = child
        here[last] = value
    return out


def _at(tree: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(tree, dict):
            return None
        tree = tree.get(part)
    return tree


def version_of(deployment: dict) -> str | None:
    """The release tag of a component's image (`1.24.0`)."""
    containers = (((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
        "containers"
    ) or []
    for container in containers:
        image = str(container.get("image", ""))
        if ":" in image.rsplit("/", 1)[-1]:
            return image.rsplit(":", 1)[1]
    return None


def _release_key(path: Path) -> tuple[int, ...]:
    """`…/istio-1.24.0/bin/istioctl` → (1, 24, 0); the lab's own release sorts first."""
    folder = path.parent.parent.name
    if folder == f"istio-{ISTIO_VERSION}":
        return (10**6,)
    return tuple(int(n) for n in re.findall(r"\d+", folder)) or (0,)


def find(path: str | None = None, homes: Iterable[Path] | None = None) -> str | None:
    """istioctl on PATH, else in `istio-*/bin` of the home folder or the VMs' `/home/vagrant`
    (the lab's release first, then the newest)."""
    exe = shutil.which("istioctl", path=path)
    if exe is not None:
        return exe
    for home in homes if homes is not None else (Path.home(), *LAB_HOMES):
        try:
            found = sorted(home.glob("istio-*/bin/istioctl"), key=_release_key, reverse=True)
        except OSError:
            continue
        for candidate in found:
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return None


def missing(step_id: str | None, action: m.Istioctl, what: Iterable[Component] = ()) -> str:
    """The learner's message: which step needs istioctl, why, and the command that gets it."""
    who = f"step {step_id}" if step_id else "this step"
    absent = ", ".join(str(c) for c in what)
    because = f" ({absent} not found)" if absent else ""
    return (
        f"{who} needs istioctl{because} for `istioctl {' '.join(action.args)}` "
        f"({action.source}), and it is not on PATH nor in ~/istio-*/bin or "
        f"/home/vagrant/istio-*/bin. Download it into your home folder with: {DOWNLOAD}"
    )
