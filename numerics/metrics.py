"""Representation metrics on plain arrays: symbolic codes, disentanglement, abstraction, OOD r².

Every metric is a pure function ``metric(codes, factors, ...)`` with every default in its
signature (the disentanglement_lib convention). Arrays are converted to float64. Each docstring
states the definition, its source, a provenance label and whether the metric is

- **axis-aligned**: it looks at individual units (coordinates) of the code, so rotating the code
  space changes it (MIG, DCI D and C, SAP, modularity, InfoM and InfoC, per-unit factor
  dependence, the symbolic/complete verdict); or
- **rotation-invariant**: it only depends on the code up to an orthogonal (often any invertible
  linear) map of the code space (CCGP, parallelism and their null models, DCI informativeness,
  OOD linear r², angles between decoded axes; explicitness and InfoE for codes whose units have
  equal variance, since they z-score each unit first).

The metrics disentanglement_lib (Locatello et al. 2019) computes -- MIG, DCI (D, C and
informativeness), SAP, modularity and explicitness -- follow its code where it defines them, and
each docstring names the library's quirks that are kept and the places where this module
deliberately differs (for example a ValueError where the library returns NaN). Supervised
metrics take optional ``test_codes``/``test_factors`` (test = train when omitted;
:func:`split_train_test` splits one data set as the library does). Their classifiers are the
exact-optimum numpy/scipy fits of :mod:`mtl_theory.numerics.linear_classifiers`.

Shapes used throughout: ``codes`` is (P, U) -- P samples (points), U units; ``factors`` is
(P, K) -- the K ground-truth factor values of each sample.

Nothing here imports from the theory layer: these are measurements, not theory.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from mtl_theory.numerics.linear_classifiers import (
    LinearClassifier,
    fit_logistic,
    fit_squared_hinge_svm,
    roc_auc,
)
from scipy.special import digamma

__all__ = [
    "CONSTANT_UNIT",
    "MIXED_UNIT",
    "NULL_MODELS",
    "DCIInformativeness",
    "DCIScore",
    "Explicitness",
    "InfoMEC",
    "NullModelTest",
    "SymbolicVerdict",
    "ccgp",
    "ccgp_null_model",
    "ccgp_per_factor",
    "dci",
    "dci_informativeness",
    "decoded_axis_angles",
    "discretize_codes",
    "explicitness",
    "factor_dependence",
    "importance_matrix",
    "infomec",
    "knn_mutual_information",
    "modularity",
    "modularity_score",
    "mutual_information",
    "mutual_information_gap",
    "mutual_information_matrix",
    "onehot_code",
    "ood_linear_r2",
    "ood_linear_r2_all_orthants",
    "orthant_index",
    "parallelism_null_model",
    "parallelism_per_factor",
    "parallelism_score",
    "sap_score",
    "sap_score_matrix",
    "split_train_test",
    "symbolic_verdict",
]

# A linear classifier's test score within this fraction of the training-score scale of the
# decision threshold is a tie (credited 1/2): exactly symmetric codes then give exactly chance
# instead of a coin flip decided by rounding error (~1e-16 relative).
_TIE_RELATIVE_TOLERANCE = 1e-9
# Relative spread below which a unit counts as constant in importance_matrix (float64 rounding
# of an exactly constant activity is ~1e-16 relative).
_CONSTANT_RELATIVE_SPREAD = 1e-12


# --------------------------------------------------------------------------------------------
# input validation
# --------------------------------------------------------------------------------------------


def _as_codes(codes: object, name: str = "codes") -> np.ndarray:
    array = np.asarray(codes, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array (samples, units), got shape {array.shape}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name}: expected at least one sample and one unit, got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: expected finite values, got NaN or infinity")
    return array


def _as_factors(factors: object, n_samples: int) -> np.ndarray:
    raw = np.asarray(factors)
    if raw.ndim != 2:
        raise ValueError(f"factors: expected a 2-D array (samples, factors), got shape {raw.shape}")
    if raw.shape[0] != n_samples:
        raise ValueError(
            f"factors: expected {n_samples} rows (one per row of codes), got {raw.shape[0]}"
        )
    if raw.shape[1] == 0:
        raise ValueError("factors: expected at least one factor column, got 0")
    if raw.dtype.kind in "iub":
        return raw.astype(np.int64)
    as_float = np.asarray(raw, dtype=np.float64)
    if not np.all(np.isfinite(as_float)) or not np.all(as_float == np.round(as_float)):
        raise ValueError("factors: expected integer factor values, got non-integer entries")
    return as_float.astype(np.int64)


def _factor_codes(factors: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Levels of each factor and the (P, K) matrix of level indices 0..n_k-1."""
    levels, indices = [], []
    for column in factors.T:
        values, inverse = np.unique(column, return_inverse=True)
        levels.append(values)
        indices.append(inverse)
    return levels, np.stack(indices, axis=1)


def _grid_cube(codes: object, factors: object) -> tuple[np.ndarray, list[np.ndarray]]:
    """Arrange codes on the full factor grid: an array of shape (n_1, ..., n_K, U).

    Raises ValueError when some combination of factor levels is missing or repeated.
    """
    code_array = _as_codes(codes)
    factor_array = _as_factors(factors, code_array.shape[0])
    levels, index = _factor_codes(factor_array)
    shape = tuple(len(v) for v in levels)
    flat = np.ravel_multi_index(tuple(index.T), shape)
    counts = np.bincount(flat, minlength=math.prod(shape))
    if np.any(counts > 1):
        cell = np.unravel_index(int(np.argmax(counts > 1)), shape)
        combo = tuple(int(levels[k][cell[k]]) for k in range(len(shape)))
        raise ValueError(
            f"factors: expected each combination of factor values once (a full grid), "
            f"got {combo} {int(counts.max())} times"
        )
    if np.any(counts == 0):
        cell = np.unravel_index(int(np.argmin(counts)), shape)
        combo = tuple(int(levels[k][cell[k]]) for k in range(len(shape)))
        raise ValueError(
            f"factors: expected every combination of factor values (a full grid of {shape}), "
            f"combination {combo} is missing"
        )
    cube = np.empty((*shape, code_array.shape[1]), dtype=np.float64)
    cube.reshape(-1, code_array.shape[1])[flat] = code_array
    return cube, levels


# --------------------------------------------------------------------------------------------
# discrete codes on a full factor grid: dependence, symbolic and complete (THEORY.md 1.2)
# --------------------------------------------------------------------------------------------


def factor_dependence(codes: object, factors: object, *, atol: float = 0.0) -> np.ndarray:
    """Which factors each unit depends on, for a code given on the full factor grid.

    Unit u *depends on* factor k iff some pair of grid points that differ only in z_k gives the
    unit different activity (by more than ``atol``). Definition: THEORY.md 1.2
    (`reconstructed` formalization of the WTA paper's "a neuron encodes a single feature").
    Tag: **axis-aligned** (a property of individual units).

    Parameters
    ----------
    codes : array_like, shape (P, U)
        Activity of each unit at each grid point (0/1 or real).
    factors : array_like of int, shape (P, K)
        Factor values of each point; every combination of the observed values of the K factors
        must appear exactly once (rows in any order).
    atol : float, default 0.0
        Activities that differ by at most ``atol`` count as equal (0: exact comparison, right
        for 0/1 codes).

    Returns
    -------
    ndarray of bool, shape (U, K)

    Raises
    ------
    ValueError
        If the shapes disagree, values are non-finite or non-integer factors, or the factor grid
        is not full or has a repeated combination (the message names the combination).

    Examples
    --------
    >>> z = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> factor_dependence(np.c_[z[:, 0], z[:, 0] ^ z[:, 1]], z).tolist()
    [[True, False], [True, True]]
    """
    cube, _ = _grid_cube(codes, factors)
    return _cube_dependence(cube, atol)


def _cube_dependence(cube: np.ndarray, atol: float) -> np.ndarray:
    n_factors = cube.ndim - 1
    dependence = np.zeros((cube.shape[-1], n_factors), dtype=bool)
    for k in range(n_factors):
        spread = cube.max(axis=k) - cube.min(axis=k)  # shape: other factors..., U
        other_axes = tuple(range(n_factors - 1))
        dependence[:, k] = np.any(spread > atol, axis=other_axes) if other_axes else spread > atol
    return dependence


@dataclass(frozen=True, eq=False)
class SymbolicVerdict:
    """Symbolic/complete verdict for a code on a full factor grid (THEORY.md 1.2).

    Attributes
    ----------
    symbolic : bool
        Every live unit with a non-trivial receptive set depends on exactly one factor.
    complete : bool
        For every factor k, the units that depend only on k together separate all n_k values.
    dependence : ndarray of bool, shape (U, K)
        Output of :func:`factor_dependence`.
    dead_units : tuple of int
        Units that are never active (identically zero).
    unit_factor : tuple of int
        For each unit: the single factor it depends on; -1 if it depends on none (dead or
        constant); -2 if it depends on several factors.
    factor_complete : tuple of bool
        For each factor: do its units separate all of its values.
    """

    symbolic: bool
    complete: bool
    dependence: np.ndarray
    dead_units: tuple[int, ...]
    unit_factor: tuple[int, ...]
    factor_complete: tuple[bool, ...]


# unit_factor markers of SymbolicVerdict
CONSTANT_UNIT = -1  # depends on no factor (dead, or active everywhere)
MIXED_UNIT = -2  # depends on two or more factors


def symbolic_verdict(codes: object, factors: object, *, atol: float = 0.0) -> SymbolicVerdict:
    """Decide whether a code on the full factor grid is symbolic and complete.

    Definitions (THEORY.md 1.2, `reconstructed` formalization of the WTA paper, Gutheil,
    Hitzginger & Legenstein 2026, arXiv:2605.22472):

    - a unit is *dead* if it is never active (identically zero activity);
    - **symbolic**: every live unit whose receptive set is non-trivial (it is active somewhere
      and inactive somewhere, i.e. non-constant) depends on exactly one factor. On a full grid a
      non-constant unit depends on at least one factor, so symbolic <=> no unit depends on two
      or more factors;
    - **complete**: for every factor k, the units that depend only on k together separate all
      n_k values of z_k (their joint activity, a function of z_k alone, is injective).

    Tag: **axis-aligned** (rotate the code and units mix factors).

    Parameters
    ----------
    codes : array_like, shape (P, U)
        Unit activity on the full factor grid; 0/1 for WTA codes (see :func:`onehot_code`),
        real activity also works (then "dead" means identically zero).
    factors : array_like of int, shape (P, K)
        Factor values; every combination exactly once.
    atol : float, default 0.0
        Tolerance of :func:`factor_dependence` and of value separation.

    Returns
    -------
    SymbolicVerdict

    Examples
    --------
    >>> z = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> v = symbolic_verdict(onehot_code([z[:, 0], z[:, 1]], [2, 2]), z)
    >>> (v.symbolic, v.complete, v.unit_factor)
    (True, True, (0, 0, 1, 1))
    """
    cube, _ = _grid_cube(codes, factors)
    dependence = _cube_dependence(cube, atol)
    n_factors = cube.ndim - 1
    flat = cube.reshape(-1, cube.shape[-1])
    dead = tuple(int(u) for u in np.flatnonzero(np.all(np.abs(flat) <= atol, axis=0)))
    n_dependent = dependence.sum(axis=1)
    unit_factor = tuple(
        CONSTANT_UNIT if n == 0 else (int(np.argmax(row)) if n == 1 else MIXED_UNIT)
        for n, row in zip(n_dependent, dependence, strict=True)
    )
    symbolic = bool(np.all(n_dependent <= 1))
    factor_complete = []
    for k in range(n_factors):
        n_values = cube.shape[k]
        units = [u for u, f in enumerate(unit_factor) if f == k]
        # Units of factor k depend on z_k only, so one line through the grid (others at their
        # first value) shows their whole activity pattern.
        index = tuple(slice(None) if axis == k else 0 for axis in range(n_factors))
        pattern = cube[index][:, units]  # (n_k, len(units))
        factor_complete.append(_rows_distinct(pattern, atol) if n_values > 1 else True)
    return SymbolicVerdict(
        symbolic=symbolic,
        complete=bool(all(factor_complete)),
        dependence=dependence,
        dead_units=dead,
        unit_factor=unit_factor,
        factor_complete=tuple(factor_complete),
    )


