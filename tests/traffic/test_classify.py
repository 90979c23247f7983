"""Classifiers on the pages both Bookinfos serve and on Envoy's own replies."""

from __future__ import annotations

import pytest

from istiotui.traffic.classify import classifier

ISTIO_RED = '<font color="red"><span class="glyphicon glyphicon-star"></span></font>'
LOCAL_BLACK = '<p class="stars"><font color="black">★★★★☆</font></p>'


@pytest.mark.parametrize(
    ("body", "expected"),
    [(ISTIO_RED, "red"), (LOCAL_BLACK, "black"), ("<p>no ratings</p>", "none")],
)
def test_stars(body: str, expected: str) -> None:
    assert classifier("stars")(200, {}, body, 0.1) == expected


def test_reviews_version_from_the_pod_name() -> None:
    page = "<dt>Reviews served by:</dt><dd>reviews-v3-5b667bcbf8-6xzfn</dd>"
    assert classifier("reviews-version")(200, {}, page, 0.1) == "v3"
    assert classifier("reviews-version")(200, {}, "Sorry, product reviews are", 0.1) == "error"
    assert classifier("reviews-version")(None, {}, "", 3.0) == "no-answer"


@pytest.mark.parametrize(
    ("status", "headers", "body", "flag"),
    [
        (
            503,
            {"x-envoy-overloaded": "true"},
            "upstream connect error or disconnect/reset before headers. reset reason: overflow",
            "UO",
        ),
        (503, {}, "no healthy upstream", "UH"),
        (500, {}, "fault filter abort", "FI"),
        (504, {}, "upstream request timeout", "UT"),
        (404, {"server": "istio-envoy"}, "", "NR"),
        (200, {}, "ok", "-"),
    ],
)
def test_flag_from_envoy_replies(status, headers, body, flag) -> None:
    assert classifier("flag")(status, headers, body, 0.01) == flag


def test_latency_buckets_and_headers() -> None:
    assert classifier("latency")(200, {}, "", 6.2) == "6-10s"
    assert classifier("latency")(200, {}, "", 0.2) == "<1s"
    assert classifier("header:X-Version")(200, {"x-version": "v2"}, "", 0.1) == "v2"
    with pytest.raises(ValueError, match="unknown classifier"):
        classifier("colour")
