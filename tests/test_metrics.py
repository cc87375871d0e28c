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
    NULL_MODELS,
    ccgp,
    ccgp_null_model,
    ccgp_per_factor,
    dci,
    dci_informativeness,
    decoded_axis_angles,
    discretize_codes,
    explicitness,
    factor_dependence,
    importance_matrix,
    infomec,
    knn_mutual_information,
    modularity,
    modularity_score,
    mutual_information,
    mutual_information_gap,
    mutual_information_matrix,
    onehot_code,
    ood_linear_r2,
    ood_linear_r2_all_orthants,
    orthant_index,
    parallelism_null_model,
    parallelism_per_factor,
    parallelism_score,
    sap_score,
    sap_score_matrix,
    split_train_test,
    symbolic_verdict,
)
from scipy.optimize import brentq
from scipy.special import digamma

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


def noisy_code_of_a_2x3_grid(seed: int) -> tuple[np.random.Generator, np.ndarray, np.ndarray]:
    """Generator, factors of a 2 × 3 grid (4 samples each) and a noisy 3-unit code: the two
    factors plus a pure-noise unit, all with N(0, 0.4²) noise."""
    rng = np.random.Generator(np.random.PCG64(seed))
    z = np.repeat(grid(2, 3), 4, axis=0)
    codes = np.c_[z, rng.standard_normal(len(z))] + 0.4 * rng.standard_normal((len(z), 3))
    return rng, z, codes


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


# --------------------------------------------------------------------------------------------
# train/test split
# --------------------------------------------------------------------------------------------


def test_split_train_test_takes_the_first_ceil_fraction_of_rows():
    train, test = split_train_test(np.arange(10)[:, None], 0.75)  # ceil(7.5) = 8
    assert train.ravel().tolist() == list(range(8)) and test.ravel().tolist() == [8, 9]
    with pytest.raises(ValueError, match="no test rows"):
        split_train_test(np.arange(3)[:, None], 0.9)
    with pytest.raises(ValueError, match="train_fraction"):
        split_train_test(np.arange(3)[:, None], 1.0)


def test_supervised_metrics_reject_half_a_test_set_and_mismatched_units():
    with pytest.raises(ValueError, match="both or neither"):
        dci_informativeness(Z22, Z22, test_codes=Z22)
    with pytest.raises(ValueError, match="test_codes: expected 2 units"):
        explicitness(Z22, Z22, test_codes=Z22[:, :1], test_factors=Z22)
    with pytest.raises(ValueError, match="test_factors: expected 2 factors"):
        sap_score(Z22, Z22, test_codes=Z22, test_factors=Z22[:, :1])


# --------------------------------------------------------------------------------------------
# DCI informativeness
# --------------------------------------------------------------------------------------------


def test_dci_informativeness_identity_rotated_missing_and_xor_codes():
    z = signed(Z22)
    # identity and any rotation are exact linear codes: zero error
    assert dci_informativeness(z, z).per_factor_train_error == (0.0, 0.0)
    rotated = dci_informativeness(z @ rotation(0.4).T, z)
    np.testing.assert_allclose(rotated.per_factor_train_error, [0.0, 0.0], atol=EXACT)
    # only factor 0 coded: factor 1 is uncorrelated with it on the full grid, so its best
    # linear prediction is its mean and NRMSE = std / std = 1; a dead unit changes nothing
    missing = dci_informativeness(np.c_[z[:, 0], np.zeros(4)], z)
    assert missing.per_factor_train_error == (0.0, 1.0) and missing.train_error == 0.5
    # the XOR unit is uncorrelated with both factors: error 1 each
    assert dci_informativeness(XOR, Z22).per_factor_train_error == (1.0, 1.0)


def test_dci_informativeness_held_out_samples_use_their_own_spread():
    z = grid(3, 3).astype(np.float64)
    test = z.sum(axis=1) >= 3  # the corner (1, 2), (2, 1), (2, 2), outside the training hull
    train = ~test
    # a linear code extrapolates exactly to the held-out corner
    exact = dci_informativeness(z[train], z[train], test_codes=z[test], test_factors=z[test])
    np.testing.assert_allclose(exact.per_factor_test_error, [0.0, 0.0], atol=EXACT)
    # a factor constant on the held-out samples has no NRMSE (its std is the denominator)
    edge = z[:, 0] == 2
    with pytest.raises(ValueError, match="test_factors: column 0 is constant"):
        dci_informativeness(z[~edge], z[~edge], test_codes=z[edge], test_factors=z[edge])
    # a folded code c = z² on z ∈ {−1, 0, 1}: Cov(z², z) = 0, so the linear prediction is the
    # mean 0 and NRMSE = std(z) / std(z) = 1 in-sample
    levels = np.array([[-1.0], [0.0], [1.0]])
    assert dci_informativeness(levels**2, levels).per_factor_train_error == (1.0,)