def _rows_distinct(pattern: np.ndarray, atol: float) -> bool:
    """True iff every two rows differ in some entry by more than atol."""
    if pattern.shape[1] == 0:
        return pattern.shape[0] <= 1
    gaps = np.abs(pattern[:, None, :] - pattern[None, :, :]).max(axis=2)
    off_diagonal = ~np.eye(pattern.shape[0], dtype=bool)
    return bool(np.all(gaps[off_diagonal] > atol))


def onehot_code(winners: Sequence[object], module_sizes: Sequence[int]) -> np.ndarray:
    """Concatenated one-hot code of G winner-take-all modules (THEORY.md 1.1).

    Module g has m_g units and outputs e_{π_g(z)}; the code is the concatenation of the G
    one-hot vectors (exactly G ones per row). Tag: a code constructor, not a metric.

    Parameters
    ----------
    winners : sequence of G int arrays, each shape (P,)
        Winning unit of module g at each grid point, values in 0..m_g-1.
    module_sizes : sequence of G int
        m_g, the number of units of each module.

    Returns
    -------
    ndarray of float64, shape (P, sum m_g), entries 0.0/1.0

    Examples
    --------
    >>> onehot_code([np.array([0, 1]), np.array([2, 0])], [2, 3]).tolist()
    [[1.0, 0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0, 0.0]]
    """
    if len(winners) != len(module_sizes):
        raise ValueError(
            f"winners: expected one array per module ({len(module_sizes)} modules), "
            f"got {len(winners)}"
        )
    if len(winners) == 0:
        raise ValueError("winners: expected at least one module, got none")
    columns = []
    n_points = None
    for g, (winner, size) in enumerate(zip(winners, module_sizes, strict=True)):
        if int(size) != size or size < 1:
            raise ValueError(f"module_sizes[{g}]: expected a positive integer, got {size!r}")
        w = np.asarray(winner)
        if w.ndim != 1 or w.dtype.kind not in "iu":
            raise ValueError(f"winners[{g}]: expected a 1-D integer array, got {w.dtype} {w.shape}")
        if n_points is None:
            n_points = w.shape[0]
        elif w.shape[0] != n_points:
            raise ValueError(f"winners[{g}]: expected {n_points} entries, got {w.shape[0]}")
        if w.size and (w.min() < 0 or w.max() >= size):
            raise ValueError(
                f"winners[{g}]: expected unit indices in 0..{int(size) - 1}, "
                f"got values in {int(w.min())}..{int(w.max())}"
            )
        columns.append(np.eye(int(size), dtype=np.float64)[w])
    return np.concatenate(columns, axis=1)


# --------------------------------------------------------------------------------------------
# mutual information gap
# --------------------------------------------------------------------------------------------


def discretize_codes(
    codes: object, n_bins: int = 20, *, histogram_every_unit: bool = False
) -> np.ndarray:
    """Discretize each code unit for plug-in mutual information.

    Rule: a unit that takes at most ``n_bins`` distinct values is already discrete and is used
    as it is (each distinct value its own symbol); a unit with more distinct values is cut into
    ``n_bins`` equal-width bins between its minimum and maximum (the histogram rule of
    disentanglement_lib, Locatello et al. 2019, `code`), the last bin closed.

    With ``histogram_every_unit`` every unit is binned, discrete ones included, exactly as
    disentanglement_lib's ``_histogram_discretize`` does (`code`:
    evaluation/metrics/utils.py: bin edges of ``np.histogram(unit, n_bins)``, symbol = number
    of edges other than the last that are ≤ the value). The two rules differ only for a unit
    with at most ``n_bins`` distinct values two of which share a bin (the library's quirk: it
    merges them); a constant unit is one symbol under both.

    Values are compared exactly: a discrete code whose levels carry rounding noise (e.g. 0 and
    1e-17) has more symbols than intended; round such codes before calling.

    Returns
    -------
    ndarray of int64, shape (P, U): symbol of each sample (codes, not necessarily consecutive
    with ``histogram_every_unit``).

    Examples
    --------
    >>> c = np.array([[0.0], [0.01], [1.0]])
    >>> discretize_codes(c).ravel().tolist()
    [0, 1, 2]
    >>> discretize_codes(c, histogram_every_unit=True).ravel().tolist()
    [1, 1, 20]
    """
    array = _as_codes(codes)
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins: expected a positive integer, got {n_bins!r}")
    out = np.empty(array.shape, dtype=np.int64)
    for u, column in enumerate(array.T):
        if histogram_every_unit:
            edges = np.histogram_bin_edges(column, int(n_bins))
            out[:, u] = np.searchsorted(edges[:-1], column, side="right")
            continue
        values, inverse = np.unique(column, return_inverse=True)
        if len(values) <= n_bins:
            out[:, u] = inverse
            continue
        low, high = column.min(), column.max()
        scaled = (column - low) / (high - low) * n_bins
        out[:, u] = np.minimum(np.floor(scaled).astype(np.int64), n_bins - 1)
    return out


def _entropy_from_counts(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-np.sum(p * np.log(p)))


def mutual_information(a: object, b: object) -> float:
    """Plug-in (maximum-likelihood) mutual information I(A; B) in nats of two discrete arrays.

    I(A; B) = Σ_{a,b} p(a,b) ln[p(a,b) / (p(a) p(b))] with p the empirical frequencies (Cover &
    Thomas, *Elements of Information Theory*, eq. 2.28, `paper`). Biased upward; see
    :func:`mutual_information_gap` Notes.
    """
    a = np.asarray(a).ravel()
    b = np.asarray(b).ravel()
    if a.shape != b.shape or a.size == 0:
        raise ValueError(
            f"mutual_information: expected two equal non-empty 1-D arrays, got "
            f"{a.shape} and {b.shape}"
        )
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    joint = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(joint, (ia, ib), 1.0)
    value = (
        _entropy_from_counts(joint.sum(axis=1))
        + _entropy_from_counts(joint.sum(axis=0))
        - _entropy_from_counts(joint.ravel())
    )
    return max(value, 0.0)  # rounding can make an exact zero slightly negative


def knn_mutual_information(
    values: object, labels: object, n_neighbors: int = 3, *, jitter_seed: int | None = None
) -> float:
    """Nearest-neighbour estimate of I(X; L) in nats, X continuous (1-D), L discrete.

    Ross (2014, *Mutual Information between Discrete and Continuous Data Sets*, PLoS ONE 9,
    e87357, eq. 2, `paper`), as scikit-learn's ``mutual_info_classif`` computes it (`code`:
    sklearn/feature_selection/_mutual_info.py, ``_compute_mi_cd``): for each sample i with
    label count N_{l_i} > 1, k_i = min(n_neighbors, N_{l_i} − 1), d_i the distance to its k_i-th
    nearest neighbour of the same label, m_i the number of samples of any label at distance
    < d_i (self included; exactly: ≤ the float just below d_i); then

        Î = ψ(N) + ⟨ψ(k_i)⟩ − ⟨ψ(N_{l_i})⟩ − ⟨ψ(m_i)⟩,  clipped at 0,

    over the N samples whose label occurs more than once (ψ the digamma function).
    scikit-learn first divides X by its standard deviation (ddof 1; Î is scale-invariant) and
    adds jitter 10⁻¹⁰ · max(1, mean |X|) · N(0, 1) from an *unseeded* generator to break ties.
    Here jitter is added only with ``jitter_seed`` (the same recipe, drawn from
    ``Generator(PCG64(jitter_seed))``, so the estimate stays deterministic); without it tied
    values (distance 0) count as neighbours of each other, which makes the estimate meaningless
    for discrete-valued X (use :func:`mutual_information` there).

    Difference from scikit-learn, named: its KD-tree counts m_i with node-level bounds that
    can include the k-th neighbour itself (at distance d_i) when the tree is a single leaf
    (fewer than 40 samples); here the test is |x_j − x_i| < d_i for every sample. On tie-free
    random data the two agree exactly from about 100 samples on (tested in scratch against
    scikit-learn 1.9.1: 0 of 240 cases differ at P ≥ 100; at P = 10, up to 0.26 nats).

    Parameters
    ----------
    values : array_like, shape (P,)
    labels : array_like, shape (P,)
    n_neighbors : int, default 3
        scikit-learn's default; the InfoMEC authors use 10.
    jitter_seed : int, optional
        Seed of scikit-learn's tie-breaking jitter; None: no jitter.

    Returns
    -------
    float, ≥ 0.

    Examples
    --------
    Two far-apart classes of 4 (no tied distances): every m_i = k, so Î = ψ(8) − ψ(4)
    = 1/4 + 1/5 + 1/6 + 1/7:

    >>> x = np.array([0.0, 0.1, 0.3, 0.7, 10.0, 10.1, 10.3, 10.7])
    >>> round(knn_mutual_information(x, [0, 0, 0, 0, 1, 1, 1, 1], 2), 6)
    0.759524
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    label_array = np.asarray(labels).ravel()
    if x.shape != label_array.shape or x.size == 0:
        raise ValueError(
            f"knn_mutual_information: expected two equal non-empty 1-D arrays, got "
            f"{x.shape} and {label_array.shape}"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError("values: expected finite values, got NaN or infinity")
    if int(n_neighbors) != n_neighbors or n_neighbors < 1:
        raise ValueError(f"n_neighbors: expected a positive integer, got {n_neighbors!r}")
    if jitter_seed is not None:
        spread = x.std(ddof=1) if x.size > 1 else 0.0
        if spread > 0:
            x = x / spread
        rng = np.random.Generator(np.random.PCG64(int(jitter_seed)))
        x = x + 1e-10 * max(1.0, float(np.mean(np.abs(x)))) * rng.standard_normal(x.size)
    _, encoded, counts = np.unique(label_array, return_inverse=True, return_counts=True)
    keep = counts[encoded] > 1
    x, encoded = x[keep], encoded[keep]
    if x.size == 0:
        return 0.0
    radius = np.empty(x.size)
    k_all = np.empty(x.size)
    for label in np.unique(encoded):
        members = np.flatnonzero(encoded == label)
        k = min(int(n_neighbors), members.size - 1)
        radius[members] = np.nextafter(_kth_neighbour_distance(x[members], k), 0.0)
        k_all[members] = k
    within = _count_within(np.sort(x), x, radius)
    value = (
        digamma(x.size)
        + np.mean(digamma(k_all))
        - np.mean(digamma(counts[encoded]))
        - np.mean(digamma(within))
    )
    return max(float(value), 0.0)


def _count_within(ordered: np.ndarray, centres: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Number of ``ordered`` points p with |p − c| ≤ r for each centre c and radius r.

    The interval ends c ± r are rounded, so a point at distance exactly r (or one ulp off) can
    fall on the wrong side of them; the ends found by bisection are moved until the test on the
    distance itself, |p − c| ≤ r (the KD-tree's test), holds inside and fails outside.
    """
    n = ordered.size
    hi = np.searchsorted(ordered, centres + radius, side="right")
    lo = np.searchsorted(ordered, centres - radius, side="left")
    for _ in range(n + 1):
        grow_hi = (hi < n) & (np.abs(ordered[np.minimum(hi, n - 1)] - centres) <= radius)
        shrink_hi = (hi > 0) & (np.abs(ordered[np.maximum(hi - 1, 0)] - centres) > radius)
        grow_lo = (lo > 0) & (np.abs(ordered[np.maximum(lo - 1, 0)] - centres) <= radius)
        shrink_lo = (lo < n) & (np.abs(ordered[np.minimum(lo, n - 1)] - centres) > radius)
        if not (grow_hi.any() or shrink_hi.any() or grow_lo.any() or shrink_lo.any()):
            return hi - lo
        hi = hi + grow_hi - (shrink_hi & ~grow_hi)
        lo = lo - grow_lo + (shrink_lo & ~grow_lo)
    raise AssertionError("interval ends did not settle")  # each step moves an end inward/out


