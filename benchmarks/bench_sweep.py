"""Sweep engine: 2 workers vs 1 on a CPU-bound diagram (target >= 1.7x); resume overhead.

Usage: ``python benchmarks/bench_sweep.py [--diagram NAME]``. Without ``--diagram`` the
points are a fixed CPU-bound numpy kernel (defined here) so the ratio measures the engine,
not a particular theory. Both runs happen in this script, one after the other.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# One BLAS thread in this process too, as in the workers: otherwise the 1-worker baseline runs
# multi-threaded BLAS, which on small matrices and a busy machine is far slower, and the ratio
# would flatter the engine.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402
from mtl_theory.numerics.sweep import run_sweep  # noqa: E402


def cpu_point(params, seed):
    """About 0.4 s of single-threaded matrix work per point."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((200, 200)) / 200**0.5
    acc = 0.0
    for _ in range(int(params["reps"])):
        a = np.tanh(a @ a + 0.1)
        acc += float(a.trace())
    return {"acc": acc}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--diagram", default=None)
    args = parser.parse_args()
    if args.diagram:
        from mtl_theory.registry import load_registry

        diagram = load_registry().diagrams()[args.diagram]
        name, compute, points = diagram.name, diagram.compute, list(diagram.points())
    else:
        name, compute = "bench-cpu", cpu_point
        points = [{"i": i, "reps": 1000} for i in range(24)]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        one = run_sweep(name, compute, points, tmp / "one.sqlite", workers=1)
        t1 = time.perf_counter()
        two = run_sweep(name, compute, points, tmp / "two.sqlite", workers=2)
        t2 = time.perf_counter()
        run_sweep(name, compute, points, tmp / "two.sqlite", workers=2, resume=True)
        t3 = time.perf_counter()
    same = [r.result for r in one] == [r.result for r in two]
    speedup = (t1 - t0) / (t2 - t1)
    print(
        f"sweep {name} ({len(points)} points): 1 worker {t1 - t0:.2f} s, 2 workers "
        f"{t2 - t1:.2f} s, speed-up {speedup:.2f}x (target >= 1.7x), identical results: {same}"
    )
    print(
        f"resume of the finished sweep: {t3 - t2:.3f} s = {(t3 - t2) / (t2 - t1):.3f} of a "
        "2-worker run (recomputes nothing)"
    )
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
