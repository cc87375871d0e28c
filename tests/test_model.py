"""The result model decides agreement itself; nothing non-finite can pass as agreement."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mtl_theory.theory.model import (
    Z_POWER,
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
    c = Comparison.numeric("X-1", "q", p, m, tol, "why", route="independent")
    assert c.agrees == (abs(m - p) <= tol)
    assert c.error == pytest.approx(abs(m - p))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_never_agrees(bad):
    assert not Comparison.numeric("X-1", "q", 1.0, bad, 1e9, "why", route="independent").agrees
    assert not Comparison.numeric(
        "X-1", "q", [1.0, bad], [1.0, 1.0], 1e9, "why", route="independent"
    ).agrees
    assert not Comparison.upper_bound("X-1", "q", 1.0, bad, 1e9, "why", route="independent").agrees


def test_shape_mismatch_is_an_error_not_a_verdict():
    with pytest.raises(ValueError, match="shape"):
        Comparison.numeric("X-1", "q", [1.0, 2.0], [1.0], 1.0, "why", route="independent")


def test_relative_and_bound_and_exact():
    assert Comparison.numeric(
        "X-1", "q", 100.0, 101.0, 0.011, "r", relative=True, route="independent"
    ).agrees
    assert not Comparison.numeric(
        "X-1", "q", 100.0, 102.0, 0.011, "r", relative=True, route="independent"
    ).agrees
    assert Comparison.upper_bound("X-1", "q", 0.9, 0.95, 0.05, "se", route="independent").agrees
    assert not Comparison.upper_bound("X-1", "q", 0.9, 0.96, 0.05, "se", route="independent").agrees
    assert Comparison.exact("X-1", "n", (1, 2), [1, 2], route="independent").agrees
    assert not Comparison.exact("X-1", "n", 8, 7, route="independent").agrees


def test_verification_and_contradiction():
    good = Comparison.exact("X-1", "n", 1, 1, route="independent")
    bad = Comparison.exact("X-1", "n", 1, 2, route="independent")
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
    # strict JSON: non-finite numbers are null, and the object says what stood there
    assert data == {
        "a": [0, 1, 2],
        "b": 0.5,
        "c": [None, None, None],
        "d": True,
        "1": None,
        "non_finite": {"c": "inf at [0], -inf at [1], nan at [2]"},
    }


def test_verified_needs_an_independent_comparison():
    hyp = (HypothesisCheck("h", True, "ok"),)
    independent = Comparison.exact("X-1", "n", 1, 1, route="independent")
    consistency = Comparison.exact("X-1", "n", 1, 1, route="consistency")
    none = CheckResult("t", S, hyp, {}, Verification("m", {}, ()))
    only_consistency = CheckResult("t", S, hyp, {}, Verification("m", {}, (consistency,)))
    real = CheckResult("t", S, hyp, {}, Verification("m", {}, (consistency, independent)))
    assert not none.verified and none.verdict == "not verified"
    assert none.verification.not_verified_reason == "no comparison was made"
    assert not only_consistency.verified
    assert "consistency" in only_consistency.verification.not_verified_reason
    assert real.verified and real.verdict == "verified"
    assert real.to_json()["verified"] is True and none.to_json()["verdict"] == "not verified"
    with pytest.raises(ValueError, match="route"):
        Comparison.exact("X-1", "n", 1, 1, route="same")


def test_monte_carlo_power_is_computed_and_required():
    kwargs = {"alternatives": {"t + 1": 0.977}}
    weak = Comparison.monte_carlo("X-1", "r2", 0.976, 0.9761, 0.001, 4.0, "mc", **kwargs)
    strong = Comparison.monte_carlo("X-1", "r2", 0.976, 0.97601, 0.0001, 4.0, "mc", **kwargs)
    assert weak.agrees and not weak.powered and not weak.verifies
    assert strong.agrees and strong.powered and strong.verifies
    assert weak.detectable == pytest.approx((4.0 + Z_POWER) * 0.001)
    assert "detects deviations" in weak.tolerance_reason
    # the sample growth that would make the weak one powered: (6.33e-3 / (0.8 * 1e-3))^2
    assert weak.sample_growth_for_power() == pytest.approx(((4 + Z_POWER) / 0.8) ** 2, rel=0.3)
    assert strong.sample_growth_for_power() == 1.0
    fixed = Comparison.monte_carlo(
        "X-1", "r2", 0.976, 0.976, 1e-6, 4.0, "mc", bias=0.01, bias_shrinks=False, **kwargs
    )
    assert fixed.sample_growth_for_power() == math.inf  # a fixed bias can never be beaten
    hyp = (HypothesisCheck("h", True, "ok"),)
    underpowered = CheckResult("t", S, hyp, {}, Verification("m", {}, (weak,)))
    assert not underpowered.verified
    assert "power" in underpowered.verification.not_verified_reason
    with pytest.raises(ValueError, match="alternatives"):
        Comparison.monte_carlo("X-1", "r2", 0.976, 0.976, 0.001, 4.0, "mc", alternatives={})


def test_derivation_outcomes():
    assert Derivation("D", "s", "derived", "proved", "m", "d").holds
    assert Derivation("D", "s", "derived", "checked", "m", "d", scope="n = 1..3").holds
    assert not Derivation("D", "s", "derived", "undecided", "m", "d").holds
    assert not Derivation("D", "s", "derived", "refuted", "m", "d").holds
    with pytest.raises(ValueError, match="scope"):
        Derivation("D", "s", "derived", "checked", "m", "d")
