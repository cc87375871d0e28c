"""EVIDENCE: closed forms, hypotheses, independent routes and the spec (THEORY.md §2)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import reference_kernels
from budget import share
from hypothesis import example, given, settings
from hypothesis import strategies as st
from mtl_theory.numerics import evidence as ne
from mtl_theory.proofs import evidence as pe
from mtl_theory.theory import evidence as te

from mtl_theory.families.evidence import FAMILY
from mtl_theory.registry import CheckOptions
from mtl_theory.spec import SpecError


def build(**spec):
    return FAMILY.build(FAMILY.schema.validate({"theory": "evidence", **spec}))


# --------------------------------------------------------------------------- closed forms


def test_even_normals_are_unit_and_orthogonal_design():
    for n in range(2, 30):
        C = te.even_normals(n)
        assert np.allclose(np.linalg.norm(C, axis=1), 1.0)
        # EV-6: C^T C = (N/2) I (1e-12: float sums of n terms of size 1)
        assert np.allclose(C.T @ C, n / 2 * np.eye(2), atol=1e-12)
    # phi = pi/2 occurs for odd N: no overflow, normal (-1, 0) up to sign
    assert np.all(np.isfinite(te.even_normals(7)))


def test_eq7_numbers_of_theory_md():
    # THEORY.md EV-5: sigma = 0.2, Var = 1/12: t = 5 -> 0.904, 10 -> 0.952, 20 -> 0.976
    assert [round(te.r2_eq7(0.2, t), 3) for t in (5, 10, 20, 21)] == [0.904, 0.952, 0.976, 0.977]
    assert te.r2_lmmse(0.2, 20) > te.r2_eq7(0.2, 20)


def test_stable_probit_survives_saturation():
    z = np.array([-30.0, -8.5, 0.0, 8.5, 30.0])
    p, q = te.ideal_observer_flat(z[:, None], np.eye(1), np.zeros(1), 1.0, 1)
    assert te.count_saturated(p) == 2  # Phi(8.5) and Phi(30) round to exactly 1
    assert np.allclose(te.stable_probit(p, q)[:, 0], z, rtol=1e-12)


@given(
    D=st.integers(1, 5),
    extra=st.integers(0, 6),
    sigma=st.floats(0.01, 1.0),
    t=st.integers(1, 200),
    seed=st.integers(0, 2**31),
    affine=st.booleans(),
)
@example(D=2, extra=4, sigma=0.2, t=20, seed=0, affine=False)  # the paper's main setting
@example(D=1, extra=0, sigma=0.01171875, t=1, seed=0, affine=False)  # Phi(-z) underflows
def test_extraction_recovers_mu_to_rounding(D, extra, sigma, t, seed, affine):
    """EV-3 round trip with N >= D; tolerance: rounding, eps x cond(C) x scale x 1e3."""
    rng = ne.rng_from(seed)
    N = D + extra
    C = rng.standard_normal((N, D)) * rng.uniform(0.5, 2.0, size=(N, 1))
    d = rng.uniform(-0.3, 0.3, N) if affine else np.zeros(N)
    trials = ne.simulate_trials(D, sigma, t, 300, rng)
    log_p, log_q = te.ideal_observer_flat_log(trials.mean, C, d, sigma, t)
    mu_hat = te.extract_mu(log_p, log_q, C, d, sigma, t, log=True)
    cond = np.linalg.cond(C)
    scale = np.max(np.abs(trials.mean)) + np.max(np.abs(d), initial=0.0) + 1.0
    assert np.max(np.abs(mu_hat - trials.mean)) <= 1e3 * np.finfo(float).eps * cond * scale


# --------------------------------------------------------------------------- hypotheses


def test_rank_hypothesis_names_the_missing_direction():
    h = te.rank_hypothesis(build(D=2, n_tasks=1, boundaries="even"))
    assert not h.holds
    # the single even line at phi = pi/2 has normal (-1, 0): the direction (0, 1) is lost
    assert h.detail == "rank C = 1 < D = 2: the direction (0.00, 1.00) is not represented"
    h = te.rank_hypothesis(build(D=2, normals=[[1, -1], [2, -2]]))
    assert h.detail == "rank C = 1 < D = 2: the direction (0.71, 0.71) is not represented"
    assert te.rank_hypothesis(build(D=2, n_tasks=3, boundaries="even")).holds


def test_noise_hypothesis():
    assert not te.noise_positive(build(D=2, n_tasks=2, boundaries="even", sigma=0.0)).holds
    assert te.noise_positive(build(D=2, n_tasks=2, boundaries="even", sigma=0.1)).holds


# --------------------------------------------------------------------------- numerics routes


@given(
    D=st.integers(1, 4),
    extra=st.integers(0, 4),
    sigma=st.floats(0.05, 0.6),
    t=st.integers(1, 50),
    seed=st.integers(0, 2**31),
)
def test_r2_of_mu_matches_eq7_within_mc_se(D, extra, sigma, t, seed):
    """EV-5 against simulation: |r2_sim - Eq. 7| <= 4.5 SE (per-example false alarm 7e-6)."""
    rng = ne.rng_from(seed)
    trials = ne.simulate_trials(D, sigma, t, 3000, rng)
    r2, se = ne.r2_of_estimate(trials.mean, trials.x_star, te.BOX_VARIANCE)
    assert abs(r2 - te.r2_eq7(sigma, t)) <= 4.5 * se


def test_bayes_observer_flat_matches_ev1_and_box_differs_near_edges():
    """EV-1 (flat prior) vs importance sampling; RMS standardized deviation ~ 1."""
    rng = ne.rng_from(5)
    C, d, sigma, t = te.even_normals(6), np.zeros(6), 0.2, 20
    trials = ne.simulate_trials(2, sigma, t, 300, rng)
    flat = ne.bayes_observer_mc(trials.samples, C, d, sigma, prior="flat", rng=rng)
    p, _ = te.ideal_observer_flat(trials.mean, C, d, sigma, t)
    live = (p > 1e-3) & (p < 1 - 1e-3)
    z = (flat.p - p)[live] / flat.se[live]
    m = z.size
    assert abs(math.sqrt(np.mean(z**2)) - 1.0) <= 5 / math.sqrt(2 * m) + 0.05
    # a wrong formula is caught: doubling the noise level in the probit shifts P by O(0.1)
    p_wrong, _ = te.ideal_observer_flat(trials.mean, C, d, 2 * sigma, t)
    z_wrong = (flat.p - p_wrong)[live] / flat.se[live]
    assert math.sqrt(np.mean(z_wrong**2)) > 3
    # the box prior's posterior differs from the flat one only near the edges
    box = ne.bayes_observer_mc(trials.samples, C, d, sigma, prior="box", rng=rng)
    dev = np.max(np.abs(box.p - p), axis=1)
    edge = np.max(np.abs(trials.mean), axis=1) > 0.5 - 2 * sigma / math.sqrt(t)
    assert np.median(dev[edge]) > np.median(dev[~edge])


@pytest.mark.parametrize(("D", "n_tasks"), [(1, 1), (1, 3), (2, 1), (2, 6), (3, 5)])
@pytest.mark.parametrize("prior", ["flat", "box"])
def test_bayes_observer_small_d_path_changes_no_bit(D, n_tasks, prior):
    """For D <= 2 the last-axis sums are elementwise (_small_sum), not np.sum / np.all /
    np.einsum; every output equals the previous kernel's bit for bit (and for D = 3, which
    keeps einsum), with the same random stream. Samples and boundaries straddle the box's
    edge and the boundaries, so every branch and sign is exercised."""
    seed = 11 * D + n_tasks
    rng = np.random.default_rng(seed)
    samples = rng.uniform(-0.6, 0.6, (70, 1, D)) + 0.2 * rng.standard_normal((70, 8, D))
    C = rng.standard_normal((n_tasks, D))
    d = 0.2 * rng.standard_normal(n_tasks)
    kwargs = dict(prior=prior, n_nodes=257, chunk=16)
    new = ne.bayes_observer_mc(samples, C, d, 0.2, rng=np.random.default_rng(seed), **kwargs)
    old = reference_kernels.bayes_observer_mc_einsum(
        samples, C, d, 0.2, rng=np.random.default_rng(seed), **kwargs
    )
    for name in ("p", "se", "posterior_mean", "ess"):
        assert np.array_equal(getattr(new, name), getattr(old, name)), name
    assert 0 < np.mean(new.p) < 1


@settings(max_examples=share(1.0), deadline=None)
@given(
    n=st.integers(1, 400),
    d=st.integers(1, 5),
    scale=st.sampled_from([1e-3, 1.0, 10.0, 100.0]),
    seed=st.integers(0, 2**32 - 1),
)
@example(n=3, d=1, scale=100.0, seed=0)  # |s| in the tens: log Phi(-s) far in its tail
def test_probit_nll_with_one_log_phi_equals_the_two_term_form(n, d, scale, seed):
    # one log Phi(+-s) per sample instead of both (issue 12): the same value and gradient
    # bit for bit for 0/1 labels, whatever the scale of the scores
    rng = np.random.default_rng(seed)
    A = np.hstack([scale * rng.standard_normal((n, d)), np.ones((n, 1))])
    theta = rng.standard_normal(d + 1)
    y = (rng.random(n) < 0.5).astype(float)
    val, grad = ne._nll_probit(theta, A, y)
    ref_val, ref_grad = reference_kernels.nll_probit_two_terms(theta, A, y)
    assert val == ref_val and np.array_equal(grad, ref_grad)


# each example fits probit readouts on thousands of trials (~1 s): a quarter of the budget
@settings(max_examples=share(0.25))
@given(
    D=st.integers(2, 3),
    extra=st.integers(0, 3),
    sigma=st.floats(0.1, 0.4),
    t=st.integers(3, 30),
    seed=st.integers(0, 2**31),
)
def test_filter_network_ood_r2_matches_ideal(D, extra, sigma, t, seed):
    """Probit readouts on Z = sum X: OOD r2 of the logits equals the ideal route within 4 SE;
    readout directions are parallel to c_i within the MLE's asymptotic spread."""
    rng = ne.rng_from(seed)
    N = D + extra
    C = te.random_normals(N, D, seed)
    d = np.zeros(N)
    trials = ne.simulate_trials(D, sigma, t, 2500, rng)
    Y = ne.task_labels(trials.x_star, C, d)
    ro = ne.fit_readouts_scipy(trials.integrator, Y, "probit")
    ideal = ne.ood_r2_all(trials.mean, trials.x_star, te.BOX_VARIANCE)
    net = ne.ood_r2_all(ro.logits(trials.integrator), trials.x_star, te.BOX_VARIANCE)
    se = pe._ood_se(trials.mean, trials.x_star, te.BOX_VARIANCE)
    assert abs(net.mean() - ideal.mean()) <= 4 * se
    angles, ses = ne.direction_angle_and_se(ro, C)
    from scipy.stats import chi2

    k = math.sqrt(chi2.ppf(1 - 1e-4 / N, D - 1))
    assert np.all(angles <= k * ses)


