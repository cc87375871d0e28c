"""float32 against float64 for the exploratory phase diagrams, side by side in one process.

``mtl-theory phase NAME --dtype float32`` runs the training loops of the GDLN and EVIDENCE
diagrams in float32. This script measures, in the same process and interleaved (float64,
float32, float64, float32, ... so that load drifts hit both), what that buys and what it
costs:

1. **GDLN context experiment** (`gdln-authors-contexts`' first point: C = 3 different
   structures, 11 → 700 → 60 ReLU, the authors' ReLN and modular GDLN, 8000 updates, their
   first init): CPU seconds of the three trainings per dtype and the ratio; the relative
   difference of the final losses; and the diagram's reported metrics (losses at the authors'
   checkpoints, strong-unit counts, modular-minus-ReLN gap) per dtype, with the authors' own
   float32 runs (JAX) beside them.
2. **EVIDENCE RNN point** (`evidence-rnn`, N_task = 6, its derived seed, 12000 batches of 16,
   the diagram's decision-step loss): CPU seconds of training per dtype, the ratio, the final
   training loss, and the point's metrics (OOD r² per quadrant by least squares and by the
   Adam decoder, eval BCE); for scale, the same metrics of the float64 network at another
   seed (the seed-to-seed spread the float32 difference should be compared with).
3. **EVIDENCE architectures** (non-leaky RNN, LSTM, GPT-2 block; ``--arch-batches``): CPU
   seconds per dtype of training only, and the final running training loss.

CPU time (``time.process_time``) with one BLAS thread. Load: ``os.getloadavg()`` is printed;
quote the ratios, not the seconds.

4. With ``--depth``: **GDLN depth** (`gdln-authors-depth`' first seed: depth/relu.py and
   gdln_off.py, 30000 updates): speed-up and the losses at the authors' checkpoints (the deep
   ReLU is rounding-sensitive after ~8000 updates, README).

Usage: python benchmarks/bench_float32.py [--repeats R] [--rnn-batches N] [--arch-batches N]
       [--skip-gdln] [--skip-rnn] [--skip-arch] [--depth]
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import evidence_arch as na
from mtl_theory.numerics import gdln as num
from mtl_theory.numerics.blas import single_blas_thread
from mtl_theory.numerics.sweep import point_seed
from mtl_theory.proofs import evidence as pe
from mtl_theory.proofs import gdln_authors as pga
from mtl_theory.theory import evidence as te
from mtl_theory.theory import gdln as th
from mtl_theory.theory import gdln_authors as ga
from timing import cpu_seconds

DTYPES = ("float64", "float32")


def rel(a: float, b: float) -> float:
    """|a − b| / |b| (b the float64 value)."""
    return abs(a - b) / abs(b) if b else abs(a - b)


def pct(x: float) -> str:
    """A relative difference, readable at 1e-2 and at 1e-9 alike."""
    return f"{x:.1e}"


def interleaved(thunk, repeats: int) -> dict[str, list]:
    """{dtype: [(result, cpu seconds), ...]} running float64, float32 alternately."""
    runs: dict[str, list] = {dt: [] for dt in DTYPES}
    for _ in range(repeats):
        for dt in DTYPES:
            runs[dt].append(cpu_seconds(lambda dt=dt: thunk(dt)))
    return runs


def gdln_trainings(dtype: str):
    """The three trainings of gdln-authors-contexts' first point (no closed form)."""
    p = pga.contexts_points()[0]
    key = pga.CONTEXT_DATASETS[(p["contexts"], p["structures"])]
    task = th.AUTHORS_DATASETS[key].task()
    hidden, std = ga.AUTHORS_RELU_SIZE[key]
    init = [num.authors_init_seed(p["seed_base"])]
    W0 = num.init_context_weights([task.X.shape[0], hidden, task.Y.shape[0]], std, init)
    out = {"relu": num.train_context_net(task, W0, 1e-3, pga.CONTEXT_UPDATES, dtype=dtype)}
    for name, kind in (("reln", "authors"), ("modular", "modular")):
        net = num.module_pathway_network(task, th.authors_module_net(3, kind, hidden, std), init)
        out[name] = num.train_pathway_network(task, net, 1e-3, pga.CONTEXT_UPDATES, dtype)
    return {k: float(r.losses[0, -1]) for k, r in out.items()}


