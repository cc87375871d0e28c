"""The WTA branch-and-bound (numerics/wta_bnb.py) against exhaustive search, the MILP, exact
arithmetic and hand counts; its method key; the one-unit-per-value reading of symbolic."""

import itertools
import math

import numpy as np
import pytest
from budget import share
from hypothesis import example, given, settings
from hypothesis import strategies as st
from mtl_theory.numerics import wta as nw
from mtl_theory.numerics import wta_bnb as bb
from mtl_theory.numerics import wta_milp as wm
from mtl_theory.numerics.metrics import onehot_code, symbolic_verdict
from mtl_theory.proofs import wta as pw
from mtl_theory.theory import wta as tw
from wta_support import make

from mtl_theory.families.wta import FAMILY
from mtl_theory.registry import CheckOptions
from mtl_theory.spec import SpecError

ENERGY_RTOL = 1e-9  # two float64 least-squares routes: round-off ~1e-15 of the task energy


@st.composite
def small_setups(draw):
    """Setups exhaustive search enumerates in well under a second, tasks of every kind."""
    factors = tuple(draw(st.lists(st.integers(2, 3), min_size=1, max_size=3)))
    p = math.prod(factors)
    if p > 12:
        factors = factors[:2]
        p = math.prod(factors)
    modules = tuple(draw(st.lists(st.integers(2, 3), min_size=1, max_size=3)))
    while nw.count_codes(p, modules) > 100_000:
        modules = modules[:-1] if len(modules) > 1 else (2,)
    kind = draw(st.sampled_from(["factor-onehot", "sum", "levels", "integer-table"]))
    if kind == "levels":
        # ties between sums of small integer tables make non-symbolic zero-loss codes likely
        targets = tw.make_targets(
            factors,
            "random-additive",
            n_tasks=draw(st.integers(1, 3)),
            seed=draw(st.integers(0, 2**16)),
            levels=3,
        )
    elif kind == "integer-table":
        # arbitrary (mostly non-additive) integer targets: zero loss is rare, minima differ
        n_tasks = draw(st.integers(1, 2))
        rows = draw(
            st.lists(
                st.lists(st.integers(0, 2), min_size=p, max_size=p),
                min_size=n_tasks,
                max_size=n_tasks,
            )
        )
        targets = tuple(tuple(float(v) for v in r) for r in rows)
    else:
        targets = tw.make_targets(factors, kind)
    holdout = ()
    if p >= 4 and draw(st.booleans()):
        holdout = (draw(st.integers(0, p - 1)),)
    return tw.WTASetup(factors, modules, targets, holdout)


def _thermometer():
    return tw.WTASetup((2, 2), (2, 2), tw.make_targets((2, 2), "sum"))


@settings(max_examples=share(0.6))
@given(small_setups())
@example(_thermometer())
# equal-size modules that are not adjacent (found by this test: symmetry broken on adjacent
# pairs only counted 11 codes of 7)
@example(tw.WTASetup((2,), (3, 2, 3), ((1.0, 0.0), (0.0, 1.0))))
@example(tw.WTASetup((2, 2), (3, 2), tw.make_targets((2, 2), "factor-onehot")))
@example(tw.WTASetup((2, 2), (2, 2), tw.make_targets((2, 2), "xor")))
@example(tw.WTASetup((2, 3), (2, 3), tw.make_targets((2, 3), "factor-onehot"), (4,)))
def test_bnb_equals_exhaustive_search(setup):
    """Same zero-loss codes, same verdicts, same minimum: two complete searches."""
    e = nw.exhaustive_search(setup)
    b = bb.bnb_search(setup, minimize=True)
    assert b.complete_search and b.min_loss_certified
    for key in (
        "zero_loss_codes",
        "symbolic_zero_loss_codes",
        "complete_symbolic_zero_loss_codes",
        "dead_unit_zero_loss_codes",
    ):
        assert getattr(b, key) == getattr(e, key), key
    assert (b.counterexample is None) == (e.counterexample is None)
    energy = 1 + float(np.mean(setup.target_array**2))
    assert b.min_loss == pytest.approx(e.min_loss, abs=ENERGY_RTOL * energy)
    # the reported optimum is a code whose own (lstsq) loss is the minimum
    assert nw.naive_code_loss(setup, b.min_loss_code) == pytest.approx(
        b.min_loss, abs=ENERGY_RTOL * energy
    )