def _kth_neighbour_distance(points: np.ndarray, k: int) -> np.ndarray:
    """Distance of each 1-D point to its k-th nearest other point (k < len(points))."""
    order = np.argsort(points, kind="stable")
    ordered = points[order]
    n = ordered.size
    # the k nearest others of a point lie among the k nearest positions on each side
    offsets = np.concatenate([np.arange(-k, 0), np.arange(1, k + 1)])
    positions = np.arange(n)[:, None] + offsets[None, :]
    valid = (positions >= 0) & (positions < n)
    gaps = np.where(valid, np.abs(ordered[np.clip(positions, 0, n - 1)] - ordered[:, None]), np.inf)
    kth = np.partition(gaps, k - 1, axis=1)[:, k - 1]
    out = np.empty(n)
    out[order] = kth
    return out


def mutual_information_matrix(
    codes: object, factors: object, n_bins: int = 20, *, histogram_every_unit: bool = False
) -> np.ndarray:
    """Plug-in I(code_u; factor_k) in nats, shape (U, K), after :func:`discretize_codes`."""
    symbols = discretize_codes(codes, n_bins, histogram_every_unit=histogram_every_unit)
    factor_array = _as_factors(factors, symbols.shape[0])
    return np.array(
        [[mutual_information(s, f) for f in factor_array.T] for s in symbols.T], dtype=np.float64
    )


def mutual_information_gap(
    codes: object, factors: object, n_bins: int = 20, *, histogram_every_unit: bool = False
) -> float:
    """Mutual information gap (MIG) of a code with respect to discrete factors.

    MIG = (1/K) Σ_k [I(c_{j(k)}; v_k) − max_{j ≠ j(k)} I(c_j; v_k)] / H(v_k), where j(k) is the
    unit with the largest mutual information with factor v_k (Chen, Li, Grosse & Duvenaud 2018,
    *Isolating Sources of Disentanglement in VAEs*, NeurIPS, eq. 6, `paper`). Mutual
    information and entropies are plug-in estimates (nats; the ratio does not depend on the
    base). With a single unit the second term is 0. Tag: **axis-aligned**.

    Parameters
    ----------
    codes : array_like, shape (P, U)
        Code of each sample. Units are discretized by :func:`discretize_codes`: a unit with at
        most ``n_bins`` distinct values is used as it is; otherwise ``n_bins`` equal-width bins.
    factors : array_like of int, shape (P, K)
        Discrete ground-truth factors (each must take at least two values: H(v_k) > 0).
    n_bins : int, default 20
        Number of equal-width bins for continuous units (disentanglement_lib's default).
    histogram_every_unit : bool, default False
        Bin every unit, discrete ones included, as disentanglement_lib does (see
        :func:`discretize_codes`).

    Returns
    -------
    float in [0, 1]; 1 for a code with one unit per factor that determines it and no other unit
    informative about it.

    Notes
    -----
    *Plug-in bias.* The plug-in estimate of I(A; B) from N samples is biased **upward**: for
    independent A and B its expectation is ≈ (|A| − 1)(|B| − 1) / (2N) nats
    = (|A| − 1)(|B| − 1) / (2N ln 2) bits (Miller 1955; it is the difference of the Miller–Madow
    biases −(|X| − 1)/(2N) of the three entropies; 2N·Î is asymptotically χ² with
    (|A| − 1)(|B| − 1) degrees of freedom). Uninformative units therefore look slightly
    informative, which shrinks the gap.

    *Bin count.* More bins raise |A| and with it the bias, and can split a single true level
    into several bins; fewer bins merge levels and lose information. MIG values are comparable
    only at the same ``n_bins`` and N. A discrete code with at most ``n_bins`` values is never
    re-binned, so the exact answers for hand-built codes do not depend on ``n_bins``.

    Examples
    --------
    >>> z = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> mutual_information_gap(z, z)
    1.0
    >>> mutual_information_gap(np.c_[z[:, 0], z[:, 0], z[:, 1]], z)
    0.5
    """
    code_array = _as_codes(codes)
    factor_array = _as_factors(factors, code_array.shape[0])
    information = mutual_information_matrix(
        code_array, factor_array, n_bins, histogram_every_unit=histogram_every_unit
    )
    gaps = []
    for k, column in enumerate(factor_array.T):
        entropy = _entropy_from_counts(np.unique(column, return_counts=True)[1])
        if entropy <= 0.0:
            raise ValueError(f"factors: column {k} is constant; MIG needs H(v_k) > 0")
        ranked = np.sort(information[:, k])[::-1]
        second = ranked[1] if ranked.size > 1 else 0.0
        gaps.append((ranked[0] - second) / entropy)
    return float(np.clip(np.mean(gaps), 0.0, 1.0))


# --------------------------------------------------------------------------------------------
# DCI
# --------------------------------------------------------------------------------------------


def _live_units(code_array: np.ndarray) -> np.ndarray:
    """Mask of non-constant units, shape (U,).

    A unit whose spread is rounding noise relative to its magnitude (below 1e-12 of
    max(|value|, 1)) is constant: standardizing it would blow the noise up into a spurious
    regressor.
    """
    spread = code_array.std(axis=0)
    return spread > _CONSTANT_RELATIVE_SPREAD * np.maximum(np.abs(code_array).max(axis=0), 1.0)


def importance_matrix(codes: object, factors: object) -> np.ndarray:
    """Linear importance matrix R (U, K) for DCI: |standardized least-squares coefficients|.

    For each factor k, regress the standardized factor on the standardized units by least
    squares with an intercept (minimum-norm solution when units are collinear), and set
    R[u, k] = |β_uk|. This is the **linear variant** of Eastwood & Williams (2018, *A Framework
    for the Quantitative Evaluation of Disentangled Representations*, ICLR, `paper`: their
    LASSO regressor, here without the L1 penalty); they also use random-forest importances.
    Constant units (spread below 1e-12 of their magnitude) get importance 0. Standardizing
    makes R invariant to rescaling or shifting a unit; the minimum-norm solution splits weight
    equally among identical (duplicated) units.
    Tag: **axis-aligned**.

    Parameters
    ----------
    codes : array_like, shape (P, U)
    factors : array_like, shape (P, K)
        Factor values (discrete or continuous; each must vary).

    Returns
    -------
    ndarray, shape (U, K), non-negative.
    """
    code_array = _as_codes(codes)
    factor_array = _as_codes(factors, "factors")
    if factor_array.shape[0] != code_array.shape[0]:
        raise ValueError(
            f"factors: expected {code_array.shape[0]} rows (one per row of codes), "
            f"got {factor_array.shape[0]}"
        )
    code_std = code_array.std(axis=0)
    live = _live_units(code_array)
    factor_std = factor_array.std(axis=0)
    if np.any(factor_std == 0):
        k = int(np.argmax(factor_std == 0))
        raise ValueError(f"factors: column {k} is constant; importance needs a varying factor")
    x = (code_array[:, live] - code_array[:, live].mean(axis=0)) / code_std[live]
    y = (factor_array - factor_array.mean(axis=0)) / factor_std
    importance = np.zeros((code_array.shape[1], factor_array.shape[1]))
    if np.any(live):
        beta, *_ = np.linalg.lstsq(x, y, rcond=None)
        importance[live] = np.abs(beta)
        # Rounding noise is not importance: a factor the units do not explain linearly (its
        # explained variance is at rounding level, e.g. the XOR of two binary units) gets a
        # zero column, and coefficients at rounding level relative to their factor's largest
        # are zero. Otherwise DCI would be computed from ~1e-17 noise and depend on the order
        # of the units (issue 11). Scale: the standardized problem's rounding,
        # eps x max(P, U) x cond(x).
        sv = np.linalg.svd(x, compute_uv=False)
        cond = sv[0] / sv[sv > sv[0] * x.shape[0] * np.finfo(float).eps][-1]
        noise = np.finfo(float).eps * max(x.shape) * cond
        explained = np.mean((x @ beta) ** 2, axis=0)  # R^2 of each standardized factor
        importance[:, explained <= noise] = 0.0
        col_max = importance.max(axis=0, keepdims=True)
        importance[importance <= noise * col_max] = 0.0
    return importance


@dataclass(frozen=True)
class DCIScore:
    """DCI disentanglement and completeness (Eastwood & Williams 2018).

    Attributes
    ----------
    disentanglement : float
        Σ_u ρ_u D_u, ρ_u = relative importance of unit u.
    completeness : float
        Σ_k ρ_k C_k, ρ_k = relative importance of factor k.
    code_disentanglement : tuple of float
        D_u per unit (0 for a unit with zero importance).
    factor_completeness : tuple of float
        C_k per factor (0 for a factor no unit explains).
    """

    disentanglement: float
    completeness: float
    code_disentanglement: tuple[float, ...]
    factor_completeness: tuple[float, ...]


def _one_minus_entropy(weights: np.ndarray, base: int) -> float:
    """1 − H_base(p) for p = weights / Σ weights (0 log 0 = 0); 1 when base == 1."""
    total = weights.sum()
    if total <= 0:
        return 0.0
    if base == 1:
        return 1.0
    p = weights[weights > 0] / total
    return float(1.0 + np.sum(p * np.log(p)) / math.log(base))


def dci(importance: object) -> DCIScore:
    """DCI disentanglement and completeness from an importance matrix.

    Eastwood & Williams (2018, ICLR, Sec. 3, `paper`), with R the (U, K) importance matrix
    (unit u, factor k), K factors and U units:

    - P_uk = R_uk / Σ_k' R_uk'; D_u = 1 − H_K(P_u·) = 1 + Σ_k P_uk log_K P_uk;
      ρ_u = Σ_k R_uk / Σ_uk R_uk; **D** = Σ_u ρ_u D_u.
    - P̃_uk = R_uk / Σ_u' R_u'k; C_k = 1 − H_U(P̃_·k) (log base U); ρ_k = Σ_u R_uk / Σ_uk R_uk;
      **C** = Σ_k ρ_k C_k (weighting by relative factor importance as disentanglement_lib does,
      `code`; the paper reports C_k per factor).

    With a single factor every D_u = 1; with a single unit every C_k = 1 (log base 1 is
    undefined and there is nothing to spread over). Units/factors with zero total importance
    have zero weight. Tag: **axis-aligned** (with the linear :func:`importance_matrix`, a 45°
    rotation of a 2-factor identity code gives D = C = 0).

    Parameters
    ----------
    importance : array_like, shape (U, K), non-negative, not all zero.

    Returns
    -------
    DCIScore

    Examples
    --------
    >>> score = dci(np.eye(2))
    >>> (score.disentanglement, score.completeness)
    (1.0, 1.0)
    """
    r = np.asarray(importance, dtype=np.float64)
    if r.ndim != 2 or r.size == 0:
        raise ValueError(
            f"importance: expected a non-empty 2-D array (units, factors), got {r.shape}"
        )
    if not np.all(np.isfinite(r)) or np.any(r < 0):
        raise ValueError("importance: expected finite non-negative entries")
    total = r.sum()
    if total <= 0:
        raise ValueError("importance: all entries are zero; DCI is undefined")
    n_units, n_factors = r.shape
    per_unit = np.array([_one_minus_entropy(row, n_factors) for row in r])
    per_factor = np.array([_one_minus_entropy(col, n_units) for col in r.T])
    unit_weight = r.sum(axis=1) / total
    factor_weight = r.sum(axis=0) / total
    return DCIScore(
        disentanglement=float(np.sum(unit_weight * per_unit)),
        completeness=float(np.sum(factor_weight * per_factor)),
        code_disentanglement=tuple(float(v) for v in per_unit),
        factor_completeness=tuple(float(v) for v in per_factor),
    )


