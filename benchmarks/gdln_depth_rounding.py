"""How reproducible is one deep-ReLU run? Rounding-level perturbations of the authors' init.

The authors' depth/relu.py (11 → 420 → 420 → 60 ReLU, sd 0.0006, η = 1e-3, 30000 updates) at
seed base 0 is trained four times from the same init: as drawn (float64), rounded to float32
(what their JAX run starts from), and multiplied by 1 + 1e-12·N(0, 1) with two draws. The loss
is printed at 12000 / 15000 / 22000 / 25000 / 30000 updates. If the final losses of these four
runs spread as widely as the authors' five seeds, a per-seed comparison of the final loss says
nothing and only the distribution over seeds can be compared (as the gdln-authors-depth
diagram does).

Not a test: about 2.5 min per run on a quiet core (one BLAS thread).

Usage: python benchmarks/gdln_depth_rounding.py [--updates 30000]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from mtl_theory.numerics import gdln as num
from mtl_theory.theory import gdln as th
from mtl_theory.theory import gdln_authors as ga
from threadpoolctl import threadpool_limits


def _perturbed(draw: int):
    def f(weights):
        rng = np.random.default_rng(draw)
        return [w * (1 + 1e-12 * rng.standard_normal(w.shape)) for w in weights]

    return f


VARIANTS = {
    "float64 init (ours)": lambda weights: weights,
    "init rounded to float32": lambda weights: [
        w.astype(np.float32).astype(np.float64) for w in weights
    ],
    "init × (1 + 1e-12 N(0,1)), draw 1": _perturbed(1),
    "init × (1 + 1e-12 N(0,1)), draw 2": _perturbed(2),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=30000)
    args = parser.parse_args()
    task = th.AUTHORS_DATASETS["gen_data3-same"].task()
    init = [ga.depth_runs()["depth-gdln"].init_seeds[0]]
    cfg = th.AUTHORS_DEPTH_RELU
    sizes = [task.X.shape[0], *cfg["hidden"], task.Y.shape[0]]
    w0 = num.init_context_weights(sizes, cfg["std"], init)
    marks = [u for u in (12000, 15000, 22000, 25000, 30000) if u <= args.updates]
    out = {}
    with threadpool_limits(1):
        for name, variant in VARIANTS.items():
            start = time.perf_counter()
            curve = num.train_context_net(task, variant(w0), cfg["lr"], args.updates).losses[0]
            out[name] = {u: float(curve[u]) for u in marks}
            print(f"{name}: {out[name]}  ({time.perf_counter() - start:.0f} s)", flush=True)
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
