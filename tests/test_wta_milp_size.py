"""The WTA MILP's size counted without building it (numerics/wta_milp.py ``milp_size``)
against the built program (``milp_program``), block by block, and the cost estimate's size.

Two routes: ``milp_size`` derives each block's rows, nonzeros and new columns from the
layout in closed per-point sums; ``milp_program`` builds the COO triples. The counts are
integers, so they must agree exactly (no tolerance).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from mtl_theory.numerics import wta as nw
from mtl_theory.numerics import wta_milp as wm
from mtl_theory.proofs import wta as pw
from mtl_theory.theory import wta as tw
from scipy.sparse.csgraph import connected_components

from mtl_theory import cost as mc
from mtl_theory.api import load_spec

ROOT = Path(__file__).resolve().parents[1]
WTA_EXAMPLES = sorted((ROOT / "examples").glob("wta-*.toml"))
VARIANTS = [
    (objective, ns, sep)
    for objective in wm.OBJECTIVES
    for ns in (False, True)
    for sep in (True, False)
    if objective == "zero" or sep
]


def _built(setup, **kw):
    """(rows, nonzeros) per named block, and the totals, of the built program."""
    prog = wm.milp_program(setup, **kw)
    blocks = [(name, blk.n_rows, len(blk.vals)) for name, blk in prog.blocks]
    totals = (prog.n_rows, prog.n_cols, prog.n_integers, prog.n_nonzeros, prog.possible)
    return blocks, totals


def _counted(setup, **kw):
    size = wm.milp_size(setup, **kw)
    blocks = [(name, b.rows, b.nonzeros) for name, b in size.blocks]
    return blocks, (size.rows, size.cols, size.integers, size.nonzeros, size.possible)


def _assert_same_size(setup, objective, nonsymbolic_only, separation, zero_tol=1e-6):
    kw = dict(
        objective=objective,
        nonsymbolic_only=nonsymbolic_only,
        separation=separation,
        zero_tol=zero_tol,
    )
    try:
        built = _built(setup, **kw)
    except ValueError as exc:  # disconnected support: both refuse, with the same message
        with pytest.raises(ValueError) as counted:
            wm.milp_size(setup, **kw)
        assert str(counted.value) == str(exc)
        return
    assert _counted(setup, **kw) == built


@pytest.mark.parametrize("path", WTA_EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize(("objective", "nonsymbolic_only", "separation"), VARIANTS)
def test_size_of_every_wta_example_equals_the_built_program(
    path, objective, nonsymbolic_only, separation
):
    _assert_same_size(load_spec(path).setup, objective, nonsymbolic_only, separation)


@st.composite
def milp_setups(draw):
    """1-3 factors of 2-4 values (at most 27 points), 1-3 modules of 2..min(4, P) units,
    1-3 tasks of small integers (ties make few separation pairs, distinct values many),
    optionally one held-out point (which can disconnect the support)."""
    factors = tuple(draw(st.lists(st.integers(2, 4), min_size=1, max_size=3)))
    while math.prod(factors) > 27:
        factors = factors[:-1]
    p = math.prod(factors)
    modules = tuple(draw(st.lists(st.integers(2, min(4, p)), min_size=1, max_size=3)))
    n_tasks = draw(st.integers(1, 3))
    top = draw(st.sampled_from([1, 2, 5]))
    rows = draw(
        st.lists(
            st.lists(st.integers(0, top), min_size=p, max_size=p),
            min_size=n_tasks,
            max_size=n_tasks,
        )
    )
    targets = tuple(tuple(float(v) for v in r) for r in rows)
    holdout = (draw(st.integers(0, p - 1)),) if p >= 3 and draw(st.booleans()) else ()
    return tw.WTASetup(factors, modules, targets, holdout)


@given(
    milp_setups(),
    st.sampled_from(VARIANTS),
    st.sampled_from([1e-6, 0.75, 10.0]),
)
# a one-factor grid: no unit can depend on two factors (no program)
@example(tw.WTASetup((3,), (3,), ((0.0, 1.0, 2.0),)), ("zero", True, True), 1e-6)
# the corner of a 2x2 grid held out: disconnected? (no: the other three stay joined)
@example(tw.WTASetup((2, 2), (2, 2), ((0.0, 1.0, 1.0, 2.0),), (0,)), ("zero", True, True), 1e-6)
# a 2x2x2 grid without one point, equal modules, all pairs separated
@example(tw.WTASetup((2, 2, 2), (2, 2, 2), (tuple(range(8)),), (3,)), ("zero", True, True), 1e-6)
def test_size_equals_the_built_program_on_drawn_setups(setup, variant, zero_tol):
    objective, nonsymbolic_only, separation = variant
    _assert_same_size(setup, objective, nonsymbolic_only, separation, zero_tol)


@pytest.mark.parametrize("slack", [0, -1])
def test_separation_block_appears_exactly_up_to_the_row_limit(monkeypatch, slack):
    """At MAX_SEPARATION_ROWS = pairs x (sum m_g + 1) the block is added, one row less and it
    is not, in the built program and in the count alike."""
    setup = tw.WTASetup((2, 3), (2, 3), tw.make_targets((2, 3), "sum"))
    y = setup.target_array[:, wm.milp_points(setup)]
    n_pairs = len(wm.separation_pairs(y, 1e-6))
    assert n_pairs > 0
    monkeypatch.setattr(wm, "MAX_SEPARATION_ROWS", n_pairs * (sum(setup.modules) + 1) + slack)
    kw = dict(objective="zero", zero_tol=1e-6)
    blocks, _ = _built(setup, **kw)
    assert ("separation" in [b[0] for b in blocks]) == (slack == 0)
    assert _counted(setup, **kw) == _built(setup, **kw)


def _pairs_directly(y, tol):
    """The full T x P x P gap array (the builder's earlier one-shot computation)."""
    gap = np.max(np.abs(y[:, :, None] - y[:, None, :]), axis=0, initial=0.0)
    i, j = np.nonzero(np.triu(gap > 2 * tol, k=1))
    return list(zip(i.tolist(), j.tolist(), strict=True))


@given(
    st.integers(1, 3),
    st.integers(1, 30),
    st.integers(0, 2**16),
    st.sampled_from([1, 7, 64]),
    st.sampled_from([1e-6, 0.5]),
)
def test_chunked_separation_pairs_equal_the_full_gap_matrix(t, p, seed, chunk, tol):
    """Blocks of rows (down to one gap at a time) list the same pairs in the same order, and
    the early stop says None exactly when there are more than ``max_pairs``."""
    y = np.random.default_rng(seed).integers(0, 3, size=(t, p)).astype(float)
    want = _pairs_directly(y, tol)
    assert wm.separation_pairs(y, tol, chunk_entries=chunk) == want
    for limit in {0, max(len(want) - 1, 0), len(want), len(want) + 1}:
        got = wm.separation_pairs(y, tol, limit, chunk_entries=chunk)
        assert got == (want if len(want) <= limit else None)


def _grid_subsets():
    return st.tuples(
        st.lists(st.integers(2, 4), min_size=1, max_size=3),
        st.integers(0, 2**16),
    )


@given(_grid_subsets())
def test_edges_and_connectivity_equal_the_pairwise_route(drawn):
    """factor_edge_counts and support_connected (O(P) class paths) against every pair of
    points compared coordinate by coordinate, and the full edge graph's components."""
    factors, seed = drawn
    full = np.array(list(itertools.product(*(range(n) for n in factors))), dtype=int)
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(full), size=rng.integers(1, len(full) + 1), replace=False))
    grid = full[rng.permutation(keep)]
    n, k = grid.shape
    edges = [[] for _ in range(k)]
    for a, b in itertools.combinations(range(n), 2):
        differ = np.flatnonzero(grid[a] != grid[b])
        if len(differ) == 1:
            edges[int(differ[0])].append((a, b))
    assert wm.factor_edge_counts(grid) == tuple(len(e) for e in edges)
    assert wm.factor_edge_counts(grid) == tuple(len(i) for i, _ in nw._factor_edges(grid, k))
    flat = [e for per in edges for e in per]
    adjacency = np.zeros((n, n))
    for a, b in flat:
        adjacency[a, b] = 1
    assert wm.support_connected(grid) == (connected_components(adjacency, directed=False)[0] == 1)


