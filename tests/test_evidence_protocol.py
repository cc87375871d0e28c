"""EVIDENCE: the authors' OOD evaluation protocol (generalize.py), its fix, and ours."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import evidence_protocol as npr
from mtl_theory.proofs import evidence as pe
from mtl_theory.proofs import evidence_rnn as per
from mtl_theory.theory import evidence as te

from mtl_theory.families.evidence import FAMILY
from mtl_theory.spec import SpecError

SIGNS = {1: (1, 1), 2: (-1, 1), 3: (-1, -1), 4: (1, -1)}


@pytest.mark.parametrize(
    ("n", "steps"), [(3000, (2970,)), (2000, (1980,)), (1000, (990,)), (150, (148, 149))]
)
def test_decoder_is_scored_at_the_99_percent_logging_steps(n, steps):
    """generalize.py scores after update i when i % int(n/100) == 0 and round(100 i/n) == 99."""
    assert npr.test_steps(n) == steps


def test_too_few_decoder_batches_are_rejected():
    with pytest.raises(ValueError, match="100"):
        npr.test_steps(99)


@pytest.mark.parametrize("held_out", [1, 2, 3, 4])
def test_training_trials_come_from_the_three_other_quadrants_uniformly(held_out):
    """Each training quadrant gets 1/3 of the trials: within 5 binomial SE (n = 30000)."""
    x = npr.training_latents(held_out, 30000, ne.rng_from(held_out))
    signs = np.sign(x)
    counts = {q: int(np.sum(np.all(signs == s, axis=1))) for q, s in SIGNS.items()}
    assert counts[held_out] == 0
    se = np.sqrt(30000 * (1 / 3) * (2 / 3))
    for q in set(SIGNS) - {held_out}:
        assert abs(counts[q] - 10000) <= 5 * se
    assert np.all(np.abs(x) <= 0.5)


@pytest.mark.parametrize("held_out", [1, 2, 3, 4])
def test_fixed_test_trials_are_the_held_out_quadrant(held_out):
    x = npr.test_latents(held_out, 2000, ne.rng_from(0), published=False)
    assert np.all(np.sign(x) == SIGNS[held_out])


@pytest.mark.parametrize("held_out", [1, 3])
def test_published_test_trials_are_right_for_quadrants_1_and_3(held_out):
    x = npr.test_latents(held_out, 2000, ne.rng_from(0), published=True)
    assert np.all(np.sign(x) == SIGNS[held_out])


@pytest.mark.parametrize("held_out", [2, 4])
def test_published_test_trials_of_quadrants_2_and_4_are_training_quadrants(held_out):
    """The bug of generalize.py: DenoiseQuads(quad_num=<scalar>) multiplies both coordinates
    by one sign, so trials fall in (+,+) or (-,-), half each (5 binomial SE, n = 20000),
    never in the quadrant named."""
    x = npr.test_latents(held_out, 20000, ne.rng_from(held_out), published=True)
    signs = np.sign(x)
    plus = np.all(signs == (1, 1), axis=1)
    minus = np.all(signs == (-1, -1), axis=1)
    assert np.all(plus | minus)
    assert abs(int(plus.sum()) - 10000) <= 5 * np.sqrt(20000 / 4)


def test_first_adam_step_moves_every_weight_by_the_learning_rate():
    """Adam's first update is lr g / (|g| + eps) (bias-corrected m = g, v = g^2): every
    decoder weight moves by lr = 3e-3 up to eps / |g| ~ 1e-8 relative."""
    rng = ne.rng_from(2)
    X = rng.standard_normal((16, 5))
    Y = rng.standard_normal((16, 2))
    W0 = rng.uniform(-1 / np.sqrt(5), 1 / np.sqrt(5), (5, 2))
    params = {"W": W0.copy()}
    opt = ne.Adam(lr=3e-3)
    err = X @ W0 - Y
    opt.step(params, {"W": X.T @ (2 * err / err.size)})
    np.testing.assert_allclose(np.abs(params["W"] - W0), 3e-3, rtol=1e-6)


def test_adam_decoder_recovers_an_exactly_linear_code():
    """Features = an invertible linear map of x*: the Adam decoder (2000 batches, lr 3e-3)
    reaches r^2 > 0.99 on the held-out quadrant, and least squares is exact (r^2 = 1 to
    rounding): both decoders read a linear code out of distribution."""
    rng = ne.rng_from(4)
    A = rng.standard_normal((2, 6))
    x = npr.training_latents(2, 2000 * 16, rng)
    x_test = npr.test_latents(2, 640, rng, published=False)
    fit = npr.fit_adam_decoder(x @ A, x, (x_test @ A,), rng)
    assert npr.pooled_r2(fit.predictions[0], x_test) > 0.99
    ls = npr.least_squares_predictions(x @ A, x, x_test @ A)
    assert npr.pooled_r2(ls, x_test) == pytest.approx(1.0, abs=1e-12)


def test_r2_and_percentiles_follow_generalize_py():
    """r^2 = 1 - sum(err^2)/size/Var pooled over coordinates; percentiles over all axes."""
    pred = np.array([[0.1, 0.2], [0.0, -0.1]])
    true = np.zeros((2, 2))
    assert npr.pooled_r2(pred, true) == pytest.approx(1 - (0.01 + 0.04 + 0.01) / 4 * 12)
    values = np.arange(2 * 4 * 5, dtype=float).reshape(2, 4, 5)
    np.testing.assert_array_equal(
        npr.percentiles(values), np.percentile(values.ravel(), [25, 50, 75])
    )


def test_decoded_axes_angle():
    assert npr.decoded_axes_angle(np.array([[1.0, 0.0], [0.0, 2.0]])) == pytest.approx(90.0)
    assert npr.decoded_axes_angle(np.array([[1.0, 1.0], [0.0, 1.0]])) == pytest.approx(45.0)


def test_ideal_route_scores_are_deterministic_and_the_bug_only_touches_quadrants_2_and_4():
    """mu(t) is an affine code of x*: all protocols score near Eq. 7's 0.976 (sigma = 0.2,
    t = 20). Same generator seed -> identical numbers."""
    runs = [
        npr.score_network(lambda s: s.mean(axis=1), 0.2, 20, 300, 2, ne.rng_from(6))
        for _ in range(2)
    ]
    for p in npr.PROTOCOLS:
        np.testing.assert_array_equal(runs[0].r2[p], runs[1].r2[p])
        assert runs[0].r2[p].shape == (4, 2)
    # least squares on an affine code: MC error of 640 trials ~ 0.002 (SE of the MSE ratio)
    assert np.all(np.abs(runs[0].r2["least-squares"] - 0.976) < 0.02)


# --------------------------------------------------------------------------- spec keys


def _rnn_spec(**extra):
    spec = {"theory": "evidence", "D": 2, "n_tasks": 6, "boundaries": "even", **extra}
    return FAMILY, FAMILY.schema.validate(spec)


def test_rnn_defaults_are_the_authors_loss_fixed_protocol_and_counts():
    family, spec = _rnn_spec(network="rnn")
    setup = family.build(spec)
    assert setup.rnn_loss == "all-steps"
    assert setup.protocol == "authors-fixed"
    assert (setup.rnn_networks, setup.decoder_fits, setup.decoder_batches) == (2, 5, 2000)
    assert setup.fixed_point_starts == 150
    family, spec = _rnn_spec(network="rnn", n_tasks=24, protocol="authors-published")
    setup = family.build(spec)
    assert (setup.protocol, setup.decoder_batches) == ("authors-published", 1000)


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ({"protocol": "authors-fixed"}, "protocol"),  # network is not 'rnn'
        ({"rnn_loss": "decision-step"}, "rnn_loss"),
        ({"decoder_fits": 2}, "decoder_fits"),
        ({"fixed_point_starts": 40}, "fixed_point_starts"),  # no network
        ({"network": "lstm", "fixed_point_starts": 40}, "fixed_point_starts"),  # not searched
        ({"network": "rnn", "n_tasks": 4}, "decoder_batches"),  # no authors' count for 4
        ({"network": "rnn", "D": 11, "boundaries": "random"}, "D"),  # beyond the D sweep
        (
            {"network": "rnn", "D": 3, "boundaries": "random", "protocol": "authors-published"},
            "protocol",
        ),
    ],
)
def test_bad_rnn_specs_name_their_key(extra, key):
    family, spec = _rnn_spec(**extra)
    with pytest.raises(SpecError) as err:
        family.build(spec)
    assert err.value.key == key


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("protocol", "authors"),
        ("rnn_loss", "pen_end"),
        ("decoder_batches", 99),
        ("fixed_point_starts", 0),
        ("fixed_point_starts", 2001),  # beyond the 2000-trial pool the starts come from
    ],
)
def test_bad_rnn_key_values_are_rejected_by_the_schema(key, value):
    spec = {"theory": "evidence", "n_tasks": 6, "network": "rnn", key: value}
    with pytest.raises(SpecError) as err:
        FAMILY.schema.validate(spec)
    assert err.value.key == key


def test_protocol_measurements_report_every_protocol_with_the_authors_counts():
    """Keys of the check JSON: the selected protocol's percentiles under ood_r2_percentiles,
    each protocol's percentiles, raw values (networks, 4, fits), per-quadrant and per-network
    medians, the ideal route under the same protocols, and the bug named."""
    spec = FAMILY.schema.validate(
        {
            "theory": "evidence",
            "n_tasks": 6,
            "boundaries": "even",
            "network": "rnn",
            "protocol": "authors-published",
        }
    )
    setup = FAMILY.build(spec)
    rng = ne.rng_from(0)

    def scores():
        r2 = {p: rng.random((4, 5)) for p in npr.PROTOCOLS}
        return npr.ProtocolScores(
            r2,
            90 + rng.random((4, 5)),
            2000,
            640,
            1.0,
            rng.random((4, 5, len(npr.RIDGE_ALPHAS))),
            rng.random((4, 5, len(npr.ADAM_PATH_FRACTIONS))),
            (20, 60, 200, 600, 1981),
        )

    runs = [per.NetworkRun(k, None, scores()) for k in range(3)]
    ideal = scores()
    measured, notes = per.protocol_measurements(setup, runs, ideal)
    values = np.stack([r.scores.r2["authors-published"] for r in runs])
    np.testing.assert_array_equal(
        measured["ood_r2_percentiles"], np.percentile(values.ravel(), [25, 50, 75])
    )
    for p in npr.PROTOCOLS:
        k = p.replace("-", "_")
        assert measured[f"ood_r2_{k}_values"].shape == (3, 4, 5)
        assert measured[f"ood_r2_{k}_per_quadrant_median"].shape == (4,)
        assert measured[f"ood_r2_{k}_network_medians"].shape == (3,)
        assert measured[f"ood_r2_ideal_{k}_percentiles"].shape == (3,)
    assert measured["decoder_test_steps"] == [1980]
    assert "quad_num=<scalar>" in measured["ood_r2_authors_published_bug"]
    assert any("bug" in n for n in notes)
    assert measured["ood_r2_ridge_path_median"].shape == (len(npr.RIDGE_ALPHAS),)
    assert measured["ood_r2_adam_path_updates"][-1] == 1981


def test_ridge_path_starts_at_least_squares_and_shrinks_to_the_mean():
    """alpha = 0 equals the affine least-squares decoder (full-rank features, to rounding);
    a huge penalty predicts the training mean; the fitted weights shrink monotonically."""
    rng = ne.rng_from(12)
    X = rng.standard_normal((400, 6))
    Y = X @ rng.standard_normal((6, 2)) + 0.3 * rng.standard_normal((400, 2))
    Xt = rng.standard_normal((50, 6))
    path = npr.ridge_path_predictions(X, Y, Xt, (0.0, 1e-2, 1.0, 1e12))
    np.testing.assert_allclose(path[0], npr.least_squares_predictions(X, Y, Xt), atol=1e-12)
    np.testing.assert_allclose(path[-1], np.broadcast_to(Y.mean(axis=0), (50, 2)), atol=1e-9)
    spread = [np.linalg.norm(p - p.mean(axis=0)) for p in path]
    assert spread[0] > spread[1] > spread[2] > spread[3]


def test_score_network_records_both_regularization_paths():
    scores = npr.score_network(lambda s: s.mean(axis=1), 0.2, 20, 200, 1, ne.rng_from(3))
    assert scores.ridge.shape == (4, 1, len(npr.RIDGE_ALPHAS))
    assert scores.adam_path.shape == (4, 1, len(npr.ADAM_PATH_FRACTIONS))
    assert scores.adam_path_updates[-1] == 199  # 0.99 x 200 updates, as test_steps(200)
    # on mu(t) the unpenalized end of the ridge path is the least-squares protocol
    np.testing.assert_allclose(scores.ridge[:, :, 0], scores.r2["least-squares"], atol=1e-10)


def test_fixed_point_starts_is_not_part_of_the_draws():
    # an analysis size: two setups that differ only in it draw the same stream (the suite's
    # paper-main-rnn runs 40 starts on the networks a 150-start check trains)
    _, spec = _rnn_spec(network="rnn")
    setup = FAMILY.build(spec)
    fewer = dataclasses.replace(setup, fixed_point_starts=40)
    assert json.dumps(pe._setup_json(setup), default=repr) == json.dumps(
        pe._setup_json(fewer), default=repr
    )
    with pytest.raises(te.SetupError, match="fixed_point_starts"):
        dataclasses.replace(setup, fixed_point_starts=0)


def _near_silent_unit_data(scale: float):
    """Training features: 5 ordinary units and one unit of training spread ``scale`` (a
    fixed pattern u times scale); on the test trials that unit has spread 1."""
    rng = ne.rng_from(21)
    X = rng.standard_normal((2000, 6))
    u = rng.standard_normal(2000)
    Y = X[:, :5] @ rng.standard_normal((5, 2)) + 0.3 * rng.standard_normal((2000, 2))
    X[:, 5] = scale * u
    Xt = rng.standard_normal((500, 6))
    Yt = Xt[:, :5] @ np.linalg.lstsq(X[:, :5], Y, rcond=None)[0]  # what the others predict
    return X, Y, Xt, Yt


def test_least_squares_held_out_error_grows_as_the_spread_ratio_squared():
    """The mechanism held_out_spread_ratio's docstring states (a test that can fail): scaling
    a unit's training activity by s scales its least-squares weight by 1/s, so once that unit
    dominates, halving s multiplies the held-out excess error by 4 (the 1/s^2 term; the
    cross term is O(1/s), 2 % at s = 1e-4 here); a ridge decoder's error stays bounded."""
    excess, ridge_excess, ratios = [], [], []
    for scale in (2e-4, 1e-4, 5e-5):
        X, Y, Xt, Yt = _near_silent_unit_data(scale)
        excess.append(np.mean((npr.least_squares_predictions(X, Y, Xt) - Yt) ** 2))
        ridge = npr.ridge_path_predictions(X, Y, Xt, (1e-2,))[0]
        ridge_excess.append(np.mean((ridge - Yt) ** 2))
        ratios.append(npr.held_out_spread_ratio(X, Xt))
    assert ratios[1] / ratios[0] == pytest.approx(2.0, rel=1e-12)
    assert excess[1] / excess[0] == pytest.approx(4.0, rel=0.05)
    assert excess[2] / excess[1] == pytest.approx(4.0, rel=0.03)
    assert max(ridge_excess) < 0.1 < excess[0]
    assert ridge_excess[2] == pytest.approx(ridge_excess[0], rel=0.05)


