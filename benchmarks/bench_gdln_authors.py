"""The authors' JAX 3-context scripts and the toolkit's 3-context experiment, timed in one script.

Usage::

    python benchmarks/bench_gdln_authors.py [--authors-python PY --authors-src DIR]
        [--work DIR] [--seed-base N] [--x64] [--repeat R] [--epochs N]

(a) The authors' side (issue 12 items 3 and 6), only when ``--authors-python`` is given: PY is
the python of a scratch venv OUTSIDE the repository with jax (CPU), numpy, matplotlib and
scikit-learn; DIR the unpacked CAandL-Lab/make-haste-slowly tree at b7d6e41 (commands in
benchmarks/README.md). Their five 3-context scripts (``3_context_diff/run.sh``: relu.py,
gdln.py, gdln_single.py, race.py, closed.py; replot.py only plots) are copied to a scratch
folder under ``--work`` and run as shipped, unchanged, one process each, through
authors_mhs/run_seeded.py (it seeds numpy's global state, from which their scripts draw the
init seed); each process's CPU (user + sys of the child, all its threads) and wall seconds.
Then the training loop alone of relu.py, gdln.py and gdln_single.py (authors_mhs/time_loop.py:
their own statements, the loop cut to its update and loss lines, the per-epoch MDS snapshots,
prints, plots and gdln.py's seven SVDs left out): JAX import, the first epoch (trace and XLA
compile) and the 8000 steady-state epochs separately, and its losses compared with the
as-shipped run's saved losses (same seed base: equal bit for bit if the loop timed is theirs).
JAX runs pinned to one thread (``XLA_FLAGS=--xla_cpu_multi_thread_eigen=false``, OMP /
OpenBLAS / MKL at 1 thread: one core against one core), float32 as shipped; ``--x64`` also
runs them with ``JAX_ENABLE_X64=1`` (float64, the toolkit's precision).

(b) The toolkit's 3-context experiment serial in this process, one BLAS thread (ReLU, ReLN,
modular, closed form: bench_gdln.networks), CPU seconds of each part, measured before the
authors' runs and after each round of them (``--repeat R`` rounds; the machine is shared: a
round's ratios use the mean of the toolkit runs before and after it, and with R > 1 the
ratio of each side's least CPU over the rounds is printed too). This side never imports jax.

Printed: every time, then the ratios against issue 12's targets: the five scripts as shipped
/ the toolkit's experiment (target >= 15x; 54.8 s measured for their five scripts earlier),
and each training loop / the toolkit's network (issue 12's earlier measurement: 1.5x for
relu.py's loop). Without ``--authors-python`` only (b) runs, after one line saying so.
Their runs do 8001 updates (range(8001)), the toolkit 8000 (8001 losses): the 1.25e-4
difference in work is not corrected for.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from bench_gdln import EPOCHS, networks
from mtl_theory.numerics import gdln as num
from mtl_theory.numerics.blas import single_blas_thread
from mtl_theory.theory import gdln as th
from timing import cpu_seconds

HERE = Path(__file__).resolve().parent
FOLDER = "3_context_diff"
#: run.sh's five computing scripts, in its order (`code`: 3_context_diff/run.sh at b7d6e41)
SCRIPTS = ("relu.py", "gdln.py", "gdln_single.py", "race.py", "closed.py")
#: script -> (toolkit part, losses file its as-shipped run saves) for the timed loops (`code`)
LOOPS = {
    "relu.py": ("ReLU", "losses/relu.txt"),
    "gdln.py": ("ReLN", "losses/gated.txt"),
    "gdln_single.py": ("modular", "losses/gated_single.txt"),
}
#: script -> the toolkit part computing the same thing (race.py has none in the experiment)
COUNTERPART = {**{s: part for s, (part, _) in LOOPS.items()}, "closed.py": "closed"}
PARTS = ("ReLU", "ReLN", "modular", "closed")
TARGET_RATIO = 15.0  # issue 12 item 3: >= 15x the authors' five scripts as shipped
EARLIER_SHIPPED_SECONDS = 54.8  # issue 12 item 3: their five scripts, measured earlier
EARLIER_LOOP_RATIO = 1.5  # issue 12: relu.py's training loop vs the toolkit's, earlier
#: one thread for XLA's CPU client and for numpy's BLAS in their processes. (The brief's
#: "intra_op_parallelism_threads=1" is no XLA flag: XLA rejects it with "--", ignores it without.)
PINNED_ENV = {
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "JAX_PLATFORMS": "cpu",
    "MPLBACKEND": "Agg",
}


@dataclass(frozen=True)
class Timed:
    """CPU (user + sys, all threads) and wall seconds of one process or stage."""

    cpu: float
    wall: float


@dataclass(frozen=True)
class LoopRun:
    """One timed training loop of the authors' (time_loop.py) and its check against the
    as-shipped run."""

    script: str
    dtype: str
    stages: dict[str, Timed]
    identical: bool
    max_rel: float


def run_child(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[Timed, str]:
    """Run cmd to completion; (its CPU from getrusage(RUSAGE_CHILDREN) deltas and wall, stdout).

    Raises SystemExit with the command and its stderr's last line if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - w0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no stderr)"])[-1]
        raise SystemExit(f"bench_gdln_authors: {' '.join(cmd)} in {cwd} failed: {last}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(cpu, wall), proc.stdout


def scratch_copy(src: Path, dest: Path) -> Path:
    """A fresh copy of their 3_context_diff/*.py in dest, with the folders their scripts
    write into (run.sh creates the same)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for f in (src / FOLDER).glob("*.py"):
        shutil.copy(f, dest / f.name)
    for sub in ("losses", "mds", "svs", "plots"):
        (dest / sub).mkdir()
    return dest


def parse_loop_times(stdout: str) -> dict:
    """The ``LOOP_TIMES {json}`` line of time_loop.py's output, decoded."""
    for line in stdout.splitlines():
        if line.startswith("LOOP_TIMES "):
            return json.loads(line[len("LOOP_TIMES ") :])
    raise SystemExit("bench_gdln_authors: time_loop.py printed no LOOP_TIMES line")


def compare_losses(shipped: np.ndarray, loop: np.ndarray) -> tuple[bool, float]:
    """(bit-for-bit equal, largest relative difference) of the two runs' loss curves."""
    if shipped.shape != loop.shape:
        return False, float("inf")
    return bool(np.array_equal(shipped, loop)), float(np.max(np.abs(loop - shipped) / shipped))


def authors_side(
    python: str, src: Path, work: Path, base: int, x64: bool
) -> tuple[dict[str, Timed], list[LoopRun]]:
    """Their five scripts as shipped, then their three training loops, in scratch copies."""
    env = {**os.environ, **PINNED_ENV}
    if x64:
        env["JAX_ENABLE_X64"] = "1"
    mode = "x64" if x64 else "f32"
    shipped, loops = {}, []
    for script in SCRIPTS:
        d = scratch_copy(src, work / f"{mode}-{script[:-3]}")
        cmd = [python, str(HERE / "authors_mhs" / "run_seeded.py"), str(base), script]
        shipped[script], _ = run_child(cmd, d, env)
        print(f"  {mode} {script:15s} as shipped {shipped[script].cpu:6.2f} s CPU "
              f"{shipped[script].wall:6.2f} s wall", flush=True)  # fmt: skip
        if script in LOOPS:
            out = d / "loop_losses.npy"
            cmd = [python, str(HERE / "authors_mhs" / "time_loop.py"), str(base), script, str(out)]
            _, stdout = run_child(cmd, d, env)
            info = parse_loop_times(stdout)
            same, rel = compare_losses(np.loadtxt(d / LOOPS[script][1]), np.load(out))
            stages = {k: Timed(v["cpu"], v["wall"]) for k, v in info["times"].items()}
            loops.append(LoopRun(script, info["dtype"], stages, same, rel))
    return shipped, loops


def toolkit_side(epochs: int) -> dict[str, float]:
    """CPU seconds of each part of the toolkit's 3-context experiment, serial, one BLAS
    thread (the networks of bench_gdln.py and the authors' closed form at every 10th epoch)."""
    task = th.context_task(3, "different")
    new = (num.train_context_net, num.train_pathway_network)
    times = {}
    with single_blas_thread():
        for name, run in networks(task, epochs):
            times[name] = cpu_seconds(lambda run=run: run(*new))[1]
        checkpoints = np.arange(0, epochs + 1, 10)
        times["closed"] = cpu_seconds(lambda: th.authors_closed_form_loss(task, checkpoints))[1]
    return times


def mean_parts(runs: list[dict[str, float]]) -> dict[str, float]:
    """Part by part mean of several toolkit runs."""
    return {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}


def ratio_lines(shipped: dict[str, Timed], loops: list[LoopRun], ours: dict[str, float]) -> list:
    """The ratios against issue 12's targets, one printed line each."""
    total = sum(ours.values())
    cpu = sum(t.cpu for t in shipped.values())
    wall = sum(t.wall for t in shipped.values())
    matched = sum(shipped[s].cpu for s in COUNTERPART)
    lines = [
        f"five scripts as shipped / toolkit experiment: {cpu:.1f} s CPU / {total:.2f} s = "
        f"{cpu / total:.1f}x (target >= {TARGET_RATIO:.0f}x: "
        f"{'met' if cpu / total >= TARGET_RATIO else 'NOT met'}); their wall {wall:.1f} s "
        f"(earlier {EARLIER_SHIPPED_SECONDS} s) / toolkit CPU = {wall / total:.1f}x",
        f"  the four with a toolkit counterpart (race.py left out): {matched:.1f} s CPU = "
        f"{matched / total:.1f}x",
    ]
    for s in COUNTERPART:
        lines.append(
            f"  {s:15s} as shipped {shipped[s].cpu:6.2f} s CPU vs toolkit {COUNTERPART[s]} "
            f"{ours[COUNTERPART[s]]:.2f} s: {shipped[s].cpu / ours[COUNTERPART[s]]:.1f}x"
        )
    for r in loops:
        part = LOOPS[r.script][0]
        steady, first = r.stages["steady"].cpu, r.stages["first epoch"].cpu
        lines.append(
            f"  {r.script:15s} training loop ({r.dtype}) steady {steady:5.2f} s CPU + first "
            f"epoch (JIT) {first:.2f} s + import {r.stages['import'].cpu:.2f} s vs toolkit "
            f"{part} {ours[part]:.2f} s: {steady / ours[part]:.2f}x steady, "
            f"{(steady + first) / ours[part]:.2f}x with JIT (earlier: {EARLIER_LOOP_RATIO}x "
            f"for relu.py); losses identical to the as-shipped run {r.identical} "
            f"(max rel {r.max_rel:.1e})"
        )
    if loops:
        steady = sum(r.stages["steady"].cpu for r in loops)
        jit = steady + sum(r.stages["first epoch"].cpu for r in loops)
        nets = sum(ours[LOOPS[r.script][0]] for r in loops)
        lines.append(
            f"  three training loops: steady {steady:.2f} s, with JIT {jit:.2f} s CPU vs "
            f"toolkit's three networks {nets:.2f} s: {steady / nets:.2f}x, {jit / nets:.2f}x"
        )
    return lines


def check_args(args: argparse.Namespace) -> str | None:
    """The first bad field as one line, or None."""
    if args.epochs < 1:
        return f"--epochs: expected a positive integer, got {args.epochs}"
    if args.repeat < 1:
        return f"--repeat: expected a positive integer, got {args.repeat}"
    if args.authors_python is None:
        return None
    if args.epochs != EPOCHS:
        return f"--epochs: their scripts run {EPOCHS + 1} epochs as shipped; keep {EPOCHS}"
    if not (shutil.which(args.authors_python) or os.access(args.authors_python, os.X_OK)):
        return f"--authors-python: not an executable: {args.authors_python}"
    if args.authors_src is None or not (Path(args.authors_src) / FOLDER / "relu.py").is_file():
        return f"--authors-src: expected the make-haste-slowly tree (with {FOLDER}/relu.py)"
    return None


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--authors-python", help="python of the scratch venv with jax")
    p.add_argument("--authors-src", help="unpacked make-haste-slowly tree at b7d6e41")
    p.add_argument("--work", default="/tmp/bench-gdln-authors", help="scratch folder")
    p.add_argument("--seed-base", type=int, default=0, help="numpy global seed of their runs")
    p.add_argument("--x64", action="store_true", help="also run theirs with JAX_ENABLE_X64=1")
    p.add_argument("--repeat", type=int, default=1, help="rounds of their runs (toolkit between)")
    p.add_argument(
        "--epochs", type=int, default=EPOCHS, help="toolkit updates (fewer: smoke test only)"
    )
    return p.parse_args(argv)


def toolkit_line(k: int, parts: dict[str, float], epochs: int) -> str:
    """One printed line for the toolkit's k-th run (counted from 1)."""
    return (
        f"toolkit 3-context experiment (serial, 1 BLAS thread, float64, {epochs} updates), "
        f"run {k}: {sum(parts.values()):.2f} s CPU ("
        + ", ".join(f"{p} {parts[p]:.2f}" for p in PARTS)
        + ")"
    )


def summary_lines(rounds: list[tuple[dict[str, Timed], list[LoopRun]]], ours: list) -> list:
    """Over several rounds of one dtype: each round's headline ratio (against the mean of the
    toolkit runs before and after it), their median, and the ratio of the minima (contention
    on a shared machine only adds CPU time, so the least CPU of each side is the nearest to
    an idle run's)."""
    heads = [
        sum(t.cpu for t in shipped.values()) / sum(mean_parts(ours[k : k + 2]).values())
        for k, (shipped, _) in enumerate(rounds)
    ]
    theirs = min(sum(t.cpu for t in shipped.values()) for shipped, _ in rounds)
    mine = min(sum(r.values()) for r in ours)
    lines = [
        f"over {len(rounds)} rounds: five scripts / experiment "
        + ", ".join(f"{h:.1f}x" for h in heads)
        + f" (median {np.median(heads):.1f}x); least CPU of each side {theirs:.1f} s / "
        f"{mine:.2f} s = {theirs / mine:.1f}x (target >= {TARGET_RATIO:.0f}x)"
    ]
    for j, loop in enumerate(rounds[0][1]):
        part = LOOPS[loop.script][0]
        steady = min(loops[j].stages["steady"].cpu for _, loops in rounds)
        least = min(r[part] for r in ours)
        lines.append(
            f"  {loop.script:15s} training loop ({loop.dtype}), least steady CPU {steady:.2f} s "
            f"/ toolkit {part} {least:.2f} s = {steady / least:.2f}x"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    bad = check_args(args)
    if bad:
        print(f"bench_gdln_authors: {bad}", file=sys.stderr)
        raise SystemExit(2)
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    ours = [toolkit_side(args.epochs)]
    print(toolkit_line(1, ours[0], args.epochs), flush=True)
    if args.authors_python is None:
        print("authors' JAX scripts: not run (no --authors-python given); toolkit only")
        return
    env = {**os.environ, **PINNED_ENV}
    cmd = [args.authors_python, "-c", "import jax; print(jax.__version__)"]
    print(f"authors' side: jax {run_child(cmd, Path.cwd(), env)[1].strip()}, {PINNED_ENV}")
    modes = (False, True) if args.x64 else (False,)
    rounds = {x64: [] for x64 in modes}
    for k in range(args.repeat):
        for x64 in modes:
            src, work = Path(args.authors_src), Path(args.work)
            rounds[x64].append(authors_side(args.authors_python, src, work, args.seed_base, x64))
        ours.append(toolkit_side(args.epochs))
        print(toolkit_line(k + 2, ours[-1], args.epochs), flush=True)
    for x64 in modes:
        for k, (shipped, loops) in enumerate(rounds[x64]):
            print(f"round {k + 1}, {'float64' if x64 else 'float32'}:")
            for line in ratio_lines(shipped, loops, mean_parts(ours[k : k + 2])):
                print(line)
        if args.repeat > 1:
            for line in summary_lines(rounds[x64], ours):
                print(line)
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
