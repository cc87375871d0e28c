"""The wta-emergence diagram: k-WTA gradients, hard-code read-out, verdicts, and its points."""

from __future__ import annotations

import numpy as np
import pytest
from mtl_theory.numerics import wta as nw
from mtl_theory.numerics import wta_emergence as nem
from mtl_theory.numerics.metrics import onehot_code, symbolic_verdict
from mtl_theory.numerics.sweep import PointRecord
from mtl_theory.numerics.wta_bnb import one_unit_per_value_flags
from mtl_theory.proofs import wta_emergence as pem
from mtl_theory.theory import wta as tw
from wta_support import central_differences, code_design, make

MODULES = (3, 4)


def _net(seed: int, ks=(2, 2)):
    rng = np.random.Generator(np.random.PCG64(seed))
    x, y = rng.standard_normal((7, 5)), rng.standard_normal((7, 3))
    params = nw.init_network(5, 6, sum(MODULES), 3, rng)
    params["b1"] += 0.1  # keep ReLUs off their kinks at the sampled points
    return params, x, y, ks


# ------------------------------------------------------------------ soft / hard k-WTA


@pytest.mark.parametrize("ks", [(2, 2), (1, 3), (2, 1)])
def test_soft_kwta_sums_to_k_and_tends_to_top_k(ks):
    u = np.random.Generator(np.random.PCG64(0)).standard_normal((50, sum(MODULES)))
    for tau in (3.0, 1.0, 0.1):
        s = nem.soft_kwta(u, MODULES, ks, tau)
        sums = [s[:, :3].sum(axis=1), s[:, 3:].sum(axis=1)]
        # Newton stops at |sum - k| <= THRESHOLD_RTOL k
        np.testing.assert_allclose(sums[0], ks[0], atol=1e-12)
        np.testing.assert_allclose(sums[1], ks[1], atol=1e-12)
        # strictly inside (0, 1) unless saturated to float64 precision at small tau
        assert np.all((s >= 0) & (s <= 1)) and (tau < 1 or np.all((s > 0) & (s < 1)))
    # gaps between Gaussian pre-activations are >= ~1e-3 here, so tau = 1e-6 is saturated
    hard = nem.hard_kwta(u, MODULES, ks)
    np.testing.assert_allclose(nem.soft_kwta(u, MODULES, ks, 1e-6), hard, atol=1e-12)
    assert hard[:, :3].sum(axis=1).tolist() == [ks[0]] * 50


def test_hard_kwta_ties_go_to_the_lower_unit_and_k1_is_argmax():
    u = np.array([[1.0, 1.0, 0.0, 2.0, 2.0, 2.0, 0.0]])
    assert nem.hard_kwta(u, MODULES, (1, 2)).tolist() == [[1, 0, 0, 1, 1, 0, 0]]
    rng = np.random.Generator(np.random.PCG64(3))
    v = rng.standard_normal((40, sum(MODULES)))
    np.testing.assert_array_equal(
        nem.hard_kwta(v, MODULES, (1, 1)), nw._bottleneck(v, MODULES, "hard", 1.0)
    )


@pytest.mark.parametrize("ks", [(2, 2), (1, 3)])
def test_soft_kwta_gradients_match_finite_differences(ks):
    params, x, y, ks = _net(0, ks)
    tau = 0.7
    _, grads = nem.kwta_loss_and_grad(params, x, y, MODULES, ks, "soft", tau)
    num = central_differences(
        lambda: nem.kwta_loss_and_grad(params, x, y, MODULES, ks, "soft", tau)[0],
        params,
        params.keys(),
    )
    for name, value in num.items():
        # central differences: O(h^2) truncation (~1e-12) plus round-off eps*loss/h (~1e-10)
        np.testing.assert_allclose(grads[name], value, rtol=1e-5, atol=1e-8, err_msg=name)


