"""Response flags found in an access log are explained under it."""

from __future__ import annotations

from istiotui.lab.logs import flag_notes, with_flag_notes

LOG = "\n".join(
    [
        '[2026-11-25T10:00:00.000Z] "GET /get HTTP/1.1" 503 UO upstream_reset_before_response_'
        'started{overflow} - "-" 0 81 0 - "-" "fortio" "a" "httpbin:8000" "-" '
        "outbound|8000||httpbin.default.svc.cluster.local - 127.20.0.9:8000 127.10.0.9:4000 - -",
        '[2026-11-25T10:00:00.100Z] "GET /get HTTP/1.1" 200 - via_upstream - "-" 0 300 3 2 "-" '
        '"fortio" "b" "httpbin:8000" "127.10.0.8:80" outbound|8000||httpbin.default.svc.'
        "cluster.local 127.10.0.9:5000 127.20.0.9:8000 127.10.0.9:4001 - default",
    ]
    * 2
)


def test_flags_are_counted_and_explained_in_the_chosen_language() -> None:
    assert flag_notes(LOG, "en") == [
        "UO ×2 — UO: overflow: the circuit breaker turned the request away (too many "
        "connections or pending requests): 503"
    ]
    assert "circuit breaker rechazó" in flag_notes(LOG, "es")[0]


def test_logs_without_flags_are_left_as_they_are() -> None:
    clean = LOG.replace(" 503 UO ", " 200 - ")
    assert with_flag_notes(clean) == clean
    assert with_flag_notes(LOG).endswith("connections or pending requests): 503")
