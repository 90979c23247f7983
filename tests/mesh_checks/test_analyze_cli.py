"""`istiotui analyze FILES…`: findings with file:line, exit status by severity."""

from __future__ import annotations

from pathlib import Path

import pytest

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
