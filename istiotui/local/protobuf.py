"""Just enough of Kubernetes' protobuf encoding to read what kubectl sends that way.

kubectl's typed commands (`kubectl create namespace …`) send `application/vnd.kubernetes.protobuf`
bodies and do not retry with JSON. This decodes the envelope (`k8s\\0` + runtime.Unknown) and the
messages of the kinds those commands create here: Namespace, ServiceAccount and ConfigMap, with
ObjectMeta's name, generateName, namespace, labels and annotations. Anything else is a 415 that
says to use JSON (`kubectl create -f`). Answers are always JSON, which kubectl also accepts.
"""

from __future__ import annotations

from istiotui.local import status as st

MAGIC = b"k8s\x00"


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(data):
            raise ValueError("truncated varint")
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs; length-delimited values as bytes, varints as ints."""
    out: list[tuple[int, int | bytes]] = []
    i = 0
    while i < len(data):
        tag, i = _varint(data, i)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, i = _varint(data, i)
            out.append((number, value))
        elif wire == 2:
            length, i = _varint(data, i)
            out.append((number, data[i : i + length]))
            i += length
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return out


def _text(value: int | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _map(entries: list[bytes]) -> dict[str, str]:
    out = {}
    for entry in entries:
        kv = dict(fields(entry))
        out[_text(kv.get(1, b""))] = _text(kv.get(2, b""))
    return out


def _object_meta(data: bytes) -> dict:
    meta: dict = {}
    labels: list[bytes] = []
    annotations: list[bytes] = []
    for number, value in fields(data):
        if number == 1:
            meta["name"] = _text(value)
        elif number == 2:
            meta["generateName"] = _text(value)
        elif number == 3:
            meta["namespace"] = _text(value)
        elif number == 11 and isinstance(value, bytes):
            labels.append(value)
        elif number == 12 and isinstance(value, bytes):
            annotations.append(value)
    if labels:
        meta["labels"] = _map(labels)
    if annotations:
        meta["annotations"] = _map(annotations)
    return {k: v for k, v in meta.items() if v != ""}


def decode(body: bytes) -> dict:
    if not body.startswith(MAGIC):
        raise st.bad_request("protobuf body without the k8s envelope")
    try:
        envelope = dict(fields(body[len(MAGIC) :]))
        type_meta = dict(fields(envelope.get(1, b"")))  # type: ignore[arg-type]
        api_version, kind = _text(type_meta.get(1, b"")), _text(type_meta.get(2, b""))
        raw = envelope.get(2, b"")
        assert isinstance(raw, bytes)
        parts = fields(raw)
    except (ValueError, AssertionError) as exc:
        raise st.bad_request(f"malformed protobuf body: {exc}") from None
    if kind not in ("Namespace", "ServiceAccount", "ConfigMap"):
        raise st.ApiError(
            415,
            "UnsupportedMediaType",
            f"the local cluster reads protobuf only for Namespace, ServiceAccount and ConfigMap, "
            f"not {kind}: send JSON (kubectl create -f FILE)",
        )
    obj: dict = {"apiVersion": api_version, "kind": kind, "metadata": {}}
    data: list[bytes] = []
    for number, value in parts:
        if number == 1 and isinstance(value, bytes):
            obj["metadata"] = _object_meta(value)
        elif kind == "ConfigMap" and number == 2 and isinstance(value, bytes):
            data.append(value)
    if data:
        obj["data"] = _map(data)
    return obj