@given(seed=st.integers(0, 2**32 - 1))
def test_dci_informativeness_is_invariant_to_invertible_linear_maps(seed):
    rng = np.random.Generator(np.random.PCG64(seed))
    z = np.repeat(grid(2, 3), 3, axis=0).astype(np.float64)[rng.permutation(18)]
    codes = np.c_[z, rng.standard_normal(len(z))] + 0.3 * rng.standard_normal((len(z), 3))
    if np.any(z[12:].std(axis=0) == 0):  # a held-out part without spread has no NRMSE
        return
    mixed = codes @ (random_orthogonal(seed, 3) * rng.uniform(0.5, 2.0, 3))
    base = dci_informativeness(codes[:12], z[:12], test_codes=codes[12:], test_factors=z[12:])
    moved = dci_informativeness(mixed[:12], z[:12], test_codes=mixed[12:], test_factors=z[12:])
    np.testing.assert_allclose(moved.per_factor_test_error, base.per_factor_test_error, atol=1e-9)
    assert all(e >= 0 for e in base.per_factor_train_error + base.per_factor_test_error)
    assert all(e <= 1 + 1e-12 for e in base.per_factor_train_error)  # in-sample: NRMSE² = 1 − R²


# --------------------------------------------------------------------------------------------
# SAP
# --------------------------------------------------------------------------------------------


def test_sap_continuous_identity_permuted_scaled_and_redundant_codes():
    z = signed(Z22)
    # identity: R²(c_k, z_k) = 1 and R²(c_k, z_j) = 0 (uncorrelated on the full grid)
    np.testing.assert_array_equal(sap_score_matrix(z, z, continuous_factors=True), np.eye(2))
    assert sap_score(z, z, continuous_factors=True) == 1.0
    assert sap_score(z[:, ::-1] * [3.0, 0.5], z, continuous_factors=True) == 1.0
    # duplicated unit of factor 0: its column is (1, 1, 0), gap 0; factor 1 keeps gap 1
    assert sap_score(np.c_[z[:, 0], z[:, 0], z[:, 1]], z, continuous_factors=True) == 0.5


@pytest.mark.parametrize("degrees", [0.0, 22.5, 30.0, 45.0])
def test_sap_continuous_of_a_rotated_code_is_abs_cos_two_theta(degrees):
    # c = R(θ) z with ±1 factors: Corr(c_0, z_0)² = cos²θ, Corr(c_1, z_0)² = sin²θ, so each
    # factor's gap is |cos²θ − sin²θ| = |cos 2θ|
    theta = math.radians(degrees)
    z = signed(Z22)
    codes = ROTATION_45 @ z.T if degrees == 45.0 else rotation(theta) @ z.T
    value = sap_score(codes.T, z, continuous_factors=True)
    assert value == pytest.approx(abs(math.cos(2 * theta)), abs=EXACT)


def test_sap_continuous_dead_unit_and_the_absolute_variance_threshold():
    z = signed(Z22)
    # a dead unit scores 0 everywhere: SAP unchanged
    assert sap_score(np.c_[z, np.zeros(4)], z, continuous_factors=True) == 1.0
    # quirk: a unit of variance ≤ 1e-12 scores 0 however informative: factor 1's unit scaled to
    # 1e-7 (sample variance 4/3 · 1e-14) leaves factor 1 with scores (0, 0), gap 0 -> SAP 1/2
    tiny = z * [1.0, 1e-7]
    np.testing.assert_array_equal(sap_score_matrix(tiny, z, continuous_factors=True)[1], [0, 0])
    assert sap_score(tiny, z, continuous_factors=True) == 0.5


