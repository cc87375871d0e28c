"""Timing helpers shared by the benchmark scripts (CPU seconds, this machine's GEMM peak)."""

from __future__ import annotations

import time

import numpy as np


def cpu_seconds(fn):
    """``(fn(), CPU seconds it took)`` in this process (``time.process_time``)."""
    t0 = time.process_time()
    out = fn()
    return out, time.process_time() - t0


def matmul_peak(n: int = 2000, repeats: int = 3) -> float:
    """Best float64 GEMM rate of this process (FLOP/s), n x n times n x n."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n)), rng.random((n, n))
    a @ b  # warm-up: first call pays for thread start-up and page faults
    best = min(cpu_seconds(lambda: a @ b)[1] for _ in range(repeats))
    return 2.0 * n**3 / best