def test_interrupted_minimisation_brackets_the_minimum():
    """With too small a budget the minimum lies between the open nodes' bound and the
    incumbent: the partial-assignment loss is a lower bound of every completion."""
    setup = tw.WTASetup((3, 3), (3, 3), tw.make_targets((3, 3), "xor"))
    exact = nw.exhaustive_search(setup).min_loss
    full = bb.bnb_search(setup, minimize=True)
    assert full.min_loss_certified and full.min_loss == pytest.approx(exact, abs=1e-9)
    for budget in (full.nodes_visited // 50, full.nodes_visited // 3):
        part = bb.bnb_search(setup, minimize=True, max_nodes=budget)
        assert part.zero_loss_codes == 0
        if not part.min_loss_certified:
            assert part.min_loss_lower_bound <= exact + 1e-12
            if part.min_loss is not None:
                assert part.min_loss >= exact - 1e-12


def test_certifies_four_binary_factors():
    """Target grid 1: 2^60 codes. The 24 zero-loss codes are the factor codes (4! ways to
    give the four modules the four factors), all symbolic, complete, one unit per value."""
    setup = make((2, 2, 2, 2), (2, 2, 2, 2))
    r = bb.bnb_search(setup)
    assert r.complete_search and r.counterexample is None
    assert r.zero_loss_codes == r.symbolic_zero_loss_codes == 24
    assert r.complete_symbolic_zero_loss_codes == r.one_unit_per_value_zero_loss_codes == 24
    assert r.canonical_zero_loss_codes == 1  # one orbit under permutations of the modules


def test_certifies_four_by_four():
    """Target grid 2: factors (4,4), modules (4,4), about 3e16 codes; 2 zero-loss codes."""
    setup = make((4, 4), (4, 4))
    r = bb.bnb_search(setup)
    assert r.complete_search and r.counterexample is None
    assert r.zero_loss_codes == r.complete_one_unit_per_value_zero_loss_codes == 2
    for code, symbolic, complete in r.zero_loss_sample:
        assert symbolic and complete
        assert nw.exact_code_loss(setup, code) == 0


def test_counterexample_on_a_large_grid_is_exactly_zero_loss_and_non_symbolic():
    """The sum task on four binary factors (H2 fails): the search exhibits a code that exact
    rational arithmetic confirms has zero loss and numerics.metrics calls non-symbolic."""
    setup = make((2, 2, 2, 2), (2, 2, 2, 2), "sum")
    r = bb.bnb_search(setup, stop_at_counterexample=True)
    code = r.counterexample
    assert code is not None
    assert nw.exact_code_loss(setup, code) == 0
    v = symbolic_verdict(onehot_code([np.array(c) for c in code], setup.modules), setup.grid)
    assert not v.symbolic


@pytest.mark.parametrize(
    ("factors", "modules", "tasks", "nonsymbolic_exists"),
    [((2, 2), (2, 2), "sum", True), ((2, 2), (2, 2), "factor-onehot", False)],
)
def test_bnb_agrees_with_the_milp(factors, modules, tasks, nonsymbolic_exists):
    """A zero-loss non-symbolic code exists iff the MILP's non-symbolic zero-loss program is
    feasible (the property test of test_wta_milp.py covers random grids)."""
    setup = make(factors, modules, tasks)
    milp = wm.milp_search(
        setup, objective="zero", nonsymbolic_only=True, zero_tol=pw.MILP_ZERO_TOL, time_limit=60
    )
    assert milp.decided
    milp_found = milp.status == "optimal"
    b = bb.bnb_search(setup)
    assert b.complete_search
    assert milp_found == (b.counterexample is not None) == nonsymbolic_exists


def test_orbit_counting_of_identical_modules():
    """Modules (2,2,2) on three binary factors: one canonical code stands for 3! tuples;
    modules (3,2) vs (2,3) (no identical modules) count the same 26 + 26 codes as exhaustive."""
    r = bb.bnb_search(make((2, 2, 2), (2, 2, 2)))
    assert (r.canonical_zero_loss_codes, r.zero_loss_codes) == (1, 6)
    for modules in ((3, 2), (2, 3)):
        setup = make((2, 2), modules)
        assert bb.bnb_search(setup).zero_loss_codes == nw.exhaustive_search(setup).zero_loss_codes


def _one_unit_per_value(setup, code) -> bool:
    """Independent reading: every non-constant unit is active exactly on one factor value."""
    z = setup.grid
    for c, m in zip(code, setup.modules, strict=True):
        for u in range(m):
            active = np.asarray(c) == u
            if active.any() and not active.all():
                if not any(
                    np.array_equal(active, z[:, k] == a)
                    for k in range(z.shape[1])
                    for a in range(setup.factors[k])
                ):
                    return False
    return True


@pytest.mark.parametrize(
    ("factors", "modules", "zero", "strict"),
    [
        ((3,), (2, 2), 6, 0),  # two binary modules share the three-valued factor
        ((2, 3), (2, 2, 2), 18, 0),
        ((3, 3), (3, 3), 2, 2),
        ((2, 2), (3, 2), 26, 2),  # H3 fails: 2 symbolic codes, both one-hot
    ],
)
def test_one_unit_per_value_reading(factors, modules, zero, strict):
    """Under H1-H3 every zero-loss code is a cylinder code (WTA-1), but when a factor is
    split over several smaller modules none has one unit per factor value."""
    setup = make(factors, modules)
    r = bb.bnb_search(setup)
    assert (r.zero_loss_codes, r.one_unit_per_value_zero_loss_codes) == (zero, strict)
    assert r.one_unit_per_value_zero_loss_codes <= r.symbolic_zero_loss_codes
    # the flags against an independent reading, on every zero-loss code of the setup
    e = nw.exhaustive_search(setup)
    codes = [c for c, _, _ in e.zero_loss_sample]
    assert len(codes) == zero
    assert sum(_one_unit_per_value(setup, c) for c in codes) == strict


def test_one_unit_per_value_flags_by_hand():
    grid = tw.grid_points((2, 3))
    # module = z2 one-hot (strict, values of factor 1 all present); z1 with 2 units; a
    # coarsening {z2 = 0} | {z2 in {1, 2}} (a cylinder, not one value per unit)
    labels = np.array([list(grid[:, 1]), list(grid[:, 0]), [0, 1, 1, 0, 1, 1]])
    strict, values = bb.one_unit_per_value_flags(labels, 3, grid, (2, 3))
    assert strict.tolist() == [True, True, False]
    assert [int(v) for v in values] == [0b11100, 0b00011, 0b00100]


def test_point_order_closes_rectangles_early():
    setup = make((3, 3), (3, 3))
    order = bb.point_order(setup).tolist()
    assert order[:4] == [0, 1, 3, 4]
    assert sorted(order) == list(range(9))
    held = make((2, 3), (2, 3), holdout=[4])
    assert 4 not in bb.point_order(held).tolist()


# --------------------------------------------------------------------------- method key


def test_auto_chooses_bnb_beyond_the_exhaustive_limit():
    big = make((4, 4), (4, 4))
    assert pw.choose_method(big, "auto")[0] == "bnb"
    assert pw.choose_method(make((2, 2), (2, 2)), "auto")[0] == "exhaustive"
    with pytest.raises(SpecError) as err:
        FAMILY.check(big, CheckOptions(verify=True, method="exhaustive"))
    assert err.value.key == "method" and "'bnb'" in str(err.value)
    # beyond BNB_AUTO_MAX_POINTS grid points auto asks for an explicit method
    huge = make((8, 8), (3, 3))
    with pytest.raises(SpecError) as err:
        FAMILY.check(huge, CheckOptions(verify=True))
    assert err.value.key == "method" and "'bnb'" in str(err.value)


def test_method_bnb_from_a_spec_certifies_and_cross_checks():
    setup = make((2, 2), (2, 2), "sum", method="bnb")
    result = FAMILY.check(setup, CheckOptions(verify=True))
    v = result.verification
    assert v.method == "bnb" and v.verdict == "verified"
    assert v.measured["counterexample"] is not None and v.measured["complete_search"]
    assert v.measured["one_unit_per_value_zero_loss_codes"] == 2
    names = [c.quantity for c in v.comparisons]
    assert "zero-loss codes (branch-and-bound vs exhaustive)" in names


def test_invalid_method_key_names_the_key():
    with pytest.raises(SpecError) as err:
        make((2, 2), (2, 2), method="branch-and-bound")
    assert err.value.key == "method"


def test_exhaustive_check_reports_both_readings():
    setup = make((2, 3), (2, 2, 2))
    v = FAMILY.check(setup, CheckOptions(verify=True)).verification
    assert v.method == "exhaustive" and v.verdict == "verified"
    assert v.measured["zero_loss_codes"] == v.measured["symbolic_zero_loss_codes"] == 18
    assert v.measured["one_unit_per_value_zero_loss_codes"] == 0
    assert set(v.measured["symbolic_readings"]) == {"cylinder", "one_unit_per_value"}


def test_hand_count_of_three_valued_factor_on_two_binary_modules():
    """Factor (3,), modules (2,2): each module is a cut {0}|{1,2} or {0,1}|{2} or {0,2}|{1};
    zero loss needs two different cuts (span 3 = dim A): 3 * 2 = 6 ordered tuples."""
    cuts = [(0, 1, 1), (0, 0, 1), (0, 1, 0)]
    setup = make((3,), (2, 2))
    hand = sum(
        nw.naive_code_loss(setup, (a, b)) < 1e-12 for a, b in itertools.product(cuts, repeat=2)
    )
    assert hand == 6 == bb.bnb_search(setup).zero_loss_codes