# --------------------------------------------------------------------------------------------
# train/test sets of the supervised metrics
# --------------------------------------------------------------------------------------------


def split_train_test(array: object, train_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Split the rows of ``array`` into a training and a test part, without shuffling.

    disentanglement_lib's ``utils.split_train_test`` (`code`:
    disentanglement_lib/evaluation/metrics/utils.py), with rows as samples: the first
    ceil(P · train_fraction) rows train, the rest test. Rows are taken in order, so shuffle the
    samples first (with a seeded generator) if their order is structured -- a factor grid in
    ``itertools.product`` order is.

    Parameters
    ----------
    array : array_like, shape (P, ...)
    train_fraction : float in (0, 1)

    Returns
    -------
    (ndarray, ndarray): the training rows and the test rows.

    Examples
    --------
    >>> [part.tolist() for part in split_train_test(np.arange(5)[:, None], 0.5)]
    [[[0], [1], [2]], [[3], [4]]]
    """
    data = np.asarray(array)
    if data.ndim < 1 or data.shape[0] == 0:
        raise ValueError(f"array: expected at least one row, got shape {data.shape}")
    if not (0.0 < train_fraction < 1.0):
        raise ValueError(f"train_fraction: expected a number in (0, 1), got {train_fraction!r}")
    n_train = math.ceil(data.shape[0] * train_fraction)
    if n_train >= data.shape[0]:
        raise ValueError(
            f"train_fraction: {train_fraction} of {data.shape[0]} rows leaves no test rows"
        )
    return data[:n_train], data[n_train:]


def _with_test_set(
    codes: object,
    factors: object,
    test_codes: object,
    test_factors: object,
    discrete: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validated (train codes, train factors, test codes, test factors); test = train if omitted."""
    code_array = _as_codes(codes)
    factor_array = (
        _as_factors(factors, code_array.shape[0])
        if discrete
        else _as_real_factors(factors, code_array)
    )
    if (test_codes is None) != (test_factors is None):
        raise ValueError("test_codes, test_factors: expected both or neither, got one of them")
    if test_codes is None:
        return code_array, factor_array, code_array, factor_array
    test_code_array = _as_codes(test_codes, "test_codes")
    if test_code_array.shape[1] != code_array.shape[1]:
        raise ValueError(
            f"test_codes: expected {code_array.shape[1]} units (as codes), "
            f"got {test_code_array.shape[1]}"
        )
    if discrete:
        test_factor_array = _as_factors(test_factors, test_code_array.shape[0])
    else:
        test_factor_array = _as_real_factors(test_factors, test_code_array, "test_factors")
    if test_factor_array.shape[1] != factor_array.shape[1]:
        raise ValueError(
            f"test_factors: expected {factor_array.shape[1]} factors (as factors), "
            f"got {test_factor_array.shape[1]}"
        )
    return code_array, factor_array, test_code_array, test_factor_array


def _as_real_factors(factors: object, code_array: np.ndarray, name: str = "factors") -> np.ndarray:
    factor_array = _as_codes(factors, name)
    if factor_array.shape[0] != code_array.shape[0]:
        raise ValueError(
            f"{name}: expected {code_array.shape[0]} rows (one per row of codes), "
            f"got {factor_array.shape[0]}"
        )
    return factor_array


# --------------------------------------------------------------------------------------------
# DCI informativeness
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DCIInformativeness:
    """DCI informativeness: prediction error of the factors from the code (Eastwood & Williams).

    Attributes
    ----------
    train_error, test_error : float
        Mean over factors of the normalized root-mean-square error (0 perfect, 1 = predicting
        the training mean when the evaluated set's factor has the training spread).
    per_factor_train_error, per_factor_test_error : tuple of float
        NRMSE of each factor.
    """

    train_error: float
    test_error: float
    per_factor_train_error: tuple[float, ...]
    per_factor_test_error: tuple[float, ...]


def dci_informativeness(
    codes: object,
    factors: object,
    *,
    test_codes: object = None,
    test_factors: object = None,
) -> DCIInformativeness:
    """DCI informativeness: NRMSE of a linear regressor of each factor on the whole code.

    Eastwood & Williams (2018, ICLR, Sec. 3 "Informativeness", `paper`): the informativeness of
    a code about factor k is the prediction error E(z_k, ẑ_k) of the regressor whose weights give
    the importance matrix, on held-out data; their code (cianeastwood/qedr, quantify.ipynb,
    `code`) reports NRMSE_k = sqrt(mean((ẑ_k − z_k)²)) / std(z_k), the std over the evaluated
    set. Here the regressor is the one of :func:`importance_matrix` (least squares with an
    intercept, minimum-norm, constant units dropped), fit on (``codes``, ``factors``) and
    evaluated on the training set and on (``test_codes``, ``test_factors``); without a test
    set, test = train (in-sample). Lower is better. Split a single data set with
    :func:`split_train_test`. With a linear regressor NRMSE² = 1 − R² in-sample.

    disentanglement_lib (`code`: evaluation/metrics/dci.py) instead reports the *accuracy* of
    a gradient-boosted-tree classifier per factor (``informativeness_train``/``_test``) -- a
    different quantity (higher is better); this linear variant goes with the linear
    :func:`importance_matrix`. Tag: **rotation-invariant** (invariant to any invertible affine
    map of the code).

    Parameters
    ----------
    codes : array_like, shape (P, U)
    factors : array_like, shape (P, K)
        Real factor values; each must vary in the training set and in the test set.
    test_codes : array_like, shape (P', U), optional
    test_factors : array_like, shape (P', K), optional

    Returns
    -------
    DCIInformativeness

    Examples
    --------
    >>> z = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> dci_informativeness(z[:, :1], z).per_factor_train_error
    (0.0, 1.0)
    """
    x, y, x_test, y_test = _with_test_set(codes, factors, test_codes, test_factors, False)
    for name, values in (("factors", y), ("test_factors", y_test)):
        if np.any(values.std(axis=0) == 0):
            k = int(np.argmax(values.std(axis=0) == 0))
            raise ValueError(f"{name}: column {k} is constant; NRMSE needs a varying factor")
    live = _live_units(x)
    if np.any(live):
        weights, bias = _fit_affine_decoder(x[:, live], y, 0.0)
    else:
        weights, bias = np.zeros((0, y.shape[1])), y.mean(axis=0)

    def nrmse(features: np.ndarray, target: np.ndarray) -> np.ndarray:
        prediction = features[:, live] @ weights + bias
        error = np.sqrt(np.mean((prediction - target) ** 2, axis=0)) / target.std(axis=0)
        # rounding of an exact fit leaves ~1e-16; an error at that level relative to 1 is 0
        return np.where(error <= _CONSTANT_RELATIVE_SPREAD, 0.0, error)

    train, test = nrmse(x, y), nrmse(x_test, y_test)
    return DCIInformativeness(
        train_error=float(train.mean()),
        test_error=float(test.mean()),
        per_factor_train_error=tuple(float(v) for v in train),
        per_factor_test_error=tuple(float(v) for v in test),
    )


# --------------------------------------------------------------------------------------------
# SAP (Kumar, Sattigeri & Balakrishnan 2018)
# --------------------------------------------------------------------------------------------

# disentanglement_lib's sap_score: a unit with variance at most this (absolute) scores 0 for
# continuous factors.
_SAP_MIN_VARIANCE = 1e-12


def sap_score_matrix(
    codes: object,
    factors: object,
    *,
    continuous_factors: bool = False,
    test_codes: object = None,
    test_factors: object = None,
    svm_c: float = 0.01,
) -> np.ndarray:
    """SAP score matrix S (U, K): how well unit u alone predicts factor k.

    Kumar, Sattigeri & Balakrishnan (2018, *Variational Inference of Disentangled Latent
    Concepts from Unlabeled Observations*, ICLR, Sec. 3, `paper`), as disentanglement_lib
    computes it (`code`: evaluation/metrics/sap_score.py, ``compute_score_matrix``):

    - **continuous factors**: S_uk = Cov(c_u, z_k)² / (Var c_u · Var z_k) (the R² of a linear fit,
      sample covariances with ddof = 1) on the **training set only**; S_uk = 0 when
      Var c_u ≤ 1e-12 (an *absolute* threshold);
    - **discrete factors**: S_uk = test accuracy of ``LinearSVC(C=0.01,
      class_weight="balanced")`` trained on unit u alone (one feature) to predict z_k; here
      :func:`~mtl_theory.numerics.linear_classifiers.fit_squared_hinge_svm`, which solves the
      same primal problem exactly. Without a test set, test = train.

    Quirks of disentanglement_lib kept here (and tested):

    - discrete scores are raw accuracies, so a unit that knows nothing about a balanced binary
      factor scores 1/2 (on a full grid its classifier is exactly w = b = 0 and predicts the
      first class), and a perfectly disentangled code gets SAP = 1 − 1/2 = 1/2 on balanced
      binary factors;
    - the SVM penalizes its intercept (liblinear) with C = 0.01, so a unit *shifted* away from 0
      cannot place its threshold and falls to chance -- already the levels {1, 2} instead of
      {0, 1} turn a perfect code's SAP from 1/2 into 0: discrete SAP is not invariant to
      shifting a unit (the continuous score is, above the variance threshold);
    - the continuous variance threshold is absolute: a unit of variance ≤ 1e-12 scores 0 however
      informative it is.

    Tag: **axis-aligned**.

    Parameters
    ----------
    codes : array_like, shape (P, U)
    factors : array_like, shape (P, K)
        Integer factors (discrete), or real factors when ``continuous_factors``.
    continuous_factors : bool, default False
    test_codes, test_factors : array_like, optional
        Held-out samples for the discrete score (ignored for continuous factors, as in
        disentanglement_lib).
    svm_c : float, default 0.01
        The SVM's C (disentanglement_lib's value).

    Returns
    -------
    ndarray, shape (U, K), entries in [0, 1].
    """
    if continuous_factors:
        x, y, _, _ = _with_test_set(codes, factors, None, None, False)
        xc = x - x.mean(axis=0)
        yc = y - y.mean(axis=0)
        dof = x.shape[0] - 1
        if dof < 1:
            raise ValueError("codes: expected at least 2 samples for sample covariances, got 1")
        var_x = np.sum(xc**2, axis=0) / dof
        var_y = np.sum(yc**2, axis=0) / dof
        if np.any(var_y == 0):
            k = int(np.argmax(var_y == 0))
            raise ValueError(f"factors: column {k} is constant; R² needs a varying factor")
        cov = xc.T @ yc / dof
        score = np.zeros_like(cov)
        live = var_x > _SAP_MIN_VARIANCE
        score[live] = cov[live] ** 2 / (var_x[live, None] * var_y[None, :])
        return np.clip(score, 0.0, 1.0)
    x, y, x_test, y_test = _with_test_set(codes, factors, test_codes, test_factors, True)
    score = np.empty((x.shape[1], y.shape[1]))
    for k in range(y.shape[1]):
        if len(np.unique(y[:, k])) < 2:
            raise ValueError(f"factors: column {k} has a single value; SAP needs two or more")
        for u in range(x.shape[1]):
            model = fit_squared_hinge_svm(x[:, u : u + 1], y[:, k], penalty_c=svm_c)
            score[u, k] = np.mean(model.predict(x_test[:, u : u + 1]) == y_test[:, k])
    return score


