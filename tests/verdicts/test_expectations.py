"""Expectation logic on fixed samples, edge cases included."""

from __future__ import annotations

import pytest

from istiotui.lab import expectations as ex
from istiotui.traffic.stats import Response, summarise


def responses(spec: dict[str, int], status: int = 200, latency: float = 0.1) -> list[Response]:
    return [
        Response(status=status, latency=latency, klass=k) for k, n in spec.items() for _ in range(n)
    ]


def test_only_passes_when_every_response_is_that_class() -> None:
    v = ex.only(summarise(responses({"v1": 30}), 1.0), "v1")
    assert v.passed
    assert "v1 30 (100.0 %)" in v.detail


def test_only_fails_on_a_single_other_class() -> None:
    v = ex.only(summarise(responses({"v1": 29, "v2": 1}), 1.0), "v1")
    assert not v.passed
    assert "v2 1 (3.3 %)" in v.detail


def test_only_fails_without_samples() -> None:
    v = ex.only(summarise([], 0.0), "v1")
    assert not v.passed and "no responses" in v.detail


def test_all_of_names_the_missing_class() -> None:
    v = ex.all_of(summarise(responses({"v1": 30, "v3": 30}), 1.0), ["v1", "v2", "v3"])
    assert not v.passed
    assert "['v2']" in v.detail


def test_shares_accepts_a_fair_split_and_quotes_p() -> None:
    v = ex.shares(summarise(responses({"v1": 95, "v3": 105}), 1.0), {"v1": 0.5, "v3": 0.5}, 0.999)
    assert v.passed
    assert "p = 0.525" in v.detail


def test_shares_rejects_a_lopsided_split() -> None:
    v = ex.shares(summarise(responses({"v1": 150, "v3": 50}), 1.0), {"v1": 0.5, "v3": 0.5}, 0.999)
    assert not v.passed


def test_shares_right_at_the_bound() -> None:
    # Two-sided exact binomial p for 72 of 200 at 0.5 is 9.1e-5, for 73 of 200 1.6e-4: at
    # 99.99 % confidence (alpha 1e-4) the first fails and the second passes.
    split = {"v1": 0.5, "v3": 0.5}
    fails = ex.shares(summarise(responses({"v1": 72, "v3": 128}), 1.0), split, 0.9999)
    passes = ex.shares(summarise(responses({"v1": 73, "v3": 127}), 1.0), split, 0.9999)
    assert not fails.passed
    assert passes.passed


def test_shares_fails_when_one_class_is_missing() -> None:
    v = ex.shares(summarise(responses({"v1": 200}), 1.0), {"v1": 0.5, "v3": 0.5}, 0.999)
    assert not v.passed


def test_shares_fails_on_unexpected_classes_and_on_no_samples() -> None:
    split = {"v1": 0.5, "v3": 0.5}
    assert not ex.shares(
        summarise(responses({"v1": 50, "v3": 50, "v2": 1}), 1.0), split, 0.99
    ).passed
    assert not ex.shares(summarise([], 0.0), split, 0.99).passed


def test_shares_with_three_classes_uses_chi_square() -> None:
    split = {"v1": 0.8, "v2": 0.1, "v3": 0.1}
    assert ex.shares(
        summarise(responses({"v1": 160, "v2": 22, "v3": 18}), 1.0), split, 0.999
    ).passed
    assert not ex.shares(
        summarise(responses({"v1": 100, "v2": 50, "v3": 50}), 1.0), split, 0.999
    ).passed


def test_shares_refuse_shares_that_do_not_add_up() -> None:
    with pytest.raises(ValueError, match="add up"):
        ex.shares(summarise(responses({"v1": 1}), 1.0), {"v1": 0.5, "v3": 0.4}, 0.99)


def test_status_all_counts_failures_without_answer() -> None:
    rows = [*responses({"a": 9}), Response(status=None, latency=3.0, error="timeout")]
    v = ex.status_all(summarise(rows, 1.0), 200)
    assert not v.passed
    assert "1 without answer" in v.detail


def test_status_share_bounds_inclusive() -> None:
    rows = responses({"ok": 80}) + responses({"cb": 20}, status=503)
    s = summarise(rows, 1.0)
    assert ex.status_share(s, 503, 0.2, 0.95).passed
    assert not ex.status_share(s, 503, 0.21, 0.95).passed
    assert "20.0%" in ex.status_share(s, 503, 0.2, 0.95).detail