def test_straight_through_kwta_gradients_are_the_stated_surrogate():
    """Heads: exact (the hard code is locally constant). Encoder: the exact gradient of
    <ds, soft_kwta(u, tau)> with ds (loss gradient w.r.t. the hard code) frozen."""
    params, x, y, ks = _net(1)
    tau = 0.5
    _, grads = nem.kwta_loss_and_grad(params, x, y, MODULES, ks, "straight-through", tau)
    heads = central_differences(
        lambda: nem.kwta_loss_and_grad(params, x, y, MODULES, ks, "straight-through", tau)[0],
        params,
        ("Wo", "bo"),
    )
    u0 = nw.forward(params, x, MODULES, "relu", 1.0)["u"]
    hard = nem.hard_kwta(u0, MODULES, ks)
    ds = (2.0 * (hard @ params["Wo"] + params["bo"] - y) / y.size) @ params["Wo"].T

    def surrogate() -> float:
        u = nw.forward(params, x, MODULES, "relu", 1.0)["u"]
        return float(np.sum(ds * nem.soft_kwta(u, MODULES, ks, tau)))

    encoder = central_differences(surrogate, params, ("W1", "b1", "W2", "b2"))
    for name, value in {**heads, **encoder}.items():
        np.testing.assert_allclose(grads[name], value, rtol=1e-5, atol=1e-8, err_msg=name)


def test_bad_bottlenecks_are_refused():
    with pytest.raises(ValueError, match="kind"):
        nem.Bottleneck("relu")
    with pytest.raises(ValueError, match="temperature"):
        nem.Bottleneck("softmax")
    with pytest.raises(ValueError, match="k"):
        nem.Bottleneck("kwta", k=0)
    with pytest.raises(ValueError, match="mode"):
        params, x, y, ks = _net(0)
        nem.kwta_loss_and_grad(params, x, y, MODULES, ks, "hard", 1.0)
    assert nem.Bottleneck("kwta", k=2).winners((2, 3, 4)) == (1, 2, 2)


# ------------------------------------------------------------------ read-out and verdicts


def test_topk_majority_with_k1_is_the_majority_code_and_losses_agree():
    setup = tw.WTASetup((3, 3), (3, 3), tw.make_targets((3, 3), "xor"), holdout=(4,))
    rng = np.random.Generator(np.random.PCG64(5))
    index = np.repeat(np.arange(9), 5)
    u = rng.standard_normal((45, 6))
    winners = nw.majority_code(u, index, 9, setup.modules)
    code = nem.majority_topk_code(u, index, 9, setup.modules, (1, 1))
    np.testing.assert_array_equal(code, onehot_code(winners, setup.modules))
    tup = tuple(tuple(int(v) for v in w) for w in winners)
    # two least-squares routes on different design matrices (one-hot columns built apart)
    assert nem.code_loss(setup, code) == pytest.approx(nw.naive_code_loss(setup, tup), abs=1e-12)
    x = code_design(setup, tup)
    coef, *_ = np.linalg.lstsq(x, setup.target_array[:, setup.support].T, rcond=None)
    resid = x @ coef - setup.target_array[:, setup.support].T
    assert nem.code_loss(setup, code) == pytest.approx(float(np.mean(resid**2)), abs=1e-12)


def test_strict_verdict_agrees_with_the_certified_searches_on_one_hot_codes():
    setup = tw.WTASetup((3, 3), (3, 3), tw.make_targets((3, 3), "factor-onehot"))
    grid = setup.grid
    rng = np.random.Generator(np.random.PCG64(7))
    codes = [(grid[:, 0], grid[:, 1]), (grid[:, 1], np.minimum(grid[:, 0], 1))]
    codes += [tuple(rng.integers(0, 3, 9) for _ in range(2)) for _ in range(30)]
    seen = set()
    for winners in codes:
        s, v = zip(
            *(one_unit_per_value_flags(w[None, :], 3, grid, setup.factors) for w in winners),
            strict=True,
        )
        strict = all(bool(x[0]) for x in s)
        complete = strict and (int(v[0][0]) | int(v[1][0])) == (1 << 6) - 1
        got = nem.strict_verdict(onehot_code(winners, setup.modules), setup)
        assert (got.strict, got.complete) == (strict, complete)
        seen.add((strict, complete))
    assert {(True, True), (False, False)} <= seen  # both outcomes exercised


