"""EVIDENCE: trained-RNN sweeps (Fig. 5a/5b/5c/S12) and the attractor analysis (analyze.py).

Per-point computations of the phase diagrams registered in
:mod:`mtl_theory.families.evidence_rnn_attractors`, ``evidence_rnn_dim``, ``_sigma``,
``_time``, ``_geometry`` and ``_bounded``. Every point trains the toolkit's numpy RNN
(:func:`mtl_theory.numerics.evidence.train_rnn`: the authors' init, inputs and all-steps BCE
loss, Adam 1e-3, batches of 16) for a REDUCED budget of :data:`SWEEP_BATCHES` batches (the
paper's: 1e5) in a child process with one BLAS thread.

What is compared with what:

* the sweeps (``dim``, ``sigma``, ``time``): the network's OOD r^2 on a held-out quarter
  (:mod:`mtl_theory.numerics.evidence_sweeps`) against the theory's values -- Eq. 7
  r^2 = 1 - sigma^2 / (t Var) (EV-5, ``code``) and the ideal route mu(t) scored by the same
  decoder on the same pool; EV-4 (``reconstructed``) predicts the collapse when
  rank C < D. EV-7 (``paper``) states no number: the network's values are measured only.
* the attractor analysis: two routes on the same network -- the authors' (numpy
  re-implementation of analyze.py, :mod:`mtl_theory.numerics.evidence_attractors`) and the
  toolkit's slow-point search (:func:`mtl_theory.numerics.evidence.find_fixed_points`) --
  and the toolkit's optimizer from the authors' starts, which separates the effect of the
  starts from that of the optimizer, tolerance and merging. Measured only (EV-7 gives no A).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import evidence_attractors as nat
from mtl_theory.numerics import evidence_protocol as npr
from mtl_theory.numerics import evidence_sweeps as nsw
from mtl_theory.numerics import evidence_tasks as nta
from mtl_theory.numerics.precision import DEFAULT_DTYPE
from mtl_theory.proofs.evidence import _call_single_thread
from mtl_theory.theory import evidence as te

#: Training batches of 16 per network in these diagrams (REDUCED; the paper's 1e5).
SWEEP_BATCHES = 3000
#: Trials in each network's scoring pool (states computed once).
SWEEP_POOL = 8000
#: Adam decoder fits per held-out region (REDUCED; generalize.py's n_fit = 5).
SWEEP_FITS = 2
#: Decoder batches when generalize.py gives none for N_task (its smallest count).
DEFAULT_DECODER_BATCHES = 1000

DIM_VALUES = (2, 4, 6, 8, 10)  # Fig. 5b/S12 (``code``: n_dim = [2, 4, 6, 8, 10])
DIM_TASKS = (24,)
SIGMA_VALUES = (0.1, 0.2, 0.4, 0.6)  # Fig. 5c (``code``: n_std 0.1, 0.2, 0.3, 0.4, 0.6)
SIGMA_TASKS = (24,)
TIME_VALUES = (5, 10, 20)  # stimulus steps of 100 ms
TIME_TASKS = (6,)
ATTRACTOR_TASKS = (2, 6, 24)
ATTRACTOR_REPS = 2


def boundaries(n_tasks: int, D: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Even central lines for D = 2 (``code``), random unit normals otherwise (``code``)."""
    C = te.even_normals(n_tasks) if D == 2 else te.random_normals(n_tasks, D, seed)
    return C, np.zeros(n_tasks)


def decoder_batches(n_tasks: int) -> int:
    return npr.AUTHORS_DECODER_BATCHES.get(n_tasks, DEFAULT_DECODER_BATCHES)


def _percentiles(values) -> list[float]:
    return np.percentile(np.asarray(values, dtype=float), [25, 50, 75]).tolist()


def _scores_record(
    net: nsw.PooledScores, ideal: nsw.PooledScores, sigma: float, t: int
) -> dict[str, Any]:
    """The network's and the ideal route's pooled scores, and Eq. 7, as JSON."""
    return {
        "ood_r2_adam": net.adam.ravel().tolist(),
        "ood_r2_adam_percentiles": _percentiles(net.adam),
        "ood_r2_least_squares": net.least_squares.tolist(),
        "ideal_ood_r2_least_squares": ideal.least_squares.tolist(),
        "r2_eq7": te.r2_eq7(sigma, t),
        "angle_deviation_adam": float(np.mean(np.abs(net.angles - 90.0))),
    }