def test_status_share_all_failures() -> None:
    s = summarise(responses({"cb": 30}, status=503), 1.0)
    assert ex.status_share(s, 503, 0.2, 1.0).passed
    assert not ex.status_all(s, 200).passed


def test_latency_percentile_bounds() -> None:
    rows = [Response(status=200, latency=x) for x in (5.9, 6.0, 6.1)]
    s = summarise(rows, 18.0)
    assert ex.latency(s, 50, 5.5, 7.5).passed
    assert not ex.latency(s, 50, 6.05, None).passed
    assert ex.latency(summarise([], 0), 50, None, 1.0).passed is False


def test_text_and_header_expectations() -> None:
    rows = [
        Response(200, 0.1, body="Sorry, product reviews are currently unavailable"),
        Response(503, 0.1, body="", headers={"X-Envoy-Overloaded": "true"}),
    ]
    assert not ex.text(rows, "Sorry, product reviews").passed
    assert ex.text(rows[:1], "Sorry, product reviews").passed
    assert ex.text(rows[1:], "Sorry", present=False).passed
    assert ex.header_share(rows, "x-envoy-overloaded", "true", 0.5).passed
    assert not ex.header_share(rows, "x-envoy-overloaded", "true", 0.6).passed


def test_count_between() -> None:
    assert ex.count_between("log lines", 0, None, 0).passed
    assert not ex.count_between("log lines", 3, None, 0).passed
    assert "at least 5 log lines, saw 3" in ex.count_between("log lines", 3, 5, None).detail


def test_summary_percentiles_and_rps() -> None:
    s = summarise([Response(200, x / 100) for x in range(1, 101)], 2.0)
    assert s.percentile(50) == 0.5
    assert s.percentile(99) == 0.99
    assert s.rps == 50.0


# -- exact shares: 1.0 for one class, 0 for another (no test statistic is defined for them) --


def test_a_share_of_one_passes_when_every_response_is_that_class() -> None:
    v = ex.shares(summarise(responses({"v1": 40}), 1.0), {"v1": 1.0}, 0.999)
    assert v.passed
    assert "every response is v1" in v.detail and "nan" not in v.detail


def test_a_share_of_one_fails_on_a_single_response_of_another_class() -> None:
    v = ex.shares(summarise(responses({"v1": 39, "v2": 1}), 1.0), {"v1": 1.0}, 0.999)
    assert not v.passed
    assert "1 responses of other classes" in v.detail


def test_a_share_of_one_beside_a_share_of_zero() -> None:
    split = {"v1": 1.0, "v3": 0.0}
    assert ex.shares(summarise(responses({"v1": 40}), 1.0), split, 0.999).passed
    v = ex.shares(summarise(responses({"v1": 39, "v3": 1}), 1.0), split, 0.999)
    assert not v.passed
    assert "1 v3 where none should be" in v.detail


def test_a_zero_share_among_three_tests_the_other_two() -> None:
    split = {"v1": 0.5, "v2": 0.0, "v3": 0.5}
    fair = ex.shares(summarise(responses({"v1": 95, "v3": 105}), 1.0), split, 0.999)
    assert fair.passed
    assert "p = 0.525" in fair.detail  # the same binomial test as for the two alone
    lopsided = ex.shares(summarise(responses({"v1": 150, "v3": 50}), 1.0), split, 0.999)
    assert not lopsided.passed and "nan" not in lopsided.detail
    seen = ex.shares(summarise(responses({"v1": 95, "v2": 1, "v3": 104}), 1.0), split, 0.999)
    assert not seen.passed
    assert "1 v2 where none should be" in seen.detail


def test_a_zero_share_among_four_tests_the_other_three_with_chi_square() -> None:
    split = {"v1": 0.8, "v2": 0.1, "v3": 0.1, "v4": 0.0}
    assert ex.shares(
        summarise(responses({"v1": 160, "v2": 22, "v3": 18}), 1.0), split, 0.999
    ).passed
    assert not ex.shares(
        summarise(responses({"v1": 100, "v2": 50, "v3": 50}), 1.0), split, 0.999
    ).passed


def test_negative_shares_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        ex.shares(summarise(responses({"v1": 1}), 1.0), {"v1": 1.5, "v3": -0.5}, 0.99)
