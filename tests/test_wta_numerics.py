"""WTA numerical routes: hand-written gradients, derivations (the MILP: test_wta_milp.py)."""

from __future__ import annotations

import numpy as np
import pytest
from mtl_theory.numerics import wta as nw
from mtl_theory.theory import wta as tw
from wta_support import central_differences, make

# ------------------------------------------------------------------ gradients


def _finite_difference_check(kind, seed=0):
    rng = np.random.Generator(np.random.PCG64(seed))
    modules = (2, 3)
    x = rng.standard_normal((7, 5))
    y = rng.standard_normal((7, 3))
    params = nw.init_network(5, 6, sum(modules), 3, rng)
    params["b1"] += 0.1  # keep ReLUs off their kinks at the sampled points
    loss, grads = nw.loss_and_grad(params, x, y, modules, kind, tau=0.7)
    h = 1e-6
    for name, value in params.items():
        num = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            old = value[idx]
            value[idx] = old + h
            up = nw.loss_and_grad(params, x, y, modules, kind, 0.7)[0]
            value[idx] = old - h
            down = nw.loss_and_grad(params, x, y, modules, kind, 0.7)[0]
            value[idx] = old
            num[idx] = (up - down) / (2 * h)
        # central differences: O(h^2) truncation (~1e-12) plus round-off eps*loss/h (~1e-10)
        np.testing.assert_allclose(grads[name], num, rtol=1e-5, atol=1e-8, err_msg=name)
    return loss


@pytest.mark.parametrize("kind", ["softmax", "relu", "linear"])
def test_hand_written_gradients_match_finite_differences(kind):
    _finite_difference_check(kind)


def test_straight_through_head_gradients_are_exact():
    """The hard code is fixed under small head perturbations: head gradients are exact."""
    rng = np.random.Generator(np.random.PCG64(1))
    modules = (3,)
    x, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 2))
    params = nw.init_network(4, 5, 3, 2, rng)
    _, grads = nw.loss_and_grad(params, x, y, modules, "straight-through", 0.5)
    h = 1e-6
    for name in ("Wo", "bo"):
        value = params[name]
        for idx in np.ndindex(value.shape):
            old = value[idx]
            value[idx] = old + h
            up = nw.loss_and_grad(params, x, y, modules, "straight-through", 0.5)[0]
            value[idx] = old - h
            down = nw.loss_and_grad(params, x, y, modules, "straight-through", 0.5)[0]
            value[idx] = old
            assert grads[name][idx] == pytest.approx((up - down) / (2 * h), abs=1e-8)


@pytest.mark.parametrize("backward_tau", [None, 1.0])
def test_straight_through_encoder_gradient_is_the_stated_surrogate(backward_tau):
    """Encoder gradients of straight-through = exact gradient of <ds, softmax(u / tau_b)>.

    ds (the gradient of the loss with respect to the hard code) is frozen at the base point;
    the surrogate is smooth, so central differences check the hand-written backward pass.
    """
    rng = np.random.Generator(np.random.PCG64(2))
    modules = (2, 3)
    x, y = rng.standard_normal((7, 5)), rng.standard_normal((7, 2))
    params = nw.init_network(5, 6, sum(modules), 2, rng)
    params["b1"] += 0.1  # keep ReLUs off their kinks at the sampled points
    tau = 0.3
    _, grads = nw.loss_and_grad(params, x, y, modules, "straight-through", tau, backward_tau)
    hard = nw.forward(params, x, modules, "hard", tau)
    ds = (2.0 * (hard["yhat"] - y) / y.size) @ params["Wo"].T
    t_back = tau if backward_tau is None else backward_tau

    def surrogate() -> float:
        u = nw.forward(params, x, modules, "hard", tau)["u"]
        return float(np.sum(ds * nw._bottleneck(u, modules, "softmax", t_back)))

    names = ("W1", "b1", "W2", "b2")
    for name, num in central_differences(surrogate, params, names).items():
        # central differences: O(h^2) truncation plus round-off eps*|surrogate|/h (~1e-10)
        np.testing.assert_allclose(grads[name], num, rtol=1e-5, atol=1e-8, err_msg=name)


def test_restarts_are_counted_and_stop_at_zero_training_code_loss():
    setup = make((2, 2), (2, 2))
    config = nw.TrainConfig(epochs=150, restarts=3)
    res = nw.train(setup, "straight-through", 0, config)
    assert res.runs in range(1, 4) and len(res.run_code_losses) == res.runs
    tol = nw.ZERO_LOSS_RTOL * (1.0 + float(np.mean(setup.target_array**2)))
    zero = [c <= tol for c in res.run_code_losses]
    # every run before the last failed; the kept run has the lowest code loss of all runs
    assert not any(zero[:-1])
    assert res.code_loss == min(res.run_code_losses)
    assert res.runs == 3 or zero[-1]
    # run 0 is the single-run procedure: same numbers as restarts=1
    single = nw.train(setup, "straight-through", 0, nw.TrainConfig(epochs=150, restarts=1))
    assert single.run_train_losses[0] == res.run_train_losses[0]
    relu = nw.train(setup, "relu", 0, config)
    assert relu.runs == 3 and relu.code_loss is None
    assert relu.train_loss == min(relu.run_train_losses)


def test_gradient_experiment_deterministic_and_consistent_with_theorem():
    setup = make((2, 2), (2, 2))
    a = nw.gradient_experiment(setup, seed=3, quick=True)
    b = nw.gradient_experiment(setup, seed=3, quick=True)
    assert a["wta"]["hard_code"] == b["wta"]["hard_code"]
    assert a["relu"]["train_loss"] == b["relu"]["train_loss"]
    reached = 0
    for seed in range(3):
        r = nw.gradient_experiment(setup, seed=seed, quick=True)["wta"]
        # the hard code's loss is recomputed by lstsq: a zero-loss code must be symbolic and
        # complete (all hypotheses hold here)
        if r["hard_code_zero_loss"]:
            reached += 1
            assert r["symbolic"] and r["complete"]
    assert reached >= 1  # otherwise the check above is vacuous (seeds 0-2 all reach zero loss)


def test_trained_3x3_code_reaches_zero_loss_and_is_symbolic():
    """Regression for issue 3: seed 0 on (3,3)/(3,3) one-hot reaches a zero-loss hard code.

    Before the fixed backward temperature and restarts only 3 of seeds 0-7 did (not seed 0).
    The lstsq loss of the code is recomputed here independently of the experiment.
    """
    setup = make((3, 3), (3, 3))
    r = nw.gradient_experiment(setup, seed=0, quick=True)["wta"]
    assert r["runs"] <= nw.TrainConfig().restarts
    assert nw.naive_code_loss(setup, tuple(map(tuple, r["hard_code"]))) < 1e-12
    assert r["hard_code_zero_loss"] and r["symbolic"] and r["complete"]


def test_images_injective_in_factors():
    grid = tw.grid_points((4, 4, 4))
    imgs = nw.render_images(grid, 0.0, np.random.Generator(np.random.PCG64(0)))
    assert len({img.tobytes() for img in imgs}) == len(grid)


# ------------------------------------------------------------------ derivations


def test_dimension_formulas_are_sympy_in_n_and_m():
    f = tw.dimension_formulas(2, 3)
    assert str(f["dim_A"].free_symbols | f["dim_S_bound"].free_symbols) and (
        {s.name for s in f["capacity_slack"].free_symbols} == {"n_1", "n_2", "m_1", "m_2", "m_3"}
    )
