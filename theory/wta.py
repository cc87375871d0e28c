"""Theorem WTA-1: winner-take-all bottlenecks give symbolic codes (THEORY.md section 1).

Setup (``reconstructed`` from Gutheil, Hitzginger, Legenstein 2026, arXiv:2605.22472):
K categorical factors, factor k taking n_k values, grid Z = [n_1] x ... x [n_K] enumerated in
row-major order (last factor fastest). G hard-WTA modules, module g with m_g units and winner
map pi_g : Z -> [m_g]. One affine readout per task, yhat_t(z) = sum_g w_{t,g}[pi_g(z)] + b_t,
squared loss.

This module states the theorem: the setup, the named task families, the three hypotheses as
predicates that return a reason a reader can check, the predictions, and the dimension
formulas as sympy expressions. It imports nothing of ours except :mod:`mtl_theory.theory.model`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp
from mtl_theory.theory.model import HypothesisCheck, SetupError, Statement

TASK_FAMILIES: tuple[str, ...] = ("factor-onehot", "sum", "xor", "random-additive")

# Relative tolerance of the numerical rank and additivity tests of the hypotheses: the task
# tables are given in decimal; 1e-9 relative to the largest singular value sits far above
# float64 round-off (~1e-15) and far below any genuine non-additivity of a spec.
RANK_RTOL = 1e-9

SOURCE = "Gutheil, Hitzginger, Legenstein (2026), arXiv:2605.22472; THEORY.md section 1"

THEOREM = Statement(
    id="WTA-1",
    title="Zero-loss WTA codes are symbolic and complete",
    text=(
        "Hypotheses: (H1 full-support) every combination of factor values occurs; (H2 task-span) "
        "span{1, y_1..y_T} = A, the additive functions z -> sum_k f_k(z_k), dim A = "
        "1 + sum_k (n_k - 1); (H3 capacity) sum_g (m_g - 1) <= sum_k (n_k - 1). Conclusion: every "
        "hard-WTA bottleneck code with zero multi-task squared loss is symbolic (every unit with "
        "a non-trivial receptive set depends on exactly one factor) and complete (the modules "
        "attached to factor k separate all n_k values); H3 then holds with equality and no unit "
        "is dead."
    ),
    provenance="reconstructed",
    source=SOURCE + " (our formalization of the abstract's claim; proof in THEORY.md 1.3)",
)

LEMMA_L1 = Statement(
    id="WTA-L1",
    title="{0,1}-valued additive functions depend on at most one factor",
    text=(
        "If f(z) = sum_k f_k(z_k) takes only the values 0 and 1 on a full product grid, then f "
        "depends on at most one factor."
    ),
    provenance="reconstructed",
    source="THEORY.md 1.3, Lemma WTA-L1",
)

DIMENSION_COUNT = Statement(
    id="WTA-DIM",
    title="Dimension of the code function space",
    text=(
        "S(pi) = span{1, 1[pi_g = j]} has dim S(pi) <= 1 + sum_g (m_g - 1); "
        "dim A = 1 + sum_k (n_k - 1)."
    ),
    provenance="reconstructed",
    source="THEORY.md 1.2",
)

SUFFICIENT_NOT_NECESSARY = Statement(
    id="WTA-H2-NOT-NECESSARY",
    title="H2 is sufficient, not necessary",
    text=(
        "Factors (2,3), modules (2,3), two random additive tasks (task span of dimension 3 < "
        "dim A = 4): the theorem does not apply, yet exhaustive search finds only symbolic "
        "zero-loss codes."
    ),
    provenance="reconstructed",
    source="THEORY.md 1.4",
)

GENERALIZATION_CLAIM = Statement(
    id="WTA-GEN",
    title="Symbolic codes help generalization (measured only)",
    text=(
        "The paper claims the symbolic WTA code helps generalization. Measured here, not "
        "predicted: accuracy on held-out factor combinations of a gradient-trained WTA network "
        "against a same-width ReLU bottleneck."
    ),
    provenance="paper",
    source=SOURCE + " (abstract)",
)

FEASIBILITY = Statement(
    id="WTA-FEAS",
    title="When a zero-loss code exists at all",
    text=(
        "(a) If dim span{1, y_t} restricted to the training points exceeds 1 + sum_g (m_g - 1), "
        "no code reaches zero loss (WTA-DIM: every zero-loss code has the task span inside "
        "S(pi)). (b) If every task is additive on the training points and the modules can be "
        "matched to distinct factors with m_g >= n_k, the factor code (module g shows its "
        "factor's value, unmatched modules constant) is a symbolic, complete zero-loss code."
    ),
    provenance="derived",
    source="this toolkit, from THEORY.md 1.2 (WTA-DIM and the definition of S(pi))",
)

STATEMENTS: tuple[Statement, ...] = (
    THEOREM,
    LEMMA_L1,
    DIMENSION_COUNT,
    FEASIBILITY,
    SUFFICIENT_NOT_NECESSARY,
    GENERALIZATION_CLAIM,
)


# --------------------------------------------------------------------------- setup


def _require(ok: bool, key: str, expected: str, given) -> None:
    if not ok:
        raise SetupError(key, expected, given)


@dataclass(frozen=True)
class WTASetup:
    """A WTA task setup.

    Parameters
    ----------
    factors : tuple of int
        n_k, values per factor (each >= 2).
    modules : tuple of int
        m_g, units per WTA module (each >= 2).
    targets : tuple of tuple of float
        One row per task, one entry per grid point in row-major order (last factor fastest).
    holdout : tuple of int
        Grid indices that never occur in training (empty = full support).
    task_name : str
        How the targets were made (a task family name, or ``"targets"``).
    method : str
        Preferred numerical route of the verification (``"auto"`` lets the toolkit choose).
    """

    factors: tuple[int, ...]
    modules: tuple[int, ...]
    targets: tuple[tuple[float, ...], ...]
    holdout: tuple[int, ...] = ()
    task_name: str = "targets"
    method: str = "auto"

    def __post_init__(self) -> None:
        """The invariants that make every route defined (issue 11, item 5); each violation is
        a SetupError naming its field."""
        _require(
            len(self.factors) >= 1 and all(n >= 2 for n in self.factors),
            "factors",
            "at least one factor, each with >= 2 values",
            list(self.factors),
        )
        n_points = math.prod(self.factors)
        _require(
            len(self.modules) >= 1 and all(m >= 2 for m in self.modules),
            "modules",
            "at least one module, each with >= 2 units",
            list(self.modules),
        )
        _require(len(self.targets) >= 1, "targets", "at least one task", "none")
        _require(
            all(len(row) == n_points for row in self.targets),
            "targets",
            f"rows of {n_points} entries (one per grid point)",
            f"rows of {sorted({len(row) for row in self.targets})}",
        )
        _require(
            all(math.isfinite(v) for row in self.targets for v in row),
            "targets",
            "finite numbers",
            "a non-finite entry",
        )
        held = self.holdout
        _require(
            all(0 <= h < n_points for h in held),
            "holdout",
            f"grid indices in 0..{n_points - 1}",
            list(held),
        )
        _require(len(set(held)) == len(held), "holdout", "distinct grid indices", list(held))
        _require(len(held) < n_points, "holdout", "fewer indices than grid points", list(held))

    @property
    def n_points(self) -> int:
        return math.prod(self.factors)

    @cached_property
    def grid(self) -> np.ndarray:
        """(P, K) int array of factor values, row-major, last factor fastest."""
        return grid_points(self.factors)

    @cached_property
    def target_array(self) -> np.ndarray:
        """(T, P) float array."""
        return np.asarray(self.targets, dtype=float).reshape(len(self.targets), self.n_points)

    @property
    def support(self) -> np.ndarray:
        """Indices of the grid points seen in training."""
        held = set(self.holdout)
        return np.array([i for i in range(self.n_points) if i not in held], dtype=int)


def grid_points(factors: tuple[int, ...]) -> np.ndarray:
    """Grid Z as a (P, K) int array in row-major order, last factor fastest.

    Examples
    --------
    >>> grid_points((2, 3))[:4].tolist()
    [[0, 0], [0, 1], [0, 2], [1, 0]]
    """
    return np.array(list(itertools.product(*(range(n) for n in factors))), dtype=int).reshape(
        -1, len(factors)
    )


def make_targets(
    factors: tuple[int, ...],
    family: str,
    *,
    n_tasks: int = 2,
    seed: int = 0,
    levels: int | None = None,
) -> tuple[tuple[float, ...], ...]:
    """Targets of a named task family over the grid (rows = tasks).

    ``factor-onehot``: 1[z_k = a] for every k, a (sum_k n_k tasks; H2 holds).
    ``sum``: the single task sum_k z_k (additive, rank 2: H2 fails when dim A > 2).
    ``xor``: the one-hot tasks plus the parity (z_1 + z_2) mod 2 (non-additive).
    ``random-additive``: ``n_tasks`` tasks sum_k f_k(z_k), f_k(a) ~ N(0, 1) i.i.d. drawn from
    ``Generator(PCG64(seed))`` (rank min(n_tasks + 1, dim A) almost surely); with ``levels``
    the f_k(a) are uniform integers in {0, ..., levels - 1} instead (ties between sums make
    non-symbolic zero-loss codes likely when the tasks do not span A).

    Examples
    --------
    >>> make_targets((2, 3), "factor-onehot")[:3]  # one task per factor value
    ((1.0, 1.0, 1.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0, 1.0, 1.0), (1.0, 0.0, 0.0, 1.0, 0.0, 0.0))
    """
    z = grid_points(factors)
    rows: list[np.ndarray] = []
    if family in ("factor-onehot", "xor"):
        for k, n in enumerate(factors):
            rows.extend((z[:, k] == a).astype(float) for a in range(n))
        if family == "xor":
            if len(factors) < 2:
                raise ValueError("tasks: 'xor' needs at least two factors")
            rows.append(((z[:, 0] + z[:, 1]) % 2).astype(float))
    elif family == "sum":
        rows.append(z.sum(axis=1).astype(float))
    elif family == "random-additive":
        rng = np.random.Generator(np.random.PCG64(seed))
        for _ in range(n_tasks):
            tables = [
                rng.standard_normal(n) if levels is None else rng.integers(0, levels, n) * 1.0
                for n in factors
            ]
            rows.append(sum(tables[k][z[:, k]] for k in range(len(factors))))
    else:
        raise ValueError(f"tasks: unknown task family {family!r}")
    return tuple(tuple(float(v) for v in row) for row in rows)


# --------------------------------------------------------------------------- spaces


def dim_additive(factors: tuple[int, ...]) -> int:
    """dim A = 1 + sum_k (n_k - 1) (``reconstructed``, THEORY.md 1.2)."""
    return 1 + sum(n - 1 for n in factors)


def code_dimension_bound(modules: tuple[int, ...]) -> int:
    """dim S(pi) <= 1 + sum_g (m_g - 1) (``reconstructed``, THEORY.md 1.2)."""
    return 1 + sum(m - 1 for m in modules)


def additive_basis(factors: tuple[int, ...]) -> np.ndarray:
    """(P, dim A) basis of A: the constant, then 1[z_k = a] for a = 1..n_k - 1."""
    z = grid_points(factors)
    cols = [np.ones(len(z))]
    for k, n in enumerate(factors):
        cols.extend((z[:, k] == a).astype(float) for a in range(1, n))
    return np.column_stack(cols)


def numerical_rank(matrix: np.ndarray, rtol: float = RANK_RTOL) -> int:
    """Rank by singular values above ``rtol`` times the largest."""
    s = np.linalg.svd(np.atleast_2d(matrix), compute_uv=False)
    return int(np.sum(s > rtol * max(s[0] if s.size else 0.0, 1.0)))


def dimension_formulas(n_factors: int, n_modules: int) -> dict[str, sp.Expr]:
    """The dimension formulas as sympy expressions in positive integer symbols n_k, m_g.

    Returns ``dim_A`` = 1 + sum(n_k - 1), ``dim_S_bound`` = 1 + sum(m_g - 1),
    ``capacity_slack`` = sum(m_g - 1) - sum(n_k - 1) and ``grid_size`` = prod n_k
    (``reconstructed``, THEORY.md 1.2).
    """
    n = sp.symbols(f"n_1:{n_factors + 1}", integer=True, positive=True)
    m = sp.symbols(f"m_1:{n_modules + 1}", integer=True, positive=True)
    dim_a = 1 + sum(nk - 1 for nk in n)
    dim_s = 1 + sum(mg - 1 for mg in m)
    return {
        "dim_A": dim_a,
        "dim_S_bound": dim_s,
        "capacity_slack": sp.expand(dim_s - dim_a),
        "grid_size": sp.Mul(*n),
    }


def codes_per_module(n_points: int, units: int) -> int:
    """Number of codes of one module up to relabelling: sum_{j <= m} S(P, j) (Stirling)."""
    return int(
        sum(
            sp.functions.combinatorial.numbers.stirling(n_points, j)
            for j in range(1, min(units, n_points) + 1)
        )
    )


# --------------------------------------------------------------------------- hypotheses


def check_full_support(setup: WTASetup) -> HypothesisCheck:
    """H1: every combination of factor values occurs in training."""
    held = len(setup.holdout)
    if held == 0:
        return HypothesisCheck("full-support", True, f"all {setup.n_points} grid points seen")
    return HypothesisCheck(
        "full-support",
        False,
        f"{held} of {setup.n_points} combinations held out (indices {list(setup.holdout)})",
    )


def check_task_span(setup: WTASetup) -> HypothesisCheck:
    """H2: span{1, y_t} = A (every task additive, and jointly they span A)."""
    basis = additive_basis(setup.factors)
    y = setup.target_array
    dim_a = basis.shape[1]
    coef, *_ = np.linalg.lstsq(basis, y.T, rcond=None)
    residual = float(np.max(np.abs(basis @ coef - y.T))) if y.size else 0.0
    scale = max(1.0, float(np.max(np.abs(y))) if y.size else 1.0)
    additive = residual <= RANK_RTOL * scale * setup.n_points
    span = np.column_stack([np.ones(setup.n_points), y.T])
    rank = numerical_rank(span)
    if not additive:
        return HypothesisCheck(
            "task-span",
            False,
            f"a task is not additive over factors (residual {residual:.3g} outside A); "
            f"dim span{{1, tasks}} = {rank}, dim A = {dim_a}",
        )
    holds = rank == dim_a
    relation = "=" if holds else "<"
    return HypothesisCheck(
        "task-span",
        holds,
        f"tasks additive; rank of span{{1, tasks}} = {rank} {relation} dim A = {dim_a}",
    )


def check_capacity(setup: WTASetup) -> HypothesisCheck:
    """H3: sum_g (m_g - 1) <= sum_k (n_k - 1)."""
    units = sum(m - 1 for m in setup.modules)
    needed = sum(n - 1 for n in setup.factors)
    holds = units <= needed
    relation = "<=" if holds else ">"
    return HypothesisCheck(
        "capacity",
        holds,
        f"sum(m_g - 1) = {units} {relation} sum(n_k - 1) = {needed}",
    )


def check_hypotheses(setup: WTASetup) -> tuple[HypothesisCheck, ...]:
    """H1, H2, H3 in contract order.

    Examples
    --------
    >>> setup = WTASetup((2, 2), (2, 2), make_targets((2, 2), "factor-onehot"))
    >>> [(h.id, h.holds) for h in check_hypotheses(setup)]
    [('full-support', True), ('task-span', True), ('capacity', True)]
    """
    return (check_full_support(setup), check_task_span(setup), check_capacity(setup))


def capacity_slack(factors: tuple[int, ...], modules: tuple[int, ...]) -> int:
    """sum_g (m_g - 1) - sum_k (n_k - 1): H3 holds iff <= 0; equality is forced at zero loss.

    Examples
    --------
    >>> capacity_slack((3, 3), (3, 3)), capacity_slack((2, 3), (3, 3))  # H3: slack <= 0
    (0, 1)
    """
    return sum(m - 1 for m in modules) - sum(n - 1 for n in factors)


def predictions(setup: WTASetup) -> dict[str, object]:
    """What Theorem WTA-1 predicts about zero-loss codes (``reconstructed``).

    Only meaningful when every hypothesis holds. ``zero_loss_possible`` is the corollary that
    zero loss forces equality in H3: with strict inequality no code reaches zero loss.

    Examples
    --------
    >>> setup = WTASetup((2, 2), (2, 2), make_targets((2, 2), "factor-onehot"))
    >>> p = predictions(setup)
    >>> p["symbolic"], p["complete"], p["nonsymbolic_zero_loss_codes"]
    (True, True, 0)
    """
    equality = capacity_slack(setup.factors, setup.modules) == 0
    return {
        "symbolic": True,
        "complete": True,
        "dead_units": 0,
        "capacity_equality": equality,
        "zero_loss_possible": equality,
        "nonsymbolic_zero_loss_codes": 0,
        "dim_A": dim_additive(setup.factors),
        "dim_S_bound": code_dimension_bound(setup.modules),
    }


def factor_code_fits(factors: tuple[int, ...], modules: tuple[int, ...]) -> bool:
    """Can distinct modules be matched to all factors with m_g >= n_k?

    Greedy on sorted sizes is exact for this bipartite matching: the largest factor takes
    the largest module, and so on (an exchange argument).

    Examples
    --------
    >>> factor_code_fits((2, 3), (3, 2)), factor_code_fits((3, 3), (4, 2))
    (True, False)
    """
    if len(modules) < len(factors):
        return False
    big = sorted(modules, reverse=True)
    return all(m >= n for m, n in zip(big, sorted(factors, reverse=True), strict=False))


def feasibility_predictions(setup: WTASetup) -> dict[str, object]:
    """Statement WTA-FEAS (``derived``): zero loss impossible, or a symbolic zero-loss code.

    Both hold for any setup, whether or not WTA-1's hypotheses do, on the training support.
    Returns ``task_span_dim_on_support``, ``zero_loss_impossible`` (a), ``tasks_additive_on_
    support``, ``factor_code_fits`` and ``symbolic_zero_loss_code_exists`` (b; None when (b)'s
    premises fail, since it then predicts nothing).
    """
    support = setup.support
    y = setup.target_array[:, support]
    span = np.column_stack([np.ones(len(support)), y.T])
    span_dim = numerical_rank(span)
    basis = additive_basis(setup.factors)[support]
    coef, *_ = np.linalg.lstsq(basis, y.T, rcond=None)
    residual = float(np.max(np.abs(basis @ coef - y.T))) if y.size else 0.0
    scale = max(1.0, float(np.max(np.abs(y))) if y.size else 1.0)
    additive = residual <= RANK_RTOL * scale * len(support)
    fits = factor_code_fits(setup.factors, setup.modules)
    bound = code_dimension_bound(setup.modules)
    return {
        "task_span_dim_on_support": span_dim,
        "dim_S_bound": bound,
        "zero_loss_impossible": span_dim > bound,
        "tasks_additive_on_support": additive,
        "factor_code_fits": fits,
        "symbolic_zero_loss_code_exists": True if (additive and fits) else None,
    }
