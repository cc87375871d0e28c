"""EVIDENCE edge cases found by ``benchmarks/fuzz_verify.py --n 400 --seed 2`` (issue 14).

Each was a traceback, a false contradiction or an unannounced timeout of ``check --verify``;
each is pinned here on its verdict or refusal path, small enough to run in seconds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from mtl_theory.numerics import evidence as ne
from mtl_theory.proofs import evidence as pe
from mtl_theory.theory import evidence as te

from mtl_theory import api
from mtl_theory import cost as mc
from mtl_theory.api import load_spec
from mtl_theory.spec import SpecError


def _spec(**kw):
    return {"theory": "evidence", "D": 2, "n_tasks": 6, "boundaries": "even", **kw}


# ---------------------------------------------------------------- separable labels


def _separable_data(rng, n=300):
    """Labels of one task exactly the sign of the first coordinate: separable."""
    Z = rng.normal(size=(n, 2))
    return Z, (Z[:, :1] > 0).astype(float)


def test_separable_tasks_certifies_separable_and_overlapping_labels():
    rng = np.random.default_rng(0)
    Z, Y = _separable_data(rng)
    noisy = ((Z[:, 0] + rng.normal(size=Z.shape[0])) > 0).astype(float)[:, None]
    assert ne.separable_tasks(Z, np.hstack([Y, noisy])).tolist() == [True, False]
    # one class only: separable (the intercept alone diverges)
    assert ne.separable_tasks(Z, np.ones((Z.shape[0], 1))).tolist() == [True]


def test_logistic_comparison_on_separable_labels_is_not_measurable_without_a_solver(monkeypatch):
    """sigma = 1e-8: the EV-3 exit 1 (cvxpy vs scipy on labels whose optimum does not exist)
    and the CLARABEL traceback; now 'not measurable' with the LP's reason, no solver run."""

    def no_solver(*_):
        raise AssertionError("the solver must not run on separable labels")

    monkeypatch.setattr(ne, "fit_readouts_cvxpy", no_solver)
    Z, Y = _separable_data(np.random.default_rng(1))
    measured: dict = {}
    c = pe._cvxpy_vs_scipy(Z, Y, 1, True, measured)
    assert not c.measurable and not c.disagrees
    assert "linearly separable" in c.out_of_range and "LP certificate" in c.out_of_range


def test_a_solver_failure_is_not_measurable(monkeypatch):
    def fails(*_):
        raise RuntimeError("cvxpy logistic readout: CLARABEL: Solver 'CLARABEL' failed")

    monkeypatch.setattr(ne, "fit_readouts_cvxpy", fails)
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(300, 2))
    Y = ((Z[:, :1] + rng.normal(size=(300, 1))) > 0).astype(float)
    measured: dict = {}
    c = pe._cvxpy_vs_scipy(Z, Y, 1, True, measured)
    assert not c.measurable and "solver failed" in c.out_of_range
    assert "CLARABEL" in measured["cvxpy_failure"]


def test_a_singular_information_matrix_gives_nan_errors_not_a_traceback():
    """sigma = 1e-100 / t = 1e5: the probit Hessian vanished (numpy LinAlgError)."""
    assert np.isnan(ne._inverse_or_nan(np.zeros((3, 3)))).all()
    np.testing.assert_allclose(ne._inverse_or_nan(2 * np.eye(2)), 0.5 * np.eye(2))


def test_fitted_readout_certificate_names_the_separated_tasks():
    Z, Y = _separable_data(np.random.default_rng(3))
    fit = ne.Readouts(np.array([[1.0, 0.0]]), np.array([0.0]), "probit", "test", 0.0)
    why = pe._separable_why(Z, Y, "probit", fit)
    assert why is not None and "[0]" in why and "classifies every trial" in why
    wrong = ne.Readouts(np.array([[0.0, 1.0]]), np.array([0.0]), "probit", "test", 0.0)
    assert pe._separable_why(Z, Y, "probit", wrong) is None


# ---------------------------------------------------------------- fewer readouts than latents


def test_axis_angles_of_fewer_readouts_than_latents():
    """N_task = 1 < D = 2: the filter's 2 x 1 decoder weights were refused as transposed."""
    angles = ne.axis_angles(np.array([[1.0], [-2.0]]), n_latents=2)
    np.testing.assert_allclose(angles, [180.0])
    with pytest.raises(ValueError, match="transposed"):
        ne.axis_angles(np.array([[1.0], [-2.0]]))


def test_filter_ood_reference_is_the_ideal_outputs_when_rank_fails():
    """rank C < D: the filter's logits carry only C mu, so the reference is the ideal
    observer's outputs (probit arguments), not mu (was a false EV-3 contradiction)."""
    setup = load_spec(_spec(n_tasks=1, sigma=0.2, t=20, n_trials=2000)).setup
    rng = np.random.default_rng(4)
    trials = ne.summarize_trials(setup.D, setup.sigma, setup.t, 2000, rng, keep=10)
    logits = te.probit_argument(trials.mean, setup.C, setup.d, setup.sigma, setup.t)
    var = te.BOX_VARIANCE
    ood_net, _ = ne.ood_r2_nonempty(2.0 * logits + 1.0, trials.x_star, latent_variance=var)
    ideal, _ = ne.ood_r2_nonempty(trials.mean, trials.x_star, latent_variance=var)
    measured = {"ood_r2_network": float(np.mean(ood_net)), "ood_r2_ideal": float(np.mean(ideal))}
    c = pe._filter_ood_comparison(
        setup, trials, measured, pe._ood_se(trials.mean, trials.x_star, var)
    )
    assert "rank C < D" in c.quantity and c.agrees
    # against mu (the old reference) the same affine logits would disagree
    assert abs(measured["ood_r2_ideal"] - measured["ood_r2_network"]) > 10 * c.tolerance


