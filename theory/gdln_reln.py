"""Reduced dynamics of the ReLN on the context task, and the search for the fastest gating.

Issue 9 parts 2 and 3: a first-principles route for the Make Haste Slowly context task
(`derived`), and a reconstruction of the paper's "unique, fastest ReLN" (`reconstructed`).

The ReLN (THEORY.md 3.3) is a GDLN with a common pathway (full input x = [item; context],
on for every datapoint) and item-only context pathways p, each on in the contexts A_p; all
pathways feed the same output. Its gradient flow is the path-gradient flow (GDLN-5):

    τ dW₂ₚ/dt = Eₚ W₁ₚᵀ,   τ dW₁ₚ/dt = W₂ₚᵀ Eₚ,   Eₚ = Σʸˣ(p) − Σ_{q ∈ T(p)} W₂_q W₁_q Σˣ(q, p),

Σʸˣ(p) = ⟨gₚ y xₚᵀ⟩, Σˣ(q, p) = ⟨g_q gₚ x_q xₚᵀ⟩ (averages over the P datapoints),
τ = 1/(ηP). T(p) is every pathway for the total loss; the authors' code (gdln.py) trains the
common pathway on its own loss, T(common) = {common}, and the context pathways on the
residual, T(p) = every pathway ("split" loss, the default here since it is their ReLN).

Reduction (`derived`). With one-hot items, Σˣ(q, p) restricted to items is
|A_q ∩ A_p|/P · I_n in *any* orthonormal item basis W, and the context inputs correlate only
with the uniform item vector w₀ = 1/√n. Take W with w₀ first; block α collects item mode w_α
(and, for α = 0, the C context inputs of the common pathway) on the input side and the output
subspace O_α = span{Y_c w_α : c} (Y_c the targets of context c) on the output side. Every
Σʸˣ(p) and Σˣ(q, p) is then block-diagonal, and a network whose hidden units are assigned to
blocks stays so **if the output subspaces are mutually orthogonal**, O_α ⊥ O_β (α ≠ β):

    hypothesis (checkable): w_αᵀ G w_β = 0 for α ≠ β for every target Gram matrix
    G ∈ {Hᵀ H, S_cᵀ S_c} (H the common block, S_c context c's structure), i.e. all
    structures share right singular vectors, and w₀ is one of them.

Under it the flow is exactly a set of independent small networks, one per block: pathway p in
block α is a two-layer net from its block inputs (1, or 1 + C for the common pathway in block 0)
to O_α (dimension ≤ C + 1), coupled to the other pathways of the same block through the
shared outputs. This is the race reduction GDLN-6 with *vector* modes: a context pathway's
mode is an output vector oₚ,α ∈ O_α times an input scalar bₚ,α,

    τ dbₚ,α/dt = oₚ,αᵀ eₚ,α,  τ doₚ,α/dt = bₚ,α eₚ,α,
    eₚ,α = sₚ,α − Σ_q D(q, p) o_q,α b_q,α,   sₚ,α = U_αᵀ Σʸˣ(p) w_α,  D(q,p) = |A_q ∩ A_p|/P,

which is the scalar race τ ȧ = 2a(s − Σ D a) only if all pathways of a block share one
output direction. They do not on this task: pathway A's target direction in O_α is
∝ Σ_{c∈A} Y_c w_α, different for different A (measured by :func:`output_direction_spread`).

Initial condition (`derived`): from small random weights the linearized flow
τ d[W₁ᵀ; W₂]/dt = [[0, Σᵀ], [Σ, 0]] [W₁ᵀ; W₂] grows each hidden unit's component along
(v_k, u_k)/√2 as e^{s_k t/τ}, so a mode's product strength behaves as a_k e^{2 s_k t/τ} with
a_k = ¼ ‖W₁ v_k + W₂ᵀ u_k‖² (the decaying component is dropped): the reduced system starts
balanced and aligned at those a_k (:func:`realized_initial_state`), or at their expectation
h(σ₁² + σ₂²)/4 (:func:`expected_initial_state`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from mtl_theory.theory.gdln import ContextTask, time_constant
from mtl_theory.theory.model import HypothesisCheck, Statement

STATEMENTS: tuple[Statement, ...] = (
    Statement(
        "GDLN-13",
        "Block reduction of the ReLN on the context task",
        "If the target structures share right singular vectors with the uniform item vector "
        "among them (output subspaces of different item modes orthogonal), the ReLN's gradient "
        "flow from aligned weights is exactly one small network per item mode: context pathway "
        "p has τ ḃ = oᵀe, τ ȯ = b e, e = s_p − Σ_q |A_q∩A_p|/P o_q b_q (vector race, shared "
        "outputs), the common pathway's block 0 a (1 + C)-input net; its loss trajectory "
        "matches the trained ReLN to O(η) plus the init's cross-block overlap.",
        "derived",
        "this toolkit: path-gradient flow (GDLN-5) restricted to item-mode blocks "
        "(theory/gdln_reln.py)",
    ),
    Statement(
        "GDLN-14",
        "The ReLU-imitating ReLN is the unique fastest",
        "Among ReLN gatings (common pathway plus item-only pathways on context subsets) that "
        "can reach zero loss (split loss, rank test), with the hidden units split equally "
        "among pathways, the gating that imitates the ReLU — the (C−1)-context sets, what the "
        "ReLU's units show and what the authors' C ≥ 4 scripts use — reaches 1 % of the "
        "initial loss first, and no other gating ties it (the authors' C = 3 set, singles and "
        "pairs, is one of the others).",
        "reconstructed",
        "Jarvis et al. 2025 (the paper's wording not available); enumeration in "
        "theory/gdln_reln.py",
    ),
)

STATEMENT_BY_ID: Mapping[str, Statement] = {s.id: s for s in STATEMENTS}

#: Relative size below which a singular value or an overlap is float64 rounding (`derived`:
#: the matrices here have entries O(1) and at most 60 rows; 1e-10 is 5 decades above ε·60).
RANK_RTOL = 1e-10

# --------------------------------------------------------------------------- alignment


def structure_grams(task: ContextTask) -> list[np.ndarray]:
    """Gram matrices of the target blocks seen by the items: Hᵀ H (the common block, the same
    in every context) and S_cᵀ S_c for each context's own block (n × n each)."""
    m = task.Y.shape[0] // (task.n_contexts + 1)
    first = task.context_of == 0
    grams = [task.Y[:m, first].T @ task.Y[:m, first]]
    for c in range(task.n_contexts):
        S = task.Y[m * (c + 1) : m * (c + 2), task.context_of == c]
        grams.append(S.T @ S)
    return grams


