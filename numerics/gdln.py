"""GDLN numerics: full networks trained by gradient descent and by the full gradient flow.

The independent route of THEORY.md 3.4. Nothing here evaluates a closed form of the
quantity it measures: networks are full weight matrices, gradients are hand-written backward
passes (checked against finite differences in tests/test_gdln_numerics.py), and the flow is
integrated by scipy's adaptive DOP853 on the full parameter vector. ``theory.gdln`` is
imported for setup types and datasets only.

Conventions: loss ½ Σ_µ ‖y − ŷ‖² summed over the P datapoints; a GD step W ← W − η ∇L; the
flow dW/dt = −η ∇L has time in epochs (τ = 1/(ηP) is the theory's unit, not used here).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from mtl_theory.numerics import progress
from mtl_theory.numerics.blas import run_forked
from mtl_theory.numerics.precision import DEFAULT_DTYPE, as_dtype, cast
from mtl_theory.theory.gdln import (
    RELN_CONSTRUCTIONS,
    ContextTask,
    DepthNet,
    GatedGraph,
    ModuleNet,
    authors_module_net,
)
from mtl_theory.theory.gdln_reln import resolving_atol
from scipy.integrate import solve_ivp

#: Solver tolerances of every gradient-flow integration here (stated for the comparisons).
FLOW_RTOL = 1e-10
FLOW_ATOL = 1e-13

#: GD is declared diverged when the loss exceeds this multiple of its initial value
#: (or is non-finite): a linear net's loss can never legitimately grow that much under GD
#: that follows the flow, which decreases the loss monotonically.
DIVERGENCE_FACTOR = 1e6


def has_diverged(loss, initial_loss) -> bool:
    """Non-finite, or above DIVERGENCE_FACTOR × the initial loss (any seed of a batch).

    Called at every epoch: one run's float loss is tested with ``math`` (the same IEEE
    comparisons without numpy's per-call overhead: the quick ``gdln-linear-hierarchy`` check
    0.87 -> 0.63 s CPU).
    """
    if isinstance(loss, float) and isinstance(initial_loss, float):
        return not math.isfinite(loss) or loss > DIVERGENCE_FACTOR * initial_loss
    loss = np.asarray(loss)
    return bool(not np.isfinite(loss).all() or (loss > DIVERGENCE_FACTOR * initial_loss).any())


# --------------------------------------------------------------------------- linear chains


def aligned_chain_init(U, V, b0, hidden: Sequence[int], rng: np.random.Generator) -> list:
    """Weights W_1 … W_N of a linear chain, decoupled and balanced (Saxe 2014 init).

    W_1 = R_1 diag(b0) Vᵀ, W_l = R_l diag(b0) R_{l−1}ᵀ, W_N = U diag(b0) R_{N−1}ᵀ with random
    R_l having orthonormal columns (hidden_l × r). The product is U diag(b0^N) Vᵀ.
    """
    r = U.shape[1]
    Rs = []
    for h in hidden:
        if h < r:
            raise ValueError(f"hidden width {h} is smaller than the number of modes {r}")
        q, _ = np.linalg.qr(rng.standard_normal((h, r)))
        Rs.append(q)
    B = np.diag(np.broadcast_to(np.asarray(b0, dtype=float), (r,)))
    Ws = [Rs[0] @ B @ V.T]
    for lo, hi in itertools.pairwise(Rs):
        Ws.append(hi @ B @ lo.T)
    Ws.append(U @ B @ Rs[-1].T)
    return Ws


def chain_product(Ws: Sequence[np.ndarray]) -> np.ndarray:
    out = Ws[0]
    for W in Ws[1:]:
        out = W @ out
    return out


def chain_loss_and_grads(Ws, X, Y) -> tuple[float, list[np.ndarray]]:
    """Loss ½Σ‖Y − W_N⋯W_1 X‖² and its gradients by a hand-written backward pass."""
    acts = [X]
    for W in Ws:
        acts.append(W @ acts[-1])
    E = acts[-1] - Y
    grads: list[np.ndarray] = [np.empty(0)] * len(Ws)
    back = E
    for i in range(len(Ws) - 1, -1, -1):
        grads[i] = back @ acts[i].T
        back = Ws[i].T @ back
    return 0.5 * float(np.sum(E * E)), grads


@dataclass(frozen=True)
class ChainRun:
    """Products W_N⋯W_1 at the recorded epochs, the loss, and where GD diverged (or None)."""

    epochs: np.ndarray
    products: np.ndarray  # (T, out, in)
    losses: np.ndarray
    diverged_at: int | None
    final_weights: tuple[np.ndarray, ...] = ()


def chain_gd(Ws, X, Y, lr: float, epochs: int, record: Sequence[int]) -> ChainRun:
    """Full-batch GD on a linear chain; records products at the epochs in ``record``.

    Stops at the first epoch whose loss is non-finite or above DIVERGENCE_FACTOR × initial,
    so a too-large η yields a reported divergence, never a page of nan.
    """
    Ws = [W.copy() for W in Ws]
    record = sorted(set(int(r) for r in record if 0 <= r <= epochs))
    want = set(record)
    prods, losses, done = [], [], []
    loss0 = None
    for k in range(epochs + 1):
        progress.tick("gradient descent epochs", k, epochs)
        loss, grads = chain_loss_and_grads(Ws, X, Y)
        if loss0 is None:
            loss0 = max(loss, 1e-300)
        if has_diverged(loss, loss0):
            return ChainRun(np.array(done), np.array(prods), np.array(losses), k)
        if k in want:
            done.append(k)
            prods.append(chain_product(Ws))
            losses.append(loss)
        if k == epochs:
            break
        with np.errstate(over="ignore", invalid="ignore"):
            for W, g in zip(Ws, grads, strict=True):
                W -= lr * g
    return ChainRun(np.array(done), np.array(prods), np.array(losses), None, tuple(Ws))


def flow_atol(y0: np.ndarray) -> float:
    """FLOW_ATOL, lowered to FLOW_RTOL × the largest initial weight when weights start below
    FLOW_ATOL/FLOW_RTOL = 1e-3 in size: an absolute tolerance above rtol × the weights lets
    the solver skip the slow growth from tiny weights unresolved (a₀ = 1e-30: 0.24 error
    against the reduced race; 8e-9 with the lowered tolerance; issue 14)."""
    return resolving_atol(FLOW_ATOL, FLOW_RTOL, y0)


def integrate_parameter_flow(
    grads_of: Callable[[list[np.ndarray]], Sequence[np.ndarray]],
    params: Sequence[np.ndarray],
    rate: float,
    t_eval: Sequence[float],
    what: str = "gradient flow",
) -> list[list[np.ndarray]]:
    """Integrate dθ/dt = −rate ∇L(θ) for a list of weight matrices with DOP853.

    ``grads_of(params)`` returns the gradient of each matrix. Tolerances FLOW_RTOL/FLOW_ATOL;
    returns the parameters at every time of ``t_eval``. A failed integration is an error,
    never a silent partial result.
    """
    shapes = [W.shape for W in params]
    splits = np.cumsum([W.size for W in params])[:-1]

    def unpack(y):
        return [p.reshape(s) for p, s in zip(np.split(y, splits), shapes, strict=True)]

    t_eval = np.asarray(t_eval, dtype=float)
    t_end = float(t_eval[-1]) if t_eval.size else 0.0

    def rhs(t, y):
        progress.tick(what, t, t_end)
        return -rate * np.concatenate([g.ravel() for g in grads_of(unpack(y))])

    y0 = np.concatenate([W.ravel() for W in params])
    sol = solve_ivp(
        rhs,
        (0.0, float(t_eval[-1])),
        y0,
        method="DOP853",
        t_eval=t_eval,
        rtol=FLOW_RTOL,
        atol=flow_atol(y0),
    )
    if not sol.success:
        raise RuntimeError(f"{what} integration failed: {sol.message}")
    return [unpack(y) for y in sol.y.T]


def chain_flow(Ws, X, Y, lr: float, t_eval: Sequence[float]) -> ChainRun:
    """Integrate the full parameter flow dW/dt = −η∇L with DOP853 (rtol/atol FLOW_RTOL/ATOL)."""
    path = integrate_parameter_flow(
        lambda W: chain_loss_and_grads(W, X, Y)[1], Ws, lr, t_eval, "gradient-flow"
    )
    prods, losses = [], []
    for W in path:
        loss, _ = chain_loss_and_grads(W, X, Y)
        prods.append(chain_product(W))
        losses.append(loss)
    return ChainRun(
        np.asarray(t_eval, dtype=float), np.array(prods), np.array(losses), None, tuple(path[-1])
    )


def mode_strengths(products: np.ndarray, U: np.ndarray, V: np.ndarray) -> np.ndarray:
    """a_k = u_kᵀ W v_k for each recorded product: (T, r)."""
    return np.einsum("ir,tij,jr->tr", U, products, V)


# --------------------------------------------------------------------------- gated graphs


@dataclass(frozen=True)
class GatedPlan:
    """A gated graph's traversal, computed once per run instead of at every pass.

    ``order`` is ``graph.topological_order()``; ``incoming[v]`` lists the (edge index,
    source) pairs of the edges into ``v`` in edge-index order, the order in which
    :func:`gated_forward` and :func:`gated_loss_and_grads` accumulate them (so a plan changes
    no operation and no rounding, only the Python work of finding the edges).
    """

    order: tuple[str, ...]
    incoming: Mapping[str, tuple[tuple[int, str], ...]]


def gated_plan(graph: GatedGraph) -> GatedPlan:
    """The :class:`GatedPlan` of ``graph`` (its topological order and incoming edges)."""
    incoming = {
        v: tuple((e, src) for e, (src, dst) in enumerate(graph.edges) if dst == v)
        for v in graph.sizes
    }
    return GatedPlan(tuple(graph.topological_order()), incoming)


def gated_forward(
    graph: GatedGraph, weights, X, node_gates, edge_gates, plan: GatedPlan | None = None
) -> dict[str, np.ndarray]:
    """Node activities h_v (dim × P) of a gated linear network (Saxe et al. 2022 model).

    ``plan`` (:func:`gated_plan`) saves recomputing the traversal; the result is the same.
    """
    plan = gated_plan(graph) if plan is None else plan
    h: dict[str, np.ndarray] = {}
    P = next(iter(X.values())).shape[1]
    for v in plan.order:
        if v in graph.inputs:
            h[v] = X[v] * node_gates[v]
            continue
        acc = np.zeros((graph.sizes[v], P))
        for e, src in plan.incoming[v]:
            acc += (weights[e] @ h[src]) * edge_gates[e]
        h[v] = acc * node_gates[v]
    return h


def gated_loss_and_grads(graph, weights, X, Y, node_gates, edge_gates, plan=None):
    """Average loss ½⟨Σ_out ‖y_v − h_v‖²⟩ and its gradients by reverse-mode accumulation.

    Backward pass: δ_v = ∂L/∂h_v; for an edge e = (u → v) with pre-gate message m_e = W_e h_u,
    ∂L/∂W_e = (δ_v ⊙ g_v ⊙ g_e) h_uᵀ and δ_u += W_eᵀ(δ_v ⊙ g_v ⊙ g_e). ``plan``
    (:func:`gated_plan`) saves recomputing the traversal; the result is the same.
    """
    plan = gated_plan(graph) if plan is None else plan
    P = next(iter(X.values())).shape[1]
    h = gated_forward(graph, weights, X, node_gates, edge_gates, plan)
    delta = {v: np.zeros((graph.sizes[v], P)) for v in graph.sizes}
    loss = 0.0
    for v in graph.outputs:
        E = h[v] - Y[v]
        loss += 0.5 * float(np.sum(E * E)) / P
        delta[v] += E / P
    grads = [np.zeros(graph.shape(e)) for e in range(len(graph.edges))]
    for v in reversed(plan.order):
        if v in graph.inputs:
            continue
        back = delta[v] * node_gates[v]
        for e, src in plan.incoming[v]:
            be = back * edge_gates[e]
            grads[e] += be @ h[src].T
            delta[src] += weights[e].T @ be
    return loss, grads


def gated_gd(graph, weights, X, Y, node_gates, edge_gates, lr_avg: float, epochs: int, record):
    """GD on the averaged loss with step lr_avg (= ηP): returns {epoch: weights} at record."""
    Ws = [W.copy() for W in weights]
    out = {}
    want = set(int(r) for r in record)
    plan = gated_plan(graph)
    for k in range(epochs + 1):
        progress.tick("gradient descent epochs", k, epochs)
        if k in want:
            out[k] = [W.copy() for W in Ws]
        if k == epochs:
            break
        _, grads = gated_loss_and_grads(graph, Ws, X, Y, node_gates, edge_gates, plan)
        for W, g in zip(Ws, grads, strict=True):
            W -= lr_avg * g
    return out


def gated_flow(graph, weights, X, Y, node_gates, edge_gates, rate: float, t_eval):
    """Full gated-network flow dW/dt = −rate ∇L_avg (rate = 1/τ), DOP853 at FLOW_RTOL/ATOL."""
    plan = gated_plan(graph)
    return integrate_parameter_flow(
        lambda W: gated_loss_and_grads(graph, W, X, Y, node_gates, edge_gates, plan)[1],
        weights,
        rate,
        t_eval,
        "gated-network flow",
    )


def finite_difference_grads(graph, weights, X, Y, node_gates, edge_gates, h: float = 1e-6):
    """Central finite differences of the averaged loss, entry by entry (O(h²) accurate)."""
    grads = []
    for e, W in enumerate(weights):
        g = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            plus = [w.copy() for w in weights]
            minus = [w.copy() for w in weights]
            plus[e][idx] += h
            minus[e][idx] -= h
            lp, _ = gated_loss_and_grads(graph, plus, X, Y, node_gates, edge_gates)
            lm, _ = gated_loss_and_grads(graph, minus, X, Y, node_gates, edge_gates)
            g[idx] = (lp - lm) / (2 * h)
        grads.append(g)
    return grads


def race_graph(n_in: int, n_out: int, hidden: int, n_paths: int) -> GatedGraph:
    """K two-layer pathways in → h_k → out, the network of the race experiment."""
    sizes = {"in": n_in, "out": n_out} | {f"h{k}": hidden for k in range(n_paths)}
    edges = tuple(e for k in range(n_paths) for e in (("in", f"h{k}"), (f"h{k}", "out")))
    return GatedGraph(sizes, edges, ("in",), ("out",))


def routing_graph(modules: int, n_in: int, n_out: int, hidden: int) -> GatedGraph:
    """in_i → hid1 (module weights A_i), hid1 → hid2 (shared B), hid2 → out_j (C_j)."""
    sizes = {f"in{i}": n_in for i in range(modules)} | {"hid1": hidden, "hid2": hidden}
    sizes |= {f"out{j}": n_out for j in range(modules)}
    edges = tuple((f"in{i}", "hid1") for i in range(modules))
    edges += (("hid1", "hid2"),)
    edges += tuple(("hid2", f"out{j}") for j in range(modules))
    return GatedGraph(
        sizes,
        edges,
        tuple(f"in{i}" for i in range(modules)),
        tuple(f"out{j}" for j in range(modules)),
    )


# --------------------------------------------------------------------------- context task


@dataclass(frozen=True)
class ContextRun:
    """A batch of S networks trained on the context task.

    losses : (S, epochs + 1) loss ½Σ before each update (index k = after k updates).
    hidden : list over layers of (S, h, P) final hidden activities (ReLU nets).
    weights0, weights : initial and final weights per layer, each (S, out, in).
    diverged_at : first epoch with a non-finite or exploding loss in any seed, else None.
    context_only : split-loss pathway networks of one hidden layer only, else None: (3, S,
        epochs + 1), per epoch ½‖E P‖² (row 0, the context-only part of the loss),
        ½‖(ŷ_common − Y) P‖² (row 1, the common pathway's own context-only error) and
        ½‖ŷ_context P‖² (row 2, the context pathways' context-only output), P the projector
        on the functions of the context alone (:func:`context_only_basis`).
    """

    losses: np.ndarray
    hidden: tuple[np.ndarray, ...]
    weights0: tuple[np.ndarray, ...]
    weights: tuple[np.ndarray, ...]
    diverged_at: int | None
    context_only: np.ndarray | None = None


def authors_init_seed(base: int) -> int:
    """The init seed the authors' scripts draw after ``np.random.seed(base)``.

    relu.py, gdln.py, … set ``seed = np.random.randint(0, 100000)`` from numpy's global state
    and then re-seed with it (`code`); seeding the global state with ``base`` first (as
    benchmarks/authors_mhs/run_seeded.py does) makes their run reproducible, and this is the
    seed their init then uses.
    """
    return int(np.random.RandomState(base).randint(0, 100000))


def legacy_normal_draws(seed: int, blocks) -> list[np.ndarray]:
    """normal(0, sd, shape) for each (sd, shape) in order, from numpy's legacy MT19937 stream
    seeded with ``seed``: the stream ``np.random.seed(seed); np.random.normal(...)`` of the
    authors' init functions (`code`), so that a toolkit seed gives their network, weight for
    weight."""
    rs = np.random.RandomState(seed)  # the authors' legacy stream, on purpose
    return [rs.normal(0.0, sd, shape) for sd, shape in blocks]


def init_context_weights(
    sizes: Sequence[int], std: float, seeds: Sequence[int]
) -> list[np.ndarray]:
    """Stacked normal(0, std) ReLU-network weights, one per seed: list of (S, out, in).

    Drawn as relu.py's init_random_params_relu draws them (`code`): legacy stream of
    ``seed``, layer by layer, each (out, in) matrix row-major.
    """
    blocks = [(std, (n, m)) for m, n in itertools.pairwise(sizes)]
    per_seed = [legacy_normal_draws(s, blocks) for s in seeds]
    return [np.stack([w[i] for w in per_seed]) for i in range(len(blocks))]


def init_module_net(
    net: ModuleNet, n_in: int, n_out: int, seeds: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """(W₁ (S, K·w, n_in), W₂ (S, n_out, K·w)) drawn as init_random_params_gated (`code`):
    first every module's (w, n_in) input block, stacked as rows, then every module's
    (n_out, w) output block, side by side; module k at sd ``net.stds[k]``."""
    w = net.width
    blocks = [(sd, (w, n_in)) for sd in net.stds] + [(sd, (n_out, w)) for sd in net.stds]
    K = len(net.stds)
    W1, W2 = [], []
    for s in seeds:
        draws = legacy_normal_draws(s, blocks)
        W1.append(np.vstack(draws[:K]))
        W2.append(np.hstack(draws[K:]))
    return np.stack(W1), np.stack(W2)


def train_context_net(
    task: ContextTask,
    weights: Sequence[np.ndarray],
    lr: float,
    epochs: int,
    *,
    gates: Sequence[np.ndarray] | None = None,
    input_mask: np.ndarray | None = None,
    dtype: str = DEFAULT_DTYPE,
) -> ContextRun:
    """Full-batch GD for S stacked bias-free networks with 1 or 2 hidden layers.

    ``gates is None``: ReLU network. Otherwise a gated linear network (GDLN with per-unit
    gates, e.g. the ReLN or the modular network): h_l = G_l ⊙ (W_l h_{l−1}), G_l fixed
    (S, h_l, P) in {0, 1}. ``input_mask`` (S, h_1, n_in) zeroes first-layer weights (item-only
    pathways); masked entries start at 0 and get no gradient. All seeds advance in one
    batched matmul per layer.

    One hidden layer runs :func:`_single_net_gd` (preallocated buffers, the same products in
    the same order: losses bit for bit those of :func:`_train_context_net_reference`, tested);
    two hidden layers run the reference loop.

    ``dtype`` (:data:`mtl_theory.numerics.precision.DTYPES`) is the arithmetic of the whole
    loop: weights, data, gates and every buffer are cast to it once; ``"float32"`` is for
    exploratory diagrams only, the default float64 is unchanged bit for bit (tested).
    """
    if len(weights) != 2:
        return _train_context_net_reference(
            task, weights, lr, epochs, gates=gates, input_mask=input_mask, dtype=dtype
        )
    W1, W2 = (cast(W, dtype) for W in weights)
    if input_mask is not None:
        W1 *= input_mask
    W0 = (W1.copy(), W2.copy())
    layer = _HiddenLayer(W1, W2, None if gates is None else gates[0], input_mask, task.X)
    losses, diverged = _single_net_gd(layer, task.Y, lr, epochs)
    return ContextRun(losses, (layer.H.copy(),), W0, (W1, W2), diverged)


class _HiddenLayer:
    """One bias-free hidden layer h = g(W1 x), ŷ = W2 h, with its preallocated buffers.

    ``gate is None``: ReLU. Otherwise a fixed gate (S, h, P); an all-ones gate (the common
    pathway) is skipped (x · 1 = x exactly). Only the products the gradient needs are formed;
    each is the reference's product with the same operands in the same order, so every
    rounding is the reference's. Data, gate, mask and buffers take the weights' dtype (for
    float64 weights nothing is copied or converted).
    """

    def __init__(self, W1, W2, gate, grad_mask, X):
        S, h, _ = W1.shape
        P = X.shape[1]
        dt = W1.dtype
        X = X.astype(dt, copy=False)
        self.W1, self.W2, self.X = W1, W2, X
        self.XT = X.T
        self.gate = None if gate is None or np.all(gate == 1.0) else gate.astype(dt, copy=False)
        self.relu = gate is None
        self.grad_mask = None if grad_mask is None else grad_mask.astype(dt, copy=False)
        self.Z = np.empty((S, h, P), dtype=dt)
        self.H = self.Z if not self.relu and self.gate is None else np.empty((S, h, P), dtype=dt)
        self.Yhat = np.empty((S, W2.shape[1], P), dtype=dt)
        self.back = np.empty((S, h, P), dtype=dt)
        self.active = np.empty((S, h, P), dtype=bool) if self.relu else None
        self.G1 = np.empty_like(W1)
        self.G2 = np.empty_like(W2)

    def forward(self) -> np.ndarray:
        np.matmul(self.W1, self.X, out=self.Z)
        if self.relu:
            np.maximum(self.Z, 0.0, out=self.H)
        elif self.gate is not None:
            np.multiply(self.Z, self.gate, out=self.H)
        return np.matmul(self.W2, self.H, out=self.Yhat)

    def backward_and_step(self, E: np.ndarray, lr: float) -> None:
        """Gradients of ½‖E‖² (E = ŷ − target) for both layers, then W ← W − lr ∇."""
        np.matmul(E, self.H.transpose(0, 2, 1), out=self.G2)
        np.matmul(self.W2.transpose(0, 2, 1), E, out=self.back)
        if self.relu:
            np.greater(self.Z, 0.0, out=self.active)
            self.back *= self.active
        elif self.gate is not None:
            self.back *= self.gate
        np.matmul(self.back, self.XT, out=self.G1)
        if self.grad_mask is not None:
            self.G1 *= self.grad_mask
        self.G1 *= lr
        self.W1 -= self.G1
        self.G2 *= lr
        self.W2 -= self.G2


def context_only_basis(context_of: np.ndarray, n_contexts: int) -> np.ndarray:
    """Orthonormal basis (P × C) of the functions of the context alone on the data: column c
    is the indicator of context c divided by √(its number of datapoints) (contexts are
    disjoint, so the columns are orthonormal); P = Q Qᵀ."""
    ind = (np.asarray(context_of)[:, None] == np.arange(n_contexts)[None, :]).astype(float)
    return ind / np.sqrt(np.maximum(ind.sum(axis=0), 1.0))


def _single_net_gd(layer: _HiddenLayer, Y: np.ndarray, lr: float, epochs: int):
    """Full-batch GD of one one-hidden-layer net on ½‖ŷ − Y‖²: (losses, diverged).

    The arithmetic of :func:`_train_context_net_reference` operation for operation (losses
    equal bit for bit, tested); what is saved is every allocation.
    """
    S = layer.W1.shape[0]
    Y = Y.astype(layer.W1.dtype, copy=False)
    losses = np.full((S, epochs + 1), np.nan)
    E = np.empty_like(layer.Yhat)
    limit = None
    for k in range(epochs + 1):
        progress.tick("gradient descent epochs", k, epochs)
        np.subtract(layer.forward(), Y, out=E)
        loss = 0.5 * np.einsum("sij,sij->s", E, E)
        losses[:, k] = loss
        if limit is None:  # from the float64 copy: 1e-300 is 0 in float32
            limit = DIVERGENCE_FACTOR * np.maximum(losses[:, k], 1e-300)
        # loss >= 0 or nan: "not all <= limit" is has_diverged's "non-finite or above limit"
        if not np.all(loss <= limit):
            return losses, k
        if k == epochs:
            break
        layer.backward_and_step(E, lr)
    return losses, None


@dataclass
class _SplitRun:
    """One context net's bookkeeping in :func:`_split_gd` (mutable: filled epoch by epoch)."""

    layer: _HiddenLayer
    losses: np.ndarray
    context_only: np.ndarray | None
    E: np.ndarray
    limit: np.ndarray | None = None
    diverged: int | None = None


def _split_gd(
    common: _HiddenLayer,
    contexts: Sequence[_HiddenLayer],
    Y: np.ndarray,
    lr: float,
    epochs: int,
    Q: np.ndarray | None = None,
) -> list[tuple[np.ndarray, int | None, np.ndarray | None]]:
    """Full-batch GD with the authors' split loss of one common pathway and one or more
    context nets: per context net (losses, diverged, context_only).

    The common net descends ½‖ŷ_c − Y‖², each context net ½‖ŷ_x − (Y − ŷ_c)‖², both at the
    same weights; the loss recorded is the second. The common net's descent does not read
    any context net, so several context nets whose networks have the *same* common pathway
    (same initial weights, no gate: the authors' ReLN and modular nets drawn from one seed,
    which share their first module) share its forward and backward passes: each net's
    arithmetic is exactly that of its own run, so its numbers are the same bit for bit
    (tested), at the common pathway's cost once instead of once per net. A context net that
    diverges stops (its weights as they were at that epoch, as alone); the others go on.

    ``context_only`` (3, S, epochs + 1) is recorded when a context-only basis ``Q``
    (:func:`context_only_basis`) is given, else None. The arithmetic is the reference loop's
    (:func:`_train_pathway_network_reference`) operation for operation, so the losses are
    equal bit for bit; what is saved is the reference's second common forward pass, the
    products by all-ones gates, and every allocation.
    """
    dt = common.W1.dtype
    S = common.W1.shape[0]
    Y = Y.astype(dt, copy=False)
    record = Q is not None
    Qd = Q.astype(dt, copy=False) if record else None
    runs = [
        _SplitRun(
            layer,
            np.full((S, epochs + 1), np.nan),
            np.full((3, S, epochs + 1), np.nan) if record else None,
            np.empty_like(layer.Yhat),
        )
        for layer in contexts
    ]
    Ec = np.empty_like(common.Yhat)
    residual = np.empty_like(common.Yhat)
    for k in range(epochs + 1):
        progress.tick("gradient descent epochs", k, epochs)
        active = [r for r in runs if r.diverged is None]
        yc = common.forward()
        np.subtract(yc, Y, out=Ec)
        np.subtract(Y, yc, out=residual)
        EcQ = Ec @ Qd if record else None
        for r in active:
            np.subtract(r.layer.forward(), residual, out=r.E)
            loss = 0.5 * np.einsum("sij,sij->s", r.E, r.E)
            r.losses[:, k] = loss
            if record:  # ½‖E P‖² = ½‖E Q‖² (Q orthonormal): read only, arithmetic unchanged
                EQ = r.E @ Qd
                r.context_only[0, :, k] = 0.5 * np.einsum("sij,sij->s", EQ, EQ)
                r.context_only[1, :, k] = 0.5 * np.einsum("sij,sij->s", EcQ, EcQ)
                EQ -= EcQ  # (ŷ_c + ŷ_x − Y) Q − (ŷ_c − Y) Q = ŷ_x Q
                r.context_only[2, :, k] = 0.5 * np.einsum("sij,sij->s", EQ, EQ)
            if r.limit is None:  # from the float64 copy: 1e-300 is 0 in float32
                r.limit = DIVERGENCE_FACTOR * np.maximum(r.losses[:, k], 1e-300)
            # loss >= 0 or nan: "not all <= limit" is has_diverged's "non-finite or above"
            if not np.all(loss <= r.limit):
                r.diverged = k
        active = [r for r in active if r.diverged is None]
        if not active or k == epochs:
            break
        common.backward_and_step(Ec, lr)
        for r in active:
            r.layer.backward_and_step(r.E, lr)
    return [(r.losses, r.diverged, r.context_only) for r in runs]


def _train_context_net_reference(
    task: ContextTask,
    weights: Sequence[np.ndarray],
    lr: float,
    epochs: int,
    *,
    gates: Sequence[np.ndarray] | None = None,
    input_mask: np.ndarray | None = None,
    dtype: str = DEFAULT_DTYPE,
) -> ContextRun:
    """Full-batch GD for S stacked bias-free networks with 1 or 2 hidden layers (reference).

    ``gates is None``: ReLU network. Otherwise a gated linear network (GDLN with per-unit
    gates, e.g. the ReLN or the modular network): h_l = G_l ⊙ (W_l h_{l−1}), G_l fixed
    (S, h_l, P) in {0, 1}. ``input_mask`` (S, h_1, n_in) zeroes first-layer weights (item-only
    pathways); masked entries start at 0 and get no gradient. All seeds advance in one
    batched matmul per layer. ``dtype``: as :func:`train_context_net`.
    """
    X, Y = as_dtype(task.X, dtype), as_dtype(task.Y, dtype)
    Ws = [cast(W, dtype) for W in weights]
    if gates is not None:
        gates = [as_dtype(G, dtype) for G in gates]
    if input_mask is not None:
        input_mask = as_dtype(input_mask, dtype)
        Ws[0] *= input_mask
    W0 = tuple(W.copy() for W in Ws)
    S = Ws[0].shape[0]
    losses = np.full((S, epochs + 1), np.nan)
    loss0 = None
    diverged = None
    acts: tuple[np.ndarray, ...] = ()
    for k in range(epochs + 1):
        progress.tick("gradient descent epochs", k, epochs)
        loss, grads, acts = context_loss_and_grads(Ws, X, Y, gates, input_mask)
        losses[:, k] = loss
        if loss0 is None:  # from the float64 copy: 1e-300 is 0 in float32
            loss0 = np.maximum(losses[:, k], 1e-300)
        if has_diverged(loss, loss0):
            diverged = k
            break
        if k == epochs:
            break
        for W, g in zip(Ws, grads, strict=True):
            W -= lr * g
    return ContextRun(losses, tuple(acts), W0, tuple(Ws), diverged)


def context_loss_and_grads(Ws, X, Y, gates=None, input_mask=None, weight_masks=None):
    """Per-seed losses ½Σ‖Y − ŷ‖² (S,), hand-written gradients and hidden activities.

    ReLU (``gates is None``): h_l = max(W_l h_{l−1}, 0), backward through the indicator
    1[W_l h_{l−1} > 0]. Gated linear: h_l = G_l ⊙ (W_l h_{l−1}), backward through G_l.
    ``Y`` may be (n_out, P) or per seed (S, n_out, P). ``weight_masks`` (one entry per layer,
    None = free) zero the gradient of structurally absent weights (block-diagonal pathways).
    """
    S = Ws[0].shape[0]
    L = len(Ws)
    acts = [np.broadcast_to(X, (S, *X.shape))]
    pres = []
    for i in range(L - 1):
        Z = Ws[i] @ acts[-1]
        pres.append(Z)
        acts.append(np.maximum(Z, 0.0) if gates is None else Z * gates[i])
    E = Ws[-1] @ acts[-1] - Y
    loss = 0.5 * np.einsum("sij,sij->s", E, E)
    back = E
    grads = [None] * L
    for i in range(L - 1, -1, -1):
        grads[i] = back @ acts[i].transpose(0, 2, 1)
        if i > 0:
            back = Ws[i].transpose(0, 2, 1) @ back
            back = back * (pres[i - 1] > 0) if gates is None else back * gates[i - 1]
    if input_mask is not None:
        grads[0] = grads[0] * input_mask
    if weight_masks is not None:
        grads = [g if m is None else g * m for g, m in zip(grads, weight_masks, strict=True)]
    return loss, grads, tuple(acts[1:])


def gated_linear_predict(Ws, X, gates) -> np.ndarray:
    """ŷ = W_L (G_{L−1} ⊙ (… (G_1 ⊙ (W_1 X)))) for stacked seeds: (S, n_out, P)."""
    h = X
    for W, G in zip(Ws[:-1], gates, strict=True):
        h = (W @ h) * G
    return Ws[-1] @ h


# ------------------------------------------------------------ the authors' pathway construction


#: Initial sd of the context pathways relative to the common pathway's in the authors' code
#: (3_context_diff/gdln.py: 2e1 vs 1e1 × 0.0005/700, the common sd equal to the ReLU's; `code`).
CONTEXT_PATHWAY_STD_FACTOR = 2.0


def authors_pathway_sets(n_contexts: int, construction: str) -> tuple[tuple[int, ...], ...]:
    """Context sets of the context pathways (the common pathway, all contexts, is separate).

    "authors-mixed": the (C−1)-subsets; "authors-all": the single contexts then the
    (C−1)-subsets (deduplicated when C = 2); "modular": the single contexts
    (make-haste-slowly 3_context_diff/gdln_single.py; `code`); "authors": authors-all for
    C = 3, authors-mixed otherwise. Used for the two-hidden-layer pathways (`reconstructed`);
    one hidden layer uses :func:`theory.gdln.authors_module_net`, which has the authors' order.
    """
    C = n_contexts
    if construction == "authors":
        construction = "authors-all" if C == 3 else "authors-mixed"
    single = [(c,) for c in range(C)]
    mixed = [tuple(a) for a in itertools.combinations(range(C), C - 1)] if C >= 2 else []
    sets = {"authors-mixed": mixed, "authors-all": single + mixed, "modular": single}[construction]
    return tuple(dict.fromkeys(sets))


def pathway_width(hidden: int, n_contexts: int) -> int:
    """Units per pathway: hidden / (2C + 1), the authors' 700 / 7 = 100 for C = 3.

    3_context_diff/gdln.py splits the ReLU's 700 units into 1 + 3 + 3 modules of 100 (`code`);
    for other C the same rule (common + C single + C mixed slots) is a `reconstructed` choice.
    """
    return max(1, hidden // (2 * n_contexts + 1))


@dataclass(frozen=True)
class PathwayNetwork:
    """A common pathway (full input, every datapoint, all outputs: a plain linear net) and K
    gated context pathways (item input only, active on the data of their contexts, all
    outputs), each ``width`` units per hidden layer, block-diagonal between hidden layers.

    common : weights per layer (S, out, in). context : weights per layer, hidden layers of
    K · width units (pathway k owns units k·width … (k+1)·width − 1). gates : per hidden
    layer (S, K·width, P). masks : per layer, 1 where a context weight exists.
    """

    sets: tuple[tuple[int, ...], ...]
    width: int
    common: tuple[np.ndarray, ...]
    context: tuple[np.ndarray, ...]
    common_gates: tuple[np.ndarray, ...]
    gates: tuple[np.ndarray, ...]
    masks: tuple[np.ndarray | None, ...]


def build_pathway_network(
    task: ContextTask,
    sets: Sequence[tuple[int, ...]],
    width: int,
    depth: int,
    std: float,
    seeds: Sequence[int],
) -> PathwayNetwork:
    """Block-diagonal pathways through ``depth`` hidden layers (`reconstructed`), used for two
    hidden layers: independent normal init (own PCG64 stream per seed), common pathway sd
    ``std``, context pathways sd CONTEXT_PATHWAY_STD_FACTOR · std.

    Not the authors' depth network: depth/gdln_off.py is dense between the hidden layers and
    gates only at the output (:func:`init_depth_net`, :func:`train_depth_net`). One hidden
    layer uses the authors' modules (:func:`module_pathway_network`).
    """
    n_in, n_out, P = task.X.shape[0], task.Y.shape[0], task.X.shape[1]
    K = len(sets)
    common_sizes = [n_in, *([width] * depth), n_out]
    ctx_sizes = [n_in, *([K * width] * depth), n_out]
    common, context = [[] for _ in range(depth + 1)], [[] for _ in range(depth + 1)]
    for s in seeds:
        # a stream distinct from the ReLU's (seed s): spawn key 1
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(s, spawn_key=(1,))))
        for i, (m, n) in enumerate(itertools.pairwise(common_sizes)):
            common[i].append(rng.normal(0.0, std, (n, m)))
        for i, (m, n) in enumerate(itertools.pairwise(ctx_sizes)):
            context[i].append(rng.normal(0.0, CONTEXT_PATHWAY_STD_FACTOR * std, (n, m)))
    owner = np.repeat(np.arange(K), width)  # pathway of each context unit
    member = np.array([[c in A for c in range(task.n_contexts)] for A in sets], dtype=bool)
    gate = member[owner][:, task.context_of].astype(float)  # (K·width, P)
    S = len(seeds)
    item_only = np.zeros((K * width, n_in))
    item_only[:, : task.n_items] = 1.0
    block = (owner[:, None] == owner[None, :]).astype(float)
    masks = [item_only, *([block] * (depth - 1)), None]
    context = [np.stack(w) for w in context]
    context = [w if m is None else w * m for w, m in zip(context, masks, strict=True)]
    return PathwayNetwork(
        tuple(sets),
        width,
        tuple(np.stack(w) for w in common),
        tuple(context),
        tuple(np.ones((S, width, P)) for _ in range(depth)),
        tuple(np.broadcast_to(gate, (S, *gate.shape)) for _ in range(depth)),
        tuple(masks),
    )


def module_pathway_network(
    task: ContextTask, net: ModuleNet, seeds: Sequence[int]
) -> PathwayNetwork:
    """The authors' one-hidden-layer module GDLN (gdln.py, gdln_single.py, gdln3/4/5.py;
    `code`) as a :class:`PathwayNetwork`: module 0 is the common pathway (full input), the
    used modules k > 0 are item-only pathways gated on ``net.modules[k]``; weights drawn by
    :func:`init_module_net` (unused modules are drawn too, so the stream is theirs)."""
    n_in, n_out, P = task.X.shape[0], task.Y.shape[0], task.X.shape[1]
    W1, W2 = init_module_net(net, n_in, n_out, seeds)
    w = net.width
    ctx = net.context_modules
    rows = np.concatenate([np.arange(k * w, (k + 1) * w) for k in ctx])
    sets = tuple(net.modules[k] for k in ctx)
    owner = np.repeat(np.arange(len(ctx)), w)
    member = np.array([[c in A for c in range(task.n_contexts)] for A in sets], dtype=bool)
    gate = member[owner][:, task.context_of].astype(float)
    item_only = np.zeros((rows.size, n_in))
    item_only[:, : task.n_items] = 1.0  # their context modules read params[0][:, :num_obj]
    S = len(seeds)
    return PathwayNetwork(
        sets,
        w,
        (W1[:, :w], W2[:, :, :w]),
        (W1[:, rows] * item_only, W2[:, :, rows]),
        (np.ones((S, w, P)),),
        (np.broadcast_to(gate, (S, *gate.shape)),),
        (item_only, None),
    )


def train_pathway_network(
    task: ContextTask,
    net: PathwayNetwork,
    lr: float,
    epochs: int,
    dtype: str = DEFAULT_DTYPE,
) -> ContextRun:
    """Full-batch GD with the authors' split loss (3_context_diff/gdln.py, `code`).

    The common pathway descends ½‖Y − ŷ_common‖² (it learns as if alone); the context pathways
    descend ½‖(Y − ŷ_common) − ŷ_context‖² with ŷ_common held fixed, which is the total loss
    as a function of their weights. Both gradients are taken at the same weights, then both
    steps applied. Recorded loss: the total ½‖Y − ŷ_common − ŷ_context‖².

    One hidden layer runs :func:`_split_gd` (one common forward pass per epoch instead of
    two, no products by the common pathway's all-ones gates, preallocated buffers; losses bit
    for bit those of :func:`_train_pathway_network_reference`, tested); deeper pathways run
    the reference loop. ``dtype``: as :func:`train_context_net`.
    """
    return train_pathway_networks(task, (net,), lr, epochs, dtype)[0]


def _has_fast_path(net: PathwayNetwork) -> bool:
    return len(net.common) == 2 and len(net.context) == 2 and net.masks[1] is None


def _same_common_pathway(a: PathwayNetwork, b: PathwayNetwork) -> bool:
    """Equal common weights and gates: the two common descents are the same computation."""
    pairs = zip((*a.common, *a.common_gates), (*b.common, *b.common_gates), strict=True)
    return all(x.shape == y.shape and np.array_equal(x, y) for x, y in pairs)


def train_pathway_networks(
    task: ContextTask,
    nets: Sequence[PathwayNetwork],
    lr: float,
    epochs: int,
    dtype: str = DEFAULT_DTYPE,
) -> tuple[ContextRun, ...]:
    """:func:`train_pathway_network` of every net of ``nets``, in order, the same numbers bit
    for bit; one-hidden-layer nets whose common pathways are equal (the authors' ReLN and
    modular nets from one seed: their first module is drawn first from the same stream) are
    trained side by side on one common pathway (:func:`_split_gd`), which is computed once
    per epoch instead of once per net."""
    runs: list[ContextRun | None] = [None] * len(nets)
    groups: list[list[int]] = []
    for i, net in enumerate(nets):
        if not _has_fast_path(net):
            runs[i] = _train_pathway_network_reference(task, net, lr, epochs, dtype)
            continue
        group = next((g for g in groups if _same_common_pathway(nets[g[0]], net)), None)
        if group is None:
            groups.append([i])
        else:
            group.append(i)
    Q = context_only_basis(task.context_of, task.n_contexts)
    for group in groups:
        first = nets[group[0]]
        common = _HiddenLayer(
            *(cast(W, dtype) for W in first.common), first.common_gates[0], None, task.X
        )
        contexts, starts = [], []
        for i in group:
            Wx = [cast(W, dtype) for W in nets[i].context]
            starts.append(tuple(W.copy() for W in Wx))
            contexts.append(_HiddenLayer(Wx[0], Wx[1], nets[i].gates[0], nets[i].masks[0], task.X))
        results = _split_gd(common, contexts, task.Y, lr, epochs, Q)
        for i, layer, W0, (losses, diverged, ctx_only) in zip(
            group, contexts, starts, results, strict=True
        ):
            runs[i] = ContextRun(
                losses, (layer.H.copy(),), W0, (layer.W1, layer.W2), diverged, ctx_only
            )
    return tuple(runs)


def _train_pathway_network_reference(
    task: ContextTask, net: PathwayNetwork, lr: float, epochs: int, dtype: str = DEFAULT_DTYPE
) -> ContextRun:
    """The split-loss GD of :func:`train_pathway_network` as first written (the reference its
    fast path is tested equal to, and the route for two hidden layers)."""
    X, Y = as_dtype(task.X, dtype), as_dtype(task.Y, dtype)
    Wc = [cast(W, dtype) for W in net.common]
    Wx = [cast(W, dtype) for W in net.context]
    common_gates = [as_dtype(G, dtype) for G in net.common_gates]
    gates = [as_dtype(G, dtype) for G in net.gates]
    masks = [None if m is None else as_dtype(m, dtype) for m in net.masks]
    W0 = tuple(W.copy() for W in Wx)
    S = Wc[0].shape[0]
    losses = np.full((S, epochs + 1), np.nan)
    loss0 = None
    diverged = None
    acts: tuple[np.ndarray, ...] = ()
    for k in range(epochs + 1):
        progress.tick("gradient descent epochs", k, epochs)
        y_common = gated_linear_predict(Wc, X, common_gates)
        _, grads_c, _ = context_loss_and_grads(Wc, X, Y, common_gates)
        loss, grads_x, acts = context_loss_and_grads(Wx, X, Y - y_common, gates, weight_masks=masks)
        losses[:, k] = loss
        if loss0 is None:  # from the float64 copy: 1e-300 is 0 in float32
            loss0 = np.maximum(losses[:, k], 1e-300)
        if has_diverged(loss, loss0):
            diverged = k
            break
        if k == epochs:
            break
        for W, g in zip(Wc, grads_c, strict=True):
            W -= lr * g
        for W, g in zip(Wx, grads_x, strict=True):
            W -= lr * g
    return ContextRun(losses, tuple(acts), W0, tuple(Wx), diverged)


def init_depth_net(net: DepthNet, n_in: int, n_out: int, seeds: Sequence[int]):
    """(W₁, W₂, W₃), each (S, out, in), drawn as depth/gdln_off.py draws them (`code`):
    W₁'s seven (60, n_in) row blocks; W₂'s 7 × 7 (60, 60) blocks, block row by block row;
    W₃'s seven (n_out, 60) column blocks (sd 8 b for the context modules)."""
    K, w = net.n_modules, net.width
    out_sd = [net.std_out_common if k < net.n_common else net.std_out_context for k in range(K)]
    blocks = (
        [(net.std_in, (w, n_in))] * K
        + [(net.std_hidden, (w, w))] * (K * K)
        + [(sd, (n_out, w)) for sd in out_sd]
    )
    W1, W2, W3 = [], [], []
    for s in seeds:
        b = legacy_normal_draws(s, blocks)
        W1.append(np.vstack(b[:K]))
        W2.append(np.vstack([np.hstack(b[K + r * K : K + (r + 1) * K]) for r in range(K)]))
        W3.append(np.hstack(b[K + K * K :]))
    return [np.stack(W1), np.stack(W2), np.stack(W3)]


def depth_net_gates(task: ContextTask, net: DepthNet) -> np.ndarray:
    """(n_context_modules · w, P): module n_common + j is on in contexts context_sets[j]."""
    member = np.array(
        [[c in A for c in range(task.n_contexts)] for A in net.context_sets], dtype=float
    )
    return np.repeat(member, net.width, axis=0)[:, task.context_of]


def train_depth_net(
    task: ContextTask,
    net: DepthNet,
    weights: Sequence[np.ndarray],
    epochs: int | None = None,
    dtype: str = DEFAULT_DTYPE,
) -> ContextRun:
    """Full-batch GD of depth/gdln_off.py with its staged schedule and split loss (`code`).

    h₁ = W₁x, h₂ = W₂h₁ (dense, shared), ŷ_common = W₃[:, :n_c·w] h₂[:n_c·w],
    ŷ_context = W₃[:, n_c·w:] (G ⊙ h₂[n_c·w:]). Update number k + 1 (their loop's epoch e = k):
    nothing for e < start_epoch; the gradient of ½‖ŷ_common − Y‖² for e < switch_epoch; then
    that plus the gradient of ½‖ŷ_context − (Y − ŷ_common)‖² with ŷ_common held fixed (both at
    the same weights; the context loss also moves the shared W₁, W₂). Hand-written backward
    pass. Recorded loss: ½‖ŷ_common + ŷ_context − Y‖² after k updates, k = 0 … epochs.
    ``dtype``: as :func:`train_context_net`.
    """
    X, Y = as_dtype(task.X, dtype), as_dtype(task.Y, dtype)
    epochs = net.n_epochs if epochs is None else epochs
    W1, W2, W3 = (cast(W, dtype) for W in weights)
    W0 = (W1.copy(), W2.copy(), W3.copy())
    cw = net.n_common * net.width
    G = as_dtype(depth_net_gates(task, net), dtype)
    S = W1.shape[0]
    losses = np.full((S, epochs + 1), np.nan)
    h2 = None
    for k in range(epochs + 1):
        progress.tick("gradient descent epochs", k, epochs)
        h1 = W1 @ X
        h2 = W2 @ h1
        y_common = W3[:, :, :cw] @ h2[:, :cw]
        gated = h2[:, cw:] * G
        E = y_common + W3[:, :, cw:] @ gated - Y
        losses[:, k] = 0.5 * np.einsum("sij,sij->s", E, E)
        if k == epochs:
            break
        if k < net.start_epoch:
            continue
        Ec = y_common - Y
        d3 = np.zeros_like(W3)
        d3[:, :, :cw] = Ec @ h2[:, :cw].transpose(0, 2, 1)
        back = np.zeros_like(h2)
        back[:, :cw] = W3[:, :, :cw].transpose(0, 2, 1) @ Ec
        if k >= net.switch_epoch:
            d3[:, :, cw:] = E @ gated.transpose(0, 2, 1)
            back[:, cw:] = (W3[:, :, cw:].transpose(0, 2, 1) @ E) * G
        d2 = back @ h1.transpose(0, 2, 1)
        d1 = (W2.transpose(0, 2, 1) @ back) @ X.T
        W1 -= net.lr * d1
        W2 -= net.lr * d2
        W3 -= net.lr * d3
    return ContextRun(losses, (h2,), W0, (W1, W2, W3), None)


def unit_context_sets(hidden: np.ndarray, context_of: np.ndarray, n_contexts: int) -> np.ndarray:
    """Boolean (S, h, C): unit active (h > 0) on at least one item of context c."""
    return np.stack(
        [np.any(hidden[:, :, context_of == c] > 0, axis=2) for c in range(n_contexts)], -1
    )


def unit_strength(hidden: np.ndarray, out_weights: np.ndarray) -> np.ndarray:
    """Output contribution of each unit, ‖W_out[:, u]‖ · max_µ h_u(µ): (S, h)."""
    return np.linalg.norm(out_weights, axis=1) * hidden.max(axis=2)


def strong_units(strength: np.ndarray, fraction: float) -> np.ndarray:
    """Units whose contribution is at least ``fraction`` of the strongest in their network."""
    return strength >= fraction * strength.max(axis=1, keepdims=True)


def count_by_active_contexts(active: np.ndarray, strong: np.ndarray, n_contexts: int) -> np.ndarray:
    """(S, C + 1): number of strong units active in exactly k contexts, k = 0..C."""
    k = active.sum(axis=2)
    return np.stack([np.sum(strong & (k == j), axis=1) for j in range(n_contexts + 1)], axis=1)


def gates_from_context_sets(
    sets: np.ndarray, keep: np.ndarray, context_of: np.ndarray
) -> np.ndarray:
    """Per-unit gates G[s, u, µ] = keep[s, u] · sets[s, u, context(µ)]: (S, h, P)."""
    return (sets[:, :, context_of] & keep[:, :, None]).astype(float)


def modular_context_sets(common: np.ndarray, keep: np.ndarray, n_contexts: int) -> np.ndarray:
    """Modular reassignment: common units keep all contexts; the other kept units are dealt
    round-robin to single contexts (one pathway per context). (S, h, C) boolean."""
    S, h = keep.shape
    sets = np.zeros((S, h, n_contexts), dtype=bool)
    sets[common] = True
    for s in range(S):
        others = np.flatnonzero(keep[s] & ~common[s])
        sets[s, others, np.arange(others.size) % n_contexts] = True
    return sets


def item_only_mask(common: np.ndarray, n_items: int, n_inputs: int) -> np.ndarray:
    """(S, h, n_in) input mask: common units see the full input, others only the item."""
    mask = np.ones((*common.shape, n_inputs))
    mask[:, :, n_items:] = common[:, :, None].astype(float)
    return mask


@dataclass(frozen=True)
class ContextExperiment:
    """ReLU, ReLN and modular GDLN on one context task, S seeds batched."""

    relu: ContextRun
    reln: ContextRun
    modular: ContextRun
    counts: np.ndarray  # (S, C + 1) strong units by number of active contexts (last layer pooled)
    strong_fraction: float
    pathway_sets: tuple[tuple[tuple[int, ...], ...], ...]  # per seed, the ReLN's context sets
    construction: str = "authors-mixed"


def relu_unit_counts(task: ContextTask, relu: ContextRun, strong_fraction: float):
    """Per hidden layer of the trained ReLU: context sets (S, h, C), strong units (S, h), and
    the pooled (S, C + 1) counts of strong units by number of active contexts.

    A unit's context set: the contexts in which it is active (h > 0) on at least one item at
    the end of training; strong: output contribution ‖W_next[:, u]‖ · max_µ h_u(µ) at least
    ``strong_fraction`` × the largest in its layer (`reconstructed`: the authors' code counts
    no units; their gates are hard-coded modules, not read off the ReLU).
    """
    C = task.n_contexts
    sets, keeps = [], []
    counts = np.zeros((relu.weights[0].shape[0], C + 1), dtype=int)
    for layer, H in enumerate(relu.hidden):
        act = unit_context_sets(H, task.context_of, C)
        keep = strong_units(unit_strength(H, relu.weights[layer + 1]), strong_fraction)
        counts += count_by_active_contexts(act, keep, C)
        sets.append(act)
        keeps.append(keep)
    return sets, keeps, counts


def run_context_experiment(
    task: ContextTask,
    hidden: Sequence[int],
    lr: float,
    epochs: int,
    init_std: float,
    seeds: Sequence[int],
    strong_fraction: float = 0.1,
    item_only: bool = True,
    construction: str = "authors-mixed",
    dtype: str = DEFAULT_DTYPE,
    workers: int | None = None,
) -> ContextExperiment:
    """Train the ReLU net, count its units by context set, build and train ReLN and modular.

    ``construction`` in RELN_CONSTRUCTIONS. The ReLU net is drawn as relu.py draws it; with one
    hidden layer the ReLN and the modular GDLN are the authors' module networks
    (:func:`theory.gdln.authors_module_net`, drawn by :func:`init_module_net` from the same
    seed: 3_context_diff/gdln.py, gdln_single.py, diff_context_num/gdln3/4/5.py, `code`),
    trained with the split common/residual loss (``train_pathway_network``); the modular GDLN
    is the common pathway plus one pathway per context. Two hidden layers: block-diagonal
    pathways (`reconstructed`, :func:`build_pathway_network`). "relu-gates"
    (`reconstructed`) is ``run_relu_gated_experiment``. ``dtype``: the arithmetic of every
    training loop (:func:`train_context_net`); the inits are drawn in float64 whatever it is.

    The three trainings are independent (the authors' ReLN and modular nets are fixed module
    networks, not read off the ReLU). The ReLN and the modular net drawn from one seed have
    the same common pathway (module 0, drawn first), whose split-loss descent reads neither,
    so they train side by side on one common pathway (:func:`train_pathway_networks`, the
    same numbers bit for bit). The ReLU and that pair run ``workers`` at a time, the ReLU
    in a forked copy of this process (:func:`mtl_theory.numerics.blas.run_forked`; default
    :func:`~mtl_theory.numerics.blas.nested_jobs`: both at once outside a pool, one at a
    time in a pool's processes), one BLAS thread each: the numbers are a serial run's, bit
    for bit (tested).
    "relu-gates" trains its ReLN and modular nets side by side (forked) after the ReLU
    they read.
    """
    if construction not in RELN_CONSTRUCTIONS:
        raise ValueError(f"construction must be one of {RELN_CONSTRUCTIONS}, got {construction!r}")
    if construction == "relu-gates":
        return run_relu_gated_experiment(
            task, hidden, lr, epochs, init_std, seeds, strong_fraction, item_only, dtype, workers
        )
    sizes = [task.X.shape[0], *hidden, task.Y.shape[0]]
    W0 = init_context_weights(sizes, init_std, seeds)
    C = task.n_contexts
    nets = {}
    for name, kind in (("reln", construction), ("modular", "modular")):
        if len(hidden) == 1:
            mnet = authors_module_net(C, kind, hidden[0], init_std)
            nets[name] = module_pathway_network(task, mnet, seeds)
        else:
            sets = authors_pathway_sets(C, kind)
            nets[name] = build_pathway_network(
                task, sets, pathway_width(hidden[0], C), len(hidden), init_std, seeds
            )
    # three independent trainings (none reads another's result): run side by side, with
    # the results of a serial run (run_forked)
    relu, (reln, modular) = run_forked(
        [
            lambda: train_context_net(task, W0, lr, epochs, dtype=dtype),
            # one common pathway for both when they share it (same seed, same first module)
            lambda: train_pathway_networks(
                task, (nets["reln"], nets["modular"]), lr, epochs, dtype
            ),
        ],
        workers,
    )
    _, _, counts = relu_unit_counts(task, relu, strong_fraction)
    common = tuple(range(C))
    reln_sets = (common, *nets["reln"].sets)
    return ContextExperiment(
        relu,
        reln,
        modular,
        counts,
        strong_fraction,
        tuple(reln_sets for _ in seeds),
        construction,
    )


def run_relu_gated_experiment(
    task: ContextTask,
    hidden: Sequence[int],
    lr: float,
    epochs: int,
    init_std: float,
    seeds: Sequence[int],
    strong_fraction: float = 0.1,
    item_only: bool = True,
    dtype: str = DEFAULT_DTYPE,
    workers: int | None = None,
) -> ContextExperiment:
    """This project's alternative ReLN ("relu-gates", `reconstructed`), not the authors'.

    Gating structure (per hidden layer): a unit's context set is the set of contexts in which
    it is active on some item at the end of training; only strong units (output contribution
    ≥ ``strong_fraction`` × the largest in that layer) are kept. The ReLN gives every kept unit
    fixed gates on its context set, starts from the ReLU's own initial weights, cuts the
    context input of units not active in all contexts (item-only pathways) and trains on the
    total loss. The modular GDLN is identical except that the non-common kept units are dealt
    to single contexts.
    """
    sizes = [task.X.shape[0], *hidden, task.Y.shape[0]]
    W0 = init_context_weights(sizes, init_std, seeds)
    relu = train_context_net(task, W0, lr, epochs, dtype=dtype)
    C = task.n_contexts
    sets, keeps, counts = relu_unit_counts(task, relu, strong_fraction)
    commons = [k & a.all(axis=2) for a, k in zip(sets, keeps, strict=True)]
    mask = item_only_mask(commons[0] if item_only else keeps[0], task.n_items, task.X.shape[0])
    reln_gates = [
        gates_from_context_sets(a, k, task.context_of) for a, k in zip(sets, keeps, strict=True)
    ]
    mod_sets = [modular_context_sets(c, k, C) for c, k in zip(commons, keeps, strict=True)]
    mod_gates = [
        gates_from_context_sets(a, k, task.context_of) for a, k in zip(mod_sets, keeps, strict=True)
    ]
    # Units with no gate anywhere never move: drop them (padded to the widest seed) so the
    # gated networks cost only what they use.
    idx = _kept_index(keeps)
    w0 = _take_units(relu.weights0, idx)
    mask_k = _take_rows(mask, idx[0])
    reln, modular = run_forked(
        [
            lambda g=g: train_context_net(
                task, w0, lr, epochs, gates=_take_gates(g, idx), input_mask=mask_k, dtype=dtype
            )
            for g in (reln_gates, mod_gates)
        ],
        workers,
    )
    pathway_sets = tuple(
        tuple(
            sorted(
                {
                    tuple(int(c) for c in np.flatnonzero(a[s, u]))
                    for a, k in zip(sets, keeps, strict=True)
                    for u in np.flatnonzero(k[s])
                }
            )
        )
        for s in range(len(seeds))
    )
    return ContextExperiment(
        relu, reln, modular, counts, strong_fraction, pathway_sets, "relu-gates"
    )


def _kept_index(keeps: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Per layer, (S, w) indices of kept units first (w = most kept in any seed)."""
    out = []
    for keep in keeps:
        w = int(keep.sum(axis=1).max())
        out.append(np.argsort(~keep, axis=1, kind="stable")[:, :w])
    return out


def _take_rows(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return np.take_along_axis(a, idx[:, :, None], axis=1)


def _take_gates(gates, idx) -> list[np.ndarray]:
    return [_take_rows(g, i) for g, i in zip(gates, idx, strict=True)]


def _take_units(weights, idx) -> list[np.ndarray]:
    """Restrict stacked weights to the selected hidden units of every layer."""
    out = []
    for layer, W in enumerate(weights):
        if layer < len(idx):
            W = _take_rows(W, idx[layer])
        if layer > 0:
            W = np.take_along_axis(W, idx[layer - 1][:, None, :], axis=2)
        out.append(W)
    return out


def context_checkpoint_losses(run: ContextRun, checkpoints: Sequence[int]) -> np.ndarray:
    """(S, len(checkpoints)) losses, nan past a divergence."""
    cps = [min(c, run.losses.shape[1] - 1) for c in checkpoints]
    return run.losses[:, cps]


def layer_sizes(task: ContextTask, hidden: Sequence[int]) -> list[int]:
    return [task.X.shape[0], *hidden, task.Y.shape[0]]