def test_sap_discrete_scores_are_raw_accuracies():
    # ±1 levels: the SVM on the matching unit separates perfectly (b = 0 by the symmetry
    # (x, y) -> (−x, −y)); on the other unit it is exactly θ = 0 and predicts the first class,
    # right on half of a balanced factor. Quirk: a perfect code scores 1 − 1/2 = 1/2.
    z = signed(Z22)
    np.testing.assert_array_equal(sap_score_matrix(z, Z22), [[1.0, 0.5], [0.5, 1.0]])
    assert sap_score(z, Z22) == 0.5
    # duplicated unit: factor 0's column (1, 1, 1/2) has gap 0, factor 1's (1/2, 1/2, 1) gap 1/2
    assert sap_score(np.c_[z[:, 0], z[:, 0], z[:, 1]], Z22) == 0.25
    # a dead unit scores the first-class rate 1/2 and changes no top-two gap
    assert sap_score(np.c_[z, np.zeros(4)], Z22) == 0.5


def test_sap_discrete_is_not_invariant_to_shifting_a_unit():
    # Quirk (disentanglement_lib's LinearSVC(C=0.01) penalizes its intercept): the levels
    # {1, 2} instead of {0, 1}. Solving the all-active KKT system by hand
    # (tests/test_linear_classifiers.py) gives w ≈ 0.0337, b ≈ −0.0037, so w·1 + b > 0 and
    # both levels are called class 1: accuracy 1/2 for every unit, SAP 0.
    assert sap_score(Z22 + 1.0, Z22) == 0.0
    # the continuous score is shift-invariant
    assert sap_score(Z22 + 1.0, Z22, continuous_factors=True) == 1.0


def test_sap_discrete_with_a_held_out_test_set():
    z = np.repeat(grid(2, 2), 2, axis=0)
    codes = signed(z) + np.tile([[0.1, -0.1], [-0.1, 0.1]], (4, 1))
    score = sap_score(codes[::2], z[::2], test_codes=codes[1::2], test_factors=z[1::2])
    assert score == 0.5  # the noise keeps every sample on its side of the b = 0 threshold


def test_sap_rejects_one_unit_and_constant_factors():
    with pytest.raises(ValueError, match="at least 2 units"):
        sap_score(Z22[:, :1], Z22, continuous_factors=True)
    with pytest.raises(ValueError, match="column 1 is constant"):
        sap_score(Z22, np.c_[Z22[:, 0], np.ones(4)], continuous_factors=True)
    with pytest.raises(ValueError, match="single value"):
        sap_score(Z22, np.c_[Z22[:, 0], np.ones(4, dtype=int)])


@given(seed=st.integers(0, 2**32 - 1), power=st.integers(-3, 3))
def test_sap_is_permutation_equivariant_and_continuous_sap_scale_invariant(seed, power):
    rng, z, codes = noisy_code_of_a_2x3_grid(seed)
    order = rng.permutation(3)
    for continuous in (True, False):
        matrix = sap_score_matrix(codes, z, continuous_factors=continuous)
        assert np.all((matrix >= 0) & (matrix <= 1))
        permuted = sap_score_matrix(codes[:, order], z, continuous_factors=continuous)
        np.testing.assert_allclose(permuted, matrix[order], atol=EXACT)
    scaled = sap_score_matrix(codes * 2.0**power, z, continuous_factors=True)
    np.testing.assert_allclose(
        scaled, sap_score_matrix(codes, z, continuous_factors=True), atol=EXACT
    )


# --------------------------------------------------------------------------------------------
# modularity and explicitness
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("information", "expected"),
    [
        # disentanglement_lib's own modularity_explicitness_test.py cases:
        (np.diag([5.0] * 5), 1.0),  # diagonal
        (np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 2 / 3),  # empty code counts as 0
        (np.zeros((10, 10)), 0.0),  # all zero
        (np.vstack([np.diag([5.0] * 5)] * 2), 1.0),  # redundant codes
        (np.diag([5.0] * 5)[:2], 1.0),  # missed factors
        # one code, two factors at equal MI: δ = 1/(K − 1) = 1/9 for K = 10
        (np.hstack([np.diag([5.0] * 5)] * 2), 1 - 1 / 9),
    ],
)
def test_modularity_reproduces_disentanglement_libs_test_cases(information, expected):
    assert modularity(information) == pytest.approx(expected, abs=EXACT)


