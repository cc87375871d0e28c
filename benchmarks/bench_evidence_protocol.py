"""EVIDENCE decoder protocol kernels (issue 12): the old and the new code side by side.

One fit of the authors' protocol on the paper's RNN (t = 20, D = 2): the decision-step
states of the fit's 32000 training + 1280 test trials (``rnn_states``), the online Adam
decoder (2000 batches of 16, ``fit_adam_decoder``) and, for the breakdown only, the ridge
path and least squares (unchanged). The old kernels are kept here only, as the baseline:
``encode`` in one product per 512-trial chunk (before ``encode_in_blocks``), the textbook
``Adam.step`` and the two-array decoder fit. Both run interleaved in this process, single
BLAS thread (as check and verify do), and their results are compared bit for bit first.

Prints the CPU seconds (user + sys, ``resource.getrusage``) of each kernel, old and new,
summed over ``--repeats`` interleaved rounds, and the ratios. CPU, not wall: the machine is
shared. ``python benchmarks/bench_evidence_protocol.py [--repeats N] [--rnn-batches N]``
"""

from __future__ import annotations

import argparse
import resource
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import evidence_protocol as npr
from mtl_theory.numerics.blas import single_blas_thread
from mtl_theory.theory import evidence as te

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from reference_kernels import two_array_adam_decoder_fit  # the baseline, shared with the tests


def old_rnn_states(result: ne.RNNResult, samples: np.ndarray, chunk: int = 512) -> np.ndarray:
    """rnn_states with the whole chunk encoded in one product (the baseline)."""
    p = result.params
    out = np.empty((samples.shape[0], p["W_rec"].shape[0]))
    D = samples.shape[2]
    blank = ne.encode(result.encoder, np.zeros((1, D)))[0]
    for start in range(0, samples.shape[0], chunk):
        s = samples[start : start + chunk]
        B, t, _ = s.shape
        feats = ne.encode(result.encoder, s.reshape(B * t, D)).reshape(B, t, -1)
        F = feats.shape[2]
        inputs = np.empty((B, t + 2, F + 1))
        inputs[:, 0, :F], inputs[:, 0, F] = blank, 1.0
        inputs[:, 1 : t + 1, :F], inputs[:, 1 : t + 1, F] = feats, 1.0
        inputs[:, -1, :F], inputs[:, -1, F] = blank, 0.0
        pre = inputs @ p["W_in"] + p["b"]
        h = np.zeros((B, out.shape[1]))
        hW = np.empty_like(h)
        for k in range(pre.shape[1]):
            np.matmul(h, p["W_rec"], out=hW)
            hW += pre[:, k]
            np.maximum(hW, 0.0, out=h)
        out[start : start + chunk] = h
    return out


def cpu_seconds(f: Callable, *args, **kwargs) -> tuple[float, object]:
    """(user + sys CPU seconds of f(*args, **kwargs), its result)."""
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    out = f(*args, **kwargs)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime, out


def same_fit(old: tuple, new: npr.AdamDecoderFit) -> bool:
    old_arrays = (*old[0], *old[1], old[2], old[3])
    new_arrays = (*new.predictions, *new.path, new.W, new.b)
    return len(old_arrays) == len(new_arrays) and all(
        np.array_equal(u, v) for u, v in zip(old_arrays, new_arrays, strict=True)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rnn-batches", type=int, default=200)
    args = parser.parse_args()
    C = te.even_normals(6)
    result = ne.train_rnn(C, np.zeros(6), 0.2, 20, batches=args.rnn_batches, seed=1)
    rng = np.random.Generator(np.random.PCG64(7))
    x_train = npr.training_latents(1, 2000 * 16, rng)
    samples = npr.evidence_samples(x_train, 0.2, 20, rng)
    test = npr.evidence_samples(npr.test_latents(1, 1280, rng, published=False), 0.2, 20, rng)
    path_steps = tuple(min(1999, int(f * 2000)) for f in npr.ADAM_PATH_FRACTIONS)
    cpu = {k: [0.0, 0.0] for k in ("states", "adam decoder", "ridge path", "least squares")}
    with single_blas_thread():
        feats, f_test = ne.rnn_states(result, samples), ne.rnn_states(result, test)
        tests = (f_test[:640], f_test[640:])
        for _ in range(args.repeats):
            t_old, s_old = cpu_seconds(old_rnn_states, result, samples)
            t_new, s_new = cpu_seconds(ne.rnn_states, result, samples)
            assert np.array_equal(s_old, s_new) and np.array_equal(s_new, feats), "states differ"
            cpu["states"][0] += t_old
            cpu["states"][1] += t_new
            t_old, a = cpu_seconds(
                two_array_adam_decoder_fit,
                feats,
                x_train,
                tests,
                np.random.Generator(np.random.PCG64(3)),
                path_steps,
                f_test,
            )
            t_new, b = cpu_seconds(
                npr.fit_adam_decoder,
                feats,
                x_train,
                tests,
                np.random.Generator(np.random.PCG64(3)),
                path_steps=path_steps,
                path_features=f_test,
            )
            assert same_fit(a, b), "fit_adam_decoder differs from the baseline"
            cpu["adam decoder"][0] += t_old
            cpu["adam decoder"][1] += t_new
            for name, kernel in (
                ("ridge path", npr.ridge_path_predictions),
                ("least squares", npr.least_squares_predictions),
            ):
                t, _ = cpu_seconds(kernel, feats, x_train, f_test)
                cpu[name] = [cpu[name][0] + t, cpu[name][1] + t]
    print(
        f"one protocol fit (32000 + 1280 trials, 2000 decoder batches) x {args.repeats} rounds, "
        "1 BLAS thread, CPU s; old and new equal bit for bit"
    )
    for name, (old, new) in cpu.items():
        note = "" if name in ("states", "adam decoder") else "  (unchanged: one run counted twice)"
        print(f"  {name:14s} old {old:7.2f}  new {new:7.2f}  old/new {old / new:5.2f}{note}")
    old, new = sum(v[0] for v in cpu.values()), sum(v[1] for v in cpu.values())
    print(f"  {'all kernels':14s} old {old:7.2f}  new {new:7.2f}  old/new {old / new:5.2f}")


if __name__ == "__main__":
    main()
