"""scripts/lib-cluster.sh run for real in bash on sample input: the edits and checks that decide
whether a first `vagrant up` works (containerd's config and version, Calico's images, the join
file), checked without a VM. The samples are shaped like what containerd, Calico and the API
server print; results are parsed back (TOML, YAML) rather than compared as text."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from vms_helpers import SCRIPTS

PAUSE = "registry.k8s.io/pause:3.10"


def run_lib(body: str, stdin: str = "", *args: str) -> subprocess.CompletedProcess[str]:
    script = (
        "set -euo pipefail\n"
        f'source "{SCRIPTS / "lib.sh"}"\n'
        f'source "{SCRIPTS / "lib-cluster.sh"}"\n'
        f"{body}\n"
    )
    return subprocess.run(
        ["bash", "-c", script, "probe", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )


# -- containerd -------------------------------------------------------------------------------

CONTAINERD_17 = """\
disabled_plugins = []
version = 2

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.8"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
          runtime_type = "io.containerd.runc.v2"
          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
            BinaryName = ""
            SystemdCgroup = false
"""

# containerd 2.x: single quotes, the CRI plugin split in two, and (since 2.1) no SystemdCgroup
# among the runc options it prints.
CONTAINERD_2_WITHOUT_KEY = """\
version = 3
root = '/var/lib/containerd'

