"""EVIDENCE: the trained RNN route — exact BPTT gradients and a short training run."""

from __future__ import annotations

import numpy as np
import pytest
from mtl_theory.numerics import evidence as ne
from mtl_theory.theory import evidence as te


@pytest.mark.parametrize("loss", ne.RNN_LOSSES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bptt_gradient_matches_finite_differences(seed, loss):
    """Central differences, h = 1e-6: truncation O(h^2) ~ 1e-12 and rounding ~ eps/h ~ 1e-10
    relative; ReLU kinks are hit with probability ~ 0 for Gaussian inputs. Both losses: the
    all-steps loss sends gradient into the readout at every step."""
    rng = ne.rng_from(seed)
    B, T, n_in, H, N = 3, 5, 4, 6, 3
    params = ne.init_rnn_params(n_in, H, N, rng)
    params["W_rec"] = params["W_rec"] + 0.3 * rng.standard_normal((H, H))
    params["b"] = 0.1 * rng.standard_normal(H)
    inputs = rng.standard_normal((B, T, n_in))
    Y = (rng.random((B, N)) < 0.5).astype(float)
    _, grads = ne.rnn_loss_and_grads(params, inputs, Y, loss=loss)
    h = 1e-6
    for name, value in params.items():
        numeric = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            old = value[idx]
            value[idx] = old + h
            up, _ = ne.rnn_loss_and_grads(params, inputs, Y, loss=loss)
            value[idx] = old - h
            down, _ = ne.rnn_loss_and_grads(params, inputs, Y, loss=loss)
            value[idx] = old
            numeric[idx] = (up - down) / (2 * h)
        scale = max(np.max(np.abs(numeric)), 1e-3)
        assert np.max(np.abs(grads[name] - numeric)) <= 1e-6 * scale, name


def _bce_as_torch_computes_it(o, target, weight):
    """nn.BCELoss(weight) on sigmoid outputs: mean of -w [y log p + (1 - y) log(1 - p)]."""
    p = 1.0 / (1.0 + np.exp(-o))
    return float(np.mean(-weight * (target * np.log(p) + (1 - target) * np.log1p(-p))))


def test_all_steps_loss_is_train_py_bce_with_half_targets_before_the_decision():
    """The all-steps loss equals BCELoss with an all-ones mask over every step and task,
    targets target/2 + 1/2 with neurogym's target 0 before the decision step and 2y - 1 at
    it (train.py, ``code``); the decision-step loss is the BCE of the last step alone.
    Written independently here from the probabilities (float64: rounding ~1e-15)."""
    rng = ne.rng_from(5)
    B, T, n_in, H, N = 4, 7, 3, 5, 2
    params = ne.init_rnn_params(n_in, H, N, rng)
    inputs = rng.standard_normal((B, T, n_in))
    Y = (rng.random((B, N)) < 0.5).astype(float)
    o = ne.rnn_forward(params, inputs) @ params["W_out"] + params["b_out"]
    neurogym = np.zeros((B, T, N))
    neurogym[:, -1] = 2 * Y - 1
    target = neurogym / 2 + 0.5
    full, _ = ne.rnn_loss_and_grads(params, inputs, Y, loss="all-steps")
    assert full == pytest.approx(_bce_as_torch_computes_it(o, target, 1.0), rel=1e-12)
    last, _ = ne.rnn_loss_and_grads(params, inputs, Y, loss="decision-step")
    assert last == pytest.approx(_bce_as_torch_computes_it(o[:, -1], target[:, -1], 1.0), rel=1e-12)
    # train.py's pen_end mask averages over every step: ours divided by T
    mask = np.zeros((B, T, N))
    mask[:, -1] = 1.0
    assert last / T == pytest.approx(_bce_as_torch_computes_it(o, target, mask), rel=1e-12)


def test_all_steps_loss_floor_is_attained_only_with_half_outputs_before_the_decision():
    """Targets 1/2 cost at least ln 2 per element: the floor (T - 1) ln 2 / T of the all-steps
    loss, and the constant predictor's ((T - 1) ln 2 + H) / T (``derived``)."""
    T, H = 22, 0.5
    assert ne.training_loss_baseline(H, T, "decision-step") == H
    assert ne.training_loss_baseline(H, T, "all-steps") == pytest.approx(
        (21 * np.log(2) + H) / 22, rel=1e-15
    )
    params = {
        "W_in": np.zeros((2, 3)),
        "W_rec": np.zeros((3, 3)),
        "b": np.zeros(3),
        "W_out": np.zeros((3, 2)),
        "b_out": np.zeros(2),
    }
    Y = np.array([[1.0, 0.0]])
    loss, _ = ne.rnn_loss_and_grads(params, np.zeros((1, T, 2)), Y, loss="all-steps")
    assert loss == pytest.approx(np.log(2), rel=1e-15)  # every output 1/2


def test_rnn_states_equal_the_full_forward_pass():
    """The chunked decision-step forward pass equals rnn_forward's last state (up to BLAS
    blocking: the same products on row blocks, so ~1e-15 relative)."""
    rng = ne.rng_from(8)
    result = ne.train_rnn(te.even_normals(3), np.zeros(3), 0.2, 6, batches=5, seed=1)
    samples = rng.standard_normal((50, 6, 2))
    full = ne.rnn_forward(result.params, ne.rnn_inputs(result.encoder, samples))[:, -1]
    np.testing.assert_allclose(
        ne.rnn_states(result, samples, chunk=7), full, rtol=1e-13, atol=1e-13
    )


def test_training_is_deterministic_and_the_loss_option_matters():
    """Same seed -> identical parameters; the two losses give different training runs."""
    C, d = te.even_normals(2), np.zeros(2)
    runs = [
        ne.train_rnn(
            C, d, 0.2, 5, batches=20, seed=3, config=ne.RNNConfig(D=2, n_tasks=2, loss=loss)
        )
        for loss in ("all-steps", "all-steps", "decision-step")
    ]
    for name in runs[0].params:
        np.testing.assert_array_equal(runs[0].params[name], runs[1].params[name])
    assert not np.array_equal(runs[0].params["W_rec"], runs[2].params["W_rec"])
    assert runs[0].loss == "all-steps" and runs[2].loss == "decision-step"
    with pytest.raises(ValueError, match="loss"):
        ne.RNNConfig(D=2, n_tasks=2, loss="every-step")


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


def test_rnn_inputs_follow_the_authors_trial_layout():
    """1 fixation step [enc(0), 1], t stimulus steps [enc(X), 1], 1 decision step [enc(0), 0]
    (DisentangleRes tasks.py / analyze.py): exact, the encoder is deterministic."""
    rng = ne.rng_from(0)
    encoder = ne.make_encoder(2, (100, 100, 40), rng)
    samples = rng.standard_normal((3, 5, 2))
    u = ne.rnn_inputs(encoder, samples)
    blank = ne.encode(encoder, np.zeros((1, 2)))[0]
    assert u.shape == (3, 1 + 5 + 1, 41)
    np.testing.assert_array_equal(u[:, 0, :40], np.broadcast_to(blank, (3, 40)))
    np.testing.assert_array_equal(u[:, -1, :40], np.broadcast_to(blank, (3, 40)))
    np.testing.assert_array_equal(u[:, :-1, 40], 1.0)
    np.testing.assert_array_equal(u[:, -1, 40], 0.0)
    np.testing.assert_allclose(
        u[:, 1:-1, :40], ne.encode(encoder, samples.reshape(15, 2)).reshape(3, 5, 40)
    )


def test_initialization_is_pytorch_default_uniform():
    """W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (nn.Linear default): every entry within the
    bound, and the sample variance of the recurrent weights within 5 SE of bound^2/3."""
    rng = ne.rng_from(3)
    params = ne.init_rnn_params(41, 64, 6, rng)
    for name, fan_in in (("W_in", 41), ("W_rec", 64), ("W_out", 64), ("b_out", 64)):
        assert np.max(np.abs(params[name])) <= 1 / np.sqrt(fan_in)
    assert np.max(np.abs(params["b"])) <= 1 / np.sqrt(41) + 1 / np.sqrt(64)
    w = params["W_rec"].ravel()
    expected = (1 / 64) / 3
    # Var of U(-a, a) squared entries: a^4/5 - a^4/9 = 4 a^4 / 45
    se = np.sqrt(4 * (1 / 64) ** 2 / 45 / w.size)
    assert abs(np.mean(w**2) - expected) <= 5 * se
    assert not np.allclose(params["W_rec"], np.eye(64))  # no identity initialization
    layers = ne.make_encoder(2, (100, 100, 40), rng)
    for (W, b), fan_in in zip(layers, (2, 100, 100), strict=True):
        assert np.max(np.abs(W)) <= 1 / np.sqrt(fan_in)
        assert np.max(np.abs(b)) <= 1 / np.sqrt(fan_in)


def test_adam_decoder_approaches_least_squares_on_the_ideal_route():
    """On mu(t) (an affine code of x*) the authors' Adam-trained decoder (3500 batches of 16,
    lr 3e-3) lands within 0.02 of the least-squares OOD r2 per quadrant: the residual is the
    SGD jitter of the final iterate (lr x gradient noise), measured ~0.003 here."""
    rng = ne.rng_from(11)
    trials = ne.simulate_trials(2, 0.2, 20, 1200, rng)
    least = ne.ood_r2_all(trials.mean, trials.x_star, te.BOX_VARIANCE).mean(axis=1)
    adam = ne.ood_r2_adam_decoder(trials.mean, trials.x_star, te.BOX_VARIANCE, rng).mean(axis=1)
    assert np.max(np.abs(adam - least)) <= 0.02


def test_short_training_integrates_evidence_and_never_beats_the_ideal_observer():
    """What a broken RNN would fail, with bounds that hold for any estimator (``derived``):

    - above: no function of the t samples estimates x* better than the box-prior Bayes
      posterior mean, so a decoder of the hidden state cannot beat its r2 (beyond MC error):
      a network that saw x* itself (a leak) would;
    - below: the Bayes posterior mean of only the first t // 3 samples is the best any
      estimator using a third of the evidence can do, so a network that forgot most of the
      stimulus (a broken or leaky recurrence) cannot beat it; after 300 batches the trained
      state does by ~15 SE (measured: r2 0.94 against 0.87 below and 0.96 above).

    r2 on 1000 held-out trials (affine decoder fit on 1000 others), 4 combined SE on each side.
    """
    C, d, sigma, t = te.even_normals(3), np.zeros(3), 0.2, 10
    result = ne.train_rnn(C, d, sigma, t, batches=300, seed=0)
    rng = ne.rng_from(4)
    trials = ne.simulate_trials(2, sigma, t, 2000, rng)
    r2, se = ne.linear_estimate_r2_heldout(
        ne.rnn_states(result, trials.samples), trials.x_star, te.BOX_VARIANCE
    )
    test = slice(1000, None)  # the decoder's test half
    bounds = {}
    for name, k in (("third", t // 3), ("all", t)):
        bayes = ne.bayes_observer_mc(trials.samples[test, :k], C, d, sigma, prior="box", rng=rng)
        bounds[name] = ne.r2_of_estimate(bayes.posterior_mean, trials.x_star[test], te.BOX_VARIANCE)
    (r2_third, se_third), (r2_all, se_all) = bounds["third"], bounds["all"]
    assert r2 - 4 * np.hypot(se, se_third) > r2_third
    assert r2 <= r2_all + 4 * np.hypot(se, se_all)
