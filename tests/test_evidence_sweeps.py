"""EVIDENCE: held-out quarters in any D and the pooled OOD score of the trained-RNN sweeps."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import evidence_sweeps as nsw


def _orthant_index(x: np.ndarray) -> np.ndarray:
    """1-based index of each point's orthant in itertools.product([-.5, .5], repeat=D),
    found by looking the point's signs up in that list (no bit arithmetic)."""
    corners = np.sign(np.array(list(itertools.product([-0.5, 0.5], repeat=x.shape[1]))))
    return np.array([1 + int(np.flatnonzero(np.all(corners == np.sign(p), axis=1))[0]) for p in x])


@given(st.integers(2, 6), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_held_out_quarter_is_generalize_py_split_4(D, region, seed):
    """The mask equals the union of the orthants generalize.py holds out with split = 4
    (its own index formula, orthants numbered by itertools.product): exact, no tolerance."""
    rng = ne.rng_from(seed)
    x = rng.uniform(-0.5, 0.5, (200, D))
    in_region = np.isin(_orthant_index(x), nsw.orthant_regions(D)[region - 1])
    np.testing.assert_array_equal(nsw.held_out_mask(x, region), in_region)


def test_held_out_quarter_is_a_quarter_for_every_D():
    for D in (2, 4, 10):
        sizes = [len(r) for r in nsw.orthant_regions(D)]
        assert sizes == [2**D // 4] * 4
        union = np.sort(np.concatenate(nsw.orthant_regions(D)))
        np.testing.assert_array_equal(union, np.arange(1, 2**D + 1))  # a partition


def test_d2_regions_are_the_quadrants():
    x = np.array([[-0.2, -0.3], [-0.1, 0.2], [0.3, -0.4], [0.1, 0.1]])
    for q in range(1, 5):
        assert nsw.held_out_mask(x, q).tolist() == [k == q - 1 for k in range(4)]


def test_bad_region_is_refused():
    with pytest.raises(ValueError, match=r"region must be 1\.\.4"):
        nsw.held_out_mask(np.zeros((3, 2)), 5)
    with pytest.raises(ValueError, match="D >= 2"):
        nsw.held_out_mask(np.zeros((3, 1)), 1)


def test_affine_features_generalize_exactly():
    """Features an invertible affine map of x*: the least-squares decoder is exact on every
    held-out quarter (r^2 = 1 to rounding, 1e-10), the Adam decoder close (it stops early:
    no exactness claimed, only that it learned, r^2 > 0.5)."""
    rng = ne.rng_from(7)
    x = rng.uniform(-0.5, 0.5, (2000, 4))
    A = rng.standard_normal((4, 6))
    scores = nsw.score_pool(x @ A + 1.0, x, rng, decoder_batches=1000, fits=1)
    np.testing.assert_allclose(scores.least_squares, 1.0, atol=1e-10)
    assert np.all(scores.adam > 0.5)
    assert scores.angles.shape == (4, 1, 6)
    assert np.all(scores.n_train + scores.n_test == 2000)


def test_sweep_point_is_deterministic_and_its_ideal_route_meets_eq7():
    """One sweep point at a tiny training budget (20 batches), twice with the same seed:
    identical records (determinism). Its ideal route, mu(t) by least squares on the held-out
    quarters of the 8000-trial pool, meets Eq. 7 at sigma = 0.2, t = 20 within 0.005: the
    Monte-Carlo SE of each quarter's r^2 is ~5e-4 (about 2000 test trials x 2 coordinates,
    sd of the squared error 0.0028, over Var = 1/12), and the decoder's attenuation
    Var/(Var + sigma^2/t) moves r^2 by < 1e-3 here; 0.005 is about 10 SE."""
    from mtl_theory.proofs import evidence_sweeps as ps

    a = ps.trained_sweep_point(2, 24, 0.2, 20, seed=5, batches=20)
    b = ps.trained_sweep_point(2, 24, 0.2, 20, seed=5, batches=20)
    a.pop("train_seconds"), b.pop("train_seconds")
    assert a == b
    assert a["r2_eq7"] == pytest.approx(0.976)
    assert np.all(np.abs(np.array(a["ideal_ood_r2_least_squares"]) - a["r2_eq7"]) < 0.005)
    assert len(a["ood_r2_adam"]) == 4 * ps.SWEEP_FITS