def item_mode_basis(task: ContextTask) -> np.ndarray:
    """Orthonormal item basis W (n × n), w₀ = 1/√n first, the rest the eigenvectors (on the
    complement of w₀) of a generic positive combination of the structure Grams.

    When the Grams commute and keep w₀ invariant this diagonalizes all of them (a generic
    combination splits every degeneracy that is not shared); otherwise it is the basis the
    reduction uses and :func:`alignment_defect` measures what it leaves off the diagonal.
    The weights 1, 1/φ, 1/φ², … (φ the golden ratio) are fixed so the basis is deterministic.
    """
    n = task.n_items
    grams = structure_grams(task)
    phi = (1.0 + math.sqrt(5.0)) / 2.0
    G = sum(g * phi ** (-k) / max(np.linalg.norm(g), 1e-300) for k, g in enumerate(grams))
    w0 = np.full(n, 1.0 / math.sqrt(n))
    Q = np.linalg.svd(np.eye(n) - np.outer(w0, w0))[0][:, : n - 1]  # basis of w₀⊥
    _, vecs = np.linalg.eigh(Q.T @ G @ Q)
    rest = Q @ vecs[:, ::-1]  # largest first
    return np.column_stack([w0, rest])


@dataclass(frozen=True)
class AlignmentDefect:
    """How far a context task is from the block-reduction hypothesis (GDLN-13).

    gram_offdiag: max over the structure Grams G of ‖offdiag(Wᵀ G W)‖_F / ‖G‖_F.
    subspace_overlap: max over α ≠ β of ‖U_αᵀ U_β‖₂, the cosine of the smallest principal
    angle between the output subspaces of two item modes (0 when aligned).
    per_gram: the first number for each Gram (common block first, then the contexts').
    """

    gram_offdiag: float
    subspace_overlap: float
    per_gram: tuple[float, ...]

    @property
    def value(self) -> float:
        return max(self.gram_offdiag, self.subspace_overlap)


def _offdiag_fraction(G: np.ndarray, W: np.ndarray) -> float:
    core = W.T @ G @ W
    off = core - np.diag(np.diag(core))
    return float(np.linalg.norm(off) / max(np.linalg.norm(G), 1e-300))


def output_subspaces(task: ContextTask, W: np.ndarray) -> list[np.ndarray]:
    """U_α: orthonormal basis of span{Y_c w_α : c} for each item mode α (n_out × r_α)."""
    out = []
    for a in range(W.shape[1]):
        cols = np.stack([task.Y[:, task.context_of == c] @ W[:, a] for c in range(task.n_contexts)])
        U, s, _ = np.linalg.svd(cols.T, full_matrices=False)
        r = int(np.sum(s > RANK_RTOL * max(s[0], 1e-300))) if s.size and s[0] > 0 else 0
        out.append(U[:, :r])
    return out


def alignment_defect(task: ContextTask, W: np.ndarray | None = None) -> AlignmentDefect:
    """Measure the violation of the GDLN-13 hypothesis (0 when it holds exactly)."""
    W = item_mode_basis(task) if W is None else W
    per = tuple(_offdiag_fraction(g, W) for g in structure_grams(task))
    Us = output_subspaces(task, W)
    overlap = 0.0
    for a, b in itertools.combinations(range(len(Us)), 2):
        if Us[a].shape[1] and Us[b].shape[1]:
            overlap = max(overlap, float(np.linalg.norm(Us[a].T @ Us[b], 2)))
    return AlignmentDefect(max(per), overlap, per)


def alignment_hypothesis(task: ContextTask, tol: float = 1e-9) -> HypothesisCheck:
    """The checkable hypothesis of GDLN-13 as a predicate."""
    d = alignment_defect(task)
    holds = bool(d.value <= tol)
    return HypothesisCheck(
        "item-modes-aligned",
        holds,
        f"structure Grams off-diagonal {d.gram_offdiag:.2e}, output-subspace overlap "
        f"{d.subspace_overlap:.2e} in the item-mode basis ({'<=' if holds else '>'} {tol:g})",
    )


#: The context claims (GDLN-8, 9, 13, 14) describe learning from small weights (the rich
#: regime of the authors' init, sd 0.005/N_h): the initial output at most this fraction of
#: the targets, the same 1 % as the gated race's small-init hypothesis.
SMALL_INIT_OUTPUT_FRACTION = 1e-2


def expected_initial_output_ratio(task: ContextTask, hidden: Sequence[int], std: float) -> float:
    """(E‖Ŷ₀‖²_F)^½ / ‖Y‖_F of the bias-free ReLU network n_in → hidden → n_out at i.i.d.
    normal(0, std²) weights (`derived`).

    A layer of fan-out m multiplies the expected squared norm of its input by std²·m, a ReLU
    halves it (its pre-activations are symmetric), so for L hidden layers
    E‖Ŷ₀‖²_F = ‖X‖²_F · std^{2(L+1)} · n_out · Π_l h_l / 2^L. Evaluated in logarithms (std
    may be up to 1.8e308); capped at 1e300.
    """
    L = len(hidden)
    log_sq = (
        2.0 * math.log(float(np.linalg.norm(task.X)))
        + 2.0 * (L + 1) * math.log(float(std))
        + math.log(task.Y.shape[0])
        + sum(math.log(int(h)) for h in hidden)
        - L * math.log(2.0)
    )
    log_ratio = 0.5 * log_sq - math.log(float(np.linalg.norm(task.Y)))
    return math.exp(min(log_ratio, math.log(1e300)))


