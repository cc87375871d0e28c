"""GDLN: deep linear networks, gated deep linear networks and the Make Haste Slowly claims.

Statements of THEORY.md section 3 as data and pure functions: setups (frozen dataclasses),
hypotheses (named predicates returning holds + a reason), closed forms with overflow-safe
numeric twins, and the provenance label of every formula.

Conventions (all sections): loss ½ Σ_µ ‖y_µ − ŷ_µ‖² summed over the P datapoints, full-batch
gradient descent with rate η, time t in epochs, τ = 1/(η P) (Saxe 2014, `paper`). With this
convention τ dW/dt = −∇_W L_avg where L_avg = L / P, and every correlation is an average:
Σʸˣ = (1/P) Y Xᵀ, Σˣ = (1/P) X Xᵀ.

References
----------
Saxe, McClelland, Ganguli (ICLR 2014), arXiv:1312.6120 — deep linear dynamics.
Saxe, McClelland, Ganguli (PNAS 2019), arXiv:1810.10531 — hierarchy dataset.
Saxe, Sodhani, Lewallen (ICML 2022), arXiv:2207.10430 — gated networks, neural race.
Jarvis, Klein, Rosman, Saxe (ICLR 2025), arXiv:2503.06181 — Make Haste Slowly.
Authors' code: github.com/CAandL-Lab/make-haste-slowly (``gen_data.py``, ``closed.py``).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from mtl_theory.theory.model import HypothesisCheck, SetupError, Statement
from scipy import integrate, optimize

THEORY = "gdln"

# --------------------------------------------------------------------------- statements

STATEMENTS: tuple[Statement, ...] = (
    Statement(
        "GDLN-1",
        "Two-layer linear mode dynamics",
        "Decoupled balanced small init: each mode obeys τ ȧ = 2a(s − d a), d = vᵀΣˣv, so "
        "a(t) = (s/d) / [1 + (s/(d a₀) − 1) e^{−2st/τ}], τ = 1/(ηP); learning time "
        "t = (τ/2s) ln[a(s − d a₀)/(a₀(s − d a))]; before balancing a² − b² is conserved.",
        "paper",
        "Saxe et al. 2014, Eqs. 5-8; non-white d as in the authors' closed.py",
    ),
    Statement(
        "GDLN-2",
        "Deep linear mode dynamics",
        "N_l layers (N = N_l − 1 weight matrices), balanced init: τ u̇ = N u^{2−2/N}(s − u); "
        "t(u) by quadrature; as N → ∞, t = (τ/N)[s⁻² ln(u(s − u₀)/(u₀(s − u))) + 1/(s u₀) "
        "− 1/(s u)].",
        "paper",
        "Saxe et al. 2014, Section 3 (deep networks)",
    ),
    Statement(
        "GDLN-3",
        "Discretization and solver agreement",
        "Gradient descent departs from the gradient flow by O(η): halving η halves the maximal "
        "mode error; the full network's gradient flow agrees with the closed form to solver "
        "tolerance.",
        "reconstructed",
        "THEORY.md 3.1",
    ),
    Statement(
        "GDLN-4",
        "Hierarchy singular values",
        "The Saxe-2019 binary hierarchy (8 items, 15 features) with one-hot items has "
        "Σʸˣ singular values [√15, √7, √3, √3, 1, 1, 1, 1]/8; broader splits are learned first.",
        "paper",
        "Saxe et al. 2019, Fig. 3",
    ),
    Statement(
        "GDLN-5",
        "Path-gradient formula",
        "τ dW_e/dt = Σ_{p∋e} W_after(p,e)ᵀ [Σʸˣ(p) − Σ_{j∈T(p)} W_j Σˣ(j,p)] W_before(p,e)ᵀ "
        "equals the ordinary (backprop) gradient flow of the gated network.",
        "paper",
        "Saxe, Sodhani, Lewallen 2022, Eq. (path dynamics)",
    ),
    Statement(
        "GDLN-6",
        "Neural race reduction",
        "If the correlations are mutually diagonalizable and the weights start aligned, each "
        "path is a set of scalar deep networks: τ Ḃ_e = Σ_{p∋e} B_after[S(p) − Σ_j B_j D(j,p)]"
        "B_before; two 2-layer paths in the small-weight regime: a₁/a₂ ∝ e^{2(s₁−s₂)t/τ}.",
        "paper",
        "Saxe, Sodhani, Lewallen 2022, Section 4; winner ratio `derived`",
    ),
    Statement(
        "GDLN-7",
        "Routing race",
        "M input modules → shared layer → M output modules, K trained pairs per input, loss "
        "averaged over all M² pairs: the shared layer learns at rate K/M, the modules at K/M²; "
        "M b₁² − b₂² is conserved (b₁ a module's mode strength, b₂ the shared layer's).",
        "code",
        "gated-dln routing notebook (via THEORY.md 3.2)",
    ),
    Statement(
        "GDLN-8",
        "ReLU ≈ ReLN on the context task",
        "A ReLU network trained on the context task is matched by a GDLN (ReLN) with a common "
        "pathway and item-only pathways gated on the ReLU's implicit modules (the (C − 1)-context "
        "sets; make-haste-slowly code: fixed modules, split common/residual loss): the ReLN's "
        "loss curve tracks the ReLU's more closely than the modular GDLN (common pathway + one "
        "pathway per context) does. A claim about initialisations: the toolkit decides the "
        "ordering on the seed mean of paired per-seed differences (proofs.gdln.SeedOrdering; "
        "one draw decides nothing).",
        "reconstructed",
        "Jarvis et al. 2025, abstract and Fig. 3; make-haste-slowly 3_context_diff/gdln.py",
    ),
    Statement(
        "GDLN-9",
        "Structured mixed selectivity",
        "On the context task the strong hidden units of a ReLU net are never single-context "
        "(active in all contexts or in C − 1 of them), and the modular network falls behind "
        "(its final loss above the ReLN's, decided like GDLN-8's ordering on the seed mean of "
        "paired differences; a single-context strong unit on any seed contradicts the first "
        "part).",
        "reconstructed",
        "Jarvis et al. 2025, abstract; THEORY.md 3.3",
    ),
    Statement(
        "GDLN-10",
        "Learning-speed factor",
        "With the same structure in every context, on the full targets a pathway active in "
        "C − 1 contexts has leading singular value √(C(C−1)/2) times that of a single-context "
        "pathway; on the residual after the common pathway both are equal.",
        "derived",
        "this toolkit (proofs/gdln.py: M_Aᵀ M_A = (|A|² + |A|) HᵀH / P²)",
    ),
    Statement(
        "GDLN-11",
        "Authors' closed-form context curves (flagged)",
        "The code's closed-form loss: common pathway a(t) with s, d paired by rank; each "
        "(C−1)-context pathway fits the residual of the common pathway's prediction at the "
        "run's final epoch with its own s and d/(C − 1); a₀ per script (C = 3: 5e-9 / 5e-5, "
        "C = 4: 1e-8 / 1e-4, C = 5: 1e-9 / 3e-4). The division by C − 1 and the rank pairing are "
        "not derived in the paper; the toolkit reproduces the curves (consistency with the "
        "authors' saved numbers), never uses them as a prediction of a network.",
        "code",
        "make-haste-slowly/3_context_diff/closed.py, diff_context_num/closed3/4/5.py",
    ),
    Statement(
        "GDLN-12",
        "Reproduction of the authors' trained runs",
        "The toolkit's float64 numpy networks with the authors' architectures, init streams "
        "(numpy's legacy generator, their draw order), schedules and loss ½Σ‖y − ŷ‖² — ReLU "
        "(relu.py, relu3/4/5.py, depth/relu.py), module ReLNs with the split common/residual "
        "loss (gdln.py, gdln_single.py, gdln3/4/5.py) and the staged output-gated depth GDLN "
        "(depth/gdln_off.py) — reach losses within the spread of the authors' JAX (float32) "
        "runs over their random seeds.",
        "code",
        "make-haste-slowly b7d6e41; reference numbers in theory/gdln_authors.py",
    ),
)

STATEMENT_BY_ID: Mapping[str, Statement] = {s.id: s for s in STATEMENTS}

# --------------------------------------------------------------------------- 3.1 mode dynamics


def time_constant(lr: float, n_data: int) -> float:
    """τ = 1/(η P) in epochs for the loss ½Σ_µ (Saxe 2014, `paper`).

    Examples
    --------
    >>> time_constant(lr=0.01, n_data=8)
    12.5
    """
    return 1.0 / (lr * n_data)


def mode_trajectory(t, s, a0, tau: float = 1.0, d=1.0) -> np.ndarray:
    """Closed-form two-layer mode strength a(t) solving τ ȧ = 2a(s − d a) (Saxe 2014, `paper`).

    a(t) = (s/d) / [1 + (s/(d a₀) − 1) e^{−2 s t/τ}]  (whitened d = 1:
    a(t) = s e^{2st/τ} / (e^{2st/τ} − 1 + s/a₀)). For s = 0 the limit
    a(t) = a₀/(1 + 2 d a₀ t/τ) is used. Broadcasts over all arguments.

    Notes
    -----
    Evaluated as a(t) = a₀ / [q (1 − e^{−x}) + e^{−x}] with q = d a₀/s and x = 2st/τ ≥ 0:
    the denominator is a convex combination of q and 1, so it neither cancels (the textbook
    form computes 1 + (s/(d a₀) − 1)·1 at t = 0, which rounds to 0 when s/(d a₀) < 1e-16)
    nor overflows for tiny a₀ (s/(d a₀) = inf gave inf·0 = nan). 1 − e^{−x} is
    ``-expm1(-x)``, exact for small x. Where q or the result leaves the normal float range
    the same expression is evaluated in log space, log a = log a₀ − logaddexp(log q +
    log(1 − e^{−x}), −x) (relative error about 1e-16·|log a|). Checked against mpmath at 50
    digits (tests/test_reliability_numerics.py).

    Parameters
    ----------
    t : array_like, epochs (≥ 0).
    s : array_like, singular value of Σʸˣ (≥ 0).
    a0 : array_like, initial mode strength (> 0).
    tau : float, time constant 1/(ηP).
    d : array_like, input variance along the mode vᵀΣˣv (> 0).

    Examples
    --------
    >>> float(mode_trajectory(1e6, 2.0, 1e-12))
    2.0
    >>> float(mode_trajectory(0.0, 1e-12, 0.5, d=1e6))
    0.5
    """
    t, s, a0, d = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (t, s, a0, d)))
    tiny = np.finfo(float).tiny
    with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
        x = 2.0 * s * t / tau
        decay = np.exp(-x)
        grown = -np.expm1(-x)  # 1 − e^{−x}, in [0, 1]
        q = d * a0 / s
        direct = a0 / (q * grown + decay)
        # a subnormal q has lost digits, which matters only if q(1 − e^{−x}) counts next to
        # e^{−x}; otherwise the direct form is exact (a0 = 1e-300 at t = 0 stays a0)
        q_usable = (q >= tiny) | (q * grown <= 2.0**-60 * decay)
        ok = np.isfinite(q) & q_usable & np.isfinite(direct) & (np.abs(direct) >= tiny)
        log_q = np.log(d) + np.log(a0) - np.log(s)
        log_den = np.logaddexp(log_q + np.log(grown), -x)
        growing = np.where(ok, direct, np.exp(np.log(a0) - log_den))
        # s = 0: a0 / (1 + 2 d a0 t/τ), the product possibly beyond float range
        rate = 2.0 * d * a0 * t / tau
        zero_direct = a0 / (1.0 + rate)
        log_rate = np.log(2.0) + np.log(d) + np.log(a0) + np.log(t) - np.log(tau)
        zero_log = np.exp(np.log(a0) - np.logaddexp(0.0, log_rate))
        zero_ok = np.isfinite(rate) & (np.abs(zero_direct) >= tiny)
        zero_s = np.where(zero_ok, zero_direct, zero_log)
    return np.where(s > 0, growing, zero_s)


def learning_time(a, s, a0, tau: float = 1.0, d=1.0) -> np.ndarray:
    """Epochs for a mode to go from a₀ to a: t = (τ/2s) ln[a(s − d a₀)/(a₀(s − d a))].

    Valid for a between a₀ and the fixed point s/d (Saxe 2014, `paper`); computed as a
    difference of logs so that tiny a₀ does not lose precision.

    Examples
    --------
    >>> t = learning_time(0.5, s=1.0, a0=1e-3, tau=2.0)
    >>> round(float(t), 6)
    6.906755
    >>> round(float(mode_trajectory(t, s=1.0, a0=1e-3, tau=2.0)), 12)  # the inverse of a(t)
    0.5
    """
    a, s, a0, d = (np.asarray(v, dtype=float) for v in (a, s, a0, d))
    return (tau / (2.0 * s)) * (
        np.log(a) - np.log(a0) + np.log(np.abs(s - d * a0)) - np.log(np.abs(s - d * a))
    )


def conserved_imbalance(a_layer: float, b_layer: float) -> float:
    """a² − b² for the two layers' mode strengths: conserved by the flow (Saxe 2014, `paper`).

    Examples
    --------
    >>> conserved_imbalance(0.5, 0.3)
    0.16
    """
    return a_layer**2 - b_layer**2


def two_layer_mode_rhs(a, b, s, d=1.0) -> tuple[np.ndarray, np.ndarray]:
    """Unbalanced mode flow τ ȧ = b(s − d ab), τ ḃ = a(s − d ab) (Saxe 2014, `paper`)."""
    r = s - d * a * b
    return b * r, a * r


def deep_mode_rhs(u, s, n_weights: int, d: float = 1.0) -> np.ndarray:
    """τ u̇ = N u^{2−2/N}(s − d u), N = N_l − 1 weight matrices (Saxe 2014, `paper`; the
    isotropic input variance d is `derived`: Σˣ = d I)."""
    u = np.asarray(u, dtype=float)
    return n_weights * np.abs(u) ** (2.0 - 2.0 / n_weights) * (s - d * u)


def deep_learning_time(
    u, s: float, u0: float, n_weights: int, tau: float = 1.0, d: float = 1.0
) -> float:
    """Epochs from u₀ to u for an N-matrix deep mode, by quadrature (Saxe 2014, `paper`).

    t(u) = (τ/N) ∫_{u₀}^{u} dv / (v^{2−2/N}(s − d v)). For N = 2 the exact two-layer learning
    time is returned. Isotropic d reduces to d = 1 by w = d v:
    t_d(u; u₀) = d^{1−2/N} t_1(d u; d u₀) (`derived`). The pole at v = s/d is subtracted
    analytically so quad only integrates a smooth function.

    Examples
    --------
    >>> bool(deep_learning_time(0.5, 1.0, 1e-3, n_weights=2) == learning_time(0.5, 1.0, 1e-3))
    True
    >>> round(deep_learning_time(0.5, 1.0, 1e-3, n_weights=3), 6)  # slower from small u0
    9.144747
    """
    if n_weights == 2:
        return float(learning_time(u, s, u0, tau, d))
    if d != 1.0:
        return d ** (1.0 - 2.0 / n_weights) * deep_learning_time(d * u, s, d * u0, n_weights, tau)
    p = 2.0 - 2.0 / n_weights
    # Subtract the pole at v = s analytically: 1/(v^p (s−v)) = g(v) + 1/(s^p (s−v)) with
    # g(v) = (s^p − v^p)/(v^p s^p (s − v)) regular at s, so quad only sees a smooth integrand.
    sp = s**p

    def regular_part(logv: float) -> float:
        v = math.exp(logv)
        gap = s - v
        if abs(gap) < 1e-9 * s:
            return v * p / (s * sp)  # limit of g(v) at v = s, times dv/dlogv = v
        return v * (sp - v**p) / (v**p * sp * gap)

    # integrate in log v: the integrand spans many decades between u0 and u
    val, _ = integrate.quad(
        regular_part, math.log(u0), math.log(u), limit=200, epsabs=0, epsrel=1e-12
    )
    val += (math.log(abs(s - u0)) - math.log(abs(s - u))) / sp
    return tau / n_weights * val


def deep_learning_time_large_depth(u, s, u0, n_weights: int, tau: float = 1.0):
    """Large-depth closed form t = (τ/N)[s⁻² ln(u(s−u₀)/(u₀(s−u))) + 1/(s u₀) − 1/(s u)].

    Exact for the flow τ u̇ = N u²(s − u), the N → ∞ limit of the exponent 2 − 2/N
    (Saxe 2014, `paper`).
    """
    u, s, u0 = (np.asarray(v, dtype=float) for v in (u, s, u0))
    log_term = np.log(u) - np.log(u0) + np.log(s - u0) - np.log(s - u)
    return tau / n_weights * (log_term / s**2 + 1.0 / (s * u0) - 1.0 / (s * u))


def deep_mode_trajectory(
    t, s: float, u0: float, n_weights: int, tau: float = 1.0, d: float = 1.0
) -> np.ndarray:
    """u(t) for an N-matrix deep mode: inverts the quadrature t(u) by bracketing root-finding.

    For N = 2 this is :func:`mode_trajectory`. Otherwise u(t) is the unique root of
    t(u) − t in (u₀, s/d) (t(u) is strictly increasing there). Isotropic input (Σˣ = d I).

    The quadrature covers growth from below, u₀ < s/d. A mode that starts within 1e-13 of its
    fixed point stays there (u₀ is returned, exact to that precision); one that starts above
    it (u₀ > s/d) is outside this closed form's domain and gives nan, which the comparisons
    report as not measurable instead of raising (issue 14).
    """
    t = np.atleast_1d(np.asarray(t, dtype=float))
    if n_weights == 2:
        return mode_trajectory(t, s, u0, tau, d)
    if d != 1.0:
        return deep_mode_trajectory(t, s, d * u0, n_weights, tau * d ** (1.0 - 2.0 / n_weights)) / d
    out = np.empty_like(t)
    hi_cap = s * (1.0 - 1e-13)
    if not u0 < s:
        return np.full_like(t, u0 if u0 == s else np.nan)
    if u0 >= hi_cap:
        return np.full_like(t, u0)
    t_cap = deep_learning_time(hi_cap, s, u0, n_weights, tau)

    def time_gap(u: float, target: float) -> float:
        return deep_learning_time(u, s, u0, n_weights, tau) - target

    for i, ti in enumerate(t):
        if ti <= 0:
            out[i] = u0
        elif ti >= t_cap:
            out[i] = hi_cap
        else:
            out[i] = optimize.brentq(
                time_gap,
                u0,
                hi_cap,
                xtol=1e-15 * s,
                rtol=1e-13,
                args=(float(ti),),
            )
    return out


# --------------------------------------------------------------------------- datasets


def hierarchy_features(n_items: int = 8) -> np.ndarray:
    """Binary-tree hierarchy: one feature per tree node, (2n − 1) × n (Saxe 2019, `paper`).

    Row order as in the authors' gen_data.py (`code`): root, then 2, 4, ..., n blocks.
    """
    if n_items < 1 or n_items & (n_items - 1):
        raise ValueError(f"n_items must be a power of two, given {n_items}")
    rows = []
    height = 1
    while height <= n_items:
        width = n_items // height
        for i in range(height):
            row = np.zeros(n_items)
            row[i * width : (i + 1) * width] = 1.0
            rows.append(row)
        height *= 2
    return np.array(rows)


def ring_features() -> np.ndarray:
    """The ring structure of the authors' ``gen_ring() * 2.0`` (8 items, 15 rows; `code`).

    make-haste-slowly b7d6e41, 3_context_diff/gen_data.py (identical in diff_context_num/ and
    depth/): a row of ones, then the eight cyclic shifts of the profile
    (0, .33, .66, 1, 1, .66, .33, 0) — shift k moves every entry k places left — then shifts
    0 … 5 again (rows 9–14 repeat rows 1–6), all × 0.5 × 2.0 (exact in binary, so the array is
    bit-for-bit theirs; tests/test_gdln_authors_data.py compares it with their printed arrays).
    """
    profile = np.array([0.0, 0.33, 0.66, 1.0, 1.0, 0.66, 0.33, 0.0])
    shifts = [*range(8), *range(6)]
    rows = [np.ones(8)] + [np.roll(profile, -k) for k in shifts]
    return np.array(rows) * 0.5 * 2.0


def cross_cutting_features() -> np.ndarray:
    """Hierarchy with the 4-block level replaced by cross-cutting pairs (gen_data3, `code`)."""
    h = hierarchy_features(8)
    h[3] = [1, 0, 1, 0, 0, 0, 0, 0]
    h[4] = [0, 1, 0, 1, 0, 0, 0, 0]
    h[5] = [0, 0, 0, 0, 1, 0, 1, 0]
    h[6] = [0, 0, 0, 0, 0, 1, 0, 1]
    return h


#: Distinct structures available for structures = "different" (gen_data3 order, `code`).
DIFFERENT_STRUCTURES = ("hierarchy", "ring", "cross-cutting")


def structure_matrix(name: str) -> np.ndarray:
    return {
        "hierarchy": hierarchy_features,
        "ring": ring_features,
        "cross-cutting": cross_cutting_features,
    }[name]()


def max_contexts(structures: str) -> int | None:
    """How many contexts a structure choice supports (None: unbounded)."""
    return len(DIFFERENT_STRUCTURES) if structures == "different" else None


@dataclass(frozen=True)
class ContextTask:
    """The Make Haste Slowly context dataset (THEORY.md 3.3; construction `code`).

    Inputs X: one-hot item (n) stacked over the context one-hot times ``context_scale`` (C),
    (n + C) × nC, columns ordered context-major (all items of context 0, then context 1, ...).
    Targets Y: the common block (the hierarchy in every context) over C context blocks, block c
    equal to context c's structure in context c and 0 elsewhere: (2n − 1)(C + 1) × nC.
    """

    n_items: int
    n_contexts: int
    structures: str  # "same" | "different"
    X: np.ndarray = field(repr=False)
    Y: np.ndarray = field(repr=False)
    context_of: np.ndarray = field(repr=False)  # context index of each datapoint
    context_scale: float = 1.0

    @property
    def n_data(self) -> int:
        return self.X.shape[1]


def context_task(
    n_contexts: int,
    structures: str = "different",
    n_items: int = 8,
    context_scale: float = 1.0,
) -> ContextTask:
    """Build the context task; raises ValueError when the structures cannot support C.

    With the defaults this is, bit for bit, the authors' data (`code`, make-haste-slowly
    b7d6e41): ``structures="different"``, C = 3 is ``gen_data3(8, diff_struct=True)``;
    ``"same"`` is ``gen_data3(8, diff_struct=False)`` (C = 3; also depth/gen_data.py) and the
    ``gen_data4`` / ``gen_data5`` of 3_context_diff/ and depth/ (C = 4, 5). The
    diff_context_num/ versions of ``gen_data4`` / ``gen_data5`` scale the context one-hot by
    1.1 and 1.35: ``context_scale`` (see :data:`AUTHORS_DATASETS`).

    Parameters
    ----------
    n_contexts : int, number of contexts C.
    structures : {"different", "same"}: hierarchy / ring / cross-cutting in contexts 0, 1, 2,
        or the hierarchy in every context.
    n_items : int, items n (a power of two; 8 for "different").
    context_scale : float, value of the context one-hot entries of X (authors: 1, 1.1, 1.35).
    """
    cap = max_contexts(structures)
    if cap is not None and n_contexts > cap:
        raise ValueError(f"structures='different' supports at most {cap} contexts")
    if structures == "different" and n_items != 8:
        raise ValueError("the ring and cross-cutting structures are defined for 8 items")
    h = hierarchy_features(n_items)
    names = (
        DIFFERENT_STRUCTURES[:n_contexts]
        if structures == "different"
        else ("hierarchy",) * n_contexts
    )
    mats = [structure_matrix(nm) if structures == "different" else h for nm in names]
    m = h.shape[0]
    P = n_items * n_contexts
    Y = np.zeros((m * (n_contexts + 1), P))
    X = np.zeros((n_items + n_contexts, P))
    ctx = np.repeat(np.arange(n_contexts), n_items)
    for c in range(n_contexts):
        cols = slice(c * n_items, (c + 1) * n_items)
        X[:n_items, cols] = np.eye(n_items)
        X[n_items + c, cols] = 1.0 * context_scale
        Y[:m, cols] = h
        Y[m * (c + 1) : m * (c + 2), cols] = mats[c]
    return ContextTask(n_items, n_contexts, structures, X, Y, ctx, float(context_scale))


@dataclass(frozen=True)
class AuthorsDataset:
    """One data generator of the authors' code and its toolkit equivalent (`code`)."""

    source: str  # file and call in make-haste-slowly b7d6e41
    n_contexts: int
    structures: str
    context_scale: float

    def task(self) -> ContextTask:
        return context_task(self.n_contexts, self.structures, 8, self.context_scale)


