"""SIGKILL ``mtl-theory verify --quick --out DIR`` at seeded random moments (issue 14 item 6).

One uninterrupted run into a clean directory gives the reference report and its wall time T;
then ``--kills`` runs into one directory are each killed (the whole process group, workers
included) after a seeded delay — half uniform over [0, T], half in the last quarter of T and
a little beyond, where the report is written. After every kill the report in DIR must be
absent or whole (both files of one run, strict JSON, a complete Markdown); after a final
uninterrupted run no temporary file and no older run's directory may remain, and the report
must equal the reference up to wall-clock times. Prints one line per kill and a summary;
exit 1 if anything was wrong.

    nice -n 10 python benchmarks/kill_verify.py --kills 20 --seed 0 [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from kill_support import comparable, kill_delays, kill_loop, leftovers, report_problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    exe = shutil.which("mtl-theory") or sys.exit("mtl-theory is not on PATH")
    env = os.environ | {"OPENBLAS_NUM_THREADS": "1"}
    work = Path(tempfile.mkdtemp(prefix="kill-verify-"))
    clean, out_dir = work / "clean", work / "out"

    def command(target: Path) -> list[str]:
        return [exe, "verify", "--quick", "--out", str(target), "--workers", str(args.workers)]

    start = time.perf_counter()
    ref = subprocess.run(command(clean), env=env, stdout=subprocess.DEVNULL, check=False)
    run_seconds = time.perf_counter() - start
    if ref.returncode != 0 or not (clean / "report.json").exists():
        print(f"the reference run failed (exit {ref.returncode}): nothing to compare with")
        return 2
    print(f"reference run: {run_seconds:.1f} s; load {os.getloadavg()[0]:.1f}", flush=True)
    delays = kill_delays(args.seed, args.kills, run_seconds)
    problems = kill_loop(command(out_dir), out_dir, delays, env=env, log=print)
    after_kills = leftovers(out_dir)
    subprocess.run(command(out_dir), env=env, stdout=subprocess.DEVNULL, check=False)
    problems += [f"after the next run: {p}" for p in report_problems(out_dir)]
    left = leftovers(out_dir)
    problems += [f"left behind after the next run: {p}" for p in left]
    got = json.loads((out_dir / "report.json").read_text())
    want = json.loads((clean / "report.json").read_text())
    if comparable(got, out_dir) != comparable(want, clean):
        problems.append("the report after the kills differs from the uninterrupted one")
    print(
        f"{args.kills} kills (seed {args.seed}): {len(problems)} problem(s); temporaries "
        f"present between kills: {len(after_kills)} ({after_kills[:4]}), after the next run: "
        f"{len(left)}; total {time.perf_counter() - start:.0f} s"
    )
    for p in problems:
        print("  " + p)
    shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
