"""The probes' commands read back (curl's marked transfers, fortio's JSON) and the one login rule
that the engine and the exec vantage share."""

from __future__ import annotations

import json

from istiotui.traffic.commands import MARK, curl_argv, parse_curl, parse_fortio
from istiotui.traffic.login import LoginFailed, form_data, login_url, refusal


def test_curl_transfers_become_records_and_an_unfinished_one_is_left_over() -> None:
    ok = (
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nx-v: 2\r\n\r\nbody" + MARK + " 200 0.012\n"
    )
    failed = MARK + " 000 1.5\n"
    records, rest = parse_curl(ok + failed + "HTTP/1.1 20", "curl: (28) timed out\n")
    assert [(r.status, r.headers, r.body) for r in records] == [
        (200, {"x-v": "2"}, "body"),
        (None, {}, ""),
    ]
    assert records[1].error == "curl: (28) timed out"
    assert rest == "HTTP/1.1 20"
    argv = curl_argv(["u1", "u2"], method="POST", keepalive=False)
    assert argv[-5:] == ["POST", "-H", "Connection: close", "u1", "u2"]


def test_fortio_counts_per_status_take_the_histograms_latencies() -> None:
    out = {
        "RetCodes": {"200": 2, "-1": 1},
        "DurationHistogram": {"Data": [{"Start": 0.01, "End": 0.03, "Count": 3}]},
    }
    records = parse_fortio("log line\n" + json.dumps(out))
    assert [r.status for r in records] == [None, 200, 200]
    assert [round(r.latency, 3) for r in records] == [0.02, 0.02, 0.02]


def test_one_login_rule_and_one_error() -> None:
    assert login_url("http://127.0.0.1:8080", "/productpage") == "http://127.0.0.1:8080/login"
    assert login_url("", "http://h:9080/productpage?u=1") == "http://h:9080/login"
    assert form_data("jason") == "username=jason&passwd=jason"
    assert refusal("jason", "u", 302, cookie=True) is None
    assert str(refusal("jason", "u", 404, cookie=False)) == "login as jason at u failed: HTTP 404"
    no_cookie = refusal("jason", "u", 200, cookie=False)
    assert isinstance(no_cookie, LoginFailed) and "no session cookie" in str(no_cookie)
    assert "no answer" in str(refusal("jason", "u", None, cookie=False))
