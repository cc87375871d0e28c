"""Procedural 16x16 images, the compositional split, the three-arm experiment and its statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from mtl_theory.numerics import wta as nw
from mtl_theory.numerics import wta_generalization as ng
from mtl_theory.proofs import wta_generalization as pg
from mtl_theory.theory.wta import WTASetup, grid_points, make_targets
from scipy import stats

FACTORS = (4, 4, 4)


# ------------------------------------------------------------------ images


def test_clean_images_are_distinct_per_combination_and_object_stays_inside():
    z = grid_points(FACTORS)
    rng = np.random.Generator(np.random.PCG64(0))
    clean = ng.render_objects(z, 0.0, 0, rng)
    assert clean.shape == (64, 16 * 16 * 3)
    # every combination gives its own image (the map factors -> pixels is injective)
    assert len({row.tobytes() for row in clean}) == 64
    # jitter moves the object but never clips it: the pixel mass is that of the stencil x colour
    jittered = ng.render_objects(np.repeat(z, 20, axis=0), 0.0, 1, rng)
    mass = ng.shape_stencils().sum(axis=(1, 2))[z[:, 0]] * ng.COLOURS[z[:, 1]].sum(axis=1)
    np.testing.assert_allclose(jittered.sum(axis=1), np.repeat(mass, 20), rtol=1e-12)
    # and it does move: more than one distinct image per combination
    assert len({row.tobytes() for row in jittered[:20]}) > 1


def test_colour_is_carried_by_the_channels():
    z = np.array([[0, c, 0] for c in range(4)])
    img = ng.render_objects(z, 0.0, 0, np.random.Generator(np.random.PCG64(0)))
    img = img.reshape(4, 16, 16, 3)
    for c in range(4):
        np.testing.assert_allclose(img[c, 1, 1], ng.COLOURS[c])


def test_noise_has_the_stated_standard_deviation_and_is_seeded():
    z = np.zeros((400, 3), dtype=int)
    a = ng.render_objects(z, 0.1, 1, np.random.Generator(np.random.PCG64(5)))
    b = ng.render_objects(z, 0.1, 1, np.random.Generator(np.random.PCG64(5)))
    np.testing.assert_array_equal(a, b)
    clean = ng.render_objects(z, 0.0, 1, np.random.Generator(np.random.PCG64(5)))
    resid = a - clean  # same jitter draws (drawn first), so the difference is the noise alone
    # 400*768 draws: the sample sd is within 5 standard errors (sd / sqrt(2N)) of 0.1
    assert abs(resid.std() - 0.1) < 5 * 0.1 / math.sqrt(2 * resid.size)


@pytest.mark.parametrize(
    ("field", "points", "jitter"),
    [("points", np.zeros((2, 2)), 0), ("jitter", np.zeros((2, 3)), 2)],
)
def test_render_rejects_bad_input(field, points, jitter):
    with pytest.raises(ValueError, match=field):
        ng.render_objects(points, 0.0, jitter, np.random.Generator(np.random.PCG64(0)))


# ------------------------------------------------------------------ split


def test_latin_square_holdout_sees_every_value_and_pair_and_never_trains_on_held_out():
    held = ng.latin_square_holdout(FACTORS)
    assert len(held) == 16
    z = grid_points(FACTORS)
    assert all(z[i, 2] == (z[i, 0] + z[i, 1]) % 4 for i in held)
    cov = ng.split_coverage(FACTORS, held)
    assert cov.every_value_seen and cov.every_pair_seen
    assert (cov.n_train, cov.n_heldout) == (48, 16)
    setup = WTASetup(FACTORS, (4, 4, 4), make_targets(FACTORS, "factor-onehot"), holdout=held)
    assert not set(setup.support.tolist()) & set(held)
    assert len(setup.support) == 48


def test_split_coverage_detects_an_unseen_value_and_an_unseen_pair():
    z = grid_points(FACTORS)
    no_shape0 = tuple(int(i) for i in np.flatnonzero(z[:, 0] == 0))
    assert not ng.split_coverage(FACTORS, no_shape0).every_value_seen
    pair = tuple(int(i) for i in np.flatnonzero((z[:, 0] == 1) & (z[:, 1] == 2)))
    cov = ng.split_coverage(FACTORS, pair)
    assert cov.every_value_seen and not cov.every_pair_seen


# ------------------------------------------------------------------ statistics


def test_t_interval_matches_the_textbook_formula():
    v = np.array([0.2, 0.4, 0.35, 0.5, 0.1])
    ci = ng.t_interval(v)
    half = 2.7764451051977987 * v.std(ddof=1) / math.sqrt(5)  # t_{0.975, 4}
    assert ci.mean == pytest.approx(v.mean())
    assert (ci.low, ci.high) == pytest.approx((v.mean() - half, v.mean() + half), rel=1e-12)


def test_min_detectable_difference_has_the_stated_power_by_monte_carlo():
    n, sd = 10, 0.07
    delta = ng.min_detectable_difference(sd, n)
    # exact t needs more than the normal approximation for small n
    assert delta > (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * sd / math.sqrt(n)
    rng = np.random.Generator(np.random.PCG64(1))
    reps = 40_000
    d = delta + sd * rng.standard_normal((reps, n))
    t = d.mean(axis=1) / (d.std(axis=1, ddof=1) / math.sqrt(n))
    power = np.mean(np.abs(t) > stats.t.ppf(0.975, n - 1))
    # binomial standard error sqrt(0.8*0.2/40000) = 0.002; 5 se = 0.01. A normal-approximation
    # delta (power ~0.75 at n = 10) would fail this.
    assert abs(power - 0.8) < 0.01
    assert ng.min_detectable_difference(0.0, n) == 0.0
    assert ng.min_detectable_difference(sd, 1) == math.inf


def test_paired_comparison_uses_the_pairing():
    rng = np.random.Generator(np.random.PCG64(2))
    base = rng.uniform(0, 1, 12)
    a, b = base + 0.05 + 0.01 * rng.standard_normal(12), base
    c = ng.paired_comparison(a, b)
    assert c.mean_diff == pytest.approx(np.mean(a - b))
    assert c.ci.low < c.mean_diff < c.ci.high and c.ci.low > 0
    assert c.t_p < 1e-6 and c.wilcoxon_p < 1e-3  # exact Wilcoxon: 2 / 2^12 when all d > 0
    assert c.d_z == pytest.approx(np.mean(a - b) / np.std(a - b, ddof=1))
    # unpaired, the between-seed spread of base hides the same shift
    assert stats.ttest_ind(a, b).pvalue > 0.05
    same = ng.paired_comparison(b, b)
    assert same.t_p is None and same.wilcoxon_p is None and same.d_z is None
    with pytest.raises(ValueError, match="a, b"):
        ng.paired_comparison(a, b[:3])


# ------------------------------------------------------------------ experiment and diagram

TINY = ng.GeneralizationConfig(
    samples_per_point=1, test_per_point=2, train=nw.TrainConfig(epochs=4, hidden=8)
)


def test_seed_experiment_is_deterministic_and_reports_every_arm():
    a = ng.seed_experiment((4, 4, 4), 3, 7, TINY)
    b = ng.seed_experiment((4, 4, 4), 3, 7, TINY)
    assert a == b
    assert set(a) == set(ng.ARMS)
    for res in a.values():
        assert 0.0 <= res["heldout_accuracy"] <= 1.0 and 0.0 <= res["train_accuracy"] <= 1.0
    assert isinstance(a["wta"]["symbolic"], bool)


def test_linear_arm_is_a_linear_bottleneck():
    rng = np.random.Generator(np.random.PCG64(0))
    params = nw.init_network(4, 3, 6, 2, rng)
    x = rng.standard_normal((5, 4))
    f = nw.forward(params, x, (6,), "linear", 1.0)
    np.testing.assert_array_equal(f["s"], f["u"])
    assert np.any(f["u"] < 0)  # not clipped like ReLU


def test_diagram_is_registered_and_computes_a_point(monkeypatch):
    from mtl_theory.registry import load_registry

    assert "wta-generalization" in load_registry().diagrams()
    monkeypatch.setattr(pg, "CONFIG", TINY)
    monkeypatch.setattr(pg, "SEEDS", 3)
    out = pg.compute({"slack": 0, "n_tasks": 9}, 11)
    assert out["h2_h3_hold"] and not out["full_support"]
    assert len(out["heldout_wta"]) == 3 and out["seeds"] == [11, 12, 13]
    for other in ("relu", "linear"):
        diff = np.array(out["heldout_wta"]) - np.array(out[f"heldout_{other}"])
        assert out[f"wta_minus_{other}_mean_diff"] == pytest.approx(diff.mean())
    assert not pg.compute({"slack": 0, "n_tasks": 3}, 11)["h2_h3_hold"]