def test_cvxpy_and_scipy_logistic_readouts_agree():
    rng = ne.rng_from(2)
    C, d = te.even_normals(3), np.zeros(3)
    trials = ne.simulate_trials(2, 0.2, 10, 400, rng)
    Y = ne.task_labels(trials.x_star, C, d)
    a = ne.fit_readouts_cvxpy(trials.integrator, Y)
    b = ne.fit_readouts_scipy(trials.integrator, Y, "logistic")
    # both at solver tolerance <= 1e-8 on a strictly convex problem
    assert abs(a.objective - b.objective) <= 1e-6 * b.objective
    assert np.allclose(a.W, b.W, atol=1e-4)


# each example runs a full EVIDENCE check (~2 s): 0.3 of the profile's budget
@settings(max_examples=share(0.3))
@given(D=st.integers(2, 4), sigma=st.floats(0.1, 0.4), seed=st.integers(0, 2**31))
def test_rank_deficient_null_space_r2_collapses(D, sigma, seed):
    """N < D: rank hypothesis fails, null-space r2 ~ 0, row-space coordinates keep Eq. 7."""
    N = D - 1
    setup = build(
        D=D, n_tasks=N, boundaries="random", seed=seed % 1000, sigma=sigma, t=10, n_trials=3000
    )
    assert not te.rank_hypothesis(setup).holds
    result = FAMILY.check(setup, CheckOptions(verify=True, seed=seed))
    m = result.verification.measured
    # the comparisons include null-space r2 <= 0 + 4 SE and the rank(C)/D law (EV-4)
    assert all(c.agrees for c in result.verification.comparisons)
    assert m["null_space_r2"] < 0.5 * m["mean_coordinate_r2_from_outputs"]
    assert "extraction_max_error" not in m  # EV-3 makes no claim here


