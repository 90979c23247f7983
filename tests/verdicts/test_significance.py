"""The standard-library significance tests against known values.

Every reference value below was computed with SciPy 1.17.1 (NumPy 2.4.6) on 2026-12-07, before
SciPy left the project's dependencies: `scipy.stats.binomtest(k, n, p).pvalue`,
`scipy.stats.chi2.sf(x, df)` and `scipy.stats.chisquare(observed, shares * total).pvalue`.
"""

from __future__ import annotations

import math

import pytest

from istiotui.lab.significance import (
    binomial_pmfs,
    binomial_two_sided,
    chi_square_goodness_of_fit,
    chi_square_survival,
)

# (k, n, p, SciPy's binomtest(k, n, p).pvalue)
BINOMIAL = [
    (0, 10, 0.5, 0.001953125),
    (3, 10, 0.5, 0.34375),
    (5, 10, 0.5, 1.0),
    (10, 10, 0.5, 0.001953125),
    (72, 200, 0.5, 9.12981558531868e-05),
    (73, 200, 0.5, 0.00016418525031640068),
    (95, 200, 0.5, 0.5246223557223155),
    (150, 200, 0.5, 8.393020875604775e-13),
    (0, 20, 0.1, 0.25452997802490435),
    (1, 20, 0.1, 0.7148201929357019),
    (7, 20, 0.1, 0.002386089408966118),
    (20, 20, 0.1, 1.0000000000000011e-20),
    (9, 100, 0.2, 0.003884001540408296),
    (31, 100, 0.2, 0.00839289646725382),
    (20, 100, 0.2, 1.0),
    (450, 1000, 0.5, 0.0017305360849763027),
    (2, 30, 0.25, 0.0187750627148012),
    (11, 30, 0.25, 0.143177448416461),
    (80, 100, 0.9, 0.002300248918965341),
    (1, 1, 0.3, 0.3),
    (0, 1, 0.3, 1.0),
    (3, 7, 0.33, 0.6912398892801697),
    (5000, 10000, 0.5, 1.0),
    (5100, 10000, 0.5, 0.04658552770494645),
    (4900, 10000, 0.51, 6.571385483086783e-05),
    (0, 5, 0.0, 1.0),
    (2, 5, 0.0, 0.0),
    (5, 5, 1.0, 1.0),
    (18, 40, 0.45, 1.0),
    (999, 2000, 0.5, 0.9821609888541457),
]

# (x, df, SciPy's chi2.sf(x, df))
CHI_SQUARE = [
    (0.0, 1, 1.0),
    (0.5, 1, 0.47950012218695337),
    (3.841458820694124, 1, 0.04999999999999989),
    (10.0, 1, 0.001565402258002549),
    (1.0, 2, 0.6065306597126334),
    (5.991464547107979, 2, 0.05000000000000007),
    (2.5, 3, 0.4752910833430205),
    (7.814727903251178, 3, 0.05),
    (12.0, 4, 0.01735126523666451),
    (0.1, 5, 0.9998376833880774),
    (11.0705, 5, 0.0499999554280436),
    (30.0, 10, 0.000856641210775301),
    (100.0, 7, 1.0787979671702833e-18),
    (1e-06, 2, 0.999999500000125),
    (50.0, 1, 1.537459794428033e-12),
    (200.0, 3, 4.218541107192018e-43),
    (9.0, 9, 0.43727418891386693),
    (20.0, 20, 0.4579297144718523),
]

# (observed counts, expected shares, SciPy's chisquare(observed, shares * total).pvalue)
GOODNESS_OF_FIT = [
    ([160, 22, 18], [0.8, 0.1, 0.1], 0.8187307530779818),
    ([100, 50, 50], [0.8, 0.1, 0.1], 3.7233631217505e-25),
    ([34, 33, 33], [1 / 3, 1 / 3, 1 / 3], 0.990049833749168),
    ([40, 30, 20, 10], [0.25, 0.25, 0.25, 0.25], 0.00016974243555282632),
    ([70, 20, 10], [0.7, 0.2, 0.1], 1.0),
]


@pytest.mark.parametrize(("k", "n", "p", "expected"), BINOMIAL)
def test_binomial_two_sided_matches_scipy(k: int, n: int, p: float, expected: float) -> None:
    assert binomial_two_sided(k, n, p) == pytest.approx(expected, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(("x", "df", "expected"), CHI_SQUARE)
def test_chi_square_survival_matches_scipy(x: float, df: int, expected: float) -> None:
    assert chi_square_survival(x, df) == pytest.approx(expected, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(("observed", "shares", "expected"), GOODNESS_OF_FIT)
def test_goodness_of_fit_matches_scipy(
    observed: list[int], shares: list[float], expected: float
) -> None:
    assert chi_square_goodness_of_fit(observed, shares) == pytest.approx(expected, rel=1e-9)


def test_pmfs_sum_to_one_without_overflow_for_large_n() -> None:
    # comb(5000, 2500) has about 1,500 digits: a float of it would overflow.
    pmfs = binomial_pmfs(5000, 0.3)
    assert math.fsum(pmfs) == pytest.approx(1.0, rel=1e-12)
    assert max(pmfs) == pmfs[1500]


def test_a_share_of_zero_is_impossible_when_seen_and_left_out_when_not() -> None:
    assert chi_square_goodness_of_fit([10, 1, 10], [0.5, 0.0, 0.5]) == 0.0
    # Without the empty class it is the two-class test of 10 against 10 at 50 %: a perfect fit.
    assert chi_square_goodness_of_fit([10, 0, 10], [0.5, 0.0, 0.5]) == 1.0
    assert chi_square_goodness_of_fit([7], [1.0]) == 1.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: binomial_two_sided(11, 10, 0.5), "0 ≤ k ≤ n"),
        (lambda: binomial_two_sided(1, 10, 1.5), "probability"),
        (lambda: chi_square_survival(1.0, 0), "degrees of freedom"),
        (lambda: chi_square_goodness_of_fit([1, 2], [1.0]), "one expected share"),
        (lambda: chi_square_goodness_of_fit([0, 0], [0.5, 0.5]), "no observations"),
    ],
)
def test_bad_arguments_are_named(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        call()
