"""The port-forward a step asks the learner to open, read from its own commands.

The lab reaches the mesh from the master node through `kubectl port-forward svc/… L:P`. The app
can hold that tunnel open for the learner (the same port, served through the cluster's API, as
kubectl does it); this module finds which tunnel a step means, and falls back to the lab's way in,
the ingress gateway's `8080:80`.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from istiotui.lab import model as m


@dataclass(frozen=True)
class Tunnel:
    namespace: str
    service: str
    local_port: int
    port: int

    @property
    def command(self) -> str:
        return (
            f"kubectl port-forward svc/{self.service} -n {self.namespace} "
            f"{self.local_port}:{self.port}"
        )

    @property
    def label(self) -> str:
        """Short, for the header line at 80 columns."""
        return f":{self.local_port}→{self.service}:{self.port}"


INGRESS = Tunnel("istio-system", "istio-ingressgateway", 8080, 80)
_PORTS = re.compile(r"^(\d+)(?::(\d+))?$")


def parse(command: str) -> Tunnel | None:
    """A `kubectl port-forward svc/NAME [-n NS] LOCAL[:REMOTE]` command, or None."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if words[:2] != ["kubectl", "port-forward"]:
        return None
    namespace, service, ports = "default", None, None
    rest = iter(words[2:])
    for word in rest:
        if word in ("-n", "--namespace"):
            namespace = next(rest, namespace)
        elif word.startswith("--namespace="):
            namespace = word.split("=", 1)[1]
        elif word.startswith(("svc/", "service/")):
            service = word.split("/", 1)[1]
        elif _PORTS.match(word) and ports is None:
            ports = _PORTS.match(word)
    if service is None or ports is None:
        return None
    local = int(ports.group(1))
    return Tunnel(namespace, service, local, int(ports.group(2) or local))


def for_step(step: m.Step) -> Tunnel:
    """The step's own port-forward when it has one, else the ingress gateway's."""
    for command in step.commands:
        tunnel = parse(command)
        if tunnel is not None:
            return tunnel
    return INGRESS