def trained_sweep_point(
    D: int,
    n_tasks: int,
    sigma: float,
    t: int,
    seed: int,
    batches: int = SWEEP_BATCHES,
    dtype: str = DEFAULT_DTYPE,
) -> dict[str, Any]:
    """Train one RNN and score it (and the ideal route mu(t)) on held-out quarters.

    ``dtype``: the arithmetic of training (float32 for exploratory diagrams only); the
    scores are computed in float64.
    """
    C, d = boundaries(n_tasks, D, seed)
    result = _call_single_thread(_train_single, (C, d, sigma, t, batches, seed, dtype))
    rng = ne.rng_from(seed + 1)
    trials = ne.simulate_trials(D, sigma, t, SWEEP_POOL, rng)
    states = ne.rnn_states(result, trials.samples)
    nb = decoder_batches(n_tasks)
    net = nsw.score_pool(states, trials.x_star, rng, decoder_batches=nb, fits=SWEEP_FITS)
    # the ideal route by least squares only: mu(t) is 2-D, its decoder is not in question
    ideal = nsw.score_pool(trials.mean, trials.x_star, rng, decoder_batches=nb, fits=0)
    predicted_angles = te.decoded_axis_angles_closed_form(C)
    return {
        **_scores_record(net, ideal, sigma, t),
        "rank_C": int(np.linalg.matrix_rank(C)),
        "angle_median_adam": float(np.median(net.angles)),
        "angle_deviation_predicted": float(np.mean(np.abs(np.asarray(predicted_angles) - 90.0))),
        "decoder_batches": nb,
        "eval_bce": ne.rnn_eval_loss(result, trials, C, d),
        "baseline_bce": result.baseline_loss,
        "train_seconds": result.seconds,
        "batches": batches,
    }


def _train_single(args: tuple) -> ne.RNNResult:
    C, d, sigma, t, batches, seed, dtype = args
    config = ne.RNNConfig(D=C.shape[1], n_tasks=C.shape[0], dtype=dtype)
    return ne.train_rnn(C, d, sigma, t, batches=batches, seed=seed, config=config)


#: The paper's training budget (`paper`: 10^5 batches of 16 per network).
PAPER_BATCHES = 100_000


def _batches(params: Mapping[str, Any]) -> int:
    return int(params.get("batches", SWEEP_BATCHES))


