"""WTA code search: the reformulated MILP beside the earlier MILP, the branch-and-bound and
exhaustive search, on the grids of issue 13.

One line per (grid, route): wall and CPU seconds (routes run one after another in this
process; on a shared machine CPU time is the fairer figure) and the answer each route gives
to the question all four certify — *does a zero-loss non-symbolic code exist?* — with its
status. A route stopped by its time limit answers "undecided".

* old MILP: ``numerics/wta.py:milp_search`` at commit ``OLD_COMMIT`` (cvxpy + HiGHS, L-inf
  minimum over non-symbolic codes, constant big-M, certificate valid only for readouts
  within it), loaded from git so the comparison is with the code as it was;
* new MILP: :mod:`mtl_theory.numerics.wta_milp`, the zero-loss feasibility program over
  non-symbolic codes (and over all codes: "zero loss reachable");
* bnb: :func:`mtl_theory.numerics.wta_bnb.bnb_search` (complete enumeration of zero-loss
  codes, proved pruning bound);
* exhaustive: :func:`mtl_theory.numerics.wta.exhaustive_search`, below its code limit.

Usage: ``python benchmarks/bench_wta_milp.py [--old-limit S] [--new-limit S] [--skip-old]``
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mtl_theory.numerics import wta as nw
from mtl_theory.numerics import wta_bnb as bb
from mtl_theory.numerics import wta_milp as wm
from mtl_theory.proofs.wta import MILP_ZERO_TOL
from mtl_theory.theory import wta as tw

#: The last commit with the cvxpy big-M formulation (numerics/wta.py:milp_search).
OLD_COMMIT = "66f3cc7"
GRIDS = (
    ((2, 2), (2, 2), "sum"),
    ((2, 3), (2, 3), "factor-onehot"),
    ((3, 3), (3, 3), "factor-onehot"),
    ((2, 2, 2, 2), (2, 2, 2, 2), "factor-onehot"),
    ((4, 4), (4, 4), "factor-onehot"),
)


def load_old_wta():
    """numerics/wta.py at OLD_COMMIT as a module (its imports resolve to today's package)."""
    root = Path(__file__).resolve().parents[1]
    text = subprocess.run(
        ["git", "show", f"{OLD_COMMIT}:numerics/wta.py"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp(prefix="bench-wta-milp-")) / "old_wta.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("old_wta", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_wta"] = module
    spec.loader.exec_module(module)
    return module


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _line(head: str, route: str, wall: float, cpu: float, answer: str) -> None:
    print(f"{head}: {route:<11} wall {wall:8.2f} s  cpu {cpu:8.2f} s  {answer}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-limit", type=float, default=120.0)
    parser.add_argument("--new-limit", type=float, default=300.0)
    parser.add_argument("--skip-old", action="store_true")
    parser.add_argument("--grids", type=int, nargs="*", help="indices into GRIDS")
    args = parser.parse_args()
    old = None if args.skip_old else load_old_wta()
    for k, (factors, modules, tasks) in enumerate(GRIDS):
        if args.grids and k not in args.grids:
            continue
        setup = tw.WTASetup(factors, modules, tw.make_targets(factors, tasks), task_name=tasks)
        n_codes = nw.count_codes(setup.n_points, modules)
        head = f"{factors}/{modules} {tasks}, {n_codes:.3g} codes"
        b, wall, cpu = _timed(lambda s=setup: bb.bnb_search(s))
        _line(head, "bnb", wall, cpu, f"exists {b.counterexample is not None} "
              f"(complete {b.complete_search}; {b.zero_loss_codes} zero-loss codes; "
              f"{b.nodes_visited:,} bounds)")  # fmt: skip
        if n_codes <= nw.MAX_EXHAUSTIVE_CODES:
            e, wall, cpu = _timed(lambda s=setup: nw.exhaustive_search(s))
            _line(head, "exhaustive", wall, cpu, f"exists {e.counterexample is not None} "
                  f"({e.zero_loss_codes} zero-loss codes of {e.n_codes:,})")  # fmt: skip
        r, wall, cpu = _timed(
            lambda s=setup: wm.milp_search(
                s, objective="zero", zero_tol=MILP_ZERO_TOL, time_limit=args.new_limit
            )
        )
        reach = (r.status == "optimal") if r.decided else "undecided"
        _line(head, "new MILP 0", wall, cpu, f"zero loss reachable {reach} (status {r.status})")
        r, wall, cpu = _timed(
            lambda s=setup: wm.milp_search(
                s, objective="zero", nonsymbolic_only=True, zero_tol=MILP_ZERO_TOL,
                time_limit=args.new_limit,
            )
        )  # fmt: skip
        answer = (r.status == "optimal") if r.decided else "undecided"
        size = f"{r.n_binaries} binaries, {r.n_rows} rows; time limit {args.new_limit:g} s"
        _line(head, "new MILP ns", wall, cpu, f"exists {answer} (status {r.status}; {size})")
        if old is not None:
            m, wall, cpu = _timed(
                lambda s=setup: old.milp_search(
                    s, objective="linf", nonsymbolic_only=True, time_limit=args.old_limit
                )
            )
            found = m.loss is not None and m.loss <= MILP_ZERO_TOL
            decided = m.status == "optimal" or found
            _line(head, "old MILP ns", wall, cpu, f"exists {found if decided else 'undecided'} "
                  f"(status {m.status}, L-inf optimum {m.loss}; bound active {m.bound_active}; "
                  f"time limit {args.old_limit:g} s)")  # fmt: skip


if __name__ == "__main__":
    main()
