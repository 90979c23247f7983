"""scripts/reset-lab.sh run for real, with the real kubectl, against istiotui's embedded local
cluster (a Kubernetes API with Istio's kinds): it removes the lab's objects, keeps the rest, and
a second run changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from vms_helpers import SCRIPTS

pytestmark = pytest.mark.slow

LAB_OBJECTS = """
apiVersion: v1
kind: Namespace
metadata: {name: bookinfo, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Service
metadata: {name: details, namespace: bookinfo}
spec: {selector: {app: details}, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: httpbin, namespace: default}
---
apiVersion: v1
kind: Service
metadata: {name: httpbin, namespace: default}
spec: {selector: {app: httpbin}, ports: [{name: http, port: 8000, targetPort: 8080}]}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: curl, namespace: default}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: curl, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: curl}}
  template:
    metadata: {labels: {app: curl}}
    spec:
      serviceAccountName: curl
      containers: [{name: curl, image: curlimages/curl, command: ["/bin/sleep", "infinity"]}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: httpbin-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin, namespace: default}
spec:
  hosts: ["*"]
  gateways: [httpbin-gateway]
  http: [{route: [{destination: {host: httpbin, port: {number: 8000}}}]}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: egressgateway-for-cnn, namespace: default}
spec: {host: istio-egressgateway.istio-system.svc.cluster.local, subsets: [{name: cnn}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: cnn, namespace: default}
spec:
  hosts: [edition.cnn.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: v1
kind: Service
metadata: {name: not-from-the-lab, namespace: default}
spec: {selector: {app: other}, ports: [{name: http, port: 80}]}
"""

# What `kubectl apply -f samples/addons` would leave: stand-ins written here, in istio-system.
ADDON = """
apiVersion: v1
kind: Service
metadata: {name: kiali, namespace: istio-system}
spec: {selector: {app: kiali}, ports: [{name: http, port: 20001}]}
"""


@pytest.fixture(scope="module")
def kube_env(tmp_path_factory: pytest.TempPathFactory, start_local_cluster) -> dict[str, str]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    # The script only talks to the API: no data plane needed.
    cluster = start_local_cluster("reset-lab-cluster", data_plane=False)
    home = tmp_path_factory.mktemp("home")
    return {
        **os.environ,
        "KUBECONFIG": str(cluster.kubeconfig),
        "KUBECACHEDIR": str(home / "kube-cache"),
        "HOME": str(home),
    }


def _kubectl(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        ["kubectl", *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _names(env: dict[str, str], kinds: str, namespace: str) -> set[str]:
    listed = json.loads(_kubectl(env, "get", kinds, "-n", namespace, "-o", "json"))
    return {f"{i['kind']}/{i['metadata']['name']}" for i in listed["items"]}


def test_reset_lab_removes_the_labs_objects_and_keeps_the_rest(kube_env: dict[str, str]) -> None:
    _kubectl(kube_env, "apply", "-f", "-", stdin=LAB_OBJECTS)
    _kubectl(kube_env, "label", "namespace", "default", "istio-injection=enabled")
    addons = Path(kube_env["HOME"]) / "istio-1.24.0" / "samples" / "addons"
    addons.mkdir(parents=True)
    (addons / "kiali.yaml").write_text(ADDON)
    _kubectl(kube_env, "apply", "-f", str(addons))
    lab_workloads = {"Deployment/curl", "ServiceAccount/curl", "ServiceAccount/httpbin"}
    assert lab_workloads <= _names(kube_env, "deployments,serviceaccounts", "default")

    for run in (1, 2):  # the second run finds nothing to do and must not fail
        result = subprocess.run(
            ["bash", str(SCRIPTS / "reset-lab.sh")],
            capture_output=True,
            text=True,
            env=kube_env,
            timeout=300,
        )
        assert result.returncode == 0, f"run {run}: {result.stdout}{result.stderr}"
        assert "[lab] reset-lab 4/4:" in result.stdout

        namespaces = _kubectl(kube_env, "get", "namespaces", "-o", "name").split()
        assert "namespace/bookinfo" not in namespaces
        assert "namespace/istio-system" in namespaces
        istio_kinds = "gateways,virtualservices,destinationrules,serviceentries"
        assert _names(kube_env, istio_kinds, "default") == set()
        assert not lab_workloads & _names(kube_env, "deployments,serviceaccounts", "default")
        assert _names(kube_env, "services", "default") == {
            "Service/kubernetes",
            "Service/not-from-the-lab",
        }
        assert "Service/kiali" not in _names(kube_env, "services", "istio-system")
        labels = json.loads(_kubectl(kube_env, "get", "namespace", "default", "-o", "json"))
        assert "istio-injection" not in labels["metadata"].get("labels", {})