def small_init_hypothesis(task: ContextTask, hidden: Sequence[int], std: float) -> HypothesisCheck:
    """The context claims' premise as a predicate: the initial output is small against the
    targets (:func:`expected_initial_output_ratio` <= SMALL_INIT_OUTPUT_FRACTION)."""
    ratio = expected_initial_output_ratio(task, hidden, std)
    holds = bool(ratio <= SMALL_INIT_OUTPUT_FRACTION)
    return HypothesisCheck(
        "small-init",
        holds,
        f"initial output ≈ {ratio:.2g} × the targets (E‖Ŷ₀‖/‖Y‖ at init sd {std:g}) "
        f"{'<=' if holds else '>'} {SMALL_INIT_OUTPUT_FRACTION:g}: the claims are about "
        "learning from small weights",
    )


def output_direction_spread(task: ContextTask, sets: Sequence[Sequence[int]]) -> float:
    """Largest angle (radians) between two context pathways' target directions sₚ,α in one
    block: 0 would make the vector race the scalar race GDLN-6 (`derived`)."""
    W = item_mode_basis(task)
    worst = 0.0
    for a in range(W.shape[1]):
        dirs = []
        for A in sets:
            v = sum(task.Y[:, task.context_of == c] @ W[:, a] for c in A)
            nv = np.linalg.norm(v)
            if nv > 0:
                dirs.append(v / nv)
        for u, v in itertools.combinations(dirs, 2):
            worst = max(worst, float(np.arccos(np.clip(abs(u @ v), -1.0, 1.0))))
    return worst


# --------------------------------------------------------------------------- reduced system


@dataclass(frozen=True)
class ReducedReln:
    """The block-reduced ReLN (GDLN-13) of one task and gating, as zero-padded arrays.

    Pathway 0 is the common pathway, pathways 1 … K the item-only context pathways on
    ``sets``; α runs over the n item-mode blocks. ``U[α]`` (n_out × r) spans block α's
    outputs (zero columns pad every block to the largest r ≤ C + 1); ``Z[p, α]`` (i × P) are
    pathway p's block-α inputs on the data (i = 1 + C rows, all but the first zero except for
    the common pathway in block 0). ``syx[p, α]`` (r × i) and ``sxx[q, p, α]`` (i × i) are
    the block correlations; ``feeds[p, q]`` = 1 when pathway p's error sees pathway q's
    prediction (T(p)). Zero padding is invariant under the flow (its derivatives vanish).
    """

    task: ContextTask = field(repr=False)
    sets: tuple[tuple[int, ...], ...]
    split: bool
    U: np.ndarray = field(repr=False)  # (n, n_out, r)
    Z: np.ndarray = field(repr=False)  # (K1, n, i, P)
    syx: np.ndarray = field(repr=False)  # (K1, n, r, i)
    sxx: np.ndarray = field(repr=False)  # (K1, K1, n, i, i)
    feeds: np.ndarray = field(repr=False)  # (K1, K1)
    coupling: np.ndarray = field(repr=False)  # (n, K1·i, K1·i): feeds[p, q] sxx[q, p, α]

    @property
    def n_pathways(self) -> int:
        return len(self.sets) + 1

    @property
    def n_blocks(self) -> int:
        return self.U.shape[0]


def pathway_inputs(task: ContextTask, sets: Sequence[Sequence[int]]) -> list[np.ndarray]:
    """Gated inputs gₚ xₚ (n_in × P): the full input for the common pathway, the item rows
    on the data of A for context pathway A."""
    X, n = task.X, task.n_items
    out = [X.copy()]
    for A in sets:
        g = np.isin(task.context_of, list(A)).astype(float)
        Xi = np.zeros_like(X)
        Xi[:n] = X[:n] * g
        out.append(Xi)
    return out


def block_input_bases(task: ContextTask, n_pathways: int, W: np.ndarray) -> np.ndarray:
    """P[p, α] (n_in × (1 + C)), zero-padded: column 0 the item mode w_α; for the common
    pathway (p = 0) in block 0 also the C context inputs (they correlate only with w₀)."""
    n, C = task.n_items, task.n_contexts
    Pb = np.zeros((n_pathways, n, task.X.shape[0], 1 + C))
    Pb[:, :, :n, 0] = W.T[None]
    Pb[0, 0, n:, 1:] = np.eye(C)
    return Pb


def reduced_reln(
    task: ContextTask, sets: Sequence[Sequence[int]], split: bool = True
) -> ReducedReln:
    """Build the block correlations of GDLN-13 for ``task`` and context pathways ``sets``.

    ``split``: the authors' training (common pathway on its own loss); False: the total loss.
    """
    sets = tuple(tuple(int(c) for c in A) for A in sets)
    n, C, P = task.n_items, task.n_contexts, task.n_data
    W = item_mode_basis(task)
    Us = output_subspaces(task, W)
    r = max(u.shape[1] for u in Us)
    i = 1 + C
    U = np.zeros((n, task.Y.shape[0], r))
    for a, u in enumerate(Us):
        U[a, :, : u.shape[1]] = u
    Xs = pathway_inputs(task, sets)
    K1 = len(sets) + 1
    Pb = block_input_bases(task, K1, W)
    Z = np.einsum("pami,pmq->paiq", Pb, np.stack(Xs))
    syx = np.einsum("aor,paiq,oq->pari", U, Z, task.Y) / P
    sxx = np.einsum("qaiu,paju->qpaij", Z, Z) / P
    feeds = np.ones((K1, K1))
    if split:
        feeds[0, 1:] = 0.0
    # E[α] (r × K1·i) = syx[α] − M[α] (r × K1·i) @ coupling[α]: one batched matmul per step
    coupling = np.einsum("pq,qpaij->aqipj", feeds, sxx).reshape(n, K1 * i, K1 * i)
    return ReducedReln(task, sets, split, U, Z, syx, sxx, feeds, coupling)


