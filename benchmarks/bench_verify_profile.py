"""Profile of ``mtl-theory verify``: CPU seconds of every derivation and suite case (issue 12).

Runs the suite in one process (``run_verify(..., workers=1)``, the numbers every worker count
reproduces) and prints, longest first, each item's CPU seconds (its process, every thread,
and the children it waited for: ``cpu_seconds`` in report.json), its wall seconds and the
``cost_seconds`` the scheduler orders it by; then the total CPU and two wall-time figures for
W idle cores: the floor total / W, and the makespan of the suite's own schedule (longest
declared cost first, each item as one job of its CPU seconds on the first free worker). The
second is an upper estimate where an item computes in parallel itself (the trained-RNN case's
networks in child processes, the GDLN context experiment's threads). CPU seconds are what to
compare between runs on a shared machine; wall seconds are printed but mean little there.

Usage: python benchmarks/bench_verify_profile.py [--quick] [--workers W]
"""

from __future__ import annotations

import argparse
import heapq

from mtl_theory.api import registry
from mtl_theory.report import run_verify


def schedule_makespan(items, workers: int) -> float:
    """List scheduling in the suite's order (descending declared cost) on ``workers``."""
    free = [0.0] * workers
    for _cost, cpu in sorted(items, key=lambda x: -x[0]):
        heapq.heappush(free, heapq.heappop(free) + cpu)
    return max(free)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    reg = registry()
    costs = {(f.name, c.name): c.cost_seconds for f in reg.families.values() for c in f.suite}
    report = run_verify(reg, quick=args.quick, out_dir=None, workers=1)
    rows = [
        (d.cpu_seconds, d.seconds, 1.0, d.family, "derivation", d.name) for d in report.derivations
    ]
    rows += [
        (c.cpu_seconds, c.seconds, costs[(c.family, c.case.name)], c.family, "case", c.case.name)
        for c in report.cases
    ]
    print(f"{'cpu s':>8} {'wall s':>8} {'cost':>6}  item")
    for cpu, wall, cost, family, kind, name in sorted(rows, reverse=True):
        print(f"{cpu:8.2f} {wall:8.2f} {cost:6.1f}  {family} {kind} {name}")
    total = sum(r[0] for r in rows)
    W = args.workers
    print(
        f"verify{' --quick' if args.quick else ''}: {len(rows)} items, {total:.1f} s CPU "
        f"(one process, {report.seconds:.1f} s wall here); on {W} idle cores: floor "
        f"{total / W:.1f} s wall, the suite's schedule as single-threaded jobs "
        f"{schedule_makespan([(r[2], r[0]) for r in rows], W):.1f} s; everything holds: "
        f"{report.agrees}"
    )


if __name__ == "__main__":
    main()
