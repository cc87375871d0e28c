"""Tests of numerics/metrics.py on hand-built codes with exact known answers.

Each known value below is derived by hand in the test's docstring or comment (identity code ->
perfect; duplicated, rotated, dead-unit and XOR codes -> the stated lower values). Tolerances:
``EXACT`` (1e-12) absorbs the rounding of logarithms and SVD-based least squares on tiny,
well-conditioned problems (a few ulps times a condition number of order 1); the Monte-Carlo
test states its own standard error.
"""

from __future__ import annotations

import doctest
import itertools
import math

import mtl_theory.numerics.metrics as metrics_module
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mtl_theory.numerics.metrics import (
    ccgp,
    ccgp_per_factor,
    dci,
    decoded_axis_angles,
    discretize_codes,
    factor_dependence,
    importance_matrix,
    mutual_information,
    mutual_information_gap,
    onehot_code,
    ood_linear_r2,
    ood_linear_r2_all_orthants,
    orthant_index,
    parallelism_per_factor,
    parallelism_score,
    symbolic_verdict,
)

EXACT = 1e-12


def grid(*sizes: int) -> np.ndarray:
    """All factor combinations of a full grid, shape (prod sizes, K)."""
    return np.array(list(itertools.product(*[range(n) for n in sizes])), dtype=np.int64)


def signed(z: np.ndarray) -> np.ndarray:
    """Binary factors as ±1 (mean 0, variance 1 on the full grid)."""
    return np.where(z == 1, 1.0, -1.0)


def rotation(theta: float) -> np.ndarray:
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[c, -s], [s, c]])


# Exactly symmetric 45° rotation: in float64 cos(π/4) and sin(π/4) differ by one ulp, which
# would split values that must coincide (a discrete code's symbols are compared exactly).
ROTATION_45 = np.array([[1.0, -1.0], [1.0, 1.0]]) / math.sqrt(2.0)


def random_orthogonal(seed: int, n: int) -> np.ndarray:
    rng = np.random.Generator(np.random.PCG64(seed))
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


Z22 = grid(2, 2)
XOR = (Z22[:, 0] ^ Z22[:, 1]).astype(np.float64)[:, None]


# --------------------------------------------------------------------------------------------
# onehot_code
# --------------------------------------------------------------------------------------------


def test_onehot_code_has_one_active_unit_per_module():
    z = grid(3, 2)
    code = onehot_code([z[:, 0], z[:, 1]], [3, 2])
    assert code.shape == (6, 5)
    assert code.dtype == np.float64
    np.testing.assert_array_equal(code.sum(axis=1), 2.0)
    np.testing.assert_array_equal(code[:, :3].argmax(axis=1), z[:, 0])


@pytest.mark.parametrize(
    ("winners", "sizes", "message"),
    [
        ([np.array([0, 2])], [2], "0..1"),
        ([np.array([0, 1]), np.array([0])], [2, 2], "expected 2 entries"),
        ([np.array([0, 1])], [2, 2], "one array per module"),
        ([np.array([0.0, 1.0])], [2], "integer"),
    ],
)
def test_onehot_code_rejects_bad_winners(winners, sizes, message):
    with pytest.raises(ValueError, match=message):
        onehot_code(winners, sizes)


# --------------------------------------------------------------------------------------------
# factor dependence and the symbolic/complete verdict (THEORY.md 1.2)
# --------------------------------------------------------------------------------------------


def test_identity_onehot_code_is_symbolic_and_complete():
    z = grid(3, 2)
    verdict = symbolic_verdict(onehot_code([z[:, 0], z[:, 1]], [3, 2]), z)
    assert verdict.symbolic and verdict.complete
    assert verdict.unit_factor == (0, 0, 0, 1, 1)
    assert verdict.dead_units == ()
    assert verdict.dependence.tolist() == [[True, False]] * 3 + [[False, True]] * 2


def test_xor_unit_depends_on_both_factors_and_is_not_symbolic():
    dependence = factor_dependence(np.c_[Z22[:, 0], XOR], Z22)
    assert dependence.tolist() == [[True, False], [True, True]]
    verdict = symbolic_verdict(np.c_[Z22, XOR], Z22)
    assert not verdict.symbolic
    assert verdict.unit_factor == (0, 1, -2)
    assert verdict.complete  # the two identity units still separate both factors