def bench_gdln(repeats: int) -> None:
    print("== GDLN context experiment (gdln-authors-contexts, first point, 8000 updates)")
    runs = interleaved(gdln_trainings, repeats)
    t = {dt: min(s for _, s in runs[dt]) for dt in DTYPES}
    print(
        f"training ReLU + ReLN + modular, CPU s (best of {repeats}): float64 {t['float64']:.2f}, "
        f"float32 {t['float32']:.2f}, speed-up {t['float64'] / t['float32']:.2f}x "
        f"(all runs: f64 {[round(s, 2) for _, s in runs['float64']]}, "
        f"f32 {[round(s, 2) for _, s in runs['float32']]})"
    )
    l64, l32 = runs["float64"][0][0], runs["float32"][0][0]
    for k in l64:
        print(
            f"  final loss {k:8s} float64 {l64[k]:.6g}  float32 {l32[k]:.6g}  "
            f"relative difference {pct(rel(l32[k], l64[k]))}"
        )
    point = pga.contexts_points()[0]
    res = {dt: cpu_seconds(lambda dt=dt: pga.contexts_compute(point, 0, dt)) for dt in DTYPES}
    r64, r32 = res["float64"][0], res["float32"][0]
    print(
        f"whole diagram point (training + float64 closed form + counts), CPU s: float64 "
        f"{res['float64'][1]:.2f}, float32 {res['float32'][1]:.2f}, speed-up "
        f"{res['float64'][1] / res['float32'][1]:.2f}x"
    )
    print(f"  checkpoints {r64['checkpoints']}")
    for name in ("relu", "reln", "modular", "closed_form"):
        a, b = r32[f"{name}_at"], r64[f"{name}_at"]
        diffs = ", ".join(pct(rel(x, y)) for x, y in zip(a, b, strict=True))
        theirs = r64.get(f"code_{name}")
        vs_theirs = (
            ""
            if theirs is None
            else "; vs the authors' float32 run: float64 "
            + ", ".join(pct(rel(y, c)) for y, c in zip(b, theirs, strict=True))
            + " / float32 "
            + ", ".join(pct(rel(x, c)) for x, c in zip(a, theirs, strict=True))
        )
        print(f"  {name:11s} float32 vs float64 at the checkpoints: {diffs}{vs_theirs}")
    print(
        f"  strong units by active contexts: float64 {r64['ours_unit_counts']}, float32 "
        f"{r32['ours_unit_counts']}; modular-minus-ReLN gap float64 "
        f"{r64['ours_gap_modular_minus_reln']:.6g}, float32 "
        f"{r32['ours_gap_modular_minus_reln']:.6g} "
        f"({pct(rel(r32['ours_gap_modular_minus_reln'], r64['ours_gap_modular_minus_reln']))})"
    )


def bench_depth() -> None:
    """gdln-authors-depth's first seed: depth/relu.py and gdln_off.py, 30000 updates each."""
    print(f"== GDLN depth (gdln-authors-depth, seed base {pga.DEPTH_SEED_BASES[0]}, 30000 updates)")
    for network in ("relu", "gdln"):
        point = {"network": network, "seed_base": pga.DEPTH_SEED_BASES[0]}
        runs = interleaved(lambda dt, point=point: pga.depth_compute(point, 0, dt), 1)
        (r64, s64), (r32, s32) = runs["float64"][0], runs["float32"][0]
        diffs = ", ".join(
            pct(rel(x, y)) for x, y in zip(r32["loss_at"], r64["loss_at"], strict=True)
        )
        print(
            f"  {network:5s} CPU s float64 {s64:.2f}, float32 {s32:.2f}, "
            f"speed-up {s64 / s32:.2f}x; "
            f"final loss {r64['final_loss']:.6g} vs {r32['final_loss']:.6g} "
            f"({pct(rel(r32['final_loss'], r64['final_loss']))}); at {r64['checkpoints']}: "
            f"{diffs}; the authors' float32 run: {r64['code_loss']}"
        )
        if network == "relu":
            print(
                f"    unit counts float64 {r64['ours_unit_counts']}, "
                f"float32 {r32['ours_unit_counts']}"
            )


