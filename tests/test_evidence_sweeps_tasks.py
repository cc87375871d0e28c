"""EVIDENCE: the authors' other task geometries (tasks.py) and their trainer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import evidence_tasks as nta
from mtl_theory.theory import evidence as te


@given(
    st.sampled_from([4, 8, 24]),
    st.floats(0.01, 0.5),
    st.floats(0.01, 0.5),
    st.integers(0, 3),
    st.floats(1e-6, 1e-3),
)
def test_hyperbolic_labels_flip_exactly_at_the_hyperbola(n_tasks, u, v, quadrant, gap):
    """Put a point just inside and just outside x_1 x_2 = +-theta_k in each quadrant (scaling
    x_2 by (1 +- gap)): task k of that quadrant's block flips, every other label is 0."""
    theta = nta.hyperbolic_thresholds(n_tasks)
    k = n_tasks // 4
    signs = [(1, 1), (-1, 1), (-1, -1), (1, -1)][quadrant]
    j = int(u * 1e6) % k
    x1 = signs[0] * max(u, theta[j] / 0.5 + 1e-3)  # |x_2| = theta / |x_1| must stay <= 0.5
    x2_edge = signs[1] * theta[j] / abs(x1)
    assume(abs(x2_edge) * (1 + gap) < 0.5)
    x = np.array([[x1, x2_edge * (1 + gap)], [x1, x2_edge * (1 - gap)]])
    Y = nta.hyperbolic_labels(x, n_tasks)
    col = quadrant * k + j
    assert Y[0, col] == 1.0 and Y[1, col] == 0.0
    others = np.ones(n_tasks, dtype=bool)
    others[quadrant * k : (quadrant + 1) * k] = False
    assert not Y[:, others].any()  # blocks of the other quadrants stay 0


def test_hyperbolic_thresholds_are_the_authors():
    """linspace(1/(2N), 1, N/4) * 0.2 for N = 24: six thresholds from 1/240 to 0.2."""
    np.testing.assert_allclose(nta.hyperbolic_thresholds(24), np.linspace(1 / 48, 1, 6) * 0.2)
    with pytest.raises(ValueError, match="multiple of 4"):
        nta.TaskGeometry("hyperbolic", 6)


def test_copula_marginals_uniform_and_spearman_rho():
    """x* = Phi(z) - 1/2: each factor U(-1/2, 1/2) (mean 0, variance 1/12) and the rank
    correlation (6/pi) arcsin(rho/2) (the Gaussian copula's, closed form); Pearson's of the
    factors equals Spearman's here because the marginals are uniform. n = 2e5: SE of the
    mean sqrt(1/12/n) = 6.5e-4, of the variance ~ sqrt(1/180/n) = 1.7e-4, of the
    correlation <= 1/sqrt(n) = 2.2e-3; bounds at 5 SE."""
    rng = ne.rng_from(11)
    rho = 0.7
    x = nta.copula_latents(200_000, rho, rng)
    assert np.all(np.abs(x) < 0.5)
    assert np.all(np.abs(x.mean(axis=0)) < 5 * 6.5e-4)
    assert np.all(np.abs(x.var(axis=0) - 1 / 12) < 5 * 1.7e-4)
    expected = 6 / math.pi * math.asin(rho / 2)
    assert abs(np.corrcoef(x.T)[0, 1] - expected) < 5 * 2.2e-3


def test_quadratic_encoder_squares_the_hidden_layers():
    rng = ne.rng_from(2)
    layers = ne.make_encoder(2, (3, 4, 5), rng)
    x = rng.standard_normal((7, 2))
    (W1, b1), (W2, b2), (W3, b3) = layers
    expected = ((((x @ W1 + b1) ** 2) @ W2 + b2) ** 2) @ W3 + b3
    np.testing.assert_allclose(nta.encode_with(layers, x, "quadratic"), expected, rtol=1e-12)
    np.testing.assert_array_equal(nta.encode_with(layers, x, "relu"), ne.encode(layers, x))


def test_linear_geometry_trains_exactly_as_train_rnn():
    """Same seed, same draw order: the parameters after 5 updates are bitwise those of
    numerics.evidence.train_rnn (the geometry trainer adds nothing for the linear task)."""
    C = te.even_normals(4)
    ours = nta.train_task_rnn(nta.TaskGeometry("linear", 4), 0.2, 6, batches=5, seed=3)
    ref = ne.train_rnn(C, np.zeros(4), 0.2, 6, batches=5, seed=3)
    for key, value in ref.params.items():
        np.testing.assert_array_equal(ours.params[key], value)
    samples = ne.rng_from(0).standard_normal((9, 6, 2)) * 0.2
    np.testing.assert_allclose(
        nta.task_states(ours, samples, "relu"), ne.rnn_states(ref, samples), rtol=1e-12
    )


def test_quadratic_inputs_keep_the_trial_layout():
    """Fixation step [enc(0), 1], stimulus steps [enc(X), 1], decision step [enc(0), 0]."""
    rng = ne.rng_from(4)
    layers = ne.make_encoder(2, (100, 100, 40), rng)
    samples = rng.standard_normal((3, 5, 2))
    inputs = nta.task_inputs(layers, samples, "quadratic")
    blank = nta.encode_with(layers, np.zeros((1, 2)), "quadratic")[0]
    assert inputs.shape == (3, 7, 41)
    np.testing.assert_array_equal(inputs[:, [0, -1], :40], np.broadcast_to(blank, (3, 2, 40)))
    assert (
        inputs[:, :-1, 40].tolist() == [[1.0] * 6] * 3 and inputs[:, -1, 40].tolist() == [0.0] * 3
    )
    np.testing.assert_allclose(
        inputs[:, 1:6, :40],
        nta.encode_with(layers, samples.reshape(15, 2), "quadratic").reshape(3, 5, 40),
    )
