"""EVIDENCE noise variants: simulator statistics, effective sample sizes, the observer's scale,
and spec validation (THEORY.md §2 extended; formulas ``derived`` in theory.evidence)."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mtl_theory.numerics import evidence as ne
from mtl_theory.theory import evidence as te
from scipy.linalg import toeplitz

from mtl_theory.families.evidence import FAMILY
from mtl_theory.registry import CheckOptions
from mtl_theory.spec import SpecError

ROOT = Path(__file__).resolve().parents[1]


def _spec(**extra):
    base = {"theory": "evidence", "D": 2, "n_tasks": 6, "boundaries": "even"}
    base.update(extra)
    return FAMILY.schema.validate(base)


def test_isotropic_draws_are_unchanged_by_the_options():
    """Same generator calls as before the variants existed: bit-identical trials."""
    a = ne.simulate_trials(2, 0.2, 7, 50, ne.rng_from(5))
    rng = ne.rng_from(5)
    x = rng.uniform(-0.5, 0.5, size=(50, 2))
    noise = rng.standard_normal((50, 7, 2))
    np.testing.assert_array_equal(a.samples, x[:, None, :] + 0.2 * noise)


@pytest.mark.parametrize(
    "kind, scales, rho",
    [("anisotropic", (0.5, 2.0), 0.0), ("correlated", None, 0.6), ("correlated", None, -0.4)],
)
def test_noise_covariance_matches_the_model(kind, scales, rho):
    """Sample covariance of eps (n t = 60000 draws) within 5 SE of S; SE of a covariance entry
    sqrt((S_jj S_kk + S_jk^2) / n) for Gaussian data."""
    D, sigma, t, n = 2, 0.3, 6, 10000
    trials = ne.simulate_trials(
        D,
        sigma,
        t,
        n,
        ne.rng_from(1),
        scales=scales,
        rho_coord=rho if kind == "correlated" else 0.0,
    )
    eps = (trials.samples - trials.x_star[:, None, :]).reshape(-1, D)
    S = te.noise_coordinate_covariance(D, sigma, kind, scales, rho)
    se = np.sqrt((np.outer(np.diag(S), np.diag(S)) + S**2) / eps.shape[0])
    assert np.all(np.abs(np.cov(eps.T) - S) <= 5 * se)


def test_ar1_lag_correlation_and_stationary_variance():
    """corr(eps(tau), eps(tau + k)) = rho^k and Var eps(tau) = sigma^2 at every tau; 5 SE
    (SE of a correlation ~ (1 - r^2)/sqrt(n), of a variance ratio sqrt(2/n))."""
    rho, n = 0.7, 20000
    trials = ne.simulate_trials(1, 1.0, 8, n, ne.rng_from(2), rho_time=rho)
    eps = trials.samples[:, :, 0] - trials.x_star
    for k in (1, 2, 3):
        r = np.corrcoef(eps[:, 2], eps[:, 2 + k])[0, 1]
        assert abs(r - rho**k) <= 5 * (1 - rho ** (2 * k)) / math.sqrt(n)
    assert np.all(np.abs(eps.var(axis=0) - 1.0) <= 5 * math.sqrt(2 / n))


@given(t=st.integers(1, 60), rho=st.floats(-0.9, 0.9))
def test_gls_weights_reach_the_closed_form_precision(t, rho):
    """Numerical GLS weights (Levinson solve) have Var = w^T T w = 1/t_eff (closed form);
    the plain mean 1^T T 1 / t^2 = 1/t_eff,mean. Rounding: rtol 1e-9 (cond T <= ~400)."""
    T = toeplitz(rho ** np.arange(t))
    w = ne.gls_weights(t, rho)
    assert w @ T @ w == pytest.approx(1 / te.effective_samples_gls(t, rho), rel=1e-9)
    ones = np.ones(t) / t
    assert ones @ T @ ones == pytest.approx(1 / te.effective_samples_mean(t, rho), rel=1e-9)
    assert te.effective_samples_mean(t, rho) <= te.effective_samples_gls(t, rho) * (1 + 1e-12)


@given(rho=st.floats(-0.8, 0.9), t=st.integers(2, 30), seed=st.integers(0, 10**6))
def test_eq7_with_effective_samples_matches_simulation(rho, t, seed):
    """r2 of the GLS estimate vs 1 - sigma^2/(t_eff Var) within 5 MC SE (3000 trials)."""
    sigma = 0.3
    trials = ne.simulate_trials(2, sigma, t, 3000, ne.rng_from(seed), rho_time=rho)
    r2, se = ne.r2_of_estimate(
        ne.optimal_estimate(trials.samples, rho), trials.x_star, te.BOX_VARIANCE
    )
    predicted = float(
        np.mean(
            te.r2_variant_per_coordinate(sigma**2 * np.eye(2), te.effective_samples_gls(t, rho))
        )
    )
    assert abs(r2 - predicted) <= 5 * se


@given(
    s1=st.floats(0.2, 3.0),
    s2=st.floats(0.2, 3.0),
    rho=st.floats(-0.8, 0.8),
    seed=st.integers(0, 10**6),
)
def test_observer_scale_standardizes_task_errors(s1, s2, rho, seed):
    """c_i^T (x* - mu) / sqrt(c_i^T S c_i / t) ~ N(0, 1) under anisotropic + correlated noise:
    sample variance within 5 SE = 5 sqrt(2/(n-1)) of 1, every task."""
    n, t, sigma = 4000, 10, 0.2
    C = te.even_normals(5)
    trials = ne.simulate_trials(2, sigma, t, n, ne.rng_from(seed), scales=(s1, s2), rho_coord=rho)
    R = np.array([[1.0, rho], [rho, 1.0]])
    S = sigma**2 * np.diag([s1, s2]) @ R @ np.diag([s1, s2])
    z = (trials.x_star - trials.mean) @ C.T / (te.observer_noise_scales(C, S) / math.sqrt(t))
    assert np.all(np.abs(z.var(axis=0, ddof=1) - 1.0) <= 5 * math.sqrt(2 / (n - 1)))


@pytest.mark.parametrize(
    "extra, key",
    [
        ({"noise": "anisotropic"}, "noise_scales"),
        ({"noise": "anisotropic", "noise_scales": [1.0]}, "noise_scales"),
        ({"noise": "anisotropic", "noise_scales": [1.0, 0.0]}, "noise_scales"),
        ({"noise_scales": [1.0, 2.0]}, "noise_scales"),
        ({"noise_rho": 0.3}, "noise_rho"),
        ({"noise": "correlated", "noise_rho": 0.3, "network": "rnn"}, "network"),
        ({"noise": "autocorrelated", "noise_rho": 0.3, "t": 50000}, "t"),
    ],
)
def test_bad_noise_specs_name_their_key(extra, key):
    with pytest.raises(SpecError) as err:
        FAMILY.build(_spec(**extra))
    assert err.value.key == key


def test_correlated_noise_needs_a_positive_definite_correlation():
    spec = FAMILY.schema.validate(
        {
            "theory": "evidence",
            "D": 3,
            "n_tasks": 5,
            "boundaries": "random",
            "noise": "correlated",
            "noise_rho": -0.6,
        }
    )
    with pytest.raises(SpecError) as err:
        FAMILY.build(spec)
    assert err.value.key == "noise_rho"


@pytest.mark.parametrize(
    "extra",
    [
        {"noise": "anisotropic", "noise_scales": [0.5, 2.0]},
        {"noise": "correlated", "noise_rho": 0.7},
    ],
)
def test_variant_checks_agree_and_change_the_prediction(extra):
    """The covariance-aware comparisons agree; r2_ideal departs from the isotropic Eq. 7."""
    setup = FAMILY.build(_spec(sigma=0.2, t=20, **extra))
    result = FAMILY.check(setup, CheckOptions(verify=True, seed=4))
    assert result.verification.comparisons
    assert all(c.agrees for c in result.verification.comparisons)
    if extra["noise"] == "anisotropic":
        assert result.predictions["r2_ideal"] < te.r2_eq7(0.2, 20) - 0.01


def test_autocorrelated_example_verifies():
    spec = tomllib.loads((ROOT / "examples/evidence-noise-autocorrelated.toml").read_text())
    setup = FAMILY.build(FAMILY.schema.validate(spec))
    result = FAMILY.check(setup, CheckOptions(verify=True, seed=0))
    assert result.predictions["effective_samples"] == pytest.approx(22 / 3)
    assert all(c.agrees for c in result.verification.comparisons)
