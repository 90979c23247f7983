"""Logging in through Bookinfo's productpage form before a probe, as the lab's `user:` asks.

The probe engine (from this machine) and the exec vantage (curl in a client pod) both log in this
way: the same form on the probed origin, the same test of success, the one `LoginFailed`.
"""

from __future__ import annotations

from urllib.parse import urlencode, urljoin


class LoginFailed(ConnectionError):
    """productpage's login did not take; the message names the user and the URL."""


def login_url(base_url: str, url: str) -> str:
    """Where the form posts: on the target's base, else on the probed URL's origin."""
    if base_url:
        return base_url.rstrip("/") + "/login"
    return urljoin(url, "/login")


def form(user: str) -> dict[str, str]:
    # Bookinfo takes any password: the lab signs in with the user's name in both fields.
    return {"username": user, "passwd": user}


def form_data(user: str) -> str:
    """The form as a request body (curl's -d)."""
    return urlencode(form(user))


def refusal(user: str, where: str, status: int | None, cookie: bool) -> LoginFailed | None:
    """None when the answer logged the user in (a redirect or page that sets the session
    cookie); else the error saying what came back."""
    if status is not None and status < 400 and cookie:
        return None
    got = "no answer" if status is None else f"HTTP {status}"
    if status is not None and status < 400:
        got += ", no session cookie"
    return LoginFailed(f"login as {user} at {where} failed: {got}")
