"""The result model decides agreement itself; nothing non-finite can pass as agreement."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mtl_theory.theory.model import (
    CheckResult,
    Comparison,
    Derivation,
    HypothesisCheck,
    Statement,
    Verification,
    to_jsonable,
)

S = Statement("X-1", "t", "text", "derived")


@given(st.floats(-1e6, 1e6), st.floats(0, 1e3), st.floats(0, 1))
def test_numeric_agrees_iff_error_within_tolerance(p, tol, frac):
    m = p + tol * frac
    c = Comparison.numeric("X-1", "q", p, m, tol, "why")
    assert c.agrees == (abs(m - p) <= tol)
    assert c.error == pytest.approx(abs(m - p))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_never_agrees(bad):
    assert not Comparison.numeric("X-1", "q", 1.0, bad, 1e9, "why").agrees
    assert not Comparison.numeric("X-1", "q", [1.0, bad], [1.0, 1.0], 1e9, "why").agrees
    assert not Comparison.upper_bound("X-1", "q", 1.0, bad, 1e9, "why").agrees


def test_shape_mismatch_is_an_error_not_a_verdict():
    with pytest.raises(ValueError, match="shape"):
        Comparison.numeric("X-1", "q", [1.0, 2.0], [1.0], 1.0, "why")


def test_relative_and_bound_and_exact():
    assert Comparison.numeric("X-1", "q", 100.0, 101.0, 0.011, "r", relative=True).agrees
    assert not Comparison.numeric("X-1", "q", 100.0, 102.0, 0.011, "r", relative=True).agrees
    assert Comparison.upper_bound("X-1", "q", 0.9, 0.95, 0.05, "se").agrees
    assert not Comparison.upper_bound("X-1", "q", 0.9, 0.96, 0.05, "se").agrees
    assert Comparison.exact("X-1", "n", (1, 2), [1, 2]).agrees
    assert not Comparison.exact("X-1", "n", 8, 7).agrees


def test_verification_and_contradiction():
    good = Comparison.exact("X-1", "n", 1, 1)
    bad = Comparison.exact("X-1", "n", 1, 2)
    hyp = (HypothesisCheck("h", True, "ok"),)
    ok = CheckResult("t", S, hyp, {}, Verification("m", {}, (good,)))
    no = CheckResult("t", S, hyp, {}, Verification("m", {}, (good, bad)))
    assert ok.applies and not ok.contradiction
    assert no.contradiction and no.to_json()["verification"]["agrees"] is False
    unverified = CheckResult("t", S, (HypothesisCheck("h", False, "no"),), {})
    assert not unverified.applies and not unverified.contradiction
    assert unverified.to_json()["verification"] is None


def test_provenance_is_checked():
    with pytest.raises(ValueError, match="provenance"):
        Statement("X", "t", "x", "folklore")
    with pytest.raises(ValueError, match="provenance"):
        Derivation("D", "s", "guess", "proved", "m", "d")


def test_to_jsonable_handles_numpy_and_non_finite():
    data = to_jsonable(
        {
            "a": np.arange(3),
            "b": np.float32(0.5),
            "c": (np.inf, -np.inf, np.nan),
            "d": np.bool_(True),
            1: None,
        }
    )
    assert data == {"a": [0, 1, 2], "b": 0.5, "c": ["inf", "-inf", "nan"], "d": True, "1": None}
