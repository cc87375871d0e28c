"""Fuzz the command line as a hostile user would (issue 14 item 5) and count the outcomes.

Runs ``mtl-theory check SPEC --json`` in-process on N mutated examples/ (the mutations of
tests/fuzz_support.py: wrong types, extreme and huge values, NaN/∞, deep nesting, long and
multi-line strings, unknown/missing/duplicate keys, scaled tables, garbage bytes) and prints
the count of each outcome class. Every class but "exit 0", "exit 1" and "exit 2" breaks the
contract; the first few specs of each such class are printed so that they can be pinned.

    python benchmarks/fuzz.py --n 10000 --seed 0 [--max-seconds 3000]

Without --verify (the route costs are covered by the budget checks); --max-seconds stops
early and reports the specs run so far.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzz_support import EXAMPLES, GOOD, mutate, run_contract, write_spec


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=60, help="seconds per spec")
    parser.add_argument("--max-seconds", type=float, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    names = sorted(EXAMPLES)
    counts: collections.Counter[str] = collections.Counter()
    bad: dict[str, list[str]] = collections.defaultdict(list)
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.json"
        for i in range(args.n):
            if args.max_seconds and time.monotonic() - start > args.max_seconds:
                break
            name = rng.choice(names)
            text = mutate(rng, EXAMPLES[name], rng.randint(1, 4))
            write_spec(path, text)
            outcome = run_contract(path, seconds=args.timeout)
            counts[outcome.kind] += 1
            if outcome.kind not in GOOD and len(bad[outcome.kind]) < 5:
                bad[outcome.kind].append(f"{name}: {text[:200]!r} -> {outcome.detail[:200]}")
            if (i + 1) % 500 == 0:
                print(f"{i + 1} specs, {time.monotonic() - start:.0f}s: {dict(counts)}", flush=True)
    total = sum(counts.values())
    print(f"\n{total} specs in {time.monotonic() - start:.0f}s (seed {args.seed})")
    for kind in (*GOOD, *sorted(k for k in counts if k not in GOOD)):
        print(f"  {kind:22s} {counts.get(kind, 0)}")
    for kind, examples in bad.items():
        print(f"\n{kind}:")
        for line in examples:
            print(f"  {line}")
    return 0 if all(k in GOOD for k in counts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
