"""Manifest files: multi-document YAML whose every document is a Kubernetes object.

`read_objects` parses a file and checks that each object names `apiVersion`,
`kind` and `metadata.name`; `resolve` gives each object the namespace
`kubectl apply -f FILE [-n NS]` would give it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from istiotui.lab.errors import LoaderError, Problem
from istiotui.lab.model import ManifestObject, Source
from istiotui.lab.yamlsource import MapNode, ScalarNode, YamlSyntaxError, parse_documents, to_python
from istiotui.mesh.kinds import lookup

# Cluster-scoped kinds a manifest may hold beyond the kinds table (which knows its own).
_OTHER_CLUSTER_SCOPED = frozenset(
    {
        "Node",
        "PersistentVolume",
        "StorageClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "PriorityClass",
        "IngressClass",
        "APIService",
    }
)


def cluster_scoped(kind_name: str) -> bool:
    """Whether objects of this kind have no namespace (the kinds table first)."""
    known = lookup(kind_name)
    if known is not None:
        return not known.namespaced
    return kind_name in _OTHER_CLUSTER_SCOPED


def read_objects(
    file: Path, display: str | None = None
) -> tuple[list[ManifestObject], list[Problem]]:
    """The objects of a manifest file as written (no namespace added), and what is wrong with it."""
    shown = display or str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(shown, 1, f"cannot read manifest: {exc}")]
    try:
        docs = parse_documents(text)
    except YamlSyntaxError as exc:
        return [], [Problem(shown, exc.line, exc.message)]
    objects: list[ManifestObject] = []
    problems: list[Problem] = []
    for doc in docs:
        if doc is None:
            continue
        found = _check_object(doc, shown)
        if found:
            problems.extend(found)
        else:
            objects.append(ManifestObject(to_python(doc), Source(shown, doc.line)))
    if not objects and not problems:
        problems.append(Problem(shown, 1, "manifest holds no objects"))
    return objects, problems


def _check_object(doc: Any, shown: str) -> list[Problem]:
    if not isinstance(doc, MapNode):
        return [Problem(shown, doc.line, "each document must be a Kubernetes object (a mapping)")]
    problems: list[Problem] = []

    def need_string(node: MapNode, key: str, where: str) -> None:
        value = node.get(key)
        if value is None:
            problems.append(Problem(shown, node.anchor, f"object has no {where}"))
        elif not (isinstance(value, ScalarNode) and isinstance(value.value, str) and value.value):
            problems.append(Problem(shown, value.line, f"{where} must be a non-empty string"))

    need_string(doc, "apiVersion", "apiVersion")
    need_string(doc, "kind", "kind")
    metadata = doc.get("metadata")
    if metadata is None:
        problems.append(Problem(shown, doc.line, "object has no metadata.name"))
    elif not isinstance(metadata, MapNode):
        problems.append(Problem(shown, metadata.line, "metadata must be a mapping"))
    else:
        need_string(metadata, "name", "metadata.name")
        if metadata.get("namespace") is not None:
            need_string(metadata, "namespace", "metadata.namespace")
    return problems


def resolve(
    objects: list[ManifestObject], default_namespace: str, forced_namespace: str | None = None
) -> tuple[list[ManifestObject], list[Problem]]:
    """Copies of `objects` with their namespace set as `kubectl apply -n` would set it.

    An object's own namespace wins over the step's default; `forced_namespace`
    (the action's `namespace:`, i.e. `-n`) must agree with it, as kubectl insists.
    """
    out: list[ManifestObject] = []
    problems: list[Problem] = []
    for obj in objects:
        body = copy.deepcopy(obj.body)
        metadata = body["metadata"]
        if cluster_scoped(body["kind"]):
            out.append(ManifestObject(body, obj.source))
            continue
        own = metadata.get("namespace")
        if forced_namespace and own and own != forced_namespace:
            problems.append(
                Problem(
                    obj.source.file,
                    obj.source.line,
                    f"{body['kind']}/{metadata['name']} is in namespace {own!r} but the action "
                    f"applies it with namespace {forced_namespace!r}",
                )
            )
        metadata["namespace"] = own or forced_namespace or default_namespace
        out.append(ManifestObject(body, obj.source))
    return out, problems


def load_manifest(
    file: Path, *, namespace: str = "default", display: str | None = None
) -> list[ManifestObject]:
    """A manifest file's objects with namespaces resolved; LoaderError when it is not valid."""
    objects, problems = read_objects(file, display)
    if not problems:
        objects, problems = resolve(objects, namespace)
    if problems:
        raise LoaderError(problems)
    return objects
