"""Kubernetes' rejections for built-in kinds: a minimal failing object per rule, with the
exact field path and reason."""

from __future__ import annotations

import pytest

from istiotui.mesh.validation import FieldError, validate

from .edits import edit, meta

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": meta("reviews-v1"),
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "reviews", "version": "v1"}},
        "template": {
            "metadata": {"labels": {"app": "reviews", "version": "v1"}},
            "spec": {
                "containers": [
                    {"name": "reviews", "image": "reviews:1", "ports": [{"containerPort": 9080}]}
                ]
            },
        },
    },
}
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": meta("reviews"),
    "spec": {"ports": [{"name": "http", "port": 9080}], "selector": {"app": "reviews"}},
}
INVALID = "FieldValueInvalid"
REQUIRED = "FieldValueRequired"
NOT_SUPPORTED = "FieldValueNotSupported"
TYPE = "FieldValueTypeInvalid"
FORBIDDEN = "FieldValueForbidden"
DUPLICATE = "FieldValueDuplicate"


CASES = [
    # --- ObjectMeta
    ("name required", edit(SERVICE, "metadata.name"), "metadata.name", REQUIRED),
    (
        "name not a subdomain",
        edit(DEPLOYMENT, "metadata.name", "Reviews_V1"),
        "metadata.name",
        INVALID,
    ),
    ("service name dns1035", edit(SERVICE, "metadata.name", "1reviews"), "metadata.name", INVALID),
    (
        "namespace name is a label",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": meta("a.b")},
        "metadata.name",
        INVALID,
    ),
    ("bad label key", edit(SERVICE, "metadata.labels", {"-bad": "x"}), "metadata.labels", INVALID),
    (
        "bad label value",
        edit(SERVICE, "metadata.labels", {"app": "no spaces"}),
        "metadata.labels.app",
        INVALID,
    ),
    ("label value type", edit(SERVICE, "metadata.labels", {"n": 1}), "metadata.labels.n", TYPE),
    (
        "bad namespace",
        edit(SERVICE, "metadata.namespace", "Bookinfo"),
        "metadata.namespace",
        INVALID,
    ),
    # --- Deployment
    ("selector required", edit(DEPLOYMENT, "spec.selector"), "spec.selector", REQUIRED),
    (
        "selector does not match template",
        edit(DEPLOYMENT, "spec.template.metadata.labels.version", "v2"),
        "spec.template.metadata.labels",
        INVALID,
    ),
    ("empty selector", edit(DEPLOYMENT, "spec.selector", {}), "spec.selector", INVALID),
    ("replicas negative", edit(DEPLOYMENT, "spec.replicas", -1), "spec.replicas", INVALID),
    ("replicas as string", edit(DEPLOYMENT, "spec.replicas", "3"), "spec.replicas", TYPE),
    (
        "containers as object",
        edit(DEPLOYMENT, "spec.template.spec.containers", {"name": "x"}),
        "spec.template.spec.containers",
        TYPE,
    ),
    (
        "image required",
        edit(DEPLOYMENT, "spec.template.spec.containers[0].image"),
        "spec.template.spec.containers[0].image",
        REQUIRED,
    ),
    (
        "imagePullPolicy enum",
        edit(DEPLOYMENT, "spec.template.spec.containers[0].imagePullPolicy", "Sometimes"),
        "spec.template.spec.containers[0].imagePullPolicy",
        NOT_SUPPORTED,
    ),
    (
        "containerPort required",
        edit(DEPLOYMENT, "spec.template.spec.containers[0].ports[0]", {"name": "http"}),
        "spec.template.spec.containers[0].ports[0].containerPort",
        REQUIRED,
    ),
    (
        "containerPort range",
        edit(DEPLOYMENT, "spec.template.spec.containers[0].ports[0].containerPort", 70000),
        "spec.template.spec.containers[0].ports[0].containerPort",
        INVALID,
    ),
    (
        "port protocol enum",
        edit(DEPLOYMENT, "spec.template.spec.containers[0].ports[0].protocol", "HTTP"),
        "spec.template.spec.containers[0].ports[0].protocol",
        NOT_SUPPORTED,
    ),
    (
        "env name as int",
        edit(DEPLOYMENT, "spec.template.spec.containers[0].env", [{"name": 5, "value": "x"}]),
        "spec.template.spec.containers[0].env[0].name",
        TYPE,
    ),
    (
        "volumeMount of no volume",
        edit(
            DEPLOYMENT,
            "spec.template.spec.containers[0].volumeMounts",
            [{"name": "tmp", "mountPath": "/tmp"}],
        ),
        "spec.template.spec.containers[0].volumeMounts[0].name",
        "FieldValueNotFound",
    ),
    (
        "duplicate container names",
        {
            **DEPLOYMENT,
            "spec": {
                **DEPLOYMENT["spec"],
                "template": {
                    "metadata": DEPLOYMENT["spec"]["template"]["metadata"],
                    "spec": {
                        "containers": [
                            {"name": "reviews", "image": "a"},
                            {"name": "reviews", "image": "b"},
                        ]
                    },
                },
            },
        },
        "spec.template.spec.containers[1].name",
        DUPLICATE,
    ),
    (
        "restartPolicy must be Always in a template",
        edit(DEPLOYMENT, "spec.template.spec.restartPolicy", "Never"),
        "spec.template.spec.restartPolicy",
        NOT_SUPPORTED,
    ),
    (
        "terminationGracePeriodSeconds type",
        edit(DEPLOYMENT, "spec.template.spec.terminationGracePeriodSeconds", "30"),
        "spec.template.spec.terminationGracePeriodSeconds",
        TYPE,
    ),
    # --- Service
    ("service port range", edit(SERVICE, "spec.ports[0].port", 0), "spec.ports[0].port", INVALID),
    ("service port required", edit(SERVICE, "spec.ports[0].port"), "spec.ports[0].port", REQUIRED),
    ("service type enum", edit(SERVICE, "spec.type", "Internal"), "spec.type", NOT_SUPPORTED),
    (
        "service protocol enum",
        edit(SERVICE, "spec.ports[0].protocol", "http"),
        "spec.ports[0].protocol",
        NOT_SUPPORTED,
    ),
    (
        "targetPort list",
        edit(SERVICE, "spec.ports[0].targetPort", [80]),
        "spec.ports[0].targetPort",
        TYPE,
    ),
    (
        "targetPort bad name",
        edit(SERVICE, "spec.ports[0].targetPort", "HTTP_PORT"),
        "spec.ports[0].targetPort",
        INVALID,
    ),
    (
        "targetPort out of range",
        edit(SERVICE, "spec.ports[0].targetPort", 65536),
        "spec.ports[0].targetPort",
        INVALID,
    ),
    (
        "second port needs a name",
        edit(SERVICE, "spec.ports", [{"name": "http", "port": 80}, {"port": 81}]),
        "spec.ports[1].name",
        REQUIRED,
    ),
    (
        "ExternalName needs externalName",
        edit(SERVICE, "spec.type", "ExternalName"),
        "spec.externalName",
        REQUIRED,
    ),
    # --- ConfigMap and Secret
    (
        "config key",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(), "data": {"a/b": "x"}},
        "data.a/b",
        INVALID,
    ),
    (
        "secret data not base64",
        {"apiVersion": "v1", "kind": "Secret", "metadata": meta(), "data": {"tls.crt": "%%%"}},
        "data.tls.crt",
        INVALID,
    ),
    # --- wrong JSON types
    (
        "int where string",
        edit(DEPLOYMENT, "spec.template.spec.containers[0].image", 5),
        "spec.template.spec.containers[0].image",
        TYPE,
    ),
    ("float where int", edit(DEPLOYMENT, "spec.replicas", 1.5), "spec.replicas", TYPE),
]