@dataclass(frozen=True)
class ReducedState:
    """Balanced aligned layer weights per (pathway, block), zero-padded:
    W1 (K1, n, k, i), W2 (K1, n, r, k), k = min(r, i)."""

    W1: np.ndarray
    W2: np.ndarray


def _mode_directions(syx: np.ndarray):
    """Per (pathway, block): SVD of the block correlation, k = min(r, i) modes. A block with
    no target (s = 0 throughout) keeps its modes at rest: they are given a zero strength."""
    u, s, vt = np.linalg.svd(syx, full_matrices=False)  # (K1, n, r, k), (K1, n, k), (K1, n, k, i)
    live = s > RANK_RTOL * max(float(s.max()), 1e-300)
    return u, vt, live


def pathway_mode_counts(red: ReducedReln) -> np.ndarray:
    """Live modes of the reduced flow per pathway, summed over the item-mode blocks (K1,).

    In the reduced trajectory pathway p's first layer is Σ_{α,k} √a_{α,k} r_{α,k} (P_{p,α}
    v_{α,k})ᵀ: every live mode has its own hidden direction r_{α,k} and its own input
    direction (the blocks' input bases are mutually orthogonal), so W₁ has rank equal to the
    number of live modes once they have grown (`derived`). A pathway of h units has rank ≤ h:
    with fewer units than this count the network cannot follow the reduced trajectory.
    """
    _, _, live = _mode_directions(red.syx)
    return live.reshape(red.n_pathways, -1).sum(axis=1)


def _balanced(u, vt, amp, live) -> ReducedState:
    root = np.sqrt(np.maximum(amp, 0.0)) * live
    return ReducedState(root[..., :, None] * vt, u * root[..., None, :])


def realized_initial_state(
    red: ReducedReln, W1s: Sequence[np.ndarray], W2s: Sequence[np.ndarray]
) -> ReducedState:
    """Start the reduced flow where the linearized flow of the given random weights points:
    a_k = ¼ ‖W₁ P v_k + W₂ᵀ U u_k‖² per mode (`derived`, module docstring); modes with
    s_k = 0 (padding, or no target) start at 0.

    ``W1s[p]`` (h_p × n_in) and ``W2s[p]`` (n_out × h_p) are pathway p's actual initial weights
    (pathway 0 the common one), e.g. one seed of the authors' module network.
    """
    u, vt, live = _mode_directions(red.syx)
    Pb = block_input_bases(red.task, red.n_pathways, item_mode_basis(red.task))
    amp = np.zeros(live.shape)
    for p in range(red.n_pathways):
        x = np.einsum("hm,ami,aki->ahk", W1s[p], Pb[p], vt[p])
        y = np.einsum("oh,aor,ark->ahk", W2s[p], red.U, u[p])
        amp[p] = 0.25 * np.sum((x + y) ** 2, axis=1)
    return _balanced(u, vt, amp, live)


#: Relative gap below which two singular values of one pathway are one degenerate group in
#: :func:`degenerate_start_spread` (`derived`: the equal values of this task are equal by
#: symmetry, to ~1e-15; a gap δs/s separates two modes' linear-phase growth by a factor
#: (s/a₀)^(δs/s), 1 + 2e-8 at s/a₀ = 1e8 for 1e-9, so such modes still grow as one).
DEGENERATE_RTOL = 1e-9


def _growth_vectors(red: ReducedReln, W1s, W2s, p: int) -> np.ndarray:
    """Pathway p's linear-phase growth vectors z = (W₁ P v_k + W₂ᵀ U u_k)/2, (n, h, k)."""
    u, vt, _ = _mode_directions(red.syx)
    Pb = block_input_bases(red.task, red.n_pathways, item_mode_basis(red.task))
    x = np.einsum("hm,ami,aki->ahk", W1s[p], Pb[p], vt[p])
    y = np.einsum("oh,aor,ark->ahk", W2s[p], red.U, u[p])
    return 0.5 * (x + y)


def degenerate_start_spread(
    red: ReducedReln, W1s: Sequence[np.ndarray], W2s: Sequence[np.ndarray]
) -> np.ndarray:
    """Per live mode (K1, n, k): how far, in ln a₀, the realized start a_k of
    :func:`realized_initial_state` can be from where the network's own directions start,
    because the modes of a pathway share its hidden units (`derived`, issue 14).

    In the linear phase (outputs ≪ targets, the pathways uncoupled) every mode's growth
    vector z_k (an h-vector) grows as e^{s_k t/τ}; G = ZᵀZ is their Gram. Two limits bound
    what a group g of modes with equal s (:data:`DEGENERATE_RTOL`) starts from. (a) The group
    grows as one: its strength matrix is G_gg e^{2st/τ}, whose eigenvectors the balanced flow
    keeps, so its directions start at the eigenvalues of G_gg, the reduced modes at its
    diagonal a_k = G_kk. (b) The faster modes f of the pathway (larger s), once grown, unlearn
    the overlap of g's hidden vectors with theirs (it puts g's inputs on f's outputs, an error
    they remove at their own, faster rate): g then starts at the eigenvalues of the Schur
    complement G_gg − G_gf G_ff⁻¹ G_fg. The modes of a group are exchangeable, so sorted
    eigenvalues pair with sorted a_k, within δ = max_i |ln λ_(i) − ln a_(i)| (the smallest
    largest gap of any pairing); the larger δ of (a) and (b) is returned for every mode of
    the group (0 for a single mode with no faster one). The overlaps are sums of h products
    (O(1/√h) relative), but a group of m modes spreads by ~2√(m/h) and each faster mode takes
    ~1/h of ln a_k: at 14 units a pathway (C = 3 same, hidden = [100], seeds 0–4) the trained
    ReLN lies between the reduced flows started at (a) and at (b), 88–147 epochs behind the
    diagonal start at epoch 2500 against a cross-block window of 71 (it was exit 1).
    """
    s = np.linalg.svd(red.syx, compute_uv=False)
    _, _, live = _mode_directions(red.syx)
    spread = np.zeros(live.shape)
    for p in range(red.n_pathways):
        z = _growth_vectors(red, W1s, W2s, p)
        modes = list(zip(*np.nonzero(live[p]), strict=True))
        if not modes:
            continue
        values = np.array([s[p, a, k] for a, k in modes])
        Z = np.stack([z[a, :, k] for a, k in modes], axis=1)
        G = Z.T @ Z
        for i in range(len(modes)):
            group = np.flatnonzero(np.abs(values - values[i]) <= DEGENERATE_RTOL * values[i])
            faster = np.flatnonzero(values > values[i] * (1.0 + DEGENERATE_RTOL))
            if group[0] != i or (group.size < 2 and faster.size == 0):
                continue  # each group once; a lone fastest mode has nothing to share
            at = np.array(modes)[group]
            spread[p, at[:, 0], at[:, 1]] = _group_spread(G, group, faster)
    return spread