def sap_score(
    codes: object,
    factors: object,
    *,
    continuous_factors: bool = False,
    test_codes: object = None,
    test_factors: object = None,
    svm_c: float = 0.01,
) -> float:
    """SAP: mean over factors of the gap between the two largest entries of a score column.

    SAP = (1/K) Σ_k (S_(1)k − S_(2)k), S_(1)k ≥ S_(2)k the two largest scores of factor k over
    units (Kumar et al. 2018, Sec. 3, `paper`; disentanglement_lib's
    ``compute_avg_diff_top_two``, `code`), with S from :func:`sap_score_matrix` (same
    parameters, quirks and source). Needs at least two units. Tag: **axis-aligned**.

    Returns
    -------
    float in [0, 1] (for discrete factors at most 1 − chance accuracy).

    Examples
    --------
    >>> z = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> sap_score(z, z, continuous_factors=True)
    1.0
    >>> sap_score(np.c_[z[:, 0], z[:, 0], z[:, 1]], z, continuous_factors=True)
    0.5
    """
    matrix = sap_score_matrix(
        codes,
        factors,
        continuous_factors=continuous_factors,
        test_codes=test_codes,
        test_factors=test_factors,
        svm_c=svm_c,
    )
    if matrix.shape[0] < 2:
        raise ValueError(
            f"codes: expected at least 2 units (SAP is a gap between two units), "
            f"got {matrix.shape[0]}"
        )
    ranked = np.sort(matrix, axis=0)
    return float(np.mean(ranked[-1] - ranked[-2]))


# --------------------------------------------------------------------------------------------
# modularity and explicitness (Ridgeway & Mozer 2018)
# --------------------------------------------------------------------------------------------


def modularity(mutual_information: object) -> float:
    """Modularity of a code from its unit × factor mutual-information matrix.

    Ridgeway & Mozer (2018, *Learning Deep Disentangled Embeddings With the F-Statistic Loss*,
    NeurIPS, Sec. 3, `paper`), as disentanglement_lib computes it (`code`:
    evaluation/metrics/modularity_explicitness.py, ``modularity``): with m_uk = I(c_u; z_k) and
    θ_u = max_k m_uk,

        δ_u = (Σ_k m_uk² − θ_u²) / (θ_u² (K − 1)),   modularity_u = 1 − δ_u,

    and modularity = (1/U) Σ_u modularity_u.

    Quirks of disentanglement_lib kept here (and tested): a unit with θ_u = 0 (dead, or
    informative about no single factor, like a pure XOR unit) gets modularity_u = 0 and still
    counts in the average, so adding a dead unit to a perfect code of K factors lowers it to
    K/(K + 1); a redundant (duplicated) unit does not lower it. With one factor (K = 1) the
    library divides 0 by 0 and returns NaN; here that is a ValueError. Tag: **axis-aligned**.

    Parameters
    ----------
    mutual_information : array_like, shape (U, K), non-negative
        E.g. :func:`mutual_information_matrix` (any base; the ratio does not depend on it).

    Returns
    -------
    float in [0, 1].

    Examples
    --------
    >>> modularity(np.eye(2))
    1.0
    >>> round(modularity(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])), 12)
    0.666666666667
    """
    m = np.asarray(mutual_information, dtype=np.float64)
    if m.ndim != 2 or m.size == 0:
        raise ValueError(
            f"mutual_information: expected a non-empty 2-D array (units, factors), got {m.shape}"
        )
    if not np.all(np.isfinite(m)) or np.any(m < 0):
        raise ValueError("mutual_information: expected finite non-negative entries")
    if m.shape[1] < 2:
        raise ValueError(
            "mutual_information: expected at least 2 factors (modularity divides by K - 1; "
            "disentanglement_lib returns NaN for K = 1)"
        )
    squared = m**2
    top = squared.max(axis=1)
    per_unit = np.zeros(m.shape[0])
    informative = top > 0
    delta = (squared[informative].sum(axis=1) - top[informative]) / (
        top[informative] * (m.shape[1] - 1)
    )
    per_unit[informative] = 1.0 - delta
    return float(np.clip(np.mean(per_unit), 0.0, 1.0))


def modularity_score(
    codes: object, factors: object, n_bins: int = 20, *, histogram_every_unit: bool = False
) -> float:
    """:func:`modularity` of a code, from :func:`mutual_information_matrix` (plug-in MI).

    Same definition, source and quirks as :func:`modularity`. Discretization
    (:func:`discretize_codes`): by default a unit with at most ``n_bins`` distinct values is
    used as it is and a continuous one is cut into ``n_bins`` equal-width bins;
    ``histogram_every_unit=True`` bins every unit as disentanglement_lib's histogram
    discretizer does (its quirk: two distinct levels of a discrete unit that share a bin are
    merged). Tag: **axis-aligned**.

    Examples
    --------
    >>> z = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> modularity_score(z, z)
    1.0
    """
    return modularity(
        mutual_information_matrix(codes, factors, n_bins, histogram_every_unit=histogram_every_unit)
    )


@dataclass(frozen=True)
class Explicitness:
    """Explicitness (Ridgeway & Mozer 2018): ROC AUC of a linear classifier on the whole code.

    Attributes
    ----------
    train, test : float
        Mean over factors of the one-vs-rest AUC (macro average over classes) on the training
        and the test set.
    per_factor_train, per_factor_test : tuple of float
    """

    train: float
    test: float
    per_factor_train: tuple[float, ...]
    per_factor_test: tuple[float, ...]


