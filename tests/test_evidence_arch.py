"""The architectures of Fig. 3b/3c (numerics.evidence_arch): gradients, semantics, training."""

from __future__ import annotations

import math

import numpy as np
import pytest
from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import evidence_arch as na
from mtl_theory.theory import evidence as te

from mtl_theory.families.evidence import FAMILY
from mtl_theory.registry import CheckOptions
from mtl_theory.spec import SpecError

SMALL = {"hidden": 8, "heads": 2, "encoder": (6, 6, 5)}


def _small_problem(architecture: str, seed: int, *, dropout: float = 0.3, perturb: float = 0.3):
    """A small network (hidden 8), 3 trials of 4 samples, 3 tasks, fixed dropout masks.

    The transformer's init (std 0.02, unit LayerNorm gains, zero biases) is perturbed so
    that every parameter's gradient is generic (at the init the attention is near uniform).
    """
    rng = np.random.default_rng(seed)
    cfg = na.ArchConfig(architecture, D=2, n_tasks=3, dropout=dropout, **SMALL)
    encoder = ne.make_encoder(2, cfg.encoder, rng)
    trials = ne.simulate_trials(2, 0.2, 4, 3, rng)
    C = np.array([[1.0, 0.2], [-0.3, 1.0], [0.7, 0.7]])
    Y = ne.task_labels(trials.x_star, C, np.zeros(3))
    inputs = ne.rnn_inputs(encoder, trials.samples)
    params = na.init_params(cfg, inputs.shape[2], rng)
    if architecture == "transformer":
        for name in params:
            params[name] = params[name] + perturb * rng.standard_normal(params[name].shape)
    p = dropout if architecture == "transformer" else 0.0
    masks = na.dropout_masks((inputs.shape[0], inputs.shape[1], cfg.hidden), cfg.heads, p, rng)
    return cfg, params, inputs, Y, masks


def _central_differences(cfg, params, inputs, Y, masks, h: float) -> dict[str, np.ndarray]:
    out = {}
    for name, value in params.items():
        num = np.empty_like(value)
        for idx in np.ndindex(value.shape):
            old = value[idx]
            value[idx] = old + h
            up = na.loss_and_grads(cfg, params, inputs, Y, masks)[0]
            value[idx] = old - h
            down = na.loss_and_grads(cfg, params, inputs, Y, masks)[0]
            value[idx] = old
            num[idx] = (up - down) / (2 * h)
        out[name] = num
    return out


def _relative_error(a: dict, b: dict) -> float:
    diff = math.sqrt(sum(float(np.sum((a[k] - b[k]) ** 2)) for k in a))
    return diff / math.sqrt(sum(float(np.sum(b[k] ** 2)) for k in b))


@pytest.mark.parametrize("architecture", na.ARCHITECTURES)
@pytest.mark.parametrize("loss", ["all-steps", "decision-step"])
def test_gradients_match_central_differences(architecture, loss):
    """float64 central differences at h = 1e-5: truncation h^2 |f'''| / 6 ~ 1e-11 and rounding
    eps |f| / h ~ 2e-11 per coordinate, against gradients of order 1e-2: a relative error
    (2-norm over every parameter) above 1e-6 is a wrong gradient, not numerical noise."""
    cfg, params, inputs, Y, masks = _small_problem(architecture, 3)
    cfg = na.ArchConfig(**{**cfg.__dict__, "loss": loss})
    _, grads = na.loss_and_grads(cfg, params, inputs, Y, masks)
    assert set(grads) == set(params)
    for name in params:
        assert grads[name].shape == params[name].shape, name
    num = _central_differences(cfg, params, inputs, Y, masks, 1e-5)
    assert _relative_error(grads, num) < 1e-6


@pytest.mark.parametrize("architecture", ["lstm", "transformer"])
def test_finite_difference_error_is_second_order(architecture):
    """Smooth networks (no ReLU after the fixed encoder): the central-difference error is
    h^2 f''' / 6 + O(h^4), so halving h divides it by 4 (within [3.5, 4.5] at h = 0.02,
    where rounding, ~1e-14, is negligible). A wrong gradient leaves an O(1) error that does
    not fall with h."""
    cfg, params, inputs, Y, masks = _small_problem(architecture, 5)
    _, grads = na.loss_and_grads(cfg, params, inputs, Y, masks)
    errors = [
        _relative_error(_central_differences(cfg, params, inputs, Y, masks, h), grads)
        for h in (0.02, 0.01)
    ]
    assert 3.5 < errors[0] / errors[1] < 4.5, errors


