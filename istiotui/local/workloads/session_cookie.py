"""productpage's signed session cookie: the logged-in user, tamper-evident, no server state."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

COOKIE_NAME = "session"


class SessionSigner:
    def __init__(self, key: bytes | None = None) -> None:
        # A new key per process, as Bookinfo's productpage does: a restart signs everyone out.
        self._key = key or secrets.token_bytes(32)

    def _mac(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def dumps(self, data: dict[str, str]) -> str:
        payload = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
        return f"{payload}.{self._mac(payload)}"

    def loads(self, cookie: str | None) -> dict[str, str]:
        """The session's data, or {} when the cookie is missing, malformed or not ours."""
        if not cookie or "." not in cookie:
            return {}
        payload, mac = cookie.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac(payload)):
            return {}
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