def test_support_verdict_is_the_full_grid_verdict_on_full_support():
    setup = tw.WTASetup((3, 3), (3, 3), tw.make_targets((3, 3), "factor-onehot"))
    rng = np.random.Generator(np.random.PCG64(11))
    codes = [onehot_code([setup.grid[:, 0], setup.grid[:, 1]], setup.modules)]
    codes.append(onehot_code([setup.grid[:, 0], np.minimum(setup.grid[:, 1], 1)], (3, 3)))
    codes += [onehot_code(rng.integers(0, 3, (2, 9)), (3, 3)) for _ in range(40)]
    codes += [(rng.random((9, 6)) < 0.5).astype(float) for _ in range(40)]
    seen = set()
    for code in codes:
        v = symbolic_verdict(code, setup.grid)
        expected = (v.symbolic, v.symbolic and v.complete)
        assert nem.support_verdict(code, setup) == expected
        seen.add(expected)
    assert seen == {(True, True), (True, False), (False, False)}


def test_support_verdict_judges_only_the_training_points():
    """The factor code with the held-out point (1, 1) moved to another unit."""
    setup = tw.WTASetup((3, 3), (3, 3), tw.make_targets((3, 3), "factor-onehot"), holdout=(4,))
    winners = [setup.grid[:, 0].copy(), setup.grid[:, 1].copy()]
    winners[0][4] = 2
    code = onehot_code(winners, setup.modules)
    assert not symbolic_verdict(code, setup.grid).symbolic
    assert nem.support_verdict(code, setup) == (True, True)


def test_two_of_three_factor_code_is_symbolic_but_not_strict():
    """The complement of the factor code: every unit is {z_k != a} (a population code)."""
    setup = tw.WTASetup((3, 3), (3, 3), tw.make_targets((3, 3), "factor-onehot"))
    code = 1 - onehot_code([setup.grid[:, 0], setup.grid[:, 1]], setup.modules)
    verdict = symbolic_verdict(code, setup.grid)
    assert verdict.symbolic and verdict.complete
    assert nem.strict_verdict(code, setup) == nem.StrictVerdict(False, False)
    assert nem.code_loss(setup, code) < 1e-25


# ------------------------------------------------------------------ the diagram


def test_points_cover_rows_by_columns_and_the_region_is_where_h1_h3_hold():
    points = pem.emergence_points()
    assert len(points) == len(pem.BOTTLENECKS) * len(pem.DEPARTURES)
    applies = {
        d: all(h.holds for h in tw.check_hypotheses(pem.point_setup(d))) for d in pem.DEPARTURES
    }
    assert applies == {d: d == "none (H1-H3 hold)" for d in pem.DEPARTURES}
    for d in ("+ xor task", "+ product task"):
        assert tw.feasibility_predictions(pem.point_setup(d))["zero_loss_impossible"]


def test_first_point_computes_and_renders():
    first = pem.emergence_points()[0]
    res = pem.emergence_point(first["bottleneck"], first["departure"], 0, n_seeds=2, epochs=60)
    assert res["sym_trials"] == res["strict_trials"] == res["zero_trials"] == 2
    assert res["seeds"] == [0, 1] and len(res["train_loss"]) == 2
    for key in ("sym", "strict", "zero"):
        assert res[f"{key}_ci_low"] <= res[f"{key}_fraction"] <= res[f"{key}_ci_high"]
    assert res["sym_given_zero_trials"] == res["zero_count"]
    from mtl_theory.families.wta_emergence import emergence_render
    from mtl_theory.plotting import new_figure

    fig = new_figure()
    emergence_render([PointRecord("k", first, 0, res)], fig)
    assert len(fig.axes) == 6  # three panels and their colour bars