def test_modularity_score_on_hand_built_codes():
    z = signed(Z22)
    assert modularity_score(z, Z22) == 1.0
    assert modularity_score(z[:, ::-1] * [2.0, 0.25], Z22) == 1.0
    # redundant unit: each unit still informs about one factor only
    assert modularity_score(np.c_[z[:, 0], z], Z22) == 1.0
    # rotated 45°: c = (z0 − z1, z0 + z1)/√2 takes 3 values; each unit's value pins its factor
    # pair on the two outer values (probability 1/2) and says nothing on the middle one, so
    # I(c_u; z_k) = ln 2 − ½ ln 2 = ½ ln 2 for all u, k: δ = 1 and modularity 0
    rotated = z @ ROTATION_45.T
    np.testing.assert_allclose(
        mutual_information_matrix(rotated, Z22), np.full((2, 2), 0.5 * math.log(2)), atol=EXACT
    )
    assert modularity_score(rotated, Z22) == pytest.approx(0.0, abs=EXACT)
    # quirk: a dead unit (θ_u = 0) counts as modularity 0: (1 + 1 + 0)/3; so does an XOR unit
    assert modularity_score(np.c_[z, np.zeros(4)], Z22) == pytest.approx(2 / 3, abs=EXACT)
    assert modularity_score(np.c_[z, XOR], Z22) == pytest.approx(2 / 3, abs=EXACT)


def test_histogram_every_unit_merges_discrete_levels_that_share_a_bin():
    # Quirk of disentanglement_lib's histogram discretizer: the levels 0, 0.01, 1 of a unit
    # coding a uniform 3-valued factor fall into bins 1, 1, 20 of [0, 1] cut in 20 (width
    # 0.05). Kept as they are, I(c; z) = H(z) = ln 3; binned, the symbols (a, a, b) keep only
    # H(1/3, 2/3) = ln 3 − (2/3) ln 2.
    z = np.array([[0], [1], [2]])
    c = np.array([[0.0], [0.01], [1.0]])
    assert mutual_information_matrix(c, z)[0, 0] == pytest.approx(math.log(3), abs=EXACT)
    binned = mutual_information_matrix(c, z, histogram_every_unit=True)[0, 0]
    assert binned == pytest.approx(math.log(3) - 2 / 3 * math.log(2), abs=EXACT)
    # a two-level unit lands in the first and the last bin either way: MIG and modularity agree
    codes = np.c_[signed(Z22), np.zeros(4)]
    for kwargs in ({}, {"histogram_every_unit": True}):
        assert mutual_information_gap(codes, Z22, **kwargs) == 1.0
        assert modularity_score(codes, Z22, **kwargs) == pytest.approx(2 / 3, abs=EXACT)


def test_modularity_rejects_one_factor_and_negative_information():
    with pytest.raises(ValueError, match="at least 2 factors"):
        modularity(np.ones((3, 1)))
    with pytest.raises(ValueError, match="non-negative"):
        modularity(-np.eye(2))


def test_explicitness_on_hand_built_codes():
    z = signed(Z22)
    # identity: by the reflection symmetry of the grid the weight on the other unit is 0 and the
    # probability is increasing in the matching unit, so every positive outranks every
    # negative: AUC 1
    assert explicitness(z, Z22).per_factor_train == (1.0, 1.0)
    # rotated (equal-variance units) and with a dead unit: the same scores
    assert explicitness(z @ ROTATION_45.T, Z22).train == pytest.approx(1.0, abs=EXACT)
    assert explicitness(np.c_[z, np.zeros(4)], Z22).train == 1.0
    # factor 1 uncoded: its probability is constant on each z0 half, each half holds one
    # positive and one negative, so the AUC is exactly 1/2
    assert explicitness(np.c_[z[:, 0]], Z22).per_factor_train == (1.0, 0.5)
    # the XOR unit is independent of each factor: 1/2 and 1/2
    assert explicitness(XOR, Z22).train == 0.5


