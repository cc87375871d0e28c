"""Why the least-squares decoder fails on one trained EVIDENCE network (issue 10): per fit.

Trains network ``--network`` of a spec (the seed and protocol stream ``mtl-theory check``
gives it, so the numbers are those of the check's network of that index on this machine) and
prints, for every held-out quadrant and fit, the least-squares and the authors' Adam-decoder
(fixed protocol) OOD r², the largest held-out / training spread of one unit
(``held_out_spread_ratio``), the largest held-out excursion along one direction in training
spreads and the share of least squares' held-out error that the OLS prediction variance
accounts for (``least_squares_extrapolation``). Measured only. About 3-4 min of one core per
network at 10⁵ training batches.

    python benchmarks/evidence_least_squares_extrapolation.py \\
        benchmarks/reproductions/evidence-side-by-side-full-budget/ours_n6_b100000_d2000.toml \\
        --network 4
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from mtl_theory.numerics.blas import single_blas_thread
from mtl_theory.numerics.evidence_arch import TRAINED_NETWORKS
from mtl_theory.proofs import evidence_rnn as per

from mtl_theory.api import load_spec
from mtl_theory.spec import SpecError

QUADRANTS = ("(+,+)", "(-,+)", "(-,-)", "(+,-)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spec", help="an EVIDENCE spec with a trained network (network = ...)")
    parser.add_argument("--network", type=int, default=0, help="network index (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="mtl-theory check --seed")
    args = parser.parse_args(argv)
    try:
        loaded = load_spec(args.spec)
    except (SpecError, OSError) as exc:
        print(f"spec: {exc}", file=sys.stderr)
        return 2
    setup = loaded.setup
    if loaded.theory != "evidence" or setup.D != 2 or setup.network not in TRAINED_NETWORKS:
        print(
            f"spec: expected an EVIDENCE spec with D = 2 and network in {TRAINED_NETWORKS}, "
            f"given {args.spec}",
            file=sys.stderr,
        )
        return 2
    if not 0 <= args.network < setup.rnn_networks:
        print(
            f"--network: expected 0 ... {setup.rnn_networks - 1}, given {args.network}",
            file=sys.stderr,
        )
        return 2
    b = per.budget(setup, quick=False)
    work = (setup.C, setup.d, setup.sigma, setup.t, setup.rnn_loss, b, args.seed, args.network)
    with single_blas_thread():
        run = per.train_and_score((*work, setup.network))
    s = run.scores
    print(f"network {args.network} of {args.spec} (seed {args.seed}): per held-out quadrant, fit")
    print("quadrant fit  least-squares  Adam(fixed)  unit ratio  direction ratio  variance share")
    for q in range(4):
        for f in range(s.r2["least-squares"].shape[1]):
            ratio, share = s.extrapolation[q, f]
            print(
                f"{QUADRANTS[q]:8s} {f:3d}  {s.r2['least-squares'][q, f]:13.3f}  "
                f"{s.r2['authors-fixed'][q, f]:11.3f}  {s.spread_ratio[q, f]:10.3g}  "
                f"{ratio:15.4g}  {share:14.3g}"
            )
    print(
        f"medians: least-squares {np.median(s.r2['least-squares']):.3f}, Adam (fixed) "
        f"{np.median(s.r2['authors-fixed']):.3f}; ridge path median "
        + ", ".join(f"{v:.3f}" for v in np.median(s.ridge, axis=(0, 1)))
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