@pytest.mark.parametrize(
    ("obj", "field", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rejection_names_field_and_reason(obj: dict, field: str, reason: str) -> None:
    errors = validate(obj).errors
    assert (field, reason) in [(e.field, e.reason) for e in errors], errors


def test_bases_are_valid() -> None:
    for base in (DEPLOYMENT, SERVICE):
        assert validate(base).errors == [], base["kind"]


def test_messages_say_what_is_wrong() -> None:
    enum = validate(edit(SERVICE, "spec.type", "Internal")).errors[0]
    assert enum.message == (
        'Unsupported value: "Internal": supported values: "ClusterIP", "NodePort",'
        ' "LoadBalancer", "ExternalName"'
    )
    mismatch = validate(edit(DEPLOYMENT, "spec.template.metadata.labels.version", "v2")).errors
    assert [e.message for e in mismatch] == [
        'Invalid value: {"app": "reviews", "version": "v2"}: `selector` does not match template'
        " `labels`"
    ]
    typed = validate(edit(DEPLOYMENT, "spec.replicas", "3")).errors
    assert typed == [
        FieldError("spec.replicas", TYPE, 'Invalid value: "string": must be of type integer')
    ]


def test_generate_name_stands_in_for_name() -> None:
    obj = edit(edit(DEPLOYMENT, "metadata.name"), "metadata.generateName", "reviews-")
    assert validate(obj).errors == []


def test_match_expressions_select_the_template() -> None:
    selector = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["reviews"]}]}
    assert validate(edit(DEPLOYMENT, "spec.selector", selector)).errors == []
    selector["matchExpressions"][0]["operator"] = "NotIn"
    fields = [e.field for e in validate(edit(DEPLOYMENT, "spec.selector", selector)).errors]
    assert fields == ["spec.template.metadata.labels"]


def test_null_fields_are_ignored_like_the_api_server_does() -> None:
    obj = edit(DEPLOYMENT, "spec.template.metadata.creationTimestamp", None)
    obj = edit(obj, "spec.strategy", None)
    assert validate(obj).errors == []
    assert validate(edit(DEPLOYMENT, "spec.selector", None)).errors[0].reason == REQUIRED


def test_secret_with_base64_data_and_string_data_is_valid() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta("cert"),
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": "aGVsbG8=", "tls.key": ""},
        "stringData": {"ca.crt": "-----BEGIN CERTIFICATE-----"},
    }
    assert validate(secret).errors == []