def test_explicitness_held_out_test_set_and_missing_classes():
    z = np.repeat(grid(3, 2), 2, axis=0)
    rng = np.random.Generator(np.random.PCG64(0))
    codes = z + 0.05 * rng.standard_normal(z.shape)
    result = explicitness(codes[::2], z[::2], test_codes=codes[1::2], test_factors=z[1::2])
    # well-separated levels: the fitted probabilities rank every held-out sample correctly
    assert result.per_factor_test == (1.0, 1.0)
    with pytest.raises(ValueError, match="training classes"):
        explicitness(codes[::2], z[::2], test_codes=codes[1:4], test_factors=z[1:4])


@given(seed=st.integers(0, 2**32 - 1), power=st.integers(-3, 3))
def test_modularity_and_explicitness_invariances_and_bounds(seed, power):
    rng, z, codes = noisy_code_of_a_2x3_grid(seed)
    order = rng.permutation(3)
    moved = codes[:, order] * 2.0**power  # power-of-two scaling is exact (see MIG's test)
    base_m = modularity_score(codes, z, n_bins=6)
    assert 0.0 <= base_m <= 1.0
    assert modularity_score(moved, z, n_bins=6) == pytest.approx(base_m, abs=EXACT)
    base_e = explicitness(codes, z)
    assert 0.5 <= base_e.train <= 1.0  # in-sample AUC of a fitted model is at least chance
    assert explicitness(moved, z).train == pytest.approx(base_e.train, abs=1e-9)


# --------------------------------------------------------------------------------------------
# InfoMEC
# --------------------------------------------------------------------------------------------


def _separable_infoe(c: float, n: int) -> float:
    """InfoE of a binary factor read off one ±1 unit (both standardized), n samples.

    By the symmetries of the grid the logistic regression has b = 0 and no weight on the other
    units; its objective C n log(1 + e^{−w}) + w²/2 is stationary where w = C n / (1 + e^w), and
    InfoE = 1 − log(1 + e^{−w}) / ln 2.
    """
    w = brentq(lambda t: t - c * n / (1 + math.exp(t)), 0.0, 200.0, xtol=1e-14)
    return 1.0 - math.log1p(math.exp(-w)) / math.log(2)


def test_infomec_identity_code_matches_the_hand_solved_regression():
    z = signed(Z22)
    score = infomec(z, Z22, inverse_regularization=1e6)
    assert (score.infom, score.infoc) == (1.0, 1.0)
    # kNN MI (k = min(10, 2 − 1) = 1, ties broken by the jitter): for its own factor a unit's
    # same-class neighbour is its twin at ~1e-10, so m = 1 (itself) and
    # Î = ψ(4) + ψ(1) − ψ(2) − ψ(1) = 1/2 + 1/3 nats; for the other factor the neighbour is 2
    # away, m = 2 (itself and its twin) and Î = 5/6 + ψ(1) − ψ(2) = −1/6, clipped to 0.
    # NMI = (5/6) / ln 2 = 1.202 > 1, as in the authors' code.
    np.testing.assert_allclose(score.nmi, np.eye(2) * (5 / 6) / math.log(2), atol=EXACT)
    exact = infomec(z, Z22, discrete_codes=True)
    np.testing.assert_array_equal(exact.nmi, np.eye(2))
    assert score.infoe == pytest.approx(_separable_infoe(1e6, 4), abs=1e-9)
    assert 1.0 - score.infoe < 1e-5  # the docstring's bound for C = 1e6, P = 4
    # a strong penalty (C = 1) leaves a visible gap, still on the hand-solved value
    weak = infomec(z, Z22, inverse_regularization=1.0)
    assert weak.infoe == pytest.approx(_separable_infoe(1.0, 4), abs=1e-9)
    assert weak.infoe < 0.6  # 0.564: w solves w = 4 / (1 + e^w)


