"""kubectl 1.32 runs the lab's commands against the local API server and prints what it prints on
a real cluster. Skipped (with the reason) where kubectl is not installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from local_api_helpers import MANIFESTS, Server, wait_for

KUBECTL = shutil.which("kubectl")
LAB_BOOKINFO = (
    Path(__file__).resolve().parents[2]
    / "scenarios/manifests/samples/bookinfo/platform/kube/bookinfo.yaml"
)

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")


def _version_ok() -> bool:
    if KUBECTL is None:
        return False
    out = subprocess.run([KUBECTL, "version", "--client"], capture_output=True, text=True).stdout
    m = re.search(r"v1\.(\d+)", out)
    return bool(m) and int(m.group(1)) >= 30


needs_new_kubectl = pytest.mark.skipif(
    not _version_ok(), reason="needs kubectl ≥ 1.30 (server-side validation via OpenAPI v3)"
)


@pytest.fixture(scope="module")
def kubectl(server: Server, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("kubectl-home")
    env = {
        "KUBECONFIG": str(server.kubeconfig),
        "HOME": str(home),
        "KUBECACHEDIR": str(home / "cache"),
        "PATH": "/usr/bin:/bin",
    }

    def run(
        *args: str, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        assert KUBECTL is not None
        proc = subprocess.run(
            [KUBECTL, *args], capture_output=True, text=True, env=env, timeout=60, input=stdin
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed:\n{proc.stderr}")
        return proc

    return run


def _table(text: str) -> tuple[list[str], list[list[str]]]:
    """kubectl's columns: split on runs of two or more spaces."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    split = [re.split(r"\s{2,}", ln.strip()) for ln in lines]
    return split[0], split[1:]


@pytest.fixture(scope="module")
def bookinfo(kubectl) -> str:  # type: ignore[no-untyped-def]
    assert kubectl("create", "ns", "bookinfo").stdout == "namespace/bookinfo created\n"
    out = kubectl("label", "namespace", "bookinfo", "istio-injection=enabled").stdout
    assert out == "namespace/bookinfo labeled\n"
    return "bookinfo"


@needs_new_kubectl
def test_namespaces_with_the_injection_label(kubectl, bookinfo: str) -> None:  # type: ignore[no-untyped-def]
    header, rows = _table(kubectl("get", "namespace", "-L", "istio-injection").stdout)
    assert header == ["NAME", "STATUS", "AGE", "ISTIO-INJECTION"]
    row = next(r for r in rows if r[0] == "bookinfo")
    assert row[1] == "Active" and row[3] == "enabled"
    assert re.fullmatch(r"\d+s", row[2])
    default = next(r for r in rows if r[0] == "default")
    assert len(default) == 3  # no label, empty column


@needs_new_kubectl
def test_apply_client_side_then_server_side(kubectl, bookinfo: str) -> None:  # type: ignore[no-untyped-def]
    manifest = str(MANIFESTS / "bookinfo.yaml")
    first = kubectl("apply", "-f", manifest, "-n", bookinfo).stdout.splitlines()
    assert "service/reviews created" in first
    assert "serviceaccount/bookinfo-reviews created" in first
    assert "deployment.apps/reviews-v2 created" in first
    again = kubectl("apply", "-f", manifest, "-n", bookinfo).stdout.splitlines()
    assert all(line.endswith(" unchanged") for line in again), again
    ssa = kubectl("apply", "--server-side", "-f", manifest, "-n", bookinfo).stdout.splitlines()
    assert all(line.endswith(" serverside-applied") for line in ssa), ssa
    assert len(ssa) == len(first) == 14

    def all_ready() -> list[list[str]] | None:
        header, rows = _table(kubectl("get", "pods", "-n", bookinfo).stdout)
        assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
        return (
            rows
            if len(rows) == 6 and all(r[1:4] == ["2/2", "Running", "0"] for r in rows)
            else None
        )

    rows = wait_for(all_ready, "six bookinfo pods 2/2 Running")
    names = sorted(r[0] for r in rows)
    assert [re.sub(r"-[a-z0-9]{10}-[a-z0-9]{5}$", "", n) for n in names] == [
        "details-v1",
        "productpage-v1",
        "ratings-v1",
        "reviews-v1",
        "reviews-v2",
        "reviews-v3",
    ]
    header, rows = _table(kubectl("get", "deployments", "-n", bookinfo).stdout)
    assert header == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert all(r[1:4] == ["1/1", "1", "1"] for r in rows)
    header, rows = _table(kubectl("get", "services", "-n", bookinfo).stdout)
    assert header == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert all(r[1] == "ClusterIP" and r[3] == "<none>" and r[4] == "9080/TCP" for r in rows)