def test_wilson_interval_matches_the_closed_form():
    k, n, z = 7, 20, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert pem.wilson(k, n) == pytest.approx((centre - half, centre + half), abs=1e-12)
    assert pem.wilson(0, 0) == (None, None)


def test_theorem_region_zero_loss_codes_are_symbolic_and_complete():
    """Inside H1-H3 every seed that reaches zero hard-code loss is symbolic and complete.

    This is WTA-1 (and, for 2-WTA, its derived extension) applied to trained codes; seeds
    that do not reach zero loss are not counted. Seed 0 reaches zero loss with hard WTA and
    softmax T = 0.3 at this budget (measured), so the check is not vacuous.
    """
    zero = 0
    for row in pem.BOTTLENECKS:
        res = pem.emergence_point(row, "none (H1-H3 hold)", 0, n_seeds=2)
        assert res["theorem_applies"] and not res["guarantee_violated"]
        assert res["sym_given_zero_count"] == res["zero_count"]
        zero += res["zero_count"]
    assert zero >= 1


def test_the_diagram_is_registered_under_the_wta_family():
    from mtl_theory.registry import load_registry

    diagram = load_registry().diagrams()["wta-emergence"]
    assert diagram.theory == "wta" and diagram.compute is pem.emergence_compute
    assert f"{pem.EMERGENCE_SEEDS} seeds per point" in diagram.description


# ------------------------------------------------------------------ k-hot enumeration


@pytest.mark.parametrize(("n_points", "units"), [(4, 3), (5, 2), (6, 3), (4, 4)])
def test_one_hot_module_codes_are_the_set_partitions(n_points, units):
    """k = 1: codes up to relabelling are the set partitions into <= m blocks (exhaustive
    search's restricted-growth enumeration), counted by two independent routes."""
    codes = nem.khot_module_codes(n_points, units, 1)
    assert len(codes) == len(nw.set_partitions(n_points, units))
    assert np.all(codes.sum(axis=2) == 1)


@pytest.mark.parametrize(
    ("factors", "modules", "tasks"),
    [
        ((2, 2), (2, 2), "factor-onehot"),
        ((2, 2), (2, 2), "sum"),
        ((2, 2), (3, 2), "factor-onehot"),
        ((2, 3), (2, 3), "factor-onehot"),
    ],
)
def test_khot_enumeration_with_k1_equals_exhaustive_search(factors, modules, tasks):
    """k = 1 everywhere: the k-hot enumeration reproduces exhaustive search's counts (codes,
    zero-loss, symbolic and complete, dead units) - the sum task's 8 / 2 included."""
    setup = make(factors, modules, tasks)
    k = nem.khot_exhaustive(setup, (1,) * len(modules))
    e = nw.exhaustive_search(setup)
    assert k.n_codes == e.n_codes
    assert k.zero_loss_codes == e.zero_loss_codes
    assert k.symbolic_complete_zero_loss_codes == e.complete_symbolic_zero_loss_codes
    assert k.dead_unit_zero_loss_codes == e.dead_unit_zero_loss_codes


def test_kwta_extension_on_every_two_hot_code_of_small_grids():
    """The k-WTA extension of WTA-1 (derived, proofs/wta_emergence.py) on every 2-hot code:
    factors (2,3), modules (2,3), k = (1,2): the one zero-loss code is symbolic and complete
    and not strict (the 3-unit module is the complement of a one-hot code); factor (4),
    module (4), k = 2: 12 of 60 codes reach zero loss, none strict (each unit is a 2-set)."""
    r = nem.khot_exhaustive(make((2, 3), (2, 3)), (1, 2))
    assert (r.n_codes, r.zero_loss_codes, r.symbolic_complete_zero_loss_codes) == (3904, 1, 1)
    assert r.strict_zero_loss_codes == 0 and r.dead_unit_zero_loss_codes == 0
    r = nem.khot_exhaustive(make((4,), (4,)), (2,))
    assert (r.n_codes, r.zero_loss_codes, r.symbolic_complete_zero_loss_codes) == (60, 12, 12)
    assert r.strict_zero_loss_codes == 0
