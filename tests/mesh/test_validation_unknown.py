"""Unknown fields: reported with exact paths at every modelled depth, and removed by pruning."""

from __future__ import annotations

import copy
import re

from istiotui.mesh.validation import prune_unknown, validate

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "httpbin-v1", "labells": {"app": "httpbin"}},
    "spec": {
        "replica": 1,
        "selector": {"matchLabels": {"app": "httpbin"}},
        "template": {
            "metadata": {"labels": {"app": "httpbin"}},
            "spec": {
                "containers": [
                    {
                        "name": "httpbin",
                        "imag": "docker.io/kennethreitz/httpbin",
                        "image": "docker.io/kennethreitz/httpbin",
                        "ports": [{"containerPort": 80, "hostport": 80}],
                        "env": [{"name": "A", "valu": "1"}],
                        # Probes are not modelled field by field: anything inside is kept.
                        "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "anything": 1},
                    }
                ],
                # Volume sources are not modelled either.
                "volumes": [{"name": "tmp", "emptyDir": {"medium": "Memory"}, "custom": {}}],
            },
        },
    },
    "extra": True,
}

VIRTUAL_SERVICE = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "VirtualService",
    "metadata": {"name": "httpbin"},
    "spec": {
        "hosts": ["httpbin"],
        "foo": "bar",
        "http": [
            {
                "rout": [{"destination": {"host": "httpbin"}}],
                "route": [
                    {"destination": {"host": "httpbin", "subset": "v1", "port": {"numbr": 8000}}}
                ],
                "match": [{"headers": {"end-user": {"exact": "jason", "exactt": "x"}}}],
            }
        ],
    },
    # Istio's status is whatever its controllers write: kept, never reported.
    "status": {"conditions": [{"type": "Reconciled"}], "anything": 1},
}

OPERATOR = {
    "apiVersion": "install.istio.io/v1alpha1",
    "kind": "IstioOperator",
    "metadata": {"name": "egress", "colour": "blue"},
    "spec": {"profile": "empty", "someFutureField": {"x": 1}, "values": {"free": {"form": 1}}},
}

EXPECTED_DEPLOYMENT = [
    "metadata.labells",
    "spec.replica",
    "spec.template.spec.containers[0].imag",
    "spec.template.spec.containers[0].ports[0].hostport",
    "spec.template.spec.containers[0].env[0].valu",
    "extra",
]
EXPECTED_VS = [
    "spec.foo",
    "spec.http[0].rout",
    "spec.http[0].route[0].destination.port.numbr",
    "spec.http[0].match[0].headers.end-user.exactt",
]


def test_unknown_fields_in_a_deployment() -> None:
    result = validate(DEPLOYMENT)
    assert sorted(result.unknown_fields) == sorted(EXPECTED_DEPLOYMENT)


def test_unknown_fields_in_a_virtual_service() -> None:
    result = validate(VIRTUAL_SERVICE)
    assert sorted(result.unknown_fields) == sorted(EXPECTED_VS)
    assert result.errors == []


def test_istio_operator_keeps_its_open_spec() -> None:
    assert validate(OPERATOR).unknown_fields == ["metadata.colour"]
    pruned = prune_unknown(OPERATOR)
    assert pruned["spec"] == OPERATOR["spec"]
    assert "colour" not in pruned["metadata"]


def _delete(obj: dict, path: str) -> None:
    """Remove a dotted path with [i] indexes from obj (test helper)."""
    steps = [int(i) if i else k for k, i in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)]
    node = obj
    for step in steps[:-1]:
        node = node[step]
    del node[steps[-1]]


def test_prune_removes_exactly_the_unknown_fields() -> None:
    for obj, unknown in ((DEPLOYMENT, EXPECTED_DEPLOYMENT), (VIRTUAL_SERVICE, EXPECTED_VS)):
        expected = copy.deepcopy(obj)
        for path in unknown:
            _delete(expected, path)
        original = copy.deepcopy(obj)
        pruned = prune_unknown(obj)
        assert pruned == expected
        assert obj == original  # a copy: the input is untouched
        assert validate(pruned).unknown_fields == []


def test_prune_is_a_deep_copy_even_of_kept_open_objects() -> None:
    pruned = prune_unknown(OPERATOR)
    pruned["spec"]["values"]["free"]["form"] = 2
    assert OPERATOR["spec"]["values"]["free"]["form"] == 1


def test_unknown_kind_prunes_nothing() -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"a": 1}}
    assert prune_unknown(obj) == obj
    assert validate(obj).unknown_fields == []
