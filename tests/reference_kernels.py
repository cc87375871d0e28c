"""Kernels as they were before a bit-identical rewrite (issue 12), kept as references: the
tests compare the toolkit's kernels with them, and the benchmarks time them side by side.
"""

from __future__ import annotations

import numpy as np


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