def test_dead_and_constant_units_do_not_break_a_symbolic_code():
    # module 1 has 3 units but unit 2 never wins (dead); module 3 always picks unit 0, so its
    # unit 0 is constant-active (R = Z, trivial receptive set) and its unit 1 is dead.
    z = grid(2, 2)
    code = onehot_code([z[:, 0], z[:, 1], np.zeros(4, dtype=int)], [3, 2, 2])
    verdict = symbolic_verdict(code, z)
    assert verdict.symbolic and verdict.complete
    assert verdict.dead_units == (2, 6)
    assert verdict.unit_factor == (0, 0, -1, 1, 1, -1, -1)


def test_thermometer_code_of_theory_1_4_is_neither_symbolic_nor_complete():
    """THEORY.md 1.4: π_1 = 1[z1+z2 ≥ 1], π_2 = 1[z1+z2 ≥ 2] fits y = z1 + z2 and is not symbolic.

    Every unit depends on both factors, so no unit is attached to a single factor and neither
    factor is separated by its own units.
    """
    total = Z22.sum(axis=1)
    code = onehot_code([(total >= 1).astype(int), (total >= 2).astype(int)], [2, 2])
    verdict = symbolic_verdict(code, Z22)
    assert not verdict.symbolic and not verdict.complete
    assert verdict.unit_factor == (-2, -2, -2, -2)
    assert verdict.factor_complete == (False, False)


def test_coarsening_is_symbolic_but_incomplete_until_another_module_separates():
    # Factor 0 has 3 values; module A merges values 0 and 1, module B merges 1 and 2.
    z = grid(3, 2)
    merge_01 = (z[:, 0] == 2).astype(int)
    merge_12 = (z[:, 0] >= 1).astype(int)
    alone = symbolic_verdict(onehot_code([merge_01, z[:, 1]], [2, 2]), z)
    assert alone.symbolic and not alone.complete
    assert alone.factor_complete == (False, True)
    together = symbolic_verdict(onehot_code([merge_01, merge_12, z[:, 1]], [2, 2, 2]), z)
    assert together.symbolic and together.complete


def test_rotated_real_code_is_not_symbolic():
    """A 45° rotation of the (real) identity code mixes both factors into every unit."""
    verdict = symbolic_verdict(signed(Z22) @ ROTATION_45.T, Z22)
    assert not verdict.symbolic
    assert verdict.unit_factor == (-2, -2)


def test_atol_ignores_activity_differences_below_it():
    z = grid(2, 2)
    code = np.c_[z[:, 0], 1e-12 * z[:, 1]].astype(np.float64)
    assert factor_dependence(code, z).tolist() == [[True, False], [False, True]]
    assert factor_dependence(code, z, atol=1e-9).tolist() == [[True, False], [False, False]]


