"""EVIDENCE: the authors' attractor analysis (analyze.py) re-implemented in numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import evidence_attractors as nat


def _linear_attractor(H: int, spectrum: np.ndarray, rng: np.random.Generator):
    """W = Q diag(spectrum) Q^T, bias = h0 (I - W): h0 = 50 * ones is the only fixed point,
    deep in the positive orthant, where the ReLU map is linear (its Jacobian is W^T)."""
    Q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    W = (Q * spectrum) @ Q.T
    h0 = 50.0 * np.ones(H)
    return W, h0 - h0 @ W, h0, Q[:, :2]


def test_linear_rnn_recovers_the_amplification_exactly():
    """Known leading eigenvalues 0.98 and 0.95: A = 1/|ln 0.98| = 49.50 and 1/|ln 0.95| =
    19.50. The authors' pipeline from U(0, 6)-perturbed starts stays in the linear region,
    where every point has the Jacobian W^T bitwise, so np.unique leaves exactly these two A
    values. Adam does not reach h0 in 10^4 steps: the residual offset lies along the two
    slow modes (contraction 0.02 and 0.05 per step), the fast ones have converged -- so the
    authors' "fixed points" of a slow network are slow points spread along its slow
    manifold, and DBSCAN keeps more than one. Tolerance: eigvals of a 16 x 16 matrix are
    accurate to ~1e-15, and dA/dmu = 1/(mu ln^2 mu) <= 2.6e3 here, so A is exact to ~1e-11
    relative; 1e-9 is used."""
    rng = ne.rng_from(0)
    H = 16
    spectrum = np.concatenate([[0.98, 0.95], rng.uniform(-0.5, 0.5, H - 2)])
    W, bias, h0, slow = _linear_attractor(H, spectrum, rng)
    trajectories = h0 + 0.5 * rng.standard_normal((5, 22, H))
    starts = nat.authors_starts(trajectories, rng)
    analysis = nat.authors_attractor_analysis(W, bias, starts)
    assert np.all(analysis.points @ W + bias > 0)  # the linear region
    offset = analysis.points - h0
    along_slow = np.linalg.norm(offset @ slow, axis=1)
    assert np.all(along_slow >= 0.99 * np.linalg.norm(offset, axis=1))
    assert analysis.A.size == 2
    expected = np.sort([1 / abs(math.log(0.98)), 1 / abs(math.log(0.95))])
    np.testing.assert_allclose(np.sort(analysis.A), expected, rtol=1e-9)
    # the top two by real part are the two slow modes, as the authors sort them
    for top in analysis.top_eigenvalues:
        np.testing.assert_allclose(np.sort(top.real), [0.95 - 1, 0.98 - 1], atol=1e-12)


def test_complex_pair_counts_twice_and_sorting_is_by_real_part():
    """A rotation block r (cos th, -sin th; sin th, cos th) gives mu = r e^{+-i th}: both are
    the top two by real part, np.unique keeps both (different complex numbers), so A holds
    1/|ln r| twice. A real eigenvalue of larger modulus but smaller real part (-0.9) is not
    among the top two (the authors sort by real part, not modulus)."""
    r, th = 0.97, 0.3
    J_forward = np.zeros((3, 3))
    J_forward[:2, :2] = r * np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    J_forward[2, 2] = -0.99
    top = nat.top_eigenvalues_by_real_part(J_forward - np.eye(3), 2)
    np.testing.assert_allclose(np.sort(top.imag), [-r * math.sin(th), r * math.sin(th)])
    A = nat.amplification_factors(top)
    np.testing.assert_allclose(A, [1 / abs(math.log(r))] * 2, rtol=1e-12)


def test_amplification_factor_values():
    """mu = 0.99 -> A = 99.499 (the docstring's example); |mu| = 1 -> inf; exact duplicates
    (points in one linear region share their Jacobian) count once."""
    A = nat.amplification_factors(np.array([-0.01, -0.01, 0.0]))
    assert A.size == 2
    assert math.isinf(A.max())
    assert A.min() == pytest.approx(1 / abs(math.log(0.99)), rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_mse_gradient_matches_finite_differences(seed):
    """Central differences, step 1e-6, away from the ReLU kinks (pre-activations >= 1e-3 from
    0): the quotient of the piecewise-quadratic loss is exact up to rounding ~ eps/1e-6."""
    rng = ne.rng_from(seed)
    B, H = 3, 6
    W = rng.standard_normal((H, H)) / np.sqrt(H)
    b = rng.standard_normal(H)
    h = rng.standard_normal((B, H))
    assert np.min(np.abs(h @ W + b)) > 1e-3
    _, g = nat.mse_displacement_and_gradient(h, W, b)
    numeric = np.empty_like(h)
    for i in range(B):
        for j in range(H):
            e = np.zeros_like(h)
            e[i, j] = 1e-6
            up, _ = nat.mse_displacement_and_gradient(h + e, W, b)
            down, _ = nat.mse_displacement_and_gradient(h - e, W, b)
            numeric[i, j] = (up - down) / 2e-6
    np.testing.assert_allclose(g, numeric, atol=1e-8)


def test_starts_add_one_sided_uniform_noise():
    """analyze.py adds np.random.rand(...) * 6: every unit moves up by [0, 6), mean 3."""
    rng = ne.rng_from(3)
    starts = nat.authors_starts(np.zeros((4, 22, 64)), rng)
    assert starts.shape == (128, 64)
    assert starts.min() >= 0.0 and starts.max() < 6.0
    # mean of 8192 U(0, 6) draws: SE = sqrt(3) / sqrt(8192) = 0.019; 5 SE
    assert abs(starts.mean() - 3.0) < 0.1


def _naive_dbscan_min1(points: np.ndarray, eps: float) -> list[int]:
    """DBSCAN by its definition with min_samples = 1 (every point core): grow each cluster
    from its first unvisited point by breadth-first search over eps-neighbourhoods."""
    n = len(points)
    label = [-1] * n
    reps = []
    for k in range(n):
        if label[k] != -1:
            continue
        reps.append(k)
        label[k] = len(reps)
        frontier = [k]
        while frontier:
            i = frontier.pop()
            for j in range(n):
                if label[j] == -1 and np.linalg.norm(points[i] - points[j]) <= eps:
                    label[j] = len(reps)
                    frontier.append(j)
    return reps


@given(
    st.lists(
        st.tuples(st.floats(-2, 2), st.floats(-2, 2)),
        min_size=1,
        max_size=25,
    )
)
@example([(0.0, 0.0), (0.4, 0.0), (0.8, 0.0), (3.0, 3.0)])  # a chain is one cluster
def test_dbscan_representatives_match_the_definition(pts):
    points = np.array(pts, dtype=float)
    reps = nat.dbscan_representatives(points, 0.5)
    assert reps.tolist() == _naive_dbscan_min1(points, 0.5)


def test_chain_of_close_points_is_one_cluster():
    points = np.array([[0.0, 0.0], [0.4, 0.0], [0.8, 0.0], [3.0, 3.0]])
    assert nat.dbscan_representatives(points, 0.5).tolist() == [0, 3]