def test_nonleaky_states_accumulate_and_leaky_do_not():
    """r_k = r_{k-1} + relu(.) never decreases (the non-leaky RNN integrates); the toolkit's
    leaky RNN with alpha = 1, relu(.), does decrease somewhere on the same weights."""
    cfg, params, inputs, _, _ = _small_problem("rnn-nonleaky", 1)
    states, _ = na.nonleaky_forward(params, inputs)
    assert np.all(np.diff(states, axis=1) >= 0)
    leaky = ne.rnn_forward(params, inputs)
    assert np.any(np.diff(leaky, axis=1) < 0)
    assert states.shape == (inputs.shape[0], inputs.shape[1], cfg.hidden)


def test_transformer_is_causal_and_eval_last_state_is_the_full_forward():
    cfg, params, inputs, _, _ = _small_problem("transformer", 2)
    out, _ = na.transformer_forward(params, inputs, cfg.heads)
    changed = inputs.copy()
    changed[:, 3:] += 1.0
    out2, _ = na.transformer_forward(params, changed, cfg.heads)
    np.testing.assert_array_equal(out[:, :3], out2[:, :3])  # no token sees the future
    assert np.max(np.abs(out[:, 3:] - out2[:, 3:])) > 1e-3
    last = na.transformer_last_states(params, inputs, cfg.heads)
    np.testing.assert_allclose(last, out[:, -1], rtol=0, atol=1e-12)


def test_zero_query_and_key_weights_give_uniform_causal_averaging():
    """With the q and k projections zero, every score is 0 and token k attends uniformly to
    tokens 1..k: the attention output is the running mean of the values (written out here
    without the module's softmax)."""
    cfg, params, inputs, _, _ = _small_problem("transformer", 4)
    E = cfg.hidden
    params["W_qkv"][:, : 2 * E] = 0.0
    params["b_qkv"][: 2 * E] = 0.0
    _, cache = na.transformer_forward(params, inputs, cfg.heads)
    values = cache["a"] @ params["W_qkv"][:, 2 * E :] + params["b_qkv"][2 * E :]
    running_mean = np.cumsum(values, axis=1) / np.arange(1, inputs.shape[1] + 1)[None, :, None]
    np.testing.assert_allclose(cache["O"], running_mean, rtol=0, atol=1e-12)


def test_dropout_masks_are_inverted_dropout_and_off_at_zero():
    rng = np.random.default_rng(0)
    masks = na.dropout_masks((40, 22, 64), 8, 0.1, rng)
    for m in masks.values():
        assert set(np.unique(m)) == {0.0, 1.0 / 0.9}
        assert abs(np.mean(m == 0.0) - 0.1) < 0.01  # 5 binomial SE of >= 56,000 draws
    assert na.dropout_masks((4, 22, 64), 8, 0.0, rng) is None


def test_initialization_follows_pytorch_and_gpt2_defaults():
    rng = np.random.default_rng(0)
    lstm = na.init_params(na.ArchConfig("lstm", 2, 6), 41, rng)
    assert lstm["W_x"].shape == (41, 256) and lstm["W_h"].shape == (64, 256)
    assert np.max(np.abs(lstm["W_h"])) <= 1 / 8 and np.max(np.abs(lstm["b"])) <= 2 / 8
    gpt = na.init_params(na.ArchConfig("transformer", 2, 6), 41, rng)
    assert gpt["W_fc"].shape == (64, 256) and gpt["W_qkv"].shape == (64, 192)
    # sample SDs of >= 4096 normal draws: relative SE 1 / sqrt(2 n) < 1.2 %, 5 SE = 6 %
    assert abs(np.std(gpt["W_qkv"]) / 0.02 - 1) < 0.06
    assert abs(np.std(gpt["W_o"]) / (0.02 / math.sqrt(2)) - 1) < 0.06
    assert abs(np.std(gpt["W_pr"]) / (0.02 / math.sqrt(2)) - 1) < 0.06
    assert np.all(gpt["g1"] == 1) and np.all(gpt["b_qkv"] == 0)


