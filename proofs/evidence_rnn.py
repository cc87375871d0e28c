"""EVIDENCE, the trained-RNN route under the authors' evaluation protocol (EV-7, measured only).

Trains ``setup.rnn_networks`` RNNs (numerics.evidence, the authors' train.py loss by default)
and scores each under the three protocols of :mod:`mtl_theory.numerics.evidence_protocol`
(generalize.py as published, the same with a genuinely held-out quadrant, least squares);
the ideal route mu(t) is scored by the same protocols, as the reference. EV-7 states no
number, so nothing here is compared with a prediction: the percentiles are measurements,
reported with the authors' counts (networks x quadrants x fits) and the spread over networks.

Networks are independent, so they run in parallel worker processes with one BLAS thread each
(tiny products are many times slower when BLAS threads fight over two cores); every network's
numbers depend only on (seed, network index), never on the number of workers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import numpy as np
from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import evidence_arch as na
from mtl_theory.numerics import evidence_protocol as npr
from mtl_theory.numerics import progress
from mtl_theory.numerics.blas import (
    blas_single_threaded,
    nested_jobs,
)
from mtl_theory.numerics.sweep import watched_pool
from mtl_theory.theory import evidence as te

#: Stream tag of the protocol's random numbers (decoder inits, decoder and test trials),
#: kept apart from the training stream of the same network.
PROTOCOL_STREAM = 0x5EED
#: Quick mode (``verify --quick``): one network, one fit, a short decoder run.
QUICK_NETWORKS, QUICK_FITS, QUICK_DECODER_BATCHES = 1, 1, 300


def protocol_rng(seed: int, network: int) -> np.random.Generator:
    """The protocol's generator for network ``network`` (``-1``: the ideal route)."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence((int(seed), int(network) + 1, PROTOCOL_STREAM)))
    )


@dataclass(frozen=True)
class NetworkRun:
    """One trained network and its protocol scores."""

    index: int
    result: ne.RNNResult | na.ArchResult  # network = 'rnn' | the other architectures
    scores: npr.ProtocolScores
    training_seed: int | None = None  # :func:`training_seed`; None in hand-built runs (tests)


@dataclass(frozen=True)
class Budget:
    """The counts one run uses (the setup's, or quick mode's)."""

    networks: int
    rnn_batches: int
    fits: int
    decoder_batches: int


def budget(setup: te.EvidenceSetup, quick: bool) -> Budget:
    if quick:
        return Budget(
            QUICK_NETWORKS,
            min(setup.rnn_batches, 300),
            QUICK_FITS,
            min(setup.decoder_batches, QUICK_DECODER_BATCHES),
        )
    return Budget(setup.rnn_networks, setup.rnn_batches, setup.decoder_fits, setup.decoder_batches)


def training_seed(seed: int, index: int) -> int:
    """The training seed of network ``index`` of a check run with ``--seed seed``.

    Checks whose seeds differ by at least their network count share no network, so their
    networks can be pooled; the report lists them (``rnn_training_seeds``), and
    benchmarks/evidence_side_by_side.py refuses pools that share one.
    """
    return int(seed) + 1 + int(index)


def train_and_score(args: tuple) -> NetworkRun:
    """Train network ``index`` (seed :func:`training_seed`) and score it (worker entry point).

    ``network`` (the last item, default 'rnn') is any of ``evidence_arch.TRAINED_NETWORKS``.
    """
    C, d, sigma, t, loss, b, seed, index, *rest = args
    network = rest[0] if rest else "rnn"
    seed_k = training_seed(seed, index)
    result, states = na.train_network(network, C, d, sigma, t, b.rnn_batches, seed_k, loss)
    scores = npr.score_network(
        states,
        sigma,
        t,
        b.decoder_batches,
        b.fits,
        protocol_rng(seed, index),
        D=C.shape[1],
    )
    return NetworkRun(index, result, scores, seed_k)