@pytest.mark.parametrize(
    ("factors", "modules", "tasks"),
    [((2, 3), (2, 3), "sum"), ((2, 2), (3, 2), "factor-onehot"), ((3,), (3,), "factor-onehot")],
)
def test_solved_programs_report_the_counted_rows_and_integers(factors, modules, tasks):
    """The rows and integer columns milp_search reports equal the count (the route's JSON
    ``milp_size``), for each program of the route."""
    setup = tw.WTASetup(factors, modules, tw.make_targets(factors, tasks))
    for objective, ns in (("zero", False), ("zero", True), ("linf", False)):
        kw = dict(objective=objective, nonsymbolic_only=ns, zero_tol=pw.MILP_ZERO_TOL)
        r = wm.milp_search(setup, time_limit=20, **kw)
        size = wm.milp_size(setup, **kw)
        assert (r.n_rows, r.n_binaries) == (size.rows, size.integers)


def test_cost_counts_the_route_programs():
    """cost.wta_milp_size adds the route's programs (proofs.wta.milp_solves): both zero-loss
    programs, and the L-inf program that runs when zero loss is impossible."""
    setup = load_spec(ROOT / "examples/wta-milp.toml").setup
    sizes = [
        wm.milp_size(setup, objective="zero", zero_tol=pw.MILP_ZERO_TOL),
        wm.milp_size(setup, objective="zero", nonsymbolic_only=True, zero_tol=pw.MILP_ZERO_TOL),
        wm.milp_size(setup, objective="linf"),
    ]
    assert mc.wta_milp_size(setup) == (
        sum(s.integers for s in sizes),
        sum(s.rows for s in sizes),
        sum(s.nonzeros for s in sizes),
    )


@pytest.mark.parametrize("quick", [False, True])
def test_cost_time_limits_are_the_route_limits(monkeypatch, quick):
    """cost.MILP_TIME_LIMIT is what proofs.wta.milp_solves passes to its zero-loss solves
    (the limit is written out there, in the layer cost.py may not be imported from)."""
    seen = []
    real = wm.milp_search

    def record(setup, **kw):
        seen.append((kw["objective"], kw["time_limit"]))
        return real(setup, **kw)

    monkeypatch.setattr(pw.nmilp, "milp_search", record)
    setup = tw.WTASetup((2, 2), (2, 2), tw.make_targets((2, 2), "xor"))  # zero loss impossible
    pw.milp_solves(setup, quick)
    zero_limits = {limit for objective, limit in seen if objective == "zero"}
    assert zero_limits == {mc.MILP_TIME_LIMIT[quick]}
    assert [o for o, _ in seen] == ["zero", "zero", "linf"]
    assert seen[-1][1] >= mc.MILP_LAST_SOLVE_FLOOR