@given(D=st.integers(2, 3), N=st.integers(1, 7), seed=st.integers(0, 2**31), central=st.booleans())
@example(D=2, N=6, seed=0, central=True)
def test_zero_noise_counted_cells_equal_formula(D, N, seed, central):
    rng = ne.rng_from(seed)
    C = rng.standard_normal((N, D))
    d = np.zeros(N) if central else rng.uniform(-0.5, 0.5, N)
    setup = build(D=D, normals=C.tolist(), offsets=d.tolist(), sigma=0.0)
    pred = te.predicted_cells(setup)
    counted = ne.count_cells_lp(C, d)
    assert pred.kind == "exact"  # Gaussian draws are in general position almost surely
    assert counted == pred.count


def test_cells_not_in_general_position_are_counted_not_assumed():
    # three lines through one point (not general position) and a duplicate line
    C = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    d = np.array([0.1, 0.1, 0.2, 0.1])
    setup = build(D=2, normals=C.tolist(), offsets=d.tolist(), sigma=0.0)
    pred = te.predicted_cells(setup)
    assert pred.kind == "upper-bound" and pred.count == 1 + 4 + 6
    assert ne.count_cells_lp(C, d) == 6  # 3 concurrent lines: 6 cells
    # even central lines: 2N
    assert ne.count_cells_lp(te.even_normals(5), np.zeros(5)) == 10


