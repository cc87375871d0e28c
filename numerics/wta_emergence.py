"""Trained WTA bottlenecks outside Theorem WTA-1's assumptions (issue 13, item 2).

Three bottlenecks are trained on the procedural images of :mod:`mtl_theory.numerics.wta`
and their *hard* code is read out after training:

- ``softmax`` at a fixed temperature T (forward and backward softmax(u / T) per module; the
  heads are trained on the soft code) - :func:`mtl_theory.numerics.wta.train` with
  ``kind="softmax"`` and ``tau_start = tau_end = T``; T -> 0 is hard WTA;
- ``straight-through``: the existing procedure of :func:`mtl_theory.numerics.wta.train`
  (annealed softmax warm-up, then hard forward / softmax backward at a fixed temperature);
- ``kwta``: k winners per module (new here). Soft k-WTA (:func:`soft_kwta`) is a sigmoid
  with a per-sample threshold, s_j = sigma((u_j - theta) / T) with theta solving
  sum_j s_j = k (our choice; it tends to the hard top-k mask as T -> 0 when the k-th and
  (k+1)-th pre-activations differ); hard k-WTA (:func:`hard_kwta`) is the top-k mask.
  Training mirrors ``straight-through``: soft k-WTA at an annealed temperature for the first
  ``soft_fraction`` of the epochs, then hard top-k forward with the soft k-WTA Jacobian at
  ``backward_tau`` backward (Bengio et al. 2013 straight-through, provenance ``code``).

The hard code is read from fresh noisy images of every grid point (held-out combinations
included) as the per-point majority top-k set (:func:`majority_topk_code`); its loss is that
of the optimal affine readout (least squares) on the training points (:func:`code_loss`),
so "zero loss" means what it means in exhaustive search. Verdicts: the cylinder-set reading
(:func:`mtl_theory.numerics.metrics.symbolic_verdict`, THEORY.md 1.2) and the strict
"one unit per factor value" reading (:func:`mtl_theory.numerics.wta_bnb.one_unit_per_value_flags`
applied unit by unit, so that it also covers k-hot codes).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import numpy as np
from mtl_theory.numerics import wta as nwta
from mtl_theory.numerics.blas import single_blas_thread
from mtl_theory.numerics.metrics import symbolic_verdict
from mtl_theory.numerics.wta_bnb import one_unit_per_value_flags
from mtl_theory.theory.wta import WTASetup
from scipy.special import expit

BOTTLENECK_KINDS = ("softmax", "straight-through", "kwta")
# Newton iterations on the threshold of soft k-WTA stop when |sum_j s_j - k| is below this
# (relative to k): far below the finite-difference tolerances of the tests (1e-8), far above
# float64 round-off of a sum of <= 16 terms in [0, 1] (~1e-15).
THRESHOLD_RTOL = 1e-13
MAX_THRESHOLD_ITERATIONS = 200
# Fresh test images per grid point for reading out the hard code (as gradient_experiment).
READOUT_SAMPLES = 8


@dataclass(frozen=True)
class Bottleneck:
    """How the bottleneck is trained.

    ``kind``: one of :data:`BOTTLENECK_KINDS`. ``temperature``: T of ``softmax`` (fixed
    throughout training). ``k``: winners per module of ``kwta`` (module g uses
    min(k, m_g - 1), since a module with k >= m_g units active is constant).
    """

    kind: str
    temperature: float | None = None
    k: int = 1

    def __post_init__(self) -> None:
        if self.kind not in BOTTLENECK_KINDS:
            raise ValueError(f"kind: one of {BOTTLENECK_KINDS}, not {self.kind!r}")
        if self.kind == "softmax" and not (self.temperature and self.temperature > 0):
            raise ValueError("temperature: a positive T for kind='softmax'")
        if self.k < 1:
            raise ValueError(f"k: at least 1, not {self.k}")

    def winners(self, modules: tuple[int, ...]) -> tuple[int, ...]:
        """Active units per module in the hard code: k_g = min(k, m_g - 1) for kwta, else 1."""
        if self.kind != "kwta":
            return tuple(1 for _ in modules)
        return tuple(min(self.k, m - 1) for m in modules)


# --------------------------------------------------------------------------- k-WTA


def _blocks(modules: tuple[int, ...]):
    start = 0
    for g, m in enumerate(modules):
        yield g, slice(start, start + m)
        start += m


def _threshold(a: np.ndarray, k: int) -> np.ndarray:
    """theta (N, 1) with sum_j sigma(a_j - theta) = k, 0 < k < m (safeguarded Newton).

    f(theta) = sum_j sigma(a_j - theta) - k decreases strictly from m - k > 0 to -k < 0, so
    the root is unique and lies in [min a - L, max a + L] with L = log(m / min(k, m - k)) + 1
    (there the sum is > k, resp. < k); Newton steps that leave the bracket are replaced by
    bisection.
    """
    m = a.shape[1]
    spread = math.log(m / min(k, m - k)) + 1.0
    lo = a.min(axis=1, keepdims=True) - spread
    hi = a.max(axis=1, keepdims=True) + spread
    # start between the k-th and (k+1)-th largest a_j: exact in the saturated limit, where
    # plain Newton from the bracket's middle would crawl (measured: ~40 steps at |a| ~ 10)
    ordered = -np.sort(-a, axis=1)
    theta = (ordered[:, k - 1 : k] + ordered[:, k : k + 1]) / 2
    for _ in range(MAX_THRESHOLD_ITERATIONS):
        s = expit(a - theta)
        f = s.sum(axis=1, keepdims=True) - k
        done = np.abs(f) <= THRESHOLD_RTOL * k
        if np.all(done):
            return theta
        lo = np.where(f > 0, theta, lo)  # sum too large: theta must grow
        hi = np.where(f < 0, theta, hi)
        slope = np.sum(s * (1 - s), axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = theta + f / slope
        inside = np.isfinite(step) & (step >= lo) & (step <= hi)
        # converged rows stay put (a bisection step would move them off their root)
        theta = np.where(done, theta, np.where(inside, step, (lo + hi) / 2))
    raise RuntimeError("soft k-WTA threshold did not converge")  # pragma: no cover


def soft_kwta(u: np.ndarray, modules: tuple[int, ...], ks: tuple[int, ...], tau: float):
    """Soft k-WTA per module: s_j = sigma((u_j - theta) / tau), sum_j s_j = k_g (ours).

    Parameters
    ----------
    u : (N, sum m_g) pre-activations
    modules, ks : units and winners per module (0 < k_g < m_g)
    tau : temperature

    Examples
    --------
    >>> s = soft_kwta(np.array([[0.0, 1.0, 3.0]]), (3,), (2,), 0.01)
    >>> np.round(s, 6).tolist(), float(s.sum())
    ([[0.0, 1.0, 1.0]], 2.0)
    """
    out = np.empty_like(u)
    for g, block in _blocks(modules):
        a = u[:, block] / tau
        out[:, block] = expit(a - _threshold(a, ks[g]))
    return out


def soft_kwta_backward(
    s: np.ndarray, ds: np.ndarray, modules: tuple[int, ...], tau: float
) -> np.ndarray:
    """Vector-Jacobian product of :func:`soft_kwta` (derived).

    With sigma'_j = s_j (1 - s_j) and the implicit threshold d theta / d u_i =
    sigma'_i / sum_j sigma'_j (from differentiating sum_j s_j = k):
    du_i = (sigma'_i / tau) (ds_i - <ds, sigma'> / sum_j sigma'_j). A fully saturated row
    (sum sigma' = 0) has du = 0.
    """
    du = np.zeros_like(ds)
    for _, block in _blocks(modules):
        d = s[:, block] * (1 - s[:, block])
        total = d.sum(axis=1, keepdims=True)
        safe = np.where(total > 0, total, 1.0)
        mean = np.sum(ds[:, block] * d, axis=1, keepdims=True) / safe
        du[:, block] = d * (ds[:, block] - mean) / tau
    return du


def hard_kwta(u: np.ndarray, modules: tuple[int, ...], ks: tuple[int, ...]) -> np.ndarray:
    """Top-k_g mask per module (ties: the lower unit wins, as argmax)."""
    out = np.zeros_like(u)
    rows = np.arange(len(u))[:, None]
    for g, block in _blocks(modules):
        top = np.argsort(-u[:, block], axis=1, kind="stable")[:, : ks[g]]
        out[:, block][rows, top] = 1.0  # a basic slice is a view: this writes into out
    return out


def kwta_loss_and_grad(
    params: dict[str, np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    modules: tuple[int, ...],
    ks: tuple[int, ...],
    mode: str,
    tau: float,
) -> tuple[float, dict[str, np.ndarray]]:
    """Mean squared error of the k-WTA network and its hand-written gradient.

    ``mode="soft"``: forward and backward through :func:`soft_kwta` at ``tau``;
    ``mode="straight-through"``: forward through :func:`hard_kwta`, backward through the
    soft k-WTA Jacobian at ``tau`` (a surrogate, not the gradient of the piecewise-constant
    loss; checked in the tests as the exact gradient of <ds, soft_kwta(u, tau)> with ds
    frozen). Encoder and heads as :func:`mtl_theory.numerics.wta.loss_and_grad`.
    """
    if mode not in ("soft", "straight-through"):
        raise ValueError(f"mode: 'soft' or 'straight-through', not {mode!r}")
    f = nwta.forward(params, x, modules, "relu", 1.0)  # a1, h, u (its s is unused)
    soft = soft_kwta(f["u"], modules, ks, tau)
    s = soft if mode == "soft" else hard_kwta(f["u"], modules, ks)
    n, t = y.shape
    diff = s @ params["Wo"] + params["bo"] - y
    loss = float(np.mean(diff**2))
    dy = 2.0 * diff / (n * t)
    grads = {"Wo": s.T @ dy, "bo": dy.sum(axis=0)}
    du = soft_kwta_backward(soft, dy @ params["Wo"].T, modules, tau)
    grads.update(nwta.encoder_grads(params, x, f, du))
    return loss, grads


def train_kwta(
    setup: WTASetup, ks: tuple[int, ...], seed: int, config: nwta.TrainConfig
) -> tuple[dict[str, np.ndarray], float]:
    """One full-batch Adam run of the k-WTA network; returns params and the training loss.

    Data, initialisation, target standardisation and temperature schedule are those of one
    run of :func:`mtl_theory.numerics.wta.train` (generator
    :func:`mtl_theory.numerics.wta.restart_rng` (seed, 0)); soft k-WTA for the first
    ``soft_fraction`` of the epochs at tau annealed geometrically from ``tau_start`` to
    ``tau_end``, then straight-through at ``backward_tau`` (1.0 if None). The training loss is
    the last standardised loss times the mean target variance (as ``train``).
    """
    rng = nwta.restart_rng(seed, 0)
    support = setup.support
    points = np.repeat(setup.grid[support], config.samples_per_point, axis=0)
    targets = np.repeat(setup.target_array[:, support].T, config.samples_per_point, axis=0)
    x = nwta.render_images(points, config.noise, rng)
    mean = targets.mean(axis=0)
    scale = np.where(targets.std(axis=0) > 0, targets.std(axis=0), 1.0)
    targets = (targets - mean) / scale
    params = nwta.init_network(x.shape[1], config.hidden, sum(setup.modules), len(mean), rng)
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    t_back = 1.0 if config.backward_tau is None else config.backward_tau
    loss = math.nan
    with single_blas_thread():
        for step in range(1, config.epochs + 1):
            frac = (step - 1) / max(config.epochs - 1, 1)
            tau = config.tau_start * (config.tau_end / config.tau_start) ** frac
            mode = "soft" if frac < config.soft_fraction else "straight-through"
            loss, grads = kwta_loss_and_grad(
                params, x, targets, setup.modules, ks, mode, tau if mode == "soft" else t_back
            )
            nwta.adam_step(params, grads, moments, step, config.lr)
    params["Wo"] = params["Wo"] * scale
    params["bo"] = params["bo"] * scale + mean
    return params, float(loss * np.mean(scale**2))


# --------------------------------------------------------------------------- read-out


def majority_topk_code(
    u: np.ndarray,
    index: np.ndarray,
    n_points: int,
    modules: tuple[int, ...],
    ks: tuple[int, ...],
) -> np.ndarray:
    """(P, sum m_g) 0/1 code: per grid point and module, the k_g units active most often.

    Votes are the top-k_g units of each sample (:func:`hard_kwta`); ties between counts go to
    the lower unit. With every k_g = 1 this is :func:`mtl_theory.numerics.wta.majority_code`
    as a one-hot code (tested).
    """
    counts = np.zeros((n_points, u.shape[1]))
    np.add.at(counts, index, hard_kwta(u, modules, ks))
    return hard_kwta(counts, modules, ks)


def code_loss(setup: WTASetup, code: np.ndarray) -> float:
    """Optimal affine-readout (least-squares) loss of a 0/1 code on the training points.

    Design [1, every unit's activity]; for one-hot codes this is
    :func:`mtl_theory.numerics.wta.naive_code_loss` (tested).
    """
    support = setup.support
    design = np.column_stack([np.ones(len(support)), code[support]])
    y = setup.target_array[:, support].T
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(np.mean((design @ coef - y) ** 2))


@dataclass(frozen=True)
class StrictVerdict:
    """The "one unit per factor value" reading on any 0/1 code.

    ``strict``: every unit with a non-trivial receptive set is {z : z_k = a} for one (k, a);
    ``complete``: every value a of every factor k has such a unit.
    """

    strict: bool
    complete: bool


def strict_verdict(code: np.ndarray, setup: WTASetup) -> StrictVerdict:
    """Strict reading of a (P, U) 0/1 code on the full grid, unit by unit.

    Each unit is passed to :func:`mtl_theory.numerics.wta_bnb.one_unit_per_value_flags` as a
    one-unit "module" whose label is 0 where the unit is active (1 elsewhere), so the
    definition is the one the certified searches use, extended to k-hot codes.
    """
    strict, values = True, 0
    for unit in range(code.shape[1]):
        labels = np.where(code[:, unit] > 0.5, 0, 1)[None, :]
        s, v = one_unit_per_value_flags(labels, 1, setup.grid, setup.factors)
        strict &= bool(s[0])
        values |= int(v[0])
    return StrictVerdict(strict, strict and values == (1 << sum(setup.factors)) - 1)


def _cylinder_sets(active: np.ndarray, grid: np.ndarray) -> list[np.ndarray | None]:
    """Per factor k: the value set S with active = {z : z_k in S} on these points, or None."""
    out = []
    for k in range(grid.shape[1]):
        values = np.unique(grid[active, k])
        out.append(values if np.array_equal(np.isin(grid[:, k], values), active) else None)
    return out


def support_verdict(code: np.ndarray, setup: WTASetup) -> tuple[bool, bool]:
    """Cylinder-set reading restricted to the training points (ours, for partial support).

    On the support Z_s, a unit with receptive set R (empty != R != Z_s) is symbolic if
    R = {z in Z_s : z_k in S} for some factor k and value set S; the code is complete if for
    every factor k and every two values a != a' of z_k seen in training some such unit on k
    has exactly one of them in S. On the full grid this is the reading of
    :func:`mtl_theory.numerics.metrics.symbolic_verdict` (tested); on a partial support it
    judges only the code of the combinations the network was trained on (the held-out
    combinations' code is then the network's extrapolation, judged by the full-grid verdict).
    """
    support = setup.support
    grid, sub = setup.grid[support], code[support] > 0.5
    seen = [np.unique(grid[:, k]) for k in range(grid.shape[1])]
    separated = [np.zeros((len(v), len(v)), dtype=bool) for v in seen]
    symbolic = True
    for unit in range(sub.shape[1]):
        active = sub[:, unit]
        if active.all() or not active.any():
            continue
        sets = _cylinder_sets(active, grid)
        symbolic &= any(c is not None for c in sets)
        for k, values in enumerate(sets):
            if values is not None:
                inside = np.isin(seen[k], values)
                separated[k] |= inside[:, None] != inside[None, :]
    off = [~np.eye(len(v), dtype=bool) for v in seen]
    complete = all(np.all(sep[o]) for sep, o in zip(separated, off, strict=True))
    return bool(symbolic), bool(symbolic and complete)


# --------------------------------------------------------------------------- one seed


def train_and_read(
    setup: WTASetup, bottleneck: Bottleneck, seed: int, config: nwta.TrainConfig
) -> dict[str, object]:
    """Train one network (one run, no restarts) and classify its hard code.

    Returns the training loss of the network as trained (its own objective: soft code for
    ``softmax``), the hard code (P, U) read from ``READOUT_SAMPLES`` fresh images per grid
    point (generator PCG64(seed + 1), as ``gradient_experiment``), its least-squares loss on
    the training points, whether that loss is zero (:data:`mtl_theory.numerics.wta.
    ZERO_LOSS_RTOL` relative to 1 + mean target^2 on the training points), and both
    readings of symbolic and complete on the full grid.
    """
    if not nwta.renderable(setup.factors):
        raise ValueError("images exist for at most 3 factors of at most 4 values")
    ks = bottleneck.winners(setup.modules)
    if bottleneck.kind == "kwta":
        params, train_loss = train_kwta(setup, ks, seed, config)
    else:
        run = replace(config, restarts=1)
        kind = bottleneck.kind
        if kind == "softmax":
            t = float(bottleneck.temperature)
            run = replace(run, tau_start=t, tau_end=t)
        trained = nwta.train(setup, kind, seed, run)
        params, train_loss = trained.params, trained.train_loss
    rng = np.random.Generator(np.random.PCG64(seed + 1))
    index = np.repeat(np.arange(setup.n_points), READOUT_SAMPLES)
    x = nwta.render_images(setup.grid[index], config.noise, rng)
    with single_blas_thread():
        u = nwta.forward(params, x, setup.modules, "relu", 1.0)["u"]
    code = majority_topk_code(u, index, setup.n_points, setup.modules, ks)
    loss = code_loss(setup, code)
    verdict = symbolic_verdict(code, setup.grid)
    strict = strict_verdict(code, setup)
    on_support = support_verdict(code, setup)
    return {
        "seed": seed,
        "train_loss": train_loss,
        "hard_code_loss": loss,
        "zero_loss": bool(loss <= nwta._zero_loss_tolerance(setup)),
        "symbolic": verdict.symbolic,
        "complete": verdict.complete,
        "symbolic_complete": bool(verdict.symbolic and verdict.complete),
        "strict": strict.strict,
        "strict_complete": strict.complete,
        "support_symbolic_complete": on_support[1],
        "dead_units": len(verdict.dead_units),
        "code": code.astype(int),
    }


# --------------------------------------------------------------------------- k-hot enumeration

#: Largest number of raw assignments C(m, k)^P enumerated for one module.
MAX_KHOT_MODULE_ASSIGNMENTS = 5_000_000


def khot_module_codes(n_points: int, units: int, k: int) -> np.ndarray:
    """Every k-hot code of one module on ``n_points`` points, up to relabelling of its units.

    Each point activates a k-subset of the ``units`` units; a code is the (P, units) 0/1
    matrix, and two codes that differ by a permutation of the units (columns) are one. The
    canonical form sorts the columns by their activity bitmask over the points, and the
    distinct sorted rows are kept (all C(m, k)^P assignments are enumerated first, so this is
    for small modules only: at most ``MAX_KHOT_MODULE_ASSIGNMENTS``).

    Returns
    -------
    (N, P, units) uint8
    """
    subsets = np.array(
        [[int(u in s) for u in range(units)] for s in itertools.combinations(range(units), k)],
        dtype=np.int64,
    )
    total = len(subsets) ** n_points
    if total > MAX_KHOT_MODULE_ASSIGNMENTS:
        raise ValueError(
            f"modules: expected at most {MAX_KHOT_MODULE_ASSIGNMENTS} k-hot assignments per "
            f"module, given {total}"
        )
    choice = np.array(list(itertools.product(range(len(subsets)), repeat=n_points)))
    weights = (1 << np.arange(n_points, dtype=np.int64))[None, :, None]
    masks = np.sort(np.sum(subsets[choice] * weights, axis=1), axis=1)  # (N, units)
    unique = np.unique(masks, axis=0)
    bits = (unique[:, None, :] >> np.arange(n_points)[None, :, None]) & 1
    return bits.astype(np.uint8)


def _zero_loss_mask(design: np.ndarray, y: np.ndarray, tol: float) -> np.ndarray:
    """Batched least squares: (N, P, C) designs, (P, T) targets -> (N,) bool, loss <= tol.

    Normal equations with a pseudo-inverse (rank-deficient designs are the rule: a module's
    units sum to k), residual = y - X pinv(X^T X) X^T y; loss = mean squared residual.
    """
    gram = np.einsum("npc,npd->ncd", design, design)
    rhs = np.einsum("npc,pt->nct", design, y)
    coef = np.linalg.pinv(gram, rcond=1e-10, hermitian=True) @ rhs
    resid = y[None] - design @ coef
    return np.mean(resid**2, axis=(1, 2)) <= tol


@dataclass(frozen=True)
class KhotSearch:
    """Every k-hot code of a setup (module g has ``ks[g]`` winners), up to relabelling within
    modules, as ordered module tuples; the zero-loss ones and their verdicts (cylinder-set
    reading of :func:`mtl_theory.numerics.metrics.symbolic_verdict`, full support only)."""

    ks: tuple[int, ...]
    n_codes: int
    zero_loss_codes: int
    symbolic_complete_zero_loss_codes: int
    strict_zero_loss_codes: int
    dead_unit_zero_loss_codes: int
    sample: tuple[np.ndarray, ...]


def khot_exhaustive(setup: WTASetup, ks: tuple[int, ...], batch: int = 20_000) -> KhotSearch:
    """Enumerate every k-hot code (module g: ``ks[g]`` of its m_g units active per point) on
    the full grid and classify the zero-loss ones: the finite check of the k-WTA extension of
    WTA-1 (``derived``, :mod:`mtl_theory.proofs.wta_emergence`). Zero loss = least-squares
    loss <= :data:`mtl_theory.numerics.wta.ZERO_LOSS_RTOL` (1 + mean y^2), the enumeration's
    threshold; the zero-loss codes are re-fitted one by one with :func:`code_loss`.
    """
    if setup.holdout:
        raise ValueError("holdout: expected full support for the k-hot enumeration, given one")
    p = setup.n_points
    per_module = [khot_module_codes(p, m, k) for m, k in zip(setup.modules, ks, strict=True)]
    y = setup.target_array.T.astype(float)
    tol = nwta._zero_loss_tolerance(setup)
    first, rest = per_module[0].astype(float), per_module[1:]
    n_codes = math.prod(len(c) for c in per_module)
    hits = []
    for combo in itertools.product(*(range(len(c)) for c in rest)):
        tail = [np.ones((p, 1))] + [rest[i][r].astype(float) for i, r in enumerate(combo)]
        fixed = np.concatenate(tail, axis=1)
        for start in range(0, len(first), batch):
            block = first[start : start + batch]
            design = np.concatenate([np.broadcast_to(fixed, (len(block), *fixed.shape)), block], 2)
            for n in np.nonzero(_zero_loss_mask(design, y, tol))[0]:
                hits.append(np.concatenate([block[n], *tail[1:]], axis=1))
    zero = [c for c in hits if code_loss(setup, c) <= tol]
    verdicts = [symbolic_verdict(c, setup.grid) for c in zero]
    return KhotSearch(
        ks=tuple(ks),
        n_codes=n_codes,
        zero_loss_codes=len(zero),
        symbolic_complete_zero_loss_codes=sum(v.symbolic and v.complete for v in verdicts),
        strict_zero_loss_codes=sum(strict_verdict(c, setup).strict for c in zero),
        dead_unit_zero_loss_codes=sum(bool(np.any(c.sum(axis=0) == 0)) for c in zero),
        sample=tuple(zero[:8]),
    )
