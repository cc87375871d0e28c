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

``--cost``: the calibration of ``mtl_theory.cost``'s MILP model instead. Per grid, the CPU
seconds to build each program of the route (``milp_program``, the sparse stack and the
solver's input arrays; no solve) against its nonzeros counted by ``milp_size``, the fitted
seconds per nonzero (ratio of sums on the ``CALIBRATION`` grids) and the ratio measured /
estimated on the others with the constant *in cost.py*; the peak resident memory of the
largest program built and handed to HiGHS (a fresh child per grid sampling its resident
set every millisecond; a 0.01 s solve, so HiGHS's search tree is not in it); and the whole
route (``proofs.wta.milp_solves``, quick limits unless ``--route-full``) against the
estimate. Usage: ``OPENBLAS_NUM_THREADS=1 nice python benchmarks/bench_wta_milp.py --cost``.
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


#: Grids of the --cost calibration (factors = modules, factor-onehot tasks).
CALIBRATION = ((4, 4, 4), (8, 8))
VALIDATION = ((2, 3), (3, 3), (4, 4), (2, 2, 2, 2), (6, 6), (3, 3, 3), (5, 5, 5), (10, 10))
#: Grids whose whole route --cost runs (quick limits unless --route-full).
ROUTE_GRIDS = ((2, 3), (3, 3), (4, 4))

_CHILD = """
import os, sys, threading
from scipy.optimize import Bounds, milp
from mtl_theory.cost import wta_milp_programs
from mtl_theory.numerics import wta_milp as wm
from mtl_theory.proofs.wta import MILP_ZERO_TOL
from mtl_theory.theory import wta as tw
page = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * page
peak, stop = [0], threading.Event()
def watch():
    while not stop.is_set():
        peak[0] = max(peak[0], rss())
        stop.wait(0.001)
f = tuple(int(v) for v in sys.argv[1].split(","))
setup = tw.WTASetup(f, f, tw.make_targets(f, "factor-onehot"))
sizes = wta_milp_programs(setup)
base = rss()
watcher = threading.Thread(target=watch)
watcher.start()
prog = wm.milp_program(setup, objective="zero", nonsymbolic_only=True, zero_tol=MILP_ZERO_TOL)
res = milp(prog.cost, constraints=wm._stack([b for _, b in prog.blocks], prog.n_cols),
           integrality=prog.integrality, bounds=Bounds(prog.lower, prog.upper),
           options={"time_limit": 0.01, "presolve": True})
stop.set()
watcher.join()
print(max(peak[0], rss()) - base, prog.n_nonzeros, max(s.nonzeros for s in sizes))
"""


def _route_programs(setup):
    """The keyword sets of proofs.wta.milp_solves's programs (cost.wta_milp_programs')."""
    kws = [dict(objective="zero", zero_tol=MILP_ZERO_TOL)]
    if wm.support_connected(setup.grid[wm.milp_points(setup)]):
        kws.append(dict(objective="zero", nonsymbolic_only=True, zero_tol=MILP_ZERO_TOL))
    return [*kws, dict(objective="linf")]


def _build_all(setup):
    """Build every program of the route and its solver input (no solve); nonzeros built."""
    import numpy as np
    from scipy.optimize import Bounds

    nnz = 0
    for kw in _route_programs(setup):
        prog = wm.milp_program(setup, **kw)
        wm._stack([b for _, b in prog.blocks], prog.n_cols)
        Bounds(np.asarray(prog.lower), np.asarray(prog.upper))
        nnz += prog.n_nonzeros
    return nnz


def cost_calibration(route_quick: bool) -> None:
    """The --cost report (module docstring)."""
    import os

    from mtl_theory.proofs import wta as pw

    from mtl_theory import cost as mc

    print(f"load average at start: {os.getloadavg()}", flush=True)
    measured: dict[tuple[int, ...], tuple[float, int]] = {}
    for f in CALIBRATION + VALIDATION:
        setup = tw.WTASetup(f, f, tw.make_targets(f, "factor-onehot"))
        counted = mc.wta_milp_size(setup)[2]
        nnz, wall, cpu = _timed(lambda s=setup: _build_all(s))
        assert nnz == counted, (f, nnz, counted)
        measured[f] = (cpu, nnz)
        est = nnz * mc.MILP_BUILD_SECONDS_PER_NONZERO
        print(f"build {f}: {nnz:>9,} nonzeros  cpu {cpu:8.3f} s  wall {wall:8.3f} s  "
              f"{cpu / nnz * 1e6:6.2f} us/nonzero  measured/estimated {cpu / est:5.2f}",
              flush=True)  # fmt: skip
    fit = sum(measured[f][0] for f in CALIBRATION) / sum(measured[f][1] for f in CALIBRATION)
    print(f"fit (ratio of sums on {CALIBRATION}): {fit:.3g} s per nonzero "
          f"(cost.py has {mc.MILP_BUILD_SECONDS_PER_NONZERO:.3g})", flush=True)  # fmt: skip
    for f in CALIBRATION + VALIDATION:
        run = subprocess.run(
            [sys.executable, "-c", _CHILD, ",".join(map(str, f))],
            check=True,
            capture_output=True,
            text=True,
        )
        grown, nnz, largest = (int(v) for v in run.stdout.split())
        est = largest * mc.MILP_BYTES_PER_NONZERO
        print(f"memory {f}: peak RSS growth {grown / 2**20:8.1f} MiB for {nnz:,} nonzeros "
              f"({grown / nnz:6.0f} B/nonzero); estimate {est / 2**20:8.1f} MiB "
              f"(measured/estimated {grown / est:5.2f})", flush=True)  # fmt: skip
    for f in ROUTE_GRIDS:
        setup = tw.WTASetup(f, f, tw.make_targets(f, "factor-onehot"))
        solves, wall, cpu = _timed(lambda s=setup: pw.milp_solves(s, route_quick))
        est = mc.wta_milp_cost(setup, route_quick).seconds
        statuses = [x.status for x in (solves.reach, solves.nonsymbolic, solves.best) if x]
        print(f"route {f} (quick {route_quick}): cpu {cpu:8.2f} s  wall {wall:8.2f} s  "
              f"estimate {est:8.1f} s  measured/estimated {cpu / est:.4f} (cpu)  {statuses}",
              flush=True)  # fmt: skip
    print(f"load average at end: {os.getloadavg()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-limit", type=float, default=120.0)
    parser.add_argument("--new-limit", type=float, default=300.0)
    parser.add_argument("--skip-old", action="store_true")
    parser.add_argument("--grids", type=int, nargs="*", help="indices into GRIDS")
    parser.add_argument("--cost", action="store_true", help="calibrate cost.py's MILP model")
    parser.add_argument("--route-full", action="store_true", help="--cost: full time limits")
    args = parser.parse_args()
    if args.cost:
        cost_calibration(route_quick=not args.route_full)
        return
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