def test_marchenko_pastur_and_theory_md_medians():
    """EV-6: median cond(C) of random unit normals near THEORY.md's numbers (2000 draws)."""
    rng = ne.rng_from(0)

    def median_cond(n, D):
        out = []
        for _ in range(2000):
            g = rng.standard_normal((n, D))
            out.append(np.linalg.cond(g / np.linalg.norm(g, axis=1, keepdims=True)))
        return np.median(out)

    # THEORY.md: D=2: 2.43 (N=2), 1.65 (4), 1.32 (10); 2000 draws give ~3% relative SE
    for n, seen in ((2, 2.43), (4, 1.65), (10, 1.32)):
        assert abs(median_cond(n, 2) - seen) / seen < 0.1
    # D/N = 1/4: singular-value edges 1 +- 1/2, ratio exactly 3; -> 1 as N/D grows
    assert te.marchenko_pastur_condition(40, 10) == pytest.approx(3.0, rel=1e-12)
    assert te.marchenko_pastur_condition(10**6, 2) < 1.003
    assert te.marchenko_pastur_condition(2, 2) == math.inf


# --------------------------------------------------------------------------- spec


@pytest.mark.parametrize(
    "spec,key",
    [
        ({"D": 0, "n_tasks": 2}, "D"),
        ({"D": 2, "n_tasks": 2, "sigma": -0.1}, "sigma"),
        ({"D": 2, "n_tasks": 2, "t": 0}, "t"),
        ({"D": 3, "normals": [[1, 0], [0, 1]]}, "normals"),
        ({"D": 2, "normals": [[1, 0], [0, 0]]}, "normals"),
        ({"D": 3, "n_tasks": 4, "boundaries": "even"}, "D"),
        ({"D": 2, "normals": [[1, 0]], "offsets": [0.1, 0.2]}, "offsets"),
        ({"D": 2, "n_tasks": 2, "sigmma": 0.2}, "sigmma"),
        ({"D": 2, "boundaries": "random"}, "n_tasks"),
    ],
)
def test_bad_specs_name_the_key(spec, key):
    with pytest.raises(SpecError) as err:
        build(**spec)
    assert err.value.key == key