def test_infomec_rotated_dead_xor_and_redundant_codes():
    # the histogram estimator keeps these few-valued units exact (plug-in MI), while InfoE
    # sees the z-scored units of the continuous path
    z = signed(Z22)

    def infomec(codes, factors):
        return metrics_module.infomec(codes, factors, mi_estimator="histogram")

    identity = infomec(z, Z22)
    # rotated 45°: every NMI is ½ (see modularity's test), shares ½ = 1/K: InfoM = InfoC = 0;
    # the units keep unit variance, so the L2-penalized regression, and InfoE, are unchanged
    rotated = infomec(z @ ROTATION_45.T, Z22)
    assert rotated.infom == pytest.approx(0.0, abs=EXACT)
    assert rotated.infoc == pytest.approx(0.0, abs=EXACT)
    assert rotated.infoe == pytest.approx(identity.infoe, abs=1e-9)
    # a dead unit is not active: nothing changes
    dead = infomec(np.c_[z, np.zeros(4)], Z22)
    assert dead.active_units == (0, 1) and (dead.infom, dead.infoc) == (1.0, 1.0)
    # an active XOR unit with NMI 0 for both factors counts as uniform (normalized share 0):
    # InfoM = (1 + 1 + 0)/3; each factor's row (1, 0, 0) keeps share 1: InfoC = 1
    xor = infomec(np.c_[z, XOR], Z22)
    assert xor.infom == pytest.approx(2 / 3, abs=EXACT) and xor.infoc == 1.0
    # duplicated unit of factor 0: InfoM 1; factor 0's row (1, 1, 0) has share ½, normalized
    # (½ − ⅓)/(1 − ⅓) = ¼, factor 1's share 1: InfoC = (¼ + 1)/2 = 5/8
    redundant = infomec(np.c_[z[:, 0], z], Z22)
    assert redundant.infom == 1.0
    assert redundant.infoc == pytest.approx(5 / 8, abs=EXACT)


def test_infomec_activity_rule_differs_between_continuous_and_discrete_codes():
    # quirk: a continuous unit whose range is below 1/20 of the largest is inactive, so a small
    # copy of factor 0 (range 0.02 vs 2) is ignored; as a discrete code it is active and
    # redundant, and InfoC drops to 5/8 as for an exact duplicate
    z = signed(Z22)
    codes = np.c_[z, 0.01 * z[:, 0]]
    assert infomec(codes, Z22).active_units == (0, 1)
    assert infomec(codes, Z22, mi_estimator="histogram").infoc == 1.0
    discrete = infomec(codes, Z22, discrete_codes=True)
    assert discrete.active_units == (0, 1, 2)
    assert discrete.infoc == pytest.approx(5 / 8, abs=EXACT)


def test_infomec_uninformative_code_has_zero_infoe():
    # two active units, XOR and its complement, each independent of both factors: the balanced
    # logistic regression is uniform, its cross-entropy ln 2 equals the marginal ln 2
    score = infomec(np.c_[XOR, 1.0 - XOR], Z22)
    assert score.infoe == pytest.approx(0.0, abs=1e-12)
    assert (score.infom, score.infoc) == (0.0, 0.0)  # all NMI zero: uniform everywhere


def _brute_force_knn_mi(x, labels, k):
    """Ross's estimator by full sorting of all pairwise distances (route 2)."""
    labels = np.asarray(labels)
    keep = np.array([np.sum(labels == label) > 1 for label in labels])
    x, labels = x[keep], labels[keep]
    n = len(x)
    terms = []
    for i in range(n):
        same = np.sort(np.abs(x[labels == labels[i]] - x[i]))[1:]  # drop itself
        ki = min(k, len(same))
        d = same[ki - 1]
        m = np.sum(np.abs(x - x[i]) < d)  # itself and every sample strictly closer
        terms.append(digamma(ki) - digamma(np.sum(labels == labels[i])) - digamma(m))
    return max(digamma(n) + np.mean(terms), 0.0)


def test_knn_mutual_information_of_two_separated_classes_is_a_harmonic_sum():
    # no tied distances, classes far apart: every m_i = k, Î = ψ(8) − ψ(4) = 1/4 + … + 1/7
    x = np.array([0.0, 0.1, 0.3, 0.7, 10.0, 10.1, 10.3, 10.7])
    labels = [0, 0, 0, 0, 1, 1, 1, 1]
    for k in (1, 2, 3):
        assert knn_mutual_information(x, labels, k) == pytest.approx(
            1 / 4 + 1 / 5 + 1 / 6 + 1 / 7, abs=EXACT
        )
    # a label seen once is ignored: adding one changes nothing
    assert knn_mutual_information(np.r_[x, 5.0], [*labels, 2], 2) == pytest.approx(
        1 / 4 + 1 / 5 + 1 / 6 + 1 / 7, abs=EXACT
    )
    assert knn_mutual_information([1.0, 2.0], [0, 1]) == 0.0  # only singletons


