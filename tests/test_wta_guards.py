"""WTA measurements that claims rest on, on hand-built cases with exact known answers.

The symbolic/complete classifier of exhaustive search, its zero-loss decision, the exact
re-check of a claimed counterexample and the MILP's zero decision (issue 8, item 6). Each
answer here is derived by hand in the comment beside it, not read off the code.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from mtl_theory.numerics import wta as nw
from mtl_theory.numerics import wta_milp as wm
from mtl_theory.numerics.metrics import onehot_code, symbolic_verdict
from mtl_theory.proofs import wta as pw
from mtl_theory.theory import wta as tw
from wta_support import make

from mtl_theory.families.wta import FAMILY, NEAR_XOR_TARGETS
from mtl_theory.registry import CheckOptions

GRID_2X2 = tw.grid_points((2, 2))  # (0,0), (0,1), (1,0), (1,1)


def near_xor(eps: float) -> tw.WTASetup:
    """One-hot tasks of factors (2, 2) plus eps x parity (every task)."""
    parity = np.array([0.0, 1.0, 1.0, 0.0])
    rows = [np.array(r, dtype=float) + eps * parity for r in make((2, 2), (2, 2)).targets]
    return tw.WTASetup((2, 2), (2, 2), tuple(tuple(float(v) for v in r) for r in rows))


@pytest.mark.parametrize(
    ("labels", "units", "symbolic"),
    [
        ([0, 0, 1, 1], 2, True),  # unit 1 = {z1 = 1}: one factor
        ([0, 1, 0, 1], 2, True),  # unit 1 = {z2 = 1}
        ([0, 0, 0, 0], 2, True),  # one live unit active everywhere, one dead: trivial
        ([0, 1, 1, 1], 2, False),  # unit 0 = {(0,0)}: a single point depends on both factors
        ([0, 0, 0, 1], 2, False),  # unit 1 = {(1,1)}: the thermometer's top unit
        ([0, 1, 1, 0], 2, False),  # XOR
        ([0, 1, 2, 2], 3, False),  # {(0,0)}, {(0,1)}, {z1 = 1}: two single-point conjunctions
        ([0, 0, 1, 2], 3, False),  # {z1 = 0}, {(1,0)}, {(1,1)}
        ([0, 1, 0, 2], 3, False),  # {z2 = 0}, {(0,1)}, {(1,1)}
    ],
)
def test_search_classifier_on_hand_built_partitions(labels, units, symbolic):
    """A unit active on one grid point is a conjunction of both factors: never trivial."""
    classes = nw.classify_partitions(np.array([labels]), units, GRID_2X2)
    assert bool(classes.symbolic[0]) is symbolic
    assert symbolic_verdict(onehot_code([np.array(labels)], [units]), GRID_2X2).symbolic is symbolic


def test_completeness_masks_equal_metrics_on_every_pair_of_symbolic_partitions():
    """Every pair of symbolic partitions of the 2 x 3 grid (3 units each): the search's
    separation bitmasks say complete exactly when numerics.metrics does."""
    grid = tw.grid_points((2, 3))
    labels = nw.set_partitions(6, 3)
    classes = nw.classify_partitions(labels, 3, grid)
    symbolic = np.flatnonzero(classes.symbolic)
    # trivial, z1, and the 4 partitions of z2's three values into <= 3 blocks
    assert len(symbolic) == 6
    seen = {True: 0, False: 0}
    for a, b in itertools.product(symbolic, repeat=2):
        v = symbolic_verdict(onehot_code([labels[a], labels[b]], [3, 3]), grid)
        full = (classes.separated[a] | classes.separated[b]) == classes.full_mask
        assert full == v.complete
        seen[bool(full)] += 1
    # complete iff one module is z1 and the other separates z2's 3 values: 2 of 36 pairs
    assert seen == {True: 2, False: 34}


def test_irrelevant_factor_counts_by_hand():
    """Task y = z1 on (2,2) with modules (2,2). The 8 partitions of 4 points into <= 2 blocks
    are T (trivial), A (z1), B (z2), 4 'one point vs rest' (s00, s01, s10, s11) and XOR.
    Zero loss needs z1 in span{1, indicators}: (A, any) and (any, A): 8 + 8 - 1 = 15, plus
    the non-symbolic pairs whose indicators add up to z1: 1[s10] + 1[s11] = z1 and
    1 - 1[s00] - 1[s01] = z1, in either order: 4; total 19. Symbolic (modules in {T, A, B}):
    (A,T), (A,A), (A,B), (T,A), (B,A) = 5; complete: (A,B), (B,A) = 2."""
    setup = tw.WTASetup((2, 2), (2, 2), ((0.0, 0.0, 1.0, 1.0),))
    r = nw.exhaustive_search(setup)
    assert (r.zero_loss_codes, r.symbolic_zero_loss_codes) == (19, 5)
    assert r.complete_symbolic_zero_loss_codes == 2
    assert len(r.zero_loss_sample) == 19
    assert sum(s for _, s, _ in r.zero_loss_sample) == 5
    assert sum(c for _, _, c in r.zero_loss_sample) == 2


def test_coarse_factor_codes_are_symbolic_but_incomplete():
    """Factors (2, 3), modules (2, 2), tasks y1 = z1 and y2 = 1[z2 = 2]. Zero loss puts
    span{1, y1, y2} (dimension 3) inside S(pi), whose dimension is at most 3: equal, so each
    unit indicator is a {0,1}-valued function a + b y1 + c y2, which (Lemma L1 on the 2 x 2
    table of (y1, y2)) is constant, y1, 1 - y1, y2 or 1 - y2. Neither module may be constant
    (the dimension would drop), nor may both show the same function: the codes are (z1, P)
    and (P, z1) with P = {z2 in {0, 1}} | {z2 = 2}. Both symbolic; neither complete (z2 = 0
    and z2 = 1 are never told apart)."""
    z = tw.grid_points((2, 3))
    y1, y2 = (z[:, 0] == 1).astype(float), (z[:, 1] == 2).astype(float)
    setup = tw.WTASetup((2, 3), (2, 2), (tuple(y1), tuple(y2)))
    r = nw.exhaustive_search(setup)
    assert (r.zero_loss_codes, r.symbolic_zero_loss_codes) == (2, 2)
    assert r.complete_symbolic_zero_loss_codes == 0
    z1, p = (0, 0, 0, 1, 1, 1), (0, 0, 1, 0, 0, 1)
    assert {code for code, _, _ in r.zero_loss_sample} == {(z1, p), (p, z1)}
    assert all(s and not c for _, s, c in r.zero_loss_sample)


def test_zero_loss_decision_on_a_near_miss():
    """eps = 2^-10 of parity on every one-hot task: the best code (the factor code) fits the
    one-hot part exactly and predicts the parity's mean, so each task has squared error
    (eps/2)^2 at every point: loss eps^2/4 = 2^-22 exactly, which is far above the decision
    threshold (1e-9 of the task energy) - no code may count as zero-loss."""
    setup = near_xor(2.0**-10)
    r = nw.exhaustive_search(setup)
    assert r.zero_loss_codes == 0 and r.zero_loss_sample == ()
    assert r.min_loss == pytest.approx(2.0**-22, rel=1e-9)
    assert r.zero_loss_tolerance < 2.0**-22 / 100
    assert nw.exact_code_loss(setup, r.argmin_code) == Fraction(1, 2**22)
    # the same tasks without the parity: the factor code (and others) reach zero loss
    assert nw.exhaustive_search(near_xor(0.0)).zero_loss_codes > 0


def test_exact_recheck_rejects_a_code_below_the_search_threshold():
    """eps = 2^-16: the best code loses 2^-34 ~ 5.8e-11, below the search's float threshold
    (~1.5e-9), so the search calls it zero-loss; the exact re-check must not: its only slack
    is the targets' rounding, (K eps max|y|)^2 ~ 2e-31."""
    setup = near_xor(2.0**-16)
    r = nw.exhaustive_search(setup)
    assert r.zero_loss_codes > 0  # the float threshold accepts the near miss
    assert nw.exact_code_loss(setup, r.argmin_code) == Fraction(1, 2**34)
    recheck = pw._exact_zero_loss_comparison(setup, r.argmin_code, "a test")
    assert not recheck.agrees
    # and verify reports it: the zero-loss decision contradicted, never a silent agreement
    result = FAMILY.check(setup, CheckOptions(verify=True))
    failed = [c.quantity for c in result.verification.comparisons if not c.agrees]
    assert result.contradiction and any("re-decided exactly" in q for q in failed)


