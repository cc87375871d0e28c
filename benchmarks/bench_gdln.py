"""GDLN benchmarks, measured side by side in one process (ratios, not absolute claims).

1. The whole 3-context experiment at paper size (ReLU + ReLN + modular GDLN, 11 → 700 → 60,
   8001 epochs) plus the authors' closed form: wall time (target ≤ 10 s on an idle 2-core box).
2. S seeds batched (stacked weights, one matmul per layer) vs S sequential single-seed runs of
   the same ReLU network: wall-time ratio (target ≥ 2×) and peak traced memory of each.

Usage: python benchmarks/bench_gdln.py [--epochs-batch N] [--seeds S]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
from mtl_theory.numerics import gdln as num
from mtl_theory.theory import gdln as th


def _timed(fn):
    """Wall time of fn() (no tracing: tracemalloc slows numpy's allocations)."""
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _peak_mib(fn) -> float:
    """Peak traced Python/numpy memory of fn() in MiB (a separate, traced run)."""
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs-batch", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=8)
    args = parser.parse_args()
    task = th.context_task(3, "different")

    def experiment():
        ex = num.run_context_experiment(task, [700], 1e-3, 8000, 0.005 / 700, [0], 0.1)
        th.authors_closed_form_loss(task, np.arange(0, 8001, 10))
        return ex

    ex, dt = _timed(experiment)
    print(
        f"context experiment (ReLU+ReLN[authors-mixed]+modular+closed form, 700 hidden, "
        f"8001 epochs, 1 seed): "
        f"{dt:.1f} s; final losses ReLU {ex.relu.losses[0, -1]:.3g} "
        f"ReLN {ex.reln.losses[0, -1]:.3g} modular {ex.modular.losses[0, -1]:.3g}"
    )

    S, E = args.seeds, args.epochs_batch
    seeds = list(range(S))
    for width in (700, 40):
        sizes = [11, width, 60]
        std = 0.005 / width

        def batched(sizes=sizes, std=std):
            return num.train_context_net(task, num.init_context_weights(sizes, std, seeds), 1e-3, E)

        def sequential(sizes=sizes, std=std):
            return [
                num.train_context_net(task, num.init_context_weights(sizes, std, [s]), 1e-3, E)
                for s in seeds
            ]

        rb, tb = _timed(batched)
        rs, ts = _timed(sequential)
        same = all(np.allclose(rb.losses[k], r.losses[0], rtol=1e-12) for k, r in enumerate(rs))
        mb, ms = _peak_mib(batched), _peak_mib(sequential)
        print(
            f"ReLU 11-{width}-60, {E} epochs: S={S} batched {tb:.2f} s (peak {mb:.1f} MiB) vs "
            f"{S} sequential {ts:.2f} s (peak {ms:.1f} MiB): speed-up {ts / tb:.2f}x, "
            f"identical losses {same}"
        )


if __name__ == "__main__":
    main()
