"""Certified branch-and-bound over WTA codes, grid point by grid point (THEORY.md 1.5).

Exhaustive search (:func:`mtl_theory.numerics.wta.exhaustive_search`) stops near 10^7 codes;
four binary factors with modules (2,2,2,2) have 2^60 ~ 1e18 codes and factors (4,4) with
modules (4,4) about 3e16. This route decides the same questions on such grids without
enumerating codes that cannot reach zero loss:

- every zero-loss code (counted in exhaustive search's convention: ordered module tuples, each
  up to relabelling of its units), how many are symbolic, symbolic and complete, have a dead
  unit, and how many are symbolic in the stricter "one unit per factor value" reading
  (:func:`one_unit_per_value_flags`);
- a zero-loss non-symbolic code (a counterexample to WTA-1's conclusion), or the certificate
  that none exists: the search is complete, so "no leaf" means "no code";
- optionally (``minimize=True``) the global minimum of the squared loss, by the same tree with
  an incumbent.

The search (``derived``, this toolkit)
--------------------------------------
Grid points are assigned in a fixed order p_1, p_2, ... (shells of the largest coordinate,
so rectangles close early); a node at depth d fixes, for every module g, the winning unit of
p_1..p_d. Its children give p_{d+1} a unit in every module.

Lower bound. Let Q be the assigned points and L_Q = min over readouts (W, b) of
sum_{z in Q} ||y(z) - b - sum_g W_g[pi_g(z)]||^2, the least-squares loss of the partial code
on Q alone. For any completion pi' of the node and any readout (W, b),
sum_{z in Z} ||y(z) - yhat(z)||^2 >= sum_{z in Q} ||y(z) - yhat(z)||^2 >= L_Q (drop
non-negative terms, then minimise over the readout, which on Q sees exactly the partial code).
So L_Q bounds the loss of every completion from below: a node with L_Q above the zero-loss
threshold has no zero-loss completion, and a node with L_Q above the incumbent cannot improve
it. L_Q is non-decreasing along a branch (the same argument with Q within Q').

Incremental least squares. A node keeps the normal equations G = X_Q' X_Q and B = X_Q' Y_Q of
its design X_Q = [1, one-hot of units 1..m_g - 1 of every module] (unit 0's column is the
constant minus the others, so dropping it keeps the span); a child adds the rank-one terms
x x' and x y' of its new row, and L_Q = ||Y_Q||^2 - tr(B' G^+ B). A child whose new point
wins a unit not used before in some module has L_Q of its parent: the new unit's column is
non-zero only at the new point, so it fits that point exactly without moving the rest (its
bound is then copied, not recomputed).

Symmetry breaking (each proved to preserve the loss, the symbolic/complete verdicts and the
count):

- units within a module: labels in first-use order along p_1, p_2, ... (a restricted growth
  string), one representative per set partition - exactly exhaustive search's convention;
- identical modules (equal m_g): swapping two modules' maps leaves S(pi) = span{1, 1[pi_g =
  j]} unchanged, so only tuples whose equal-size modules are in non-decreasing lexicographic
  order of their label strings are searched; each stands for its orbit of
  s! / prod(multiplicity of equal partitions)! ordered tuples (counted back);
- identical factors are *not* used: a permutation sigma of the grid preserves the loss only
  when the task table is invariant (Y o sigma = Y Q + 1 c' with Q orthogonal), which random
  tasks are not; and a lex-leader constraint under sigma would interact with the two
  reductions above. The speed on the target grids does not need it (benchmarks).

Exactness. The bound and the zero-loss decision are float64 with the tolerances of exhaustive
search (``ZERO_LOSS_RTOL``, ``PINV_RTOL``), so both routes decide zero loss by the same rule;
the verification re-checks reported zero-loss codes in exact rational arithmetic
(:func:`mtl_theory.numerics.wta.exact_code_loss`).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np
from mtl_theory.numerics.blas import single_blas_thread
from mtl_theory.numerics.wta import (
    PINV_RTOL,
    ZERO_LOSS_RTOL,
    ZERO_LOSS_SAMPLE,
    classify_partitions,
)
from mtl_theory.theory.wta import WTASetup

#: Nodes (partial codes) a search may expand before it stops and reports itself incomplete.
DEFAULT_MAX_NODES = 50_000_000
#: Nodes expanded together (numpy batch); bounded memory: the stack holds <= P batches.
BATCH = 4096


@dataclass(frozen=True)
class BnBResult:
    """What the branch-and-bound established about every code of a setup.

    Counts are in exhaustive search's convention (ordered module tuples, each up to
    relabelling of its units). ``complete_search`` is True when the whole tree was explored
    (then every count is exact and ``counterexample is None`` certifies that no zero-loss
    non-symbolic code exists); False when ``max_nodes`` stopped it (counts are then lower
    bounds; a counterexample found is still a counterexample). ``min_loss`` is the certified
    global minimum (``minimize=True``), 0.0 when a zero-loss code exists, else None; after an
    interrupted minimisation it is the incumbent (``min_loss_certified`` False) and
    ``min_loss_lower_bound`` the smallest bound among unexplored nodes. ``nodes_visited``
    counts nodes whose bound was evaluated, ``nodes_pruned`` those discarded by it,
    ``nodes_new_unit`` those whose bound was inherited from the parent (no evaluation).
    ``zero_loss_sample`` lists the first ``ZERO_LOSS_SAMPLE`` zero-loss codes found, each as
    (code, symbolic, complete) with the search's verdicts, as exhaustive search does.
    """

    zero_loss_codes: int
    symbolic_zero_loss_codes: int
    complete_symbolic_zero_loss_codes: int
    dead_unit_zero_loss_codes: int
    one_unit_per_value_zero_loss_codes: int
    complete_one_unit_per_value_zero_loss_codes: int
    canonical_zero_loss_codes: int
    counterexample: tuple[tuple[int, ...], ...] | None
    min_loss: float | None
    min_loss_code: tuple[tuple[int, ...], ...] | None
    min_loss_lower_bound: float | None
    min_loss_certified: bool
    complete_search: bool
    nodes_visited: int
    nodes_pruned: int
    nodes_new_unit: int
    zero_loss_tolerance: float
    point_order: tuple[int, ...]
    seconds: float
    cpu_seconds: float
    zero_loss_sample: tuple[tuple[tuple[tuple[int, ...], ...], bool, bool], ...] = ()


# --------------------------------------------------------------------------- classification


def one_unit_per_value_flags(
    labels: np.ndarray, units: int, grid: np.ndarray, factors: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """The stricter "one unit per factor value" reading of symbolic, per partition.

    THEORY.md 1.2 calls a code symbolic when every live unit with a non-trivial receptive set
    is a cylinder set {z : z_k in S}; the stricter reading (a "grandmother" unit per value)
    asks S to be a single value: R = {z : z_k = a}. Then a module with a non-trivial code is
    exactly the one-hot code of one factor (its units partition the grid into single-value
    cylinders of one factor). Provenance ``derived`` (our reading of the paper's "a single
    neuron ... encodes the presence of a single abstract feature").

    Parameters
    ----------
    labels : (N, P) int
        Winning unit of each (training) grid point.
    units : int
    grid : (P, K) int
        Factor values of the points.
    factors : tuple of int

    Returns
    -------
    strict : (N,) bool
        Every live unit with a non-trivial receptive set is the indicator of one factor value.
    values : (N,) object (int bitmask)
        Bit (offset_k + a) set when some unit's receptive set is exactly {z : z_k = a}; a code
        is complete in this reading when the OR over its modules sets every bit.

    Examples
    --------
    >>> from mtl_theory.theory.wta import grid_points
    >>> g = grid_points((3,))
    >>> s, v = one_unit_per_value_flags(np.array([[0, 1, 2], [0, 0, 1]]), 3, g, (3,))
    >>> s.tolist(), [int(x) for x in v]
    ([True, False], [7, 4])
    """
    n = labels.shape[0]
    indicators = []
    for k, nk in enumerate(factors):
        for a in range(nk):
            indicators.append(grid[:, k] == a)
    strict = np.ones(n, dtype=bool)
    values = np.zeros(n, dtype=object)
    values[:] = 0
    n_points = labels.shape[1]
    for u in range(units):
        active = labels == u
        size = active.sum(axis=1)
        nontrivial = (size > 0) & (size < n_points)
        matched = np.zeros(n, dtype=bool)
        for bit, ind in enumerate(indicators):
            hit = np.all(active == ind[None, :], axis=1)
            matched |= hit
            values[hit] = values[hit] | (1 << bit)
        strict &= ~nontrivial | matched
    return strict, values


def _code_classes(setup: WTASetup, codes: np.ndarray) -> dict[str, np.ndarray]:
    """Verdicts of zero-loss codes (N, G, P_s) in both readings, module by module."""
    grid = setup.grid[setup.support]
    n = codes.shape[0]
    symbolic = np.ones(n, dtype=bool)
    dead = np.zeros(n, dtype=bool)
    strict = np.ones(n, dtype=bool)
    mask = np.zeros(n, dtype=object)
    mask[:] = 0
    values = np.zeros(n, dtype=object)
    values[:] = 0
    full_mask = 0
    for g, m in enumerate(setup.modules):
        cls = classify_partitions(codes[:, g, :], m, grid)
        symbolic &= cls.symbolic
        dead |= cls.has_dead_unit
        mask = mask | cls.separated
        full_mask = cls.full_mask
        s, v = one_unit_per_value_flags(codes[:, g, :], m, grid, setup.factors)
        strict &= s
        values = values | v
    full_values = (1 << sum(setup.factors)) - 1
    return {
        "symbolic": symbolic,
        "complete": symbolic & (mask == full_mask),
        "dead": dead,
        "strict": strict,
        "strict_complete": strict & (values == full_values),
    }


# --------------------------------------------------------------------------- search


def point_order(setup: WTASetup) -> np.ndarray:
    """Training points in shells of their largest coordinate, row-major within a shell.

    Every point after the first shell closes a rectangle with earlier points, where the
    additive structure of the tasks first constrains the code (on binary factors: row-major).
    """
    sup = setup.support
    grid = setup.grid[sup]
    key = np.lexsort((sup, grid.max(axis=1)))
    return sup[key]


def _orbit_sizes(codes: np.ndarray, modules: tuple[int, ...]) -> np.ndarray:
    """Ordered module tuples represented by each canonical code (identical-module orbits).

    Equal-size modules of a canonical code are in non-decreasing lexicographic order, so
    equal partitions sit next to each other: a group of s modules with runs of equal
    partitions of lengths r_1, r_2, ... stands for s! / (r_1! r_2! ...) ordered tuples.
    """
    sizes = np.ones(codes.shape[0], dtype=np.int64)
    groups: dict[int, list[int]] = {}
    for g, m in enumerate(modules):
        groups.setdefault(m, []).append(g)
    for members in groups.values():
        if len(members) < 2:
            continue
        run = np.ones(codes.shape[0], dtype=np.int64)
        denominator = np.ones(codes.shape[0], dtype=np.int64)
        for a, b in itertools.pairwise(members):
            same = np.all(codes[:, a] == codes[:, b], axis=1)
            run = np.where(same, run + 1, 1)
            denominator = denominator * np.where(same, run, 1)
        sizes = sizes * (math.factorial(len(members)) // denominator)
    return sizes


def _canonical_relabel(labels: np.ndarray) -> np.ndarray:
    """Relabel a partition (P,) to first-use order along the grid's row-major order."""
    out = np.empty_like(labels)
    seen: dict[int, int] = {}
    for i, v in enumerate(labels.tolist()):
        if v < 0:
            out[i] = -1
            continue
        out[i] = seen.setdefault(v, len(seen))
    return out


def _as_winners(setup: WTASetup, code: np.ndarray, order: np.ndarray) -> tuple:
    """(G, P_s) labels in search order -> per module the winner of every grid point."""
    out = []
    for lab in code:
        full = np.full(setup.n_points, -1, dtype=np.int64)
        full[order] = lab
        out.append(tuple(int(v) for v in _canonical_relabel(full)))
    return tuple(out)


def _losses(gram: np.ndarray, rhs: np.ndarray, yy: float) -> np.ndarray:
    """Least-squares loss sums ||Y||^2 - tr(B' G^+ B) of a batch of normal equations."""
    w, v = np.linalg.eigh(gram)
    trace = np.trace(gram, axis1=1, axis2=2)
    keep = w > (PINV_RTOL * np.maximum(trace, 1.0))[:, None]
    coef = np.swapaxes(v, 1, 2) @ rhs  # (N, C, T)
    inv_w = np.where(keep, 1.0 / np.where(keep, w, 1.0), 0.0)
    proj = np.einsum("nct,nc->n", coef * coef, inv_w)
    return np.maximum(yy - proj, 0.0)


def bnb_search(
    setup: WTASetup,
    *,
    minimize: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    stop_at_counterexample: bool = False,
) -> BnBResult:
    """Branch-and-bound over the codes of ``setup``: every zero-loss code, or the minimum.

    Parameters
    ----------
    setup : WTASetup
    minimize : bool
        Also find the global minimum of the loss when no code reaches zero loss (prune by an
        incumbent instead of the zero-loss threshold; far more nodes).
    max_nodes : int
        Stop after this many bound evaluations (``complete_search`` is then False).
    stop_at_counterexample : bool
        Stop at the first zero-loss non-symbolic code (counts are then partial).

    Returns
    -------
    BnBResult
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    with single_blas_thread():
        out = _search(setup, False, max_nodes, stop_at_counterexample)
        if minimize and out["zero_loss_codes"] == 0 and out["complete_search"]:
            # no zero-loss code: a second pass with an incumbent finds the minimum (the zero-
            # loss pass first, because its threshold prunes far more than an early incumbent)
            best = _search(setup, True, max_nodes, False)
            for key in ("min_loss", "min_loss_code", "min_loss_lower_bound"):
                out[key] = best[key]
            out["min_loss_certified"] = best["complete_search"]
            for key in ("nodes_visited", "nodes_pruned", "nodes_new_unit"):
                out[key] += best[key]
    return BnBResult(
        **out,
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu_started,
    )


def _search(setup, minimize, max_nodes, stop_at_counterexample) -> dict[str, object]:
    """One depth-first pass over the tree of partial codes (the module docstring): prune by
    the zero-loss threshold, or with ``minimize`` also by an incumbent."""
    tree = _search_tree(setup)
    stack = [_root(tree)]
    visited = pruned = new_unit = 0
    tally = _Tally(setup, tree.order)
    incumbent, incumbent_code = math.inf, None
    interrupted = False
    open_bound = math.inf
    while stack:
        depth, *node = stack.pop()
        if minimize:
            node, n_beaten = _drop_beaten(node, tree.tol_sum, incumbent)
            pruned += n_beaten
            if len(node[-1]) == 0:
                continue
        labels, bound = node[0], node[-1]
        if depth == tree.n_points:
            if minimize:
                i = int(np.argmin(bound))
                if bound[i] < incumbent:
                    incumbent, incumbent_code = float(bound[i]), labels[i].copy()
            zero = bound <= tree.tol_sum
            if zero.any():
                tally.add(labels[zero])
                if stop_at_counterexample and tally.counterexample is not None:
                    interrupted = bool(stack)
                    break
            continue
        if visited >= max_nodes:
            interrupted = True
            open_bound = min([float(bound.min())] + [float(item[6].min()) for item in stack])
            break
        parts, n_visited, n_new_unit, n_pruned = _expand(
            tree, depth, *node, incumbent if minimize else None
        )
        visited += n_visited
        new_unit += n_new_unit
        pruned += n_pruned
        if parts is not None:
            _push(stack, depth + 1, parts)
    counts = {"nodes_visited": visited, "nodes_pruned": pruned, "nodes_new_unit": new_unit}
    return _search_result(
        setup, tree, tally, counts, incumbent, incumbent_code, interrupted, open_bound, minimize
    )


@dataclass(frozen=True, eq=False)
class _SearchTree:
    """What every node of one search shares: the point order, the targets in that order,
    the zero-loss threshold and the design rows of every unit tuple."""

    order: np.ndarray
    y: np.ndarray  # (P, T) targets in search order
    n_points: int
    modules: tuple[int, ...]
    tol: float  # ZERO_LOSS_RTOL relative to the mean square target
    scale: int  # P x T: a summed loss / scale is the mean loss
    tol_sum: float
    tuples: np.ndarray  # (J, G) every unit tuple a point can win
    rows: np.ndarray  # (J, n_cols) its design row: constant, units 1..m_g - 1 of every module
    outer: np.ndarray  # (J, n_cols, n_cols) x x' per unit tuple
    caps: np.ndarray  # (G,) the largest unit label of every module
    pairs: tuple[tuple[int, int], ...]  # successive equal-size modules (a < b)
    yy_prefix: np.ndarray  # (P + 1,) sum of ||y||^2 over the first d points


def _search_tree(setup) -> _SearchTree:
    """The shared data of a search over ``setup``'s codes."""
    order = point_order(setup)
    y = setup.target_array.T[order]  # (P, T)
    n_points, n_tasks = y.shape
    modules = setup.modules
    n_mod = len(modules)
    tol = ZERO_LOSS_RTOL * (1.0 + float(np.mean(y**2)) if y.size else 1.0)
    scale = n_points * max(n_tasks, 1)
    # design columns: constant, then units 1..m_g - 1 of every module
    offsets = np.cumsum([1] + [m - 1 for m in modules])[:-1]
    n_cols = 1 + sum(m - 1 for m in modules)
    tuples = np.array(list(itertools.product(*(range(m) for m in modules))), dtype=np.int64)
    rows = np.zeros((len(tuples), n_cols))
    rows[:, 0] = 1.0
    for g in range(n_mod):
        nz = tuples[:, g] > 0
        rows[nz, offsets[g] + tuples[nz, g] - 1] = 1.0
    # successive modules of equal size (not necessarily adjacent): (a, b) with a < b
    pairs = tuple(
        (a, b)
        for a in range(n_mod)
        for b in range(a + 1, n_mod)
        if modules[a] == modules[b] and modules[a] not in modules[a + 1 : b]
    )
    return _SearchTree(
        order=order,
        y=y,
        n_points=n_points,
        modules=modules,
        tol=tol,
        scale=scale,
        tol_sum=tol * scale,
        tuples=tuples,
        rows=rows,
        outer=np.einsum("ic,id->icd", rows, rows),
        caps=np.array(modules) - 1,
        pairs=pairs,
        yy_prefix=np.concatenate([[0.0], np.cumsum(np.sum(y * y, axis=1))]),
    )


def _root(tree: _SearchTree) -> tuple:
    """The root node: point 0 wins unit 0 in every module (first-use order)."""
    n_mod = len(tree.modules)
    labels0 = np.zeros((1, n_mod, tree.n_points), dtype=np.int8)
    used0 = np.ones((1, n_mod), dtype=np.int64)
    eq0 = np.ones((1, len(tree.pairs)), dtype=bool)
    gram0 = tree.outer[0][None].copy()
    rhs0 = (tree.rows[0][:, None] * tree.y[0][None, :])[None]
    return (1, labels0, used0, eq0, gram0, rhs0, np.zeros(1))


def _drop_beaten(node: list, tol_sum: float, incumbent: float) -> tuple[list, int]:
    """The nodes of a batch that can still reach zero loss or beat the incumbent, and how
    many were dropped (an incumbent found after the batch was pushed)."""
    bound = node[-1]
    live = (bound <= tol_sum) | (bound < incumbent - tol_sum)
    if live.all():
        return node, 0
    return [a[live] for a in node], int((~live).sum())


def _expand(tree: _SearchTree, depth, labels, used, eq, gram, rhs, bound, incumbent):
    """The children of a batch of nodes at ``depth`` that survive the bound.

    Every node i x unit tuple j allowed by first-use order and module order; a child's bound
    is recomputed unless its new point wins a fresh unit (then it is its parent's). Zero-loss
    candidates are always kept (they are counted); with an incumbent (None: zero-loss pass)
    the others must be able to beat it. Returns the children's arrays (labels, used, eq,
    gram, rhs, bound; None if none survives; best bound first with an incumbent) and the
    counts of bounds evaluated, of children with a fresh unit and of children pruned.
    """
    tuples, tol_sum = tree.tuples, tree.tol_sum
    allowed = np.all(tuples[None, :, :] <= np.minimum(used, tree.caps)[:, None], 2)
    for idx, (a, b) in enumerate(tree.pairs):
        still = eq[:, idx][:, None]
        allowed &= ~still | (tuples[None, :, a] <= tuples[None, :, b])
    ni, tj = np.nonzero(allowed)
    if ni.size == 0:
        return None, 0, 0, 0
    c_used = np.maximum(used[ni], tuples[tj] + 1)
    fresh = np.any(tuples[tj] >= used[ni], axis=1)
    c_gram = gram[ni] + tree.outer[tj]
    c_rhs = rhs[ni] + tree.rows[tj][:, :, None] * tree.y[depth][None, None, :]
    c_bound = bound[ni].copy()
    old = ~fresh
    n_visited = 0
    if old.any():
        c_bound[old] = _losses(c_gram[old], c_rhs[old], tree.yy_prefix[depth + 1])
        n_visited = int(old.sum())
    keep = c_bound <= tol_sum
    if incumbent is not None:
        keep |= c_bound < incumbent - tol_sum
    n_pruned = int((~keep).sum())
    if not keep.any():
        return None, n_visited, int(fresh.sum()), n_pruned
    ni, tj = ni[keep], tj[keep]
    c_labels = labels[ni].copy()
    c_labels[:, :, depth] = tuples[tj]
    c_eq = eq[ni].copy()
    for idx, (a, b) in enumerate(tree.pairs):
        c_eq[:, idx] &= tuples[tj, a] == tuples[tj, b]
    parts = (c_labels, c_used[keep], c_eq, c_gram[keep], c_rhs[keep], c_bound[keep])
    if incumbent is not None:
        # best bound first: a good incumbent early prunes the rest of the tree
        rank = np.argsort(parts[-1], kind="stable")
        parts = tuple(a[rank] for a in parts)
    return parts, n_visited, int(fresh.sum()), n_pruned


def _push(stack: list, depth: int, parts: tuple) -> None:
    """Push the children in chunks of :data:`BATCH`, in reverse so the first chunk is
    explored first (depth-first)."""
    n_child = len(parts[0])
    for start in reversed(range(0, n_child, BATCH)):
        sl = slice(start, start + BATCH)
        stack.append((depth, *(a[sl] for a in parts)))


def _search_result(
    setup, tree, tally, counts, incumbent, incumbent_code, interrupted, open_bound, minimize
) -> dict[str, object]:
    """The result of one pass: the tally's counts, the minimum (zero if a zero-loss code was
    found, else the incumbent's, certified only by a finished minimisation) and the counts
    of nodes."""
    min_loss = None
    min_code = None
    if tally.sample:
        min_loss, min_code = 0.0, tally.sample[0][0]
    elif minimize and incumbent_code is not None:
        min_loss = incumbent / tree.scale
        min_code = _as_winners(setup, incumbent_code, tree.order)
    lower = None
    if minimize:
        lower = min(open_bound, incumbent) / tree.scale if interrupted else min_loss
    return {
        **tally.counts,
        "canonical_zero_loss_codes": tally.canonical,
        "counterexample": tally.counterexample,
        "min_loss": min_loss,
        "min_loss_code": min_code,
        "min_loss_lower_bound": 0.0 if tally.sample else lower,
        # zero loss found is a certified minimum; otherwise only a finished minimisation is
        "min_loss_certified": bool(tally.sample) or (minimize and not interrupted),
        "complete_search": not interrupted,
        **counts,
        "zero_loss_tolerance": tree.tol,
        "point_order": tuple(int(v) for v in tree.order),
        "zero_loss_sample": tuple(tally.sample),
    }


#: Count keys of the result and the verdict each counts (None: every zero-loss code).
_COUNT_FLAGS = (
    ("zero_loss_codes", None),
    ("symbolic_zero_loss_codes", "symbolic"),
    ("complete_symbolic_zero_loss_codes", "complete"),
    ("dead_unit_zero_loss_codes", "dead"),
    ("one_unit_per_value_zero_loss_codes", "strict"),
    ("complete_one_unit_per_value_zero_loss_codes", "strict_complete"),
)


class _Tally:
    """Running counts of the zero-loss leaves (classified batch by batch, never all kept)."""

    def __init__(self, setup: WTASetup, order: np.ndarray) -> None:
        self.setup, self.order = setup, order
        self.counts = {key: 0 for key, _ in _COUNT_FLAGS}
        self.canonical = 0
        self.counterexample: tuple | None = None
        self.sample: list = []

    def add(self, canon: np.ndarray) -> None:
        codes = _to_support(canon, self.order, self.setup)
        cls = _code_classes(self.setup, codes)
        orbit = _orbit_sizes(codes, self.setup.modules)
        self.canonical += len(codes)
        for key, flag in _COUNT_FLAGS:
            weights = orbit if flag is None else orbit[cls[flag]]
            self.counts[key] += int(weights.sum())
        if self.counterexample is None and not cls["symbolic"].all():
            first = int(np.argmin(cls["symbolic"]))
            self.counterexample = _as_winners(self.setup, canon[first], self.order)
        for i in range(min(ZERO_LOSS_SAMPLE - len(self.sample), len(codes))):
            self.sample.append(
                (
                    _as_winners(self.setup, canon[i], self.order),
                    bool(cls["symbolic"][i]),
                    bool(cls["complete"][i]),
                )
            )


def _to_support(canon: np.ndarray, order: np.ndarray, setup: WTASetup) -> np.ndarray:
    """(N, G, P_s) labels in search order -> labels over the support in grid order."""
    position = {int(p): i for i, p in enumerate(setup.support)}
    perm = np.array([position[int(p)] for p in order], dtype=np.int64)
    out = np.empty_like(canon, dtype=np.int64)
    out[:, :, perm] = canon
    return out


__all__ = [
    "BnBResult",
    "bnb_search",
    "one_unit_per_value_flags",
    "point_order",
]