def paper_grid(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A sweep's grid at the paper's training budget (``phase NAME --paper-budget``)."""
    return [{**p, "batches": PAPER_BATCHES} for p in points]


def dim_points() -> list[dict[str, Any]]:
    return [{"D": D, "n_tasks": n} for n in DIM_TASKS for D in DIM_VALUES]


def dim_compute(params: Mapping[str, Any], seed: int, dtype: str = DEFAULT_DTYPE) -> dict[str, Any]:
    return trained_sweep_point(
        int(params["D"]), int(params["n_tasks"]), 0.2, 20, seed, _batches(params), dtype=dtype
    )


def sigma_points() -> list[dict[str, Any]]:
    return [{"sigma": s, "n_tasks": n} for n in SIGMA_TASKS for s in SIGMA_VALUES]


def sigma_compute(
    params: Mapping[str, Any], seed: int, dtype: str = DEFAULT_DTYPE
) -> dict[str, Any]:
    return trained_sweep_point(
        2, int(params["n_tasks"]), float(params["sigma"]), 20, seed, _batches(params), dtype=dtype
    )


def time_points() -> list[dict[str, Any]]:
    return [{"t": t, "n_tasks": n} for n in TIME_TASKS for t in TIME_VALUES]


def time_compute(
    params: Mapping[str, Any], seed: int, dtype: str = DEFAULT_DTYPE
) -> dict[str, Any]:
    out = trained_sweep_point(
        2, int(params["n_tasks"]), 0.2, int(params["t"]), seed, _batches(params), dtype=dtype
    )
    # Fig5a.py draws 1 - 0.48/(timing + 1): right for DenoiseQuadsFreeRT, whose decision step
    # carries a stimulus sample; the toolkit's trials (and LinearClassificationCentOut's)
    # have a blank decision step, so t samples: 1 - 0.48/t (= r2_eq7) is the bound here
    out["r2_fig5a_formula"] = 1.0 - 0.48 / (int(params["t"]) + 1)
    return out


# --------------------------------------------------------------------------- attractors


def attractor_points() -> list[dict[str, Any]]:
    return [{"n_tasks": n, "rep": r} for n in ATTRACTOR_TASKS for r in range(ATTRACTOR_REPS)]


def attractor_compute(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Train one RNN; run the authors' analysis and the toolkit's search on it."""
    n = int(params["n_tasks"])
    C, d = te.even_normals(n), np.zeros(n)
    args = (C, d, 0.2, 20, SWEEP_BATCHES, seed, DEFAULT_DTYPE)  # its analysis needs float64
    result = _call_single_thread(_train_single, args)
    return _call_single_thread(_attractor_single, (result, seed))


def _attractor_single(args: tuple) -> dict[str, Any]:
    result, seed = args
    return attractor_routes(result, 20, ne.rng_from(seed + 2))


def attractor_routes(result: ne.RNNResult, t: int, rng: np.random.Generator) -> dict[str, Any]:
    """Three routes on one network: authors', toolkit's, toolkit's optimizer on their starts."""
    authors, starts = nat.rnn_authors_attractor_analysis(result, t, rng)
    W = result.params["W_rec"]
    bias = ne.rnn_stimulus_free_bias(result, 1.0)
    trials = ne.simulate_trials(result.encoder[0][0].shape[0], 0.2, t, nat.AUTHORS_STARTS, rng)
    own_starts = ne.rnn_end_of_stimulus_states(result, trials.samples)
    routes = {"authors": authors.summary()}
    for name, s in (("toolkit", own_starts), ("toolkit_from_authors_starts", starts)):
        fps = ne.find_fixed_points(W, bias, s)
        fixed = nat.spectra_and_amplification(name, fps.points, W, bias, fps.n_starts, fps.seconds)
        slow = nat.spectra_and_amplification(
            name + "_slow", fps.slow_points(), W, bias, fps.n_starts, fps.seconds
        )
        routes[name] = fixed.summary()
        routes[name + "_slow"] = slow.summary()
    return {
        "routes": routes,
        "authors_A": authors.A[np.isfinite(authors.A)].tolist(),
        "start_norm_median": float(np.median(np.linalg.norm(starts, axis=1))),
        "state_norm_median": float(np.median(np.linalg.norm(own_starts, axis=1))),
        "train_seconds": result.seconds,
        "batches": result.batches,
    }


# --------------------------------------------------------------------------- geometries

GEOMETRY_VALUES = ("linear", "copula", "quadratic-encoder", "hyperbolic")
GEOMETRY_TASKS = 24  # a multiple of 4 (hyperbolic: N_task/4 thresholds per quadrant)


def geometry_points() -> list[dict[str, Any]]:
    return [{"geometry": g, "n_tasks": GEOMETRY_TASKS} for g in GEOMETRY_VALUES]


def geometry_compute(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Train on a task geometry (numerics.evidence_tasks); score on held-out quadrants.

    The pool is drawn from the geometry's own latent distribution (the copula's for
    ``"copula"``). Theory's reference: the ideal route mu(t) on the same pool, whose OOD r^2
    is Eq. 7 whatever the prior and the boundaries (mu(t) - x* is N(0, sigma^2/t I)
    independent of x*, and each factor's variance is 1/12 under the copula too). EV-2/EV-3
    (affine boundaries, rank C = D) cover "linear", "copula" (mu(t) stays sufficient; the
    closed-form inversion EV-3 is a flat-prior statement) and "quadratic-encoder" (any
    injective encoder); for "hyperbolic" they do not apply: the Bayes outputs are functions of
    mu(t) (sufficiency) but not probits of affine functions of it, so no affine extraction is
    predicted -- measured only.
    """
    geometry = nta.TaskGeometry(str(params["geometry"]), int(params["n_tasks"]))
    sigma, t = 0.2, 20
    result = _call_single_thread(_train_task_single, (nta.train_task_rnn, geometry, sigma, t, seed))
    rng = ne.rng_from(seed + 1)
    x = nta.sample_latents(geometry, SWEEP_POOL, rng)
    samples = x[:, None, :] + sigma * rng.standard_normal((SWEEP_POOL, t, 2))
    states = nta.task_states(result, samples, geometry.encoder_activation)
    nb = decoder_batches(geometry.n_tasks)
    net = nsw.score_pool(states, x, rng, decoder_batches=nb, fits=SWEEP_FITS)
    ideal = nsw.score_pool(samples.mean(axis=1), x, rng, decoder_batches=nb, fits=0)
    labels = nta.labels(geometry, x)
    inputs = nta.task_inputs(result.encoder, samples, geometry.encoder_activation)
    bce, _ = ne.rnn_loss_and_grads(result.params, inputs, labels, loss="decision-step")
    return {
        **_scores_record(net, ideal, sigma, t),
        "theory_applies": geometry.name != "hyperbolic",
        "held_out_trials": net.n_test.tolist(),
        "eval_bce": float(bce),
        "baseline_bce": result.baseline_loss,
        "train_seconds": result.seconds,
        "batches": SWEEP_BATCHES,
    }


def _train_task_single(args: tuple) -> ne.RNNResult:
    """trainer(task, sigma, t, batches=SWEEP_BATCHES, seed=seed) (a child process's entry)."""
    trainer, task, sigma, t, seed = args
    return trainer(task, sigma, t, batches=SWEEP_BATCHES, seed=seed)


# --------------------------------------------------------------------------- bounded accumulator

#: (N_task, bounded): train.py's n_task = 24 and a smaller N_task at the authors' bound 5, and
#: the unbounded real-valued accumulator (linear head) as the control where EV-3 applies.
BOUNDED_POINTS = ((24, True), (6, True), (24, False))


def bounded_points() -> list[dict[str, Any]]:
    return [{"n_tasks": n, "bounded": b} for n, b in BOUNDED_POINTS]


def bounded_task(params: Mapping[str, Any]) -> nta.BoundedAccumulatorTask:
    n = int(params["n_tasks"])
    if params["bounded"]:
        return nta.BoundedAccumulatorTask(n)
    return nta.BoundedAccumulatorTask(n, bound=float("inf"), truncate=False)


def unabsorbed_pairs(task: nta.BoundedAccumulatorTask, targets_step: np.ndarray) -> np.ndarray:
    """Trials (n,) whose targets at one step leave >= 2 tasks unabsorbed (|y| < bound).

    The even lines are pairwise non-parallel, so two unabsorbed tasks span R^2.
    """
    return np.sum(np.abs(targets_step) < task.bound, axis=1) >= 2


def bounded_compute(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Train one RNN on LinearClassificationBound (or its unbounded control) and score it.

    What the theory says (``derived``; the argument is in the diagram's description and
    NOTES-ev-rest.md). The target at stimulus step k is a deterministic function of the
    samples 1 .. k - 1 already seen, so an MSE-optimal network reproduces it exactly (zero
    Bayes error): the outputs are not posteriors and EV-1/EV-2's probit inversion does not
    apply. Unbounded control (linear head, real-valued sums): the optimal outputs are
    y(k) = (k - 1) C mu(k - 1) with C = [-alpha_i, 1] of rank 2, so
    mu(k - 1) = C^+ (W h + b) / (k - 1) is affine in the state: EV-3's conclusion holds, and an
    affine decoder of the last stimulus step's state reaches the OOD r^2 of mu(t - 1), Eq. 7 at
    t - 1 samples. Bounded (absorbing at +-5, integer truncation): the outputs are
    path-dependent staircases of the sums, not functions of mu at all, so no affine extraction
    is predicted; the state must still carry the exact sums of the unabsorbed tasks (the next
    targets depend on them), which determine mu only on trials with >= 2 unabsorbed tasks --
    reported as ``unabsorbed_pairs_fraction``. Measured: the network's OOD r^2 (Adam decoders
    and least squares at the last stimulus step, least squares at the decision step), the
    ideal route mu(t), and the "output route": an affine decoder of x* from the optimal
    outputs (the targets) at the last stimulus step.
    """
    task = bounded_task(params)
    sigma, t = 0.2, 20
    result = _call_single_thread(_train_task_single, (nta.train_bounded_rnn, task, sigma, t, seed))
    rng = ne.rng_from(seed + 1)
    x = rng.uniform(-0.5, 0.5, (SWEEP_POOL, 2))
    samples = x[:, None, :] + sigma * rng.standard_normal((SWEEP_POOL, t, 2))
    states = nta.bounded_states(result, task, samples)
    last = task.fixation_steps + t - 1  # the last stimulus step: target = sum of t - 1 samples
    targets = nta.bounded_targets(task, samples)[:, last]
    nb = decoder_batches(task.n_tasks)
    net = nsw.score_pool(states[:, last], x, rng, decoder_batches=nb, fits=SWEEP_FITS)
    decision = nsw.score_pool(states[:, -1], x, rng, decoder_batches=nb, fits=0)
    ideal = nsw.score_pool(samples.mean(axis=1), x, rng, decoder_batches=nb, fits=0)
    outputs = nsw.score_pool(targets, x, rng, decoder_batches=nb, fits=0)
    pairs = unabsorbed_pairs(task, targets)
    return {
        **_scores_record(net, ideal, sigma, t),
        "r2_eq7_lagged": te.r2_eq7(sigma, t - 1),
        "ood_r2_least_squares_decision_step": decision.least_squares.tolist(),
        "output_route_ood_r2_least_squares": outputs.least_squares.tolist(),
        "unabsorbed_pairs_fraction": float(np.mean(pairs)),
        "unabsorbed_pairs_fraction_held_out": [
            float(np.mean(pairs[nsw.held_out_mask(x, q)])) for q in range(1, 5)
        ],
        "absorbed_fraction": float(np.mean(np.abs(targets) >= task.bound)),
        "theory_applies": not params["bounded"],
        "eval_mse": nta.bounded_eval_mse(result, task, samples[:2000]),
        "baseline_mse": result.baseline_loss,
        "train_seconds": result.seconds,
        "batches": SWEEP_BATCHES,
    }