def test_check_json_contract_keys():
    setup = build(D=2, n_tasks=4, boundaries="even", network="filter", n_trials=600)
    out = FAMILY.check(setup, CheckOptions(verify=True, seed=1, quick=True)).to_json()
    assert {h["id"] for h in out["hypotheses"]} == {"noise-positive", "finite-time", "rank"}
    assert {"r2_ideal", "r2_lmmse", "cond_C", "cells_at_zero_noise"} <= set(out["predictions"])
    measured = out["verification"]["measured"]
    assert {"extraction_max_error", "ood_r2_ideal", "ood_r2_network"} <= set(measured)
    assert out["verification"]["agrees"]


def test_same_seed_same_numbers():
    setup = build(D=2, n_tasks=3, boundaries="even", n_trials=500)
    a = FAMILY.check(setup, CheckOptions(verify=True, seed=3, quick=True)).to_json()
    b = FAMILY.check(setup, CheckOptions(verify=True, seed=3, quick=True)).to_json()
    assert a == b


# --------------------------------------------------------------------------- command line

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("evidence-*.toml"))


def test_examples_validate_and_build():
    from mtl_theory.spec import read_spec_file

    assert len(EXAMPLES) >= 4
    for path in EXAMPLES:
        setup = FAMILY.build(FAMILY.schema.validate(read_spec_file(path)))
        assert setup.n_tasks >= 1


