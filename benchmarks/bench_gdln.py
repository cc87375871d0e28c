"""GDLN benchmarks, measured side by side in one process (ratios, not absolute claims).

1. The whole 3-context experiment at paper size (ReLU + ReLN + modular GDLN, 11 → 700 → 60,
   8001 epochs) plus the authors' closed form, with the toolkit's training kernels and with
   the loops they replaced (``_train_context_net_reference``, ``_train_pathway_network_reference``)
   in the same script: CPU seconds of each network, the ratio old / new, the losses equal bit
   for bit, the FLOP rate as a fraction of this machine's measured matmul peak (a 2000³ GEMM
   timed here), and the critical path of a two-process run (ReLU on one core; ReLN, modular
   and the closed form on the other; target ≤ 3 s on an idle 2-core machine).
   The ReLN and the modular net are also trained side by side on their one common pathway
   (``train_pathway_networks``, as the experiment trains them): CPU against the two apart,
   losses identical. Then the experiment as it runs (issue 12 items 1 and 3): the ReLU in a
   forked copy of the process (``run_forked``), the pair and the closed form here; wall time
   against the same parts one after the other, results identical to the serial run.
2. S seeds batched (stacked weights, one matmul per layer) vs S sequential single-seed runs of
   the same ReLU network: wall-time ratio (target ≥ 2×) and peak traced memory of each.

CPU time (time.process_time) for the kernels: the reference machine is shared. One BLAS
thread (numerics.blas.single_blas_thread). The authors' JAX scripts and training loops are
timed beside the toolkit's experiment in bench_gdln_authors.py (JAX only in its scratch venv).

Usage: python benchmarks/bench_gdln.py [--epochs-batch N] [--seeds S] [--skip-reference]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
from mtl_theory.numerics import gdln as num
from mtl_theory.numerics.blas import run_forked, single_blas_thread
from mtl_theory.theory import gdln as th
from timing import cpu_seconds as _cpu
from timing import matmul_peak

EPOCHS = 8000
HIDDEN = 700


def layer_flops(hidden: int, n_in: int, n_out: int, n_points: int) -> int:
    """FLOPs of one GD epoch of a one-hidden-layer net: forward W1 x and W2 h; backward
    E hᵀ, W2ᵀ E and δ xᵀ (2 m n k each)."""
    return 2 * hidden * n_points * (2 * n_in + 3 * n_out)


def networks(task, epochs: int = EPOCHS):
    """The experiment's three trainings as (name, thunk(train_context, train_pathway)), each
    ``epochs`` updates (the experiment's 8000 unless a smoke test asks for fewer)."""
    std = 0.005 / HIDDEN
    sizes = [task.X.shape[0], HIDDEN, task.Y.shape[0]]
    out = [
        ("ReLU", lambda tc, tp: tc(task, num.init_context_weights(sizes, std, [0]), 1e-3, epochs))
    ]
    for name, net in pathway_nets(task):
        out.append((name, lambda tc, tp, net=net: tp(task, net, 1e-3, epochs)))
    return out


def pathway_nets(task):
    """The experiment's ReLN ("authors-mixed") and modular module networks, seed 0."""
    std = 0.005 / HIDDEN
    return [
        (name, num.module_pathway_network(task, th.authors_module_net(3, kind, HIDDEN, std), [0]))
        for name, kind in (("ReLN", "authors-mixed"), ("modular", "modular"))
    ]


def experiment_flops(task) -> float:
    n_in, n_out, P = task.X.shape[0], task.Y.shape[0], task.X.shape[1]
    w = HIDDEN // 7
    per_epoch = layer_flops(HIDDEN, n_in, n_out, P) + 2 * (
        layer_flops(w, n_in, n_out, P) + layer_flops(3 * w, n_in, n_out, P)
    )
    return per_epoch * (EPOCHS + 1)


def bench_experiment(skip_reference: bool) -> None:
    task = th.context_task(3, "different")
    peak = matmul_peak()
    print(f"matmul peak (2000^3 GEMM, 1 thread): {peak / 1e9:.1f} GFLOP/s")
    new = (num.train_context_net, num.train_pathway_network)
    old = (num._train_context_net_reference, num._train_pathway_network_reference)
    times, same = {}, True
    for name, run in networks(task):
        fast, t_new = _cpu(lambda run=run: run(*new))
        times[name] = t_new
        line = f"  {name:8s} toolkit {t_new:6.2f} s CPU"
        if not skip_reference:
            ref, t_old = _cpu(lambda run=run: run(*old))
            eq = bool(np.array_equal(fast.losses, ref.losses))
            same &= eq
            line += (
                f" | old kernel {t_old:6.2f} s: ratio {t_old / t_new:.2f}x, losses identical {eq}"
            )
            times[name + " old"] = t_old
        print(line)
    pair = [net for _, net in pathway_nets(task)]
    together, t_pair = _cpu(lambda: num.train_pathway_networks(task, pair, 1e-3, EPOCHS))
    apart = [num.train_pathway_network(task, net, 1e-3, EPOCHS) for net in pair]
    eq = all(np.array_equal(a.losses, b.losses) for a, b in zip(together, apart, strict=True))
    same &= eq
    print(
        f"  ReLN + modular on one common pathway (train_pathway_networks, as the experiment "
        f"trains them) {t_pair:.2f} s CPU against {times['ReLN'] + times['modular']:.2f} s "
        f"apart: ratio {(times['ReLN'] + times['modular']) / t_pair:.2f}x, losses identical {eq}"
    )
    times["ReLN + modular"] = t_pair
    _, t_closed = _cpu(lambda: th.authors_closed_form_loss(task, np.arange(0, EPOCHS + 1, 10)))
    total = times["ReLU"] + t_pair + t_closed
    flops = experiment_flops(task)
    trained = total - t_closed
    print(f"  closed form {t_closed:.2f} s CPU")
    print(
        f"context experiment (3 contexts, 700 hidden, {EPOCHS + 1} epochs): toolkit {total:.2f} s "
        f"CPU in one process; two processes (ReLU | ReLN + modular + closed form): critical path "
        f"{max(times['ReLU'], t_pair + t_closed):.2f} s (target <= 3 s); "
        f"{flops / 1e9:.1f} GFLOP -> {flops / trained / 1e9:.1f} GFLOP/s = "
        f"{flops / trained / peak:.0%} of peak"
    )
    if not skip_reference:
        old_total = sum(times[n + " old"] for n in ("ReLU", "ReLN", "modular")) + t_closed
        print(
            f"  old kernels {old_total:.2f} s CPU: ratio {old_total / total:.2f}x; "
            f"losses bit for bit identical: {same}"
        )
    bench_side_by_side(task, total)


def bench_side_by_side(task, serial_cpu: float) -> None:
    """The experiment as numerics.gdln.run_context_experiment runs it: the ReLU in a forked
    copy of this process (run_forked), the ReLN and modular nets on their one common
    pathway plus the closed form here; wall time against the same two parts one after the
    other in this script, and the results against the serial run's, bit for bit.

    Wall time, so read it on an idle machine only (the two parts need both cores); the
    serial CPU of the first part of the benchmark is printed beside it.
    """
    relu_job = networks(task)[0][1]
    pair = [net for _, net in pathway_nets(task)]
    jobs = [
        lambda: relu_job(num.train_context_net, num.train_pathway_network),
        lambda: (
            num.train_pathway_networks(task, pair, 1e-3, EPOCHS),
            th.authors_closed_form_loss(task, np.arange(0, EPOCHS + 1, 10)),
        ),
    ]
    w0 = time.perf_counter()
    serial = [job() for job in jobs]
    serial_wall = time.perf_counter() - w0
    w0 = time.perf_counter()
    forked = run_forked(jobs, workers=2)
    wall = time.perf_counter() - w0
    same = (
        np.array_equal(serial[0].losses, forked[0].losses)
        and all(map(np.array_equal, serial[0].weights, forked[0].weights))
        and all(
            np.array_equal(a.losses, b.losses)
            for a, b in zip(serial[1][0], forked[1][0], strict=True)
        )
        and np.array_equal(serial[1][1], forked[1][1])
    )
    print(
        f"side by side, the ReLU forked (run_forked, as the experiment runs): {wall:.2f} s wall "
        f"against {serial_wall:.2f} s serially here ({serial_wall / wall:.2f}x; serial CPU "
        f"{serial_cpu:.2f} s; target <= 3 s wall on the idle machine: "
        f"{'met' if wall <= 3.0 else 'not met'} in this run); results identical to the serial "
        f"run: {same}"
    )


def _timed(fn):
    """Wall time of fn() (no tracing: tracemalloc slows numpy's allocations)."""
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _peak_mib(fn) -> float:
    """Peak traced Python/numpy memory of fn() in MiB (a separate, traced run)."""
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs-batch", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--skip-reference", action="store_true")
    args = parser.parse_args()
    with single_blas_thread():
        bench_experiment(args.skip_reference)
    task = th.context_task(3, "different")

    S, E = args.seeds, args.epochs_batch
    seeds = list(range(S))
    for width in (700, 40):
        sizes = [11, width, 60]
        std = 0.005 / width

        def batched(sizes=sizes, std=std):
            return num.train_context_net(task, num.init_context_weights(sizes, std, seeds), 1e-3, E)

        def sequential(sizes=sizes, std=std):
            return [
                num.train_context_net(task, num.init_context_weights(sizes, std, [s]), 1e-3, E)
                for s in seeds
            ]

        rb, tb = _timed(batched)
        rs, ts = _timed(sequential)
        same = all(np.allclose(rb.losses[k], r.losses[0], rtol=1e-12) for k, r in enumerate(rs))
        mb, ms = _peak_mib(batched), _peak_mib(sequential)
        print(
            f"ReLU 11-{width}-60, {E} epochs: S={S} batched {tb:.2f} s (peak {mb:.1f} MiB) vs "
            f"{S} sequential {ts:.2f} s (peak {ms:.1f} MiB): speed-up {ts / tb:.2f}x, "
            f"identical losses {same}"
        )


if __name__ == "__main__":
    main()