def _standardize_with(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """z-score columns with the training mean and (population) std; constant units become 0."""
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    live = _live_units(train)
    scale = np.where(live, std, 1.0)
    return [np.where(live, (a - mean) / scale, 0.0) for a in (train, *others)]


def _macro_auc(model: LinearClassifier, features: np.ndarray, labels: np.ndarray) -> float:
    probabilities = model.predict_proba(features)
    return float(
        np.mean(
            [roc_auc(probabilities[:, j], labels == label) for j, label in enumerate(model.classes)]
        )
    )


def explicitness(
    codes: object,
    factors: object,
    *,
    test_codes: object = None,
    test_factors: object = None,
    inverse_regularization: float = 1.0,
) -> Explicitness:
    """Explicitness: how well a linear classifier on the whole code predicts each factor.

    Ridgeway & Mozer (2018, NeurIPS, Sec. 3, `paper`), as disentanglement_lib computes it
    (`code`: evaluation/metrics/modularity_explicitness.py, ``explicitness_per_factor``): units
    are z-scored with the training mean and standard deviation; for each factor a logistic
    regression ``LogisticRegression()`` (L2, C = 1, intercept unpenalized; binary logistic for
    two classes, multinomial otherwise -- scikit-learn ≥ 0.22's default) is fit on the training
    set; explicitness_k = the macro-averaged one-vs-rest ROC AUC of its class probabilities
    (``roc_auc_score`` on the binarized labels). Explicitness = mean over factors; train and
    test are reported (test = train without a test set). The classifier is
    :func:`~mtl_theory.numerics.linear_classifiers.fit_logistic` (exact optimum) and the AUC
    :func:`~mtl_theory.numerics.linear_classifiers.roc_auc` (ties 1/2).

    Differences from disentanglement_lib, named: a constant (dead) unit has standard deviation
    0, which makes the library divide by zero and scikit-learn reject the NaN input; here it is
    z-scored to 0 and carries nothing. The library's ``MultiLabelBinarizer`` is refit on the test
    labels, which misaligns columns when a training class is missing from the test set; here
    every training class must appear in the evaluated set (a ValueError otherwise). Versions of
    scikit-learn before 0.22 defaulted to liblinear (one-vs-rest, penalized intercept), which
    gives other numbers. Tag: **rotation-invariant** in effect (the L2 penalty is
    rotation-invariant, but the z-scoring is per unit: the value is invariant under unit
    permutation and rescaling, and under rotations of a code whose units have equal variance).

    Parameters
    ----------
    codes : array_like, shape (P, U)
    factors : array_like of int, shape (P, K)
    test_codes, test_factors : array_like, optional
    inverse_regularization : float, default 1.0
        The logistic regression's C.

    Returns
    -------
    Explicitness; values in [0, 1] (chance 1/2).

    Examples
    --------
    >>> z = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> explicitness(z[:, :1], z).per_factor_train
    (1.0, 0.5)
    """
    x, y, x_test, y_test = _with_test_set(codes, factors, test_codes, test_factors, True)
    x, x_test = _standardize_with(x, x_test)
    train_scores, test_scores = [], []
    for k in range(y.shape[1]):
        classes = np.unique(y[:, k])
        if len(classes) < 2:
            raise ValueError(f"factors: column {k} has a single value; a classifier needs two")
        for name, labels in (("factors", y[:, k]), ("test_factors", y_test[:, k])):
            missing = np.setdiff1d(classes, labels)
            if missing.size or not np.all(np.isin(labels, classes)):
                raise ValueError(
                    f"{name}: column {k} must contain exactly the training classes "
                    f"{classes.tolist()}, got {np.unique(labels).tolist()}"
                )
        model = fit_logistic(x, y[:, k], inverse_regularization=inverse_regularization)
        train_scores.append(_macro_auc(model, x, y[:, k]))
        test_scores.append(_macro_auc(model, x_test, y_test[:, k]))
    return Explicitness(
        train=float(np.mean(train_scores)),
        test=float(np.mean(test_scores)),
        per_factor_train=tuple(train_scores),
        per_factor_test=tuple(test_scores),
    )


# --------------------------------------------------------------------------------------------
# InfoMEC (Hsu, Dorrell, Whittington, Wu & Finn 2023)
# --------------------------------------------------------------------------------------------

# InfoMEC's activity threshold for continuous codes: a unit is active iff its range exceeds
# this fraction of the largest unit range (the authors' infomec.py).
_INFOMEC_ACTIVE_RANGE_FRACTION = 1 / 20


@dataclass(frozen=True, eq=False)
class InfoMEC:
    """InfoM, InfoC, InfoE of a code (Hsu et al. 2023).

    Attributes
    ----------
    infom, infoc, infoe : float
        Modularity, compactness, explicitness, each in [0, 1].
    nmi : ndarray, shape (K, U)
        Normalized mutual information I(z_k; c_u) / H(z_k) (rows factors, columns units: the
        authors' orientation).
    active_units : tuple of int
        Units that count for InfoM and InfoC.
    per_factor_infoe : tuple of float
    """

    infom: float
    infoc: float
    infoe: float
    nmi: np.ndarray
    active_units: tuple[int, ...]
    per_factor_infoe: tuple[float, ...]


def _normalized_max_share(matrix: np.ndarray, axis: int) -> np.ndarray:
    """(max / sum − 1/n) / (1 − 1/n) along ``axis`` (n its length); an all-zero line gives 0."""
    n = matrix.shape[axis]
    total = matrix.sum(axis=axis)
    share = np.divide(
        matrix.max(axis=axis), total, out=np.full(total.shape, 1.0 / n), where=total > 0
    )
    return (share - 1.0 / n) / (1.0 - 1.0 / n)


def infomec(
    codes: object,
    factors: object,
    *,
    discrete_codes: bool = False,
    mi_estimator: str = "knn",
    n_neighbors: int = 10,
    n_bins: int = 20,
    seed: int = 0,
    inverse_regularization: float = 1e6,
) -> InfoMEC:
    """InfoMEC: information-based modularity, compactness and explicitness.

    Hsu, Dorrell, Whittington, Wu & Finn (2023, *Disentanglement via Latent Quantization*,
    NeurIPS, Sec. 5 "InfoMEC", `paper`; authors' code kylehkhsu/latent_quantization,
    disentangle/metrics/infomec.py, `code`). With NMI_ku = I(z_k; c_u) / H(z_k) (K factors,
    A the set of *active* units):

    - **InfoM** = [(1/|A|) Σ_{u∈A} max_k NMI_ku / Σ_k NMI_ku − 1/K] / (1 − 1/K): each active
      unit informative about one factor only;
    - **InfoC** = [(1/K) Σ_k max_{u∈A} NMI_ku / Σ_{u∈A} NMI_ku − 1/|A|] / (1 − 1/|A|): each
      factor captured by one unit only;
    - **InfoE** = (1/K) Σ_k (H₀_k − H_k) / H₀_k, with H_k the mean cross-entropy (in-sample) of a
      multinomial logistic regression of z_k on the whole code (``class_weight="balanced"``) and
      H₀_k that of the same regression on an all-zero code.

    Code handling as the authors': with ``discrete_codes`` each unit's distinct values are its
    symbols (plug-in MI), a unit is active iff it is not constant, and the logistic regression
    sees the one-hot encoding of every unit; otherwise units are z-scored for the regression and
    a unit is active iff its range exceeds 1/20 of the largest unit range.

    Quirks kept (and tested): the balanced intercept-only model predicts uniform probabilities,
    so H₀_k = ln n_k (not the entropy H(z_k)) even for imbalanced factors; the 1/20 range rule
    makes activity relative to the most active unit.

    Differences from the authors' code, named:

    - continuous codes: the authors estimate I(z_k; c_u) with scikit-learn's k-nearest-neighbour
      estimator (``mutual_info_classif``, 10 neighbours, jitter from an unseeded generator);
      here :func:`knn_mutual_information` with the jitter seeded by ``seed`` (deterministic;
      see its docstring for the one difference in counting), or with
      ``mi_estimator="histogram"`` the plug-in MI of ``n_bins`` equal-width bins
      (:func:`discretize_codes`; biased upward, see :func:`mutual_information_gap`). The
      kNN estimate can exceed H(z_k), so an NMI can exceed 1 (as in the authors' code);
    - the authors fit the logistic regression *unpenalized*, which has no optimum when the
      classes are separable (their number is then where L-BFGS stops after 100 iterations);
      here an L2 penalty with C = ``inverse_regularization`` (default 10⁶) makes the optimum
      unique, so a perfectly decodable factor gives InfoE_k = 1 − O(ln(CP)/(CP)) (< 10⁻⁵ below 1
      for P ≥ 4);
    - a unit active but informative about no factor (e.g. a pure XOR unit: all its NMI are 0)
      and a factor no active unit informs about make the authors' code divide 0 by 0 (NaN);
      here they count as uniform (their normalized share is 0);
    - K = 1 (InfoM) and |A| = 1 (InfoC) divide by zero in the authors' code; here they raise
      ValueError.

    Tag: InfoM, InfoC **axis-aligned**; InfoE **rotation-invariant** for continuous codes
    (whose units have equal variance).

    Parameters
    ----------
    codes : array_like, shape (P, U)
    factors : array_like of int, shape (P, K), K ≥ 2, each factor with ≥ 2 values
    discrete_codes : bool, default False
    mi_estimator : {"knn", "histogram"}, default "knn"
        MI estimator for continuous codes (ignored when ``discrete_codes``).
    n_neighbors : int, default 10
        Neighbours of the kNN estimator (the authors' value).
    n_bins : int, default 20
        Bins of the histogram estimator.
    seed : int, default 0
        Seed of the kNN estimator's tie-breaking jitter.
    inverse_regularization : float, default 1e6
        C of the L2-penalized logistic regression of InfoE.

    Returns
    -------
    InfoMEC

    Examples
    --------
    >>> z = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> score = infomec(z, z, discrete_codes=True)
    >>> (score.infom, score.infoc, round(score.infoe, 4))
    (1.0, 1.0, 1.0)
    >>> rng = np.random.Generator(np.random.PCG64(0))
    >>> zz = rng.integers(0, 2, (200, 2))
    >>> noisy = infomec(zz + 0.1 * rng.standard_normal((200, 2)), zz)
    >>> (round(noisy.infom, 2), round(noisy.infoc, 2))
    (0.96, 0.96)
    """
    code_array = _as_codes(codes)
    levels, index = _infomec_factors(factors, code_array.shape[0])
    if mi_estimator not in ("knn", "histogram"):
        raise ValueError(f"mi_estimator: expected 'knn' or 'histogram', got {mi_estimator!r}")
    symbols = _infomec_symbols(code_array, discrete_codes, mi_estimator, n_bins)
    nmi = _infomec_nmi(code_array, index, symbols, n_neighbors, seed)
    active = _infomec_active_units(code_array, discrete_codes)
    pruned = nmi[:, active]
    infom = float(np.mean(_normalized_max_share(pruned, axis=0)))
    infoc = float(np.mean(_normalized_max_share(pruned, axis=1)))
    features = _infoe_features(code_array, symbols if discrete_codes else None)
    per_factor = [
        _infoe_of_factor(features, index[:, k], len(levels[k]), inverse_regularization)
        for k in range(index.shape[1])
    ]
    return InfoMEC(
        infom=float(np.clip(infom, 0.0, 1.0)),
        infoc=float(np.clip(infoc, 0.0, 1.0)),
        infoe=float(np.clip(np.mean(per_factor), 0.0, 1.0)),
        nmi=nmi,
        active_units=tuple(int(u) for u in np.flatnonzero(active)),
        per_factor_infoe=tuple(float(v) for v in per_factor),
    )


def _infomec_factors(factors: object, n_rows: int) -> tuple[list, np.ndarray]:
    """The factors' levels and integer codes, with InfoMEC's conditions: K >= 2 factors, none
    constant (NMI divides by H(z_k))."""
    factor_array = _as_factors(factors, n_rows)
    if factor_array.shape[1] < 2:
        raise ValueError(
            "factors: expected at least 2 factors (InfoM divides by 1 - 1/K = 0 for K = 1)"
        )
    levels, index = _factor_codes(factor_array)
    for k, values in enumerate(levels):
        if len(values) < 2:
            raise ValueError(f"factors: column {k} is constant; NMI needs H(z_k) > 0")
    return levels, index


def _infomec_symbols(
    code_array: np.ndarray, discrete_codes: bool, mi_estimator: str, n_bins: int
) -> np.ndarray | None:
    """Each unit's symbols for the plug-in MI: its distinct values (discrete codes) or
    ``n_bins`` equal-width bins (the histogram estimator); None for the kNN estimator."""
    if discrete_codes:
        return np.stack([np.unique(c, return_inverse=True)[1] for c in code_array.T], axis=1)
    if mi_estimator == "histogram":
        return discretize_codes(code_array, n_bins)
    return None


def _infomec_nmi(
    code_array: np.ndarray, index: np.ndarray, symbols: np.ndarray | None, n_neighbors, seed
) -> np.ndarray:
    """NMI_ku = I(z_k; c_u) / H(z_k), shape (K, U): plug-in MI of the symbols, or the kNN
    estimate (jitter seeded ``seed + u``) without them."""
    n_factors, n_units = index.shape[1], code_array.shape[1]
    entropy = np.array([_entropy_from_counts(np.bincount(index[:, k])) for k in range(n_factors)])
    if symbols is not None:
        information = [
            [mutual_information(index[:, k], symbols[:, u]) for u in range(n_units)]
            for k in range(n_factors)
        ]
    else:
        information = [
            [
                knn_mutual_information(
                    code_array[:, u], index[:, k], n_neighbors, jitter_seed=seed + u
                )
                for u in range(n_units)
            ]
            for k in range(n_factors)
        ]
    return np.array(information) / entropy[:, None]


def _infomec_active_units(code_array: np.ndarray, discrete_codes: bool) -> np.ndarray:
    """The authors' activity rule: a non-constant unit (discrete codes), or one whose range
    exceeds :data:`_INFOMEC_ACTIVE_RANGE_FRACTION` of the largest; at least 2 (InfoC)."""
    ranges = code_array.max(axis=0) - code_array.min(axis=0)
    if discrete_codes:
        active = ranges > 0
    else:
        active = ranges > np.max(ranges) * _INFOMEC_ACTIVE_RANGE_FRACTION
    n_active = int(active.sum())
    if n_active < 2:
        raise ValueError(
            f"codes: expected at least 2 active units (InfoC divides by 1 - 1/|A|), got {n_active}"
        )
    return active


def _infoe_features(code_array: np.ndarray, symbols: np.ndarray | None) -> np.ndarray:
    """What InfoE's logistic regression sees: the one-hot encoding of every unit's symbols
    (discrete codes), else the z-scored code."""
    if symbols is not None:
        return np.concatenate([np.eye(int(s.max()) + 1)[s] for s in symbols.T], axis=1)
    (features,) = _standardize_with(code_array)
    return features


def _infoe_of_factor(
    features: np.ndarray, labels: np.ndarray, n_levels: int, inverse_regularization: float
) -> float:
    """InfoE_k = (ln n_k - H_k) / ln n_k: H_k the in-sample mean cross-entropy of the balanced,
    L2-penalized logistic regression of z_k on the features."""
    model = fit_logistic(
        features, labels, inverse_regularization=inverse_regularization, balanced=True
    )
    cross_entropy = _mean_cross_entropy(model.predict_proba(features), labels)
    marginal = math.log(n_levels)  # the balanced intercept-only model is uniform
    return (marginal - cross_entropy) / marginal


def _mean_cross_entropy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Mean −ln p(label) (scikit-learn's ``log_loss``, unweighted)."""
    picked = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.maximum(picked, np.finfo(float).tiny))))


# --------------------------------------------------------------------------------------------
# abstraction: CCGP and parallelism (binary factors)
# --------------------------------------------------------------------------------------------


def _binary_conditions(codes: object, factors: object) -> tuple[np.ndarray, np.ndarray]:
    """Validate binary factors with every condition present; return codes and 0/1 factors."""
    code_array = _as_codes(codes)
    factor_array = _as_factors(factors, code_array.shape[0])
    n_factors = factor_array.shape[1]
    if n_factors < 2:
        raise ValueError(
            "factors: expected at least 2 binary factors (a factor's conditions are the "
            f"values of the others), got {n_factors}"
        )
    levels, index = _factor_codes(factor_array)
    for k, values in enumerate(levels):
        if len(values) != 2:
            raise ValueError(
                f"factors: column {k} must be binary (2 distinct values), got {len(values)}"
            )
    present = np.unique(np.ravel_multi_index(tuple(index.T), (2,) * n_factors))
    if present.size != 2**n_factors:
        missing = sorted(set(range(2**n_factors)) - set(present.tolist()))
        combo = np.unravel_index(missing[0], (2,) * n_factors)
        raise ValueError(
            f"factors: expected every condition of the {n_factors} binary factors, "
            f"condition (level indices) {tuple(int(c) for c in combo)} has no sample"
        )
    return code_array, index


def _contexts(index: np.ndarray, k: int) -> np.ndarray:
    """Context id (0..2^(K-1)-1) of each sample: the values of the factors other than k."""
    others = np.delete(index, k, axis=1)
    return np.ravel_multi_index(tuple(others.T), (2,) * others.shape[1])


