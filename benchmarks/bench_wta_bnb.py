"""WTA code search: branch-and-bound beside exhaustive search and the MILP on shared grids.

Prints one line per (grid, route): codes in the grid, nodes whose bound was evaluated /
pruned / inherited (branch-and-bound), wall and CPU seconds, and the answer each route gives
(zero-loss codes; does a zero-loss non-symbolic code exist). Routes run side by side in this
process; wall time on a shared machine depends on the load, CPU time less so. The MILP (the
non-symbolic-only L-infinity program, the one that certifies the same question) is given a
time limit and is run only where it finishes in reasonable time; exhaustive search only below
its code limit.

Usage: ``python benchmarks/bench_wta_bnb.py [--milp-limit SECONDS] [--skip-milp]``
"""

from __future__ import annotations

import argparse
import time

from mtl_theory.numerics import wta as nw
from mtl_theory.numerics import wta_bnb as bb
from mtl_theory.proofs.wta import MILP_ZERO_TOL
from mtl_theory.theory import wta as tw

GRIDS = (
    ((2, 2), (2, 2), "sum", True),
    ((2, 3), (2, 3), "factor-onehot", True),
    ((2, 2, 2), (2, 2, 2), "factor-onehot", False),
    ((3, 3), (3, 3), "factor-onehot", False),
    ((3, 3), (3, 3), "xor", False),
    ((2, 2, 2, 2), (2, 2, 2, 2), "factor-onehot", False),
    ((4, 4), (4, 4), "factor-onehot", False),
)


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--milp-limit", type=float, default=120.0)
    parser.add_argument("--skip-milp", action="store_true")
    args = parser.parse_args()
    for factors, modules, tasks, milp_ok in GRIDS:
        setup = tw.WTASetup(factors, modules, tw.make_targets(factors, tasks), task_name=tasks)
        n_codes = nw.count_codes(setup.n_points, modules)
        head = f"{factors}/{modules} {tasks}, {n_codes:.3g} codes"
        b, wall, cpu = _timed(lambda s=setup: bb.bnb_search(s, minimize=True))
        print(
            f"{head}: bnb      visited {b.nodes_visited:>9,} pruned {b.nodes_pruned:>9,} "
            f"inherited {b.nodes_new_unit:>7,}  wall {wall:7.2f} s  cpu {cpu:7.2f} s  "
            f"zero-loss {b.zero_loss_codes}, non-symbolic exists {b.counterexample is not None}, "
            f"min loss {b.min_loss:.4g}, complete {b.complete_search}",
            flush=True,
        )
        if n_codes <= nw.MAX_EXHAUSTIVE_CODES:
            e, wall, cpu = _timed(lambda s=setup: nw.exhaustive_search(s))
            print(
                f"{head}: exhaust. visited {e.n_codes:>9,} codes{'':26} wall {wall:7.2f} s  "
                f"cpu {cpu:7.2f} s  zero-loss {e.zero_loss_codes}, non-symbolic exists "
                f"{e.counterexample is not None}, min loss {e.min_loss:.4g}",
                flush=True,
            )
        if milp_ok and not args.skip_milp:
            m, wall, cpu = _timed(
                lambda s=setup: nw.milp_search(
                    s, objective="linf", nonsymbolic_only=True, time_limit=args.milp_limit
                )
            )
            found = m.loss is not None and m.loss <= MILP_ZERO_TOL
            print(
                f"{head}: milp     status {m.status}{'':34} wall {wall:7.2f} s  cpu {cpu:7.2f} s  "
                f"non-symbolic exists {found} (L-inf optimum over non-symbolic codes {m.loss})",
                flush=True,
            )


if __name__ == "__main__":
    main()
