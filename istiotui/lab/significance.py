"""The two significance tests a split verdict needs, in the standard library.

An exact two-sided binomial test (two classes) and Pearson's chi-square test (more classes). They
follow SciPy's `binomtest` and `chisquare` (the reference values in the tests come from SciPy),
without loading 160 MB of SciPy and NumPy before the lab's first frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# SciPy's binomtest counts an outcome as "as extreme as the observed one" when its probability is
# within this relative tolerance of the observed one's, so that rounding never splits a tie.
_TIE_TOLERANCE = 1 + 1e-7


def binomial_pmfs(n: int, p: float) -> list[float]:
    """P(X = i) for i = 0..n, X ~ Binomial(n, p); exact binomial coefficients, summed in logs so
    that n in the thousands neither overflows nor underflows a float too early."""
    if p == 0 or p == 1:
        return [1.0 if i == (0 if p == 0 else n) else 0.0 for i in range(n + 1)]
    log_p, log_q = math.log(p), math.log1p(-p)
    pmfs, coefficient = [], 1
    for i in range(n + 1):
        pmfs.append(math.exp(math.log(coefficient) + i * log_p + (n - i) * log_q))
        coefficient = coefficient * (n - i) // (i + 1)
    return pmfs


def binomial_two_sided(k: int, n: int, p: float) -> float:
    """p-value of k successes in n trials under success probability p: the probability of every
    outcome no more likely than k (SciPy's `binomtest(k, n, p).pvalue`)."""
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need 0 ≤ k ≤ n and n ≥ 1, got k={k}, n={n}")
    if not 0 <= p <= 1:
        raise ValueError(f"probability must be in [0, 1], not {p}")
    if k == p * n:
        return 1.0
    pmfs = binomial_pmfs(n, p)
    bound = pmfs[k] * _TIE_TOLERANCE
    if k < p * n:
        # Everything from k down, plus the outcomes above the mean no more likely than k.
        far_side = sum(pmf for pmf in pmfs[math.ceil(p * n) :] if pmf <= bound)
        near_side = sum(pmfs[: k + 1])
    else:
        far_side = sum(pmf for pmf in pmfs[: math.floor(p * n) + 1] if pmf <= bound)
        near_side = sum(pmfs[k:])
    return min(1.0, near_side + far_side)


def chi_square_survival(x: float, df: int) -> float:
    """P(X ≥ x) for X ~ chi-square with df (a positive integer) degrees of freedom.

    The regularized upper incomplete gamma Q(df/2, x/2) has a finite closed form when df is an
    integer: a Poisson tail for even df, plus an erfc term for odd df. Every term is positive, so
    the sum loses no precision far in the tail."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be a positive integer, not {df}")
    if x <= 0:
        return 1.0
    y = x / 2
    log_y = math.log(y)
    if df % 2 == 0:
        terms = (j * log_y - math.lgamma(j + 1) for j in range(df // 2))
        return min(1.0, sum(math.exp(t - y) for t in terms))
    terms = ((j - 0.5) * log_y - math.lgamma(j + 0.5) for j in range(1, (df - 1) // 2 + 1))
    return min(1.0, math.erfc(math.sqrt(y)) + sum(math.exp(t - y) for t in terms))


def chi_square_goodness_of_fit(observed: Sequence[int], shares: Sequence[float]) -> float:
    """p-value of Pearson's chi-square test of observed counts against expected shares (adding up
    to 1), with len - 1 degrees of freedom (SciPy's `chisquare(observed, shares * total)`).

    A class expected never (share 0) is left out of the test: any count in it makes the split
    impossible (p = 0); none leaves the others to be tested on their own."""
    if len(observed) != len(shares):
        raise ValueError("one expected share per observed count")
    total = sum(observed)
    if total == 0:
        raise ValueError("no observations")
    kept = [(o, s) for o, s in zip(observed, shares, strict=True) if s > 0]
    if len(kept) < len(observed) and sum(o for o, _ in kept) < total:
        return 0.0
    if len(kept) < 2:
        return 1.0
    statistic = sum((o - s * total) ** 2 / (s * total) for o, s in kept)
    return chi_square_survival(statistic, len(kept) - 1)