def _least_squares_classifier_accuracy(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, ridge: float
) -> float:
    """Accuracy of sign(w·x + b) fit by (ridge) least squares on ±1 targets; ties count 1/2."""
    mean = x_train.mean(axis=0)
    xc = x_train - mean
    target = np.where(y_train == 1, 1.0, -1.0)
    bias = target.mean()
    if ridge > 0:
        n_features = xc.shape[1]
        xc = np.vstack([xc, math.sqrt(ridge) * np.eye(n_features)])
        padded = np.concatenate([target - bias, np.zeros(n_features)])
        weights, *_ = np.linalg.lstsq(xc, padded, rcond=None)
    else:
        weights, *_ = np.linalg.lstsq(xc, target - bias, rcond=None)
    train_scores = (x_train - mean) @ weights + bias
    scale = max(float(np.max(np.abs(train_scores))), 1.0)
    scores = (x_test - mean) @ weights + bias
    tie = np.abs(scores) <= _TIE_RELATIVE_TOLERANCE * scale
    correct = np.where(y_test == 1, scores > 0, scores < 0)
    return float(np.mean(np.where(tie, 0.5, correct.astype(np.float64))))


def ccgp_per_factor(
    codes: object,
    factors: object,
    *,
    n_held_out_contexts: int = 1,
    ridge: float = 0.0,
) -> np.ndarray:
    """Cross-condition generalization performance of each binary factor.

    Bernardi, Benna, Rigotti, Munuera, Fusi & Salzman (2020, *The Geometry of Abstraction in
    the Hippocampus and Prefrontal Cortex*, Cell 183, `paper`): train a linear classifier for a
    variable on some conditions and test it on conditions never seen in training. Here
    (factorized variant, `reconstructed`): for factor k the *contexts* are the 2^(K−1)
    assignments of the other factors; for every choice of ``n_held_out_contexts`` contexts, a
    linear classifier sign(w·c + b) is fit by least squares on ±1 targets (intercept; optional
    ridge on w; minimum-norm when degenerate) on all samples of the other contexts and tested
    on all samples of the held-out ones. The result is the mean test accuracy over all choices.
    A test score at the threshold (within 1e-9 of the training-score scale) counts 1/2.
    Tag: **rotation-invariant** (with ``ridge=0`` invariant to any invertible linear map of the
    code space; with ridge, to orthogonal maps).

    Parameters
    ----------
    codes : array_like, shape (P, U)
        Samples (several per condition allowed, e.g. noisy trials).
    factors : array_like of int, shape (P, K), K ≥ 2
        Binary factors; every one of the 2^K conditions must have a sample.
    n_held_out_contexts : int, default 1
        Contexts held out per split, 1..2^(K−1)−1.
    ridge : float, default 0.0
        L2 penalty λ‖w‖² added to the summed squared error.

    Returns
    -------
    ndarray, shape (K,): accuracy in [0, 1] per factor (chance 0.5).

    Examples
    --------
    >>> z = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> ccgp_per_factor(z, z).tolist()
    [1.0, 1.0]
    """
    code_array, index = _binary_conditions(codes, factors)
    _check_ccgp_options(index.shape[1], n_held_out_contexts, ridge)
    return _ccgp_kernel(code_array, index, n_held_out_contexts, ridge, None)


def _check_ccgp_options(n_factors: int, n_held_out_contexts: int, ridge: float) -> None:
    n_contexts = 2 ** (n_factors - 1)
    if int(n_held_out_contexts) != n_held_out_contexts or not (
        1 <= n_held_out_contexts <= n_contexts - 1
    ):
        raise ValueError(
            f"n_held_out_contexts: expected an integer in 1..{n_contexts - 1}, "
            f"got {n_held_out_contexts!r}"
        )
    if not (ridge >= 0 and math.isfinite(ridge)):
        raise ValueError(f"ridge: expected a finite non-negative number, got {ridge!r}")


def _ccgp_kernel(
    code_array: np.ndarray,
    index: np.ndarray,
    n_held_out_contexts: int,
    ridge: float,
    rng: np.random.Generator | None,
) -> np.ndarray:
    """CCGP per factor; with ``rng``, the units of each split's test samples are permuted
    (one permutation per split, shared by its held-out conditions: decodanda's null)."""
    n_factors = index.shape[1]
    n_contexts = 2 ** (n_factors - 1)
    result = np.empty(n_factors)
    for k in range(n_factors):
        context = _contexts(index, k)
        accuracies = []
        for held_out in itertools.combinations(range(n_contexts), n_held_out_contexts):
            test = np.isin(context, held_out)
            test_codes = code_array[test]
            if rng is not None:
                test_codes = test_codes[:, rng.permutation(code_array.shape[1])]
            accuracies.append(
                _least_squares_classifier_accuracy(
                    code_array[~test], index[~test, k], test_codes, index[test, k], ridge
                )
            )
        result[k] = np.mean(accuracies)
    return result


def ccgp(
    codes: object,
    factors: object,
    *,
    n_held_out_contexts: int = 1,
    ridge: float = 0.0,
) -> float:
    """Mean over factors of :func:`ccgp_per_factor` (same definition, source and tag:
    **rotation-invariant**). Chance is 0.5; 1 for an identity (or any linear) code of the
    factors."""
    return float(
        np.mean(
            ccgp_per_factor(codes, factors, n_held_out_contexts=n_held_out_contexts, ridge=ridge)
        )
    )


def parallelism_per_factor(codes: object, factors: object) -> np.ndarray:
    """Parallelism score of each binary factor's coding directions across contexts.

    Bernardi et al. (2020, Cell 183, `paper`): the coding vector of a variable is the
    difference of the mean responses of two conditions that differ in it; the parallelism score
    is the mean cosine between coding vectors of different condition pairs (the paper maximizes
    over pairings of conditions; for a factor the natural pairing -- conditions that differ only
    in that factor -- is used here, `reconstructed`). For factor k and context c (values of the
    other factors), v_c = mean(code | z_k = high, c) − mean(code | z_k = low, c); the score is
    the mean of cos(v_c, v_c') over all pairs of contexts c < c'. A zero coding vector has
    cosine 0 with everything. Tag: **rotation-invariant** (orthogonal maps of the code space).

    Returns
    -------
    ndarray, shape (K,): values in [−1, 1] (1: the factor is coded along one direction in every
    context; 0 for an unstructured one-hot-of-condition code; −1 for a pure XOR unit).

    Examples
    --------
    >>> z = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> parallelism_per_factor(np.c_[z[:, 0] ^ z[:, 1]], z).tolist()
    [-1.0, -1.0]
    """
    code_array, index = _binary_conditions(codes, factors)
    return _parallelism_kernel(code_array, index, None)


def _parallelism_kernel(
    code_array: np.ndarray, index: np.ndarray, rng: np.random.Generator | None
) -> np.ndarray:
    """Parallelism per factor; with ``rng``, each context's coding vector has its units
    permuted independently (decodanda's null: one permutation per condition pair)."""
    n_factors = index.shape[1]
    n_contexts = 2 ** (n_factors - 1)
    result = np.empty(n_factors)
    for k in range(n_factors):
        context = _contexts(index, k)
        vectors = np.array(
            [
                code_array[(context == c) & (index[:, k] == 1)].mean(axis=0)
                - code_array[(context == c) & (index[:, k] == 0)].mean(axis=0)
                for c in range(n_contexts)
            ]
        )
        if rng is not None:
            vectors = np.array([v[rng.permutation(v.size)] for v in vectors])
        norms = np.linalg.norm(vectors, axis=1)
        unit = np.divide(
            vectors, norms[:, None], out=np.zeros_like(vectors), where=norms[:, None] > 0
        )
        cosines = [
            float(unit[a] @ unit[b]) for a, b in itertools.combinations(range(n_contexts), 2)
        ]
        result[k] = np.clip(np.mean(cosines), -1.0, 1.0)
    return result


def parallelism_score(codes: object, factors: object) -> float:
    """Mean over factors of :func:`parallelism_per_factor` (Bernardi et al. 2020, `paper`;
    tag: **rotation-invariant**)."""
    return float(np.mean(parallelism_per_factor(codes, factors)))


# --------------------------------------------------------------------------------------------
# null models for CCGP and parallelism (Bernardi et al. 2020; decodanda)
# --------------------------------------------------------------------------------------------

NULL_MODELS = ("units", "conditions")
# A shuffled score within this of the observed one counts as reaching it (scores computed by
# different float paths that are equal in exact arithmetic differ by ~1e-16).
_NULL_TIE_TOLERANCE = 1e-12


@dataclass(frozen=True, eq=False)
class NullModelTest:
    """A score per factor against its shuffled null distribution.

    Attributes
    ----------
    observed : ndarray, shape (K,)
        The score of each factor on the data.
    null : ndarray, shape (n_shuffles, K)
        The score of each factor on each shuffle, in drawing order.
    p_values : ndarray, shape (K,)
        One-sided permutation p-value (1 + #{null ≥ observed}) / (1 + n_shuffles) (Phipson &
        Smyth 2010, `paper`): never 0; its resolution (smallest value) is 1 / (1 + n_shuffles).
    z_scores : ndarray, shape (K,)
        (observed − mean(null)) / std(null) (population std), decodanda's ``z_pval`` statistic;
        NaN where the null has zero spread.
    p_resolution : float
        1 / (1 + n_shuffles).
    n_shuffles, seed : int
    null_model : str
        ``"units"`` or ``"conditions"``.
    """

    observed: np.ndarray
    null: np.ndarray
    p_values: np.ndarray
    z_scores: np.ndarray
    p_resolution: float
    n_shuffles: int
    seed: int
    null_model: str


def _null_model_test(
    kernel, code_array: np.ndarray, index: np.ndarray, n_shuffles: int, seed: int, null_model: str
) -> NullModelTest:
    if null_model not in NULL_MODELS:
        raise ValueError(f"null_model: expected one of {NULL_MODELS}, got {null_model!r}")
    if int(n_shuffles) != n_shuffles or n_shuffles < 1:
        raise ValueError(f"n_shuffles: expected a positive integer, got {n_shuffles!r}")
    if int(seed) != seed or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    observed = kernel(code_array, index, None)
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    shape = (2,) * index.shape[1]
    condition = np.ravel_multi_index(tuple(index.T), shape)
    rows = []
    for _ in range(int(n_shuffles)):
        if null_model == "units":
            rows.append(kernel(code_array, index, rng))
        else:
            relabel = rng.permutation(2 ** index.shape[1])
            shuffled = np.stack(np.unravel_index(relabel[condition], shape), axis=1)
            rows.append(kernel(code_array, shuffled, None))
    null = np.array(rows)
    reached = np.sum(null >= observed - _NULL_TIE_TOLERANCE, axis=0)
    spread = null.std(axis=0)
    z = np.divide(
        observed - null.mean(axis=0), spread, out=np.full(spread.shape, np.nan), where=spread > 0
    )
    return NullModelTest(
        observed=observed,
        null=null,
        p_values=(1.0 + reached) / (1.0 + n_shuffles),
        z_scores=z,
        p_resolution=1.0 / (1.0 + n_shuffles),
        n_shuffles=int(n_shuffles),
        seed=int(seed),
        null_model=null_model,
    )


_NULL_MODEL_NOTES = """
    Null models (``null_model``):

    - ``"units"`` (default) -- decodanda's geometric null (Bernardi et al. 2020, Cell 183,
      `paper`: a random rearrangement of the condition clouds that keeps each cloud's shape;
      decodanda ``CCGP_with_nullmodel`` / ``PS_with_nullmodel`` with ``shuffled=True``, `code`:
      lposani/decodanda, decodanda/classes.py): the units of the held-out test samples of each
      CCGP split are permuted (one permutation per split, shared by its held-out conditions,
      the training samples untouched); for parallelism each coding vector has its units
      permuted independently;
    - ``"conditions"`` -- shuffled condition labels: a uniformly random permutation of the
      2^K conditions relabels every sample (its code is kept), and the score is recomputed.

    Shuffles are drawn from ``numpy.random.Generator(PCG64(seed))`` in a fixed order (shuffle,
    then factor, then split), so the same inputs and seed give the same numbers. The smallest
    attainable p-value is 1 / (1 + n_shuffles) (0.0099 at the default 100); it cannot fall below
    the null's own chance of reaching the observed score: with two binary factors and a
    two-unit code, a perfect code has p ≈ 1/4 under ``"units"`` for CCGP (each of the 2 splits
    keeps its units with probability 1/2) and p ≈ 1/3 under ``"conditions"`` (8 of the 24
    relabellings are symmetries of the square).
"""