def test_held_out_spread_ratio_leaves_out_units_constant_in_training():
    train = np.zeros((4, 3))
    train[:, 1] = [1.0, 2.0, 3.0, 4.0]
    test = np.ones((4, 3)) * np.array([[0.0], [10.0], [0.0], [10.0]])
    ratio = npr.held_out_spread_ratio(train, test)
    assert ratio == pytest.approx(5.0 / np.std([1.0, 2.0, 3.0, 4.0]), rel=1e-12)
    assert np.isnan(npr.held_out_spread_ratio(np.zeros((4, 2)), test[:, :2]))


def test_spread_ratio_measurements_split_the_fits_at_the_threshold():
    rng = ne.rng_from(5)
    runs = []
    for k in range(2):
        r2 = {p: rng.random((4, 5)) for p in npr.PROTOCOLS}
        spread = np.full((4, 5), 2.0)
        spread[k, :] = 50.0  # one quadrant per network with a near-silent unit
        extrapolation = np.stack([spread + 1.0, np.full((4, 5), 0.01 * (k + 1))], axis=-1)
        scores = npr.ProtocolScores(
            r2, np.zeros((4, 5)), 2000, 640, 1.0, spread_ratio=spread, extrapolation=extrapolation
        )
        runs.append(per.NetworkRun(k, None, scores))
    measured = per.spread_ratio_measurements(runs)
    ls = np.stack([r.scores.r2["least-squares"] for r in runs])
    high = np.stack([r.scores.spread_ratio for r in runs]) > per.SPREAD_RATIO_THRESHOLD
    assert measured["ood_unit_spread_ratio_fits_above"] == 10
    assert measured["ood_r2_least_squares_median_spread_above"] == np.median(ls[high])
    assert measured["ood_r2_least_squares_median_spread_below"] == np.median(ls[~high])
    np.testing.assert_array_equal(measured["ood_unit_spread_ratio_network_medians"], [2.0, 2.0])
    # 30 fits at 3 and 10 at 51: the 75th percentile interpolates 3 + 0.25 x 48 (numpy linear)
    np.testing.assert_array_equal(measured["ood_direction_spread_ratio_percentiles"], [3, 3, 15])
    np.testing.assert_allclose(
        measured["ood_least_squares_variance_share_percentiles"], [0.01, 0.015, 0.02]
    )
    older = [dataclasses.replace(r.scores, extrapolation=None) for r in runs]
    measured = per.spread_ratio_measurements([per.NetworkRun(0, None, sc) for sc in older])
    assert "ood_unit_spread_ratio_values" in measured
    assert "ood_direction_spread_ratio_values" not in measured
    old = [per.NetworkRun(0, None, dataclasses.replace(runs[0].scores, spread_ratio=None))]
    assert per.spread_ratio_measurements(old) == {}