def map_single_thread(function: Callable, args: Sequence[tuple], workers: int) -> list:
    """[function(a) for a in args] in spawned single-BLAS-thread processes, order kept; the
    processes exit with this one (:func:`mtl_theory.numerics.sweep.watched_pool`).

    With one worker and this process's BLAS already single-threaded (``check``, ``verify``,
    sweep workers: :func:`blas_single_threaded`) they run here, one after the other, with the
    same products and so the same numbers, without a process start (about 1.6 s of imports).
    Falls back to running here when spawning is impossible (no importable __main__).
    """
    if workers <= 1 and blas_single_threaded():
        results = []
        for a in args:
            results.append(function(a))
            progress.tick("trained networks", len(results), len(args))
        return results
    try:
        # watched: the workers exit with this process (a killed check left them sleeping)
        with watched_pool(max(1, workers)) as pool:
            results = []
            for result in pool.map(function, args):  # in order: ticks as each one is back
                results.append(result)
                progress.tick("trained networks", len(results), len(args))
            return results
    except BrokenProcessPool:
        return [function(a) for a in args]


def run_networks(setup: te.EvidenceSetup, seed: int, quick: bool) -> list[NetworkRun]:
    """Train and score every network of the setup, in parallel: one process per network, at
    most os.cpu_count() (or ``MTL_THEORY_NESTED_JOBS``), and one inside a pool whose processes
    already take the cores (``verify --workers > 1``, ``phase``: :func:`nested_jobs`). Each
    network has its own seed and protocol stream, so the results do not depend on this."""
    b = budget(setup, quick)
    args = [
        (setup.C, setup.d, setup.sigma, setup.t, setup.rnn_loss, b, int(seed), k, setup.network)
        for k in range(b.networks)
    ]
    workers = nested_jobs(default=min(b.networks, os.cpu_count() or 1))
    return map_single_thread(train_and_score, args, min(b.networks, workers))


def ideal_route_scores(setup: te.EvidenceSetup, seed: int, quick: bool) -> npr.ProtocolScores:
    """The three protocols applied to mu(t), the ideal observer's sufficient statistic."""
    b = budget(setup, quick)
    return npr.score_network(
        lambda samples: samples.mean(axis=1),
        setup.sigma,
        setup.t,
        b.decoder_batches,
        b.fits,
        protocol_rng(seed, -1),
        D=setup.D,
    )


def _key(protocol: str) -> str:
    return protocol.replace("-", "_")


def regularization_path_measurements(
    runs: Sequence[NetworkRun], ideal: npr.ProtocolScores
) -> dict[str, Any]:
    """OOD r^2 along the ridge path and the Adam early-stopping path (measured only).

    Both on the genuinely held-out quadrant and on each fit's training trials; medians over
    networks x quadrants x fits per point of the path, for the networks and the ideal route.
    """
    ridge = np.stack([run.scores.ridge for run in runs])  # (networks, 4, fits, alphas)
    adam = np.stack([run.scores.adam_path for run in runs])
    return {
        "ood_r2_ridge_alphas": list(npr.RIDGE_ALPHAS),
        "ood_r2_ridge_path_median": np.median(ridge, axis=(0, 1, 2)),
        "ood_r2_ridge_path_quartiles": np.percentile(ridge, [25, 75], axis=(0, 1, 2)),
        "ood_r2_ideal_ridge_path_median": np.median(ideal.ridge, axis=(0, 1)),
        "ood_r2_adam_path_updates": list(runs[0].scores.adam_path_updates),
        "ood_r2_adam_path_median": np.median(adam, axis=(0, 1, 2)),
        "ood_r2_ideal_adam_path_median": np.median(ideal.adam_path, axis=(0, 1)),
    }