def _group_spread(G: np.ndarray, group: np.ndarray, faster: np.ndarray) -> float:
    """δ of :func:`degenerate_start_spread` for one group (inf when the pathway has too few
    units for its modes: a Gram eigenvalue at or below 0; too_narrow reports it)."""
    Ggg = G[np.ix_(group, group)]
    diag = np.sort(np.diag(Ggg))
    scale = float(np.max(np.diag(G)))
    starts = [np.linalg.eigvalsh(Ggg)]
    if faster.size:
        Gff = G[np.ix_(faster, faster)]
        if np.linalg.eigvalsh(Gff)[0] <= RANK_RTOL * scale:  # rank-deficient: too few units
            return math.inf
        schur = Ggg - G[np.ix_(group, faster)] @ np.linalg.solve(Gff, G[np.ix_(faster, group)])
        starts.append(np.linalg.eigvalsh(schur))
    if min(float(lam[0]) for lam in starts) <= RANK_RTOL * scale:
        return math.inf
    return max(float(np.max(np.abs(np.log(lam) - np.log(diag)))) for lam in starts)


def expected_initial_state(
    red: ReducedReln, widths: Sequence[int], stds: Sequence[float]
) -> ReducedState:
    """The same start at the expectation a_k = h_p (σ² + σ²)/4 of pathway p's random init
    (both layers normal(0, σ_p), h_p units; `derived`)."""
    u, vt, live = _mode_directions(red.syx)
    amp = np.array([w * 2.0 * s**2 / 4.0 for w, s in zip(widths, stds, strict=True)])
    return _balanced(u, vt, np.broadcast_to(amp[:, None, None], live.shape), live)


def reduced_rhs(red: ReducedReln, W1: np.ndarray, W2: np.ndarray):
    """τ dW₂/dt = E W₁ᵀ, τ dW₁/dt = W₂ᵀ E per (pathway, block), with
    E[p, α] = syx[p, α] − Σ_q feeds[p, q] M[q, α] sxx[q, p, α], M = W₂ W₁ (GDLN-13)."""
    K1, n, r, i = red.syx.shape
    M = (W2 @ W1).transpose(1, 2, 0, 3).reshape(n, r, K1 * i)
    E = red.syx - (M @ red.coupling).reshape(n, r, K1, i).transpose(2, 0, 1, 3)
    return np.swapaxes(W2, -1, -2) @ E, E @ np.swapaxes(W1, -1, -2)


@dataclass(frozen=True)
class ReducedTrajectory:
    """Loss ½Σ‖Y − Ŷ‖² of the reduced ReLN at ``epochs``; ``n_state`` its ODE dimension."""

    epochs: np.ndarray
    loss: np.ndarray
    n_state: int


def resolving_atol(atol: float, rtol: float, y0: np.ndarray) -> float:
    """``atol``, lowered to ``rtol`` × the largest initial weight when the weights start
    below atol/rtol: an absolute tolerance above rtol × the state lets the solver skip the
    slow growth from tiny weights unresolved (`derived`; issue 14: init sd 1e-30 put the
    reduced flow's GDLN-14 time 19 % off the trained network's). Also the full network's
    flows (``numerics.gdln.flow_atol``)."""
    scale = float(np.max(np.abs(y0))) if np.size(y0) else 0.0
    return float(atol) if scale == 0.0 else min(float(atol), float(rtol) * scale)


#: Growth of the state's largest weight after which :func:`solve_resolving` restarts the
#: solver with an absolute tolerance raised to rtol × the new scale (`derived`: within a
#: segment the tolerance stays between rtol × scale / SEGMENT_GROWTH and rtol × scale).
SEGMENT_GROWTH = 1e3


def _scale(y: np.ndarray) -> float:
    return float(np.max(np.abs(y))) if np.size(y) else 0.0


