"""Fuzz ``check --verify`` with valid-but-extreme specs and count the outcomes (issue 14).

Each spec is a base setup of one model with 1-3 keys at an edge of its declared domain
(``tests/fuzz_support.edge_spec``: a0, lr, init_std, sigma, t, n_tasks, widths, ... at the
schema's ends or at extremes inside them), run through the real command line
``mtl-theory check SPEC --verify --json`` in a child process under a time cap and a memory
cap (RLIMIT_AS), at ``nice 10``. Outcome classes:

- ``verified`` / ``not verified`` / ``not measurable`` -- exit 0, by the JSON verdict;
- ``CONTRADICTION`` -- exit 1: every one is written to ``--keep DIR`` (spec, stdout, stderr)
  for inspection: a real contradiction, or a measurement that could not be made?
- ``refused (cost)`` / ``refused (spec)`` -- exit 2 with one line (a budget refusal or the
  spec's own check);
- ``timeout (announced)`` / ``timeout (unannounced)`` -- no answer within the cap, after or
  without the "> 30 s" notice on stderr;
- ``traceback``, ``multi-line error``, ``invalid JSON``, ``other exit`` -- contract breaks.

Besides the counts it prints, per model, the estimated route seconds (mtl_theory.cost)
against the measured wall time of the child, so that an estimate far below the run shows.

    python benchmarks/fuzz_verify.py --n 300 --seed 0 [--cap 120] [--time-budget 60]
        [--memory-gib 8] [--jobs 1] [--keep DIR] [--max-seconds S] [--log FILE.jsonl]
        [--models wta gdln/gated ...] [--indices 12 98 ...]

``--models`` and ``--indices`` keep a subset of the ``n`` specs drawn for the seed (all ``n``
are generated first), so every spec keeps the index it has in the unfiltered run and passes
can be compared index by index. A ``--log`` row carries the spec itself, its index, seed and
model: ``check ROW.spec --verify --json`` re-runs it, as does ``--seed S --indices I``.

``--time-budget`` is passed to ``check`` (default: half the cap, so a route estimated beyond
it is refused rather than cut by the cap; the machine's load may still slow a run 2-4x).
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fuzz_support import edge_spec  # noqa: E402

GOOD = ("verified", "not verified", "not measurable", "refused (cost)", "refused (spec)")


def _limits(memory_bytes: int):
    def apply() -> None:
        os.nice(10)
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    return apply


def estimate(spec: dict) -> float | None:
    """The route's estimated seconds (mtl_theory.cost), or None (refused or no estimate)."""
    from mtl_theory import api
    from mtl_theory.cost import route_cost

    try:
        loaded = api.load_spec(spec)
    except (ValueError, OSError):
        return None
    cost = route_cost(loaded.theory, loaded.setup)
    return None if cost is None else float(cost.seconds)


def classify(code: int | None, stdout: str, stderr: str, timed_out: bool) -> str:
    if timed_out:
        return "timeout (announced)" if "is estimated at" in stderr else "timeout (unannounced)"
    if "Traceback" in stderr:
        return "traceback"
    if code == 2:
        if stderr.count("\n") != 1 or stdout:
            return "multi-line error"
        return "refused (cost)" if "--verify:" in stderr else "refused (spec)"
    if code in (0, 1):
        try:
            result = json.loads(stdout, parse_constant=_refuse)
        except ValueError:
            return "invalid JSON"
        if code == 1:
            return "CONTRADICTION"
        return str(result.get("verdict"))
    return "other exit"


def _refuse(name: str):
    raise ValueError(name)