def test_variance_share_tells_estimation_noise_from_extrapolation_bias():
    """least_squares_extrapolation's share is the OLS prediction variance over the held-out
    MSE. For an exactly affine truth E[MSE_0 | A, T] = sigma^2 mean h_0, so 1 / share averages
    1 (sigma^2 estimated from n = 500 residuals: a bias of 4 / 500); over 200 draws the mean is
    within 3 SE of 1 (SE from the draws, ~0.06), which rejects the nearest wrong formula, the
    training rows' mean leverage p / n in place of the held-out one (a factor ~7 here). For a
    quadratic truth extrapolated by an affine fit the share is below 0.05 (the bias
    dominates). The direction ratio of held-out features three training spreads out is 3 (the
    sample moment, median over the draws, to 10 %)."""
    inverse_shares, ratios = [], []
    for seed in range(200):
        rng = ne.rng_from(100 + seed)
        X = rng.standard_normal((500, 3))
        w = np.array([[1.0], [-2.0], [0.5]])
        Y = X @ w + 0.2 * rng.standard_normal((500, 1))
        T = 3 * rng.standard_normal((400, 3))
        ratio, share = npr.least_squares_extrapolation(X, Y, T, T @ w)
        inverse_shares.append(1.0 / share)
        ratios.append(ratio)
    inverse_shares = np.array(inverse_shares)
    se = inverse_shares.std(ddof=1) / np.sqrt(inverse_shares.size)
    assert abs(inverse_shares.mean() - 1.0) < 3 * se < 0.2
    assert np.median(ratios) == pytest.approx(3.0, rel=0.1)
    rng = ne.rng_from(7)
    X = rng.uniform(-1, 0, (2000, 2))  # training on one side, held out on the other
    T = rng.uniform(0, 1, (500, 2))
    quad = lambda Z: (Z**2).sum(axis=1, keepdims=True)  # noqa: E731
    Y = quad(X) + 0.01 * rng.standard_normal((2000, 1))
    _, share = npr.least_squares_extrapolation(X, Y, T, quad(T))
    assert share < 0.05