def solve_resolving(
    rhs, t_end: float, y0: np.ndarray, rtol: float, atol: float, t_eval=None, event=None
):
    """DOP853 from 0 to ``t_end`` with an absolute tolerance that follows the state's scale.

    ``atol`` as given when the state starts at or above atol/rtol (one solver call, exactly
    the plain one). Below, the solver runs in segments: each starts with atol = rtol × the
    largest weight (:func:`resolving_atol`) and ends once that weight has grown by
    SEGMENT_GROWTH, until rtol × scale reaches ``atol``. A tolerance frozen at the initial
    scale is far below the rounding of the grown weights, and the step size then collapses
    (issue 14: from init sd 1e-30 GDLN-14's flow took > 2·10⁵ steps without leaving 1e-15).
    Returns (t, y, t_events) like ``solve_ivp``'s ``sol.t``, ``sol.y`` and the first
    ``event``'s ``t_events`` (empty when no event is given or none fired).
    """
    from scipy.integrate import solve_ivp

    t_eval = None if t_eval is None else np.asarray(t_eval, dtype=float)
    ts, ys, t0, y = [], [], 0.0, np.asarray(y0, dtype=float)
    while True:
        seg_atol = resolving_atol(atol, rtol, y)
        events = [] if event is None else [event]
        last = seg_atol >= atol or _scale(y) == 0.0
        if not last:
            ceiling = SEGMENT_GROWTH * _scale(y)

            def grown(_t, z, ceiling=ceiling):
                return _scale(z) - ceiling

            grown.terminal = True
            grown.direction = 1
            events.append(grown)
        todo = None if t_eval is None else t_eval[t_eval >= t0]
        sol = solve_ivp(
            rhs,
            (t0, float(t_end)),
            y,
            t_eval=todo,
            method="DOP853",
            rtol=rtol,
            atol=seg_atol,
            events=events or None,
        )
        if not sol.success:
            raise RuntimeError(f"reduced ReLN integration failed: {sol.message}")
        ts.append(np.asarray(sol.t, dtype=float))
        ys.append(np.asarray(sol.y, dtype=float).reshape(np.size(y), -1))
        hit = sol.t_events[0] if event is not None else np.array([])
        if hit.size or last or sol.status != 1:
            break
        t0, y = float(sol.t_events[-1][0]), sol.y_events[-1][0]
        if t_eval is not None:  # the restart time is evaluated by the next segment
            before = ts[-1] < t0
            ts[-1], ys[-1] = ts[-1][before], ys[-1][:, before]
    return np.concatenate(ts), np.concatenate(ys, axis=1), hit


def reduced_prediction(red: ReducedReln, W1: np.ndarray, W2: np.ndarray) -> np.ndarray:
    """Ŷ = Σ_{p,α} U_α W₂ W₁ Z_{p,α}: the reduced network's output (n_out × P)."""
    K1, n, r, i = red.syx.shape
    M = (W2 @ W1).transpose(1, 2, 0, 3).reshape(n, r, K1 * i)
    Z = red.Z.transpose(1, 0, 2, 3).reshape(n, K1 * i, -1)
    block_out = (M @ Z).reshape(n * r, -1)  # (n·r, P): each block's coordinates in U_α
    return red.U.transpose(1, 0, 2).reshape(red.U.shape[1], n * r) @ block_out


def integrate_reduced(
    red: ReducedReln,
    state: ReducedState,
    lr: float,
    epochs: Sequence[float],
    rtol: float = 1e-9,
    atol: float = 1e-14,
) -> ReducedTrajectory:
    """Integrate the reduced flow (DOP853) and return the loss at ``epochs`` (t in epochs,
    τ = 1/(ηP)): the reduced theory's loss curve, no full network involved."""

    tau = time_constant(lr, red.task.n_data)
    s1, s2 = state.W1.shape, state.W2.shape
    n1 = state.W1.size

    def rhs(_t, y):
        d1, d2 = reduced_rhs(red, y[:n1].reshape(s1), y[n1:].reshape(s2))
        return np.concatenate([d1.ravel(), d2.ravel()]) / tau

    t = np.asarray(epochs, dtype=float)
    y0 = np.concatenate([state.W1.ravel(), state.W2.ravel()])
    _, ys, _ = solve_resolving(rhs, float(t.max()), y0, rtol, atol, t_eval=t)
    Y = red.task.Y
    loss = np.array(
        [
            0.5
            * float(
                np.sum((Y - reduced_prediction(red, y[:n1].reshape(s1), y[n1:].reshape(s2))) ** 2)
            )
            for y in ys.T
        ]
    )
    return ReducedTrajectory(t, loss, int(np.count_nonzero(y0)))


def time_to_loss(
    red: ReducedReln,
    state: ReducedState,
    lr: float,
    target: float,
    t_max: float,
    rtol: float = 1e-8,
) -> float:
    """First epoch at which the reduced loss reaches ``target`` (the integration stops
    there: a terminal event located by the solver's root finder), inf if not by ``t_max``."""

    tau = time_constant(lr, red.task.n_data)
    s1, s2 = state.W1.shape, state.W2.shape
    n1 = state.W1.size
    Y = red.task.Y

    def rhs(_t, y):
        d1, d2 = reduced_rhs(red, y[:n1].reshape(s1), y[n1:].reshape(s2))
        return np.concatenate([d1.ravel(), d2.ravel()]) / tau

    def reached(_t, y):
        Yhat = reduced_prediction(red, y[:n1].reshape(s1), y[n1:].reshape(s2))
        return 0.5 * float(np.sum((Y - Yhat) ** 2)) - target

    reached.terminal = True
    reached.direction = -1
    y0 = np.concatenate([state.W1.ravel(), state.W2.ravel()])
    _, _, hits = solve_resolving(rhs, float(t_max), y0, rtol, 1e-16, event=reached)
    return float(hits[0]) if hits.size else math.inf


def reduced_gradient_descent(
    red: ReducedReln, state: ReducedState, lr: float, epochs: Sequence[int]
) -> np.ndarray:
    """The same reduced system advanced by gradient descent, W ← W + (1/τ)·rhs(W) per epoch
    (one GD step of rate η on ½Σ is one Euler step of one epoch of the flow): the loss at
    ``epochs``. Its gap to :func:`integrate_reduced` is the O(η) discretization effect at
    this η, computed where it is cheap (`derived`: under GDLN-13 the full network's GD map
    is block-diagonal too, so it is the same gap)."""
    tau = time_constant(lr, red.task.n_data)
    W1, W2 = state.W1.copy(), state.W2.copy()
    want = sorted({int(e) for e in epochs})
    out, k = {}, 0
    Y = red.task.Y
    for e in want:
        while k < e:
            d1, d2 = reduced_rhs(red, W1, W2)
            W1 += d1 / tau
            W2 += d2 / tau
            k += 1
        out[e] = 0.5 * float(np.sum((Y - reduced_prediction(red, W1, W2)) ** 2))
    return np.array([out[int(e)] for e in epochs])