[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'

    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = 'registry.k8s.io/pause:3.10'

  [plugins.'io.containerd.cri.v1.runtime']
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'

      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes]
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
          runtime_type = 'io.containerd.runc.v2'
          sandboxer = 'podsandbox'

          [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
            BinaryName = ''
            ShimCgroup = ''
"""
_SHIM = "            ShimCgroup = ''\n"
CONTAINERD_2_WITH_KEY = CONTAINERD_2_WITHOUT_KEY.replace(
    _SHIM, _SHIM + "            SystemdCgroup = false\n"
)


def _runc(config: dict, schema: int) -> dict:
    if schema == 2:
        cri = config["plugins"]["io.containerd.grpc.v1.cri"]
        return cri["containerd"]["runtimes"]["runc"]
    return config["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]["runc"]


@pytest.mark.parametrize(
    ("default", "schema"),
    [(CONTAINERD_17, 2), (CONTAINERD_2_WITH_KEY, 3), (CONTAINERD_2_WITHOUT_KEY, 3)],
    ids=["containerd-1.7", "containerd-2-with-key", "containerd-2-without-key"],
)
def test_containerd_gets_systemd_cgroups_and_kubeadms_pause_image_in_its_own_schema(
    default: str, schema: int
) -> None:
    result = run_lib("lab_containerd_config", default)
    assert result.returncode == 0, result.stderr
    config = tomllib.loads(result.stdout)  # still valid TOML, no table defined twice
    assert config["version"] == schema
    runc = _runc(config, schema)
    assert runc["options"]["SystemdCgroup"] is True
    assert runc["runtime_type"] == "io.containerd.runc.v2"  # the rest kept as it was
    if schema == 2:
        assert config["plugins"]["io.containerd.grpc.v1.cri"]["sandbox_image"] == PAUSE
    else:
        images = config["plugins"]["io.containerd.cri.v1.images"]
        assert images["pinned_images"]["sandbox"] == PAUSE
        assert runc["sandboxer"] == "podsandbox"
    # Applying it again changes nothing (the provisioner is re-run on `vagrant provision`).
    again = run_lib("lab_containerd_config", result.stdout)
    assert again.returncode == 0 and again.stdout == result.stdout


def test_a_containerd_config_schema_the_lab_does_not_know_is_refused() -> None:
    result = run_lib("lab_containerd_config", "root = '/var/lib/containerd'\n")
    assert result.returncode == 1
    assert "schema version 'none'" in result.stderr


@pytest.mark.parametrize(
    ("output", "version", "supported"),
    [
        ("containerd github.com/containerd/containerd 1.7.24", "1.7.24", True),
        ("containerd github.com/containerd/containerd 1.7.20 ", "1.7.20", True),
        ("containerd github.com/containerd/containerd 1.7.12", "1.7.12", False),
        ("containerd github.com/containerd/containerd/v2 v2.0.4 1a43cb6a", "2.0.4", True),
        ("containerd containerd.io v1.6.33 d2d58213", "1.6.33", False),
    ],
)
def test_containerds_version_is_read_and_held_to_what_kubernetes_131_needs(
    output: str, version: str, supported: bool
) -> None:
    result = run_lib(
        'v="$(lab_containerd_version "$1")"; echo "$v"; '
        'if lab_containerd_supported "$v"; then echo yes; else echo no; fi',
        "",
        output,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [version, "yes" if supported else "no"]


def test_version_comparison_is_numeric_part_by_part() -> None:
    pairs = [("1.7.20", "1.7.20"), ("1.10.0", "1.9.9"), ("2.0.0", "1.7.99"), ("1.7.3", "1.7.20")]
    body = "\n".join(
        f"if lab_version_at_least {have} {need}; then echo y; else echo n; fi"
        for have, need in pairs
    )
    assert run_lib(body).stdout.split() == ["y", "y", "y", "n"]


# -- Calico -----------------------------------------------------------------------------------

CALICO_SAMPLE = """\
kind: DaemonSet
apiVersion: apps/v1
metadata:
  name: calico-node
  namespace: kube-system
spec:
  template:
    spec:
      initContainers:
        - name: install-cni
          image: docker.io/calico/cni:v3.29.3
      containers:
        - name: calico-node
          image: docker.io/calico/node:v3.29.3
          env:
            - name: IP
              value: "autodetect"
            # - name: CALICO_IPV4POOL_CIDR
            #   value: "192.168.0.0/16"
            - name: CALICO_IPV4POOL_IPIP
              value: "Always"
---
kind: Deployment
apiVersion: apps/v1
metadata:
  name: calico-kube-controllers
  namespace: kube-system
spec:
  template:
    spec:
      containers:
        - name: calico-kube-controllers
          image: "docker.io/calico/kube-controllers:v3.29.3"
"""


def _images(docs: list[dict]) -> list[str]:
    found = []
    for doc in docs:
        spec = doc["spec"]["template"]["spec"]
        for key in ("initContainers", "containers"):
            found += [c["image"] for c in spec.get(key, [])]
    return found


def test_calicos_manifest_takes_its_images_from_quay_and_the_labs_pool_and_interface() -> None:
    result = run_lib(
        'lab_calico_manifest "$1" "$2"', CALICO_SAMPLE, "172.16.0.0/16", "192.168.56.10"
    )
    assert result.returncode == 0, result.stderr
    docs = list(yaml.safe_load_all(result.stdout))
    assert _images(docs) == [
        "quay.io/calico/cni:v3.29.3",
        "quay.io/calico/node:v3.29.3",
        "quay.io/calico/kube-controllers:v3.29.3",
    ]
    node = docs[0]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in node["env"]}
    assert env["CALICO_IPV4POOL_CIDR"] == "172.16.0.0/16"
    assert env["IP_AUTODETECTION_METHOD"] == "can-reach=192.168.56.10"
    assert env["IP"] == "autodetect" and env["CALICO_IPV4POOL_IPIP"] == "Always"


def test_a_calico_manifest_with_images_it_cannot_move_to_quay_is_refused() -> None:
    sample = CALICO_SAMPLE.replace("docker.io/calico/node:", "docker.io/tigera/node:")
    result = run_lib('lab_calico_manifest "$1" "$2"', sample, "172.16.0.0/16", "192.168.56.10")
    assert result.returncode == 1
    assert "still names images outside quay.io" in result.stderr
    assert "docker.io/tigera/node" in result.stderr


# -- the join file ----------------------------------------------------------------------------


def _ca() -> tuple[str, str]:
    """A CA certificate as kubeconfig carries it (base64 PEM) and kubeadm's hash of it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(pem).decode(), hashlib.sha256(spki).hexdigest()


def _cluster_info(ca_b64: str, token_ids: list[str]) -> str:
    """kube-public/cluster-info as the API server returns it to an anonymous GET."""
    kubeconfig = (
        "apiVersion: v1\nclusters:\n- cluster:\n"
        f"    certificate-authority-data: {ca_b64}\n"
        '    server: https://192.168.56.10:6443\n  name: ""\n'
        'contexts: null\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n'
    )
    data = {"kubeconfig": kubeconfig}
    data |= {f"jws-kubeconfig-{t}": "eyJhbGciOiJIUzI1NiIsImtpZCI6In0..sig" for t in token_ids}
    return json.dumps(
        {
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "metadata": {"name": "cluster-info", "namespace": "kube-public"},
            "data": data,
        }
    )


def _join(token: str, ca_hash: str) -> str:
    return (
        "#!/usr/bin/env bash\n"
        f"kubeadm join 192.168.56.10:6443 --token {token} "
        f"--discovery-token-ca-cert-hash sha256:{ca_hash} \n"
    )


def _problem(join: str, info: str) -> subprocess.CompletedProcess[str]:
    return run_lib('lab_join_problem "$1" "$2"', "", join, info)


def test_a_join_command_of_this_master_passes() -> None:
    ca, ca_hash = _ca()
    result = _problem(_join("abcdef.0123456789abcdef", ca_hash), _cluster_info(ca, ["abcdef"]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_a_join_command_of_an_earlier_master_is_named_as_such() -> None:
    old_ca, old_hash = _ca()
    new_ca, _ = _ca()
    join = _join("abcdef.0123456789abcdef", old_hash)
    result = _problem(join, _cluster_info(new_ca, ["abcdef"]))
    assert result.returncode == 1
    assert "written for another master" in result.stdout
    assert _problem(join, _cluster_info(old_ca, ["abcdef"])).returncode == 0


def test_a_join_command_whose_token_the_master_dropped_is_named_as_such() -> None:
    ca, ca_hash = _ca()
    result = _problem(_join("abcdef.0123456789abcdef", ca_hash), _cluster_info(ca, ["zyxwvu"]))
    assert result.returncode == 1
    assert "token abcdef.* is no longer known to the master" in result.stdout


def test_a_file_that_is_no_join_command_is_named_as_such() -> None:
    ca, _ = _ca()
    result = _problem("#!/usr/bin/env bash\n", _cluster_info(ca, ["abcdef"]))
    assert result.returncode == 1 and "holds no kubeadm token" in result.stdout


# -- failures that must not stop `vagrant up` -------------------------------------------------


def test_lab_nonfatal_turns_a_failure_into_a_warning_with_the_retry_command() -> None:
    retry = "vagrant provision master --provision-with istiotui"
    result = run_lib(f'lab_nonfatal "{retry}"\nfalse\necho unreachable')
    assert result.returncode == 0
    assert "unreachable" not in result.stdout
    assert "warning: failed (exit 1)" in result.stderr
    assert "Retry with: vagrant provision master --provision-with istiotui" in result.stderr
    ok = run_lib('lab_nonfatal "retry"\necho fine')
    assert ok.returncode == 0 and ok.stdout == "fine\n" and ok.stderr == ""


def test_install_istiotui_failing_lets_vagrant_go_on_and_says_how_to_retry(tmp_path: Path) -> None:
    # A project folder that is not there: the script stops before any download, as root or not.
    result = subprocess.run(
        ["bash", str(SCRIPTS / "install-istiotui.sh")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PROJECT_DIR": str(tmp_path / "missing")},
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "error:" in result.stderr
    assert "Retry with: vagrant provision master --provision-with istiotui" in result.stderr
