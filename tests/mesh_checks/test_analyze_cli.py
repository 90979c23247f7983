"""`istiotui analyze FILES…`: findings with file:line, exit status by severity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from istiotui.cli.main import main

VS_WITHOUT_DR = """\
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: bookinfo}
spec:
  selector: {app: reviews}
  ports: [{port: 9080, name: http}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: bookinfo
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
"""

SPLIT_60 = """\
apiVersion: v1
kind: Service
metadata: {name: reviews}
spec:
  selector: {app: reviews}
  ports: [{port: 9080, name: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1}
spec:
  selector: {matchLabels: {app: reviews, version: v1}}
  template:
    metadata: {labels: {app: reviews, version: v1}}
    spec: {containers: [{name: reviews, image: x}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 30
    - destination: {host: reviews, subset: v1}
      weight: 30
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "objects.yaml"
    path.write_text(text)
    return path


def test_error_exits_79_and_names_file_line_and_field(tmp_path, capsys) -> None:
    path = write(tmp_path, VS_WITHOUT_DR)
    assert main(["analyze", str(path), "--lang", "en"]) == 79
    out = capsys.readouterr().out
    assert "Error [IT0101] (VirtualService bookinfo/reviews " in out
    assert "spec.http[0].route[0].destination.subset" in out
    assert f"{path}:8:" in out


def test_threshold_decides_the_exit_status(tmp_path, capsys) -> None:
    path = write(tmp_path, SPLIT_60)
    assert main(["analyze", str(path), "--lang", "en"]) == 0
    assert "Info [IT0117]" in capsys.readouterr().out
    assert main(["analyze", str(path), "--failure-threshold", "info", "--lang", "en"]) == 79


def test_clean_files_say_so_in_the_chosen_language(tmp_path, capsys) -> None:
    path = write(tmp_path, SPLIT_60.split("---")[0])
    assert main(["analyze", str(path), "--lang", "es"]) == 0
    assert "Sin problemas" in capsys.readouterr().out


@pytest.mark.parametrize("text", ["kind: [unclosed\n", "apiVersion: v1\nkind: Service\n"])
def test_unreadable_input_exits_2_with_file_and_line(tmp_path, capsys, text: str) -> None:
    path = write(tmp_path, text)
    assert main(["analyze", str(path)]) == 2
    assert f"{path}:" in capsys.readouterr().err


def test_a_malformed_object_is_named_not_analysed(tmp_path, capsys) -> None:
    path = write(
        tmp_path,
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
        "metadata: {name: reviews}\nspec:\n  hosts: 5\n",
    )
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:1: VirtualService reviews: spec.hosts:" in err


REPO = Path(__file__).resolve().parents[2]
BOOKINFO = REPO / "scenarios/manifests/samples/bookinfo"


def test_the_labs_first_gateway_is_no_false_alarm(capsys) -> None:
    gateway = BOOKINFO / "networking/bookinfo-gateway.yaml"
    app = BOOKINFO / "platform/kube/bookinfo.yaml"
    assert main(["analyze", str(gateway), str(app), "--lang", "en"]) == 0
    assert capsys.readouterr().out.strip() == "✔ No problems found."


def test_sample_variants_are_analysed_as_alternatives_and_said_so(capsys) -> None:
    argv = ["analyze", str(BOOKINFO / "networking"), str(BOOKINFO / "platform/kube"), "-o", "json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["variants"]["how"] == "alternatives-in-order"
    assert len(data["variants"]["alternatives"]) == 9
    assert data["variants"]["objects"] == [
        "VirtualService default/ratings",
        "VirtualService default/reviews",
    ]
    assert data["findings"] == []
    assert main(["analyze", str(BOOKINFO / "networking"), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Variants: 9 files define the same objects differently")
    assert "already exists" in out and "Error" not in out


def test_every_manifest_of_the_lab_together_is_clean(capsys) -> None:
    folders = [
        "scenarios/manifests/lab",
        "scenarios/manifests/samples/httpbin",
        "scenarios/manifests/samples/curl",
        "scenarios/manifests/samples/bookinfo/platform/kube",
        "scenarios/manifests/samples/bookinfo/networking",
        "istio-manifests",
    ]
    argv = ["analyze", *(str(REPO / f) for f in folders), "--failure-threshold", "warning"]
    assert main([*argv, "-o", "json"]) == 0, capsys.readouterr().out
    data = json.loads(capsys.readouterr().out)
    assert len(data["variants"]["alternatives"]) > 10
    assert {f["severity"] for f in data["findings"]} <= {"info"}


def test_a_typo_in_a_variant_is_named_with_its_file(tmp_path, capsys) -> None:
    typo = tmp_path / "virtual-service-reviews-v3.yaml"
    text = (BOOKINFO / "networking/virtual-service-reviews-v3.yaml").read_text()
    typo.write_text(text.replace("subset: v3", "subset: v33"))
    others = [
        BOOKINFO / "networking" / n
        for n in ("destination-rule-all.yaml", "virtual-service-all-v1.yaml")
    ]
    argv = ["analyze", *map(str, others), str(typo), str(BOOKINFO / "platform/kube"), "-o", "json"]
    assert main(argv) == 79
    found = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["code"], f["origin"].rsplit(":", 1)[0]) for f in found] == [("IT0101", str(typo))]


def test_the_same_file_twice_is_one_set_of_objects(tmp_path, capsys) -> None:
    path = write(tmp_path, SPLIT_60)
    assert main(["analyze", str(path), str(path), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Variants" not in out and "IT0107" not in out


def test_each_finding_shows_istioctls_code(tmp_path, capsys) -> None:
    path = write(tmp_path, VS_WITHOUT_DR)
    main(["analyze", str(path), "--lang", "en"])
    assert "(istioctl: IST0101 ReferencedResourceNotFound)" in capsys.readouterr().out
    main(["analyze", str(path), "-o", "yaml"])
    data = yaml.safe_load(capsys.readouterr().out)
    assert data["findings"][0]["istioctl"] == {
        "code": "IST0101",
        "name": "ReferencedResourceNotFound",
    }
    assert data["findings"][0]["origin"] == f"{path}:8"
    assert data["mode"] == "files" and data["failed"] is True


UNINJECTED = """\
apiVersion: v1
kind: Namespace
metadata: {name: bookinfo}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1, namespace: bookinfo}
spec:
  selector: {matchLabels: {app: reviews}}
  template:
    metadata: {labels: {app: reviews}}
    spec: {containers: [{name: reviews, image: x}]}
"""


@pytest.mark.parametrize(
    "rule",
    [
        "IT0111",
        "IT0111=Namespace bookinfo",
        "IST0102=Namespace bookinfo",
        "IST0102=Namespace book*",
        "*=Namespace bookinfo",
    ],
)
def test_suppress_rules_leave_a_finding_out(tmp_path, capsys, rule: str) -> None:
    path = write(tmp_path, UNINJECTED)
    argv = ["analyze", str(path), "--failure-threshold", "warning", "--lang", "en"]
    assert main(argv) == 79
    assert "Warning [IT0111]" in capsys.readouterr().out
    assert main([*argv, "--suppress", rule]) == 0
    out = capsys.readouterr().out
    assert "IT0111" not in out and "(1 suppressed)" in out


@pytest.mark.parametrize(
    "rule", ["IT0111=Namespace default", "IST0101=Namespace bookinfo", "IT0107"]
)
def test_suppress_rules_for_something_else_leave_it_in(tmp_path, capsys, rule: str) -> None:
    path = write(tmp_path, UNINJECTED)
    argv = ["analyze", str(path), "--failure-threshold", "warning", "--suppress", rule]
    assert main(argv) == 79
    assert "IT0111" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("rule", "said"),
    [
        ("ISTIO=Namespace x", "not a code"),
        ("IT0999", "no check has code IT0999"),
        ("IT0111=Namespace", "after '='"),
        ("IT0111=VirtualService /x", "names no object"),
    ],
)
def test_a_malformed_suppress_rule_exits_2_saying_why(tmp_path, capsys, rule, said) -> None:
    path = write(tmp_path, UNINJECTED)
    assert main(["analyze", str(path), "--suppress", rule]) == 2
    assert said in capsys.readouterr().err


def test_the_suppress_annotation_silences_its_own_object_only(tmp_path, capsys) -> None:
    other = VS_WITHOUT_DR.split("---\n")[1].replace("  name: reviews\n", "  name: other\n")
    two = VS_WITHOUT_DR + "---\n" + other
    path = write(tmp_path, two)
    main(["analyze", str(path), "-o", "json"])
    before = json.loads(capsys.readouterr().out)["findings"]
    assert {(f["object"], f["code"]) for f in before} >= {
        ("reviews", "IT0101"),
        ("other", "IT0101"),
    }
    annotated = two.replace(
        "  name: reviews\n  namespace: bookinfo\n",
        "  name: reviews\n  namespace: bookinfo\n"
        "  annotations: {galley.istio.io/analyze-suppress: 'IST0101,IT0107'}\n",
        1,
    )
    path.write_text(annotated)
    main(["analyze", str(path), "-o", "json"])
    after = json.loads(capsys.readouterr().out)["findings"]
    assert [f["object"] for f in after if f["code"] == "IT0101"] == ["other"]
    assert not [f for f in after if f["object"] == "reviews" and f["code"] in ("IT0101", "IT0107")]