def test_single_factor_grid_works():
    z = grid(4)
    verdict = symbolic_verdict(onehot_code([z[:, 0] // 2, z[:, 0] % 2], [2, 2]), z)
    assert verdict.symbolic and verdict.complete


@pytest.mark.parametrize(
    ("factors", "message"),
    [
        (np.array([[0, 0], [0, 1], [1, 0]]), r"missing"),
        (np.array([[0, 0], [0, 1], [1, 0], [1, 1], [1, 1]]), r"\(1, 1\) 2 times"),
        (np.array([[0.5, 0], [0, 1], [1, 0], [1, 1]]), r"integer"),
        (np.array([0, 1, 2, 3]), r"2-D"),
    ],
)
def test_factor_dependence_rejects_incomplete_or_duplicated_grids(factors, message):
    codes = np.zeros((len(factors), 1))
    with pytest.raises(ValueError, match=message):
        factor_dependence(codes, factors)


def test_factor_dependence_rejects_row_count_mismatch_and_nan():
    with pytest.raises(ValueError, match="4 rows"):
        factor_dependence(np.zeros((4, 1)), Z22[:3])
    with pytest.raises(ValueError, match="finite"):
        factor_dependence(np.full((4, 1), np.nan), Z22)


@given(
    sizes=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    data=st.data(),
)
def test_verdict_is_equivariant_under_row_and_unit_permutations(sizes, data):
    z = grid(*sizes)
    n_points = len(z)
    modules = data.draw(st.integers(1, 3))
    winners = [
        np.array(data.draw(st.lists(st.integers(0, 2), min_size=n_points, max_size=n_points)))
        for _ in range(modules)
    ]
    code = onehot_code(winners, [3] * modules)
    rows = np.array(data.draw(st.permutations(range(n_points))))
    units = np.array(data.draw(st.permutations(range(code.shape[1]))))
    before = symbolic_verdict(code, z)
    after = symbolic_verdict(code[rows][:, units], z[rows])
    assert (after.symbolic, after.complete) == (before.symbolic, before.complete)
    np.testing.assert_array_equal(after.dependence, before.dependence[units])
    assert after.unit_factor == tuple(before.unit_factor[u] for u in units)
    # A dead unit is never active: consistent with its dependence row being all False.
    assert all(not before.dependence[u].any() for u in before.dead_units)


@given(sizes=st.lists(st.integers(2, 3), min_size=1, max_size=3), data=st.data())
def test_modules_that_coarsen_single_factors_are_symbolic_and_completeness_is_injectivity(
    sizes, data
):
    """Build each module as a map of one factor's values to units (a coarsening, THEORY.md
    1.2): the code must be symbolic; it is complete iff, for every factor, the tuple of its
    modules' maps is injective on that factor's values (computed here independently)."""
    z = grid(*sizes)
    attached = data.draw(st.lists(st.integers(0, len(sizes) - 1), min_size=1, max_size=4))
    maps = [
        np.array(data.draw(st.lists(st.integers(0, 2), min_size=sizes[k], max_size=sizes[k])))
        for k in attached
    ]
    code = onehot_code([m[z[:, k]] for m, k in zip(maps, attached, strict=True)], [3] * len(maps))
    verdict = symbolic_verdict(code, z)
    assert verdict.symbolic
    for k, n_values in enumerate(sizes):
        labels = {
            tuple(m[v] for m, f in zip(maps, attached, strict=True) if f == k)
            for v in range(n_values)
        }
        assert verdict.factor_complete[k] == (len(labels) == n_values)


@given(sizes=st.lists(st.integers(1, 3), min_size=1, max_size=3), data=st.data())
def test_symbolic_modules_attach_all_their_units_to_one_factor(sizes, data):
    """THEORY.md 1.2 consequence: in a symbolic code all non-constant units of one module depend
    on the same factor (disjoint cylinder sets on different factors cannot coexist)."""
    z = grid(*sizes)
    n_points = len(z)
    modules = data.draw(st.integers(1, 3))
    winners = [
        np.array(data.draw(st.lists(st.integers(0, 2), min_size=n_points, max_size=n_points)))
        for _ in range(modules)
    ]
    verdict = symbolic_verdict(onehot_code(winners, [3] * modules), z)
    if verdict.symbolic:
        for g in range(modules):
            factors_of_module = {f for f in verdict.unit_factor[3 * g : 3 * g + 3] if f >= 0}
            assert len(factors_of_module) <= 1


# --------------------------------------------------------------------------------------------
# mutual information gap
# --------------------------------------------------------------------------------------------


def test_mig_identity_code_is_one():
    z = grid(3, 4)
    assert mutual_information_gap(z, z) == pytest.approx(1.0, abs=EXACT)


def test_mig_duplicated_factor_has_zero_gap():
    """Codes (z1, z1, z2): factor 1's top two units tie (gap 0), factor 2's gap is 1 -> 1/2."""
    z = grid(2, 3)
    codes = np.c_[z[:, 0], z[:, 0], z[:, 1]]
    assert mutual_information_gap(codes, z) == pytest.approx(0.5, abs=EXACT)


def test_mig_rotated_binary_code_is_zero():
    """45° rotation of ±1 factors: c1 ∝ s1 + s2, c2 ∝ s1 − s2, each with 3 values.

    I(c1; z1) = H(c1) − H(c1|z1) = 1.5 − 1 = 0.5 bit = I(c2; z1), so the gap is 0 for both
    factors (MIG is axis-aligned).
    """
    codes = signed(Z22) @ ROTATION_45.T
    information = np.array([[mutual_information(c, f) for f in Z22.T] for c in codes.T])
    np.testing.assert_allclose(information, 0.5 * math.log(2), atol=EXACT)
    assert mutual_information_gap(codes, Z22) == pytest.approx(0.0, abs=EXACT)


def test_mig_dead_unit_changes_nothing_and_xor_unit_carries_no_information():
    z = Z22
    assert mutual_information_gap(np.c_[z, np.zeros(4)], z) == pytest.approx(1.0, abs=EXACT)
    # XOR is independent of each factor alone: I = 0, so (z1, xor) has gaps 1 and 0.
    assert mutual_information_gap(np.c_[z[:, 0], XOR], z) == pytest.approx(0.5, abs=EXACT)
    assert mutual_information_gap(XOR, z) == pytest.approx(0.0, abs=EXACT)


def test_mig_bins_continuous_units_with_equal_width_bins():
    """Jitter within [0, 0.4) keeps the two levels of each factor in different halves of the
    range [min, max] ⊂ [0, 1.4), so 2 equal-width bins recover the factors exactly: MIG 1."""
    rng = np.random.Generator(np.random.PCG64(3))
    z = np.repeat(grid(2, 2), 25, axis=0)
    codes = z + rng.uniform(0.0, 0.4, size=z.shape)
    symbols = discretize_codes(codes, n_bins=2)
    np.testing.assert_array_equal(symbols, z)
    assert mutual_information_gap(codes, z, n_bins=2) == pytest.approx(1.0, abs=EXACT)


def test_discrete_units_are_not_rebinned():
    codes = np.array([[0.0], [0.1], [5.0], [100.0]])
    np.testing.assert_array_equal(discretize_codes(codes, n_bins=4).ravel(), [0, 1, 2, 3])
    np.testing.assert_array_equal(discretize_codes(codes, n_bins=2).ravel(), [0, 0, 0, 1])


def test_mutual_information_equals_kl_of_joint_to_product_of_marginals():
    """Independent route: I = KL(p_AB ‖ p_A p_B) via scipy.special.rel_entr on the
    contingency table (the module computes H(A) + H(B) − H(A, B)); rounding only."""
    from scipy.special import rel_entr

    rng = np.random.Generator(np.random.PCG64(4))
    a = rng.integers(0, 5, 500)
    b = (a + rng.integers(0, 3, 500)) % 4
    joint = np.zeros((5, 4))
    np.add.at(joint, (a, b), 1.0)
    joint /= joint.sum()
    product = joint.sum(axis=1, keepdims=True) * joint.sum(axis=0, keepdims=True)
    assert mutual_information(a, b) == pytest.approx(rel_entr(joint, product).sum(), abs=EXACT)


def test_plug_in_mutual_information_bias_matches_the_notes():
    """Independent A (4 values), B (3 values), N = 200: E[Î] ≈ (4−1)(3−1)/(2N) = 0.015 nats.

    Under independence 2N·Î ~ χ²_6 asymptotically, so sd(Î) ≈ √12/(2N) = 0.0087 and the mean
    of 800 replicates has standard error 3.1e-4; tolerance 4 SE plus 10 % for the O(1/N²)
    corrections to the leading bias term.
    """
    rng = np.random.Generator(np.random.PCG64(11))
    n, reps = 200, 800
    estimates = [
        mutual_information(rng.integers(0, 4, n), rng.integers(0, 3, n)) for _ in range(reps)
    ]
    predicted = (4 - 1) * (3 - 1) / (2 * n)
    standard_error = math.sqrt(2 * 6) / (2 * n) / math.sqrt(reps)
    assert np.mean(estimates) == pytest.approx(predicted, abs=4 * standard_error + 0.1 * predicted)


def test_mig_rejects_constant_factor():
    with pytest.raises(ValueError, match="constant"):
        mutual_information_gap(np.c_[Z22[:, 0]], np.c_[Z22[:, 0], np.zeros(4, dtype=int)])


@given(seed=st.integers(0, 2**32 - 1), power=st.integers(-4, 4))
def test_mig_is_invariant_to_unit_permutation_and_power_of_two_scaling(seed, power):
    # Scaling by 2^p commutes with float64 rounding, so (x − min)/(max − min), the equal-width
    # bins and MIG are exactly unchanged; a general affine map could move a value across a bin
    # edge by one ulp.
    rng = np.random.Generator(np.random.PCG64(seed))
    z = np.repeat(grid(2, 3), 10, axis=0)
    codes = np.c_[z + 0.3 * rng.standard_normal(z.shape), rng.standard_normal(len(z))]
    base = mutual_information_gap(codes, z, n_bins=8)
    permuted = codes[:, rng.permutation(codes.shape[1])]
    assert mutual_information_gap(permuted, z, n_bins=8) == pytest.approx(base, abs=EXACT)
    mapped = codes.copy()
    mapped[:, 0] = codes[:, 0] * 2.0**power
    assert mutual_information_gap(mapped, z, n_bins=8) == pytest.approx(base, abs=EXACT)


# --------------------------------------------------------------------------------------------
# DCI
# --------------------------------------------------------------------------------------------


def test_dci_identity_code_is_perfect():
    z = grid(2, 3, 2)
    score = dci(importance_matrix(z, z))
    assert score.disentanglement == pytest.approx(1.0, abs=EXACT)
    assert score.completeness == pytest.approx(1.0, abs=EXACT)


def test_dci_duplicated_code_loses_completeness_by_log3_2_over_2():
    """Codes (z1, z1, z2): minimum-norm regression splits factor 1 as (½, ½, 0).

    R = [[½, 0], [½, 0], [0, 1]]: every unit has one factor (D = 1); C_1 = 1 − H_3(½, ½)
    = 1 − log_3 2, C_2 = 1; factor weights (½, ½), so C = 1 − log_3(2)/2 ≈ 0.6845.
    """
    z = grid(2, 2)
    importance = importance_matrix(np.c_[z[:, 0], z[:, 0], z[:, 1]], z)
    np.testing.assert_allclose(importance, [[0.5, 0], [0.5, 0], [0, 1]], atol=EXACT)
    score = dci(importance)
    assert score.disentanglement == pytest.approx(1.0, abs=EXACT)
    assert score.completeness == pytest.approx(1 - math.log(2) / math.log(3) / 2, abs=EXACT)
    assert score.factor_completeness[0] == pytest.approx(1 - math.log(2, 3), abs=EXACT)


@pytest.mark.parametrize("degrees", [0.0, 30.0, 45.0, 60.0])
def test_dci_of_rotated_code_is_the_binary_entropy_of_the_rotation(degrees):
    """Rotate ±1 factors by θ: standardized codes c = R s, so the regression of s on c has
    coefficients Rᵀ and importance |R| = [[|cos|, |sin|], [|sin|, |cos|]]. Every row and column
    has the same distribution p = |cos|/(|cos| + |sin|): D = C = 1 − H_2(p) (0 at 45°)."""
    theta = math.radians(degrees)
    codes = signed(Z22) @ rotation(theta).T
    c, s = abs(math.cos(theta)), abs(math.sin(theta))
    p = c / (c + s)
    entropy = -sum(q * math.log2(q) for q in (p, 1 - p) if q > 0)
    score = dci(importance_matrix(codes, Z22))
    assert score.disentanglement == pytest.approx(1 - entropy, abs=1e-10)
    assert score.completeness == pytest.approx(1 - entropy, abs=1e-10)


def test_dci_dead_unit_has_no_weight():
    # The third unit is constant up to rounding noise: it must not be standardized into a
    # spurious regressor.
    importance = importance_matrix(np.c_[Z22, 0.3 + 1e-14 * Z22[:, 0]], Z22)
    np.testing.assert_array_equal(importance[2], [0.0, 0.0])
    score = dci(importance)
    assert (score.disentanglement, score.completeness) == pytest.approx((1.0, 1.0), abs=EXACT)


def test_dci_uniform_importance_is_zero_and_xor_code_is_invisible_to_the_linear_variant():
    score = dci(np.ones((3, 2)))
    assert (score.disentanglement, score.completeness) == pytest.approx((0.0, 0.0), abs=EXACT)
    # XOR is uncorrelated with each factor: the linear importance of an XOR unit is 0.
    importance = importance_matrix(np.c_[Z22[:, 0], XOR], Z22)
    np.testing.assert_allclose(importance, [[1, 0], [0, 0]], atol=EXACT)


def test_a_pure_xor_code_has_exactly_zero_linear_importance_in_any_unit_order():
    """The XOR unit alone (and with a constant): every coefficient is rounding noise, so the
    importance is exactly 0 and DCI is undefined, as for an exact zero, whatever the order."""
    for code in (XOR, np.c_[XOR, 1.0 - XOR], np.c_[1.0 - XOR, XOR], np.c_[XOR, XOR + 3.0]):
        assert np.array_equal(importance_matrix(code, Z22), np.zeros((code.shape[1], 2)))
        with pytest.raises(ValueError, match="all entries are zero"):
            dci(importance_matrix(code, Z22))


def test_dci_single_factor_and_single_unit_edge_cases():
    assert dci(np.array([[1.0], [3.0]])).disentanglement == 1.0
    assert dci(np.array([[1.0, 3.0]])).completeness == 1.0


@pytest.mark.parametrize(
    ("importance", "message"),
    [(np.zeros((2, 2)), "all entries are zero"), (-np.eye(2), "non-negative"), (np.ones(3), "2-D")],
)
def test_dci_rejects_bad_importance(importance, message):
    with pytest.raises(ValueError, match=message):
        dci(importance)


@given(seed=st.integers(0, 2**32 - 1))
def test_importance_is_invariant_to_unit_scaling_and_equivariant_to_permutation(seed):
    rng = np.random.Generator(np.random.PCG64(seed))
    z = grid(3, 2, 2)
    codes = z @ rng.standard_normal((3, 4)) + 0.1 * rng.standard_normal((len(z), 4))
    base = importance_matrix(codes, z)
    scales = rng.choice([-1.0, 1.0], 4) * rng.uniform(0.1, 10.0, 4)
    order = rng.permutation(4)
    moved = importance_matrix((codes * scales + rng.standard_normal(4))[:, order], z)
    np.testing.assert_allclose(moved, base[order], atol=1e-9)
    a, b = dci(base), dci(7.0 * base[order])
    assert (b.disentanglement, b.completeness) == pytest.approx(
        (a.disentanglement, a.completeness), abs=EXACT
    )


# --------------------------------------------------------------------------------------------
# CCGP and parallelism
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_factors", [2, 3])
def test_identity_code_has_perfect_ccgp_and_parallelism(n_factors):
    z = grid(*[2] * n_factors)
    np.testing.assert_array_equal(ccgp_per_factor(z, z), 1.0)
    np.testing.assert_allclose(parallelism_per_factor(z, z), 1.0, atol=EXACT)
    assert ccgp(z, z, n_held_out_contexts=2 ** (n_factors - 1) - 1) == 1.0
    assert parallelism_score(z, z) == pytest.approx(1.0, abs=EXACT)


def test_rotated_code_keeps_ccgp_and_parallelism():
    codes = signed(Z22) @ ROTATION_45.T
    assert ccgp(codes, Z22) == 1.0
    assert parallelism_score(codes, Z22) == pytest.approx(1.0, abs=EXACT)


def test_xor_unit_generalizes_backwards():
    """One XOR unit: z1's coding direction is +1 in context z2 = 0 and −1 in z2 = 1.

    Parallelism is cos = −1; a classifier trained in one context is exactly wrong in the other,
    so CCGP is 0 (below chance 0.5).
    """
    np.testing.assert_allclose(parallelism_per_factor(XOR, Z22), [-1.0, -1.0], atol=EXACT)
    np.testing.assert_array_equal(ccgp_per_factor(XOR, Z22), [0.0, 0.0])


@pytest.mark.parametrize("n_factors", [2, 3])
def test_one_hot_of_condition_code_is_at_chance(n_factors):
    """One unit per condition (orthogonal condition vectors): coding vectors e_a − e_b of
    different contexts are orthogonal (parallelism 0), and held-out conditions lie on the
    decision threshold of a classifier trained elsewhere (ties, CCGP exactly 1/2)."""
    z = grid(*[2] * n_factors)
    condition = z @ (2 ** np.arange(n_factors)[::-1])
    code = onehot_code([condition], [2**n_factors])
    np.testing.assert_allclose(parallelism_per_factor(code, z), 0.0, atol=EXACT)
    np.testing.assert_array_equal(ccgp_per_factor(code, z), 0.5)


def test_ccgp_with_noisy_trials_and_ridge():
    """Identity code plus noise of sd 0.05, 20 trials per condition: the margin (0.5) is 10 sd,
    so every held-out trial is classified correctly (P(error) < 1e-20 per trial)."""
    rng = np.random.Generator(np.random.PCG64(5))
    z = np.repeat(grid(2, 2, 2), 20, axis=0)
    codes = z + 0.05 * rng.standard_normal(z.shape)
    assert ccgp(codes, z) == 1.0
    assert ccgp(codes, z, ridge=1.0) == 1.0
    assert parallelism_score(codes, z) > 0.95


@pytest.mark.parametrize(
    ("factors", "message"),
    [
        (np.c_[np.arange(4), np.arange(4) % 2], "binary"),
        (np.c_[np.arange(4) % 2], "at least 2"),
        (np.array([[0, 0], [0, 1], [1, 0], [0, 0]]), "no sample"),
    ],
)
def test_ccgp_and_parallelism_reject_bad_factors(factors, message):
    with pytest.raises(ValueError, match=message):
        ccgp(np.zeros((4, 2)), factors)
    with pytest.raises(ValueError, match=message):
        parallelism_score(np.zeros((4, 2)), factors)


def test_ccgp_rejects_bad_held_out_count():
    with pytest.raises(ValueError, match="n_held_out_contexts"):
        ccgp(Z22, Z22, n_held_out_contexts=2)


@given(seed=st.integers(0, 2**32 - 1))
def test_ccgp_and_parallelism_are_rotation_invariant(seed):
    rng = np.random.Generator(np.random.PCG64(seed))
    z = np.repeat(grid(2, 2, 2), 3, axis=0)
    codes = rng.standard_normal((8, 5))[z @ [4, 2, 1]] + 0.3 * rng.standard_normal((24, 5))
    q = random_orthogonal(seed, 5)
    order = rng.permutation(5)
    moved = (codes @ q)[:, order]
    np.testing.assert_allclose(ccgp_per_factor(moved, z), ccgp_per_factor(codes, z), atol=EXACT)
    np.testing.assert_allclose(
        parallelism_per_factor(moved, z), parallelism_per_factor(codes, z), atol=1e-10
    )


# --------------------------------------------------------------------------------------------
# out-of-distribution linear decoding
# --------------------------------------------------------------------------------------------

CORNERS = np.array([[-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]])


def test_orthant_index_bits():
    np.testing.assert_array_equal(orthant_index(CORNERS), [0, 1, 2, 3])
    np.testing.assert_array_equal(orthant_index(np.array([[0.0, 0.5]])), [2])


def test_linear_features_decode_perfectly_everywhere():
    rng = np.random.Generator(np.random.PCG64(1))
    latents = rng.uniform(-0.5, 0.5, (200, 2))
    features = latents @ rng.standard_normal((2, 6)) + 0.7
    np.testing.assert_allclose(ood_linear_r2_all_orthants(features, latents), 1.0, atol=1e-10)


def test_missing_feature_gives_minus_three():
    """Features = x1 only on the 4 corners (±1)². Held out (1, 1): fit x2 on x1 over
    (−1,−1), (1,−1), (−1,1): slope −½, intercept −½ → x̂2(1) = −1, error 2, MSE 4; the global
    variance of x2 is 1, so r² = [1, 1 − 4] = [1, −3] (by symmetry for every orthant)."""
    np.testing.assert_allclose(ood_linear_r2(CORNERS[:, :1], CORNERS, 3), [1.0, -3.0], atol=EXACT)
    np.testing.assert_allclose(
        ood_linear_r2_all_orthants(CORNERS[:, :1], CORNERS), [[1.0, -3.0]] * 4, atol=EXACT
    )


def test_folded_feature_uses_the_global_variance():
    """1-D latent x ∈ {−2, −1, 1, 2}, feature |x|. Trained on x < 0 the decoder is x̂ = −|x|;
    on x > 0 the error is 2x, MSE = 4·mean(x² | x > 0) = 10. Global Var x = 2.5 → r² = −3.
    (The held-out orthant's own variance, 0.25, would give −39.) With latent_variance = 1/12,
    r² = 1 − 120."""
    x = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    np.testing.assert_allclose(ood_linear_r2(np.abs(x), x, 1), [-3.0], atol=EXACT)
    np.testing.assert_allclose(
        ood_linear_r2(np.abs(x), x, 1, latent_variance=1 / 12), [1 - 120.0], atol=1e-10
    )


def test_ridge_shrinks_the_slope_as_computed_by_hand():
    """Train on x ∈ {−2, −1} (feature = x): centred feature ±½, Σ = ½, so with ridge λ the
    slope is w = ½/(½ + λ), intercept −1.5 (1 − w). On x ∈ {1, 2}: error (w − 1)(x + 1.5)."""
    x = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    lam = 0.5
    w = 0.5 / (0.5 + lam)
    mse = np.mean([((w - 1) * (v + 1.5)) ** 2 for v in (1.0, 2.0)])
    np.testing.assert_allclose(ood_linear_r2(x, x, 1, ridge=lam), [1 - mse / 2.5], atol=EXACT)


@pytest.mark.parametrize("ridge", [0.0, 0.3])
def test_ood_r2_matches_the_normal_equations_route(ridge):
    """Independent route: solve [X 1]ᵀ[X 1] + diag(λ,…,λ,0) for (W, b) by the normal
    equations. Both solve the same well-conditioned problem (cond ≈ 10): agreement to 1e-10."""
    rng = np.random.Generator(np.random.PCG64(2))
    latents = rng.uniform(-0.5, 0.5, (300, 3))
    features = np.tanh(latents @ rng.standard_normal((3, 7))) + 0.05 * rng.standard_normal((300, 7))
    held_out = 5
    test = orthant_index(latents) == held_out
    design = np.c_[features, np.ones(len(features))]
    penalty = ridge * np.eye(design.shape[1])
    penalty[-1, -1] = 0.0
    train = design[~test]
    coefficients = np.linalg.solve(train.T @ train + penalty, train.T @ latents[~test])
    mse = np.mean((design[test] @ coefficients - latents[test]) ** 2, axis=0)
    expected = 1 - mse / latents.var(axis=0)
    np.testing.assert_allclose(
        ood_linear_r2(features, latents, held_out, ridge=ridge), expected, atol=1e-10
    )


def test_latent_variance_accepts_a_vector():
    np.testing.assert_allclose(
        ood_linear_r2(CORNERS[:, :1], CORNERS, 3, latent_variance=[1.0, 2.0]), [1.0, -1.0]
    )


@pytest.mark.parametrize(
    ("latents", "orthant", "kwargs", "message"),
    [
        (CORNERS[:3], 3, {}, "no samples"),
        (CORNERS[3:], 3, {"latent_variance": 1.0}, "nothing to train on"),
        (CORNERS, 4, {}, r"0\.\.3"),
        (CORNERS, 3, {"latent_variance": 0.0}, "latent_variance"),
        (CORNERS, 3, {"ridge": -1.0}, "ridge"),
    ],
)
def test_ood_linear_r2_rejects_bad_input(latents, orthant, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ood_linear_r2(latents, latents, orthant, **kwargs)


@given(seed=st.integers(0, 2**32 - 1))
def test_ood_r2_is_invariant_to_invertible_linear_maps_of_features(seed):
    rng = np.random.Generator(np.random.PCG64(seed))
    latents = rng.uniform(-0.5, 0.5, (120, 2))
    features = np.tanh(latents @ rng.standard_normal((2, 4)))
    mixing = random_orthogonal(seed, 4) @ np.diag(rng.uniform(0.5, 2.0, 4))
    np.testing.assert_allclose(
        ood_linear_r2_all_orthants(features @ mixing, latents),
        ood_linear_r2_all_orthants(features, latents),
        atol=1e-8,
    )


# --------------------------------------------------------------------------------------------
# decoded axis angles
# --------------------------------------------------------------------------------------------


def test_decoded_axis_angles_known_values_in_combination_order():
    weights = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    np.testing.assert_allclose(decoded_axis_angles(weights), [45.0, 90.0, 90.0], atol=1e-12)
    np.testing.assert_allclose(decoded_axis_angles(np.array([[1.0, 0], [-3.0, 0]])), [180.0])
    np.testing.assert_allclose(decoded_axis_angles(np.eye(4)), [90.0] * 6)


def test_decoded_axis_angles_refuse_the_transposed_layout():
    """A (features x latents) array would give angles between neurons: refused, with the fix."""
    weights = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]])  # (D = 2, F = 3)
    with pytest.raises(ValueError, match=r"looks like the transposed .*pass decoder_weights\.T"):
        decoded_axis_angles(weights.T)
    with pytest.raises(ValueError, match=r"expected 2 rows .*looks transposed"):
        decoded_axis_angles(weights.T, n_latents=2)
    np.testing.assert_allclose(decoded_axis_angles(weights, n_latents=2), [45.0])
    # a rank-deficient decoder (more latents than features) is accepted when stated
    assert decoded_axis_angles(np.array([[1.0], [2.0], [-1.0]]), n_latents=3).tolist() == [
        0.0,
        180.0,
        180.0,
    ]


def test_decoded_axis_angles_reject_zero_row():
    with pytest.raises(ValueError, match="row 1"):
        decoded_axis_angles(np.array([[1.0, 0.0], [0.0, 0.0]]))


@given(seed=st.integers(0, 2**32 - 1))
def test_decoded_axis_angles_are_rotation_and_scale_invariant(seed):
    rng = np.random.Generator(np.random.PCG64(seed))
    weights = rng.standard_normal((3, 5))
    moved = (weights * rng.uniform(0.1, 10.0, (3, 1))) @ random_orthogonal(seed, 5)
    np.testing.assert_allclose(decoded_axis_angles(moved), decoded_axis_angles(weights), atol=1e-8)


def test_docstring_examples_hold():
    failures, attempted = doctest.testmod(metrics_module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0
    assert failures == 0