def rnn_point(dtype: str, batches: int, seed: int):
    n = 6
    C, d = te.even_normals(n), np.zeros(n)
    cfg = ne.RNNConfig(D=2, n_tasks=n, loss=pe.RNN_DIAGRAM_LOSS, dtype=dtype)
    result = ne.train_rnn(C, d, 0.2, 20, batches=batches, seed=seed, config=cfg)
    return result, C, d


def bench_rnn(batches: int, repeats: int) -> None:
    seed = point_seed("evidence-rnn", {"n_tasks": 6, "rep": 0}, 0)
    print(f"== EVIDENCE RNN point (evidence-rnn, N_task = 6, {batches} batches of 16)")
    runs = interleaved(lambda dt: rnn_point(dt, batches, seed), repeats)
    t = {dt: min(s for _, s in runs[dt]) for dt in DTYPES}
    print(
        f"training CPU s (best of {repeats}): float64 {t['float64']:.2f}, float32 "
        f"{t['float32']:.2f}, speed-up {t['float64'] / t['float32']:.2f}x"
    )
    scores = {}
    for dt in DTYPES:
        result, C, d = runs[dt][0][0]
        scores[dt] = (result, pe.rnn_point_scores(result, C, d, 0.2, 20, seed))
    other, C, d = rnn_point("float64", batches, seed + 1)
    spread = pe.rnn_point_scores(other, C, d, 0.2, 20, seed + 1)
    (res64, s64), (res32, s32) = scores["float64"], scores["float32"]
    print(
        f"  final running training loss: float64 {res64.losses[-1]:.6g}, float32 "
        f"{res32.losses[-1]:.6g} ({pct(rel(res32.losses[-1], res64.losses[-1]))}); "
        f"another seed in float64 {other.losses[-1]:.6g} "
        f"({pct(rel(other.losses[-1], res64.losses[-1]))})"
    )
    for key in ("ood_r2_per_quadrant", "ood_r2_adam_decoder_per_quadrant"):
        a, b, c = np.array(s32[key]), np.array(s64[key]), np.array(spread[key])
        print(
            f"  {key}: float64 {np.round(b, 4).tolist()}, float32 {np.round(a, 4).tolist()} "
            f"(max |diff| {np.max(np.abs(a - b)):.4f}; median {np.median(b):.4f} vs "
            f"{np.median(a):.4f}); another seed float64 median {np.median(c):.4f}"
        )
    print(
        f"  eval BCE: float64 {s64['eval_bce']:.6g}, float32 {s32['eval_bce']:.6g} "
        f"({pct(rel(s32['eval_bce'], s64['eval_bce']))}); another seed {spread['eval_bce']:.6g} "
        f"({pct(rel(spread['eval_bce'], s64['eval_bce']))})"
    )


def bench_arch(batches: int) -> None:
    print(f"== EVIDENCE architectures ({batches} batches of 16, all-steps BCE, training only)")
    C, d = te.even_normals(6), np.zeros(6)
    for arch in na.ARCHITECTURES:

        def train(dt, arch=arch):
            cfg = na.ArchConfig(arch, D=2, n_tasks=6, dtype=dt)
            return na.train_architecture(C, d, 0.2, 20, batches=batches, seed=0, config=cfg)

        runs = interleaved(train, 1)
        (r64, s64), (r32, s32) = runs["float64"][0], runs["float32"][0]
        print(
            f"  {arch:12s} CPU s float64 {s64:.2f}, float32 {s32:.2f}, speed-up "
            f"{s64 / s32:.2f}x; final running loss {r64.losses[-1]:.6g} vs {r32.losses[-1]:.6g} "
            f"({pct(rel(r32.losses[-1], r64.losses[-1]))})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--rnn-batches", type=int, default=pe.RNN_DIAGRAM_BATCHES)
    parser.add_argument("--arch-batches", type=int, default=300)
    parser.add_argument("--skip-gdln", action="store_true")
    parser.add_argument("--skip-rnn", action="store_true")
    parser.add_argument("--skip-arch", action="store_true")
    parser.add_argument("--depth", action="store_true", help="also gdln-authors-depth (minutes)")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    with single_blas_thread():
        if not args.skip_gdln:
            bench_gdln(args.repeats)
        if args.depth:
            bench_depth()
        if not args.skip_rnn:
            bench_rnn(args.rnn_batches, args.repeats)
        if not args.skip_arch:
            bench_arch(args.arch_batches)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
