"""EVIDENCE RNN training speed vs this machine's matrix-multiply peak, side by side.

Prints one line: training steps per second of the paper's RNN (BPTT + Adam, batch 16,
1 fixation + t = 20 stimulus + 1 decision step, the authors' layout) and the fraction of
the matmul peak (a 1024^3 float64 product timed in the same process, same thread count)
that its useful FLOPs reach.
Runs single-threaded (as the sweep workers do); pass --threads N to change.
"""

from __future__ import annotations

import os
import sys

THREADS = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = THREADS

import time  # noqa: E402

import numpy as np  # noqa: E402
from mtl_theory.numerics import evidence as ne  # noqa: E402
from mtl_theory.theory import evidence as te  # noqa: E402


def matmul_peak_gflops(n: int = 1024, repeats: int = 5) -> float:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    a @ b  # warm up
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(f) -> float:
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def rnn_flops_per_batch(B: int, t: int, D: int, n_tasks: int, H: int = 64) -> float:
    """Useful multiply-adds x 2: encoder, recurrent forward, BPTT (2 products per forward)."""
    enc = B * t * (D * 100 + 100 * 100 + 100 * 40)
    n_in = 41
    T = t + 2  # fixation + stimulus + decision steps
    forward = B * T * (n_in * H + H * H) + B * H * n_tasks
    backward = 2 * forward  # gradients w.r.t. inputs/states and w.r.t. weights
    return 2.0 * (enc + forward + backward)


def main() -> None:
    n_tasks, sigma, t, batches, B = 6, 0.2, 20, 1500, 16
    C, d = te.even_normals(n_tasks), np.zeros(n_tasks)
    peak = matmul_peak_gflops()
    result = ne.train_rnn(C, d, sigma, t, batches=batches, seed=0)
    per_batch = result.seconds / batches
    achieved = rnn_flops_per_batch(B, t, 2, n_tasks) / per_batch / 1e9
    steps = batches * (t + 2) / result.seconds
    full_budget_min = 1e5 * per_batch / 60
    print(
        f"evidence RNN ({THREADS} BLAS thread): {steps:,.0f} time steps/s "
        f"({1e3 * per_batch:.2f} ms per batch of {B}; paper budget 1e5 batches ~ "
        f"{full_budget_min:.1f} min), {achieved:.2f} GFLOP/s = {achieved / peak:.2%} of this "
        f"machine's float64 matmul peak ({peak:.1f} GFLOP/s, 1024^3 in the same process)"
    )


if __name__ == "__main__":
    main()