def test_cli_rank_deficient_example_end_to_end(capsys):
    import json

    from mtl_theory import cli

    path = next(p for p in EXAMPLES if p.name == "evidence-rank-deficient.toml")
    code = cli.main(["check", str(path), "--verify", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["applies"] is False
    rank = next(h for h in out["hypotheses"] if h["id"] == "rank")
    assert rank["detail"].startswith("rank C = 1 < D = 2")


def test_cli_bad_input_is_one_line_exit_2(tmp_path, capsys):
    from mtl_theory import cli

    spec = tmp_path / "bad.toml"
    spec.write_text('theory = "evidence"\nD = 2\nnormals = [[1, 0], [0, 0]]\n')
    code = cli.main(["check", str(spec)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "normals" in err


# --------------------------------------------------------------------------- Eq. 7's stream


@given(
    sizes=st.lists(st.integers(1, 40), min_size=1, max_size=6),
    coords=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_merged_error_moments_equal_numpy_on_the_whole_sample(sizes, coords, seed):
    """Chan et al.'s merge against numpy's mean and var on the concatenated sample: the two
    share no formula (pairwise update vs one pass), and agree to rounding (32 eps: a few
    merges of sums of at most 240 terms)."""
    rng = np.random.default_rng(seed)
    chunks = [(rng.normal(size=(m, coords)), rng.normal(size=(m, coords))) for m in sizes]
    merged = ne.SquaredErrorMoments.of(*chunks[0])
    for est, x in chunks[1:]:
        merged = merged.merge(ne.SquaredErrorMoments.of(est, x))
    est, x = (np.concatenate(parts) for parts in zip(*chunks, strict=True))
    err = (est - x) ** 2
    r2, se = merged.r2_and_se(0.5)
    assert r2 == pytest.approx(1 - err.mean() / 0.5, rel=32 * np.finfo(float).eps, abs=1e-14)
    if len(est) > 1:
        expected = err.mean(axis=1).std(ddof=1) / math.sqrt(len(est)) / 0.5
        assert se == pytest.approx(expected, rel=1e-12)
    else:
        assert math.isnan(se)


def test_one_chunk_of_error_moments_is_numpys_mean_and_std_bit_for_bit():
    rng = np.random.default_rng(3)
    est, x = rng.normal(size=(1000, 3)), rng.normal(size=(1000, 3))
    err = (est - x) ** 2
    r2, se = ne.r2_of_estimate(est, x, te.BOX_VARIANCE)
    assert r2 == 1.0 - err.ravel().mean() / te.BOX_VARIANCE
    assert se == err.mean(axis=1).std(ddof=1) / math.sqrt(1000) / te.BOX_VARIANCE


def _materialized_eq7_sample(D, sigma, t, n, seed, per_block):
    """The stream's draws held in full: blocks of ``per_block`` trials, each x* then its
    noise (the order in which the stream calls the generator)."""
    rng = np.random.default_rng(seed)
    xs, mus = [], []
    for start in range(0, n, per_block):
        m = min(per_block, n - start)
        x = rng.uniform(-ne.BOX_HALF_WIDTH, ne.BOX_HALF_WIDTH, size=(m, D))
        xs.append(x)
        mus.append(x + sigma * rng.standard_normal((m, t, D)).mean(axis=1))
    return np.concatenate(xs), np.concatenate(mus)


@pytest.mark.parametrize("D, t, sigma", [(2, 1, 0.3), (3, 4, 1e-3), (1, 7, 5.0)])
@pytest.mark.parametrize("block_draws", [64, 10**9])
def test_streamed_eq7_sample_equals_the_sample_held_in_full(D, t, sigma, block_draws):
    """mean_estimate_errors against the in-memory route on the same draws: r2 of mu and its
    SE from numpy, the decoder by lstsq (SVD) on the first half — not the stream's normal
    equations — tested on the second; with many blocks (64 draws) and with one."""
    n = 1001
    x, mu = _materialized_eq7_sample(D, sigma, t, n, 11, max(1, block_draws // (t * D)))
    sample = ne.mean_estimate_errors(
        D, sigma, t, n, np.random.default_rng(11), block_draws=block_draws
    )
    r2, se = ne.r2_of_estimate(mu, x, te.BOX_VARIANCE)
    assert sample.mean.r2_and_se(te.BOX_VARIANCE) == pytest.approx((r2, se), rel=1e-12)
    A = np.hstack([mu, np.ones((n, 1))])
    coef = np.linalg.lstsq(A[: n // 2], x[: n // 2], rcond=None)[0]
    # normal equations vs SVD: cond(scaled Gram) ~ 1 here, so agreement to ~1e-13
    np.testing.assert_allclose(sample.coef, coef, rtol=1e-11, atol=1e-13)
    held = ne.r2_of_estimate(A[n // 2 :] @ coef, x[n // 2 :], te.BOX_VARIANCE)
    assert sample.heldout.r2_and_se(te.BOX_VARIANCE) == pytest.approx(held, rel=1e-10)
    assert ne.linear_estimate_r2_heldout(mu, x, te.BOX_VARIANCE) == pytest.approx(held, rel=1e-12)
    assert (sample.n_trials, sample.n_fit) == (n, n // 2)


def test_streamed_eq7_sample_holds_one_block_not_the_sample():
    """Issue 14: the power-sized sample (2e8 trials at sigma = 1e-3, t = 1) was held in full.
    400,000 trials of D = 2 in blocks of 2^14 draws: the peak traced allocation is bounded
    by the block (a few arrays of 2^14 floats), not by the 6.4 MB of x* and mu."""
    import tracemalloc

    tracemalloc.start()
    ne.mean_estimate_errors(2, 0.1, 1, 400_000, np.random.default_rng(0), block_draws=1 << 14)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 12 * 8 * (1 << 14)  # ~1.5 MiB; the sample in full is 4 x 6.4 MB