def ccgp_null_model(
    codes: object,
    factors: object,
    *,
    n_shuffles: int = 100,
    seed: int = 0,
    null_model: str = "units",
    n_held_out_contexts: int = 1,
    ridge: float = 0.0,
) -> NullModelTest:
    """CCGP of each binary factor against a shuffled null distribution (p-values).

    The score is :func:`ccgp_per_factor` (same definition, parameters and orientation: codes
    (P, U), binary factors (P, K)); its null distribution is the score on ``n_shuffles``
    shuffled versions of the data.
    {notes}
    Returns
    -------
    NullModelTest

    Examples
    --------
    >>> z = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> test = ccgp_null_model(2.0 * z - 1.0, z, n_shuffles=20, seed=1)
    >>> test.observed.tolist(), test.p_resolution
    ([1.0, 1.0], 0.047619047619047616)
    """
    code_array, index = _binary_conditions(codes, factors)
    _check_ccgp_options(index.shape[1], n_held_out_contexts, ridge)

    def kernel(c: np.ndarray, i: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
        return _ccgp_kernel(c, i, n_held_out_contexts, ridge, rng)

    return _null_model_test(kernel, code_array, index, n_shuffles, seed, null_model)


def parallelism_null_model(
    codes: object,
    factors: object,
    *,
    n_shuffles: int = 100,
    seed: int = 0,
    null_model: str = "units",
) -> NullModelTest:
    """Parallelism score of each binary factor against a shuffled null distribution.

    The score is :func:`parallelism_per_factor` (cosine of coding vectors; decodanda's default
    is the Pearson correlation of the coding vectors, which centres them first); its null
    distribution is the score on ``n_shuffles`` shuffled versions of the data.
    {notes}
    Returns
    -------
    NullModelTest
    """
    code_array, index = _binary_conditions(codes, factors)
    return _null_model_test(_parallelism_kernel, code_array, index, n_shuffles, seed, null_model)


ccgp_null_model.__doc__ = ccgp_null_model.__doc__.format(notes=_NULL_MODEL_NOTES)
parallelism_null_model.__doc__ = parallelism_null_model.__doc__.format(notes=_NULL_MODEL_NOTES)


# --------------------------------------------------------------------------------------------
# out-of-distribution linear decoding and decoded axes (EVIDENCE, THEORY.md 2.2 EV-3, EV-6, EV-7)
# --------------------------------------------------------------------------------------------


def orthant_index(latents: object) -> np.ndarray:
    """Orthant of each latent vector: bit j of the index is set iff latent j > 0.

    A coordinate exactly 0 counts as negative (bit clear). Shape (N, D) -> (N,) int64.
    """
    array = _as_codes(latents, "latents")
    return ((array > 0).astype(np.int64) << np.arange(array.shape[1], dtype=np.int64)).sum(axis=1)


def _fit_affine_decoder(
    features: np.ndarray, targets: np.ndarray, ridge: float
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares affine map targets ≈ features @ W + b, ridge λ‖W‖² on W only."""
    feature_mean = features.mean(axis=0)
    target_mean = targets.mean(axis=0)
    centred = features - feature_mean
    if ridge > 0:
        n_features = centred.shape[1]
        design = np.vstack([centred, math.sqrt(ridge) * np.eye(n_features)])
        rhs = np.vstack([targets - target_mean, np.zeros((n_features, targets.shape[1]))])
    else:
        design, rhs = centred, targets - target_mean
    weights, *_ = np.linalg.lstsq(design, rhs, rcond=None)
    return weights, target_mean - feature_mean @ weights


def _validated_decoding_inputs(
    features: object, latents: object, latent_variance: object, ridge: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    feature_array = _as_codes(features, "features")
    latent_array = _as_codes(latents, "latents")
    if latent_array.shape[0] != feature_array.shape[0]:
        raise ValueError(
            f"latents: expected {feature_array.shape[0]} rows (one per row of features), "
            f"got {latent_array.shape[0]}"
        )
    n_latent = latent_array.shape[1]
    if latent_variance is None:
        variance = latent_array.var(axis=0)
    else:
        variance = np.broadcast_to(np.asarray(latent_variance, dtype=np.float64), (n_latent,))
    if not np.all(np.isfinite(variance)) or np.any(variance <= 0):
        raise ValueError(
            f"latent_variance: expected positive finite variance per latent coordinate, got "
            f"{np.asarray(variance).tolist()}"
        )
    if not (ridge >= 0 and math.isfinite(ridge)):
        raise ValueError(f"ridge: expected a finite non-negative number, got {ridge!r}")
    return feature_array, latent_array, np.array(variance, dtype=np.float64)


def ood_linear_r2(
    features: object,
    latents: object,
    held_out_orthant: int,
    *,
    latent_variance: object = None,
    ridge: float = 0.0,
) -> np.ndarray:
    """Out-of-distribution r² of a linear decoder fit outside one latent orthant.

    Protocol of the EVIDENCE paper (Vafidis, Bhargava & Rangel, ICLR 2025, `code`:
    github.com/panvaf/DisentangleRes; THEORY.md 2.2 EV-7): fit an affine decoder
    x̂ = W f + b by least squares (minimum-norm when degenerate; optional ridge λ‖W‖² added to
    the summed squared error, the bias unpenalized) on the samples whose latent lies outside
    the held-out orthant, then on the held-out samples compute per coordinate
    r²_j = 1 − mean((x̂_j − x_j)²) / Var_j. Var_j is ``latent_variance`` when given (the paper's
    code uses 1/12, the variance of Uniform(−½, ½)) and otherwise the variance of latent
    coordinate j over ALL samples (global, not the held-out orthant's: the held-out orthant's
    own variance is smaller, which would deflate r²). Tag: **rotation-invariant** (with
    ``ridge=0``, invariant to any invertible linear map of the features).

    Parameters
    ----------
    features : array_like, shape (N, F)
        Representation (e.g. network state) of each sample.
    latents : array_like, shape (N, D)
        The latent to decode.
    held_out_orthant : int
        0..2^D−1; bit j set <=> latent j > 0 (see :func:`orthant_index`).
    latent_variance : float or array_like of shape (D,), optional
        Normalizing variance; default: the global variance of each latent coordinate.
    ridge : float, default 0.0

    Returns
    -------
    ndarray, shape (D,): r² per latent coordinate (1 is perfect; can be negative).

    Raises
    ------
    ValueError
        If the held-out orthant or the training set has no samples, or inputs are malformed.

    Examples
    --------
    >>> x = np.array([[-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]])
    >>> ood_linear_r2(x, x, 3).tolist()
    [1.0, 1.0]
    """
    feature_array, latent_array, variance = _validated_decoding_inputs(
        features, latents, latent_variance, ridge
    )
    n_orthants = 2 ** latent_array.shape[1]
    if int(held_out_orthant) != held_out_orthant or not 0 <= held_out_orthant < n_orthants:
        raise ValueError(
            f"held_out_orthant: expected an integer in 0..{n_orthants - 1}, "
            f"got {held_out_orthant!r}"
        )
    test = orthant_index(latent_array) == held_out_orthant
    if not np.any(test):
        raise ValueError(f"held_out_orthant: orthant {held_out_orthant} contains no samples")
    if np.all(test):
        raise ValueError(
            f"held_out_orthant: every sample lies in orthant {held_out_orthant}; "
            "nothing to train on"
        )
    weights, bias = _fit_affine_decoder(feature_array[~test], latent_array[~test], ridge)
    prediction = feature_array[test] @ weights + bias
    mse = np.mean((prediction - latent_array[test]) ** 2, axis=0)
    return 1.0 - mse / variance


def ood_linear_r2_all_orthants(
    features: object,
    latents: object,
    *,
    latent_variance: object = None,
    ridge: float = 0.0,
) -> np.ndarray:
    """:func:`ood_linear_r2` with each of the 2^D orthants held out in turn.

    Same definition, source and tag (**rotation-invariant**). Row o is the r² vector with
    orthant o held out; every orthant must contain samples.

    Returns
    -------
    ndarray, shape (2^D, D)
    """
    latent_array = _as_codes(latents, "latents")
    return np.array(
        [
            ood_linear_r2(features, latent_array, o, latent_variance=latent_variance, ridge=ridge)
            for o in range(2 ** latent_array.shape[1])
        ]
    )


def decoded_axis_angles(decoder_weights: object, *, n_latents: int | None = None) -> np.ndarray:
    """Pairwise angles (degrees) between the rows of a linear decoder.

    Row j of a (D, F) decoder is the feature-space direction that reads out latent j; the angle
    between rows i < j is arccos(w_i·w_j / (‖w_i‖ ‖w_j‖)) in [0°, 180°], listed in the order of
    ``itertools.combinations(range(D), 2)``. Orthogonal decoded axes (90°) are the EVIDENCE
    paper's disentanglement criterion (Vafidis et al. 2025, Corollary B.9, `paper`; THEORY.md
    2.2 EV-6). Tag: **rotation-invariant** (orthogonal maps of feature space, and positive
    rescaling of rows, leave it unchanged).

    Orientation: rows are latents, columns features (numpy's ``W`` in ``ẑ = W h``; the
    transpose of scikit-learn's ``coef_.T``). A decoder of D latents from F ≥ D features has at
    least as many columns as rows, so a taller-than-wide array is refused as a likely
    transposed (features × latents) layout, whose rows would give angles between *neurons*;
    pass ``n_latents=D`` to state the orientation explicitly (then a D × F array with D > F,
    a rank-deficient decoder, is accepted, and the transposed layout is named in the error).

    Parameters
    ----------
    decoder_weights : array_like, shape (D, F), no zero row.
    n_latents : int, optional
        D, the number of decoded latents (rows), if known.

    Returns
    -------
    ndarray, shape (D (D − 1) / 2,)

    Examples
    --------
    >>> decoded_axis_angles(np.array([[1.0, 0.0], [1.0, 1.0]])).round(6).tolist()
    [45.0]
    """
    weights = _as_codes(decoder_weights, "decoder_weights")
    rows, cols = weights.shape
    if n_latents is None and rows > cols:
        raise ValueError(
            f"decoder_weights: expected (latents D, features F) with D <= F, got {rows} x "
            f"{cols}: this looks like the transposed (features x latents) layout, whose rows "
            "are neurons; pass decoder_weights.T, or n_latents= if D > F is meant"
        )
    if n_latents is not None and rows != n_latents:
        hint = "; the array looks transposed (pass .T)" if cols == n_latents else ""
        raise ValueError(
            f"decoder_weights: expected {n_latents} rows (one per latent), got {rows} x "
            f"{cols}{hint}"
        )
    norms = np.linalg.norm(weights, axis=1)
    if np.any(norms == 0):
        raise ValueError(
            f"decoder_weights: row {int(np.argmin(norms))} is zero; its direction is undefined"
        )
    unit = weights / norms[:, None]
    pairs = list(itertools.combinations(range(weights.shape[0]), 2))
    cosines = np.array([unit[i] @ unit[j] for i, j in pairs], dtype=np.float64)
    return np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0)))
