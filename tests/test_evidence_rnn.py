"""EVIDENCE: the trained RNN route — exact BPTT gradients and a short training run."""

from __future__ import annotations

import numpy as np
import pytest

from numerics import evidence as ne
from theory import evidence as te


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bptt_gradient_matches_finite_differences(seed):
    """Central differences, h = 1e-6: truncation O(h^2) ~ 1e-12 and rounding ~ eps/h ~ 1e-10
    relative; ReLU kinks are hit with probability ~ 0 for Gaussian inputs."""
    rng = ne.rng_from(seed)
    B, T, n_in, H, N = 3, 5, 4, 6, 3
    params = ne.init_rnn_params(n_in, H, N, rng)
    params["W_rec"] = params["W_rec"] + 0.3 * rng.standard_normal((H, H))
    params["b"] = 0.1 * rng.standard_normal(H)
    inputs = rng.standard_normal((B, T, n_in))
    Y = (rng.random((B, N)) < 0.5).astype(float)
    _, grads = ne.rnn_loss_and_grads(params, inputs, Y)
    h = 1e-6
    for name, value in params.items():
        numeric = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            old = value[idx]
            value[idx] = old + h
            up, _ = ne.rnn_loss_and_grads(params, inputs, Y)
            value[idx] = old - h
            down, _ = ne.rnn_loss_and_grads(params, inputs, Y)
            value[idx] = old
            numeric[idx] = (up - down) / (2 * h)
        scale = max(np.max(np.abs(numeric)), 1e-3)
        assert np.max(np.abs(grads[name] - numeric)) <= 1e-6 * scale, name


def test_short_training_beats_the_constant_baseline_and_decodes_ood():
    """300 batches of 16: the BCE falls well below the label-entropy baseline, and a linear
    decoder of the hidden state beats chance out of distribution (OOD r2 > 0)."""
    C, d = te.even_normals(3), np.zeros(3)
    result = ne.train_rnn(C, d, 0.2, 10, batches=300, seed=0)
    rng = ne.rng_from(1)
    trials = ne.simulate_trials(2, 0.2, 10, 800, rng)
    loss = ne.rnn_eval_loss(result, trials, C, d)
    assert loss < 0.6 * result.baseline_loss
    states = ne.rnn_states(result, trials.samples)
    ood = ne.ood_r2_all(states, trials.x_star, te.BOX_VARIANCE)
    assert np.median(ood) > 0.0


def test_adam_reduces_a_quadratic():
    params = {"x": np.array([3.0, -2.0])}
    opt = ne.Adam(lr=0.1)
    for _ in range(300):
        opt.step(params, {"x": 2 * params["x"]})
    assert np.all(np.abs(params["x"]) < 0.05)
