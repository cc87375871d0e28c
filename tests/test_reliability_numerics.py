"""Closed forms at the edges of float64 (issue 14 item 4): against mpmath at 50 digits.

mpmath (installed with sympy) is the reference here only; the toolkit never imports it.
"""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest
from budget import share
from hypothesis import example, given, settings
from hypothesis import strategies as st
from mtl_theory.theory import gdln as th

mpmath.mp.dps = 50


def _reference(t: float, s: float, a0: float, tau: float, d: float) -> mpmath.mpf:
    """a(t) of τ ȧ = 2a(s − d a), a(0) = a₀, to 50 digits, in the textbook form.

    The form 1 + (c − 1) e^{−x}, c = s/(d a₀), cancels when c is tiny; the working precision
    is raised by the digits the cancellation costs, so the result keeps 50.
    """
    t, s, a0, tau, d = (mpmath.mpf(v) for v in (t, s, a0, tau, d))
    if s == 0:
        return a0 / (1 + 2 * d * a0 * t / tau)
    c = s / (d * a0)
    extra = max(0, int(-mpmath.log10(c))) + 10
    with mpmath.workdps(50 + extra):
        return (s / d) / (1 + (c - 1) * mpmath.exp(-2 * s * t / tau))


#: log-space evaluation loses about eps·|log a| of relative precision (|log a| <= 745)
RTOL = 2e-13


def _assert_close(t, s, a0, tau, d) -> None:
    got = float(th.mode_trajectory(t, s, a0, tau, d))
    ref = _reference(t, s, a0, tau, d)
    want = float(ref)
    assert math.isfinite(got), (t, s, a0, tau, d, got)
    if want == 0.0 or abs(want) < np.finfo(float).tiny:
        # the true value is below the normal range: the float result may be subnormal or 0
        assert abs(got) < 1e-300
        return
    assert abs(got - want) <= RTOL * abs(want), (t, s, a0, tau, d, got, want)


S = [0.0, 1e-300, 1e-12, 1e-3, 0.5, 1.0, 7.0, 1e6, 1e100]
D = [1e-6, 0.3, 1.0, 1e6]
A0 = [1e-300, 1e-30, 1e-12, 0.5, 3.0, 1e30]
T = [0.0, 1e-6, 1.0, 1e3, 1e8]


@pytest.mark.parametrize("s", S)
def test_mode_trajectory_matches_mpmath_on_a_grid_of_extremes(s):
    for d, a0, t in itertools.product(D, A0, T):
        _assert_close(t, s, a0, 1.0, d)


def test_the_issue_cases():
    # s = 1e-12, d = 1e6, a0 = 0.5: the textbook form's 1 + (s/(d a0) - 1) rounds to 0 -> inf
    _assert_close(0.0, 1e-12, 0.5, 1.0, 1e6)
    _assert_close(10.0, 1e-12, 0.5, 1.0, 1e6)
    # s/(d a0) >= 1e300: inf * 0 = nan at large t in the textbook form
    _assert_close(1e5, 1.0, 1e-300, 1.0, 1.0)
    _assert_close(1e5, 1e10, 1e-300, 1.0, 1e-5)
    # a0 = 1e-300 at t = 0 is a0, not 0
    assert float(th.mode_trajectory(0.0, 1e10, 1e-300)) == 1e-300


def _floats(lo: float, hi: float):
    return st.floats(lo, hi).map(lambda e: 10.0**e)


@given(
    t=st.one_of(st.just(0.0), _floats(-8, 9)),
    s=_floats(-300, 100),
    a0=_floats(-300, 30),
    d=_floats(-6, 6),
    tau=_floats(-3, 3),
)
@settings(max_examples=share(8))  # cheap: 8x the profile's budget
@example(t=0.0, s=1e-12, a0=0.5, d=1e6, tau=1.0)
@example(t=1e9, s=1e50, a0=1e-300, d=1e-6, tau=1.0)
def test_mode_trajectory_matches_mpmath(t, s, a0, d, tau):
    _assert_close(t, s, a0, tau, d)