def protocol_measurements(
    setup: te.EvidenceSetup, runs: Sequence[NetworkRun], ideal: npr.ProtocolScores
) -> tuple[dict[str, Any], list[str]]:
    """Measured keys of the protocols and the notes that explain them.

    ``ood_r2_percentiles`` holds the 25/50/75 percentiles of the selected protocol over
    networks x quadrants x fits; ``ood_r2_<protocol>_percentiles`` those of each protocol,
    ``ood_r2_<protocol>_values`` the raw array (networks, 4 quadrants, fits),
    ``..._per_quadrant_median`` the median of each quadrant (quadrants 1..4 = (+,+), (-,+),
    (-,-), (+,-)), ``..._network_medians`` the median of each network (the seed spread), and
    ``ood_r2_ideal_<protocol>_percentiles`` the ideal route under the same protocol.
    """
    protocols = tuple(runs[0].scores.r2)  # D > 2: no published (2-D only) protocol
    measured = _protocol_settings(setup, runs)
    if "authors-published" in protocols:
        measured["ood_r2_authors_published_bug"] = npr.PUBLISHED_BUG
    for protocol in protocols:
        measured.update(_protocol_scores(protocol, runs, ideal))
    measured["ood_r2_percentiles"] = measured[f"ood_r2_{_key(setup.protocol)}_percentiles"]
    measured.update(_decoded_angle_measurements(runs))
    measured["rnn_protocol_seconds"] = [run.scores.seconds for run in runs]
    measured.update(regularization_path_measurements(runs, ideal))
    measured.update(spread_ratio_measurements(runs))
    notes = [
        _protocol_summary_note(setup, measured, protocols, len(runs)),
        _held_out_region_note(setup, measured, protocols),
        _regularization_note(measured),
    ]
    return measured, notes


def _protocol_settings(setup: te.EvidenceSetup, runs: Sequence[NetworkRun]) -> dict[str, Any]:
    """The loss, counts and held-out region the protocols were run with."""
    return {
        "rnn_loss": setup.rnn_loss,
        "rnn_networks": len(runs),
        # which networks these are: checks of one setup may be pooled only if they share none
        "rnn_training_seeds": [run.training_seed for run in runs],
        "ood_r2_protocol": setup.protocol,
        "decoder_fits": int(runs[0].scores.r2[setup.protocol].shape[1]),
        "decoder_batches": runs[0].scores.decoder_batches,
        "decoder_test_trials": runs[0].scores.test_trials,
        "decoder_test_steps": list(npr.test_steps(runs[0].scores.decoder_batches)),
        "ood_r2_held_out_region": "quadrant"
        if setup.D == 2
        else "quarter: signs of the last two coordinates fixed (generalize.py history, split = 4)",
    }


def _protocol_scores(
    protocol: str, runs: Sequence[NetworkRun], ideal: npr.ProtocolScores
) -> dict[str, Any]:
    """One protocol's OOD r2: percentiles, raw values, per-quadrant and per-network medians."""
    values = np.stack([run.scores.r2[protocol] for run in runs])
    k = _key(protocol)
    return {
        f"ood_r2_{k}_percentiles": npr.percentiles(values),
        f"ood_r2_{k}_values": values,
        f"ood_r2_{k}_per_quadrant_median": np.median(values, axis=(0, 2)),
        f"ood_r2_{k}_network_medians": np.median(values, axis=(1, 2)),
        f"ood_r2_ideal_{k}_percentiles": npr.percentiles(ideal.r2[protocol]),
    }


def _decoded_angle_measurements(runs: Sequence[NetworkRun]) -> dict[str, Any]:
    """Percentiles of the angle between the decoded axes and of its deviation from 90 deg."""
    angles = np.stack([run.scores.angles for run in runs])
    deviations = np.stack([run.scores.angle_deviations for run in runs])
    return {
        "decoded_axis_angle_authors_decoder_percentiles_deg": npr.percentiles(angles),
        "decoded_axis_angle_deviation_authors_decoder_percentiles_deg": npr.percentiles(deviations),
    }


def _region_word(setup: te.EvidenceSetup) -> str:
    return "quadrants" if setup.D == 2 else "quarters"


