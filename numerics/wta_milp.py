"""The WTA code search as a mixed-integer program (scipy.optimize.milp, i.e. HiGHS).

One statement per function: the data-derived bounds (:func:`milp_bounds`), the variable
layout (:func:`milp_layout`), one function per constraint family, the solve and the decoding.

Formulation (``derived``). Training points p = 0..P-1 (``setup.support`` in the order of
:func:`milp_points`), modules g with m_g units, tasks t with targets y_t(p).

* Assignments a[g, p, j] in {0, 1}, sum_j a[g, p, j] = 1.
* Unit relabelling (units of a module are interchangeable): *first occurrence* order — point
  p may win unit j >= 1 only if some earlier point won unit j - 1,
  a[g, p, j] <= sum_{q < p} a[g, q, j - 1]; so a[g, p, j] = 0 for j > p and a[g, 0, 0] = 1.
  Every partition of the points into at most m_g blocks has exactly one such labelling (units
  numbered by first use, the convention of exhaustive search's counts), so nothing is lost.
* Identical modules (equal m_g; the readout is a sum over modules, so permuting them changes
  neither the loss nor the symbolic verdict): within each class of equal sizes, in index order,
  f(g) <= f(h) with the linear key f(g) = sum_p (P - p) sum_j j a[g, p, j]. Any key is a valid
  ordering (sort the modules by it); a linear one leaves ties, so this breaks only part of the
  symmetry.
* Readout: per module the contribution v[g, t, p] = w[g, t, a_g(p)] with the gauge
  w[g, t, 0] = 0 (point 0's unit, by the first-occurrence order; a constant shift of a module's
  weights is absorbed by the bias b_t), linked by
  |v[g, t, p]| <= W_t (1 - a[g, p, 0]) and |v[g, t, p] - w[g, t, j]| <= 2 W_t (1 - a[g, p, j]);
  prediction b_t + sum_g v[g, t, p], error e = prediction - y_t(p).
* ``objective = "linf"``: minimise eps with |e| <= eps (max error over tasks and points).
  ``objective = "zero"``: feasibility of |e| <= tol, plus the *separation rows* below.

Data-derived bounds (``derived``; replace the earlier constant big-M 4 G max(spread, 1), under
which a certificate held only for codes whose readout fitted it). Let r = sum_g (m_g - 1), the
number of gauge-fixed unit columns, and h(n) the largest |det| of an n x n 0/1 matrix.
Hadamard's bound applied to the (n+1) x (n+1) +-1 matrix that embeds a 0/1 matrix gives
h(n) <= (n + 1)^((n+1)/2) / 2^n, and h(n) is an integer, so its floor is a bound.

1. *Error.* The constant readout b_t = midrange of y_t has error spread_t / 2 on every code,
   so an optimum has eps <= E = max_t spread_t / 2; and since tasks are fitted independently
   for a fixed code, some optimum has every task's own error <= min(eps, spread_t / 2).
2. *Weights.* Fix a code and such an optimal prediction yhat_t. In the gauge, yhat_t(p) -
   yhat_t(p_0) = (X w)(p), where X holds the indicator columns of the units j >= 1 (the row of
   point 0 is zero), and |yhat_t(p) - yhat_t(p_0)| <= spread_t + 2 spread_t / 2 = 2 spread_t.
   Take a maximal independent set C of X's columns (|C| <= r) and rows R with B = X[R, C]
   nonsingular; w_C = B^{-1} (yhat - yhat(p_0))_R (other weights 0) reproduces yhat because
   yhat - yhat(p_0) lies in the span of X_C. By Cramer's rule w_i = det(B_i) / det(B) with
   |det B| >= 1 (a nonzero integer) and |det B_i| <= sum_rows |rhs| |cofactor| <= |C| (2 spread_t)
   h(|C| - 1). Hence some optimum has |w[g, t, j]| <= W_t = 2 r h(r - 1) spread_t, and then
   |v| <= W_t and |v - w_j| <= 2 W_t: the linking rows and variable bounds cut off no optimum.
   With zero loss (eps = 0), yhat = y and the bound halves; we keep the one W_t for both.
3. *Bias.* b_t = yhat_t(p_0) lies in [min y_t - spread_t / 2, max y_t + spread_t / 2].

So the optimum of the program is the optimum over all codes — no ``bound_active`` caveat.

Separation rows (``objective = "zero"``, ``derived``): if two points' targets differ in some
task by more than 2 tol, a code of zero loss (within tol) cannot give them the same unit in
every module: with continuous s[g, p, q] >= a[g, p, j] + a[g, q, j] - 1 for every j (so
s >= 1 when they share module g's unit) require sum_g s[g, p, q] <= G - 1. Added when the
pairs x (sum_g m_g + 1) rows stay below ``MAX_SEPARATION_ROWS``.

Non-symbolic codes only (``nonsymbolic_only``): the code must contain a unit that depends on
two or more factors (the cylinder-set reading of THEORY.md 1.2, on the training points): for
each unit and edge (two training points differing in factor k only) a continuous
0 <= c <= a_i + a_j, c <= 2 - a_i - a_j (c can be positive only when the unit's activity
differs across the edge), d[g, j, k] <= sum of c over k's edges with 0 <= d <= 1, binary
s[g, j] with 2 s[g, j] <= sum_k d[g, j, k], and sum s >= 1. With a integral, d can reach 1
exactly when the unit depends on factor k, so the rows are exact.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np
from mtl_theory.numerics.wta import _factor_edges, lstsq_residual
from mtl_theory.theory.wta import WTASetup
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

#: Separation rows are added below this many rows (beyond, the program grows quadratically
#: in the grid points for a cut that only speeds the solve up).
MAX_SEPARATION_ROWS = 200_000
#: Gaps computed at a time by :func:`separation_pairs` (8 bytes each).
SEPARATION_CHUNK_ENTRIES = 1 << 20
#: Objectives: minimum L-infinity error, or feasibility of zero error within ``tol``.
OBJECTIVES = ("linf", "zero")


def hadamard_01_det_bound(n: int) -> int:
    """An upper bound on |det| of every n x n matrix with entries in {0, 1} (``derived``).

    A 0/1 matrix M of order n maps to the (n+1) x (n+1) +-1 matrix [[1, 1^T], [1, 1 - 2M]]
    (up to signs) with |det| = 2^n |det M|; Hadamard's inequality bounds the latter by
    (n + 1)^((n+1)/2). The determinant is an integer, so the floor is a bound.

    Examples
    --------
    >>> [hadamard_01_det_bound(n) for n in range(1, 8)]
    [1, 1, 2, 3, 6, 14, 32]
    """
    if n <= 0:
        return 1
    bound = (n + 1) ** ((n + 1) / 2) / 2**n
    return max(1, math.floor(bound * (1 + 1e-12)))


@dataclass(frozen=True)
class MILPBounds:
    """Data-derived bounds of the program (module docstring, items 1-3).

    ``rank`` r = sum_g (m_g - 1); ``det_bound`` h(r - 1); ``weight[t]`` W_t; ``error`` E;
    ``bias[t]`` the interval of b_t.
    """

    rank: int
    det_bound: int
    weight: tuple[float, ...]
    error: float
    bias: tuple[tuple[float, float], ...]


def milp_bounds(setup: WTASetup) -> MILPBounds:
    """The bounds W_t = 2 r h(r - 1) spread_t, E = max spread_t / 2 and the bias intervals."""
    y = setup.target_array[:, setup.support]
    spread = np.ptp(y, axis=1) if y.shape[1] else np.zeros(len(y))
    rank = sum(m - 1 for m in setup.modules)
    det = hadamard_01_det_bound(rank - 1)
    # a task with zero spread still gets a positive box (its weights are then 0 at the optimum)
    weight = tuple(float(2 * rank * det * max(s, 1e-12)) for s in spread)
    bias = tuple(
        (float(lo - s / 2), float(hi + s / 2))
        for lo, hi, s in zip(y.min(axis=1), y.max(axis=1), spread, strict=True)
    )
    return MILPBounds(rank, det, weight, float(np.max(spread, initial=0.0) / 2), bias)


@dataclass(frozen=True)
class MILPLayout:
    """Column offsets of the variable vector: a (G, P, m_g), w (G, T, m_g - 1), v (G, T, P),
    b (T), eps, then the non-symbolic block (c, d, s) and the separation block."""

    n_points: int
    n_tasks: int
    modules: tuple[int, ...]
    a: tuple[int, ...]
    w: tuple[int, ...]
    v: tuple[int, ...]
    b: int
    eps: int
    size: int

    def a_index(self, g: int, p: int, j: int) -> int:
        return self.a[g] + p * self.modules[g] + j

    def w_index(self, g: int, t: int, j: int) -> int:
        return self.w[g] + t * (self.modules[g] - 1) + (j - 1)

    def v_index(self, g: int, t: int, p: int) -> int:
        return self.v[g] + t * self.n_points + p


def milp_layout(setup: WTASetup) -> MILPLayout:
    """Offsets of the core variables (assignments, weights, contributions, bias, eps)."""
    n_points, n_tasks = len(setup.support), len(setup.targets)
    at = 0
    a, w, v = [], [], []
    for m in setup.modules:
        a.append(at)
        at += n_points * m
    for m in setup.modules:
        w.append(at)
        at += n_tasks * (m - 1)
    for _ in setup.modules:
        v.append(at)
        at += n_tasks * n_points
    b = at
    eps = b + n_tasks
    return MILPLayout(
        n_points, n_tasks, tuple(setup.modules), tuple(a), tuple(w), tuple(v), b, eps, eps + 1
    )


@dataclass(frozen=True)
class RowBlock:
    """Sparse rows lb <= A x <= ub over ``n_cols`` columns (COO triples)."""

    rows: tuple[int, ...]
    cols: tuple[int, ...]
    vals: tuple[float, ...]
    lb: tuple[float, ...]
    ub: tuple[float, ...]

    @property
    def n_rows(self) -> int:
        return len(self.lb)


class _Rows:
    """Accumulates rows as {column: coefficient} dictionaries (builder; frozen at the end)."""

    def __init__(self) -> None:
        self.r: list[int] = []
        self.c: list[int] = []
        self.v: list[float] = []
        self.lb: list[float] = []
        self.ub: list[float] = []

    def add(self, coeffs: dict[int, float], lb: float, ub: float) -> None:
        row = len(self.lb)
        for col, val in coeffs.items():
            self.r.append(row)
            self.c.append(col)
            self.v.append(float(val))
        self.lb.append(float(lb))
        self.ub.append(float(ub))

    def freeze(self) -> RowBlock:
        return RowBlock(tuple(self.r), tuple(self.c), tuple(self.v), tuple(self.lb), tuple(self.ub))


def assignment_rows(lay: MILPLayout) -> RowBlock:
    """Every point wins exactly one unit of every module: sum_j a[g, p, j] = 1."""
    rows = _Rows()
    for g, m in enumerate(lay.modules):
        for p in range(lay.n_points):
            rows.add({lay.a_index(g, p, j): 1.0 for j in range(m)}, 1.0, 1.0)
    return rows.freeze()


def first_occurrence_rows(lay: MILPLayout) -> RowBlock:
    """Units numbered by first use: a[g, p, j] - sum_{q < p} a[g, q, j - 1] <= 0 (j >= 1)."""
    rows = _Rows()
    for g, m in enumerate(lay.modules):
        for p in range(1, lay.n_points):
            for j in range(1, min(m, p + 1)):
                coeffs = {lay.a_index(g, q, j - 1): -1.0 for q in range(p)}
                coeffs[lay.a_index(g, p, j)] = 1.0
                rows.add(coeffs, -np.inf, 0.0)
    return rows.freeze()


def module_key_weights(n_points: int, units: int) -> tuple[float, ...]:
    """Weights c_p of the module key f = sum_p c_p L(p), L(p) = sum_j j a[p, j] the label.

    Lexicographic on the first K points (c_p = m^(K-1-p), K the largest with m^K <= 2^20,
    so the coefficients stay exact in the solver's float arithmetic), 0 afterwards.
    """
    k = module_key_length(n_points, units)
    return tuple(float(units ** (k - 1 - p)) if p < k else 0.0 for p in range(n_points))


def module_key_length(n_points: int, units: int) -> int:
    """K, the number of leading points with a nonzero weight in :func:`module_key_weights`."""
    return max(1, min(n_points, int(20 // math.log2(units))))


def module_order_rows(lay: MILPLayout) -> RowBlock:
    """Equal-size modules in order of the key of :func:`module_key_weights`."""
    rows = _Rows()
    by_size: dict[int, list[int]] = {}
    for g, m in enumerate(lay.modules):
        by_size.setdefault(m, []).append(g)
    for same in by_size.values():
        for g, h in itertools.pairwise(same):
            weights = module_key_weights(lay.n_points, lay.modules[g])
            coeffs: dict[int, float] = {}
            for p, c in enumerate(weights):
                for j in range(1, min(lay.modules[g], p + 1)):
                    if c:
                        coeffs[lay.a_index(g, p, j)] = c * j
                        coeffs[lay.a_index(h, p, j)] = -c * j
            rows.add(coeffs, -np.inf, 0.0)
    return rows.freeze()


def link_rows(lay: MILPLayout, bounds: MILPBounds) -> RowBlock:
    """v[g, t, p] = w[g, t, a_g(p)] linearised with the derived W_t (module docstring)."""
    rows = _Rows()
    for g, m in enumerate(lay.modules):
        for t in range(lay.n_tasks):
            big = bounds.weight[t]
            for p in range(lay.n_points):
                v = lay.v_index(g, t, p)
                a0 = lay.a_index(g, p, 0)
                # |v| <= W (1 - a0)
                rows.add({v: 1.0, a0: big}, -np.inf, big)
                rows.add({v: -1.0, a0: big}, -np.inf, big)
                for j in range(1, min(m, p + 1)):
                    w, aj = lay.w_index(g, t, j), lay.a_index(g, p, j)
                    # |v - w_j| <= 2 W (1 - a_j)
                    rows.add({v: 1.0, w: -1.0, aj: 2 * big}, -np.inf, 2 * big)
                    rows.add({v: -1.0, w: 1.0, aj: 2 * big}, -np.inf, 2 * big)
    return rows.freeze()


def error_rows(lay: MILPLayout, y: np.ndarray, zero_tol: float | None) -> RowBlock:
    """|b_t + sum_g v[g, t, p] - y_t(p)| <= eps (``linf``) or <= zero_tol (``zero``)."""
    rows = _Rows()
    for t in range(lay.n_tasks):
        for p in range(lay.n_points):
            coeffs = {lay.b + t: 1.0}
            for g in range(len(lay.modules)):
                coeffs[lay.v_index(g, t, p)] = 1.0
            if zero_tol is None:
                rows.add({**coeffs, lay.eps: -1.0}, -np.inf, y[t, p])
                rows.add({**coeffs, lay.eps: 1.0}, y[t, p], np.inf)
            else:
                rows.add(coeffs, y[t, p] - zero_tol, y[t, p] + zero_tol)
    return rows.freeze()


def separation_pairs(
    y: np.ndarray,
    zero_tol: float,
    max_pairs: int | None = None,
    chunk_entries: int = SEPARATION_CHUNK_ENTRIES,
) -> list[tuple[int, int]] | None:
    """Pairs (p, q), p < q, of points whose targets differ by more than 2 zero_tol in some
    task, in row-major order; None as soon as there are more than ``max_pairs``.

    Computed a block of points p at a time (about ``chunk_entries`` gaps per block), so
    neither the program's builder nor its size (:func:`milp_size`) holds the P x P gap
    matrix, and a grid whose pairs exceed the limit is recognised early.
    """
    n_points = y.shape[1]
    step = max(1, chunk_entries // max(n_points, 1))
    pairs: list[tuple[int, int]] = []
    for start in range(0, n_points, step):
        stop = min(n_points, start + step)
        gap = np.zeros((stop - start, n_points))
        for row in y:
            np.maximum(gap, np.abs(row[start:stop, None] - row[None, :]), out=gap)
        upper = np.arange(n_points)[None, :] > np.arange(start, stop)[:, None]
        i, j = np.nonzero((gap > 2 * zero_tol) & upper)
        pairs += zip((i + start).tolist(), j.tolist(), strict=True)
        if max_pairs is not None and len(pairs) > max_pairs:
            return None
    return pairs


def max_separation_pairs(lay: MILPLayout) -> int:
    """The most pairs whose separation rows are added: pairs x (sum_g m_g + 1) rows, an upper
    bound on the block's rows, stay within ``MAX_SEPARATION_ROWS``."""
    return MAX_SEPARATION_ROWS // (sum(lay.modules) + 1)


def separation_rows(lay: MILPLayout, pairs: list[tuple[int, int]], first_col: int) -> RowBlock:
    """Points with different targets differ in some module (module docstring); the
    continuous s[g, pair] occupy columns ``first_col`` onward, pair-major."""
    rows = _Rows()
    n_mod = len(lay.modules)
    for k, (p, q) in enumerate(pairs):
        for g, m in enumerate(lay.modules):
            s = first_col + k * n_mod + g
            for j in range(min(m, q + 1)):
                rows.add(
                    {s: 1.0, lay.a_index(g, p, j): -1.0, lay.a_index(g, q, j): -1.0}, -1.0, np.inf
                )
        rows.add({first_col + k * n_mod + g: 1.0 for g in range(n_mod)}, -np.inf, n_mod - 1)
    return rows.freeze()


@dataclass(frozen=True)
class NonsymbolicBlock:
    """Rows and extra columns of the non-symbolic restriction: ``n_cols`` new columns from
    ``first_col``, of which ``binary`` are integral; ``possible`` is False when no unit can
    depend on two factors (then no non-symbolic code exists)."""

    block: RowBlock
    first_col: int
    n_cols: int
    binary: tuple[int, ...]
    upper: tuple[float, ...]
    possible: bool


def _other_factor_groups(grid: np.ndarray, k: int) -> np.ndarray:
    """For each point, the id of its class of points equal in every factor but k: two
    distinct points of a class differ in factor k only, i.e. form an edge of factor k."""
    others = np.delete(grid, k, axis=1)
    if others.shape[1] == 0:
        return np.zeros(len(grid), dtype=int)
    return np.unique(others, axis=0, return_inverse=True)[1].reshape(-1)


def factor_edge_counts(grid: np.ndarray) -> tuple[int, ...]:
    """Per factor k, the number of edges (pairs of distinct points differing in factor k
    only): sum over the classes of :func:`_other_factor_groups` of C(size, 2), the pairs
    :func:`mtl_theory.numerics.wta._factor_edges` lists, without its P x P arrays."""
    counts = []
    for k in range(grid.shape[1]):
        sizes = np.bincount(_other_factor_groups(grid, k)) if len(grid) else np.zeros(0, int)
        counts.append(int(sum(int(c) * (int(c) - 1) // 2 for c in sizes)))
    return tuple(counts)


def support_connected(grid: np.ndarray) -> bool:
    """Whether the training points are connected by edges (pairs differing in one factor).

    On a connected support every unit that is active somewhere and inactive somewhere depends
    on some factor, so "not symbolic" (:func:`mtl_theory.numerics.wta.classify_partitions`:
    some such unit does not depend on exactly one factor) is "some unit depends on two or
    more factors", the restriction the program encodes. The points of a class of
    :func:`_other_factor_groups` are pairwise joined by edges; a path through each class
    (consecutive members) has the same connected components with O(P) edges.
    """
    from scipy.sparse.csgraph import connected_components

    n = len(grid)
    if n <= 1:
        return True
    rows, cols = [], []
    for k in range(grid.shape[1]):
        groups = _other_factor_groups(grid, k)
        order = np.argsort(groups, kind="stable")
        ids = groups[order]
        same = ids[1:] == ids[:-1]
        rows.append(order[:-1][same])
        cols.append(order[1:][same])
    rows_a, cols_a = np.concatenate(rows), np.concatenate(cols)
    graph = sparse.coo_array((np.ones(len(rows_a)), (rows_a, cols_a)), shape=(n, n))
    return connected_components(graph, directed=False)[0] == 1


def nonsymbolic_rows(lay: MILPLayout, grid: np.ndarray, first_col: int) -> NonsymbolicBlock:
    """Some unit depends on two or more factors (module docstring, last paragraph).

    Raises
    ------
    ValueError
        When the training support is not connected (:func:`support_connected`): there a
        non-constant unit can depend on no factor, a case these rows do not encode.
    """
    if not support_connected(grid):
        raise ValueError(
            "support: expected training points connected by one-factor changes for the "
            "non-symbolic MILP, given a disconnected support"
        )
    rows = _Rows()
    edges = [(i, j) for i, j in _factor_edges(grid, grid.shape[1]) if i.size]
    col = first_col
    upper: list[float] = []
    binary: list[int] = []
    multi: list[int] = []
    if len(edges) < 2:
        return NonsymbolicBlock(rows.freeze(), first_col, 0, (), (), False)
    for g, m in enumerate(lay.modules):
        for j in range(m):
            d_cols = []
            for i_idx, j_idx in edges:
                c_cols = []
                for p, q in zip(i_idx.tolist(), j_idx.tolist(), strict=True):
                    c = col
                    col += 1
                    upper.append(1.0)
                    ap, aq = lay.a_index(g, p, j), lay.a_index(g, q, j)
                    rows.add({c: 1.0, ap: -1.0, aq: -1.0}, -np.inf, 0.0)
                    rows.add({c: 1.0, ap: 1.0, aq: 1.0}, -np.inf, 2.0)
                    c_cols.append(c)
                d = col
                col += 1
                upper.append(1.0)
                rows.add({d: 1.0, **{c: -1.0 for c in c_cols}}, -np.inf, 0.0)
                d_cols.append(d)
            s = col
            col += 1
            upper.append(1.0)
            binary.append(s)
            rows.add({s: 2.0, **{d: -1.0 for d in d_cols}}, -np.inf, 0.0)
            multi.append(s)
    rows.add({s: 1.0 for s in multi}, 1.0, np.inf)
    return NonsymbolicBlock(
        rows.freeze(), first_col, col - first_col, tuple(binary), tuple(upper), True
    )


@dataclass(frozen=True)
class MILPResult:
    """The solver's answer.

    ``objective`` "linf" (``loss`` = max |error| of the best code found) or "zero"
    (``loss`` = max |error| of a code within ``zero_tol``, None if none was found);
    ``status``: "optimal" (proved: minimum reached / a code within ``zero_tol`` found and
    re-fitted independently), "infeasible" (proved: for "zero", no code of zero loss within
    the restriction), "time_limit" (not proved; ``dual_bound`` is the proved lower bound on
    the minimum, for "linf"), "inexact" (the solver's code fails the independent re-fit) or
    "error". ``decided`` says whether the question the program asks was settled.
    ``bounds`` are the derived bounds under which the program is exact (no caveat).
    """

    objective: str
    nonsymbolic_only: bool
    status: str
    loss: float | None
    code: tuple[tuple[int, ...], ...] | None
    dual_bound: float | None
    decided: bool
    bounds: MILPBounds
    n_binaries: int
    n_rows: int
    seconds: float


def _stack(blocks: list[RowBlock], n_cols: int) -> LinearConstraint | None:
    rows, cols, vals, lb, ub = [], [], [], [], []
    offset = 0
    for blk in blocks:
        rows.extend(r + offset for r in blk.rows)
        cols.extend(blk.cols)
        vals.extend(blk.vals)
        lb.extend(blk.lb)
        ub.extend(blk.ub)
        offset += blk.n_rows
    if not offset:
        return None
    a = sparse.csr_array((vals, (rows, cols)), shape=(offset, n_cols))
    return LinearConstraint(a, np.array(lb), np.array(ub))


def _core_bounds(lay: MILPLayout, bounds: MILPBounds, zero: bool) -> tuple[np.ndarray, ...]:
    """Variable boxes, integrality and objective of the core block."""
    lo = np.full(lay.size, -np.inf)
    hi = np.full(lay.size, np.inf)
    integrality = np.zeros(lay.size)
    for g, m in enumerate(lay.modules):
        for p in range(lay.n_points):
            for j in range(m):
                k = lay.a_index(g, p, j)
                lo[k], hi[k], integrality[k] = 0.0, (1.0 if j <= p else 0.0), 1
        for t in range(lay.n_tasks):
            big = bounds.weight[t]
            for j in range(1, m):
                lo[lay.w_index(g, t, j)], hi[lay.w_index(g, t, j)] = -big, big
            for p in range(lay.n_points):
                lo[lay.v_index(g, t, p)], hi[lay.v_index(g, t, p)] = -big, big
    for t, (b_lo, b_hi) in enumerate(bounds.bias):
        lo[lay.b + t], hi[lay.b + t] = b_lo, b_hi
    lo[lay.eps], hi[lay.eps] = 0.0, (0.0 if zero else bounds.error)
    cost = np.zeros(lay.size)
    if not zero:
        cost[lay.eps] = 1.0
    return lo, hi, integrality, cost


def milp_points(setup: WTASetup) -> np.ndarray:
    """The program's point order (grid indices): the branch-and-bound's shells
    (:func:`mtl_theory.numerics.wta_bnb.point_order`), where every point after the first
    shell closes a rectangle with earlier points; point 0 fixes the gauge."""
    from mtl_theory.numerics.wta_bnb import point_order

    return point_order(setup)


def _decode(setup: WTASetup, lay: MILPLayout, x: np.ndarray) -> tuple[tuple[int, ...], ...]:
    points = milp_points(setup)
    code = []
    for g, m in enumerate(lay.modules):
        block = x[lay.a[g] : lay.a[g] + lay.n_points * m].reshape(lay.n_points, m)
        full = np.full(setup.n_points, -1, dtype=int)
        full[points] = np.argmax(block, axis=1)
        code.append(tuple(int(v) for v in full))
    return tuple(code)


def _max_error(setup: WTASetup, code) -> float:
    """Max |error| of the code's least-squares readout: an independent re-fit of a code the
    zero program returns (the solver's own error rows hold only to its tolerances)."""
    return float(np.max(np.abs(lstsq_residual(setup, code)), initial=0.0))


@dataclass(frozen=True)
class MILPProgram:
    """The built program: named row blocks (in order), column boxes, integrality, cost.

    ``possible`` is False when the non-symbolic restriction admits no code at all
    (:class:`NonsymbolicBlock`); the program is then not built (no blocks, no columns).
    """

    layout: MILPLayout
    bounds: MILPBounds
    blocks: tuple[tuple[str, RowBlock], ...]
    lower: np.ndarray
    upper: np.ndarray
    integrality: np.ndarray
    cost: np.ndarray
    possible: bool

    @property
    def n_rows(self) -> int:
        return sum(b.n_rows for _, b in self.blocks)

    @property
    def n_cols(self) -> int:
        return len(self.cost)

    @property
    def n_integers(self) -> int:
        return int(np.sum(self.integrality))

    @property
    def n_nonzeros(self) -> int:
        return sum(len(b.vals) for _, b in self.blocks)


def milp_program(
    setup: WTASetup,
    *,
    objective: str = "linf",
    nonsymbolic_only: bool = False,
    zero_tol: float = 1e-6,
    separation: bool = True,
) -> MILPProgram:
    """Build the program of the module docstring (arguments as :func:`milp_search`)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, given {objective!r}")
    zero = objective == "zero"
    points = milp_points(setup)
    y = setup.target_array[:, points]
    grid = setup.grid[points]
    bounds = milp_bounds(setup)
    lay = milp_layout(setup)
    lo, hi, integrality, cost = _core_bounds(lay, bounds, zero)
    blocks = [
        ("assignment", assignment_rows(lay)),
        ("first_occurrence", first_occurrence_rows(lay)),
        ("module_order", module_order_rows(lay)),
        ("link", link_rows(lay, bounds)),
        ("error", error_rows(lay, y, zero_tol if zero else None)),
    ]
    extra_lo: list[float] = []
    extra_hi: list[float] = []
    extra_int: list[float] = []
    n_cols = lay.size
    if nonsymbolic_only:
        ns = nonsymbolic_rows(lay, grid, n_cols)
        if not ns.possible:
            empty = np.zeros(0)
            return MILPProgram(lay, bounds, (), empty, empty, empty, empty, False)
        blocks.append(("nonsymbolic", ns.block))
        binary = set(ns.binary)
        for k in range(ns.n_cols):
            extra_lo.append(0.0)
            extra_hi.append(ns.upper[k])
            extra_int.append(1.0 if n_cols + k in binary else 0.0)
        n_cols += ns.n_cols
    if zero and separation:
        pairs = separation_pairs(y, zero_tol, max_separation_pairs(lay))
        if pairs is not None:
            blocks.append(("separation", separation_rows(lay, pairs, n_cols)))
            n_sep = len(pairs) * len(lay.modules)
            extra_lo += [0.0] * n_sep
            extra_hi += [1.0] * n_sep
            extra_int += [0.0] * n_sep
            n_cols += n_sep
    return MILPProgram(
        lay,
        bounds,
        tuple(blocks),
        np.concatenate([lo, extra_lo]),
        np.concatenate([hi, extra_hi]),
        np.concatenate([integrality, extra_int]),
        np.concatenate([cost, np.zeros(n_cols - lay.size)]),
        True,
    )


# --------------------------------------------------------------------------- program size
@dataclass(frozen=True)
class BlockSize:
    """Rows and nonzeros of one row block, and the columns (of which ``integers`` integral)
    it adds beyond the core layout."""

    rows: int
    nonzeros: int
    cols: int = 0
    integers: int = 0


def _live_units(p: int, m: int) -> int:
    """Units point p may win under the first-occurrence order: j <= p, j < m."""
    return min(m, p + 1)


def assignment_size(lay: MILPLayout) -> BlockSize:
    """:func:`assignment_rows`: one row per (module, point) over all m_g of its columns."""
    return BlockSize(len(lay.modules) * lay.n_points, lay.n_points * sum(lay.modules))


def first_occurrence_size(lay: MILPLayout) -> BlockSize:
    """:func:`first_occurrence_rows`: a row per (g, p >= 1, 1 <= j < min(m_g, p + 1)) with
    the p earlier points and a[g, p, j], p + 1 entries."""
    rows = nonzeros = 0
    for m in lay.modules:
        for p in range(1, lay.n_points):
            rows += _live_units(p, m) - 1
            nonzeros += (p + 1) * (_live_units(p, m) - 1)
    return BlockSize(rows, nonzeros)


def module_order_size(lay: MILPLayout) -> BlockSize:
    """:func:`module_order_rows`: one row per consecutive pair of equal-size modules, two
    entries per live label j >= 1 of the first K points (:func:`module_key_length`)."""
    by_size: dict[int, int] = {}
    for m in lay.modules:
        by_size[m] = by_size.get(m, 0) + 1
    rows = nonzeros = 0
    for m, count in by_size.items():
        k = module_key_length(lay.n_points, m)
        per_row = 2 * sum(_live_units(p, m) - 1 for p in range(k))
        rows += count - 1
        nonzeros += (count - 1) * per_row
    return BlockSize(rows, nonzeros)


def link_size(lay: MILPLayout) -> BlockSize:
    """:func:`link_rows`: per (g, t, p) two rows |v| <= W (1 - a0) of two entries and two
    rows |v - w_j| <= 2 W (1 - a_j) of three per live unit j >= 1."""
    rows = nonzeros = 0
    for m in lay.modules:
        live = sum(_live_units(p, m) - 1 for p in range(lay.n_points))
        rows += lay.n_tasks * (2 * lay.n_points + 2 * live)
        nonzeros += lay.n_tasks * (4 * lay.n_points + 6 * live)
    return BlockSize(rows, nonzeros)


def error_size(lay: MILPLayout, zero: bool) -> BlockSize:
    """:func:`error_rows`: per (t, p) one two-sided row over b_t and the G contributions
    (``zero``), or two rows with eps as well (``linf``)."""
    n_mod, cells = len(lay.modules), lay.n_tasks * lay.n_points
    if zero:
        return BlockSize(cells, cells * (n_mod + 1))
    return BlockSize(2 * cells, 2 * cells * (n_mod + 2))


def separation_size(lay: MILPLayout, pairs: list[tuple[int, int]]) -> BlockSize:
    """:func:`separation_rows`: per pair (p, q) and module a row of three entries per unit
    j < min(m_g, q + 1), then one row over the pair's G new continuous columns."""
    n_mod = len(lay.modules)
    rows = nonzeros = 0
    for _, q in pairs:
        live = sum(_live_units(q, m) for m in lay.modules)
        rows += live + 1
        nonzeros += 3 * live + n_mod
    return BlockSize(rows, nonzeros, len(pairs) * n_mod, 0)


def nonsymbolic_size(lay: MILPLayout, edge_counts: tuple[int, ...]) -> BlockSize | None:
    """:func:`nonsymbolic_rows` from the edges per factor (:func:`factor_edge_counts`); None
    when fewer than two factors have edges (no unit can depend on two: no program).

    Per unit: per edge two rows of three entries (and its column c); per factor with edges a
    d row over d and its edges' c; the unit's s row over s and its d; then one row over
    every unit's binary s.
    """
    counts = [e for e in edge_counts if e]
    if len(counts) < 2:
        return None
    edges, factors, units = sum(counts), len(counts), sum(lay.modules)
    rows = units * (2 * edges + factors + 1) + 1
    nonzeros = units * (6 * edges + (factors + edges) + (1 + factors)) + units
    return BlockSize(rows, nonzeros, units * (edges + factors + 1), units)


@dataclass(frozen=True)
class MILPSize:
    """Rows, columns, integer columns and nonzeros of the program :func:`milp_program`
    would build, per named block (same names and order), counted without building it.

    ``possible`` False: the non-symbolic restriction admits no code (no program, all 0).
    """

    blocks: tuple[tuple[str, BlockSize], ...]
    core_cols: int
    core_integers: int
    possible: bool

    @property
    def rows(self) -> int:
        return sum(b.rows for _, b in self.blocks)

    @property
    def cols(self) -> int:
        return self.core_cols + sum(b.cols for _, b in self.blocks) if self.possible else 0

    @property
    def integers(self) -> int:
        return self.core_integers + sum(b.integers for _, b in self.blocks) if self.possible else 0

    @property
    def nonzeros(self) -> int:
        return sum(b.nonzeros for _, b in self.blocks)


def milp_size(
    setup: WTASetup,
    *,
    objective: str = "linf",
    nonsymbolic_only: bool = False,
    zero_tol: float = 1e-6,
    separation: bool = True,
) -> MILPSize:
    """The size of :func:`milp_program`'s program (same arguments) in O(P (G + K) + pairs)
    work and memory besides the separation scan: no matrix is built.

    Raises
    ------
    ValueError
        As :func:`milp_program`: a bad objective, or ``nonsymbolic_only`` on a disconnected
        support (:func:`support_connected`).
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, given {objective!r}")
    zero = objective == "zero"
    points = milp_points(setup)
    lay = milp_layout(setup)
    blocks = [
        ("assignment", assignment_size(lay)),
        ("first_occurrence", first_occurrence_size(lay)),
        ("module_order", module_order_size(lay)),
        ("link", link_size(lay)),
        ("error", error_size(lay, zero)),
    ]
    core_integers = lay.n_points * sum(lay.modules)
    if nonsymbolic_only:
        grid = setup.grid[points]
        if not support_connected(grid):
            raise ValueError(
                "support: expected training points connected by one-factor changes for the "
                "non-symbolic MILP, given a disconnected support"
            )
        ns = nonsymbolic_size(lay, factor_edge_counts(grid))
        if ns is None:
            return MILPSize((), 0, 0, False)
        blocks.append(("nonsymbolic", ns))
    if zero and separation:
        y = setup.target_array[:, points]
        pairs = separation_pairs(y, zero_tol, max_separation_pairs(lay))
        if pairs is not None:
            blocks.append(("separation", separation_size(lay, pairs)))
    return MILPSize(tuple(blocks), lay.size, core_integers, True)


# --------------------------------------------------------------------------- solve
def milp_search(
    setup: WTASetup,
    *,
    objective: str = "linf",
    nonsymbolic_only: bool = False,
    zero_tol: float = 1e-6,
    time_limit: float = 120.0,
    separation: bool = True,
) -> MILPResult:
    """Solve the program of the module docstring with HiGHS (``scipy.optimize.milp``).

    ``objective="linf"``: the minimum over codes of the max |error| (``status`` "optimal"
    when proved, else "time_limit" with the incumbent and the proved ``dual_bound``).
    ``objective="zero"``: is there a code (non-symbolic with ``nonsymbolic_only``) whose
    readout is within ``zero_tol`` of every target? "optimal" = yes (the code is returned),
    "infeasible" = proved no, "time_limit" = undecided. The program is
    :func:`milp_program`'s; its size, :func:`milp_size`.
    """
    started = time.perf_counter()
    prog = milp_program(
        setup,
        objective=objective,
        nonsymbolic_only=nonsymbolic_only,
        zero_tol=zero_tol,
        separation=separation,
    )
    if not prog.possible:
        return MILPResult(
            objective=objective,
            nonsymbolic_only=True,
            status="infeasible",
            loss=None,
            code=None,
            dual_bound=None,
            decided=True,
            bounds=prog.bounds,
            n_binaries=0,
            n_rows=0,
            seconds=time.perf_counter() - started,
        )
    constraints = _stack([b for _, b in prog.blocks], prog.n_cols)
    res = milp(
        prog.cost,
        constraints=constraints,
        integrality=prog.integrality,
        bounds=Bounds(prog.lower, prog.upper),
        options={"time_limit": float(time_limit), "presolve": True},
    )
    elapsed = time.perf_counter() - started
    return _result(
        setup,
        prog.layout,
        res,
        objective,
        nonsymbolic_only,
        prog.bounds,
        prog.integrality,
        prog.n_rows,
        elapsed,
        zero_tol,
    )


def _result(
    setup, lay, res, objective, nonsymbolic_only, bounds, integrality, n_rows, seconds, zero_tol
) -> MILPResult:
    """Map scipy's status (0 optimal, 1 limit, 2 infeasible, else error) onto ours.

    A code of the ``zero`` program counts as found only when an independent least-squares
    fit of it (:func:`_max_error`) is within ``zero_tol``: the solver's own error rows hold
    only up to its feasibility and integrality tolerances, amplified by the big-M links.
    """
    zero = objective == "zero"
    code = _decode(setup, lay, res.x) if res.x is not None else None
    dual = getattr(res, "mip_dual_bound", None)
    dual = None if dual is None or not np.isfinite(dual) or zero else float(dual)
    if code is None:
        loss = None
    else:
        loss = _max_error(setup, code) if zero else float(res.x[lay.eps])
    if res.status == 2:
        status, decided = "infeasible", True
    elif res.status not in (0, 1) or (res.status == 0 and code is None):
        status, decided = "error", False
    elif zero and code is not None:
        # a code of the zero program answers its question, even when time ran out
        decided = loss <= zero_tol
        status = "optimal" if decided else "inexact"
    else:
        status, decided = ("optimal", True) if res.status == 0 else ("time_limit", False)
    return MILPResult(
        objective=objective,
        nonsymbolic_only=nonsymbolic_only,
        status=status,
        loss=loss,
        code=code,
        dual_bound=dual,
        decided=decided,
        bounds=bounds,
        n_binaries=int(np.sum(integrality)),
        n_rows=n_rows,
        seconds=seconds,
    )
