"""Training cost of the Fig. 3b/3c architectures per 1000 batches, as ratios to the RNN.

Side by side in one process, one BLAS thread (as the sweep workers run): each round trains
the toolkit's leaky RNN and then every architecture of ``numerics.evidence_arch`` for
``--batches`` batches of 16 (N_task = 6, sigma = 0.2, t = 20, the authors' all-steps loss),
timing CPU seconds (``time.process_time``; a shared machine's load inflates wall time, and
inflates CPU time less). Prints seconds per 1000 batches (median over ``--rounds``) and the
ratio to the RNN measured in the same round (median of the per-round ratios).
"""

from __future__ import annotations

import os
import sys

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from mtl_theory.numerics import evidence_arch as na  # noqa: E402
from mtl_theory.theory import evidence as te  # noqa: E402


def cost_per_1000(network: str, batches: int) -> float:
    C, d = te.even_normals(6), np.zeros(6)
    start = time.process_time()
    na.train_network(network, C, d, 0.2, 20, batches, seed=1)
    return (time.process_time() - start) / batches * 1000.0


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    costs = {n: [] for n in na.TRAINED_NETWORKS}
    for _ in range(args.rounds):
        for network in na.TRAINED_NETWORKS:
            costs[network].append(cost_per_1000(network, args.batches))
    base = np.array(costs["rnn"])
    for network, values in costs.items():
        ratio = float(np.median(np.array(values) / base))
        print(
            f"{network:13s} {np.median(values):6.2f} CPU s / 1000 batches   x{ratio:5.2f} the RNN"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