@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 6), power=st.integers(-3, 3))
def test_knn_mutual_information_matches_brute_force_and_is_scale_invariant(seed, k, power):
    rng = np.random.Generator(np.random.PCG64(seed))
    n = int(rng.integers(6, 60))
    labels = rng.integers(0, 3, n)
    x = rng.standard_normal(n) + rng.uniform(0, 2) * labels
    value = knn_mutual_information(x, labels, k)
    assert value == pytest.approx(_brute_force_knn_mi(x, labels, k), abs=1e-12)
    assert knn_mutual_information(x * 2.0**power + 3.0 * 2.0**power, labels, k) == pytest.approx(
        value, abs=1e-12
    )


def test_knn_jitter_is_seeded():
    x = np.repeat([0.0, 1.0], 10)
    labels = np.tile([0, 1], 10)
    first = knn_mutual_information(x, labels, 3, jitter_seed=4)
    assert first == knn_mutual_information(x, labels, 3, jitter_seed=4)
    with pytest.raises(ValueError, match="n_neighbors"):
        knn_mutual_information(x, labels, 0)
    with pytest.raises(ValueError, match="mi_estimator"):
        infomec(signed(Z22), Z22, mi_estimator="ksg")


def test_infomec_rejects_one_factor_and_fewer_than_two_active_units():
    with pytest.raises(ValueError, match="at least 2 factors"):
        infomec(Z22, Z22[:, :1])
    with pytest.raises(ValueError, match="at least 2 active units"):
        infomec(np.c_[Z22[:, 0], np.zeros(4)], Z22)
    with pytest.raises(ValueError, match="constant"):
        infomec(Z22, np.c_[Z22[:, 0], np.zeros(4, dtype=int)])


@given(seed=st.integers(0, 2**32 - 1))
def test_infomec_is_unit_permutation_invariant_and_bounded(seed):
    rng, z, codes = noisy_code_of_a_2x3_grid(seed)
    base = infomec(codes, z, mi_estimator="histogram", n_bins=6)
    moved = infomec(codes[:, rng.permutation(3)], z, mi_estimator="histogram", n_bins=6)
    for name in ("infom", "infoc", "infoe"):
        assert 0.0 <= getattr(base, name) <= 1.0
        assert getattr(moved, name) == pytest.approx(getattr(base, name), abs=1e-9)


# --------------------------------------------------------------------------------------------
# null models of CCGP and parallelism
# --------------------------------------------------------------------------------------------


def _binomial_band(n: int, p: float, sigmas: float = 4.5) -> tuple[float, float]:
    half = sigmas * math.sqrt(n * p * (1 - p))
    return n * p - half, n * p + half


def test_ccgp_units_null_of_a_two_unit_identity_code():
    # Each split holds out one context; swapping the two units of its test points puts both
    # on the same side of the trained threshold (accuracy 1/2), keeping them gives 1. Two
    # splits per factor, each kept with probability 1/2: null CCGP ∈ {1/2, 3/4, 1}, and
    # P(null = 1) = 1/4. With 400 shuffles the count of 1s is Binomial(400, 1/4) (sd 8.7); the
    # 4.5-sd band [61, 139] rejects the nearest wrong rates 1/8 (50) and 1/2 (200).
    test = ccgp_null_model(signed(Z22), Z22, n_shuffles=400, seed=7)
    assert test.observed.tolist() == [1.0, 1.0]
    assert set(np.unique(test.null).tolist()) <= {0.5, 0.75, 1.0}
    counts = np.sum(test.null >= 1.0, axis=0)
    low, high = _binomial_band(400, 0.25)
    assert np.all((low <= counts) & (counts <= high))
    np.testing.assert_allclose(test.p_values, (1 + counts) / 401)
    assert test.p_resolution == 1 / 401


def test_ccgp_conditions_null_is_the_relabelling_distribution():
    # Route 2: enumerate the 24 relabellings of the 4 conditions here. Exactly the 8 symmetries
    # of the square keep CCGP at (1, 1); every shuffled row must be one of the enumerated rows,
    # and the fraction at 1 is Binomial(300, 1/3) (band rejects 1/4 and 1/2).
    z = signed(Z22)
    condition = Z22 @ [2, 1]
    rows = {
        tuple(ccgp_per_factor(z, Z22[np.array(perm)[condition]]).tolist())
        for perm in itertools.permutations(range(4))
    }
    n_perfect = sum(
        np.all(ccgp_per_factor(z, Z22[np.array(perm)[condition]]) == 1.0)
        for perm in itertools.permutations(range(4))
    )
    assert n_perfect == 8
    test = ccgp_null_model(z, Z22, n_shuffles=300, seed=3, null_model="conditions")
    assert {tuple(r) for r in test.null.tolist()} <= rows
    low, high = _binomial_band(300, 1 / 3)
    assert low <= np.sum(np.all(test.null == 1.0, axis=1)) <= high