def _children_cpu() -> float:
    """User + system CPU seconds of this process's waited-for children (all of them: a row's
    difference is its own child's only with ``--jobs 1``)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_one(spec: dict, cap: float, time_budget: float, memory_gib: float, tmp: str) -> dict:
    path = Path(tempfile.mkstemp(suffix=".json", dir=tmp)[1])
    path.write_text(json.dumps(spec))
    command = [
        sys.executable,
        "-c",
        "import sys; from mtl_theory.cli import main; sys.exit(main())",
        "check",
        str(path),
        "--verify",
        "--json",
        "--time-budget",
        str(time_budget),
    ]
    start = time.monotonic()
    before = _children_cpu()
    timed_out = False
    try:
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=cap,
            preexec_fn=_limits(int(memory_gib * 2**30)),
        )
        code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        timed_out, code = True, None
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
    wall = time.monotonic() - start
    cpu = _children_cpu() - before
    path.unlink()
    kind = classify(code, stdout, stderr, timed_out)
    return {
        "spec": spec,
        "kind": kind,
        "code": code,
        "wall": round(wall, 2),
        "cpu": round(cpu, 2),
        "estimate": estimate(spec),
        "stderr": stderr[-2000:],
        "stdout": stdout if kind in ("CONTRADICTION", "invalid JSON") else "",
    }


def _model(spec: dict) -> str:
    return spec["theory"] + ("/" + spec["model"] if "model" in spec else "")


def select(
    specs: list[dict], models: list[str] | None, indices: list[int] | None
) -> list[tuple[int, dict]]:
    """The ``(index, spec)`` pairs of ``specs`` whose model is in ``models`` and index in
    ``indices`` (None: no filter), indices as in the unfiltered list.

    Raises
    ------
    ValueError
        A model no spec of the list has, or an index outside it (a typo would keep nothing).
    """
    present = {_model(s) for s in specs}
    unknown = sorted(set(models or ()) - present)
    if unknown:
        raise ValueError(f"--models: no spec of this draw is {unknown} (drawn: {sorted(present)})")
    outside = sorted(i for i in indices or () if not 0 <= i < len(specs))
    if outside:
        raise ValueError(f"--indices: {outside} outside 0..{len(specs) - 1}")
    return [
        (i, s)
        for i, s in enumerate(specs)
        if (models is None or _model(s) in models) and (indices is None or i in indices)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cap", type=float, default=120.0, help="seconds per spec")
    parser.add_argument("--time-budget", type=float, default=None)
    parser.add_argument("--memory-gib", type=float, default=8.0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="write exit-1 cases here")
    parser.add_argument("--log", type=Path, default=None, help="one JSON line per spec")
    parser.add_argument("--max-seconds", type=float, default=None)
    parser.add_argument("--theory", default=None, help="draw only this theory (other indices)")
    parser.add_argument(
        "--models", nargs="+", default=None, help="keep these models (wta, gdln/gated, ...)"
    )
    parser.add_argument("--indices", type=int, nargs="+", default=None, help="keep these indices")
    args = parser.parse_args()
    budget = args.time_budget if args.time_budget is not None else args.cap / 2
    rng = random.Random(args.seed)
    drawn = [edge_spec(rng, args.theory) for _ in range(args.n)]
    try:
        specs = select(drawn, args.models, args.indices)
    except ValueError as exc:
        print(f"fuzz_verify: {exc}", file=sys.stderr)
        return 2
    counts: collections.Counter[str] = collections.Counter()
    by_model: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    ratios: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)
    start = time.monotonic()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    log = args.log.open("a") if args.log else None
    with (
        tempfile.TemporaryDirectory() as tmp,
        concurrent.futures.ThreadPoolExecutor(args.jobs) as pool,
    ):
        pending = iter(specs)
        running: dict[concurrent.futures.Future, int] = {}
        done = 0
        while True:
            while len(running) < args.jobs:
                if args.max_seconds and time.monotonic() - start > args.max_seconds:
                    break
                item = next(pending, None)
                if item is None:
                    break
                i, spec = item
                running[pool.submit(run_one, spec, args.cap, budget, args.memory_gib, tmp)] = i
            if not running:
                break
            finished, _ = concurrent.futures.wait(
                running, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in finished:
                i = running.pop(future)
                row = future.result()
                row["index"] = i
                row["seed"] = args.seed
                row["model"] = _model(row["spec"])
                done += 1
                counts[row["kind"]] += 1
                by_model[_model(row["spec"])][row["kind"]] += 1
                if row["estimate"] is not None and row["kind"] in (*GOOD[:3], "CONTRADICTION"):
                    ratios[_model(row["spec"])].append((row["estimate"], row["wall"], row["cpu"]))
                if log:
                    log.write(json.dumps(row) + "\n")
                    log.flush()
                if args.keep and row["kind"] not in GOOD:
                    (args.keep / f"{i:04d}-{row['kind'].split()[0]}.json").write_text(
                        json.dumps(row, indent=1)
                    )
                print(
                    f"[{done}/{len(specs)} #{i} {time.monotonic() - start:.0f}s] {row['kind']:22s} "
                    f"{row['wall']:6.1f}s {json.dumps(row['spec'])[:160]}",
                    flush=True,
                )
    total = sum(counts.values())
    print(
        f"\n{total} specs in {time.monotonic() - start:.0f}s (seed {args.seed}, cap {args.cap:g} s,"
    )
    print(f"time budget {budget:g} s, memory cap {args.memory_gib:g} GiB, jobs {args.jobs})")
    for kind in (*GOOD, *sorted(k for k in counts if k not in GOOD)):
        print(f"  {kind:24s} {counts.get(kind, 0)}")
    print("\nper model:")
    for model in sorted(by_model):
        print(f"  {model:22s} {dict(by_model[model])}")
    print("\nmeasured / estimated seconds (runs that finished, estimate >= 1 s; CPU = the")
    print("child's user + sys, its own only with --jobs 1; both include the 2-3 s import):")
    for model in sorted(ratios):
        for name, column in (("wall", 1), ("CPU", 2)):
            r = sorted(row[column] / row[0] for row in ratios[model] if row[0] >= 1.0)
            if r:
                print(
                    f"  {model:22s} {name:4s} n={len(r)} min {r[0]:.2g} "
                    f"median {r[len(r) // 2]:.2g} max {r[-1]:.2g}"
                )
    return 0 if all(k in GOOD for k in counts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
