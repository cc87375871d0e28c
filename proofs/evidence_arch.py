"""EVIDENCE, the architectures of Fig. 3b/3c under the authors' protocol (EV-7, measured only).

The networks of :mod:`mtl_theory.numerics.evidence_arch` (non-leaky RNN, LSTM, one-layer
GPT-2) and the toolkit's leaky RNN, each trained on the authors' loss and scored by the three
protocols of :mod:`mtl_theory.numerics.evidence_protocol`. The paper (`paper`, Sec. 4 and
Fig. 3b/3c) says transformers are "particularly suited" to the task; EV-7 states no number,
so nothing here is compared with a prediction: the OOD r^2 and decoded-axis angles are
measurements, reported with their spread over networks x quadrants x fits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import evidence_arch as na
from mtl_theory.numerics import evidence_protocol as npr
from mtl_theory.numerics.precision import DEFAULT_DTYPE
from mtl_theory.proofs import evidence_rnn as per
from mtl_theory.theory import evidence as te
from mtl_theory.theory.model import Comparison

#: Every trained architecture of the diagram, the toolkit's leaky RNN first.
DIAGRAM_NETWORKS = ("rnn", *na.ARCHITECTURES)
DIAGRAM_N_TASKS = (2, 6, 24)
UNTRAINED_N_TASKS = 6
#: REDUCED budget of the diagram (the paper: 10^5 batches for the RNNs and LSTM, 2 x 10^4 for
#: GPT-2, 5 networks, 5 fits): training batches of 16 per network, networks per point, fits.
DIAGRAM_BATCHES = 3000
DIAGRAM_REPS = 2
DIAGRAM_FITS = 1
DIAGRAM_SIGMA, DIAGRAM_T = 0.2, 20


# --------------------------------------------------------------------------- check route


def check_architecture(
    setup: te.EvidenceSetup, options, trials, measured, comparisons, notes, quick: bool
) -> None:
    """``check --verify`` for network = 'rnn-nonleaky' | 'lstm' | 'transformer'."""
    seed = int(options.seed)
    runs = per.run_networks(setup, seed, quick)
    ideal = per.ideal_route_scores(setup, seed, quick)
    n_eval = min(trials.x_star.shape[0], 2000)
    sub = ne.Trials(trials.x_star[:n_eval], trials.samples[:n_eval])
    result = runs[0].result
    states = na.arch_states(result, sub.samples)
    ood = ne.ood_r2_all(states, sub.x_star, latent_variance=te.BOX_VARIANCE).mean(axis=1)
    measured.update(
        {
            "architecture": setup.network,
            "ood_r2_network": float(np.median(ood)),
            "ood_r2_network_per_orthant": ood,
            "rnn_batches": result.batches,
            "rnn_batch_size": result.config.batch,
            "rnn_train_seconds": [run.result.seconds for run in runs],
            "rnn_baseline_bce": result.baseline_loss,
        }
    )
    protocol_measured, protocol_notes = per.protocol_measurements(setup, runs, ideal)
    measured.update(protocol_measured)
    bces = []
    for run in runs:
        bce = na.arch_eval_loss(run.result, sub, setup.C, setup.d)
        bces.append(bce)
        comparisons.append(
            Comparison.upper_bound(
                "EV-7",
                f"trained {setup.network} {run.index} decision-step BCE below the "
                "constant-predictor baseline",
                run.result.baseline_loss,
                bce,
                0.0,
                "a trained network must beat predicting the label frequencies (sanity of "
                "training, not a prediction of the theory)",
                route="consistency",
            )
        )
    measured["rnn_eval_bce"] = bces
    notes.append(
        f"{len(runs)} {setup.network} network(s) trained {result.batches} batches of "
        f"{result.config.batch} with the {setup.rnn_loss!r} loss "
        f"({result.seconds:.1f} s for network 0; the paper: 10^5 batches for the RNNs and the "
        "LSTM, 2 x 10^4 for GPT-2, 5 networks). EV-7 gives no number: the OOD r2 is measured, "
        "not compared; ood_r2_network (network 0) is the least-squares decoder on a pool."
    )
    notes.extend(protocol_notes)


# --------------------------------------------------------------------------- diagram


def arch_points() -> list[dict[str, Any]]:
    """The grid: the costliest architecture first (the sweep hands points out in order).

    Besides the trained networks, every architecture untrained (``batches = 0``) at
    N_task = 6: the control that says how much of the OOD r^2 the initialization gives.
    """
    order = sorted(DIAGRAM_NETWORKS, key=lambda a: -DIAGRAM_NETWORKS.index(a))
    trained = [
        {"network": a, "n_tasks": n, "batches": DIAGRAM_BATCHES, "rep": r}
        for a in order
        for n in DIAGRAM_N_TASKS
        for r in range(DIAGRAM_REPS)
    ]
    untrained = [
        {"network": a, "n_tasks": UNTRAINED_N_TASKS, "batches": 0, "rep": r}
        for a in order
        for r in range(DIAGRAM_REPS)
    ]
    return trained + untrained


def _train_and_score(args: tuple) -> dict[str, Any]:
    network, n, batches, seed, dtype = args
    C, d = te.even_normals(n), np.zeros(n)
    result, states = na.train_network(
        network, C, d, DIAGRAM_SIGMA, DIAGRAM_T, batches, seed, dtype=dtype
    )
    scores = npr.score_network(
        states,
        DIAGRAM_SIGMA,
        DIAGRAM_T,
        npr.AUTHORS_DECODER_BATCHES[n],
        DIAGRAM_FITS,
        per.protocol_rng(seed, 0),
    )
    probe = ne.simulate_trials(2, DIAGRAM_SIGMA, DIAGRAM_T, 2000, ne.rng_from(seed + 1))
    return {
        **{f"r2_{p.replace('-', '_')}": scores.r2[p].tolist() for p in npr.PROTOCOLS},
        "angle_deg": scores.angles.tolist(),
        "eval_bce": na.eval_bce(network, result, probe, C, d),
        "baseline_bce": result.baseline_loss,
        "train_seconds": result.seconds,
        "protocol_seconds": scores.seconds,
        "fits": DIAGRAM_FITS,
    }


def arch_compute(
    params: Mapping[str, Any], seed: int, dtype: str = DEFAULT_DTYPE
) -> dict[str, Any]:
    """Train one network of the point's architecture (REDUCED budget) and score it.

    r^2 arrays are (4 quadrants, fits) per protocol (quadrant k = generalize.py's k + 1);
    ``angle_deg`` the Adam decoders' decoded-axis angles. Runs in a spawned one-BLAS-thread
    process (tiny products are many times slower when BLAS threads fight over the cores).
    ``dtype``: the arithmetic of training (float32 for exploratory diagrams only); the
    decoders and scores run in float64.
    """
    args = (
        str(params["network"]),
        int(params["n_tasks"]),
        int(params["batches"]),
        int(seed),
        dtype,
    )
    return per.map_single_thread(_train_and_score, [args], 1)[0]


def arch_summary(records: Sequence[Any]) -> dict[str, dict[int, dict[str, np.ndarray]]]:
    """Per network and N_task: the pooled values (networks x quadrants x fits) per quantity.

    Untrained controls are keyed ``"<network> (untrained)"``.
    """
    out: dict[str, dict[int, dict[str, np.ndarray]]] = {}
    for r in records:
        net, n = r.params["network"], int(r.params["n_tasks"])
        if int(r.params["batches"]) == 0:
            net += " (untrained)"
        slot = out.setdefault(net, {}).setdefault(n, {})
        for key in ("r2_authors_fixed", "r2_authors_published", "r2_least_squares", "angle_deg"):
            vals = np.ravel(np.asarray(r.result[key], dtype=float))
            slot[key] = np.concatenate([slot.get(key, np.empty(0)), vals])
    return out
