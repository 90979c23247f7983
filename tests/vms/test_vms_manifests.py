"""istio-manifests/: the lab's two IstioOperator files."""

from __future__ import annotations

import pytest
import yaml
from vms_helpers import ROOT


@pytest.mark.parametrize(
    ("file", "component", "gateway", "label"),
    [
        ("ingress.yaml", "ingressGateways", "istio-ingressgateway", "ingressgateway"),
        ("egress.yaml", "egressGateways", "istio-egressgateway", "egressgateway"),
    ],
)
def test_istio_operator_installs_one_gateway_on_an_empty_profile(
    file: str, component: str, gateway: str, label: str
) -> None:
    docs = list(yaml.safe_load_all((ROOT / "istio-manifests" / file).read_text(encoding="utf-8")))
    assert len(docs) == 1
    iop = docs[0]
    assert (iop["apiVersion"], iop["kind"]) == ("install.istio.io/v1alpha1", "IstioOperator")
    spec = iop["spec"]
    assert spec["profile"] == "empty"
    assert set(spec["components"]) == {component}
    (gw,) = spec["components"][component]
    assert gw == {
        "name": gateway,
        "namespace": "istio-system",
        "enabled": True,
        "label": {"istio": label},
    }
    assert spec["values"]["gateways"][gateway]["injectionTemplate"] == "gateway"


def test_each_install_has_its_own_name() -> None:
    # istioctl prunes by the IstioOperator's name: a shared (or empty) one would delete the
    # other install's objects.
    files = [ROOT / "istio-manifests" / f for f in ("ingress.yaml", "egress.yaml")]
    names = [yaml.safe_load(f.read_text(encoding="utf-8"))["metadata"]["name"] for f in files]
    assert all(names) and len(set(names)) == 2


@pytest.mark.parametrize("file", ["ingress.yaml", "egress.yaml"])
def test_the_projects_istio_schema_accepts_them_without_unknown_fields(file: str) -> None:
    from istiotui.mesh.validation import validate

    iop = yaml.safe_load((ROOT / "istio-manifests" / file).read_text(encoding="utf-8"))
    result = validate(iop)
    assert (result.errors, result.unknown_fields) == ([], [])
