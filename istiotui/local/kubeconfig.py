"""The cluster's own kubeconfig (context `istiotui-local`), never the user's ~/.kube/config.

It is the one place the cluster owner's credential lives: a random bearer token, made on the
first `up` and kept across `down`/`up` (clients that loaded the file keep working), so the file is
written with mode 0600 from its first byte. A kubeconfig that no longer parses, or has lost the
token, is rewritten with a new one on the next `up`, and `up` says so.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

CONTEXT = "istiotui-local"


@dataclass(frozen=True)
class Credentials:
    token: str
    note: str | None = None  # why the kubeconfig was rewritten, if it was


def render(server_url: str, token: str, ca_pem: bytes | None = None) -> dict:
    cluster: dict[str, str] = {"server": server_url}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": cluster}],
        "users": [{"name": CONTEXT, "user": {"token": token}}],
        "contexts": [
            {
                "name": CONTEXT,
                "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": "default"},
            }
        ],
        "current-context": CONTEXT,
        "preferences": {},
    }


def write(path: Path, server_url: str, token: str, ca_pem: bytes | None = None) -> None:
    """Write atomically (readers never see half a file), readable by its owner only."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(yaml.safe_dump(render(server_url, token, ca_pem), sort_keys=False))
    os.replace(tmp, path)


def read_token(path: Path) -> str:
    """The owner's token in the kubeconfig at `path`; ValueError says what is wrong with it."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = getattr(exc, "problem", None) or getattr(exc, "strerror", None) or exc
        raise ValueError(f"it cannot be read ({reason})") from None
    users = data.get("users") if isinstance(data, dict) else None
    for entry in users if isinstance(users, list) else []:
        if isinstance(entry, dict) and entry.get("name") == CONTEXT:
            user = entry.get("user")
            token = user.get("token") if isinstance(user, dict) else None
            if isinstance(token, str) and len(token) >= 32:
                return token
            raise ValueError(f"user {CONTEXT!r} has no token")
    raise ValueError(f"it has no user {CONTEXT!r}")


def credentials(path: Path) -> Credentials:
    """The token to serve with: the kubeconfig's own, else a new one (with a note, unless there
    was no kubeconfig yet)."""
    if not path.exists():
        return Credentials(new_token())
    try:
        return Credentials(read_token(path))
    except ValueError as exc:
        note = f"the local kubeconfig {path} was not usable ({exc}): rewritten with a new token"
        return Credentials(new_token(), note)


def new_token() -> str:
    return secrets.token_urlsafe(32)