# ---------------------------------------------------------------- sigma -> 0, noise variants


def test_sigma_1e300_autocorrelated_is_not_measurable_not_a_traceback():
    """Every alternative of the per-coordinate r2 equals 1 = the prediction."""
    spec = _spec(sigma=1e-300, t=20, noise="autocorrelated", noise_rho=0.99, n_trials=200)
    result = api.check(spec, verify=True)
    assert result.verdict == "not measurable"
    per = [c for c in result.verification.comparisons if "per-coordinate" in c.quantity]
    assert per and not per[0].measurable and "alternative" in per[0].out_of_range


def test_sigma_1e8_box_posterior_bound_is_not_a_contradiction():
    """r2 = 1 - eps/2 against 1.0 (both rounded): EV-5's upper bound allows eps."""
    result = api.check(_spec(sigma=1e-8, t=20, n_trials=200), verify=True)
    assert result.verdict != "contradiction"
    bound = [c for c in result.verification.comparisons if "box-prior Bayes" in c.quantity]
    assert bound and bound[0].agrees and bound[0].tolerance >= pe.R2_ROUNDING


# ---------------------------------------------------------------- domain and cost


@pytest.mark.parametrize("D", [64])
def test_latent_dimension_beyond_the_int64_orthant_index_is_refused(D):
    with pytest.raises(SpecError, match="D"):
        load_spec(_spec(D=D, boundaries="random", n_tasks=8))
    normals = tuple(tuple(1.0 if j == i else 0.0 for j in range(D)) for i in range(D))
    with pytest.raises(ValueError, match="D"):
        te.EvidenceSetup(normals=normals, offsets=(0.0,) * D, sigma=0.2, t=2, boundaries="explicit")


def test_orthant_index_is_exact_at_the_largest_dimension():
    x = np.ones((1, te.MAX_D))
    from mtl_theory.numerics.metrics import orthant_index

    assert int(orthant_index(x)[0]) == 2**te.MAX_D - 1


@pytest.mark.parametrize(
    ("kw", "budget"),
    [
        ({"n_tasks": 2000, "network": "filter", "boundaries": "random", "D": 3}, 60.0),
        ({"n_trials": 1_000_000, "network": "filter"}, 30.0),
        ({"t": 100000, "boundaries": "random", "D": 3, "n_tasks": 8, "n_trials": 201}, 60.0),
    ],
)
def test_routes_that_timed_out_are_estimated_beyond_their_budget(kw, budget):
    """The cases that ran past the fuzzer's 120 s cap unannounced (estimates of 0.2-1 s)."""
    setup = load_spec(_spec(**({"sigma": 0.3, "t": 10} | kw))).setup
    cost = mc.evidence_route_cost(setup)
    assert cost.seconds > budget
    refusal = mc.over_budget("evidence", setup, mc.Budget(seconds=budget))
    assert refusal is not None and "\n" not in refusal


def test_the_calibration_point_is_estimated_within_the_stated_spread():
    """D = 3, N_task = 8, t = 10, 2000 trials: 0.98 s (none) and 3.28 s (filter) measured."""
    base = dict(D=3, n_tasks=8, boundaries="random", sigma=0.3, t=10, n_trials=2000)
    none = mc.evidence_route_cost(load_spec(_spec(**base)).setup).seconds
    filt = mc.evidence_route_cost(load_spec(_spec(**base, network="filter")).setup).seconds
    assert 0.98 / 2.1 <= none <= 0.98 / 0.3 and 3.28 / 2.1 <= filt <= 3.28 / 0.3
    assert math.isfinite(none) and filt > none


def test_noise_below_the_resolution_of_x_is_not_measurable_not_a_contradiction():
    """sigma = 1e-100, t = 1, autocorrelated: mu_opt rounds to x*, the z variance was 0 (EV-1
    exit 1); now 'not measurable' naming the float64 resolution."""
    spec = _spec(sigma=1e-100, t=1, noise="autocorrelated", noise_rho=0.5, n_trials=200)
    result = api.check(spec, verify=True)
    assert result.verdict == "not measurable"
    scale = [c for c in result.verification.comparisons if c.quantity.startswith("variance of")]
    assert scale and not scale[0].measurable and "rounding" in scale[0].out_of_range


def test_filter_on_separable_labels_is_not_fit_and_not_measurable():
    """sigma = 1e-8: every task's own boundary separates the trials; the filter's ML readouts
    do not exist, so nothing is fit (was 20-100 s of fits run to their cap) and the verdict
    says why."""
    spec = _spec(sigma=1e-8, t=10, network="filter", n_trials=200)
    result = api.check(spec, verify=True)
    assert result.verdict == "not measurable"
    ood = [c for c in result.verification.comparisons if c.quantity.startswith("filter network")]
    assert ood and "own boundary" in ood[0].out_of_range
    assert "readout_angle_to_c_deg" not in result.verification.measured