def smallest_update_ratio(red: ReducedReln, state: ReducedState, lr: float) -> float:
    """The smallest per-epoch weight update of a live mode, relative to the grown weights, at
    the time the fastest mode saturates (`derived`, linear phase): the fastest mode (s_max,
    amplitude a_max) reaches a = s_max at t_sat = τ/(2 s_max) ln(s_max/a_max); mode k then
    has a_k(t_sat) = a_k e^{2 s_k t_sat/τ} and moves by (s_k/τ) √a_k per epoch against
    weights of scale √s_max in the same units. Below float64's ε (2.2e-16) a gradient step
    on those units rounds the mode's update away: the trained network cannot follow it
    (issue 14: from init sd 1e-30 the trained time to 1 % of L(0) was 19 % longer than the
    flow, 16 % in 80-bit long double, against a bound of 18.6 %)."""
    tau = time_constant(lr, red.task.n_data)
    s = np.linalg.svd(red.syx, compute_uv=False)
    a = np.sum(state.W1**2, axis=-1)  # balanced state: W1 = √a vᵀ per mode
    live = (a > 0) & (s > RANK_RTOL * max(float(s.max()), 1e-300))
    if not live.any():
        return math.inf
    s, a = s[live], a[live]
    top = int(np.argmax(s))
    if a[top] >= s[top]:
        return math.inf  # no linear phase: the weights start grown
    t_sat = tau / (2.0 * s[top]) * math.log(s[top] / a[top])
    grown = np.log(a) + 2.0 * s * t_sat / tau  # ln a_k(t_sat), in logs: a can be 1e-60
    return float(np.min(s / tau * np.exp(0.5 * (grown - math.log(s[top])))))


def max_reduced_rate(red: ReducedReln, lr: float) -> float:
    """Largest linear growth rate per epoch of a reduced mode, 2 s_max/τ (`derived`): sets
    the O(η) gap between gradient descent and the flow (GD multiplies by 1 + r per epoch where
    the flow multiplies by e^r, a relative time lag of about r/2)."""
    s = float(np.max(np.linalg.svd(red.syx, compute_uv=False)))
    return 2.0 * s / time_constant(lr, red.task.n_data)


# --------------------------------------------------------------------------- gatings


def nonempty_proper_subsets(n_contexts: int) -> list[tuple[int, ...]]:
    """All context subsets of size 1 … C − 1 (by size, then lexicographic)."""
    return [A for k in range(1, n_contexts) for A in itertools.combinations(range(n_contexts), k)]


def level_sets(n_contexts: int, levels: Sequence[int]) -> tuple[tuple[int, ...], ...]:
    """The gating made of full levels: every context subset whose size is in ``levels``."""
    return tuple(
        A for k in sorted(set(levels)) for A in itertools.combinations(range(n_contexts), k)
    )


def candidate_gatings(
    n_contexts: int, restrict: str = "levels"
) -> list[tuple[tuple[int, ...], ...]]:
    """Candidate ReLN gatings (context pathway sets; the common pathway is always there).

    restrict="all": every set of non-empty proper context subsets (2^(2^C − 2) gatings;
    only sensible for C ≤ 3). restrict="levels": unions of full levels {A : |A| ∈ L} for
    non-empty L ⊆ {1, …, C − 1} (2^(C−1) − 1 gatings): the gatings invariant under every
    permutation of the contexts, the only ones that can be *uniquely* fastest on a task
    whose contexts are interchangeable (a non-invariant fastest gating has equally fast
    images under relabelling). Level C (an item-only pathway on every context) duplicates
    the common pathway's item part and is left out.
    """
    if restrict == "all":
        subs = nonempty_proper_subsets(n_contexts)
        return [
            tuple(s for s, keep in zip(subs, mask, strict=True) if keep)
            for mask in itertools.product((0, 1), repeat=len(subs))
            if any(mask)
        ]
    if restrict != "levels":
        raise ValueError(f"restrict must be 'levels' or 'all', got {restrict!r}")
    return [
        level_sets(n_contexts, L)
        for r in range(1, n_contexts)
        for L in itertools.combinations(range(1, n_contexts), r)
    ]


def imitating_gating(n_contexts: int) -> tuple[tuple[int, ...], ...]:
    """The gating that imitates the ReLU: the (C − 1)-context sets. The ReLU's strong units
    are active in all or in C − 1 contexts (GDLN-9, THEORY.md 3.3) and the authors' C ≥ 4
    scripts (diff_context_num/gdln4/5.py) use exactly these modules (`code`)."""
    return level_sets(n_contexts, (n_contexts - 1,))


def authors_gating(n_contexts: int) -> tuple[tuple[int, ...], ...]:
    """The module set of the authors' script for C (`code`): C = 3 (3_context_diff/gdln.py)
    adds the three single-context modules to the pairs; otherwise :func:`imitating_gating`."""
    if n_contexts == 3:
        return level_sets(3, (1, 2))
    return imitating_gating(n_contexts)


@dataclass(frozen=True)
class RankTest:
    """Can a gating reach zero loss? The targets must lie in the row space of the features
    the gating can express (`derived`)."""

    holds: bool
    residual: float  # ‖R − R Φ⁺ Φ‖_F / ‖Y‖_F
    rank: int


def _row_space_residual(R: np.ndarray, Phi: np.ndarray) -> tuple[float, int]:
    _, s, vt = np.linalg.svd(Phi, full_matrices=False)
    r = int(np.sum(s > RANK_RTOL * s[0])) if s.size and s[0] > 0 else 0
    V = vt[:r]
    return float(np.linalg.norm(R - (R @ V.T) @ V)), r