def _protocol_summary_note(
    setup: te.EvidenceSetup, measured: Mapping[str, Any], protocols: Sequence[str], n_runs: int
) -> str:
    """The selected protocol's percentiles, the counts, and every protocol's median."""
    p = measured["ood_r2_percentiles"]
    fits = measured["decoder_fits"]
    return (
        f"OOD protocol {setup.protocol!r} (EV-7, measured only): 25/50/75 percentiles "
        f"{p[0]:.3f} / {p[1]:.3f} / {p[2]:.3f} over {n_runs} network{'s' * (n_runs != 1)} x 4 "
        f"held-out {_region_word(setup)} x {fits} fit{'s' * (fits != 1)} (the authors' counts: "
        f"5 x 4 x 5), Adam decoder {measured['decoder_batches']} batches of 16, "
        f"{measured['decoder_test_trials']} test trials per fit. All {len(protocols)} protocols "
        "share each fit's training trials: "
        + ", ".join(f"{q} {measured[f'ood_r2_{_key(q)}_percentiles'][1]:.3f}" for q in protocols)
        + " (medians); the ideal route mu(t) under the same protocols: "
        + ", ".join(
            f"{q} {measured[f'ood_r2_ideal_{_key(q)}_percentiles'][1]:.3f}" for q in protocols
        )
        + "."
    )


def _held_out_region_note(
    setup: te.EvidenceSetup, measured: Mapping[str, Any], protocols: Sequence[str]
) -> str:
    """What is held out: the published bug beside the fixed quadrants (D = 2), or the quarters."""
    fix = measured["ood_r2_authors_fixed_per_quadrant_median"]
    if "authors-published" in protocols:
        pub = measured["ood_r2_authors_published_per_quadrant_median"]
        return (
            "authors-published reproduces generalize.py's bug: "
            + npr.PUBLISHED_BUG
            + ". Per-quadrant medians (quadrants 1-4), published "
            + ", ".join(f"{v:.3f}" for v in pub)
            + "; fixed "
            + ", ".join(f"{v:.3f}" for v in fix)
            + ": quadrants 1 and 3 are the same test distribution in both."
        )
    return (
        f"D = {setup.D}: the held-out region is a quarter of the box, the signs of the last "
        "two coordinates fixed and the others free (generalize.py's history, "
        "DenoiseQuadsHighDim with split = 4, `code`; the published generalize.py is 2-D and "
        "its buggy test set does not arise with an array of orthants, so authors-published "
        "is not measured). Per-quarter medians (quarters 1-4 = (-,-), (-,+), (+,-), (+,+) "
        "in the last two coordinates) " + ", ".join(f"{v:.3f}" for v in fix) + "."
    )


#: Held-out / training spread of one unit above which a fit counts as having a unit that is
#: almost silent in training and active on the held-out region (a reading threshold for the
#: summary only; the raw ratios are reported).
SPREAD_RATIO_THRESHOLD = 10.0


def spread_ratio_measurements(runs: Sequence[NetworkRun]) -> dict[str, Any]:
    """Per fit, the largest held-out / training spread of a unit
    (:func:`mtl_theory.numerics.evidence_protocol.held_out_spread_ratio`), beside the
    least-squares OOD r2 of the same fit (measured only).

    ``ood_unit_spread_ratio_values`` (networks, 4, fits) and its per-network medians; the
    medians of the least-squares and of the authors' (Adam, fixed protocol) OOD r2 over the fits
    whose ratio exceeds :data:`SPREAD_RATIO_THRESHOLD` and over the others (nan when a group
    is empty). With :func:`~mtl_theory.numerics.evidence_protocol.least_squares_extrapolation`
    recorded, also ``ood_direction_spread_ratio_values`` (the largest held-out excursion along
    one direction, in training spreads) and ``ood_least_squares_variance_share_values`` (the
    share of the least-squares held-out error that the OLS prediction variance accounts for),
    with the 25/50/75 percentiles of each. Absent for scores computed before the ratios were
    recorded.
    """
    if any(run.scores.spread_ratio is None for run in runs):
        return {}
    ratio = np.stack([run.scores.spread_ratio for run in runs])
    out: dict[str, Any] = {
        "ood_unit_spread_ratio_values": ratio,
        "ood_unit_spread_ratio_network_medians": np.median(ratio, axis=(1, 2)),
        "ood_unit_spread_ratio_threshold": SPREAD_RATIO_THRESHOLD,
    }
    if all(run.scores.extrapolation is not None for run in runs):
        extrapolation = np.stack([run.scores.extrapolation for run in runs])
        for key, values in (
            ("ood_direction_spread_ratio", extrapolation[..., 0]),
            ("ood_least_squares_variance_share", extrapolation[..., 1]),
        ):
            out[f"{key}_values"] = values
            out[f"{key}_percentiles"] = npr.percentiles(values)
    high = ratio > SPREAD_RATIO_THRESHOLD
    out["ood_unit_spread_ratio_fits_above"] = int(high.sum())
    for protocol in ("least-squares", "authors-fixed"):
        values = np.stack([run.scores.r2[protocol] for run in runs])
        k = _key(protocol)
        for name, group in (("above", high), ("below", ~high)):
            chosen = values[group]
            out[f"ood_r2_{k}_median_spread_{name}"] = (
                float(np.median(chosen)) if chosen.size else float("nan")
            )
    return out