@pytest.mark.parametrize("architecture", na.ARCHITECTURES)
def test_short_training_decreases_the_loss_and_beats_the_constant_predictor(architecture):
    C, d = te.even_normals(6), np.zeros(6)
    cfg = na.ArchConfig(architecture, 2, 6, loss="decision-step")
    result = na.train_architecture(C, d, 0.2, 20, batches=200, seed=7, config=cfg, log_every=50)
    assert result.losses.shape == (4,)
    assert result.losses[-1] < result.losses[0]
    probe = ne.simulate_trials(2, 0.2, 20, 1000, ne.rng_from(99))
    assert na.arch_eval_loss(result, probe, C, d) < result.baseline_loss - 0.05
    again = na.train_architecture(C, d, 0.2, 20, batches=5, seed=7, config=cfg)
    twice = na.train_architecture(C, d, 0.2, 20, batches=5, seed=7, config=cfg)
    for name in again.params:
        np.testing.assert_array_equal(again.params[name], twice.params[name])
    # every architecture with one seed shares the leaky RNN's frozen encoder
    rnn = ne.train_rnn(C, d, 0.2, 20, batches=0, seed=7)
    for (W, b), (W2, b2) in zip(rnn.encoder, result.encoder, strict=True):
        np.testing.assert_array_equal(W, W2)
        np.testing.assert_array_equal(b, b2)


def test_arch_config_validates_its_fields():
    with pytest.raises(ValueError, match="architecture must be one of"):
        na.ArchConfig("gru", 2, 6)
    with pytest.raises(ValueError, match="multiple of heads"):
        na.ArchConfig("transformer", 2, 6, hidden=60, heads=8)
    with pytest.raises(ValueError, match="dropout"):
        na.ArchConfig("transformer", 2, 6, dropout=1.0)
    with pytest.raises(ValueError, match="loss must be one of"):
        na.ArchConfig("lstm", 2, 6, loss="mse")


def _spec(**extra):
    spec = {"theory": "evidence", "D": 2, "n_tasks": 6, "boundaries": "even", **extra}
    return FAMILY.schema.validate(spec)


@pytest.mark.parametrize("network", na.ARCHITECTURES)
def test_spec_network_key_accepts_the_architectures_with_the_rnn_keys(network):
    setup = FAMILY.build(_spec(network=network, rnn_networks=1, protocol="authors-published"))
    assert (setup.network, setup.rnn_networks, setup.protocol) == (
        network,
        1,
        "authors-published",
    )
    assert setup.decoder_batches == 2000 and setup.rnn_loss == "all-steps"


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ({"network": "gru"}, "network"),
        ({"network": "lstm", "D": 11, "boundaries": "random"}, "D"),
        ({"network": "lstm", "D": 1, "boundaries": "random"}, "D"),
        (
            {"network": "lstm", "D": 3, "boundaries": "random", "protocol": "authors-published"},
            "protocol",
        ),
        ({"network": "transformer", "n_tasks": 4}, "decoder_batches"),
        ({"network": "filter", "rnn_loss": "decision-step"}, "rnn_loss"),
    ],
)
def test_bad_architecture_specs_name_their_key(extra, key):
    with pytest.raises(SpecError) as err:
        FAMILY.build(_spec(**extra))
    assert err.value.key == key


def test_check_verify_runs_an_architecture_under_the_authors_protocol():
    """Quick mode: one network, 300 batches, one fit, 300 decoder batches (the RNN's). The
    cheapest architecture: the route is the same for all three (network_states dispatch)."""
    setup = FAMILY.build(_spec(network="rnn-nonleaky", n_trials=600))
    result = FAMILY.check(setup, CheckOptions(verify=True, quick=True, seed=0))
    measured = result.verification.measured
    assert measured["architecture"] == "rnn-nonleaky"
    assert measured["ood_r2_authors_fixed_values"].shape == (1, 4, 1)
    assert len(measured["ood_r2_percentiles"]) == 3
    assert result.verification.method == "monte-carlo+bptt"
    sanity = [c for c in result.verification.comparisons if "trained rnn-nonleaky" in c.quantity]
    assert len(sanity) == 1 and sanity[0].route == "consistency" and sanity[0].agrees