#: Every data generator of make-haste-slowly b7d6e41 that a script of theirs calls, keyed by
#: a short name (`code`; checked bit for bit against their arrays in
#: tests/test_gdln_authors_data.py). depth/gen_data.py's gen_data3 equals 3_context_diff's.
AUTHORS_DATASETS: Mapping[str, AuthorsDataset] = {
    "gen_data3-diff": AuthorsDataset(
        "3_context_diff/gen_data.py: gen_data3(8, diff_struct=True)", 3, "different", 1.0
    ),
    "gen_data3-same": AuthorsDataset(
        "3_context_diff/gen_data.py: gen_data3(8, diff_struct=False); also "
        "diff_context_num/gen_data.py and depth/gen_data.py: gen_data3(8)",
        3,
        "same",
        1.0,
    ),
    "gen_data4": AuthorsDataset("3_context_diff/gen_data.py: gen_data4(8)", 4, "same", 1.0),
    "gen_data5": AuthorsDataset("3_context_diff/gen_data.py: gen_data5(8)", 5, "same", 1.0),
    "diff_context_num-gen_data4": AuthorsDataset(
        "diff_context_num/gen_data.py: gen_data4(8) (context one-hot × 1.1)", 4, "same", 1.1
    ),
    "diff_context_num-gen_data5": AuthorsDataset(
        "diff_context_num/gen_data.py: gen_data5(8) (context one-hot × 1.35)", 5, "same", 1.35
    ),
}


