"""Kernels as they were before a bit-identical rewrite (issue 12), kept as references: the
tests compare the toolkit's kernels with them, and the benchmarks time them side by side.
"""

from __future__ import annotations

import math

import numpy as np
from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import evidence_protocol as npr


class TextbookAdam:
    """numerics.evidence.Adam before its update went into scratch buffers: the textbook
    update m, v, bias correction, step (Kingma and Ba 2015, Alg. 1; PyTorch's defaults)."""

    def __init__(self, lr: float) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, 0.9, 0.999, 1e-8
        self.m: dict = {}
        self.v: dict = {}
        self.k = 0

    def step(self, params: dict, grads: dict) -> None:
        self.k += 1
        for name, g in grads.items():
            m = self.m.setdefault(name, np.zeros_like(g))
            v = self.v.setdefault(name, np.zeros_like(g))
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            mhat = m / (1 - self.beta1**self.k)
            vhat = v / (1 - self.beta2**self.k)
            params[name] -= self.lr * mhat / (np.sqrt(vhat) + self.eps)


def two_array_adam_decoder_fit(features, latents, test_features, rng, path_steps, path_features):
    """numerics.evidence_protocol.fit_adam_decoder before W and b were stacked into one array
    with preallocated products: the textbook Adam on separate W and b, allocating products.
    Returns (predictions per test set, path predictions, W, b)."""
    batch, n_batches = npr.AUTHORS_BATCH, features.shape[0] // npr.AUTHORS_BATCH
    steps = npr.test_steps(n_batches)
    bound = 1.0 / np.sqrt(features.shape[1])
    W = rng.uniform(-bound, bound, (features.shape[1], latents.shape[1]))
    params = {"W": W, "b": rng.uniform(-bound, bound, latents.shape[1])}
    opt = TextbookAdam(npr.AUTHORS_DECODER_LR)
    per_step = [x.shape[0] // len(steps) for x in test_features]
    preds: list[list[np.ndarray]] = [[] for _ in test_features]
    path = []
    for i in range(n_batches):
        X = features[i * batch : (i + 1) * batch]
        err = X @ params["W"] + params["b"] - latents[i * batch : (i + 1) * batch]
        g = 2.0 * err / err.size
        opt.step(params, {"W": X.T @ g, "b": g.sum(axis=0)})
        if i in steps:
            j = steps.index(i)
            for s, x in enumerate(test_features):
                sl = slice(j * per_step[s], (j + 1) * per_step[s])
                preds[s].append(x[sl] @ params["W"] + params["b"])
        if i in path_steps:
            path.append(path_features @ params["W"] + params["b"])
    return [np.concatenate(p) for p in preds], path, params["W"], params["b"]


def gated_forward_scanning(graph, weights, X, node_gates, edge_gates):
    """numerics.gdln.gated_forward before its GatedPlan: the topological order recomputed
    and every edge scanned at each node, on every call."""
    h = {}
    P = next(iter(X.values())).shape[1]
    for v in graph.topological_order():
        if v in graph.inputs:
            h[v] = X[v] * node_gates[v]
            continue
        acc = np.zeros((graph.sizes[v], P))
        for e, (src, dst) in enumerate(graph.edges):
            if dst == v:
                acc += (weights[e] @ h[src]) * edge_gates[e]
        h[v] = acc * node_gates[v]
    return h


def gated_loss_and_grads_scanning(graph, weights, X, Y, node_gates, edge_gates):
    """numerics.gdln.gated_loss_and_grads before its GatedPlan (see gated_forward_scanning)."""
    P = next(iter(X.values())).shape[1]
    h = gated_forward_scanning(graph, weights, X, node_gates, edge_gates)
    delta = {v: np.zeros((graph.sizes[v], P)) for v in graph.sizes}
    loss = 0.0
    for v in graph.outputs:
        E = h[v] - Y[v]
        loss += 0.5 * float(np.sum(E * E)) / P
        delta[v] += E / P
    grads = [np.zeros(graph.shape(e)) for e in range(len(graph.edges))]
    for v in reversed(graph.topological_order()):
        if v in graph.inputs:
            continue
        back = delta[v] * node_gates[v]
        for e, (src, dst) in enumerate(graph.edges):
            if dst == v:
                be = back * edge_gates[e]
                grads[e] += be @ h[src].T
                delta[src] += weights[e].T @ be
    return loss, grads


def bayes_observer_mc_einsum(
    samples: np.ndarray,
    C: np.ndarray,
    d: np.ndarray,
    sigma: float,
    *,
    prior: str = "box",
    n_nodes: int = 2048,
    proposal_scale: float = 1.5,
    defensive: float = 0.1,
    rng: np.random.Generator,
    chunk: int = 64,
) -> ne.ObserverEstimate:
    """numerics.evidence.bayes_observer_mc before its D <= 2 path: every sum over the last
    axis by np.sum / np.all / np.einsum (verbatim otherwise)."""
    if prior not in ("box", "flat"):
        raise ValueError(f"prior must be 'box' or 'flat', given {prior!r}")
    n, t, D = samples.shape
    s_sum = samples.sum(axis=1)
    s_sq = np.sum(samples**2, axis=(1, 2))
    centre = s_sum / t
    scale = proposal_scale * sigma / math.sqrt(t)
    log_box = -D * math.log(2 * ne.BOX_HALF_WIDTH)
    p_out = np.empty((n, C.shape[0]))
    se_out = np.empty_like(p_out)
    mean_out = np.empty((n, D))
    ess_out = np.empty(n)
    for start in range(0, n, chunk):
        sl = slice(start, min(n, start + chunk))
        b = centre[sl].shape[0]
        gauss = centre[sl][:, None, :] + scale * rng.standard_normal((b, n_nodes, D))
        unif = rng.uniform(-ne.BOX_HALF_WIDTH, ne.BOX_HALF_WIDTH, size=(b, n_nodes, D))
        pick = rng.random((b, n_nodes, 1)) < defensive
        nodes = np.where(pick, unif, gauss)
        in_box = np.all(np.abs(nodes) <= ne.BOX_HALF_WIDTH, axis=2)
        log_g = -np.sum((nodes - centre[sl][:, None, :]) ** 2, axis=2) / (2 * scale**2) - D * (
            math.log(scale) + 0.5 * math.log(2 * math.pi)
        )
        log_u = np.where(in_box, log_box, -np.inf)
        log_q = np.logaddexp(math.log1p(-defensive) + log_g, math.log(defensive) + log_u)
        # sum_tau ||X - x||^2 = sum ||X||^2 - 2 x . sum X + t ||x||^2
        sq = (
            s_sq[sl, None]
            - 2 * np.einsum("bmd,bd->bm", nodes, s_sum[sl])
            + t * np.sum(nodes**2, axis=2)
        )
        logw = -sq / (2 * sigma**2) - log_q
        if prior == "box":
            logw = np.where(in_box, logw, -np.inf)
        logw -= logw.max(axis=1, keepdims=True)
        w = np.exp(logw)
        w /= w.sum(axis=1, keepdims=True)
        inside = (np.einsum("bmd,nd->bmn", nodes, C) + d > 0).astype(float)
        p = np.einsum("bm,bmn->bn", w, inside)
        # delta-method SE of the self-normalized estimator: sqrt(sum w^2 (f - p)^2)
        se = np.sqrt(np.einsum("bm,bmn->bn", w**2, (inside - p[:, None, :]) ** 2))
        p_out[sl] = p
        se_out[sl] = se
        mean_out[sl] = np.einsum("bm,bmd->bd", w, nodes)
        ess_out[sl] = 1.0 / np.sum(w**2, axis=1)
    return ne.ObserverEstimate(
        p=p_out, se=se_out, posterior_mean=mean_out, n_nodes=n_nodes, ess=ess_out
    )


def nll_probit_two_terms(theta, A, y):
    """numerics.evidence._nll_probit before it evaluated one log Phi per sample: both
    log Phi(s) and log Phi(-s) for every sample, one per label's term."""
    from scipy.special import log_ndtr

    s = A @ theta
    log_cdf, log_sf = log_ndtr(s), log_ndtr(-s)
    val = -np.sum(y * log_cdf + (1 - y) * log_sf)
    logphi = -0.5 * s**2 - 0.5 * math.log(2 * math.pi)
    g = -(y * np.exp(logphi - log_cdf) - (1 - y) * np.exp(logphi - log_sf))
    return val, A.T @ g
