"""Kernels as they were before a bit-identical rewrite (issue 12), kept as references: the
tests compare the toolkit's kernels with them, and the benchmarks time them side by side.
"""

from __future__ import annotations

import numpy as np
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