def zero_loss_rank_test(
    task: ContextTask, sets: Sequence[Sequence[int]], split: bool = True
) -> RankTest:
    """Rank test (`derived`): with wide enough pathways each pathway's map is any linear map
    of its gated input. Total loss (``split=False``): the reachable predictions are the
    projections of Y onto the row space of Φ = [gₚ xₚ]ₚ (every pathway stacked), zero loss
    iff Y − Y Φ⁺Φ = 0. Split loss (the authors' training, default): the common pathway
    converges to its own least-squares fit whatever the others do, so the context pathways
    must express its residual R = Y − Y X⁺X alone: R − R Φ_c⁺Φ_c = 0 with Φ_c the context
    pathways' features. (C = 2, one single-context pathway: zero total loss is reachable,
    zero split loss is not — the common pathway's fit leaves ±H/2 in both contexts.)
    """
    feats = pathway_inputs(task, sets)
    nY = float(np.linalg.norm(task.Y))
    if split:
        R = task.Y - task.Y @ np.linalg.pinv(task.X) @ task.X
        if not sets:
            res, r = float(np.linalg.norm(R)), 0
        else:
            res, r = _row_space_residual(R, np.vstack(feats[1:]))
    else:
        res, r = _row_space_residual(task.Y, np.vstack(feats))
    rel = res / nY
    return RankTest(rel <= 1e3 * RANK_RTOL, rel, r)


@dataclass(frozen=True)
class GatingSpeed:
    """One candidate gating's learning speed from the reduced dynamics."""

    sets: tuple[tuple[int, ...], ...]
    reaches_zero: bool
    time_to_threshold: float  # epochs until the reduced loss ≤ threshold × L(0) (inf: never)
    leading_sv: float  # largest block singular value among its context pathways


def gating_speed(
    task: ContextTask,
    sets: Sequence[Sequence[int]],
    total_hidden: int,
    std: float,
    lr: float,
    t_max: float,
    threshold: float = 1e-2,
    rtol: float = 1e-8,
) -> GatingSpeed:
    """Time for the reduced ReLN (authors' split loss) of a gating to bring the loss to
    ``threshold`` × L(0), with ``total_hidden`` units split equally among its pathways (the
    authors' 700 / 7) at init sd ``std`` (expected init, :func:`expected_initial_state`).

    The time is located by the solver's event root finder (rtol ``rtol``).
    """
    sets = tuple(tuple(A) for A in sets)
    rank = zero_loss_rank_test(task, sets)
    red = reduced_reln(task, sets)
    K1 = red.n_pathways
    width = max(1, total_hidden // K1)
    state = expected_initial_state(red, [width] * K1, [std] * K1)
    loss0 = 0.5 * float(np.sum((task.Y - reduced_prediction(red, state.W1, state.W2)) ** 2))
    t_hit = time_to_loss(red, state, lr, threshold * loss0, t_max, rtol)
    sv = float(np.max(np.linalg.svd(red.syx[1:], compute_uv=False))) if K1 > 1 else 0.0
    return GatingSpeed(sets, rank.holds, t_hit, sv)


@dataclass(frozen=True)
class FastestGating:
    """The enumeration's outcome for one task (GDLN-14)."""

    n_contexts: int
    restrict: str
    ranked: tuple[GatingSpeed, ...]  # zero-loss gatings, fastest first
    discarded: tuple[tuple[tuple[int, ...], ...], ...]  # gatings failing the rank test
    imitating: tuple[tuple[int, ...], ...]
    authors: tuple[tuple[int, ...], ...]
    tie_rtol: float

    @property
    def fastest(self) -> GatingSpeed:
        return self.ranked[0]

    @property
    def imitating_is_fastest(self) -> bool:
        return self.ranked[0].sets == self.imitating

    def rank_of(self, sets) -> int | None:
        """0-based rank of a gating among the zero-loss ones (None: not among them)."""
        names = [g.sets for g in self.ranked]
        return names.index(tuple(sets)) if tuple(sets) in names else None

    @property
    def unique(self) -> bool:
        """No other zero-loss gating within ``tie_rtol`` of the fastest time."""
        if len(self.ranked) < 2:
            return True
        t0, t1 = self.ranked[0].time_to_threshold, self.ranked[1].time_to_threshold
        return t1 > t0 * (1.0 + self.tie_rtol)


def fastest_gating(
    task: ContextTask,
    restrict: str = "levels",
    total_hidden: int | None = None,
    std: float | None = None,
    lr: float = 1e-3,
    t_max: float = 8000.0,
    threshold: float = 1e-2,
    tie_rtol: float = 1e-3,
) -> FastestGating:
    """Enumerate the candidate gatings, drop those failing the rank test, rank the rest by
    the reduced dynamics' time to ``threshold`` × L(0) (GDLN-14, `reconstructed`).

    Defaults: the authors' budget, 100 units per drawn module of their C = 3 ReLN (700 units,
    sd 0.005/700 for every pathway, a single sd so that only the gating differs), η = 1e-3.
    ``tie_rtol``: two times closer than this are a tie — the reduced integration's own error
    (rtol 1e-7) and the grid interpolation are far below it.
    """
    C = task.n_contexts
    total_hidden = 700 if total_hidden is None else total_hidden
    std = 0.005 / 700 if std is None else std
    ranked, discarded = [], []
    for sets in candidate_gatings(C, restrict):
        if not zero_loss_rank_test(task, sets).holds:
            discarded.append(sets)
            continue
        ranked.append(gating_speed(task, sets, total_hidden, std, lr, t_max, threshold))
    ranked.sort(key=lambda g: g.time_to_threshold)
    return FastestGating(
        C,
        restrict,
        tuple(ranked),
        tuple(discarded),
        imitating_gating(C),
        authors_gating(C),
        tie_rtol,
    )