def test_parallelism_units_null_of_a_two_unit_identity_code():
    # Both coding vectors of a factor are (2, 0); each is permuted independently to (2, 0) or
    # (0, 2): cosine 1 with probability 1/2, else 0. Observed 1, p ≈ 1/2.
    test = parallelism_null_model(signed(Z22), Z22, n_shuffles=400, seed=11)
    assert test.observed.tolist() == [1.0, 1.0]
    assert set(np.unique(test.null).tolist()) <= {0.0, 1.0}
    low, high = _binomial_band(400, 0.5)
    counts = np.sum(test.null == 1.0, axis=0)
    assert np.all((low <= counts) & (counts <= high))
    assert np.all(test.z_scores > 0)


def test_null_models_are_deterministic_and_p_values_have_the_stated_resolution():
    rng = np.random.Generator(np.random.PCG64(5))
    z = np.repeat(grid(2, 2, 2), 3, axis=0)
    codes = signed(z) @ rng.standard_normal((3, 6)) + 0.5 * rng.standard_normal((24, 6))
    for function in (ccgp_null_model, parallelism_null_model):
        for null_model in NULL_MODELS:
            first = function(codes, z, n_shuffles=9, seed=2, null_model=null_model)
            again = function(codes, z, n_shuffles=9, seed=2, null_model=null_model)
            np.testing.assert_array_equal(first.null, again.null)
            np.testing.assert_array_equal(first.p_values, again.p_values)
            assert first.p_resolution == 0.1
            tenths = first.p_values * 10
            np.testing.assert_allclose(tenths, np.round(tenths), atol=1e-12)
            assert np.all((first.p_values >= 0.1) & (first.p_values <= 1.0))
            other = function(codes, z, n_shuffles=9, seed=3, null_model=null_model)
            assert not np.array_equal(other.null, first.null)


def test_a_structured_code_beats_the_nulls_and_an_unstructured_one_does_not():
    # Three binary factors coded linearly in 6 noisy units vs the one-hot code of the 8
    # conditions (CCGP exactly 1/2, parallelism 0 for every factor, see the tests above).
    rng = np.random.Generator(np.random.PCG64(1))
    z = np.repeat(grid(2, 2, 2), 4, axis=0)
    linear = signed(z) @ rng.standard_normal((3, 6)) + 0.2 * rng.standard_normal((32, 6))
    onehot = np.eye(8)[z @ [4, 2, 1]]
    for null in NULL_MODELS:
        assert np.all(
            parallelism_null_model(linear, z, n_shuffles=99, null_model=null).p_values <= 0.05
        )
        assert np.all(
            parallelism_null_model(onehot, z, n_shuffles=99, null_model=null).p_values > 0.05
        )
        assert np.all(ccgp_null_model(onehot, z, n_shuffles=99, null_model=null).p_values > 0.05)
    assert np.all(ccgp_null_model(linear, z, n_shuffles=99).p_values <= 0.05)
    # A finding, not a defect: relabelling only 8 conditions often gives another dichotomy that
    # a linear classifier happens to generalize, so even this CCGP of 1 is not significant at
    # 5% under the condition shuffle (p ≈ 0.1), while the units null rejects it.
    weak = ccgp_null_model(linear, z, n_shuffles=99, null_model="conditions")
    assert np.all(weak.observed == 1.0) and np.all((weak.p_values > 0.05) & (weak.p_values < 0.2))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"null_model": "trials"}, "null_model"),
        ({"n_shuffles": 0}, "n_shuffles"),
        ({"seed": -1}, "seed"),
    ],
)
def test_null_models_reject_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ccgp_null_model(Z22, Z22, **kwargs)


def test_docstring_examples_hold():
    failures, attempted = doctest.testmod(metrics_module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0
    assert failures == 0
