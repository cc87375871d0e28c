"""EVIDENCE full-budget points (issue 10 item 6): the paper's training budget, one process.

Trains networks of the requested architectures at N_task = 6 (even lines), D = 2,
sigma = 0.2, t = 20 for ``--batches`` batches of 16 with the authors' all-steps loss, and
scores each under the three protocols of ``numerics.evidence_protocol`` with the authors'
counts (4 held-out quadrants x 5 Adam fits of 2000 batches, 640 test trials). Networks run
one at a time, **round-robin over architectures** (network 0 of every architecture, then
network 1, ...), so a run stopped early still has a balanced set; every finished network is
appended to ``--out`` as one JSON line at once (nothing is lost when the run is killed).

Network k of an architecture is exactly network k of
``mtl-theory check SPEC --verify --seed SEED`` with ``network = ARCH``, ``n_tasks = 6``,
``rnn_batches = BATCHES``, ``rnn_networks >= k + 1`` (it calls the same
``proofs.evidence_rnn.train_and_score`` with the same arguments; numbers depend on (seed, k)
only). The ideal route mu(t) is scored once, first, by the same protocols.

Usage (the committed run)::

    OPENBLAS_NUM_THREADS=1 nice -n 10 python benchmarks/evidence_full_budget.py \\
        --out benchmarks/reproductions/evidence-full-budget.jsonl
    python benchmarks/evidence_full_budget.py \\
        --summary benchmarks/reproductions/evidence-full-budget.jsonl

The transformer is trained for the paper's 2e4 batches (``--architectures transformer
--batches 20000``); every network's record carries its ``batches``.

Networks are added to a run with ``--start K`` (networks K .. NETWORKS-1; the ideal route is
scored again, with the same numbers): e.g. ``--architectures rnn --start 2 --networks 5``.
"""

from __future__ import annotations

import os
import sys

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from mtl_theory.numerics import evidence as ne  # noqa: E402
from mtl_theory.numerics import evidence_arch as na  # noqa: E402
from mtl_theory.numerics import evidence_protocol as npr  # noqa: E402
from mtl_theory.proofs import evidence_rnn as per  # noqa: E402
from mtl_theory.theory import evidence as te  # noqa: E402

N_TASKS, SIGMA, T = 6, 0.2, 20
#: Held-out trials for the decision-step BCE (a fixed stream apart from training and protocol).
BCE_TRIALS, BCE_STREAM = 2000, 0xBCE


def load_average() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def score_record(kind: str, index: int, scores: npr.ProtocolScores) -> dict:
    rec = {
        "kind": kind,
        "index": index,
        "protocol_seconds": scores.seconds,
        "decoder_batches": scores.decoder_batches,
        "test_trials": scores.test_trials,
        "angles_deg": scores.angles.tolist(),
    }
    for p in npr.PROTOCOLS:
        rec[f"r2_{p}"] = scores.r2[p].tolist()  # (4 quadrants, fits)
    return rec


def run(args: argparse.Namespace) -> None:
    C, d = te.even_normals(N_TASKS), np.zeros(N_TASKS)
    b = per.Budget(args.networks, args.batches, npr.AUTHORS_FITS, npr.AUTHORS_DECODER_BATCHES[6])
    probe = ne.simulate_trials(
        2, SIGMA, T, BCE_TRIALS, np.random.default_rng((args.seed, BCE_STREAM))
    )
    with open(args.out, "a") as out:

        def emit(rec: dict) -> None:
            out.write(json.dumps(rec) + "\n")
            out.flush()

        emit(
            {
                "kind": "header",
                "command": " ".join(sys.argv),
                "n_tasks": N_TASKS,
                "D": 2,
                "sigma": SIGMA,
                "t": T,
                "loss": "all-steps",
                "batches": args.batches,
                "seed": args.seed,
                "architectures": args.architectures,
                "start_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "load": load_average(),
            }
        )
        ideal = per.ideal_route_scores(
            te.EvidenceSetup(
                normals=tuple(tuple(r) for r in C.tolist()),
                offsets=(0.0,) * N_TASKS,
                sigma=SIGMA,
                t=T,
                boundaries="even",
                network="rnn",
                rnn_networks=b.networks,
                decoder_fits=b.fits,
                decoder_batches=b.decoder_batches,
            ),
            args.seed,
            False,
        )
        emit({**score_record("ideal", -1, ideal), "load": load_average()})
        for k in range(args.start, args.networks):
            for arch in args.architectures:
                wall = time.time()
                cpu = time.process_time()
                run_k = per.train_and_score((C, d, SIGMA, T, "all-steps", b, args.seed, k, arch))
                emit(
                    {
                        **score_record(arch, k, run_k.scores),
                        # the header holds it too; per record, a file mixing budgets
                        # (the transformer's 2e4 beside 1e5) stays readable line by line
                        "batches": args.batches,
                        "train_seconds": run_k.result.seconds,
                        "wall_seconds": time.time() - wall,
                        "cpu_seconds": time.process_time() - cpu,
                        "eval_bce": na.eval_bce(arch, run_k.result, probe, C, d),
                        "baseline_bce": run_k.result.baseline_loss,
                        "final_training_loss": float(run_k.result.losses[-1]),
                        "load": load_average(),
                    }
                )


def summary(path: str) -> None:
    """Percentiles per architecture and protocol over networks x quadrants x fits."""
    recs = [json.loads(line) for line in open(path)]
    # one record per (kind, index): a run extended with --start scores the ideal route again
    recs = list({(r["kind"], r.get("index")): r for r in recs}.values())
    kinds = [r["kind"] for r in recs if r["kind"] not in ("header",)]
    for kind in dict.fromkeys(kinds):
        rows = [r for r in recs if r["kind"] == kind]
        line = [f"{kind:13s} n={len(rows)}"]
        for p in npr.PROTOCOLS:
            v = np.array([r[f"r2_{p}"] for r in rows])
            q = npr.percentiles(v)
            line.append(f"{p} {q[0]:.3f}/{q[1]:.3f}/{q[2]:.3f}")
        ang = npr.percentiles(np.array([r["angles_deg"] for r in rows]))
        line.append(f"angle {ang[0]:.1f}/{ang[1]:.1f}/{ang[2]:.1f}")
        if kind != "ideal":
            meds = [float(np.median(r["r2_authors-fixed"])) for r in rows]
            line.append("fixed per-network medians " + ", ".join(f"{m:.3f}" for m in meds))
            line.append("bce " + ", ".join(f"{r['eval_bce']:.3f}" for r in rows))
            line.append("wall s " + ", ".join(f"{r['wall_seconds']:.0f}" for r in rows))
            budgets = sorted({r.get("batches") for r in rows if r.get("batches")})
            if budgets:
                line.append("batches " + ", ".join(str(b) for b in budgets))
        print("; ".join(line))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="evidence-full-budget.jsonl")
    parser.add_argument("--batches", type=int, default=100_000)
    parser.add_argument("--networks", type=int, default=npr.AUTHORS_NETWORKS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--start",
        type=int,
        default=0,
        help="first network index (networks START .. NETWORKS-1: adds networks to a run)",
    )
    parser.add_argument(
        "--architectures",
        nargs="+",
        default=["rnn", "rnn-nonleaky", "lstm"],
        choices=na.TRAINED_NETWORKS,
    )
    parser.add_argument("--summary", metavar="JSONL", help="print percentiles of a run and exit")
    args = parser.parse_args(argv)
    if args.summary:
        summary(args.summary)
        return
    run(args)


if __name__ == "__main__":
    main(sys.argv[1:])