def correlations(X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Σʸˣ = YXᵀ/P and Σˣ = XXᵀ/P (Saxe 2014 conventions, `paper`)."""
    P = X.shape[1]
    return Y @ X.T / P, X @ X.T / P


def hierarchy_singular_values(n_items: int = 8) -> np.ndarray:
    """Singular values of Σʸˣ for the hierarchy with one-hot items (numeric twin of GDLN-4).

    Examples
    --------
    >>> hierarchy_singular_values(4).round(4)
    array([0.6614, 0.433 , 0.25  , 0.25  ])
    """
    h = hierarchy_features(n_items)
    return np.linalg.svd(h / n_items, compute_uv=False)


# --------------------------------------------------------------------------- 3.2 gated graphs


@dataclass(frozen=True)
class GatedGraph:
    """A gated deep linear network: a DAG of layers with weight matrices on edges.

    h_v = g_v(µ) Σ_{e into v} g_e(µ) W_e h_{source(e)}; input nodes h_v = g_v(µ) x_v(µ).
    Loss ½⟨Σ_{output v} ‖y_v − h_v‖²⟩ averaged over data (Saxe et al. 2022, `paper`).

    Parameters
    ----------
    sizes : mapping node -> width.
    edges : sequence of (source, target) node pairs; edge e is its index.
    inputs, outputs : node names.
    """

    sizes: Mapping[str, int]
    edges: tuple[tuple[str, str], ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def shape(self, e: int) -> tuple[int, int]:
        src, dst = self.edges[e]
        return (self.sizes[dst], self.sizes[src])

    def topological_order(self) -> list[str]:
        order: list[str] = []
        indeg = {v: 0 for v in self.sizes}
        for _, dst in self.edges:
            indeg[dst] += 1
        ready = [v for v in self.sizes if indeg[v] == 0]
        while ready:
            v = ready.pop(0)
            order.append(v)
            for src, dst in self.edges:
                if src == v:
                    indeg[dst] -= 1
                    if indeg[dst] == 0:
                        ready.append(dst)
        if len(order) != len(self.sizes):
            raise ValueError("gated graph has a cycle")
        return order


@dataclass(frozen=True)
class Path:
    """A path from an input node to an output node: its edge indices in order."""

    edges: tuple[int, ...]
    source: str
    target: str


def enumerate_paths(graph: GatedGraph) -> list[Path]:
    """All input-to-output paths of a gated graph (depth-first; Saxe et al. 2022, `paper`)."""
    out_edges: dict[str, list[int]] = {v: [] for v in graph.sizes}
    for e, (src, _) in enumerate(graph.edges):
        out_edges[src].append(e)
    paths: list[Path] = []

    def walk(node: str, start: str, acc: tuple[int, ...]) -> None:
        if node in graph.outputs and acc:
            paths.append(Path(acc, start, node))
        for e in out_edges[node]:
            walk(graph.edges[e][1], start, (*acc, e))

    for v in graph.inputs:
        walk(v, v, ())
    return paths


def _path_nodes(graph: GatedGraph, path: Path) -> list[str]:
    return [path.source] + [graph.edges[e][1] for e in path.edges]


def path_gate(graph, path, node_gates, edge_gates) -> np.ndarray:
    """g_p(µ): product of all node gates and edge gates on the path."""
    g = np.asarray(node_gates[path.source], dtype=float).copy()
    for e in path.edges:
        g = g * edge_gates[e] * node_gates[graph.edges[e][1]]
    return g


def _chain(weights, edges: Sequence[int], dim: int) -> np.ndarray:
    """W_{e_k} ⋯ W_{e_1} for the edge sequence (identity of size dim when empty)."""
    m = np.eye(dim)
    for e in edges:
        m = weights[e] @ m
    return m


def path_gradient(graph: GatedGraph, weights, X, Y, node_gates, edge_gates) -> list[np.ndarray]:
    """The path-gradient formula: τ dW_e/dt for every edge (Saxe et al. 2022, `paper`).

    τ dW_e/dt = Σ_{p∋e} W_after(p,e)ᵀ [Σʸˣ(p) − Σ_{j∈T(p)} W_j Σˣ(j,p)] W_before(p,e)ᵀ with
    Σʸˣ(p) = ⟨g_p y_{t(p)} x_{s(p)}ᵀ⟩, Σˣ(j,p) = ⟨g_j g_p x_{s(j)} x_{s(p)}ᵀ⟩ and T(p) the
    paths ending at p's output node. Computed by enumerating paths; no backpropagation.

    Parameters
    ----------
    weights : list of arrays, one per edge.
    X, Y : mappings node -> (dim, P) arrays for input and output nodes.
    node_gates : mapping node -> (P,) array; edge_gates : list of (P,) arrays.
    """
    paths = enumerate_paths(graph)
    P = next(iter(X.values())).shape[1]
    gates = [path_gate(graph, p, node_gates, edge_gates) for p in paths]
    maps = [_chain(weights, p.edges, graph.sizes[p.source]) for p in paths]
    grads = [np.zeros(graph.shape(e)) for e in range(len(graph.edges))]
    for i, p in enumerate(paths):
        xp = X[p.source] * gates[i]
        syx = Y[p.target] @ xp.T / P
        pred = np.zeros_like(syx)
        for j, q in enumerate(paths):
            if q.target != p.target:
                continue
            sxx = (X[q.source] * gates[j]) @ xp.T / P
            pred += maps[j] @ sxx
        err = syx - pred
        for k, e in enumerate(p.edges):
            before = _chain(weights, p.edges[:k], graph.sizes[p.source])
            after = _chain(weights, p.edges[k + 1 :], graph.sizes[graph.edges[e][1]])
            grads[e] += after.T @ err @ before.T
    return grads


# --------------------------------------------------------------------------- race reduction


@dataclass(frozen=True)
class RaceSetup:
    """K two-layer pathways between one input and one output, gated by condition.

    Datapoints: every item i (one-hot, n items) in every condition c; targets α_c H e_i
    (H the hierarchy); pathway k is on in condition c iff gates[k][c] = 1. This makes all
    Σʸˣ(p) ∝ H and all Σˣ(j,p) ∝ I: mutually diagonalizable (Saxe et al. 2022 assumption).
    """

    n_items: int
    condition_scales: tuple[float, ...]  # α_c
    gates: tuple[tuple[int, ...], ...]  # gates[k][c]
    a0: float
    hidden: int

    @property
    def n_conditions(self) -> int:
        return len(self.condition_scales)

    @property
    def n_paths(self) -> int:
        return len(self.gates)


def race_data(setup: RaceSetup):
    """X (n × nC), Y (m × nC), condition of each datapoint and the feature matrix H."""
    h = hierarchy_features(setup.n_items)
    C, n = setup.n_conditions, setup.n_items
    X = np.tile(np.eye(n), (1, C))
    cond = np.repeat(np.arange(C), n)
    Y = np.hstack([a * h for a in setup.condition_scales])
    return X, Y, cond, h


def race_reduced_coefficients(setup: RaceSetup) -> tuple[np.ndarray, np.ndarray]:
    """S(p)_k and D(j,p) of the diagonal race (Saxe et al. 2022 reduction, `paper`).

    S(p)_k = (Σ_c g_p(c) α_c) σ_k(H) / (nC), D(j,p) = (Σ_c g_j(c) g_p(c)) / (nC): both
    follow from Σʸˣ(p) = ⟨g_p y xᵀ⟩, Σˣ(j,p) = ⟨g_j g_p x xᵀ⟩ with one-hot items.
    """
    g = np.array(setup.gates, dtype=float)
    alpha = np.array(setup.condition_scales)
    sig = hierarchy_singular_values(setup.n_items) * setup.n_items  # σ(H)
    P = setup.n_items * setup.n_conditions
    S = np.outer(g @ alpha, sig) / P
    D = g @ g.T / P
    return S, D


def alignment_hypothesis(
    sigma_yx: Sequence[np.ndarray], sigma_x: Sequence[np.ndarray], tol: float = 1e-10
) -> HypothesisCheck:
    """Are all Σʸˣ(p) diagonal in one (U, V) pair and all Σˣ(j,p) diagonal in V? (checkable
    form of the race-reduction assumption, Saxe et al. 2022, `paper`)."""
    ref = max(sigma_yx, key=lambda m: np.linalg.norm(m))
    U, _, Vt = np.linalg.svd(ref)
    worst = 0.0
    for m in sigma_yx:
        core = U.T @ m @ Vt.T
        off = core - np.diag(np.diag(core)) if core.shape[0] == core.shape[1] else core.copy()
        if core.shape[0] != core.shape[1]:
            k = min(core.shape)
            off[np.arange(k), np.arange(k)] = 0.0
        worst = max(worst, float(np.max(np.abs(off))) / max(np.linalg.norm(m), 1e-300))
    for m in sigma_x:
        core = Vt @ m @ Vt.T
        off = core - np.diag(np.diag(core))
        worst = max(worst, float(np.max(np.abs(off))) / max(np.linalg.norm(m), 1e-300))
    holds = bool(worst <= tol)
    return HypothesisCheck(
        "aligned-correlations",
        holds,
        f"largest off-diagonal correlation in the common basis {worst:.2e} "
        f"({'<=' if holds else '>'} {tol:g})",
    )


def race_reduced_rhs(a: np.ndarray, S: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Two-layer balanced paths: τ ȧ_{p,k} = 2 a_{p,k}(S(p)_k − Σ_j a_{j,k} D(j,p)).

    The balanced (b_in = b_out = √a) specialization of the reduced dynamics (`paper`).
    """
    return 2.0 * a * (S - D @ a)


def race_reduced_trajectory(setup: RaceSetup, t: np.ndarray, tau: float) -> np.ndarray:
    """Integrate the reduced race (K paths × modes) at times t: shape (len(t), K, modes).

    A K·r-dimensional ODE, integrated with DOP853 at rtol 1e-11 (it is the theory's
    prediction; the full network is simulated in numerics/gdln.py).
    """
    from scipy.integrate import solve_ivp

    S, D = race_reduced_coefficients(setup)
    a0 = np.full(S.shape, setup.a0)
    # modes whose singular value is zero stay at a0 decay; include them for completeness
    sol = solve_ivp(
        lambda _t, y: race_reduced_rhs(y.reshape(S.shape), S, D).ravel() / tau,
        (0.0, float(t[-1])),
        a0.ravel(),
        t_eval=t,
        method="DOP853",
        rtol=1e-11,
        # an absolute tolerance above the state itself (a₀ = 1e-30) would let the solver
        # step over the growth from a₀ unresolved: keep it far below a₀
        atol=1e-14 * min(1.0, setup.a0),
    )
    return sol.y.T.reshape(len(t), *S.shape)


def two_path_log_ratio(t, s1: float, s2: float, tau: float, log_ratio0: float = 0.0):
    """ln(a₁/a₂) = ln(a₁(0)/a₂(0)) + 2(s₁ − s₂)t/τ while both paths are small (`derived`)."""
    return log_ratio0 + 2.0 * (s1 - s2) * np.asarray(t, dtype=float) / tau


# --------------------------------------------------------------------------- routing


@dataclass(frozen=True)
class RoutingSetup:
    """Routing example (`code`): M input modules → shared layer → M output modules.

    Pair (i, j) is trained iff (j − i) mod M < K; datapoints are all M² pairs × n items (the
    untrained ones fully gated off), targets the hierarchy H applied to the item.
    """

    modules: int  # M
    pairs_per_input: int  # K
    n_items: int
    hidden: int
    a0: float  # initial mode strength of each layer (b), all equal at t = 0


def routing_rates(setup: RoutingSetup) -> tuple[float, float]:
    """(module rate, shared rate) = (K/M², K/M) (`code`, derived from the path gradient)."""
    M, K = setup.modules, setup.pairs_per_input
    return K / M**2, K / M


def routing_reduced_rhs(b: np.ndarray, sigma: np.ndarray, setup: RoutingSetup) -> np.ndarray:
    """Symmetric reduced routing flow for b = (b_in, b_shared, b_out) per mode.

    τ ḃ_in = (K/M²)(1/n) b_s b_out (σ_k − a), τ ḃ_s = (K/M)(1/n) b_in b_out (σ_k − a),
    τ ḃ_out = (K/M²)(1/n) b_in b_s (σ_k − a), a = b_in b_s b_out (`derived` from the
    path-gradient formula with Σʸˣ(p) = H/(M²n), Σˣ(p,p) = I/(M²n)).
    """
    r_mod, r_sh = routing_rates(setup)
    b_in, b_s, b_out = b
    err = (sigma - b_in * b_s * b_out) / setup.n_items
    return np.array(
        [r_mod * b_s * b_out * err, r_sh * b_in * b_out * err, r_mod * b_in * b_s * err]
    )


def routing_conserved(b_module, b_shared, modules: int):
    """M b₁² − b₂², conserved by the routing flow (`code`, proved in proofs/gdln.py)."""
    return modules * np.asarray(b_module) ** 2 - np.asarray(b_shared) ** 2


def routing_reduced_trajectory(setup: RoutingSetup, t: np.ndarray, tau: float) -> np.ndarray:
    """Integrate the reduced routing flow: shape (len(t), 3, modes)."""
    from scipy.integrate import solve_ivp

    sigma = hierarchy_singular_values(setup.n_items) * setup.n_items
    b0 = np.full((3, sigma.size), setup.a0)
    sol = solve_ivp(
        lambda _t, y: routing_reduced_rhs(y.reshape(3, -1), sigma, setup).ravel() / tau,
        (0.0, float(t[-1])),
        b0.ravel(),
        t_eval=t,
        method="DOP853",
        rtol=1e-11,
        atol=1e-14 * min(1.0, setup.a0),  # far below the state, as in the race above
    )
    return sol.y.T.reshape(len(t), 3, -1)


# --------------------------------------------------------------------------- 3.3 Make Haste Slowly


def context_subsets(n_contexts: int, size: int) -> list[tuple[int, ...]]:
    return list(itertools.combinations(range(n_contexts), size))


def pathway_correlation(task: ContextTask, contexts: Sequence[int], targets=None) -> np.ndarray:
    """Σʸˣ of a pathway with item-only input, gated on in ``contexts``: ⟨g_A y x_itemᵀ⟩."""
    Y = task.Y if targets is None else targets
    gate = np.isin(task.context_of, list(contexts)).astype(float)
    return (Y * gate) @ task.X[: task.n_items].T / task.n_data


def speed_factor(n_contexts: int) -> float:
    """√(C(C−1)/2): leading-singular-value ratio of a (C−1)-context to a single-context pathway
    on the full targets, same structure in every context (`derived`, GDLN-10)."""
    return math.sqrt(n_contexts * (n_contexts - 1) / 2.0)


def common_pathway_residual(task: ContextTask) -> np.ndarray:
    """Targets minus their best linear fit from the full input: what is left once the common
    pathway (full input, on everywhere) has converged to its least-squares fixed point."""
    W, *_ = np.linalg.lstsq(task.X.T, task.Y.T, rcond=None)
    return task.Y - W.T @ task.X


#: float32 machine epsilon: the authors' closed forms run in JAX's default float32.
FLOAT32_EPS = float(np.finfo(np.float32).eps)


@dataclass(frozen=True)
class AuthorsClosedForm:
    """The constants of one of the authors' closed-form scripts (`code`, make-haste-slowly
    b7d6e41) and the loss it saves (``losses/closed*.txt``, float32, at epochs 0 … 8000).

    Common pathway: a(t) on svd(Σʸˣ), svd(Σˣ) of the full data paired by rank, all n + C modes,
    a₀ = ``common_a0``. Each (C−1)-context pathway A: item input on A's data, target = Y minus
    the common pathway's prediction at the LAST epoch of the run (``n_epochs − 1``), s from
    svd(R_A X_Aᵀ/P), d = svd(X_A X_Aᵀ/P)/(C − 1) paired by rank, a₀ = ``context_a0``; P and
    τ = 1/(ηP) of the full data. The division by C − 1 and the rank pairing are not derived
    in the paper (FLAGGED); the a₀ values differ per script.
    """

    source: str
    dataset: str  # key of AUTHORS_DATASETS
    common_a0: float
    context_a0: float
    saved: Mapping[int, float]  # epoch -> loss in the script's losses/closed*.txt
    lr: float = 1e-3
    n_epochs: int = 8001


#: The four closed-form scripts (`code`); ``saved`` = their losses/closed*.txt at the epochs,
#: as run here (JAX 0.10.2, numpy 2.4.6; deterministic: no randomness enters a closed form).
AUTHORS_CLOSED_FORMS: tuple[AuthorsClosedForm, ...] = (
    AuthorsClosedForm(
        "3_context_diff/closed.py",
        "gen_data3-diff",
        5e-9,
        5e-5,
        {
            0: 105.62152099609375,
            1000: 47.27626419067383,
            2000: 23.069875717163086,
            4000: 5.024445533752441,
            8000: 0.6237478256225586,
        },
    ),
    AuthorsClosedForm(
        "diff_context_num/closed3.py",
        "gen_data3-same",
        5e-9,
        5e-5,
        {
            0: 96.00000762939453,
            1000: 47.640464782714844,
            2000: 23.271045684814453,
            4000: 4.07873010635376,
            8000: 0.004479329101741314,
        },
    ),
    AuthorsClosedForm(
        "diff_context_num/closed4.py",
        "diff_context_num-gen_data4",
        1e-8,
        1e-4,
        {
            0: 128.00070190429688,
            1000: 49.587074279785156,
            2000: 24.01679229736328,
            4000: 4.8654985427856445,
            8000: 0.0004079185309819877,
        },
    ),
    AuthorsClosedForm(
        "diff_context_num/closed5.py",
        "diff_context_num-gen_data5",
        1e-9,
        3e-4,
        {
            0: 160.00396728515625,
            1000: 60.57477569580078,
            2000: 20.585262298583984,
            4000: 3.9184622764587402,
            8000: 2.9632130463141948e-05,
        },
    ),
)


def authors_closed_form_for(task: ContextTask) -> AuthorsClosedForm | None:
    """The authors' closed-form script whose data is ``task`` (bit for bit), or None."""
    for cf in AUTHORS_CLOSED_FORMS:
        ref = AUTHORS_DATASETS[cf.dataset]
        if (task.n_contexts, task.structures, task.context_scale, task.n_items) == (
            ref.n_contexts,
            ref.structures,
            ref.context_scale,
            8,
        ):
            return cf
    return None


@dataclass(frozen=True)
class ClosedFormPathway:
    """One pathway of the closed form: its modes (rank-paired s, d), data columns, a₀."""

    U: np.ndarray  # (n_out, r)
    s: np.ndarray  # (r,)
    Vt: np.ndarray  # (r, n_in)
    d: np.ndarray  # (r,)
    X: np.ndarray  # (n_in, P_A): the pathway's input on its columns
    cols: np.ndarray  # (P,) bool: the datapoints it is on
    a0: float
    null_threshold: float  # s below this is float32 rounding noise in the authors' arithmetic

    @property
    def null(self) -> np.ndarray:
        return self.s <= self.null_threshold


def rank_paired_pathway(
    target: np.ndarray,
    X: np.ndarray,
    cols: np.ndarray,
    n_data: int,
    n_modes: int,
    a0: float,
    d_divisor: float = 1.0,
) -> ClosedFormPathway:
    """s, U, V from svd(target X_Aᵀ/P) and d from svd(X_A X_Aᵀ/P)/d_divisor, both truncated
    to ``n_modes`` and paired by rank (the authors' pred_svds / pred_svds_mod, `code`).

    The null threshold is max(shape) · ε₃₂ · s_max: singular values below it are not resolved
    by the authors' float32 SVD, so their singular vectors are arbitrary there (`derived`).
    """
    Xa = X[:, cols]
    syx = target[:, cols] @ Xa.T / n_data
    U, s, Vt = np.linalg.svd(syx, full_matrices=False)
    d = np.linalg.svd(Xa @ Xa.T / n_data, compute_uv=False)[:n_modes] / d_divisor
    thr = max(syx.shape) * FLOAT32_EPS * float(s[0])
    return ClosedFormPathway(U[:, :n_modes], s[:n_modes], Vt[:n_modes], d, Xa, cols, a0, thr)


def pathway_prediction(pw: ClosedFormPathway, a: np.ndarray, n_data: int) -> np.ndarray:
    """Ŷ_A(t) = U diag(a(t)) Vᵀ X_A placed on the pathway's columns: (T, n_out, P)."""
    out = np.zeros((a.shape[0], pw.U.shape[0], n_data))
    out[:, :, pw.cols] = np.einsum("ir,tr,rp->tip", pw.U, a, pw.Vt @ pw.X)
    return out


@dataclass(frozen=True)
class ClosedFormCurve:
    """The authors' closed-form loss at ``epochs`` with what limits its reproducibility.

    ``null_mode_bound`` (`derived`): modes with s = 0 (below the float32 null threshold) keep
    a(t) ≤ a₀ e^{2 s_thr t/τ} but their left singular vectors u are arbitrary (any unit vector
    orthogonal to the pathway's range), so the curve is defined only up to
    |ΔL| ≤ 2 Σ_k a_k ‖E₀ X_Aᵀ v_k‖ + ½ (Σ_k a_k ‖v_kᵀ X_A‖)², E₀ = Y − Ŷ without the null
    modes (v_k, the input side of a null mode, is determined). ``rounding_scale``: the relative
    size of float32 rounding in the authors' SVDs, max over pathways of
    max(shape) · ε₃₂ · s_max / s_min (Weyl's bound on a singular value's relative error).
    """

    epochs: np.ndarray
    loss: np.ndarray
    null_mode_bound: np.ndarray
    rounding_scale: float


def authors_closed_form(
    task: ContextTask, epochs, cf: AuthorsClosedForm | None = None
) -> ClosedFormCurve:
    """The authors' closed-form loss curve ½Σ‖Y − Ŷ(t)‖² at ``epochs`` (`code`, FLAGGED).

    Re-implemented from closed.py / closed3/4/5.py (make-haste-slowly b7d6e41), generalized to
    C with the constants of :class:`AuthorsClosedForm`: common pathway (full input, every
    datapoint) a(t) = (s/d)/[1 − (1 − s/(d a₀)) e^{−2st/τ}] per rank-paired mode; each
    (C−1)-context pathway fits R = Y − Ŷ_common(n_epochs − 1) — the common pathway's prediction
    at the run's final epoch, whatever epochs are asked for — with d divided by C − 1 (not
    derived: flagged). ``cf`` defaults to the script whose data is ``task``; another task with
    ``cf`` given applies that script's recipe to other data.
    """
    cf = cf if cf is not None else authors_closed_form_for(task)
    if cf is None:
        raise ValueError("no closed-form script of the authors uses this task; pass cf")
    X, Y, P, n, C = task.X, task.Y, task.n_data, task.n_items, task.n_contexts
    tau = time_constant(cf.lr, P)
    t = np.asarray(epochs, dtype=float)
    every = np.ones(P, dtype=bool)
    common = rank_paired_pathway(Y, X, every, P, X.shape[0], cf.common_a0)
    t_end = np.array([float(cf.n_epochs - 1)])
    a_end = mode_trajectory(t_end[:, None], common.s, common.a0, tau, common.d)
    residual = Y - pathway_prediction(common, a_end, P)[0]
    pathways = [common]
    for subset in context_subsets(C, C - 1):
        cols = np.isin(task.context_of, subset)
        pathways.append(rank_paired_pathway(residual, X[:n], cols, P, n, cf.context_a0, C - 1))
    pred = np.zeros((t.size, *Y.shape))
    pred_nonnull = np.zeros_like(pred)
    for pw in pathways:
        a = mode_trajectory(t[:, None], pw.s, pw.a0, tau, pw.d)
        pred += pathway_prediction(pw, a, P)
        pred_nonnull += pathway_prediction(pw, np.where(pw.null, 0.0, a), P)
    loss = 0.5 * np.sum((pred - Y) ** 2, axis=(1, 2))
    err0 = Y - pred_nonnull  # (T, n_out, P)
    linear = np.zeros(t.size)
    quadratic = np.zeros(t.size)
    for pw in pathways:
        for k in np.flatnonzero(pw.null):
            a_k = pw.a0 * np.exp(2.0 * pw.null_threshold * t / tau)
            w = pw.Vt[k] @ pw.X  # (P_A,)
            linear += a_k * np.linalg.norm(err0[:, :, pw.cols] @ w, axis=1)
            quadratic += a_k * np.linalg.norm(w)
    bound = 2.0 * linear + 0.5 * quadratic**2
    rounding = max(
        max(pw.U.shape[0], pw.Vt.shape[1]) * FLOAT32_EPS * pw.s[0] / pw.s[~pw.null].min()
        for pw in pathways
    )
    return ClosedFormCurve(t, loss, bound, float(rounding))


def authors_closed_form_loss(
    task: ContextTask, epochs, cf: AuthorsClosedForm | None = None
) -> np.ndarray:
    """The loss of :func:`authors_closed_form` only (`code`, FLAGGED)."""
    return authors_closed_form(task, epochs, cf).loss


# --------------------------------------------------------------------------- setups


#: ReLN constructions of the context model. "authors": the construction of the authors' script
#: for that C (C = 3: 3_context_diff/gdln.py and diff_context_num/gdln3.py, common + three
#: single- + three two-context modules; C = 4, 5: diff_context_num/gdln4/5.py, common + the
#: (C−1)-context modules; `code`). "authors-mixed": common + (C−1)-context modules only (for
#: C = 3 the commented-out alternative in gdln.py). "authors-all": common + single + (C−1)-context
#: modules. "relu-gates": this project's alternative (`reconstructed`): per-unit gates read off
#: the trained ReLU's context sets, the ReLU's own initial weights, trained on the total loss.
RELN_CONSTRUCTIONS = ("authors", "authors-mixed", "authors-all", "relu-gates")


def authors_mixed_sets(n_contexts: int) -> tuple[tuple[int, ...], ...]:
    """The (C−1)-context sets in the authors' module order (`code`): the set missing context
    C − 1, then those missing 0, 1, …, C − 2 (gdln.py: d = {0,1}, e = {1,2}, f = {0,2};
    gdln4.py: {0,1,2}, {1,2,3}, {0,2,3}, {0,1,3}; gdln5.py likewise)."""
    C = n_contexts
    missing = [C - 1, *range(C - 1)] if C >= 2 else []
    return tuple(tuple(c for c in range(C) if c != m) for m in missing)


@dataclass(frozen=True)
class ModuleNet:
    """A one-hidden-layer GDLN of equal modules drawn as the authors' init_random_params_gated
    draws them (`code`): hidden = ``width`` units per module, module 0 the common pathway
    (full input, every datapoint), module k > 0 item-only and on in the contexts
    ``modules[k]``. ``stds[k]`` is module k's init sd (both layers); the draw covers every
    module, the forward pass only ``used`` (gdln_single.py draws seven, uses four).
    """

    source: str
    width: int
    modules: tuple[tuple[int, ...], ...]
    stds: tuple[float, ...]
    used: tuple[int, ...]

    @property
    def context_modules(self) -> tuple[int, ...]:
        return tuple(k for k in self.used if k != 0)


#: Init sd of the context modules relative to the common one (`code`): 3_context_diff/gdln.py
#: and gdln3.py draw 2e1 vs 1e1 × 0.0005/700; gdln4/5.py draw every module at 1e1 × base.
#: Other C: 1 (`reconstructed`, the diff_context_num choice).
AUTHORS_CONTEXT_STD_FACTOR: Mapping[int, float] = {3: 2.0, 4: 1.0, 5: 1.0}


def authors_module_net(
    n_contexts: int, construction: str, hidden_total: int, common_std: float
) -> ModuleNet:
    """The module GDLN of the authors' script for C contexts (`code` for C = 3, 4, 5).

    Drawn modules: C = 3 (gdln.py, gdln_single.py): common, the three single-context modules,
    then the two-context ones; C ≠ 3 (gdln4/5.py): common then the (C−1)-context ones, and for
    the single-context modules this project's extension (`reconstructed`: common, singles,
    then the (C−1)-context ones). Width = hidden_total / number drawn (700/7, 500/5, 600/6 =
    100 in the authors' code). ``construction`` in {"authors", "authors-mixed", "authors-all",
    "modular"} picks the modules used; "modular" = common + singles (gdln_single.py).
    """
    C = n_contexts
    common = (tuple(range(C)),)
    singles = tuple((c,) for c in range(C))
    mixed = authors_mixed_sets(C) if C >= 3 else ()  # C = 2: the (C−1)-sets are the singles
    if C == 3 or (C > 3 and construction == "authors-all"):
        drawn = common + singles + mixed
    elif C == 2 or construction == "modular":
        drawn = common + singles
    else:
        drawn = common + mixed
    idx_single = tuple(k for k, A in enumerate(drawn) if len(A) == 1 and C > 1)
    idx_mixed = tuple(k for k, A in enumerate(drawn) if len(A) == C - 1 and k > 0)
    use = {
        "authors": idx_single + idx_mixed if C == 3 else idx_mixed,
        "authors-mixed": idx_mixed,
        "authors-all": tuple(dict.fromkeys(idx_single + idx_mixed)),
        "modular": idx_single,
    }[construction]
    factor = AUTHORS_CONTEXT_STD_FACTOR.get(C, 1.0)
    stds = (common_std,) + (factor * common_std,) * (len(drawn) - 1)
    source = {
        (3, "authors"): "3_context_diff/gdln.py, diff_context_num/gdln3.py",
        (3, "modular"): "3_context_diff/gdln_single.py",
        (3, "authors-mixed"): "3_context_diff/gdln.py (its commented-out alternative)",
        (3, "authors-all"): "3_context_diff/gdln.py, diff_context_num/gdln3.py",
        (4, "authors"): "diff_context_num/gdln4.py",
        (5, "authors"): "diff_context_num/gdln5.py",
    }.get((C, construction), "reconstructed from the authors' module layout")
    return ModuleNet(source, max(1, hidden_total // len(drawn)), drawn, stds, (0, *use))


@dataclass(frozen=True)
class DepthNet:
    """The authors' depth GDLN, depth/gdln_off.py (`code`): 11 → 7×60 → 7×60 → 60, linear.

    Layers 1–2 dense (W₁ 420 × 11 on the full input, W₂ 420 × 420) and shared by every
    pathway; the output W₃ reads hidden-2 modules 0 … n_common − 1 on every datapoint (the
    common pathway) and module k ≥ n_common only in the contexts ``context_sets[k −
    n_common]``: gating at the output only. Init sd per block: W₁ 1.15 b, W₂ 1.1 b, W₃ 1.1 b
    from common modules and 8 b (``8e0`` in their table, "8× output init") from context
    modules, b = 0.0005. Schedule (0-based epoch e of their loop): no update for e < 500,
    the common loss only for e < 12000, then common + context (split) loss; 30001 epochs.
    """

    source: str = "depth/gdln_off.py"
    width: int = 60
    n_modules: int = 7
    n_common: int = 4
    context_sets: tuple[tuple[int, ...], ...] = ((0, 1), (1, 2), (0, 2))
    std_in: float = 1.15 * 0.0005
    std_hidden: float = 1.1 * 0.0005
    std_out_common: float = 1.1 * 0.0005
    std_out_context: float = 0.8e1 * 0.0005
    start_epoch: int = 500
    switch_epoch: int = 12000
    n_epochs: int = 30001
    lr: float = 1e-3


#: depth/relu.py (`code`): 11 → 420 → 420 → 60 ReLU, bias-free, sd 0.0006, η = 1e-3,
#: 30001 epochs, the same hierarchy in every context (gen_data3(8)).
AUTHORS_DEPTH_RELU = {"hidden": (420, 420), "std": 0.0006, "n_epochs": 30001, "lr": 1e-3}


# --------------------------------------------------------------------------- setups
# One frozen setup type per model (issue 11, item 5). Each checks its invariants — what makes
# the model's computation defined — in ``__post_init__`` and raises a SetupError naming the
# violated condition; the theorem's hypotheses (which may fail, and then the theorem does not
# apply) are the named predicates further below.


def _require(ok: bool, key: str, expected: str, given) -> None:
    if not ok:
        raise SetupError(key, expected, given)


def _require_positive(setup, *keys: str) -> None:
    for key in keys:
        value = getattr(setup, key)
        _require(math.isfinite(value) and value > 0, key, "a finite number > 0", value)


def _require_hierarchy_items(items: int) -> None:
    _require(
        items >= 2 and not items & (items - 1),
        "items",
        "a power of two >= 2 (the binary hierarchy)",
        items,
    )


def _require_one_hidden(setup) -> None:
    _require(
        len(setup.hidden) == 1,
        "hidden",
        f"one hidden width for model {setup.model!r}",
        list(setup.hidden),
    )


def _require_widths(setup, n_modes: int, what: str) -> None:
    _require(
        min(setup.hidden) >= n_modes,
        "hidden",
        f"widths >= {what} (one unit per mode)",
        list(setup.hidden),
    )


def _require_hierarchy_network(setup) -> None:
    """The invariants the gated and routing setups share: a positive rate and a₀, epochs,
    the binary hierarchy's items, one hidden layer with a unit per mode."""
    _require_positive(setup, "lr", "a0")
    _require(setup.epochs >= 1, "epochs", "an integer >= 1", setup.epochs)
    _require_hierarchy_items(setup.items)
    _require_one_hidden(setup)
    _require_widths(setup, setup.items, f"items = {setup.items}")


def _require_below_fixed_point(setup) -> None:
    """a₀ below the model's smallest fixed point (:func:`initial_strength_limit`): at or above
    it nothing is learned, the deep quadrature is undefined and a full-network flow from huge
    weights never ends (issue 14)."""
    bound = initial_strength_limit(setup)
    if bound is not None:
        limit, what = bound
        _require(
            setup.a0 < limit,
            "a0",
            f"a number < {limit:.10g} for model {setup.model!r}, {what}",
            setup.a0,
        )


@dataclass(frozen=True)
class LinearSetup:
    """A two-layer linear network learning a task (GDLN-1/3/4; model ``"linear"``).

    Parameters
    ----------
    items : int
        Items of the binary hierarchy (a power of two; ignored with ``inputs``/``targets``).
    hidden : tuple of int
        One hidden width, at least the number of modes.
    lr, epochs : float, int
        Full-batch gradient descent: rate η and epochs (τ = 1/(ηP)).
    a0 : float
        Initial mode strength, below the smallest fixed point min s/d.
    input_variances : tuple of float or None
        d_k per mode (non-white decoupled inputs); None: one-hot items.
    inputs, targets : tuple of tuple of float or None
        The user's task, one row per item (P × inputs, P × outputs), instead of the hierarchy.
    """

    model: ClassVar[str] = "linear"
    items: int = 8
    hidden: tuple[int, ...] = (8,)
    lr: float = 1e-3
    epochs: int = 8000
    a0: float = 1e-3
    input_variances: tuple[float, ...] | None = None
    inputs: tuple[tuple[float, ...], ...] | None = None
    targets: tuple[tuple[float, ...], ...] | None = None

    def __post_init__(self) -> None:
        _require_positive(self, "lr", "a0")
        _require(self.epochs >= 1, "epochs", "an integer >= 1", self.epochs)
        if self.model == "linear":
            _require_one_hidden(self)
        self._check_data()
        _require_below_fixed_point(self)

    def _check_data(self) -> None:
        if (self.inputs is None) != (self.targets is None):
            missing = "inputs" if self.inputs is None else "targets"
            _require(False, missing, "a table as well (inputs and targets go together)", None)
        if self.inputs is None:
            _require_hierarchy_items(self.items)
            if self.input_variances is not None:
                d = self.input_variances
                _require(
                    len(d) == self.items,
                    "input_variances",
                    f"{self.items} values (one per mode)",
                    d,
                )
                _require(
                    all(math.isfinite(v) and v > 0 for v in d),
                    "input_variances",
                    "finite numbers > 0",
                    d,
                )
            _require_widths(self, self.items, f"items = {self.items}")
            return
        _require(
            self.input_variances is None,
            "input_variances",
            "nothing with inputs/targets (they define the task)",
            self.input_variances,
        )
        X, Y = np.asarray(self.inputs, dtype=float), np.asarray(self.targets, dtype=float)
        for key, A in (("inputs", X), ("targets", Y)):
            _require(
                A.ndim == 2 and A.size > 0, key, "a non-empty table of rows", f"shape {A.shape}"
            )
            _require(bool(np.all(np.isfinite(A))), key, "finite numbers", "a non-finite entry")
        _require(
            X.shape[0] == Y.shape[0],
            "targets",
            f"{X.shape[0]} rows, one per item as in inputs",
            f"{Y.shape[0]} rows",
        )
        _, s, _, _ = task_modes(X.T, Y.T)
        _require(s.size > 0, "targets", "targets correlated with the inputs (Σʸˣ ≠ 0)", "Σʸˣ = 0")
        _require_widths(self, int(s.size), f"{s.size}, the rank of your Σʸˣ")

    def dataset(self):
        """X, Y, U, s, V, d of the task (:func:`linear_dataset`)."""
        return linear_dataset(self.items, self.input_variances, self.inputs, self.targets)

    @property
    def n_weights(self) -> int:
        """N, the weight matrices of the chain (hidden layers + 1)."""
        return len(self.hidden) + 1


@dataclass(frozen=True)
class DeepLinearSetup(LinearSetup):
    """A deep linear chain of N = len(hidden) + 1 weight matrices (GDLN-2/3; ``"deep-linear"``).

    The fields of :class:`LinearSetup`, without ``input_variances``: the deep reduction needs
    one input variance d (Σˣ = d I), which the ``isotropic-input`` hypothesis checks.
    """

    model: ClassVar[str] = "deep-linear"
    hidden: tuple[int, ...] = (8, 8)

    def __post_init__(self) -> None:
        _require(
            self.input_variances is None,
            "input_variances",
            "only with model = 'linear'",
            self.input_variances,
        )
        super().__post_init__()


@dataclass(frozen=True)
class GatedSetup:
    """Gated two-layer pathways racing for one task (GDLN-5/6; model ``"gated"``).

    Parameters
    ----------
    items, hidden, lr, epochs, a0
        As for :class:`LinearSetup`; a₀ is every path's initial mode strength.
    race_gates : tuple of tuple of int
        gates[path][condition] ∈ {0, 1}.
    condition_scales : tuple of float
        Target scale α_c per condition (one per column of ``race_gates``).
    """

    model: ClassVar[str] = "gated"
    items: int = 8
    hidden: tuple[int, ...] = (8,)
    lr: float = 1e-3
    epochs: int = 8000
    a0: float = 1e-3
    race_gates: tuple[tuple[int, ...], ...] = ((1, 1), (1, 0))
    condition_scales: tuple[float, ...] = (1.0, 1.0)

    def __post_init__(self) -> None:
        _require_hierarchy_network(self)
        gates = self.race_gates
        _require(
            len(gates) >= 1
            and len({len(row) for row in gates}) == 1
            and all(g in (0, 1) for row in gates for g in row),
            "race_gates",
            "a table of 0/1 gates (paths × conditions)",
            [list(r) for r in gates],
        )
        _require(
            len(self.condition_scales) == len(gates[0]),
            "condition_scales",
            f"{len(gates[0])} values (one per condition)",
            list(self.condition_scales),
        )
        _require(
            all(math.isfinite(a) and a >= 0 for a in self.condition_scales),
            "condition_scales",
            "finite numbers >= 0",
            list(self.condition_scales),
        )
        _require_below_fixed_point(self)

    def race(self) -> RaceSetup:
        """The race's reduced-dynamics parameters (:class:`RaceSetup`)."""
        return RaceSetup(
            self.items, self.condition_scales, self.race_gates, self.a0, self.hidden[0]
        )


@dataclass(frozen=True)
class RoutingNetworkSetup:
    """M input modules → a shared layer → M output modules (GDLN-7; model ``"routing"``).

    Parameters
    ----------
    items, hidden, lr, epochs, a0
        As for :class:`LinearSetup`; a₀ is each layer's initial strength b.
    modules : int
        M input and output modules.
    pairs : int
        K ≤ M trained pairs per input module.
    """

    model: ClassVar[str] = "routing"
    items: int = 8
    hidden: tuple[int, ...] = (8,)
    lr: float = 1e-3
    epochs: int = 8000
    a0: float = 1e-3
    modules: int = 3
    pairs: int = 2

    def __post_init__(self) -> None:
        _require_hierarchy_network(self)
        _require(self.modules >= 2, "modules", "an integer >= 2", self.modules)
        _require(
            1 <= self.pairs <= self.modules,
            "pairs",
            f"at most modules = {self.modules}",
            self.pairs,
        )
        _require_below_fixed_point(self)

    def routing(self) -> RoutingSetup:
        """The reduced routing system's parameters (:class:`RoutingSetup`)."""
        return RoutingSetup(self.modules, self.pairs, self.items, self.hidden[0], self.a0)


@dataclass(frozen=True)
class ContextSetup:
    """The Make Haste Slowly context experiment (GDLN-8 … 14; model ``"context"``).

    Parameters
    ----------
    items : int
        Items per context (8 with ``structures = "different"``).
    contexts : int
        C ≥ 2 contexts (at most :func:`max_contexts` for the structure choice).
    structures : {"different", "same"}
        A different Saxe-2019 structure per context, or the hierarchy in every one.
    hidden : tuple of int
        One or two hidden widths ([700] or [420, 420] as in the paper).
    lr, epochs
        Full-batch gradient descent.
    n_seeds : int
        Inits batched in one run.
    init_std : float
        Weight init sd (the spec's default: 0.005/N_h, the authors' code).
    strong_fraction : float
        A unit is strong when its output contribution is ≥ this fraction of the largest.
    reln : str
        ReLN construction (:data:`RELN_CONSTRUCTIONS`).
    context_scale : float
        Value of the context one-hot inputs.
    """

    model: ClassVar[str] = "context"
    items: int = 8
    contexts: int = 3
    structures: str = "different"
    hidden: tuple[int, ...] = (700,)
    lr: float = 1e-3
    epochs: int = 8000
    n_seeds: int = 1
    init_std: float = 0.005 / 700
    strong_fraction: float = 0.1
    reln: str = "authors"
    context_scale: float = 1.0

    def __post_init__(self) -> None:
        _require_positive(self, "lr", "init_std", "context_scale")
        _require(self.epochs >= 1, "epochs", "an integer >= 1", self.epochs)
        _require(self.n_seeds >= 1, "n_seeds", "an integer >= 1", self.n_seeds)
        _require_hierarchy_items(self.items)
        _require(
            1 <= len(self.hidden) <= 2,
            "hidden",
            "one or two hidden layers for the context model",
            list(self.hidden),
        )
        _require(
            self.structures in ("different", "same"),
            "structures",
            "'different' or 'same'",
            self.structures,
        )
        cap = max_contexts(self.structures)
        _require(
            cap is None or self.contexts <= cap,
            "contexts",
            f"at most {cap} with structures = 'different' (hierarchy, ring, cross-cutting)",
            self.contexts,
        )
        _require(
            self.structures != "different" or self.items == 8,
            "items",
            "8 with structures = 'different' (ring/cross are 8-item)",
            self.items,
        )
        _require(self.contexts >= 2, "contexts", "at least 2 for the context model", self.contexts)
        _require(
            0 < self.strong_fraction <= 1,
            "strong_fraction",
            "a number in (0, 1]",
            self.strong_fraction,
        )
        _require(
            self.reln in RELN_CONSTRUCTIONS,
            "reln",
            f"one of {', '.join(RELN_CONSTRUCTIONS)}",
            self.reln,
        )

    def task(self) -> ContextTask:
        """The context dataset (:func:`context_task`)."""
        return context_task(self.contexts, self.structures, self.items, self.context_scale)


#: Any GDLN setup; ``setup.model`` names its model.
GdlnSetup = LinearSetup | DeepLinearSetup | GatedSetup | RoutingNetworkSetup | ContextSetup

#: The setup type of each model.
SETUP_TYPES: Mapping[str, type] = {
    cls.model: cls
    for cls in (LinearSetup, DeepLinearSetup, GatedSetup, RoutingNetworkSetup, ContextSetup)
}


def gdln_setup(model: str, **fields) -> GdlnSetup:
    """The setup of ``model`` from its fields (a field the model does not have is an error).

    Examples
    --------
    >>> gdln_setup("routing", a0=0.1).routing().pairs_per_input
    2
    >>> try:
    ...     gdln_setup("gated", modules=3)
    ... except ValueError as err:
    ...     print(err.key, "|", err.expected)
    modules | a field of GatedSetup (items, hidden, lr, epochs, a0, race_gates, condition_scales)
    """
    if model not in SETUP_TYPES:
        raise SetupError("model", f"one of {', '.join(SETUP_TYPES)}", model)
    cls = SETUP_TYPES[model]
    names = [f.name for f in dataclasses.fields(cls)]
    for key in fields:
        if key not in names:
            raise SetupError(key, f"a field of {cls.__name__} ({', '.join(names)})", key)
    return cls(**fields)


#: Relative size below which a singular value of Σʸˣ is no mode (rank decision), and below
#: which two singular values count as one degenerate mode (float64 SVD: ~1e-15 relative).
MODE_RTOL = 1e-10
#: Largest decoupling residual that counts as exact decoupling: float64 products of matrices
#: of at most ~1e3 entries per row carry ~1e-13 relative rounding, far below this.
DECOUPLING_RTOL = 1e-9


def task_modes(X: np.ndarray, Y: np.ndarray):
    """The modes of a linear task: Σʸˣ = U diag(s) Vᵀ with v_kᵀ Σˣ v_k = d_k (`derived`).

    Parameters
    ----------
    X, Y : ndarray
        Inputs (n_in × P) and targets (n_out × P), one column per item.

    Returns
    -------
    U, s, V, d : ndarray
        The r modes with s_k > MODE_RTOL · s_max (r = the numerical rank of Σʸˣ).

    Notes
    -----
    Σˣ = X Xᵀ / P and Σʸˣ = Y Xᵀ / P (Saxe et al. 2014, `paper`). Within a cluster of equal
    singular values the SVD's basis is arbitrary; it is rotated (U and V by the same
    orthogonal Q, which leaves U S Vᵀ unchanged) to diagonalize Vᵀ Σˣ V on the cluster, so
    that decoupling, when some basis achieves it, is found. Whether the modes decouple —
    Σˣ v_k = d_k v_k, the hypothesis of the mode dynamics — is measured by
    :func:`decoupling_residual`, not assumed.
    """
    P = X.shape[1]
    sxx, syx = X @ X.T / P, Y @ X.T / P
    U, s, Vt = np.linalg.svd(syx, full_matrices=False)
    r = int(np.sum(s > MODE_RTOL * s[0])) if s.size and s[0] > 0 else 0
    U, s, V = U[:, :r].copy(), s[:r], Vt[:r].T.copy()
    start = 0
    while start < r:
        stop = start + 1
        while stop < r and s[start] - s[stop] <= MODE_RTOL * s[0]:
            stop += 1
        if stop - start > 1:
            block = V[:, start:stop]
            _, Q = np.linalg.eigh(block.T @ sxx @ block)
            V[:, start:stop] = block @ Q
            U[:, start:stop] = U[:, start:stop] @ Q
        start = stop
    d = np.einsum("ir,ij,jr->r", V, sxx, V)
    return U, s, V, d


def decoupling_residual(X: np.ndarray, Y: np.ndarray, U, s, V, d) -> float:
    """max(‖Σˣ V − V diag(d)‖, ‖Σʸˣ V − U diag(s)‖) / (‖Σˣ‖ + ‖Σʸˣ‖), Frobenius norms.

    It is 0 iff the modes (U, s, V, d) decouple the task exactly, the hypothesis under which
    each mode follows its own closed-form trajectory (`derived`).
    """
    P = X.shape[1]
    sxx, syx = X @ X.T / P, Y @ X.T / P
    scale = np.linalg.norm(sxx) + np.linalg.norm(syx)
    if scale == 0:
        return 0.0
    r_x = np.linalg.norm(sxx @ V - V * d)
    r_yx = np.linalg.norm(syx @ V - U * s)
    return float(max(r_x, r_yx) / scale)


def linear_dataset(
    items: int,
    input_variances: Sequence[float] | None,
    inputs: Sequence[Sequence[float]] | None = None,
    targets: Sequence[Sequence[float]] | None = None,
):
    """Hierarchy targets with one-hot items (whitened up to scale, Σˣ = I/P) or with input
    variances d_k along the hierarchy's right singular vectors (non-white, decoupled), or
    the user's own ``inputs`` and ``targets`` (one row per item; modes from
    :func:`task_modes`).

    Non-white: X = √P diag(√d) Wᵀ with H = U_H S_H Wᵀ, so Σˣ = diag(d) and
    Σʸˣ = U_H S_H diag(√d)/√P: modes stay decoupled with s_k = σ_k(H)√d_k/√P (`derived`).
    Returns X, Y, U, s, V, d (mode k: Σʸˣ v_k = s_k u_k, v_kᵀΣˣv_k = d_k).
    """
    if inputs is not None and targets is not None:
        X = np.asarray(inputs, dtype=float).T
        Y = np.asarray(targets, dtype=float).T
        return (X, Y, *task_modes(X, Y))
    H = hierarchy_features(items)
    P = items
    U, sig, Wt = np.linalg.svd(H, full_matrices=False)
    if input_variances is None:
        X = np.eye(items)
        d = np.full(items, 1.0 / P)
        V = Wt.T
    else:
        d = np.asarray(input_variances, dtype=float)
        X = math.sqrt(P) * np.diag(np.sqrt(d)) @ Wt
        V = np.eye(items)
    # modes by construction (not by an SVD of Σʸˣ): accidental degeneracies of s_k = σ_k√(d_k P)/P
    # between modes of different d_k must not mix them
    s = sig * np.sqrt(d * P) / P
    return X, H, U, s, V, d


def initial_strength_limit(setup: GdlnSetup) -> tuple[float, str] | None:
    """Largest a₀ (exclusive) from which every learnable mode of ``setup`` grows (`derived`).

    The closed forms describe learning from small weights: a mode that starts at or above
    its fixed point has nothing to learn (the two-layer trajectory stays at or relaxes down
    to s/d, its half-learning time is undefined) and the deep quadrature t(u) is defined only
    for u₀ < s/d. Per model, with a₀ the spec's initial strength:

    - linear, deep-linear: a₀ is the mode strength uᵀW_N⋯W_1v; fixed point s_k/d_k, so the
      limit is min_k s_k/d_k.
    - gated: a₀ is every path's mode strength (layers √a₀); path p, mode k grows at t = 0
      iff τ ȧ = 2a(S_pk − Σ_j D_jp a₀) > 0, so the limit is min S_pk / Σ_j D_jp over the
      (p, k) with S_pk > 0 (a mode with S_pk = 0 only decays and sets no limit).
    - routing: a₀ is each layer's strength b, the path strength is b³, fixed point σ_k(H):
      the limit is (min_k σ_k)^(1/3).
    - context: no closed form starts from a₀ (init_std sets the weights): None.

    Returns ``(limit, what the limit is)``, or None when the model has no such limit.
    """
    if setup.model in ("linear", "deep-linear"):
        _, _, _, s, _, d = setup.dataset()
        return float(np.min(s / d)), "min s/d over the modes (the smallest fixed point)"
    if setup.model == "gated":
        S, D = race_reduced_coefficients(setup.race())
        load = np.broadcast_to(D.sum(axis=0)[:, None], S.shape)
        growing = (S > 0) & (load > 0)
        if not np.any(growing):
            return None
        return (
            float(np.min(S[growing] / load[growing])),
            "min S_pk / Σ_j D_jp over the paths' modes (below it every mode grows at t = 0)",
        )
    if setup.model == "routing":
        sigma = hierarchy_singular_values(setup.items) * setup.items
        return (
            float(np.min(sigma)) ** (1.0 / 3.0),
            "(min σ_k)^(1/3): the path strength b³ below its smallest fixed point",
        )
    return None


def flow_horizon(setup: GdlnSetup) -> tuple[float, float] | None:
    """(t_end/τ, λ): the flow's horizon in units of τ and its fastest relaxation rate λ (per τ)
    at the learned fixed point, for the models whose check integrates a flow (`derived`).

    τ = 1/(ηP), so t_end/τ = epochs·η·P. λ: linear/deep max_k N d_k (s_k/d_k)^(2−2/N) (the
    linearization of the balanced mode flow, as in :func:`gd_stability_limit`); gated
    2 max S_pk (one path at its fixed point a = S_pk/D_pp: τ ȧ ≈ −2 S_pk (a − a*); the
    coupling between paths is left out, so this is an order of magnitude); routing
    (2K/M² + K/M) σ_max^(4/3)/n (the rank-one Jacobian −diag(rates)∇a∇aᵀ/n of the reduced
    flow at b³ = σ). An explicit solver needs about (t_end/τ)·λ/6 steps once the state sits
    at its fixed point (the real stability interval of DOP853 is about 6): the dominant
    cost of a flow at a learning rate far beyond GD's stability limit. None for context.
    """
    if setup.model in ("linear", "deep-linear"):
        X, _, _, s, _, d = setup.dataset()
        N = setup.n_weights
        rate = float(np.max(N * d * (s / d) ** (2.0 - 2.0 / N)))
        n_data = X.shape[1]
    elif setup.model == "gated":
        S, _ = race_reduced_coefficients(setup.race())
        rate = 2.0 * float(np.max(S))
        n_data = setup.items * len(setup.condition_scales)
    elif setup.model == "routing":
        M, K, n = setup.modules, setup.pairs, setup.items
        sigma = float(np.max(hierarchy_singular_values(n))) * n
        rate = (2.0 * K / M**2 + K / M) * sigma ** (4.0 / 3.0) / n
        n_data = M * M * n
    else:
        return None
    return setup.epochs * setup.lr * n_data, rate


def gd_stability_limit(s: np.ndarray, d: np.ndarray, n_weights: int, n_data: int) -> float:
    """Largest η for which GD is linearly stable at the learned fixed point (`derived`).

    Linearizing the balanced layer flow of an N-matrix mode at u = s/d gives the fastest
    relaxation rate N d (s/d)^{2−2/N} / τ per epoch (N = 2: 2s/τ); a GD step of one epoch is
    stable iff that rate is below 2, i.e. η P N d (s/d)^{2−2/N} < 2.

    Examples
    --------
    >>> import numpy as np
    >>> gd_stability_limit(np.array([1.0, 0.5]), np.array([1.0, 1.0]), n_weights=2, n_data=8)
    0.125
    """
    rate = n_weights * d * (s / d) ** (2.0 - 2.0 / n_weights)
    return float(2.0 / (n_data * np.max(rate)))


def max_mode_rate(s, d, n_weights: int, tau: float) -> float:
    """max over u ∈ (0, s/d) of |u̇| = N u^p (s − d u)/τ, p = 2 − 2/N (`derived`): at
    u* = p s/(d(p + 1)). Used to turn a solver's relative error into a time-shift error bound."""
    s = np.asarray(s, dtype=float)
    d = np.broadcast_to(np.asarray(d, dtype=float), s.shape)
    p = 2.0 - 2.0 / n_weights
    u = p * s / (d * (p + 1.0))
    return float(np.max(n_weights * u**p * (s - d * u) / tau))


# --------------------------------------------------------------------------- hypotheses
# The GDLN theorems' hypotheses as named predicates on a setup (issue 11, item 5), in the
# order a check reports them; :func:`hypotheses` gives a model's list. Two of them hold by the
# toolkit's construction of the initial weights (``decoupled-init``, ``aligned-init``) and two
# by the setup's invariants (``pairs``, ``contexts``): they are listed so that every
# assumption the closed forms rest on is visible in a report, and they say why they hold.


def decoupled_data(setup: LinearSetup) -> HypothesisCheck:
    """The data decouple into modes: Σˣ v_k = d_k v_k and Σʸˣ v_k = s_k u_k (`paper`, Saxe
    et al. 2014), measured by :func:`decoupling_residual` against :data:`DECOUPLING_RTOL`."""
    X, Y, U, s, V, d = setup.dataset()
    residual = decoupling_residual(X, Y, U, s, V, d)
    holds = residual <= DECOUPLING_RTOL
    return HypothesisCheck(
        "decoupled-data",
        bool(holds),
        f"Σˣ v_k = d_k v_k and Σʸˣ v_k = s_k u_k for the {U.shape[1]} modes: relative "
        f"residual {residual:.2g} {'<=' if holds else '>'} {DECOUPLING_RTOL:g}"
        + ("" if setup.inputs is None else " (your inputs and targets)"),
    )


def decoupled_init(setup: LinearSetup) -> HypothesisCheck:
    """The initial weights are aligned and balanced (`paper`): holds by construction of the
    toolkit's init (``numerics.gdln.aligned_chain_init``); hidden ≥ modes is an invariant."""
    n_modes = setup.dataset()[2].shape[1]
    return HypothesisCheck(
        "decoupled-init",
        True,
        f"aligned balanced init W_l = R_l diag(a₀^(1/{setup.n_weights})) R_(l−1)ᵀ over "
        f"{n_modes} modes (hidden {list(setup.hidden)} ≥ {n_modes})",
    )


def small_init(setup: LinearSetup | GatedSetup) -> HypothesisCheck:
    """The initial strength is small. Linear/deep: a₀ < min s/d (below every fixed point;
    the setup's invariant already refuses a₀ at or above it, so this holds for any valid
    setup). Gated: a₀ < 0.01 × max S / max D_pp, the small-weight regime of the race
    reduction (`reconstructed`: the paper assumes small init without a number)."""
    if isinstance(setup, GatedSetup):
        S, D = race_reduced_coefficients(setup.race())
        scale = float(np.max(S) / np.max(np.diag(D)))
        return HypothesisCheck(
            "small-init",
            bool(setup.a0 < 0.01 * scale),
            f"a₀ = {setup.a0:g} vs fixed-point scale {scale:.3g}",
        )
    _, _, _, s, _, d = setup.dataset()
    low = float(np.min(s / d))
    return HypothesisCheck(
        "small-init",
        bool(setup.a0 < low),
        f"a₀ = {setup.a0:g} {'<' if setup.a0 < low else '>='} min s/d = {low:.4g}",
    )


def gd_stable(setup: LinearSetup) -> HypothesisCheck:
    """Gradient descent is linearly stable at the learned fixed point: η below
    :func:`gd_stability_limit` (`derived`); beyond it GD is not a discretization of the flow."""
    X, _, _, s, _, d = setup.dataset()
    limit = gd_stability_limit(s, d, setup.n_weights, X.shape[1])
    holds = setup.lr < limit
    return HypothesisCheck(
        "gd-stable",
        bool(holds),
        f"η = {setup.lr:g} {'<' if holds else '>='} 2/(P·max N d (s/d)^(2−2/N)) "
        f"= {limit:.4g} (derived linear stability at the fixed point)",
    )


def isotropic_input(setup: DeepLinearSetup) -> HypothesisCheck:
    """Σˣ = d I on the modes, one d for all (the deep reduction's assumption, `paper`)."""
    d = setup.dataset()[5]
    iso = bool(np.allclose(d, d[0]))
    return HypothesisCheck(
        "isotropic-input",
        iso,
        "Σˣ = d I (the deep reduction needs one d)" if iso else f"d varies: {d.round(4)}",
    )


def race_path_gates(setup: GatedSetup) -> list[np.ndarray]:
    """Each path's gate on every datapoint: gates[k][condition of the datapoint] (the input,
    output and edge gates of the race network are all 1)."""
    _, _, cond, _ = race_data(setup.race())
    return [np.asarray(row, dtype=float)[cond] for row in setup.race_gates]


def aligned_correlations(setup: GatedSetup) -> HypothesisCheck:
    """All path correlations Σʸˣ(p) and Σˣ(j,p) are diagonal in one basis (the race
    reduction's assumption, Saxe et al. 2022, `paper`; :func:`alignment_hypothesis`)."""
    X, Y, _, _ = race_data(setup.race())
    P = X.shape[1]
    gates = race_path_gates(setup)
    syx = [Y @ (X * g).T / P for g in gates]
    sxx = [(X * gj) @ (X * gp).T / P for gj in gates for gp in gates]
    return alignment_hypothesis(syx, sxx)


def aligned_init(setup: GatedSetup | RoutingNetworkSetup) -> HypothesisCheck:
    """The initial weights are aligned with the task's modes: holds by construction of the
    toolkit's init (orthonormal R, strengths a₀ per path / b per layer)."""
    if isinstance(setup, RoutingNetworkSetup):
        return HypothesisCheck("aligned-init", True, "A_i = R₁ b Vᵀ, B = R₂ b R₁ᵀ, C_j = U b R₂ᵀ")
    return HypothesisCheck("aligned-init", True, "W_path = aligned balanced init (R orthonormal)")


def trained_pairs(setup: RoutingNetworkSetup) -> HypothesisCheck:
    """K ≤ M trained pairs per input module (`code`; an invariant of the setup)."""
    return HypothesisCheck(
        "pairs",
        setup.pairs <= setup.modules,
        f"K = {setup.pairs} trained pairs per input of M = {setup.modules} outputs",
    )


def several_contexts(setup: ContextSetup) -> HypothesisCheck:
    """C ≥ 2 contexts, without which there is no mixed selectivity to speak of (an
    invariant of the setup)."""
    C = setup.contexts
    return HypothesisCheck(
        "contexts",
        C >= 2,
        f"C = {C} contexts ({'>= 2' if C >= 2 else 'need at least 2 for mixed selectivity'})",
    )


def hypotheses(setup: GdlnSetup) -> tuple[HypothesisCheck, ...]:
    """The hypotheses of ``setup``'s theorem, in report order.

    Examples
    --------
    >>> [h.id for h in hypotheses(gdln_setup("deep-linear", a0=0.01))]
    ['decoupled-data', 'decoupled-init', 'small-init', 'gd-stable', 'isotropic-input']
    >>> [h.id for h in hypotheses(gdln_setup("gated"))]
    ['aligned-correlations', 'aligned-init', 'small-init']
    """
    if isinstance(setup, DeepLinearSetup):
        return (
            decoupled_data(setup),
            decoupled_init(setup),
            small_init(setup),
            gd_stable(setup),
            isotropic_input(setup),
        )
    if isinstance(setup, LinearSetup):
        return decoupled_data(setup), decoupled_init(setup), small_init(setup), gd_stable(setup)
    if isinstance(setup, GatedSetup):
        return aligned_correlations(setup), aligned_init(setup), small_init(setup)
    if isinstance(setup, RoutingNetworkSetup):
        return trained_pairs(setup), aligned_init(setup)
    return (several_contexts(setup),)