@needs_new_kubectl
def test_changed_manifest_rolls_pods(kubectl, bookinfo: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kubectl("apply", "-f", str(MANIFESTS / "bookinfo.yaml"), "-n", bookinfo)
    text = (
        (MANIFESTS / "bookinfo.yaml").read_text().replace("reviews-v3:1.20.2", "reviews-v3:1.20.3")
    )
    changed = tmp_path / "bookinfo.yaml"
    changed.write_text(text)
    out = kubectl("apply", "-f", str(changed), "-n", bookinfo).stdout.splitlines()
    assert [ln for ln in out if not ln.endswith("unchanged")] == [
        "deployment.apps/reviews-v3 configured"
    ]
    image = kubectl(
        "get",
        "deploy",
        "reviews-v3",
        "-n",
        bookinfo,
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}",
    ).stdout
    assert image == "docker.io/istio/examples-bookinfo-reviews-v3:1.20.3"

    def rolled() -> bool:
        pods = yaml.safe_load(
            kubectl("get", "pods", "-n", bookinfo, "-l", "version=v3", "-o", "yaml").stdout
        )
        images = [p["spec"]["containers"][0]["image"] for p in pods["items"]]
        return images == ["docker.io/istio/examples-bookinfo-reviews-v3:1.20.3"]

    wait_for(rolled, "the reviews-v3 pod to be replaced")


@needs_new_kubectl
def test_istio_objects_listed_and_shown(kubectl, bookinfo: str) -> None:  # type: ignore[no-untyped-def]
    out = kubectl("apply", "-f", str(MANIFESTS / "networking.yaml"), "-n", bookinfo).stdout
    assert "virtualservice.networking.istio.io/reviews created" in out
    # A changed manifest applied server-side over a client-side apply: no conflict (kubectl and
    # the API server hand the fields over, as on a real cluster).
    changed = (MANIFESTS / "networking.yaml").read_text().replace("weight: 50", "weight: 40", 1)
    changed = changed.replace("weight: 50", "weight: 60", 1)
    ssa = kubectl("apply", "--server-side", "-f", "-", "-n", bookinfo, stdin=changed).stdout
    assert "virtualservice.networking.istio.io/reviews serverside-applied" in ssa
    jsonpath = "jsonpath={.spec.http[0].route[*].weight}"
    assert kubectl("get", "vs", "reviews", "-n", bookinfo, "-o", jsonpath).stdout == "40 60"
    out = kubectl(
        "apply", "--server-side", "-f", str(MANIFESTS / "networking.yaml"), "-n", bookinfo
    ).stdout
    assert "destinationrule.networking.istio.io/reviews serverside-applied" in out
    assert kubectl("get", "vs", "reviews", "-n", bookinfo, "-o", jsonpath).stdout == "50 50"
    text = kubectl("get", "virtualservice,destinationrule,gateway", "-A").stdout
    blocks = text.strip().split("\n\n")
    assert len(blocks) == 3
    header, rows = _table(blocks[0])
    assert header == ["NAMESPACE", "NAME", "GATEWAYS", "HOSTS", "AGE"]
    assert rows[0][:4] == [
        "bookinfo",
        "virtualservice.networking.istio.io/bookinfo",
        '["bookinfo-gateway"]',
        '["*"]',
    ]
    header, rows = _table(blocks[1])
    assert header == ["NAMESPACE", "NAME", "HOST", "AGE"]
    assert rows[0][:3] == ["bookinfo", "destinationrule.networking.istio.io/reviews", "reviews"]
    header, rows = _table(blocks[2])
    assert header == ["NAMESPACE", "NAME", "AGE"]
    assert rows[0][:2] == ["bookinfo", "gateway.networking.istio.io/bookinfo-gateway"]

    shown = yaml.safe_load(kubectl("get", "destinationrules", "-n", bookinfo, "-o", "yaml").stdout)
    assert shown["kind"] == "List"
    (dr,) = shown["items"]
    assert dr["apiVersion"] == "networking.istio.io/v1" and dr["kind"] == "DestinationRule"
    assert [s["name"] for s in dr["spec"]["subsets"]] == ["v1", "v2", "v3"]
    assert "managedFields" not in dr["metadata"]


