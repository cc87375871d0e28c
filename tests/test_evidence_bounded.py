"""EVIDENCE: the bounded accumulator (DisentangleRes LinearClassificationBound) and its RNN."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from budget import share
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import evidence_tasks as nta
from mtl_theory.proofs import evidence_sweeps as ps

from mtl_theory.families import evidence_rnn_bounded as erb
from mtl_theory.families.evidence import FAMILY


def _loop_targets(task: nta.BoundedAccumulatorTask, samples: np.ndarray) -> np.ndarray:
    """An independent per-trial, per-step statement of the targets (the class docstring):
    walk the whole trial, add x_2 - alpha x_1 of the step's observation, stop at the first
    step beyond +-bound; the stimulus step j (1-based) reads the walk after step j - 1;
    other steps read 0; truncate toward zero."""
    B, t, _ = samples.shape
    T = task.n_steps(t)
    out = np.zeros((B, T, task.n_tasks))
    for b in range(B):
        for i, alpha in enumerate(task.alphas):
            walk, value, absorbed = [], 0.0, False
            for j in range(T):
                in_stim = task.fixation_steps <= j < task.fixation_steps + t
                ob = samples[b, j - task.fixation_steps] if in_stim else np.zeros(2)
                if not absorbed:
                    value += ob[1] - alpha * ob[0]
                    if abs(value) > task.bound:
                        value, absorbed = math.copysign(task.bound, value), True
                walk.append(value)
            for j in range(t):
                y = walk[j]
                out[b, task.fixation_steps + j, i] = math.trunc(y) if task.truncate else y
    return out


@settings(max_examples=share(0.2), deadline=None)
@given(st.sampled_from([1, 2, 3, 6, 24]), st.integers(0, 2**31), st.booleans())
def test_targets_equal_a_step_by_step_walk(n_tasks, seed, truncate):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-0.5, 0.5, (5, 2))
    samples = x[:, None, :] + 0.2 * rng.standard_normal((5, 20, 2))
    task = nta.BoundedAccumulatorTask(n_tasks, truncate=truncate)
    np.testing.assert_array_equal(nta.bounded_targets(task, samples), _loop_targets(task, samples))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_targets_by_hand_lagged_absorbed_truncated(sign):
    """X = (0, +-0.375) every step (exact in binary; alpha x_1 = 0 for every task): the sum
    after j samples is 0.375 j, beyond 5 from j = 14 on. The target at stimulus step k is
    the sum of k - 1 samples, truncated: trunc(0.375 (k - 1)) for k - 1 <= 13, then 5; 0 at
    the fixation and decision steps."""
    task = nta.BoundedAccumulatorTask(4)
    samples = np.zeros((1, 20, 2))
    samples[..., 1] = sign * 0.375
    y = nta.bounded_targets(task, samples)[0]
    expected = [math.trunc(0.375 * (k - 1)) if k - 1 <= 13 else 5 for k in range(1, 21)]
    assert y.shape == (22, 4)
    np.testing.assert_array_equal(y[1:21], sign * np.array(expected)[:, None] * np.ones((1, 4)))
    assert not y[0].any() and not y[21].any()
    unbounded = nta.BoundedAccumulatorTask(4, bound=math.inf, truncate=False)
    np.testing.assert_allclose(
        nta.bounded_targets(unbounded, samples)[0, 1:21, 0], sign * 0.375 * np.arange(20)
    )


def test_alphas_are_the_even_lines_slopes_and_inputs_have_no_fixation_channel():
    task = nta.BoundedAccumulatorTask(3)
    phis = (np.arange(3) + 0.5) * np.pi / 3
    np.testing.assert_allclose(task.alphas[[0, 2]], np.tan(phis[[0, 2]]))
    assert task.alphas[1] > 1e15  # tan(pi/2) in float64: finite, the task is x_1's sign
    enc = ne.make_encoder(2, (100, 100, 40), ne.rng_from(0))
    inputs = nta.bounded_inputs(enc, task, np.ones((2, 20, 2)) * 0.1)
    assert inputs.shape == (2, 22, 40)
    np.testing.assert_allclose(inputs[:, 0], ne.encode(enc, np.zeros((1, 2)))[[0, 0]])
    np.testing.assert_allclose(inputs[:, -1], inputs[:, 0])


@pytest.mark.parametrize("bounded", [True, False])
def test_mse_gradient_matches_central_differences(bounded):
    """Central differences at h = 1e-6 on a small network (8 units, 6 steps, 3 tasks):
    truncation h^2 |f'''| / 6 ~ 1e-12 and rounding eps |f| / h ~ 1e-9 against gradients of
    order 1e-1 to 1e1, so a relative 2-norm error below 1e-5 (a wrong factor or a missing
    tanh' term is off by order 1)."""
    rng = ne.rng_from(5)
    task = (
        nta.BoundedAccumulatorTask(3)
        if bounded
        else nta.BoundedAccumulatorTask(3, bound=math.inf, truncate=False)
    )
    params = ne.init_rnn_params(4, 8, 3, rng)
    inputs = rng.standard_normal((5, 6, 4))
    targets = rng.uniform(-4, 4, (5, 6, 3))
    _, grads = nta.bounded_loss_and_grads(params, inputs, targets, task)
    h = 1e-6
    for name, value in params.items():
        numeric = np.empty_like(value)
        for idx in np.ndindex(value.shape):
            old = value[idx]
            value[idx] = old + h
            up, _ = nta.bounded_loss_and_grads(params, inputs, targets, task)
            value[idx] = old - h
            down, _ = nta.bounded_loss_and_grads(params, inputs, targets, task)
            value[idx] = old
            numeric[idx] = (up - down) / (2 * h)
        err = np.linalg.norm(numeric - grads[name]) / np.linalg.norm(numeric)
        assert err < 1e-5, (name, err)


def test_training_beats_the_constant_predictor():
    """200 batches: the MSE falls below a half of the best constant predictor's (the targets'
    variance), measured on fresh trials (an untrained network sits at or above it)."""
    task = nta.BoundedAccumulatorTask(6)
    result = nta.train_bounded_rnn(task, 0.2, 20, batches=200, seed=1)
    rng = ne.rng_from(2)
    x = rng.uniform(-0.5, 0.5, (500, 2))
    samples = x[:, None, :] + 0.2 * rng.standard_normal((500, 20, 2))
    assert nta.bounded_eval_mse(result, task, samples) < 0.5 * result.baseline_loss
    untrained = nta.train_bounded_rnn(task, 0.2, 20, batches=0, seed=1)
    assert nta.bounded_eval_mse(untrained, task, samples) > 0.9 * result.baseline_loss


def test_unabsorbed_pairs_count_tasks_inside_the_bound():
    task = nta.BoundedAccumulatorTask(3)
    y = np.array([[5, -5, 2], [4, 0, -5], [-5, 5, 5]], dtype=float)
    np.testing.assert_array_equal(ps.unabsorbed_pairs(task, y), [False, True, False])
    assert ps.bounded_task({"n_tasks": 6, "bounded": False}).bound == math.inf


def test_output_route_of_the_unbounded_control_is_mu_at_t_minus_1():
    """Consistency (not a verification: both sides are the same sum): the unbounded targets
    at the last stimulus step are (t - 1) C mu(t - 1), C = [-alpha_i, 1]."""
    task = nta.BoundedAccumulatorTask(6, bound=math.inf, truncate=False)
    rng = ne.rng_from(3)
    samples = rng.uniform(-0.5, 0.5, (50, 20, 2))
    C = np.stack([-task.alphas, np.ones(6)], axis=1)
    y = nta.bounded_targets(task, samples)[:, 20]
    np.testing.assert_allclose(y, 19 * samples[:, :19].mean(axis=1) @ C.T, atol=1e-12)


def test_bounded_diagram_is_registered_and_renders_its_points():
    assert erb.DIAGRAM in FAMILY.diagrams
    assert [p["bounded"] for p in erb.DIAGRAM.points()] == [True, True, False]
    result = {
        "ood_r2_adam_percentiles": [0.8, 0.9, 0.95],
        "ood_r2_least_squares": [0.9] * 4,
        "ood_r2_least_squares_decision_step": [0.85] * 4,
        "output_route_ood_r2_least_squares": [0.92] * 4,
        "ideal_ood_r2_least_squares": [0.975] * 4,
        "r2_eq7": 0.976,
        "r2_eq7_lagged": 0.9747,
        "unabsorbed_pairs_fraction": 0.95,
        "eval_mse": 0.9,
        "baseline_mse": 9.8,
    }
    records = [SimpleNamespace(params=p, result=result) for p in erb.DIAGRAM.points()]
    fig = Figure()
    erb.bounded_render(records, fig)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert len(labels) == 3 and "unbounded" in labels[2] and "95%" in labels[0]
