"""Classifiers: what class one response falls in, for counting and plotting.

Each takes (status, headers, body, latency) and returns a short class name. Envoy's own local
replies are recognised by their body text, which is how a client can tell a circuit breaker's 503
from an application's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

Classifier = Callable[[int | None, Mapping[str, str], str, float], str]

_REVIEWS_POD = re.compile(r"reviews-(v\d+)-")
_STAR_COLOUR = re.compile(r"""star[^>]*?(?:color|colour)\s*[:=]\s*["']?(\w+)""", re.IGNORECASE)
# Istio's page wraps glyphicon stars in <font color=…>; the local one wraps ★ characters.
_FONT_COLOUR = re.compile(r"""<font[^>]*color=["']?(\w+)["']?[^>]*>\s*(?:<span[^>]*star|★)""", re.I)

# Bodies of Envoy's local replies (and the flags Envoy logs for them).
_ENVOY_REPLIES = (
    ("reset reason: overflow", "UO"),
    ("no healthy upstream", "UH"),
    ("fault filter abort", "FI"),
    ("upstream request timeout", "UT"),
    ("upstream connect error", "UF"),
)

LATENCY_BUCKETS = ((1.0, "<1s"), (3.0, "1-3s"), (6.0, "3-6s"), (10.0, "6-10s"))


def reviews_version(status: int | None, headers: Mapping[str, str], body: str, _: float) -> str:
    """`v1`…`v3` from the `reviews-vN-…` pod name productpage prints; `error` when none shows."""
    if status is None:
        return "no-answer"
    found = _REVIEWS_POD.search(body)
    return found.group(1) if found else "error"


def stars(status: int | None, headers: Mapping[str, str], body: str, _: float) -> str:
    """`none`, `black` or `red`: the star colour on the page (reviews v1 shows no stars)."""
    if status is None:
        return "no-answer"
    found = _FONT_COLOUR.search(body) or _STAR_COLOUR.search(body)
    return found.group(1).lower() if found else "none"


def status_code(status: int | None, headers: Mapping[str, str], body: str, _: float) -> str:
    return "no-answer" if status is None else str(status)


def flag(status: int | None, headers: Mapping[str, str], body: str, _: float) -> str:
    """Envoy's response flag as far as a client can see it; `-` for an ordinary answer."""
    if status is None:
        return "no-answer"
    lowered = {k.lower(): v for k, v in headers.items()}
    if lowered.get("x-envoy-overloaded") == "true":
        return "UO"
    for text, name in _ENVOY_REPLIES:
        if text in body:
            return name
    if status == 404 and not body and "istio-envoy" in lowered.get("server", ""):
        return "NR"
    return "-"


def latency_bucket(status: int | None, headers: Mapping[str, str], body: str, t: float) -> str:
    for bound, name in LATENCY_BUCKETS:
        if t < bound:
            return name
    return ">10s"


def header(name: str) -> Classifier:
    key = name.lower()

    def classify(status: int | None, headers: Mapping[str, str], body: str, _: float) -> str:
        for k, v in headers.items():
            if k.lower() == key:
                return v
        return "-"

    return classify


_BY_NAME: dict[str, Classifier] = {
    "reviews-version": reviews_version,
    "stars": stars,
    "status": status_code,
    "flag": flag,
    "latency": latency_bucket,
}


def classifier(name: str) -> Classifier:
    """The classifier a scenario names (`reviews-version`, `header:x-foo`, …)."""
    if name.startswith("header:"):
        return header(name.split(":", 1)[1])
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join([*_BY_NAME, "header:NAME"])
        raise ValueError(f"unknown classifier {name!r} (known: {known})") from None
