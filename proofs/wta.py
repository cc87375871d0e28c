"""Machine-checked derivations of Theorem WTA-1 and its per-setup verification.

Derivations (each returns a :class:`mtl_theory.theory.model.Derivation`):

- :func:`lemma_l1_case_analysis` - Lemma WTA-L1 in general: the symbolic reduction to four
  corner values, then the 8-case analysis by exact enumeration and by a Groebner-basis
  certificate (sympy) that the polynomial system has no solution.
- :func:`lemma_l1_brute_force` - (checked, finite) every {0,1}-valued additive function on
  every product grid with 1-3 factors of 2-4 values (up to 4 x 4 x 4) depends on at most
  one factor, and their number is 2 + sum_k (2^{n_k} - 2); plus, independently, all 2^P
  functions on grids with P <= 12 tested for additivity by least squares.
- :func:`dimension_count` - dim S(pi) <= 1 + sum_g (l_g - 1) (l_g live units) by a general
  null-vector argument, with exact ranks on random codes as a cross-check.
- :func:`proof_counting_steps` - the counting steps of the proof: the gaps of the dimension
  chain sum to zero identically, so equality holds throughout and no unit is dead.
- :func:`theorem_small_setups` - exhaustive search on every small setup where all hypotheses
  hold: every zero-loss code symbolic, complete, no dead unit.

:func:`check` evaluates a setup: hypotheses, predictions and (with ``verify``) the numerical
route chosen by ``method`` (exhaustive, certified branch-and-bound, MILP, gradient-trained
network).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
from mtl_theory.numerics import wta as nwta
from mtl_theory.numerics import wta_bnb as nbnb
from mtl_theory.numerics import wta_milp as nmilp
from mtl_theory.numerics.metrics import onehot_code, symbolic_verdict
from mtl_theory.proofs.symbolic import combine_decisions, equal_status, zero_status
from mtl_theory.theory import wta as twta
from mtl_theory.theory.model import (
    CheckOptions,
    CheckResult,
    Comparison,
    Derivation,
    Verification,
)

THEORY = "wta"
MILP_ZERO_TOL = 1e-6  # HiGHS primal feasibility tolerance is 1e-7; errors below 1e-6 are zero
METHODS = ("exhaustive", "bnb", "milp", "gradient")
# MILP cross-checks against exhaustive search run only when enumeration is this small
CROSS_CHECK_CODES = 5000
# Branch-and-bound cross-checks exhaustive search (and vice versa) on grids this small
# (about 0.1 s of enumeration); it also gives exhaustive verification its strict-reading counts
BNB_CROSS_CHECK_CODES = 200_000
# auto runs the branch-and-bound beyond enumeration only on grids this small (the certified
# targets have 16 points; its cost grows with the zero-loss codes, not the grid alone, so
# larger grids need an explicit --method bnb, whose node budget then bounds the time)
BNB_AUTO_MAX_POINTS = 36
# Node budget of the branch-and-bound cross-check inside exhaustive verification (~5 s at most)
BNB_CROSS_CHECK_NODES = 500_000
# Node budgets of the branch-and-bound (bound evaluations): the targets (2,2,2,2)/(2,2,2,2)
# and (4,4)/(4,4) need 4e4 and 5e5; quick verification stops earlier
BNB_MAX_NODES = 5_000_000
BNB_MAX_NODES_QUICK = 1_000_000
#: The two readings of "symbolic" that the WTA results report side by side (item 4 of issue 13)
SYMBOLIC_READINGS = {
    "cylinder": "THEORY.md 1.2: every live unit with a non-trivial receptive set is a cylinder "
    "{z : z_k in S} on one factor k (counted in symbolic_zero_loss_codes)",
    "one_unit_per_value": "stricter: every such unit is the indicator {z : z_k = a} of a single "
    "value, so each non-constant module is the one-hot code of one factor (counted in "
    "one_unit_per_value_zero_loss_codes; complete_one_unit_per_value_zero_loss_codes adds that "
    "every value of every factor has its own unit)",
}
COMPLETE_CONVENTION = (
    "complete_symbolic_zero_loss_codes counts codes that are symbolic AND complete; "
    "numerics.metrics.symbolic_verdict defines complete for any code (the units that depend on "
    "factor k alone separate its values), so a non-symbolic code can be metrics-complete but is "
    "never counted here; on symbolic codes the two definitions agree (tested)"
)


# --------------------------------------------------------------------------- derivations


def lemma_l1_case_analysis() -> Derivation:
    """Lemma WTA-L1 in general: its reduction to four corner values, then the 8 cases.

    Reduction (symbolic, any number of factors and values): for additive
    f = f_1(z_1) + f_2(z_2) + r (r the other factors, held fixed) the corners of a rectangle
    are f(a, b) = v, f(a', b) = v - delta_1, f(a, b') = v - delta_2 and
    f(a', b') = v - delta_1 - delta_2 with delta_1 = f_1(a) - f_1(a'), delta_2 = f_2(b) -
    f_2(b'), identically in the symbolic values. If f is {0,1}-valued and depends on factors
    1 and 2, some a, a' and b, b' make delta_1, delta_2 non-zero differences of {0,1} values,
    i.e. in {-1, +1}. Case analysis: with v in {0, 1} and delta_i in {-1, +1} the four values
    cannot all lie in {0, 1}: by exact enumeration of the 8 cases, and by a Groebner basis
    [1] of the ideal x(x - 1) (four values), delta_i^2 - 1, so no solution exists even over
    the complex numbers.
    """
    f1a, f1a_, f2b, f2b_, rest = sp.symbols("f1a f1a' f2b f2b' r")
    corner = {
        (0, 0): f1a + f2b + rest,
        (1, 0): f1a_ + f2b + rest,
        (0, 1): f1a + f2b_ + rest,
        (1, 1): f1a_ + f2b_ + rest,
    }
    v, delta1, delta2 = corner[(0, 0)], f1a - f1a_, f2b - f2b_
    reduction = combine_decisions(
        [
            equal_status(corner[(1, 0)], v - delta1),
            equal_status(corner[(0, 1)], v - delta2),
            equal_status(corner[(1, 1)], v - delta1 - delta2),
        ]
    )
    nonzero_differences = {x - y for x in (0, 1) for y in (0, 1)} - {0}
    differences = "proved" if nonzero_differences == {-1, 1} else "refuted"
    cases = []
    for v0, d1, d2 in itertools.product((0, 1), (-1, 1), (-1, 1)):
        values = [sp.Integer(v0 - s) for s in (0, d1, d2, d1 + d2)]
        cases.append(all(x in (0, 1) for x in values))
    enumeration = "proved" if (len(cases) == 8 and not any(cases)) else "refuted"
    vs, d1s, d2s = sp.symbols("v delta1 delta2")
    values = [vs, vs - d1s, vs - d2s, vs - d1s - d2s]
    system = [x * (x - 1) for x in values] + [d1s**2 - 1, d2s**2 - 1]
    basis = sp.groebner(system, vs, d1s, d2s, order="lex")
    groebner = "proved" if list(basis.exprs) == [1] else "refuted"
    return Derivation(
        id="WTA-L1/cases",
        statement=twta.LEMMA_L1.text,
        provenance="reconstructed",
        status=combine_decisions([reduction, differences, enumeration, groebner]),
        method="sympy: symbolic rectangle identity of additive functions; exact enumeration "
        "of the 8 cases; Groebner basis",
        detail=(
            f"reduction to corners {reduction}; non-zero {{0,1}} differences are +-1 "
            f"{differences}; {sum(cases)} of {len(cases)} cases admit four {{0,1}} values; "
            f"Groebner basis {list(basis.exprs)}"
        ),
        theory=THEORY,
    )


def _binary_additive_functions(factors: tuple[int, ...]) -> np.ndarray:
    """Every {0,1}-valued additive function on the grid, each as a (P,) 0/1 row.

    An additive f = c + sum_k f_k with f_k(0) = 0 is fixed by its values on the origin and
    the axis points (z differing from 0 in one coordinate), which must themselves lie in
    {0, 1}: so enumerating those 2^(dim A) choices and keeping the {0,1}-valued extensions
    lists them all.
    """
    z = twta.grid_points(factors)
    n_axes = sum(n - 1 for n in factors)
    out = []
    for bits in itertools.product((0, 1), repeat=1 + n_axes):
        c, rest = bits[0], bits[1:]
        f = np.full(len(z), c)
        offset = 0
        for k, n in enumerate(factors):
            table = np.array((0, *(rest[offset + a] - c for a in range(n - 1))))
            f = f + table[z[:, k]]
            offset += n - 1
        if np.all((f == 0) | (f == 1)):
            out.append(f)
    return np.array(out)


def lemma_l1_brute_force() -> Derivation:
    """Every {0,1}-valued additive function on grids up to 4 x 4 x 4 depends on <= 1 factor.

    Two independent enumerations: (a) all additive functions with {0,1} values via their axis
    values (every grid with 1-3 factors of 2-4 values), counted against
    2 + sum_k (2^{n_k} - 2); (b) all 2^P {0,1}-valued functions on grids with P <= 12, with
    additivity decided by a least-squares residual against the additive basis.
    """
    shapes = [s for k in (1, 2, 3) for s in itertools.product((2, 3, 4), repeat=k)]
    failures, checked = [], 0
    for shape in shapes:
        funcs = _binary_additive_functions(shape)
        grid = twta.grid_points(shape)
        dep = symbolic_verdict(funcs.T.astype(float), grid).dependence
        checked += len(funcs)
        expected = 2 + sum(2**n - 2 for n in shape)
        if np.any(dep.sum(axis=1) > 1) or len(funcs) != expected:
            failures.append(shape)
    small = [s for s in shapes if math.prod(s) <= 12]
    for shape in small:
        grid = twta.grid_points(shape)
        basis = twta.additive_basis(shape)
        p = len(grid)
        allf = ((np.arange(2**p)[:, None] >> np.arange(p)) & 1).astype(float)
        proj = basis @ np.linalg.lstsq(basis, allf.T, rcond=None)[0]
        # residual of an additive 0/1 function is round-off (~1e-15); of a non-additive one
        # it is at least 1/P in some entry (a rational projection onto an integer basis)
        additive = np.max(np.abs(proj - allf.T), axis=0) < 1e-9
        dep = symbolic_verdict(allf[additive].T, grid).dependence
        checked += int(additive.sum())
        expected = 2 + sum(2**n - 2 for n in shape)
        if np.any(dep.sum(axis=1) > 1) or int(additive.sum()) != expected:
            failures.append(("all-functions", shape))
    return Derivation(
        id="WTA-L1/brute-force",
        statement=twta.LEMMA_L1.text,
        provenance="reconstructed",
        status="refuted" if failures else "checked",
        method="exhaustive enumeration on every grid with 1-3 factors of 2-4 values",
        scope="every grid with 1-3 factors of 2-4 values (up to 4x4x4); all 2^P functions on "
        "the grids with P <= 12 (float64 least-squares additivity test)",
        detail=(
            f"{len(shapes)} grids (largest 4x4x4), {checked} {{0,1}}-valued additive functions, "
            f"count = 2 + sum(2^n_k - 2) on each; all 2^P functions cross-checked on "
            f"{len(small)} grids with P <= 12; failures: {failures or 'none'}"
        ),
        theory=THEORY,
    )


def dimension_count(n_codes: int = 40, seed: int = 0) -> Derivation:
    """dim S(pi) <= 1 + sum_g (l_g - 1) <= 1 + sum_g (m_g - 1), l_g the live units of module g.

    General argument: a module's one-hot block B_g has rows summing to 1, so its live
    columns sum to the constant column: (1, -1 on g's live columns) is a null vector of
    [1, B_1, ..., B_G], and dead units are zero columns. The G null vectors have disjoint
    supports outside the constant column, hence are independent, and the zero columns add
    m_g - l_g more: rank <= (1 + sum m_g) - G - sum (m_g - l_g) = 1 + sum (l_g - 1). sympy
    checks the null-vector identity for a generic one-hot row with a symbolic number of live
    units and the count with symbolic sums. Exact rational ranks (sympy ``Matrix.rank``) on
    random codes and one code attaining the bound are a cross-check.
    """
    ell, j, g, G = sp.symbols("ell j g G", integer=True, positive=True)
    r = sp.IndexedBase("r")
    m, live = sp.IndexedBase("m"), sp.IndexedBase("l")
    # a one-hot row restricted to the live columns sums to 1: r_ell = 1 - sum of the others
    row = {r[ell]: 1 - sp.Sum(r[j], (j, 1, ell - 1))}
    null_vector = zero_status((1 - sp.Sum(r[j], (j, 1, ell - 1)) - r[ell]).subs(row).doit())
    count = equal_status(
        (1 + sp.Sum(m[g], (g, 1, G))) - G - sp.Sum(m[g] - live[g], (g, 1, G)),
        1 + sp.Sum(live[g] - 1, (g, 1, G)),
    )
    rng = np.random.Generator(np.random.PCG64(seed))
    violations = []
    for _ in range(n_codes):
        factors = tuple(int(v) for v in rng.integers(2, 4, size=int(rng.integers(2, 4))))
        modules = tuple(int(v) for v in rng.integers(2, 5, size=int(rng.integers(1, 4))))
        p = math.prod(factors)
        winners = [rng.integers(0, m_, size=p) for m_ in modules]
        x = sp.Matrix(
            np.column_stack([np.ones(p, dtype=int), onehot_code(winners, modules)]).astype(int)
        )
        live_units = [len(np.unique(w)) for w in winners]
        if x.rank() > 1 + sum(n - 1 for n in live_units):
            violations.append((factors, modules, x.rank()))
    factors = (3, 2, 4)
    grid = twta.grid_points(factors)
    x = sp.Matrix(
        np.column_stack([np.ones(len(grid), dtype=int), onehot_code(list(grid.T), factors)]).astype(
            int
        )
    )
    attained = x.rank() == twta.dim_additive(factors)
    cross = "proved" if (not violations and attained) else "refuted"
    return Derivation(
        id="WTA-DIM/rank",
        statement=twta.DIMENSION_COUNT.text,
        provenance="reconstructed",
        status=combine_decisions([null_vector, count, cross]),
        method="general: one null vector per module (one-hot rows sum to 1) + zero columns of "
        "dead units, checked with sympy symbolic sums; exact ranks on random codes cross-check",
        detail=(
            f"null vector of a module {null_vector}; rank count 1 + sum(l_g - 1) {count}; "
            f"cross-check: {n_codes} random codes within the bound (violations: "
            f"{violations or 'none'}), symbolic code on factors {factors} has rank {x.rank()} "
            f"= dim A = {twta.dim_additive(factors)}"
        ),
        theory=THEORY,
    )


def proof_counting_steps() -> Derivation:
    """The counting steps of WTA-1's proof: equality throughout the chain, no dead unit.

    Zero loss puts every task in S(pi), so H2 gives A = T within S(pi): dim A <= dim S. With
    WTA-DIM (live units l_g) and H3: dim S <= 1 + sum(l_g - 1) <= 1 + sum(m_g - 1) <=
    dim A. Certificate of equality: the non-negative gaps (dim S - dim A),
    (sum (l_g - 1) + 1 - dim S), (sum (m_g - l_g)) and (dim A - 1 - sum (m_g - 1)) sum to 0
    identically (sympy, symbolic G and K), so each is 0: dim S = dim A, S(pi) = A, and
    l_g = m_g for every module (no dead unit). The remaining steps of the proof are Lemma
    L1 (WTA-L1/cases) applied to each unit indicator and the short arguments of THEORY.md
    1.3 (a constant indicator would leave a dead unit; S(pi) = A contains 1[z_k = v]).
    """
    g, k, G, K = sp.symbols("g k G K", integer=True, positive=True)
    m, live, n = sp.IndexedBase("m"), sp.IndexedBase("l"), sp.IndexedBase("n")
    dim_S = sp.Symbol("dim_S", integer=True, nonnegative=True)
    dim_A = 1 + sp.Sum(n[k] - 1, (k, 1, K))
    gaps = [
        dim_S - dim_A,  # A within S(pi)
        1 + sp.Sum(live[g] - 1, (g, 1, G)) - dim_S,  # WTA-DIM with live units
        sp.Sum(m[g] - live[g], (g, 1, G)),  # live units never exceed units
        dim_A - 1 - sp.Sum(m[g] - 1, (g, 1, G)),  # H3
    ]
    certificate = zero_status(sp.expand(sum(gaps)).doit())
    # each gap is 0 => dead units vanish module by module: m_g - l_g >= 0 summing to 0
    return Derivation(
        id="WTA-1/counting",
        statement=(
            "at zero loss under H1-H3: dim A = dim S(pi) = 1 + sum(m_g - 1) (so H3 holds with "
            "equality and S(pi) = A) and no unit is dead"
        ),
        provenance="reconstructed",
        status=certificate,
        method="sympy: the four non-negative gaps of the dimension chain sum to 0 "
        "identically (symbolic numbers of factors and modules)",
        detail=f"sum of the chain's gaps = 0: {certificate}",
        theory=THEORY,
    )


def small_setups_all_hypotheses() -> list[twta.WTASetup]:
    """Every setup with factors in (2,2), (2,3), (3,3), (2,2,2), factor-onehot tasks, and
    modules (sorted descending, 1-3 modules of 2-4 units) meeting H3, small enough to
    enumerate fast."""
    out = []
    for factors in ((2, 2), (2, 3), (3, 3), (2, 2, 2)):
        budget = sum(n - 1 for n in factors)
        for g in (1, 2, 3):
            for modules in itertools.combinations_with_replacement((4, 3, 2), g):
                if sum(m - 1 for m in modules) > budget:
                    continue
                if nwta.count_codes(math.prod(factors), modules) > 3_000_000:
                    continue
                targets = twta.make_targets(factors, "factor-onehot")
                out.append(twta.WTASetup(factors, modules, targets, task_name="factor-onehot"))
    return out


def theorem_small_setups() -> Derivation:
    """Theorem WTA-1 on every small setup where H1-H3 hold, by exhaustive search."""
    lines, bad = [], []
    for s in small_setups_all_hypotheses():
        r = nwta.exhaustive_search(s)
        ok = (
            r.zero_loss_codes == r.symbolic_zero_loss_codes == r.complete_symbolic_zero_loss_codes
            and r.dead_unit_zero_loss_codes == 0
            and (r.zero_loss_codes == 0 or twta.capacity_slack(s.factors, s.modules) == 0)
        )
        lines.append(f"{s.factors}/{s.modules}: {r.zero_loss_codes} zero-loss")
        if not ok:
            bad.append((s.factors, s.modules))
    return Derivation(
        id="WTA-1/exhaustive-small",
        statement=twta.THEOREM.text,
        provenance="reconstructed",
        status="refuted" if bad else "checked",
        method="exhaustive enumeration of all codes (finite instances of the theorem)",
        scope="factors (2,2), (2,3), (3,3), (2,2,2) with factor-onehot tasks and every module "
        "tuple of 1-3 modules of 2-4 units meeting H3 with at most 3e6 codes",
        detail=f"{len(lines)} setups; " + "; ".join(lines) + f"; failures: {bad or 'none'}",
        theory=THEORY,
    )


DERIVATIONS = (
    lemma_l1_case_analysis,
    lemma_l1_brute_force,
    dimension_count,
    proof_counting_steps,
    theorem_small_setups,
)


# --------------------------------------------------------------------------- check


class MethodUnavailable(ValueError):
    """The requested (or automatic) method cannot run on this setup; the front door turns it
    into a one-line spec error naming ``key``."""

    def __init__(self, key: str, expected: str, given: object) -> None:
        self.key, self.expected, self.given = key, expected, given
        super().__init__(f"{key}: expected {expected}, given {given!r}")


def _independent_code_check(setup: twta.WTASetup, code) -> dict[str, object]:
    """Loss of a code by plain lstsq and its verdict by numerics.metrics (full support only)."""
    loss = nwta.naive_code_loss(setup, code)
    out: dict[str, object] = {"loss_lstsq": loss}
    if not setup.holdout:
        v = symbolic_verdict(onehot_code([np.asarray(c) for c in code], setup.modules), setup.grid)
        out.update(symbolic=v.symbolic, complete=v.complete, unit_factor=list(v.unit_factor))
    return out


def _per_task_loss(setup: twta.WTASetup, code) -> list[float]:
    return [
        nwta.naive_code_loss(
            twta.WTASetup(setup.factors, setup.modules, (row,), setup.holdout), code
        )
        for row in setup.targets
    ]


def _count_text(n: int) -> str:
    """An exact count for people: in full when short, else its order of magnitude.

    Counts here can have thousands of digits: neither float() nor str() may be applied.
    """
    if n < 10**12:
        return f"{n:,}"
    return f"about 10^{int((n.bit_length() - 1) * math.log10(2))}"


def choose_method(setup: twta.WTASetup, method: str) -> tuple[str, str]:
    """The method to run and why: ``auto`` enumerates up to ``MAX_EXHAUSTIVE_CODES`` codes and
    runs the certified branch-and-bound (:mod:`mtl_theory.numerics.wta_bnb`) beyond."""
    n_codes = nwta.count_codes(len(setup.support), setup.modules)
    if method == "auto":
        if n_codes > nwta.MAX_EXHAUSTIVE_CODES and len(setup.support) > BNB_AUTO_MAX_POINTS:
            raise MethodUnavailable(
                "method",
                f"'bnb', 'milp' or 'gradient' for this setup (exhaustive search would enumerate "
                f"{_count_text(n_codes)} codes > limit {nwta.MAX_EXHAUSTIVE_CODES:.3g}; auto runs "
                f"the branch-and-bound only up to {BNB_AUTO_MAX_POINTS} grid points)",
                "auto",
            )
        if n_codes > nwta.MAX_EXHAUSTIVE_CODES:
            return "bnb", (
                f"auto: {_count_text(n_codes)} codes > exhaustive limit "
                f"{nwta.MAX_EXHAUSTIVE_CODES:.3g}: certified branch-and-bound"
            )
        return "exhaustive", f"auto: {n_codes} codes <= {nwta.MAX_EXHAUSTIVE_CODES}, enumerated"
    if method == "exhaustive" and n_codes > nwta.MAX_EXHAUSTIVE_CODES:
        raise MethodUnavailable(
            "method",
            f"'bnb' or 'milp' (exhaustive search would enumerate {_count_text(n_codes)} codes > "
            f"limit {nwta.MAX_EXHAUSTIVE_CODES:.3g})",
            "exhaustive",
        )
    if method not in METHODS:
        raise MethodUnavailable("method", "one of auto, " + ", ".join(METHODS), method)
    if method == "gradient" and not nwta.renderable(setup.factors):
        raise MethodUnavailable(
            "factors",
            "at most 3 factors of at most 4 values for --method gradient (images: "
            "shape x colour x position)",
            list(setup.factors),
        )
    return method, f"requested: {method}"


def _targets_rounding_floor(setup: twta.WTASetup) -> float:
    """Mean squared distance of the float targets from exact sums of their factor tables.

    A target built as a float sum of K tables is within K half-ulps of the exact sum, so an
    exactly representable zero-loss fit may miss it by at most (K eps max|y|)^2 per entry.
    """
    scale = float(np.max(np.abs(setup.target_array))) if setup.target_array.size else 0.0
    return (len(setup.factors) * float(np.finfo(float).eps) * scale) ** 2


def _recheck_counterexample(
    setup: twta.WTASetup, code, route: str, comps: list[Comparison]
) -> dict:
    """Re-check a search's counterexample: zero loss in exact arithmetic, non-symbolic by
    numerics.metrics (appended to ``comps``); returns the independent check's record."""
    cex = _independent_code_check(setup, code)
    comps.append(_exact_zero_loss_comparison(setup, code, route))
    if "symbolic" in cex:
        comps.append(
            Comparison.exact(
                "WTA-1",
                "counterexample symbolic (numerics.metrics)",
                False,
                cex["symbolic"],
                "the search's classifier and numerics.metrics must agree that the "
                "counterexample is non-symbolic",
                route="consistency",
            )
        )
    return cex


def _exact_zero_loss_comparison(setup: twta.WTASetup, code, found_by: str) -> Comparison:
    """A code claimed to reach zero loss, re-checked in exact rational arithmetic."""
    floor = _targets_rounding_floor(setup)
    return Comparison.upper_bound(
        "WTA-1",
        f"counterexample loss, exact rational least squares (found by {found_by})",
        0.0,
        float(nwta.exact_code_loss(setup, code)),
        floor,
        f"exact arithmetic on the float targets; the only slack is the targets' own rounding "
        f"(K eps max|y|)^2 = {floor:.3g}, not the search's zero-loss threshold",
        route="independent",
    )


def _zero_loss_sample_comparisons(setup: twta.WTASetup, r) -> list[Comparison]:
    """Re-check the search's measurements code by code on its listed zero-loss codes.

    The counts WTA-1 is judged on rest on two measurements of the search: its zero-loss
    decision (a float64 threshold) and its vectorized symbolic/complete classifier. Each
    listed code is re-decided in exact rational arithmetic and re-classified by
    numerics.metrics (a separate implementation of the definition, on the full grid only):
    consistency checks of the measurements, which fail verify when they disagree.
    """
    sample = r.zero_loss_sample
    if not sample:
        return []
    floor = _targets_rounding_floor(setup)
    exact = [float(nwta.exact_code_loss(setup, code)) <= floor for code, _, _ in sample]
    out = [
        Comparison.exact(
            "WTA-1",
            f"zero-loss decision of the search, re-decided exactly ({len(sample)} codes)",
            [True] * len(sample),
            exact,
            "each listed zero-loss code's least-squares loss in exact rational arithmetic is 0 "
            f"up to the targets' rounding {floor:.3g} (not the search's float threshold)",
            route="consistency",
        )
    ]
    if not setup.holdout:
        verdicts = [
            symbolic_verdict(onehot_code([np.asarray(c) for c in code], setup.modules), setup.grid)
            for code, _, _ in sample
        ]
        # the search counts complete codes among the symbolic ones (symbolic and complete)
        flags = {
            "symbolic": [v.symbolic for v in verdicts],
            "symbolic and complete": [v.symbolic and v.complete for v in verdicts],
        }
        for (key, expected), index in zip(flags.items(), (1, 2), strict=True):
            out.append(
                Comparison.exact(
                    "WTA-1",
                    f"{key} verdicts of the listed zero-loss codes (search vs numerics.metrics)",
                    expected,
                    [entry[index] for entry in sample],
                    f"the search's vectorized classifier against numerics.metrics ({len(sample)} "
                    "codes): two implementations of the definition of THEORY.md 1.2",
                    route="consistency",
                )
            )
    return out


def _feasibility_comparisons(setup: twta.WTASetup, r) -> list[Comparison]:
    """WTA-FEAS (a) and (b) against the enumeration: hold with or without H1-H3."""
    feas = twta.feasibility_predictions(setup)
    out = []
    if feas["zero_loss_impossible"]:
        out.append(
            Comparison.exact(
                "WTA-FEAS",
                "zero-loss codes (task span exceeds the code dimension bound)",
                0,
                r.zero_loss_codes,
                f"dim span{{1, tasks}} = {feas['task_span_dim_on_support']} > 1 + sum(m_g - 1) "
                f"= {feas['dim_S_bound']} (WTA-DIM) against enumeration",
                route="independent",
            )
        )
    if feas["symbolic_zero_loss_code_exists"]:
        count = r.symbolic_zero_loss_codes if setup.holdout else r.complete_symbolic_zero_loss_codes
        out.append(
            Comparison.exact(
                "WTA-FEAS",
                "a symbolic zero-loss code exists" + ("" if setup.holdout else " (complete)"),
                True,
                count > 0,
                "tasks additive on the training points and the factor code fits the modules "
                "(construction) against enumeration",
                route="independent",
            )
        )
    return out


def _exhaustive_measured(setup: twta.WTASetup, r) -> dict[str, object]:
    """The exhaustive search's counts, minimum and argmin, as measured keys."""
    return {
        "loss": "mean squared error over tasks and training points",
        "count_convention": "ordered module tuples, each up to relabelling of its units",
        "n_codes": r.n_codes,
        "zero_loss_codes": r.zero_loss_codes,
        "symbolic_zero_loss_codes": r.symbolic_zero_loss_codes,
        "complete_symbolic_zero_loss_codes": r.complete_symbolic_zero_loss_codes,
        "dead_unit_zero_loss_codes": r.dead_unit_zero_loss_codes,
        "min_loss": r.min_loss,
        "argmin_code": [list(c) for c in r.argmin_code],
        "argmin_per_task_loss": _per_task_loss(setup, r.argmin_code),
        "counterexample": None if r.counterexample is None else [list(c) for c in r.counterexample],
        "zero_loss_tolerance": r.zero_loss_tolerance,
        "seconds": r.seconds,
    }


def _argmin_lstsq_comparison(setup: twta.WTASetup, r) -> Comparison:
    """The enumeration's minimum against ``numpy.linalg.lstsq`` on its argmin code."""
    independent = _independent_code_check(setup, r.argmin_code)
    return Comparison.numeric(
        "WTA-1",
        "min_loss (batched normal equations vs lstsq on the argmin code)",
        independent["loss_lstsq"],
        r.min_loss,
        1e-9 * (1 + float(np.mean(setup.target_array**2))),
        "float64 round-off of two least-squares routes (~1e-15 relative); 1e-9 of the task energy",
        route="consistency",
    )


_ONE_UNIT_PER_VALUE_KEYS = (
    "one_unit_per_value_zero_loss_codes",
    "complete_one_unit_per_value_zero_loss_codes",
)


def _exhaustive_bnb_cross_check(
    setup: twta.WTASetup, r, measured: dict[str, object]
) -> tuple[list[Comparison], str]:
    """Cross-check the enumeration by the branch-and-bound, an independent complete search.

    It also supplies the stricter "one unit per factor value" counts, which the enumeration
    does not classify; both are filled into ``measured`` (``None`` when the branch-and-bound
    stops at its budget). Returns the comparisons and the note that says which happened.
    """
    b = nbnb.bnb_search(setup, minimize=True, max_nodes=BNB_CROSS_CHECK_NODES)
    measured["symbolic_readings"] = SYMBOLIC_READINGS
    measured["complete_convention"] = COMPLETE_CONVENTION
    if not b.complete_search:
        for key in _ONE_UNIT_PER_VALUE_KEYS:
            measured[key] = None
        return [], (
            f"branch-and-bound cross-check stopped at its budget of {BNB_CROSS_CHECK_NODES:,} "
            "bound evaluations: one-unit-per-value counts not measured"
        )
    for key in _ONE_UNIT_PER_VALUE_KEYS:
        measured[key] = getattr(b, key)
    return _bnb_vs_exhaustive(setup, r, b), (
        f"cross-checked by branch-and-bound ({b.nodes_visited:,} bounds evaluated); "
        "one unit per factor value: "
        f"{b.one_unit_per_value_zero_loss_codes} of {b.zero_loss_codes} zero-loss codes"
    )


def _exhaustive_conclusion_comparisons(r, zero_loss_possible: bool) -> list[Comparison]:
    """WTA-1's conclusions, where it applies, against the enumeration of every code.

    Every zero-loss code is symbolic, complete and without a dead unit; and where strict H3
    forbids zero loss (``zero_loss_possible`` false), no code reaches it.
    """
    why = "WTA-1's conclusion (proof) against enumeration of every code"
    counts = [
        ("non-symbolic zero-loss codes", r.zero_loss_codes - r.symbolic_zero_loss_codes, why),
        (
            "incomplete zero-loss codes",
            r.zero_loss_codes - r.complete_symbolic_zero_loss_codes,
            why,
        ),
        ("zero-loss codes with a dead unit", r.dead_unit_zero_loss_codes, why),
    ]
    if not zero_loss_possible:
        counts.append(
            (
                "zero-loss codes (strict H3 forbids them)",
                r.zero_loss_codes,
                "the proof's counting step against enumeration",
            )
        )
    return [
        Comparison.exact("WTA-1", quantity, 0, value, reason, route="independent")
        for quantity, value, reason in counts
    ]


def _exhaustive_outcome_note(r, applies: bool, measured: dict[str, object]) -> str:
    """One sentence on what the enumeration found, relative to whether WTA-1 applies."""
    if applies:
        return (
            f"theorem applies: {r.zero_loss_codes} zero-loss codes, all symbolic: "
            f"{r.zero_loss_codes == r.symbolic_zero_loss_codes}"
        )
    if r.zero_loss_codes == 0:
        return (
            f"theorem does not apply; no code reaches zero loss; optimum trade-off: min loss "
            f"{r.min_loss:.6g} at code {measured['argmin_code']}, per-task loss "
            f"{[round(v, 12) for v in measured['argmin_per_task_loss']]}"
        )
    if r.counterexample is None:
        return (
            "theorem does not apply; exhaustive search found no counterexample "
            f"({r.zero_loss_codes} zero-loss codes, all symbolic)"
        )
    return (
        f"theorem does not apply; counterexample found: {r.zero_loss_codes} zero-loss codes, "
        f"{r.symbolic_zero_loss_codes} symbolic; e.g. {measured['counterexample']}"
    )


def _verify_exhaustive(setup, applies, preds) -> Verification:
    """WTA-1 against enumeration of every code (:func:`mtl_theory.numerics.wta.exhaustive_search`).

    Comparisons: the minimum against lstsq (consistency), the feasibility and zero-loss
    sample checks, the branch-and-bound cross-check, the exact re-check of a counterexample
    and, where the theorem applies, its conclusions against the counts.
    """
    r = nwta.exhaustive_search(setup)
    measured = _exhaustive_measured(setup, r)
    comps = [_argmin_lstsq_comparison(setup, r)]
    comps += _feasibility_comparisons(setup, r)
    comps += _zero_loss_sample_comparisons(setup, r)
    cross_comps, cross_note = _exhaustive_bnb_cross_check(setup, r, measured)
    comps += cross_comps
    notes = [cross_note]
    if setup.holdout:
        notes.append("codes give winner -1 at held-out grid points (never seen in training)")
    if r.counterexample is not None:
        measured["counterexample_check"] = _recheck_counterexample(
            setup, r.counterexample, "exhaustive search", comps
        )
    if applies:
        comps += _exhaustive_conclusion_comparisons(r, preds["zero_loss_possible"])
    notes.append(_exhaustive_outcome_note(r, applies, measured))
    return Verification("exhaustive", measured, tuple(comps), tuple(notes))


def _bnb_counts(r) -> dict[str, object]:
    """The branch-and-bound's counts under both readings of "symbolic", as measured keys."""
    return {
        "zero_loss_codes": r.zero_loss_codes,
        "symbolic_zero_loss_codes": r.symbolic_zero_loss_codes,
        "complete_symbolic_zero_loss_codes": r.complete_symbolic_zero_loss_codes,
        "dead_unit_zero_loss_codes": r.dead_unit_zero_loss_codes,
        "one_unit_per_value_zero_loss_codes": r.one_unit_per_value_zero_loss_codes,
        "complete_one_unit_per_value_zero_loss_codes": (
            r.complete_one_unit_per_value_zero_loss_codes
        ),
    }


def _bnb_vs_exhaustive(setup: twta.WTASetup, e, b) -> list[Comparison]:
    """Exhaustive enumeration against the branch-and-bound, count by count.

    The zero-loss decisions are reached by two routes that share no loss computation
    (contingency-table projections over every code; incremental normal equations over a
    pruned tree, with its own symmetry reduction and orbit counting): independent. The
    symbolic/complete/dead counts then classify the same codes with the same per-partition
    classifier: consistency checks of the enumeration and the orbit counts.
    """
    if not b.complete_search:
        return []
    out = [
        Comparison.exact(
            "WTA-1",
            "zero-loss codes (branch-and-bound vs exhaustive)",
            e.zero_loss_codes,
            b.zero_loss_codes,
            "two complete searches of the same codes sharing no loss computation",
            route="independent",
        ),
        Comparison.exact(
            "WTA-1",
            "a zero-loss non-symbolic code exists (branch-and-bound vs exhaustive)",
            e.counterexample is not None,
            b.counterexample is not None,
            "same question, two complete searches",
            route="independent",
        ),
    ]
    for key in (
        "symbolic_zero_loss_codes",
        "complete_symbolic_zero_loss_codes",
        "dead_unit_zero_loss_codes",
    ):
        out.append(
            Comparison.exact(
                "WTA-1",
                f"{key} (branch-and-bound vs exhaustive)",
                getattr(e, key),
                getattr(b, key),
                "same classifier on the codes both searches found (orbit counts checked)",
                route="consistency",
            )
        )
    if b.min_loss_certified and b.min_loss is not None:
        out.append(
            Comparison.numeric(
                "WTA-1",
                "min_loss (branch-and-bound vs exhaustive)",
                e.min_loss,
                b.min_loss,
                1e-9 * (1 + float(np.mean(setup.target_array**2))),
                "two exact global minima in float64 (round-off ~1e-15 relative); 1e-9 of the "
                "task energy",
                route="independent",
            )
        )
    return out


def _bnb_measured(setup: twta.WTASetup, r, budget: int) -> dict[str, object]:
    """The branch-and-bound's counts, certificate and search statistics, as measured keys."""
    return {
        "loss": "mean squared error over tasks and training points",
        "count_convention": "ordered module tuples, each up to relabelling of its units",
        "complete_convention": COMPLETE_CONVENTION,
        "symbolic_readings": SYMBOLIC_READINGS,
        "complete_search": r.complete_search,
        "counts_are_lower_bounds": not r.complete_search,
        **_bnb_counts(r),
        "canonical_zero_loss_codes": r.canonical_zero_loss_codes,
        "min_loss": r.min_loss,
        "min_loss_certified": r.min_loss_certified,
        "min_loss_lower_bound": r.min_loss_lower_bound,
        "min_loss_code": None if r.min_loss_code is None else [list(c) for c in r.min_loss_code],
        "counterexample": None if r.counterexample is None else [list(c) for c in r.counterexample],
        "nodes_visited": r.nodes_visited,
        "nodes_pruned": r.nodes_pruned,
        "nodes_new_unit": r.nodes_new_unit,
        "node_budget": budget,
        "codes": _count_text(nwta.count_codes(len(setup.support), setup.modules)),
        "zero_loss_tolerance": r.zero_loss_tolerance,
        # wall and CPU time together under the one key that reports leave out of comparisons
        "seconds": {"wall": r.seconds, "cpu": r.cpu_seconds},
    }


def _bnb_min_loss_comparison(setup: twta.WTASetup, r) -> list[Comparison]:
    """The search's minimum against a naive lstsq on the code it reports (if it reports one)."""
    if r.min_loss_code is None or r.min_loss is None:
        return []
    return [
        Comparison.numeric(
            "WTA-1",
            "min_loss (incremental normal equations vs lstsq on the reported code)",
            nwta.naive_code_loss(setup, r.min_loss_code),
            r.min_loss,
            1e-9 * (1 + float(np.mean(setup.target_array**2))),
            "float64 round-off of two least-squares routes (~1e-15 relative); "
            "1e-9 of the task energy",
            route="consistency",
        )
    ]


def _bnb_conclusion_comparisons(r) -> list[Comparison]:
    """WTA-1's conclusions, where it applies, against what the search decided.

    "No zero-loss non-symbolic code" is compared whenever the search decided it (complete, or
    stopped on an exhibited counterexample); the completeness and dead-unit counts only after a
    complete search, since an incomplete one's counts are lower bounds.
    """
    decided = r.complete_search or r.counterexample is not None
    out: list[Comparison] = []
    if decided:
        out.append(
            Comparison.exact(
                "WTA-1",
                "a zero-loss non-symbolic code exists",
                False,
                r.counterexample is not None,
                "WTA-1's conclusion (proof) against a complete branch-and-bound over every code"
                if r.complete_search
                else "WTA-1's conclusion (proof) against a code the search exhibits",
                route="independent",
            )
        )
    if r.complete_search:
        for quantity, value in (
            ("incomplete zero-loss codes", r.zero_loss_codes - r.complete_symbolic_zero_loss_codes),
            ("zero-loss codes with a dead unit", r.dead_unit_zero_loss_codes),
        ):
            out.append(
                Comparison.exact(
                    "WTA-1",
                    quantity,
                    0,
                    value,
                    "WTA-1's conclusion (proof) against a complete branch-and-bound",
                    route="independent",
                )
            )
    return out


def _bnb_outcome_note(r, budget: int, measured: dict[str, object]) -> str:
    """One sentence: undecided at the budget, a counterexample, or the certificate."""
    if not (r.complete_search or r.counterexample is not None):
        return (
            f"search stopped after {budget:,} bound evaluations without a counterexample: "
            "counts are lower bounds and no certificate was obtained (not verified)"
        )
    if r.counterexample is not None:
        return (
            f"counterexample found: a zero-loss non-symbolic code {measured['counterexample']} "
            f"(re-checked in exact arithmetic); {r.zero_loss_codes:,} zero-loss codes"
            + ("" if r.complete_search else " found before the node budget ran out")
        )
    return (
        f"certified: none of the {measured['codes']} codes is a zero-loss non-symbolic code "
        f"({r.zero_loss_codes} zero-loss codes, all symbolic; "
        f"{r.one_unit_per_value_zero_loss_codes} of them one unit per factor value)"
    )


def _verify_bnb(setup, applies, quick) -> Verification:
    """WTA-1 by the certified branch-and-bound (:func:`mtl_theory.numerics.wta_bnb.bnb_search`).

    Within its node budget (smaller under ``quick``) the search certifies that no zero-loss
    code is non-symbolic, exhibits one, or stops undecided (not verified). Where enumeration is
    affordable (``BNB_CROSS_CHECK_CODES``) the exhaustive search cross-checks it count by count.
    """
    budget = BNB_MAX_NODES_QUICK if quick else BNB_MAX_NODES
    r = nbnb.bnb_search(setup, minimize=True, max_nodes=budget)
    measured = _bnb_measured(setup, r, budget)
    comps: list[Comparison] = []
    notes = [
        f"branch-and-bound: {r.nodes_visited:,} bounds evaluated, {r.nodes_pruned:,} nodes "
        f"pruned, {r.nodes_new_unit:,} inherited"
    ]
    if r.complete_search:
        comps += _feasibility_comparisons(setup, r)
    comps += _zero_loss_sample_comparisons(setup, r)
    comps += _bnb_min_loss_comparison(setup, r)
    if r.counterexample is not None:
        measured["counterexample_check"] = _recheck_counterexample(
            setup, r.counterexample, "branch-and-bound", comps
        )
    if applies:
        comps += _bnb_conclusion_comparisons(r)
    notes.append(_bnb_outcome_note(r, budget, measured))
    if nwta.count_codes(len(setup.support), setup.modules) <= BNB_CROSS_CHECK_CODES:
        e = nwta.exhaustive_search(setup)
        comps += _bnb_vs_exhaustive(setup, e, r)
        notes.append(f"cross-checked against exhaustive search ({e.n_codes} codes)")
    return Verification("bnb", measured, tuple(comps), tuple(notes))


@dataclass(frozen=True)
class MILPSolves:
    """The MILP route's solves (:mod:`mtl_theory.numerics.wta_milp`): ``reach`` - is any
    code of zero loss? ``nonsymbolic`` - a zero-loss non-symbolic code? (None when the
    training support is disconnected, where the program does not encode "non-symbolic");
    ``best`` - the minimum L-infinity error, solved only when ``reach`` proved zero loss
    impossible, within what is left of the route's time budget (None otherwise)."""

    reach: nmilp.MILPResult
    nonsymbolic: nmilp.MILPResult | None
    best: nmilp.MILPResult | None
    budget: float


#: Solver time limit (s) of each zero-loss program of the MILP route, full and quick; the
#: L-inf program, run only when zero loss is proved impossible, gets what is left of the two
#: limits and at least MILP_LAST_SOLVE_FLOOR s (mtl_theory.cost estimates the route from them).
MILP_TIME_LIMIT = {False: 300.0, True: 30.0}
MILP_LAST_SOLVE_FLOOR = 1.0


def milp_solves(setup: twta.WTASetup, quick: bool) -> MILPSolves:
    """Run the route's programs: two time limits in all (:data:`MILP_TIME_LIMIT`)."""
    limit = MILP_TIME_LIMIT[bool(quick)]
    reach = nmilp.milp_search(setup, objective="zero", zero_tol=MILP_ZERO_TOL, time_limit=limit)
    try:
        nonsym = nmilp.milp_search(
            setup, objective="zero", nonsymbolic_only=True, zero_tol=MILP_ZERO_TOL,
            time_limit=limit,
        )  # fmt: skip
    except ValueError:
        nonsym = None
    best = None
    left = 2 * limit - reach.seconds - (nonsym.seconds if nonsym else 0.0)
    if reach.status == "infeasible":
        best = nmilp.milp_search(
            setup, objective="linf", time_limit=max(left, MILP_LAST_SOLVE_FLOOR)
        )
    return MILPSolves(reach, nonsym, best, 2 * limit)


def _milp_min_loss(solves: MILPSolves) -> dict[str, object]:
    """The minimum L-infinity error as far as it was proved: 0 with a zero-loss code, the
    solver's optimum, or (time limit) the incumbent with its proved lower bound."""
    r, best = solves.reach, solves.best
    if r.status == "optimal":
        return {"min_loss": r.loss, "min_loss_certified": True, "min_loss_lower_bound": 0.0,
                "min_loss_code": [list(c) for c in r.code]}  # fmt: skip
    if best is None:
        return {"min_loss": None, "min_loss_certified": False, "min_loss_lower_bound": None,
                "min_loss_code": None}  # fmt: skip
    return {
        "min_loss": best.loss,
        "min_loss_certified": best.status == "optimal",
        "min_loss_lower_bound": best.dual_bound,
        "min_loss_code": None if best.code is None else [list(c) for c in best.code],
    }


def _milp_measured(setup: twta.WTASetup, solves: MILPSolves) -> dict[str, object]:
    r, ns = solves.reach, solves.nonsymbolic
    found = ns is not None and ns.status == "optimal"
    runs = [x for x in (r, ns, solves.best) if x is not None]
    return {
        "loss": "max |error| over tasks and training points (L-infinity), certified by HiGHS",
        "zero_loss_codes": None,
        "symbolic_zero_loss_codes": None,
        **_milp_min_loss(solves),
        "zero_loss_reachable": (r.status == "optimal") if r.decided else None,
        "nonsymbolic_zero_loss_exists": (found if ns is not None and ns.decided else None),
        "milp_status": {
            "zero_loss": r.status,
            "nonsymbolic_zero_loss": None if ns is None else ns.status,
            "min_loss": None if solves.best is None else solves.best.status,
        },
        "milp_decided": {
            "zero_loss": r.decided,
            "nonsymbolic_zero_loss": ns is not None and ns.decided,
        },
        "milp_zero_tolerance": MILP_ZERO_TOL,
        "weight_bound": list(r.bounds.weight),
        "weight_bound_derivation": "derived (numerics/wta_milp.py docstring): W_t = 2 r h(r-1) "
        "spread_t, r = sum(m_g - 1), h = Hadamard's 0/1 determinant bound; exact, no caveat",
        "milp_size": {"binaries": [x.n_binaries for x in runs], "rows": [x.n_rows for x in runs]},
        "counterexample": [list(c) for c in ns.code] if found else None,
        "seconds": sum(x.seconds for x in runs),
    }


def _milp_cross_check(setup: twta.WTASetup, solves: MILPSolves) -> list[Comparison]:
    """Exhaustive search against the decided answers, on grids of <= CROSS_CHECK_CODES codes."""
    r, ns = solves.reach, solves.nonsymbolic
    e = nwta.exhaustive_search(setup)
    comps = []
    if r.decided:
        comps.append(
            Comparison.exact(
                "WTA-1",
                "zero loss reachable (MILP vs exhaustive)",
                e.zero_loss_codes > 0,
                r.status == "optimal",
                "zero L-inf loss iff zero L2 loss; MILP and enumeration share no code",
                route="independent",
            )
        )
    if ns is not None and ns.decided:
        comps.append(
            Comparison.exact(
                "WTA-1",
                "zero-loss non-symbolic code exists (MILP vs exhaustive)",
                e.counterexample is not None,
                ns.status == "optimal",
                "same question, two independent routes",
                route="independent",
            )
        )
    return comps


def _verify_milp(setup, applies, preds, quick) -> Verification:
    """The MILP route. A solve stopped by its time limit decides nothing: its question is
    reported as undecided (``milp_decided``), never as "no counterexample"."""
    solves = milp_solves(setup, quick)
    measured = _milp_measured(setup, solves)
    ns = solves.nonsymbolic
    notes = ["MILP cannot count codes: zero_loss_codes and symbolic_zero_loss_codes are null"]
    comps: list[Comparison] = []
    if measured["counterexample"] is not None:
        measured["counterexample_check"] = _recheck_counterexample(
            setup, ns.code, "the MILP", comps
        )
    if ns is None:
        notes.append(
            "training support disconnected: the non-symbolic program does not apply (undecided)"
        )
    elif not ns.decided:
        notes.append(
            f"non-symbolic zero-loss program stopped ({ns.status}) after {ns.seconds:.0f} s "
            "without an answer: undecided, not verified"
        )
    elif applies:
        comps.append(
            Comparison.exact(
                "WTA-1",
                "a zero-loss non-symbolic code exists",
                False,
                ns.status == "optimal",
                f"WTA-1's conclusion (proof) against the MILP over non-symbolic codes "
                f"(zero = L-inf error <= {MILP_ZERO_TOL}, re-fitted by lstsq)",
                route="independent",
            )
        )
    if not solves.reach.decided:
        notes.append(f"zero-loss program stopped ({solves.reach.status}): undecided")
    if nwta.count_codes(len(setup.support), setup.modules) <= CROSS_CHECK_CODES:
        comps += _milp_cross_check(setup, solves)
        notes.append("cross-checked against exhaustive search")
    return Verification("milp", measured, tuple(comps), tuple(notes))


def _verify_gradient(setup, applies, seed, quick) -> Verification:
    exp = nwta.gradient_experiment(setup, seed=seed, quick=quick)
    measured = dict(exp)
    comps = []
    notes = [
        "gradient-trained network: the theorem speaks of zero-loss codes only; the hard code "
        "is compared with it only when its own least-squares readout reaches zero loss",
        f"training runs made: {exp['wta']['runs']} of at most {exp['max_restarts']} "
        f"(kept run {exp['wta']['kept_run']}; training code losses "
        f"{[round(c, 4) for c in exp['wta']['run_train_code_losses']]})",
    ]
    wta = exp["wta"]
    measured["zero_loss_codes"] = None
    measured["symbolic_zero_loss_codes"] = None
    measured["min_loss"] = wta["hard_code_loss"]
    measured["counterexample"] = None
    if wta["hard_code_zero_loss"] and not wta["symbolic"] and not setup.holdout:
        measured["counterexample"] = wta["hard_code"]
    if applies and wta["hard_code_zero_loss"]:
        for key in ("symbolic", "complete"):
            comps.append(
                Comparison.exact(
                    "WTA-1",
                    f"trained hard code {key}",
                    True,
                    wta[key],
                    "WTA-1's conclusion against the code a gradient-trained network found",
                    route="independent",
                )
            )
    elif applies:
        notes.append(
            "no training run reached zero loss, so the theorem (about zero-loss codes) was "
            "not tested: not verified"
        )
    return Verification("gradient", measured, tuple(comps), tuple(notes))


def check(setup: twta.WTASetup, options: CheckOptions) -> CheckResult:
    """Hypotheses, predictions and (with ``options.verify``) the numerical verification."""
    hyps = twta.check_hypotheses(setup)
    applies = all(h.holds for h in hyps)
    preds = twta.predictions(setup)
    if applies:
        predictions = dict(preds)
    else:
        failed = ", ".join(h.id for h in hyps if not h.holds)
        predictions = {
            "symbolic": None,
            "complete": None,
            "note": f"theorem does not apply ({failed} fails): no prediction",
        }
    notes = []
    verification = None
    method, why = choose_method(setup, options.method)
    if options.verify:
        notes.append(f"method: {method} ({why})")
        if method == "exhaustive":
            verification = _verify_exhaustive(setup, applies, preds)
        elif method == "bnb":
            verification = _verify_bnb(setup, applies, options.quick)
        elif method == "milp":
            verification = _verify_milp(setup, applies, preds, options.quick)
        else:
            verification = _verify_gradient(setup, applies, options.seed, options.quick)
    return CheckResult(
        theory=THEORY,
        statement=twta.THEOREM,
        hypotheses=hyps,
        predictions=predictions,
        verification=verification,
        setup={
            "factors": list(setup.factors),
            "modules": list(setup.modules),
            "tasks": setup.task_name,
            "n_tasks": len(setup.targets),
            "holdout": list(setup.holdout),
            "capacity_slack": twta.capacity_slack(setup.factors, setup.modules),
        },
        notes=tuple(notes),
        related=(twta.LEMMA_L1, twta.DIMENSION_COUNT),
    )


# --------------------------------------------------------------------------- phase diagrams

#: Factors of both phase diagrams: (2, 3) has dim A = 4 and images shape x colour.
DIAGRAM_FACTORS = (2, 3)
#: Module tuples by capacity slack sum(m_g - 1) - sum(n_k - 1) for factors (2, 3).
DIAGRAM_MODULES = {-1: (3,), 0: (2, 3), 1: (3, 3), 2: (4, 3), 3: (4, 4)}
CAPACITY_TASK_SEEDS = 8
#: Random additive tables uniform in {0, 1, 2}: ties make non-symbolic codes possible when the
#: tasks do not span A (Gaussian tables almost surely force the symbolic code already with one
#: task on this grid - measured, see the report).
DIAGRAM_LEVELS = 3
GRADIENT_SEEDS = 3

CAPACITY_DESCRIPTION = (
    "Exhaustive search over every WTA code for factors (2, 3) with random additive tasks "
    "(tables uniform in {0, 1, 2}): "
    "colour = fraction of zero-loss codes that are symbolic (pooled over "
    f"{CAPACITY_TASK_SEEDS} task draws; grey = no zero-loss code). x = capacity slack "
    "sum(m_g - 1) - sum(n_k - 1) (modules (3), (2,3), (3,3), (4,3), (4,4)); y = number of "
    "random additive tasks. Outlined: the region where Theorem WTA-1 (reconstructed) applies "
    "(H3: slack <= 0, and H2 - the tasks span A - in every task draw of the cell)."
)
GRADIENT_DESCRIPTION = (
    "Gradient-trained networks (8x8 RGB images, shape x colour, MLP encoder, WTA modules: "
    "annealed-softmax warm-up, then hard forward with a straight-through softmax backward at "
    "fixed temperature 1; affine heads; task loss only) for factors (2, 3) and random "
    "additive tasks (tables uniform in {0, 1, 2}), "
    f"{GRADIENT_SEEDS} seeds per point, each with up to "
    f"{nwta.TrainConfig().restarts} counted restarts (stop at the first zero training code "
    "loss, else keep the lowest; the ReLU baseline gets as many runs as the WTA used). "
    "Left: fraction of seeds whose hard code is symbolic "
    "and complete (full support). Right: held-out-combination accuracy (one combination held "
    "out, nearest-target decoding) of WTA minus same-width ReLU bottleneck. Outlined: the "
    "region where Theorem WTA-1 (reconstructed) applies; the theorem speaks only of zero-loss "
    "codes, gradient training is measured only."
)


def capacity_points() -> list[dict[str, int]]:
    return [{"slack": s, "n_tasks": t} for s in DIAGRAM_MODULES for t in (1, 2, 3, 4, 5)]


def _diagram_targets(n_tasks: int, seed: int) -> tuple[tuple[float, ...], ...]:
    return twta.make_targets(
        DIAGRAM_FACTORS, "random-additive", n_tasks=n_tasks, seed=seed, levels=DIAGRAM_LEVELS
    )


def capacity_compute(params, seed: int) -> dict[str, object]:
    """Exhaustive search pooled over task draws at one (slack, n_tasks) point."""
    modules = DIAGRAM_MODULES[int(params["slack"])]
    zero = sym = complete = applies = 0
    for r in range(CAPACITY_TASK_SEEDS):
        targets = _diagram_targets(int(params["n_tasks"]), (seed + r) % 2**32)
        setup = twta.WTASetup(DIAGRAM_FACTORS, modules, targets)
        applies += all(h.holds for h in twta.check_hypotheses(setup))
        res = nwta.exhaustive_search(setup)
        zero += res.zero_loss_codes
        sym += res.symbolic_zero_loss_codes
        complete += res.complete_symbolic_zero_loss_codes
    return {
        "modules": list(modules),
        "zero_loss_codes": zero,
        "symbolic_zero_loss_codes": sym,
        "complete_symbolic_zero_loss_codes": complete,
        "symbolic_fraction": sym / zero if zero else None,
        "theorem_applies_fraction": applies / CAPACITY_TASK_SEEDS,
        "theorem_applies": applies == CAPACITY_TASK_SEEDS,
    }


def gradient_points() -> list[dict[str, int]]:
    return [{"slack": s, "n_tasks": t} for s in (-1, 0, 1, 2) for t in (1, 2, 3, 5)]


def gradient_compute(params, seed: int) -> dict[str, object]:
    """Train WTA and ReLU networks over several seeds at one (slack, n_tasks) point."""
    modules = DIAGRAM_MODULES[int(params["slack"])]
    sym_complete, zero_loss, acc_wta, acc_relu = [], [], [], []
    applies = runs = 0
    for r in range(GRADIENT_SEEDS):
        s = (seed + r) % 2**32
        targets = _diagram_targets(int(params["n_tasks"]), s)
        full = twta.WTASetup(DIAGRAM_FACTORS, modules, targets)
        applies += all(h.holds for h in twta.check_hypotheses(full))
        exp = nwta.gradient_experiment(full, seed=s, quick=True)
        runs += exp["wta"]["runs"] + exp["relu"]["runs"]
        sym_complete.append(bool(exp["wta"]["symbolic"] and exp["wta"]["complete"]))
        zero_loss.append(bool(exp["wta"]["hard_code_zero_loss"]))
        held = twta.WTASetup(DIAGRAM_FACTORS, modules, targets, holdout=(4,))
        exp_h = nwta.gradient_experiment(held, seed=s, quick=True)
        acc_wta.append(exp_h["wta"]["heldout_accuracy"])
        acc_relu.append(exp_h["relu"]["heldout_accuracy"])
        runs += exp_h["wta"]["runs"] + exp_h["relu"]["runs"]
    return {
        "modules": list(modules),
        "symbolic_complete_fraction": float(np.mean(sym_complete)),
        "zero_loss_fraction": float(np.mean(zero_loss)),
        "symbolic_complete_among_zero_loss": (
            float(np.mean([s for s, z in zip(sym_complete, zero_loss, strict=True) if z]))
            if any(zero_loss)
            else None
        ),
        "training_runs": runs,
        "heldout_accuracy_wta": float(np.mean(acc_wta)),
        "heldout_accuracy_relu": float(np.mean(acc_relu)),
        "theorem_applies": applies == GRADIENT_SEEDS,
    }
