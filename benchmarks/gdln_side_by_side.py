"""Side by side: the authors' Make Haste Slowly runs and the toolkit's, at the same epochs.

Usage::

    python benchmarks/gdln_side_by_side.py [--only short|depth|closed] [--seeds N]
        [--scripts SUBSTR,...] [--json OUT]

For every script in theory.gdln_authors.AUTHORS_RUNS the toolkit trains its numpy float64
version from the SAME init draws (the authors' init seeds, numerics.gdln.authors_init_seed),
batched over seeds, and prints the loss after k updates: the authors' min / median / max over
their runs, ours likewise, and the largest relative difference between the two runs of one
init seed. Also the closed forms (closed.py, closed3/4/5.py) against their saved numbers.
Not a test: the depth runs take tens of minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from mtl_theory.numerics import gdln as num
from mtl_theory.theory import gdln as th
from mtl_theory.theory import gdln_authors as ga


def train(run: ga.AuthorsRun, seeds, epochs: int) -> np.ndarray:
    """Our losses (S, epochs + 1) for the authors' script ``run`` at these init seeds."""
    task = th.AUTHORS_DATASETS[run.dataset].task()
    if run.model == "depth-relu":
        cfg = th.AUTHORS_DEPTH_RELU
        sizes = [task.X.shape[0], *cfg["hidden"], task.Y.shape[0]]
        W = num.init_context_weights(sizes, cfg["std"], seeds)
        return num.train_context_net(task, W, cfg["lr"], epochs).losses
    if run.model == "depth-gdln":
        net = th.DepthNet()
        W = num.init_depth_net(net, task.X.shape[0], task.Y.shape[0], seeds)
        return num.train_depth_net(task, net, W, epochs).losses
    hidden, std = ga.AUTHORS_RELU_SIZE[run.dataset]
    if run.model == "relu":
        sizes = [task.X.shape[0], hidden, task.Y.shape[0]]
        W = num.init_context_weights(sizes, std, seeds)
        return num.train_context_net(task, W, 1e-3, epochs).losses
    construction = "authors" if run.model == "reln" else "modular"
    mnet = th.authors_module_net(task.n_contexts, construction, hidden, std)
    net = num.module_pathway_network(task, mnet, seeds)
    return num.train_pathway_network(task, net, 1e-3, epochs).losses


def side_by_side(run: ga.AuthorsRun, n_seeds: int) -> list[dict]:
    seeds = list(run.init_seeds[:n_seeds])
    t0 = time.time()
    ours = train(run, seeds, max(run.losses))
    rows = []
    for k, theirs in run.losses.items():
        a = np.array(theirs[: len(seeds)])
        o = ours[:, k]
        rows.append(
            {
                "script": run.source,
                "model": run.model,
                "updates": k,
                "authors": [float(np.min(a)), float(np.median(a)), float(np.max(a))],
                "ours": [float(np.min(o)), float(np.median(o)), float(np.max(o))],
                "same_seed_max_rel": float(np.max(np.abs(o - a) / a)),
                "ours_in_authors_range": bool(np.min(a) <= np.median(o) <= np.max(a)),
                "seeds": len(seeds),
            }
        )
    print(f"# {run.source}: {len(seeds)} seeds, {time.time() - t0:.0f} s", flush=True)
    return rows


def closed_forms() -> list[dict]:
    rows = []
    for cf in th.AUTHORS_CLOSED_FORMS:
        task = th.AUTHORS_DATASETS[cf.dataset].task()
        epochs = sorted(cf.saved)
        c = th.authors_closed_form(task, epochs, cf)
        for e, ours, b in zip(epochs, c.loss, c.null_mode_bound, strict=True):
            theirs = cf.saved[e]
            rows.append(
                {
                    "script": cf.source,
                    "epoch": e,
                    "authors": theirs,
                    "ours": float(ours),
                    "rel": abs(float(ours) - theirs) / theirs,
                    "tolerance": float(b + c.rounding_scale * theirs),
                }
            )
    return rows


def print_runs(rows: list[dict]) -> None:
    print(
        "| script | k | authors min / median / max | ours min / median / max | "
        "same-seed max rel. diff | ours in range |"
    )
    print("|---|---:|---|---|---:|:-:|")
    for r in rows:
        a = " / ".join(f"{v:.4g}" for v in r["authors"])
        o = " / ".join(f"{v:.4g}" for v in r["ours"])
        print(
            f"| {r['script']} ({r['seeds']} seeds) | {r['updates']} | {a} | {o} | "
            f"{r['same_seed_max_rel']:.1e} | {'yes' if r['ours_in_authors_range'] else 'NO'} |"
        )


def print_closed(rows: list[dict]) -> None:
    print("| script | epoch | authors (saved) | ours | rel. diff | derived tolerance (abs.) |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['script']} | {r['epoch']} | {r['authors']:.10g} | {r['ours']:.10g} | "
            f"{r['rel']:.1e} | {r['tolerance']:.1e} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("short", "depth", "closed"), default=None)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--json", default=None)
    ap.add_argument("--scripts", default="", help="comma-separated substrings of sources")
    args = ap.parse_args()
    wanted = [w for w in args.scripts.split(",") if w]
    out: dict[str, list] = {}
    if args.only in (None, "closed"):
        out["closed"] = closed_forms()
        print_closed(out["closed"])
    if args.only != "closed":
        rows = []
        for run in ga.AUTHORS_RUNS:
            depth = run.model.startswith("depth")
            if args.only == ("depth" if not depth else "short"):
                continue
            if wanted and not any(w in run.source for w in wanted):
                continue
            rows += side_by_side(run, args.seeds)
            out["runs"] = rows
            if args.json:  # after every script: a long run keeps what it finished
                with open(args.json, "w", encoding="utf-8") as fh:
                    json.dump(out, fh, indent=1)
        print_runs(rows)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
