"""EVIDENCE: the fixed-point search of the RNN's stimulus-free map (EV-7 measurement)."""

from __future__ import annotations

import numpy as np
import pytest
from mtl_theory.numerics import evidence as ne


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_relu_map_jacobian_matches_finite_differences(seed):
    """Central differences, step 1e-6: F is piecewise linear, so away from the kinks (hit
    with probability ~0; the pre-activations are kept >= 1e-3 from 0, far beyond the step)
    the difference quotient is exact up to rounding ~ eps / 1e-6 ~ 1e-10."""
    rng = ne.rng_from(seed)
    H = 8
    W = rng.standard_normal((H, H)) / np.sqrt(H)
    b = rng.standard_normal(H)
    h = rng.standard_normal(H)
    a = h @ W + b
    assert np.min(np.abs(a)) > 1e-3  # away from the kinks (holds for these seeds)
    J = ne.relu_map_jacobian(h, W, b)
    step = 1e-6
    numeric = np.empty((H, H))
    for j in range(H):
        e = np.zeros(H)
        e[j] = step
        numeric[:, j] = (ne.relu_map(h + e, W, b) - ne.relu_map(h - e, W, b)) / (2 * step)
    np.testing.assert_allclose(J, numeric, atol=1e-8)
    assert 0 < np.count_nonzero(a > 0) < H  # both branches of relu' exercised


def _plane_attractor(H: int, rng: np.random.Generator):
    """W = Q diag(1, 1, contracting) Q^T, bias = h0 (I - W): the fixed points are the plane
    h0 + span(q1, q2), inside the positive orthant near h0 = 10 * ones (ReLU linear there)."""
    Q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    spectrum = np.concatenate([[1.0, 1.0], rng.uniform(-0.6, 0.6, H - 2)])
    W = (Q * spectrum) @ Q.T
    h0 = 10.0 * np.ones(H)
    bias = h0 - h0 @ W
    return W, bias, h0, Q[:, :2]


def test_search_finds_a_plane_attractor_with_two_unit_eigenvalues():
    """Starts h0 + x* Q2^T + noise (x* in the latent box): every start converges (exact
    Gauss-Newton in the single linear region), the points span a 2-D sheet (the first two
    PCs carry all the variance up to rounding, the first alone clearly not), they decode to
    two O(1) latent directions, and dF/dh has exactly two eigenvalues 1 (|lambda - 1| <
    1e-8: rounding of eigvals of a 16 x 16 matrix) and none other in the band."""
    rng = ne.rng_from(0)
    H = 16
    W, bias, h0, Q2 = _plane_attractor(H, rng)
    x_star = rng.uniform(-0.5, 0.5, (300, 2))
    states = h0 + x_star @ Q2.T + 0.1 * rng.standard_normal((300, H))
    decoder = ne.affine_decoder(states, x_star)
    fps = ne.find_fixed_points(W, bias, states[:60])
    assert fps.n_converged == 60
    assert fps.points.shape[0] == 60  # a continuum: no two starts land on the same point
    assert np.max(fps.q) < 1e-20
    # on the plane: h - h0 lies in span(q1, q2)
    off = (fps.points - h0) - (fps.points - h0) @ Q2 @ Q2.T
    assert np.max(np.abs(off)) < 1e-8
    summary = ne.summarize_fixed_points(fps.points, W, bias, decoder, 1 / 12)
    assert summary.pca_explained[1] > 1 - 1e-12
    assert summary.pca_explained[0] < 0.9
    assert summary.decoded_cov_eigenvalues[1] > 0.3  # both latent directions covered
    np.testing.assert_allclose(summary.top2_moduli, 1.0, atol=1e-8)
    assert np.all(summary.n_near_one == 2)
    assert summary.fraction_two_near_one == 1.0


def test_search_finds_the_single_fixed_point_of_a_contraction():
    """||W||_2 = 0.7 < 1 and ReLU is 1-Lipschitz, so F is a contraction with one fixed point
    (Banach): 50 scattered starts collapse to one point after deduplication, which iteration
    of F confirms, with both leading moduli <= 0.7 (|lambda| <= ||diag(m) W^T||_2 <= 0.7)."""
    rng = ne.rng_from(4)
    H = 12
    W = rng.standard_normal((H, H))
    W *= 0.7 / np.linalg.norm(W, 2)
    bias = rng.standard_normal(H)
    starts = 3.0 * rng.standard_normal((50, H))
    fps = ne.find_fixed_points(W, bias, starts)
    assert fps.n_converged == 50
    assert fps.points.shape[0] == 1
    h = np.zeros(H)
    for _ in range(200):  # 0.7^200 ~ 1e-31
        h = ne.relu_map(h, W, bias)
    np.testing.assert_allclose(fps.points[0], h, atol=1e-10)
    summary = ne.summarize_fixed_points(fps.points, W, bias, np.zeros((H + 1, 2)), 1 / 12)
    assert summary.n_points == 1
    assert np.all(summary.top2_moduli <= 0.7 + 1e-12)
    assert summary.fraction_two_near_one == 0.0


def test_slow_points_above_the_tolerance_are_dropped():
    """F(h) = h + c with c != 0 on the positive orthant (W = I, bias = c > 0) has no fixed
    point: q = |c|^2 / 2 at best, so nothing passes the tolerance."""
    H = 5
    fps = ne.find_fixed_points(np.eye(H), np.full(H, 0.1), np.ones((4, H)))
    assert fps.n_converged == 0
    assert fps.points.shape == (0, H)


def test_slow_points_are_kept_apart_from_fixed_points():
    """W = I, bias = c > 0: on the positive orthant F(h) - h = c everywhere, so q is flat
    (gradient 0) and every start is a minimum with speed |c|. With |c| = 1e-5 sqrt(5) and
    start norm sqrt(5) the relative speed 1e-5 is below SLOW_POINT_RELATIVE_SPEED = 1e-3:
    no fixed point, one slow point after merging the identical starts; with c = 0.1 none."""
    H = 5
    slow = ne.find_fixed_points(np.eye(H), np.full(H, 1e-5), np.ones((4, H)))
    assert slow.n_converged == 0
    assert slow.slow_points().shape == (1, H)
    fast = ne.find_fixed_points(np.eye(H), np.full(H, 0.1), np.ones((4, H)))
    assert fast.slow_points().shape == (0, H)


def test_pca_of_fewer_than_four_points_is_not_reported():
    """Three points always lie in a plane: the 2-D test would be vacuous, so it is nan."""
    rng = ne.rng_from(2)
    H = 6
    points = 5.0 + rng.standard_normal((3, H))
    summary = ne.summarize_fixed_points(points, np.eye(H), np.zeros(H), np.zeros((H + 1, 2)), 1.0)
    assert np.all(np.isnan(summary.pca_explained))
    assert summary.n_points == 3
