"""Rules of Kubernetes' own validation for the built-in kinds that a schema cannot express:
unique names, references between fields, a Deployment's selector against its template."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any

from istiotui.mesh.schemas.meta import is_dns1123_label, label_errors, name_problem
from istiotui.mesh.schemas.walker import (
    FORBIDDEN,
    INVALID,
    NOT_SUPPORTED,
    REQUIRED,
    FieldError,
    child,
    index,
    show,
)

DUPLICATE = "FieldValueDuplicate"
NOT_FOUND = "FieldValueNotFound"

_IANA_SVC_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_PERCENT = re.compile(r"[0-9]+%")

Rules = Callable[[dict[str, Any]], list[FieldError]]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def port_name_problem(name: str) -> str | None:
    """Why `name` is not an IANA service name (how container and target ports are named)."""
    if len(name) > 15:
        return "must be no more than 15 characters"
    if not _IANA_SVC_NAME.fullmatch(name):
        return (
            "must contain only lowercase alphanumeric characters or '-' and start and end with one"
        )
    if "--" in name:
        return "must not contain consecutive hyphens"
    if not re.search(r"[a-z]", name):
        return "must contain at least one letter (a-z)"
    return None


def _containers(spec: dict[str, Any], path: str, volume_names: set[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    containers = _list(spec.get("containers"))
    if "containers" in spec and not containers:
        errors.append(FieldError(child(path, "containers"), REQUIRED, "Required value"))
    for field in ("initContainers", "containers"):
        for i, container in enumerate(_list(spec.get(field))):
            here = index(child(path, field), i)
            container = _dict(container)
            name = container.get("name")
            if isinstance(name, str):
                if not is_dns1123_label(name):
                    problem = name_problem(name, "label")
                    errors.append(
                        FieldError(
                            child(here, "name"), INVALID, f"Invalid value: {show(name)}: {problem}"
                        )
                    )
                elif name in seen:
                    errors.append(
                        FieldError(child(here, "name"), DUPLICATE, f"Duplicate value: {show(name)}")
                    )
                seen.add(name)
            if not container.get("image"):
                errors.append(FieldError(child(here, "image"), REQUIRED, "Required value"))
            errors += _container_ports(container, here)
            errors += _container_env(container, here)
            for j, mount in enumerate(_list(container.get("volumeMounts"))):
                mount_name = _dict(mount).get("name")
                if isinstance(mount_name, str) and mount_name not in volume_names:
                    errors.append(
                        FieldError(
                            child(index(child(here, "volumeMounts"), j), "name"),
                            NOT_FOUND,
                            f"Not found: {show(mount_name)}",
                        )
                    )
    return errors


def _container_ports(container: dict[str, Any], path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(_list(container.get("ports"))):
        name = _dict(port).get("name")
        if not isinstance(name, str) or not name:
            continue
        where = child(index(child(path, "ports"), i), "name")
        problem = port_name_problem(name)
        if problem:
            errors.append(FieldError(where, INVALID, f"Invalid value: {show(name)}: {problem}"))
        elif name in names:
            errors.append(FieldError(where, DUPLICATE, f"Duplicate value: {show(name)}"))
        names.add(name)
    return errors


def _container_env(container: dict[str, Any], path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for i, var in enumerate(_list(container.get("env"))):
        var = _dict(var)
        here = index(child(path, "env"), i)
        name = var.get("name")
        if isinstance(name, str) and (not name or "=" in name):
            errors.append(
                FieldError(
                    child(here, "name"),
                    INVALID,
                    f"Invalid value: {show(name)}: a valid environment variable name must not be"
                    " empty nor contain '='",
                )
            )
        if var.get("value") and var.get("valueFrom"):
            errors.append(
                FieldError(
                    child(here, "valueFrom"),
                    INVALID,
                    "Invalid value: may not be specified when `value` is not empty",
                )
            )
        value_from = _dict(var.get("valueFrom"))
        if "valueFrom" in var and var["valueFrom"] is not None and len(value_from) != 1:
            errors.append(
                FieldError(
                    child(here, "valueFrom"),
                    INVALID,
                    "Invalid value: must specify exactly one of: `fieldRef`, `resourceFieldRef`,"
                    " `configMapKeyRef` or `secretKeyRef`",
                )
            )
    return errors


def pod_spec_errors(spec: Any, path: str, *, template: bool = False) -> list[FieldError]:
    spec = _dict(spec)
    errors: list[FieldError] = []
    volume_names: set[str] = set()
    for i, volume in enumerate(_list(spec.get("volumes"))):
        name = _dict(volume).get("name")
        if not isinstance(name, str):
            continue
        where = child(index(child(path, "volumes"), i), "name")
        if not is_dns1123_label(name):
            problem = name_problem(name, "label")
            errors.append(FieldError(where, INVALID, f"Invalid value: {show(name)}: {problem}"))
        elif name in volume_names:
            errors.append(FieldError(where, DUPLICATE, f"Duplicate value: {show(name)}"))
        volume_names.add(name)
    errors += _containers(spec, path, volume_names)
    account = spec.get("serviceAccountName")
    if isinstance(account, str) and account:
        problem = name_problem(account, "subdomain")
        if problem:
            errors.append(
                FieldError(
                    child(path, "serviceAccountName"),
                    INVALID,
                    f"Invalid value: {show(account)}: {problem}",
                )
            )
    errors += label_errors(spec.get("nodeSelector"), child(path, "nodeSelector"))
    if template and spec.get("restartPolicy") not in (None, "Always"):
        errors.append(
            FieldError(
                child(path, "restartPolicy"),
                NOT_SUPPORTED,
                f'Unsupported value: {show(spec["restartPolicy"])}: supported values: "Always"',
            )
        )
    return errors


def pod_errors(obj: dict[str, Any]) -> list[FieldError]:
    return pod_spec_errors(obj.get("spec"), "spec")


def selector_matches(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """Whether a LabelSelector selects an object with these labels."""
    for key, value in _dict(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    for expression in _list(selector.get("matchExpressions")):
        expression = _dict(expression)
        key, operator = expression.get("key"), expression.get("operator")
        values = _list(expression.get("values"))
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def _selector_errors(selector: dict[str, Any], path: str) -> list[FieldError]:
    errors = label_errors(selector.get("matchLabels"), child(path, "matchLabels"))
    for i, expression in enumerate(_list(selector.get("matchExpressions"))):
        expression = _dict(expression)
        here = index(child(path, "matchExpressions"), i)
        operator, values = expression.get("operator"), _list(expression.get("values"))
        if operator in ("In", "NotIn") and not values:
            errors.append(
                FieldError(
                    child(here, "values"),
                    REQUIRED,
                    "Required value: must be specified when `operator` is 'In' or 'NotIn'",
                )
            )
        if operator in ("Exists", "DoesNotExist") and values:
            errors.append(
                FieldError(
                    child(here, "values"),
                    FORBIDDEN,
                    "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            )
    return errors


def _int_or_percent_errors(value: Any, path: str) -> list[FieldError]:
    if isinstance(value, str) and not _PERCENT.fullmatch(value):
        return [
            FieldError(
                path,
                INVALID,
                f"Invalid value: {show(value)}: a valid percent string must be a numeric string"
                " followed by an ending '%' (e.g. '1%',  or '93%')",
            )
        ]
    if isinstance(value, int) and value < 0:
        return [
            FieldError(path, INVALID, f"Invalid value: {value}: must be greater than or equal to 0")
        ]
    return []


def deployment_errors(obj: dict[str, Any]) -> list[FieldError]:
    spec = _dict(obj.get("spec"))
    errors: list[FieldError] = []
    selector = spec.get("selector")
    template = _dict(spec.get("template"))
    template_labels = _dict(_dict(template.get("metadata")).get("labels"))
    if isinstance(selector, dict):
        errors += _selector_errors(selector, "spec.selector")
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            errors.append(
                FieldError(
                    "spec.selector",
                    INVALID,
                    f"Invalid value: {show(selector)}: empty selector is invalid for deployment",
                )
            )
        elif not selector_matches(selector, template_labels):
            errors.append(
                FieldError(
                    "spec.template.metadata.labels",
                    INVALID,
                    f"Invalid value: {show(template_labels)}: `selector` does not match template"
                    " `labels`",
                )
            )
    errors += label_errors(template_labels, "spec.template.metadata.labels")
    if "template" in spec:
        errors += pod_spec_errors(template.get("spec"), "spec.template.spec", template=True)
        if template.get("spec") is None:
            errors.append(FieldError("spec.template.spec.containers", REQUIRED, "Required value"))
    strategy = _dict(spec.get("strategy"))
    rolling = strategy.get("rollingUpdate")
    if strategy.get("type") == "Recreate" and rolling is not None:
        errors.append(
            FieldError(
                "spec.strategy.rollingUpdate",
                FORBIDDEN,
                "Forbidden: may not be specified when strategy `type` is 'Recreate'",
            )
        )
    elif isinstance(rolling, dict):
        unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
        errors += _int_or_percent_errors(unavailable, "spec.strategy.rollingUpdate.maxUnavailable")
        errors += _int_or_percent_errors(surge, "spec.strategy.rollingUpdate.maxSurge")
        if unavailable in (0, "0%") and surge in (0, "0%"):
            errors.append(
                FieldError(
                    "spec.strategy.rollingUpdate.maxUnavailable",
                    INVALID,
                    "Invalid value: 0: may not be 0 when `maxSurge` is 0",
                )
            )
    return errors


def service_errors(obj: dict[str, Any]) -> list[FieldError]:
    spec = _dict(obj.get("spec"))
    errors: list[FieldError] = []
    kind = spec.get("type", "ClusterIP")
    ports = _list(spec.get("ports"))
    if kind == "ExternalName":
        external = spec.get("externalName")
        if not external:
            errors.append(FieldError("spec.externalName", REQUIRED, "Required value"))
    elif not ports and spec.get("clusterIP") != "None":
        errors.append(FieldError("spec.ports", REQUIRED, "Required value"))
    names: set[str] = set()
    keys: set[tuple[Any, Any]] = set()
    for i, port in enumerate(ports):
        port = _dict(port)
        here = index("spec.ports", i)
        name = port.get("name")
        if len(ports) > 1 and not name:
            errors.append(FieldError(child(here, "name"), REQUIRED, "Required value"))
        elif isinstance(name, str) and name:
            if not is_dns1123_label(name):
                problem = name_problem(name, "label")
                errors.append(
                    FieldError(
                        child(here, "name"), INVALID, f"Invalid value: {show(name)}: {problem}"
                    )
                )
            elif name in names:
                errors.append(
                    FieldError(child(here, "name"), DUPLICATE, f"Duplicate value: {show(name)}")
                )
            names.add(name)
        key = (port.get("port"), port.get("protocol", "TCP"))
        if key in keys:
            errors.append(
                FieldError(
                    here,
                    DUPLICATE,
                    f"Duplicate value: {show({'port': key[0], 'protocol': key[1]})}",
                )
            )
        keys.add(key)
        target = port.get("targetPort")
        where = child(here, "targetPort")
        if isinstance(target, int) and not 1 <= target <= 65535:
            errors.append(
                FieldError(
                    where,
                    INVALID,
                    f"Invalid value: {target}: must be between 1 and 65535, inclusive",
                )
            )
        elif isinstance(target, str):
            problem = port_name_problem(target)
            if problem:
                errors.append(
                    FieldError(where, INVALID, f"Invalid value: {show(target)}: {problem}")
                )
        node_port = port.get("nodePort")
        if node_port and kind not in ("NodePort", "LoadBalancer"):
            errors.append(
                FieldError(
                    child(here, "nodePort"),
                    FORBIDDEN,
                    "Forbidden: may not be used when `type` is 'ClusterIP'",
                )
            )
    errors += label_errors(spec.get("selector"), "spec.selector")
    return errors


def config_map_errors(obj: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for field in ("data", "binaryData"):
        for key in _dict(obj.get(field)):
            where = child(field, str(key))
            if len(key) > 253 or key in (".", "..") or not _CONFIG_KEY.fullmatch(key):
                errors.append(
                    FieldError(
                        where,
                        INVALID,
                        f"Invalid value: {show(key)}: a valid config key must consist of"
                        " alphanumeric characters, '-', '_' or '.'",
                    )
                )
            elif key in seen:
                errors.append(FieldError(where, DUPLICATE, f"Duplicate value: {show(key)}"))
            seen.add(key)
    return errors


def secret_errors(obj: dict[str, Any]) -> list[FieldError]:
    """Keys as for a ConfigMap; `data` values must be base64, as the API server decodes them."""
    errors = config_map_errors({"data": obj.get("data"), "binaryData": obj.get("stringData")})
    errors = [
        FieldError(e.field.replace("binaryData.", "stringData.", 1), e.reason, e.message)
        for e in errors
    ]
    for key, value in _dict(obj.get("data")).items():
        if not isinstance(value, str):
            continue
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            errors.append(
                FieldError(
                    child("data", str(key)),
                    INVALID,
                    f"Invalid value: {show(key)}: data values must be base64-encoded",
                )
            )
    return errors