def test_milp_zero_decision_on_the_near_miss():
    """The same near miss under the L-infinity loss: the best error is eps/2 = 2^-11 (the
    parity's mean is off by eps/2 at every point), far above MILP_ZERO_TOL = 1e-6."""
    setup = tw.WTASetup((2, 2), (2, 2), tuple(tuple(float(v) for v in r) for r in NEAR_XOR_TARGETS))
    best = wm.milp_search(setup, objective="linf")
    assert best.status == "optimal"
    assert best.loss == pytest.approx(2.0**-11, abs=1e-7)  # HiGHS feasibility tolerance
    assert best.loss > 100 * pw.MILP_ZERO_TOL
    result = FAMILY.check(setup, CheckOptions(verify=True, method="milp"))
    assert not result.contradiction and result.verified
    assert result.verification.measured["counterexample"] is None


def test_capacity_hypothesis_holds_at_equality():
    """H3 is sum(m_g - 1) <= sum(n_k - 1): equality is the theorem's case (and the only one
    with zero-loss codes, WTA-1/counting)."""
    assert tw.check_capacity(make((2, 3), (2, 3))).holds  # 1 + 2 = 1 + 2
    assert tw.check_capacity(make((2, 3), (3,))).holds  # 2 < 3
    assert not tw.check_capacity(make((2, 3), (3, 3))).holds  # 4 > 3
    setup = make((2, 3), (2, 3))
    assert FAMILY.check(setup, CheckOptions()).applies