@needs_new_kubectl
def test_delete_and_logs(kubectl, server: Server, bookinfo: str) -> None:  # type: ignore[no-untyped-def]
    kubectl("apply", "-f", str(MANIFESTS / "httpbin.yaml"), "-n", bookinfo)
    out = kubectl("delete", "virtualservice", "httpbin", "-n", bookinfo).stdout
    assert out == 'virtualservice.networking.istio.io "httpbin" deleted\n'
    missing = kubectl("get", "virtualservice", "httpbin", "-n", bookinfo, check=False)
    assert missing.returncode == 1
    expected = (
        'Error from server (NotFound): virtualservices.networking.istio.io "httpbin" not found\n'
    )
    assert missing.stderr == expected

    def pod_name() -> str:
        return kubectl(
            "get", "pods", "-n", bookinfo, "-l", "app=httpbin", "-o", "name"
        ).stdout.strip()

    pod = wait_for(pod_name, "the httpbin pod").split("/", 1)[1]
    wait_for(lambda: "2/2" in kubectl("get", "pod", pod, "-n", bookinfo).stdout, "httpbin 2/2")
    log = server.state.logs / bookinfo / pod / "httpbin.log"
    log.write_text('127.0.0.1 - - "GET /headers HTTP/1.1" 200\n')
    out = kubectl("logs", "deploy/httpbin-v1", "-c", "httpbin", "-n", bookinfo).stdout
    assert out == '127.0.0.1 - - "GET /headers HTTP/1.1" 200\n'
    # Without -c kubectl picks the app container, as the injector's annotation says.
    assert kubectl("logs", "deploy/httpbin-v1", "-n", bookinfo).stdout == out


@needs_new_kubectl
def test_the_labs_own_bookinfo_manifest(kubectl) -> None:  # type: ignore[no-untyped-def]
    kubectl("create", "ns", "lab-bookinfo")
    out = kubectl("apply", "-f", str(LAB_BOOKINFO), "-n", "lab-bookinfo").stdout
    assert "deployment.apps/reviews-v3 created" in out
    assert kubectl("apply", "-f", str(LAB_BOOKINFO), "-n", "lab-bookinfo").stdout.count(
        "unchanged"
    ) == len(out.splitlines())
    kubectl("delete", "ns", "lab-bookinfo")


@needs_new_kubectl
def test_strict_decoding_error_names_the_custom_resource(kubectl, bookinfo: str) -> None:  # type: ignore[no-untyped-def]
    typo = (
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\n"
        "metadata: {name: reviews-typo}\nspec:\n  host: reviews\n  subset: v1\n"
    )
    proc = kubectl("apply", "-f", "-", "-n", bookinfo, stdin=typo, check=False)
    assert proc.returncode == 1
    assert proc.stderr == (
        'Error from server (BadRequest): error when creating "STDIN": DestinationRule in version '
        '"v1" cannot be handled as a DestinationRule: strict decoding error: unknown field '
        '"spec.subset"\n'
    )
    missing = kubectl("get", "destinationrule", "reviews-typo", "-n", bookinfo, check=False)
    assert missing.returncode == 1  # nothing was stored


@needs_new_kubectl
def test_describe_an_injected_pod(kubectl, bookinfo: str) -> None:  # type: ignore[no-untyped-def]
    kubectl("apply", "-f", str(MANIFESTS / "httpbin.yaml"), "-n", bookinfo)

    def pod_name() -> str:
        return kubectl(
            "get", "pods", "-n", bookinfo, "-l", "app=httpbin", "-o", "name"
        ).stdout.strip()

    pod = wait_for(pod_name, "the httpbin pod").split("/", 1)[1]
    wait_for(lambda: "2/2" in kubectl("get", "pod", pod, "-n", bookinfo).stdout, "httpbin 2/2")
    text = kubectl("describe", "pod", pod, "-n", bookinfo).stdout
    init = text.split("Init Containers:", 1)[1].split("\nContainers:", 1)[0]
    assert "istio-init:" in init and "Reason:       Completed" in init
    assert "0001-01-01" not in text  # the zero time kubectl prints for a missing timestamp
    started = re.search(r"Started:\s+(.+)\n\s+Finished:\s+(.+)\n", init)
    assert started is not None and started.group(1).strip() == started.group(2).strip()
    assert re.search(r"^QoS Class:\s+Burstable$", text, re.M), text
    volumes = text.split("\nVolumes:\n", 1)[1].split("\nQoS Class:", 1)[0]
    for name in ("workload-socket", "credential-socket", "workload-certs", "istio-envoy",
                 "istio-data", "istio-podinfo", "istio-token", "istiod-ca-cert"):  # fmt: skip
        assert f"  {name}:\n" in volumes, name
    annotation = json.loads(kubectl("get", "pod", pod, "-n", bookinfo, "-o",
                                    "jsonpath={.metadata.annotations.sidecar\\.istio\\.io/status}"
                                    ).stdout)  # fmt: skip
    assert annotation["volumes"] == [
        "workload-socket", "credential-socket", "workload-certs", "istio-envoy", "istio-data",
        "istio-podinfo", "istio-token", "istiod-ca-cert",
    ]  # fmt: skip
    events = text.split("\nEvents:\n", 1)[1]
    reasons = [line.split()[1] for line in events.splitlines()[2:] if line.strip()]
    assert reasons[0] == "Scheduled"
    for reason in ("Pulled", "Created", "Started"):
        assert reason in reasons, events
    for container in ("istio-init", "httpbin", "istio-proxy"):
        assert f"Created container: {container}" in events
        assert f"Started container {container}" in events