def _regularization_note(measured: Mapping[str, Any]) -> str:
    """The ridge and Adam paths of the decoder, beside the ideal route's ridge path."""
    ridge_med = measured["ood_r2_ridge_path_median"]
    best = int(np.argmax(ridge_med))
    return (
        "Decoder regularization (measured only, held-out region, same training trials): "
        f"ridge median OOD r2 {ridge_med[0]:.3f} at alpha = 0 (least squares), best "
        f"{ridge_med[best]:.3f} at alpha = {npr.RIDGE_ALPHAS[best]:g} (alpha in units of the "
        "mean feature variance); ideal route mu(t) along the same path "
        + ", ".join(f"{v:.3f}" for v in measured["ood_r2_ideal_ridge_path_median"])
        + "; Adam decoder after "
        + ", ".join(str(u) for u in measured["ood_r2_adam_path_updates"])
        + " updates: "
        + ", ".join(f"{v:.3f}" for v in measured["ood_r2_adam_path_median"])
        + ". No derivation of why a regularized decoder generalizes better is claimed."
        + _spread_note(measured)
    )


def _spread_note(measured: Mapping[str, Any]) -> str:
    """The units almost silent in training and active on the held-out region (if recorded)."""
    if "ood_unit_spread_ratio_values" not in measured:
        return ""
    ratio = measured["ood_unit_spread_ratio_values"]
    t = measured["ood_unit_spread_ratio_threshold"]
    return (
        f" In {measured['ood_unit_spread_ratio_fits_above']} of {ratio.size} fits a unit's "
        f"held-out spread is more than {t:g}x its training spread (largest {np.max(ratio):.3g}):"
        " least squares weights such a unit by about 1 / its training spread; median "
        f"least-squares OOD r2 {measured['ood_r2_least_squares_median_spread_above']:.3f} on "
        f"those fits, {measured['ood_r2_least_squares_median_spread_below']:.3f} on the others "
        f"(Adam decoder, fixed protocol: {measured['ood_r2_authors_fixed_median_spread_above']:.3f}"
        f" and {measured['ood_r2_authors_fixed_median_spread_below']:.3f})."
        + _extrapolation_note(measured)
    )


def _extrapolation_note(measured: Mapping[str, Any]) -> str:
    """The held-out excursion along one direction and the OLS variance share (if recorded)."""
    if "ood_direction_spread_ratio_percentiles" not in measured:
        return ""
    d = measured["ood_direction_spread_ratio_percentiles"]
    v = measured["ood_least_squares_variance_share_percentiles"]
    return (
        f" Along one direction the held-out features leave the training mean by {d[1]:.3g} "
        f"training spreads (median; 25-75 %: {d[0]:.3g}-{d[2]:.3g}); the OLS prediction "
        f"variance accounts for {v[1]:.3g} of least squares' held-out error (median; 25-75 %: "
        f"{v[0]:.3g}-{v[2]:.3g}): near 0, the error is the bias of extrapolating an affine fit, "
        "which more training trials would not remove."
    )
