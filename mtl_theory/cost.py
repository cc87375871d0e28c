"""Cost before work (issue 14 item 2): what a requested route will take, from the setup alone.

Before ``check --verify`` runs, the family's route is estimated in exact integers from the
setup (array sizes, epochs × widths, trials × samples × dimensions); beyond the budget the
check is refused in one line that says what it would cost and how to proceed. The budget
defaults to :data:`DEFAULT_MEMORY_GIB` GiB and :data:`DEFAULT_SECONDS` s and is raised with
``check --budget GIB`` and ``--time-budget SECONDS``.

The estimates count the dominant terms (the largest arrays; the multiply-adds of training
and of forward passes) in exact integers and turn them into seconds of one idle core with
an effective rate per route, calibrated by measurement (``benchmarks/bench_cost.py`` prints
estimate vs measured on points other than the calibration ones; its last result is in the
constants' comments). They are estimates, not bounds: a refused spec costs about that much.
WTA's exhaustive and branch-and-bound routes are refused by ``proofs.wta.choose_method`` in
exact code counts; its MILP route, and its exhaustive search, branch-and-bound and gradient
route at their slowest measured rates (an "up to" figure), are estimated here.

The same estimators give phase-diagram points their cost (``PhaseDiagram.cost``): the sweep
then runs the longest points first and prints its plan before it starts.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import evidence_arch as na
from mtl_theory.proofs import evidence as pe
from mtl_theory.proofs import wta as pw
from mtl_theory.theory import gdln as gdln_theory

#: Default memory budget of one check (GiB).
DEFAULT_MEMORY_GIB = 4.0
#: Default time budget of one check (seconds).
DEFAULT_SECONDS = 1800.0
#: Floating-point operations per second assumed for the time estimate: one core of a shared
#: machine running numpy's matrix products on small matrices (measured order of magnitude).
FLOPS_PER_SECOND = 1e9
#: Bytes of a float64.
F64 = 8
#: One right-hand-side evaluation of a small network's flow costs ~0.1 ms of interpreter
#: time (scipy's solve_ivp and the per-matrix numpy calls) whatever its size: as flops.
FLOW_STAGE_OVERHEAD_FLOPS = 100_000


@dataclass(frozen=True)
class Cost:
    """The dominant memory (bytes) and arithmetic (floating-point operations) of a route.

    ``seconds`` (one idle core) defaults to ``flops / FLOPS_PER_SECOND``; a calibrated route
    states its own (its effective rate, and its per-step interpreter overhead).
    ``upper_bound``: the time is a bound, not an estimate (a solver stopped at its time
    limits, e.g. the WTA MILP): announced as "up to", without the calibration ratio.
    """

    memory_bytes: int
    flops: int
    what: str
    seconds: float = field(default=-1.0)
    upper_bound: bool = False

    def __post_init__(self) -> None:
        if self.seconds < 0:
            object.__setattr__(self, "seconds", self.flops / FLOPS_PER_SECOND)

    def __add__(self, other: Cost) -> Cost:
        """Run one after the other: times and flops add, peak memory is the larger."""
        return Cost(
            max(self.memory_bytes, other.memory_bytes),
            self.flops + other.flops,
            f"{self.what}; {other.what}",
            self.seconds + other.seconds,
        )

    def while_holding(self, other: Cost | None) -> Cost:
        """``other`` run while this cost's arrays are still held: times and flops add, and so
        does memory (not the larger of the two, as with ``+``). ``None`` adds nothing."""
        if other is None:
            return self
        return Cost(
            self.memory_bytes + other.memory_bytes,
            self.flops + other.flops,
            f"{self.what}; {other.what}",
            self.seconds + other.seconds,
        )

    def times(self, n: int, what: str) -> Cost:
        """``n`` independent runs of this cost one after the other (memory of one)."""
        return Cost(self.memory_bytes, n * self.flops, what, n * self.seconds)


@dataclass(frozen=True)
class Budget:
    memory_gib: float = DEFAULT_MEMORY_GIB
    seconds: float = DEFAULT_SECONDS

    @property
    def memory_bytes(self) -> int:
        return int(self.memory_gib * 2**30)


def _bytes_text(n: int) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


def _time_text(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds:.3g} s"


#: Seconds of the Monte-Carlo route besides its per-trial work (EV-1's importance-sampling
#: observers, Eq. 7's power-sized sample, the LP cell count, imports of the route), CPU
#: seconds on the shared 2-core machine (load 6-7, 2026-12-03): D = 3, N_task = 8, t = 10,
#: 2000 trials took 0.98 s; fitted with the next constant (rel-evidence session notes).
EVIDENCE_FIXED_SECONDS = 0.96
#: Seconds per trial and task of the Monte-Carlo route (the flat-prior observer, extraction,
#: labels): 100000 trials took 1.33 s at N_task = 8 and 6.77 s at N_task = 64 (same machine).
EVIDENCE_TRIAL_TASK_SECONDS = 9.7e-7
#: Seconds per evidence sample drawn (numpy's normals and the running sums).
EVIDENCE_DRAW_SECONDS = 1e-8
#: Seconds per sample read by EV-1's importance-sampling observers (min(n_trials, 400) trials
#: of t x D samples, 150 under quick): t = 1000 took 7.27 s against 0.98 s at t = 10 (D = 3,
#: 2000 trials, same machine): (7.27 - 0.98) / (400 x 990 x 3).
OBSERVER_SAMPLE_SECONDS = 5.3e-6
#: Eq. 7's power-sized sample (``numerics.evidence.mean_estimate_errors``, streamed: up to
#: EQ7_MAX_DRAWS normal draws whatever n_trials): seconds per draw, per trial and per trial
#: and coordinate (the means, the error moments, the decoder's normal equations). Fitted
#: (relative least squares) on 4e7 draws at (D, t) = (2, 1), (2, 3), (2, 100), (5, 2),
#: (10, 1), (10, 20), (2, 1000), one BLAS thread, best CPU time of 2 at load 8 (2026-12-03):
#: 0.63-1.71 s, each within 0.85-1.15x of the fit. Before it was streamed and counted,
#: sigma = 1e-3, t = 1 held 2e8 trials in full (> 14 GiB) against an estimate of 5 MiB and
#: 2 s (issue 14); the filter's "nearly separable" slowness was this sample, not its fits.
EQ7_DRAW_SECONDS = 1.73e-8
EQ7_TRIAL_SECONDS = 3.4e-8
EQ7_TRIAL_COORD_SECONDS = 1.2e-8
#: Filter route, per task and per latent coordinate + 1 (the readouts' parameters): a fixed
#: part (L-BFGS set-up, the cvxpy program, the direction check's Hessian) and one per trial
#: fitted (the box-prior probit fit on n_trials, the Gaussian-prior direction fit on
#: max(n_trials, 12000)). Fitted on D = 3, N_task = 8: 3.28 s at 2000 trials, 4.01 s at
#: 20000 (minus the route above); D = 8 (8.3 s) and N_task = 64 (14.1 s) are within 0.7-1.4x.
FILTER_TASK_SECONDS = 0.0607
FILTER_TRIAL_TASK_SECONDS = 8.0e-7
#: Decoders the OOD r2 protocol fits per held-out orthant (the ideal route and its SE; the
#: filter adds its logits and probabilities): each a least squares of n x (F + 1).
OOD_FEATURE_SETS = {"filter": 4, "other": 2}


def ood_decoder_flops(n: int, D: int, features: int, sets: int) -> int:
    """One least-squares decoder per non-empty held-out orthant (at most min(2^D, n)), each
    about 2 n (F + 1)^2 flops, for each of ``sets`` feature sets."""
    orthants = min(2**D, n)
    return sets * orthants * 2 * n * (features + 1) ** 2


def eq7_sample_cost(setup: Any, quick: bool = False) -> Cost | None:
    """Eq. 7's Monte-Carlo sample (isotropic noise, sigma > 0; None otherwise): as many
    trials as its power requirement asks within the draw budget
    (``proofs.evidence.eq7_sample_size``), drawn a block of at most ``ne.EQ7_BLOCK_DRAWS``
    normals at a time."""
    if float(setup.sigma) <= 0 or getattr(setup, "noise", "isotropic") != "isotropic":
        return None
    n = pe.eq7_sample_size(setup, pe.eq7_predictions(setup), quick)
    t, D = int(setup.t), len(setup.normals[0])
    per_block = max(1, ne.EQ7_BLOCK_DRAWS // (t * D))
    block = min(n, per_block)
    seconds = EQ7_DRAW_SECONDS * n * t * D + EQ7_TRIAL_SECONDS * n + EQ7_TRIAL_COORD_SECONDS * n * D
    return Cost(
        memory_bytes=F64 * (block * t * D + 8 * block * D),  # the noise, then x, mu, errors
        flops=2 * n * t * D,
        what=f"Eq. 7 sample of {n} trials in blocks of {block}",
        seconds=seconds,
    )


def evidence_cost(setup: Any, quick: bool = False) -> Cost:
    """The Monte-Carlo simulation streams its trials (``numerics.evidence.summarize_trials``):
    in memory at once are one chunk of at most CHUNK_DRAWS noise samples (or one trial's t × D
    if larger), the trials the importance-sampling observer reads in full (its power-sized
    re-run holds up to EV1_MAX_OBSERVERS of them), each about three arrays deep (noise,
    samples, temporaries), and four n_trials × D per-trial arrays (x*, mean, estimate, sum).
    The trained networks (RNN, architectures) read every sample: n_trials × t × D.

    Time (measured, see the constants): a fixed part, the draws, the per-trial and task work,
    the OOD decoders (2^D held-out orthants: D = 63 fits one per trial), and for the filter
    network its readout fits (trials x tasks x (D + 1)). ``quick`` runs at most 1500 trials.
    Separable labels (sigma -> 0) make the fits run to their iteration cap: not modelled."""
    n, t, D = int(setup.n_trials), int(setup.t), len(setup.normals[0])
    if quick:
        n = min(n, 1500)
    draws = n * t * D
    n_tasks = len(setup.normals)
    network = getattr(setup, "network", None)
    if network in na.TRAINED_NETWORKS:
        # the trained networks' estimate (CHECK_FIXED_SECONDS) folds this route's time in
        held, what = draws, f"n_trials × t × D = {draws} float64 evidence samples"
        return Cost(
            memory_bytes=3 * F64 * held + 4 * F64 * n * D,
            flops=2 * draws * max(n_tasks, 1),
            what=what,
        ).while_holding(eq7_sample_cost(setup, quick))
    else:
        full = min(n, pe.EV1_MAX_OBSERVERS_QUICK if quick else pe.EV1_MAX_OBSERVERS)
        held = min(draws, max(ne.CHUNK_DRAWS, t * D)) + full * t * D
        what = (
            f"chunks of {min(draws, max(ne.CHUNK_DRAWS, t * D))} samples + {full} full trials "
            f"of t × D = {t * D} float64 samples"
        )
    m = min(n, 1500) if quick else n  # trials the route runs (proofs.evidence._verify)
    filter_on = network == "filter" and float(setup.sigma) > 0
    sets = OOD_FEATURE_SETS["filter" if filter_on else "other"]
    ood = ood_decoder_flops(m, D, D if not filter_on else max(D, n_tasks), sets)
    n_obs = min(m, 150 if quick else 400)  # proofs.evidence._verify
    # the isotropic route's observers (the noise variants have their own, cheaper route)
    observers = float(setup.sigma) > 0 and getattr(setup, "noise", "isotropic") == "isotropic"
    seconds = (
        EVIDENCE_FIXED_SECONDS
        + OBSERVER_SAMPLE_SECONDS * n_obs * t * D * observers
        + EVIDENCE_DRAW_SECONDS * m * t * D
        + EVIDENCE_TRIAL_TASK_SECONDS * m * n_tasks
        + ood / FLOPS_PER_SECOND
    )
    if filter_on:
        n_dir = max(m, pe.READOUT_TRIALS_QUICK if quick else pe.READOUT_TRIALS)
        per_task = FILTER_TASK_SECONDS + FILTER_TRIAL_TASK_SECONDS * (m + n_dir)
        seconds += n_tasks * (D + 1) * per_task
        what += f"; filter readouts of {n_tasks} tasks on {m} + {n_dir} trials"
    route = Cost(
        memory_bytes=3 * F64 * held + 4 * F64 * n * D,
        flops=2 * draws * max(n_tasks, 1) + ood,
        what=what,
        seconds=seconds,
    )
    # Eq. 7's sample is drawn while the route's trials are still held
    return route.while_holding(eq7_sample_cost(setup, quick))


#: Effective rate (flop/s of one core) of full-batch gradient descent on the GDLN context
#: task's small matrices (24 items x hundreds of units), by benchmarks/bench_cost.py (the
#: 3-context check at hidden 700, 1000 epochs, its fixed work folded in).
GDLN_GD_RATE = 7.92e9
#: Right-hand-side evaluations of the routing flow (DOP853) per epoch of t_end, effective
#: (the check's fixed work folded in): the solver's step count grows with t_end / tau
#: (measured by benchmarks/bench_cost.py on routing M = 3, 3000 epochs).
ROUTING_RHS_PER_EPOCH = 12.3
#: Seconds of one right-hand-side evaluation of the routing flow (the gated graph's forward
#: and backward in numpy, solve_ivp's bookkeeping): 0.33 ms (examples/gdln-routing.toml,
#: 2399 evaluations in 0.8 s) and 0.53 ms (lr = 3, 298,067 in 159 s), measured by rel-gdln
#: at load ≈ 9; the stiff floor used FLOW_STAGE_OVERHEAD_FLOPS at the 7.9× faster GD rate
#: (13 µs) and put lr = 3 at 17 s (issue 14: unannounced timeouts).
ROUTING_STAGE_SECONDS = 3e-4


def _layers_macs(widths: list[int]) -> int:
    return sum(a * b for a, b in itertools.pairwise(widths))


#: Per-epoch interpreter seconds of the small GD loops beyond their multiply-adds (at hidden
#: width 8 an epoch is ~20-70 µs of numpy calls, ~100x its flops at GDLN_GD_RATE): a + b per
#: weight matrix, fitted by ``benchmarks/bench_cost.py --gd-epochs`` (CPU, one BLAS thread,
#: load 5-7, 2026-12-03): ``numerics.gdln.chain_gd`` at 1-4 matrices 16.7-38.7 µs,
#: ``gated_gd`` at 1-3 paths (2 matrices each) 46.1-70.8 µs. Uncounted before, a
#: deep-linear check at 200,000 epochs was estimated at 2.5 s and took 48 s (issue 14).
CHAIN_EPOCH_SECONDS = 7.9e-6
CHAIN_MATRIX_SECONDS = 7.0e-6
GATED_EPOCH_SECONDS = 3.2e-5
GATED_MATRIX_SECONDS = 5.1e-6
#: GD runs of the linear and deep-linear checks, in multiples of ``epochs`` (`code`,
#: proofs.gdln._linear_gd): the run at η, then GDLN-3's order comparison at η, η/2 and η/4
#: over the same time (epochs × 1, 2, 4): 1 + 1 + 2 + 4.
LINEAR_GD_EPOCH_MULTIPLE = 8


def small_gd_epochs(setup: Any) -> int:
    """Epochs of gradient descent a linear, deep-linear or gated check runs at most (the
    gated check one run, proofs.gdln._verify_gated; the linear ones
    :data:`LINEAR_GD_EPOCH_MULTIPLE` times ``epochs``)."""
    multiple = 1 if setup.model == "gated" else LINEAR_GD_EPOCH_MULTIPLE
    return multiple * int(setup.epochs)


def _small_gd_epoch_seconds(setup: Any, matrices: int) -> float:
    if setup.model == "gated":
        return GATED_EPOCH_SECONDS + GATED_MATRIX_SECONDS * matrices
    return CHAIN_EPOCH_SECONDS + CHAIN_MATRIX_SECONDS * matrices


def gdln_cost(setup: Any, quick: bool = False, method: str = "auto") -> Cost:
    """Full-batch gradient descent: per epoch, forward and backward through every layer,
    6 × batch × Σ(fan-in × fan-out) multiply-adds, for every seed.

    The linear, deep-linear and gated checks: every GD epoch they run
    (:func:`small_gd_epochs`) at GDLN_GD_RATE plus its measured interpreter overhead
    (CHAIN_* / GATED_* per epoch and weight matrix), or a stiff flow's floor.

    The context model trains three networks (ReLU, ReLN, modular GDLN; the module networks
    counted at their drawn widths, :func:`mtl_theory.theory.gdln.authors_module_net`), on
    the task's exact input/output sizes, at ``--quick``'s reduced width and epochs. The
    routing model integrates the full network's gradient flow on its M^2 n examples through
    the routing graph (M input modules, a shared layer, M output modules)."""
    if setup.model == "context":
        return _context_cost(setup, quick)
    if setup.model == "routing":
        return _routing_cost(setup)
    batch, n_in, n_out = int(setup.items), int(setup.items), 2 * int(setup.items)
    if getattr(setup, "inputs", None) is not None:  # the user's task: its own sizes
        batch, n_in, n_out = len(setup.inputs), len(setup.inputs[0]), len(setup.targets[0])
    widths = [n_in, *(int(h) for h in setup.hidden), n_out]
    weights, matrices = _layers_macs(widths), len(widths) - 1
    if setup.model == "gated":  # one two-matrix path per row of race_gates, on items × C
        paths = len(setup.race_gates)
        weights, matrices, batch = paths * weights, 2 * paths, batch * len(setup.race_gates[0])
    epochs = small_gd_epochs(setup)
    gd_flops = 6 * epochs * batch * weights
    flops, what = _stiff_flow_floor(
        setup, batch, weights, gd_flops, f"{epochs} GD epochs × widths {widths}"
    )
    # the GD runs at the measured GD rate plus their per-epoch overhead; a stiff flow's floor
    # (flops beyond the GD's) at the default rate it was set with
    seconds = gd_flops / GDLN_GD_RATE + epochs * _small_gd_epoch_seconds(setup, matrices)
    return Cost(
        memory_bytes=F64 * (weights + batch * sum(widths)) * 4,
        flops=flops,
        what=what,
        seconds=seconds + max(0, flops - gd_flops) / FLOPS_PER_SECOND,
    )


def context_experiment_cost(
    n_in: int,
    batch: int,
    n_out: int,
    hidden: tuple[int, ...],
    contexts: int,
    epochs: int,
    seeds: int = 1,
    reln: str = "authors-mixed",
) -> Cost:
    """The context experiment (numerics.gdln.run_context_experiment): the ReLU net at
    ``hidden``, then the ReLN (construction ``reln``) and the modular GDLN (one hidden
    layer: the authors' module networks, the modules used at their drawn widths; two:
    pathways about the ReLU's size each)."""
    from mtl_theory.theory.gdln import authors_module_net

    widths = [int(n_in), *(int(h) for h in hidden), int(n_out)]
    weights = _layers_macs(widths)
    if len(hidden) == 1:
        nets = [
            authors_module_net(int(contexts), kind, int(hidden[0]), 1.0)
            for kind in (reln, "modular")
        ]
        module_weights = sum(len(m.used) * _layers_macs([n_in, m.width, n_out]) for m in nets)
    else:
        module_weights = 2 * weights
    flops = 6 * int(epochs) * int(seeds) * int(batch) * (weights + module_weights)
    return Cost(
        memory_bytes=F64 * int(seeds) * (3 * weights + int(batch) * sum(widths) * 3) * 4,
        flops=flops,
        what=f"{epochs} epochs × {seeds} seed(s) × ReLU widths {widths} + ReLN + modular",
        seconds=flops / GDLN_GD_RATE,
    )


#: Effective rates (multiply-adds/s) of the reduced ReLN route's numpy work (GDLN-13/14,
#: proofs/gdln_reln.py): the unoptimized 3-operand einsum that builds the block correlations,
#: and the ~400 dense evaluations of the reduced output (BLAS products). Measured (rel-gdln,
#: 2026-12-03, load ≈ 9, nice 5) at 0.6–4.5e8 (build) and 0.3–5.6e8 (dense) on items 8–64,
#: C = 3–5, the higher rates at the larger sizes; these are what dominate (items = 64:
#: 2.3 s build, 30 s window at 1000 epochs), and the small sizes take well under a second.
REDUCED_BUILD_RATE = 2e8
REDUCED_DENSE_RATE = 4e8


def reduced_route_cost(setup: Any, task: Any, hidden: tuple[int, ...], quick: bool) -> Cost | None:
    """The reduced-ReLN comparisons of the context check (proofs.gdln_reln.context_checks):
    GDLN-13 builds the block correlations once (n·n_out·r·K1·i·P multiply-adds, r ≤ C + 1,
    i = C + 1, K1 pathways) and evaluates the reduced output at ~400 times (n_out·n·r·P each);
    GDLN-14 (full verify, C = 3, one seed) builds them for its 3 level gatings and 2 trained
    ones. None when the reduction is not compared (two hidden layers, relu-gates, C < 2)."""
    from mtl_theory.theory.gdln import authors_module_net

    C = int(setup.contexts)
    if len(hidden) != 1 or setup.reln not in ("authors", "authors-mixed", "authors-all") or C < 2:
        return None
    mnet = authors_module_net(C, setup.reln, int(hidden[0]), 1.0)
    K1 = 1 + sum(1 for A in mnet.modules if len(A) < C)
    n, P, n_out = int(task.n_items), int(task.n_data), int(task.Y.shape[0])
    build = n * n_out * (C + 1) * K1 * (C + 1) * P
    dense = 400 * n_out * n * (C + 1) * P
    builds = 1 + (5 if not quick and C == 3 and int(setup.n_seeds) == 1 else 0)
    return Cost(
        F64 * K1 * n * (C + 1) * P * 4,
        builds * build + dense,
        f"reduced ReLN route ({builds} block build(s) of {build:.3g} multiply-adds)",
        builds * build / REDUCED_BUILD_RATE + dense / REDUCED_DENSE_RATE,
    )


def _context_cost(setup: Any, quick: bool) -> Cost:
    from mtl_theory.proofs.gdln import context_run_size, context_task_of

    task = context_task_of(setup)
    hidden, _, epochs, _ = context_run_size(setup, quick)
    n_in, batch = task.X.shape
    reln = setup.reln if setup.reln in ("authors", "authors-mixed", "authors-all") else "authors"
    cost = context_experiment_cost(
        n_in, batch, task.Y.shape[0], hidden, int(setup.contexts), epochs, int(setup.n_seeds), reln
    )
    reduced = reduced_route_cost(setup, task, hidden, quick)
    return cost if reduced is None else cost + reduced


def dense_gd_cost(widths: list[int], batch: int, epochs: int) -> Cost:
    """Full-batch gradient descent of one dense network (6 multiply-add passes per weight
    and example), at the GDLN rate."""
    flops = 6 * int(epochs) * int(batch) * _layers_macs(widths)
    return Cost(
        F64 * 4 * (_layers_macs(widths) + int(batch) * sum(widths)),
        flops,
        f"{epochs} epochs × widths {widths}",
        flops / GDLN_GD_RATE,
    )


def _stiff_flow_floor(
    setup: Any,
    batch: int,
    weights: int,
    flops: int,
    what: str,
    overhead: float = FLOW_STAGE_OVERHEAD_FLOPS,
) -> tuple[int, str]:
    """At least the flops of the full-network flow the check integrates, when the flow is
    stiff (large lr × epochs): ~horizon·λ/6 explicit steps of 12 stages, each a gradient
    (6·batch·weights) plus the interpreter's overhead (``overhead`` flops, in the units of
    the rate the caller divides by: FLOW_STAGE_OVERHEAD_FLOPS at FLOPS_PER_SECOND)."""
    horizon = gdln_theory.flow_horizon(setup)
    if horizon is None:
        return flops, what
    t_over_tau, rate = horizon
    steps = t_over_tau * rate / 6.0
    flow_flops = steps * 12 * (6 * batch * weights + overhead)
    if flow_flops <= flops:
        return flops, what
    return int(min(flow_flops, 1e300)), (
        f"a gradient flow over {t_over_tau:.3g} τ with relaxation rate {rate:.3g}/τ "
        f"(about {steps:.3g} solver steps; lower lr × epochs)"
    )


def _routing_cost(setup: Any) -> Cost:
    from mtl_theory.theory.gdln import hierarchy_features

    M, n, h = int(setup.modules), int(setup.items), int(setup.hidden[0])
    m = hierarchy_features(n).shape[0]
    batch = M * M * n
    weights = M * n * h + h * h + M * h * m
    rhs = max(1, math.ceil(ROUTING_RHS_PER_EPOCH * int(setup.epochs)))
    flops, what = _stiff_flow_floor(
        setup,
        batch,
        weights,
        6 * rhs * batch * weights,
        f"routing flow ~{rhs} gradient evaluations × {batch} examples × {weights} weights",
        ROUTING_STAGE_SECONDS * GDLN_GD_RATE,
    )
    return Cost(
        memory_bytes=F64 * (31 * weights + 4 * batch * (M * n + 2 * h + M * m)),  # 30 checkpoints
        flops=flops,
        what=what,
        seconds=flops / GDLN_GD_RATE,
    )


# --------------------------------------------------------------------------- EVIDENCE networks
# The trained-network routes (numerics.evidence.train_rnn, numerics.evidence_arch): online
# Adam on batches of 16 fresh trials of T = t + 2 steps (fixation, t stimulus, decision)
# through the frozen encoder D -> 100 -> 100 -> 40 and a 64-unit network on 41 inputs, then
# forward passes for the decoders of the authors' protocol. Multiply-adds per trial are
# counted exactly; the seconds use effective rates measured per architecture (training at
# batch 16 is dominated by numpy's per-call overhead, forward passes in chunks of 512-1024
# are not), by benchmarks/bench_cost.py.

#: Effective training rate (flop/s of one core) per architecture, batches of 16. Measured
#: by benchmarks/bench_cost.py (calibration points: N_task = 6, t = 20, 200 batches; CPU
#: seconds, one BLAS thread, 2026-12-02 at load 1.1 on the shared 2-core machine; a run at
#: load 7.5 gave rates up to 30 % higher: the calibration's own spread).
NETWORK_TRAIN_RATE = {
    "rnn": 1.27e10,
    "rnn-nonleaky": 1.21e10,
    "lstm": 1.11e10,
    "transformer": 1.18e10,
}
#: Effective forward-pass rate (flop/s of one core), 2000 trials in chunks, same benchmark.
NETWORK_FORWARD_RATE = {
    "rnn": 1.05e10,
    "rnn-nonleaky": 5.82e9,
    "lstm": 6.57e9,
    "transformer": 3.61e10,
}
#: Seconds of one Adam step of the linear decoder (batch 16, Python-bound), same benchmark.
DECODER_STEP_SECONDS = 4.05e-5
#: Seconds of one element of a transformer's attention arrays (heads x T x T per trial) in
#: the forward pass beyond its multiply-adds (mask, max, exp, sums, dropout: memory-bound;
#: training counts 3 passes), fitted with the transformer's rates on t = 20 and t = 60.
ATTENTION_ELEMENT_SECONDS = {"train": 3.7e-9, "forward": 1.25e-8}
#: Seconds of ``check --verify``'s work besides training and the protocol, per network kind:
#: the spawned worker pool, the Monte-Carlo route, the ideal route's protocol, and for the
#: leaky RNN the Jacobians and two fixed-point searches (150 starts). Measured as a check at
#: 100 batches minus its modelled part, same benchmark; ``quick`` scales by 40/150 for the
#: RNN's fixed points.
CHECK_FIXED_SECONDS = {"rnn": 10.0, "other": 2.79}
#: Encoder widths and network sizes of the authors' code (numerics.evidence.RNNConfig).
ENCODER = (100, 100, 40)
HIDDEN = 64
BATCH = 16
HEADS = 8
#: Trials simulated for the constant-predictor baseline after training (numerics.evidence).
BASELINE_PROBE_TRIALS = 20000


def network_step_macs(network: str, n_tasks: int, hidden: int = HIDDEN) -> int:
    """Multiply-adds of one time step of one trial (inputs 41 = encoder output + fixation)."""
    n_in = ENCODER[-1] + 1
    readout = hidden * n_tasks
    if network in ("rnn", "rnn-nonleaky"):
        return n_in * hidden + hidden * hidden + readout
    if network == "lstm":
        return 4 * (n_in * hidden + hidden * hidden) + readout
    if network == "transformer":  # input projection, qkv, output, MLP 4x (GPT-2 block)
        return n_in * hidden + 12 * hidden * hidden + readout
    raise ValueError(f"network must be one of rnn, rnn-nonleaky, lstm, transformer: {network!r}")


def network_trial_flops(network: str, D: int, n_tasks: int, t: int, train: bool) -> int:
    """Floating-point operations of one trial: the frozen encoder on the t stimulus steps,
    the network on T = t + 2 steps (a transformer's causal attention: 2 T^2 h multiply-adds),
    and for training the backward pass (twice the forward's network part)."""
    T = int(t) + 2
    encoder = int(t) * sum(a * b for a, b in itertools.pairwise((int(D), *ENCODER)))
    net = T * network_step_macs(network, int(n_tasks))
    if network == "transformer":
        net += 2 * T * T * HIDDEN
    return 2 * (encoder + (3 if train else 1) * net)


def network_training_cost(network: str, D: int, n_tasks: int, t: int, batches: int) -> Cost:
    """One network trained ``batches`` batches of 16 (and its 20,000-trial baseline probe)."""
    flops = int(batches) * BATCH * network_trial_flops(network, D, n_tasks, t, train=True)
    T = int(t) + 2
    per_trial = T * (ENCODER[-1] + 1 + 6 * HIDDEN)  # inputs and cached activations
    if network == "transformer":
        per_trial += 4 * HEADS * T * T  # scores, softmax, dropout, their gradient
    memory = F64 * max(BATCH * per_trial, BASELINE_PROBE_TRIALS * int(t) * int(D))
    return Cost(
        memory,
        flops,
        f"{network}: {batches} batches of {BATCH} x {T} steps",
        flops / NETWORK_TRAIN_RATE[network]
        + 3
        * int(batches)
        * BATCH
        * attention_elements(network, t)
        * ATTENTION_ELEMENT_SECONDS["train"],
    )


def attention_elements(network: str, t: int) -> int:
    """Elements of a transformer's attention arrays per trial (heads x T x T); 0 otherwise."""
    return HEADS * (int(t) + 2) ** 2 if network == "transformer" else 0


def network_forward_cost(
    network: str, D: int, n_tasks: int, t: int, trials: int, held: int | None = None
) -> Cost:
    """Decision-step states of ``trials`` fresh trials, ``held`` of them (default all) in
    memory at once with their samples, plus one chunk's activations."""
    flops = int(trials) * network_trial_flops(network, D, n_tasks, t, train=False)
    chunk = 1024 * (int(t) + 2) * (ENCODER[-1] + 1 + HIDDEN)
    if network == "transformer":
        chunk += 1024 * 2 * HEADS * (int(t) + 2)
    at_once = int(trials if held is None else held)
    memory = F64 * (at_once * (int(t) * int(D) + HIDDEN) + chunk)
    return Cost(
        memory,
        flops,
        f"{trials} trials forward",
        flops / NETWORK_FORWARD_RATE[network]
        + int(trials) * attention_elements(network, t) * ATTENTION_ELEMENT_SECONDS["forward"],
    )


def decoder_cost(steps: int) -> Cost:
    """``steps`` Adam steps of the linear decoder (batch 16): interpreter-bound."""
    return Cost(0, 0, f"{steps} decoder steps", int(steps) * DECODER_STEP_SECONDS)


def protocol_trials(decoder_batches: int, fits: int) -> tuple[int, int]:
    """(trials, trials held at once) that the authors' protocol runs through one network:
    for each of 4 held-out quadrants and each fit, decoder_batches x 16 training trials and
    2 x 640 test trials per test step (published and fixed test sets;
    numerics.evidence_protocol.score_network)."""
    from mtl_theory.numerics.evidence_protocol import (
        AUTHORS_BATCH,
        AUTHORS_TEST_BATCHES,
        test_steps,
    )

    n_steps = len(test_steps(int(decoder_batches)))
    per_fit = (
        int(decoder_batches) * AUTHORS_BATCH + 2 * AUTHORS_TEST_BATCHES * AUTHORS_BATCH * n_steps
    )
    return 4 * int(fits) * per_fit, per_fit


def evidence_network_cost(setup: Any, quick: bool = False) -> Cost:
    """The trained-network route of ``check --verify`` (network = rnn, rnn-nonleaky, lstm,
    transformer): every network trained and scored by the three protocols, one after the
    other on one core (they run in parallel when there are cores: the wall time is less)."""
    from mtl_theory.proofs.evidence_rnn import budget

    b = budget(setup, quick)
    network, t = setup.network, int(setup.t)
    D, N = len(setup.normals[0]), len(setup.normals)
    one = (
        network_training_cost(network, D, N, t, b.rnn_batches)
        + network_forward_cost(network, D, N, t, *protocol_trials(b.decoder_batches, b.fits))
        + decoder_cost(4 * b.fits * b.decoder_batches)
    )
    total = one.times(b.networks, f"{b.networks} x ({one.what})")
    eval_trials = min(int(setup.n_trials), 2000)
    total = total + network_forward_cost(network, D, N, t, eval_trials)
    fixed = CHECK_FIXED_SECONDS["rnn" if network == "rnn" else "other"]
    if quick and network == "rnn":
        fixed = CHECK_FIXED_SECONDS["other"] + (fixed - CHECK_FIXED_SECONDS["other"]) * 40 / 150
    ideal = decoder_cost(4 * b.fits * b.decoder_batches)  # the ideal route's decoders
    return total + ideal + Cost(0, 0, "fixed work of the check", fixed)


def evidence_route_cost(setup: Any, quick: bool = False, method: str = "auto") -> Cost:
    """The EVIDENCE route of ``check --verify``: the Monte-Carlo simulation, then the trained
    networks when ``network`` names one."""
    cost = evidence_cost(setup, quick)
    if getattr(setup, "network", "none") in NETWORK_TRAIN_RATE:
        cost = cost + evidence_network_cost(setup, quick)
    return cost


# --------------------------------------------------------------------------- WTA MILP
#: Seconds to build one nonzero of a program (numerics.wta_milp.milp_program: the Python
#: row builders, the column boxes, the sparse stack and the solver's input; HiGHS through
#: scipy.optimize.milp, no cvxpy compile any more). ``derived`` from measurement
#: (benchmarks/bench_wta_milp.py --cost, CPU seconds, load 2.8-7, 2026-12-03): 7.59e-7 s as
#: the ratio of sums on (4,4,4) and (8,8) (factors = modules, one-hot tasks; 4.0e5 and
#: 6.2e5 nonzeros); measured/estimated on the other grids: (2,3) 1.9, (3,3) 1.4, (4,4) 1.4
#: (fixed per-program overhead below 3e4 nonzeros, milliseconds), (2,2,2,2) 0.96, (6,6)
#: 0.88, (3,3,3) 0.83, (5,5,5) 0.87, (10,10) 0.93 (1.6e6 and 1.7e6 nonzeros). The old
#: cvxpy rate (1e-4 s per row of a formulation no longer built) was ~300x this.
MILP_BUILD_SECONDS_PER_NONZERO = 7.6e-7
#: Peak resident bytes per nonzero of the largest program while it is built and handed to
#: HiGHS (the builders' Python triples and their tuples, the stacked lists, the CSR arrays,
#: HiGHS's copy and presolve), ``derived`` from measurement (same benchmark: a fresh child
#: per grid sampling its resident set every millisecond): 289-299 B on (6,6), (8,8),
#: (5,5,5), (10,10) (7.5e4-7.5e5 nonzeros; measured/estimated 0.96-1.0); small grids add
#: ~2 MB. HiGHS's branch-and-bound tree over a long solve is not in it.
MILP_BYTES_PER_NONZERO = 300
#: Solver time limits of the MILP route: the route's own (one place, proofs.wta).
MILP_TIME_LIMIT = pw.MILP_TIME_LIMIT
MILP_LAST_SOLVE_FLOOR = pw.MILP_LAST_SOLVE_FLOOR


def wta_milp_programs(setup: Any) -> tuple[Any, ...]:
    """The sizes (numerics.wta_milp.milp_size) of the programs proofs.wta.milp_solves may
    build: zero loss reachable, a zero-loss non-symbolic code (not on a disconnected support,
    where the route skips it), the minimum L-inf error."""
    from mtl_theory.numerics import wta_milp as nmilp
    from mtl_theory.proofs.wta import MILP_ZERO_TOL

    sizes = [nmilp.milp_size(setup, objective="zero", zero_tol=MILP_ZERO_TOL)]
    try:
        sizes.append(
            nmilp.milp_size(setup, objective="zero", nonsymbolic_only=True, zero_tol=MILP_ZERO_TOL)
        )
    except ValueError:  # disconnected support: milp_solves skips the program
        pass
    sizes.append(nmilp.milp_size(setup, objective="linf"))
    return tuple(sizes)


def wta_milp_size(setup: Any) -> tuple[int, int, int]:
    """(integer columns, constraint rows, nonzeros) of the route's programs together, counted
    block by block from the layout the builders use (:func:`wta_milp_programs`)."""
    return _milp_totals(wta_milp_programs(setup))


def _milp_totals(sizes: tuple[Any, ...]) -> tuple[int, int, int]:
    return (
        sum(s.integers for s in sizes),
        sum(s.rows for s in sizes),
        sum(s.nonzeros for s in sizes),
    )


def wta_milp_cost(setup: Any, quick: bool = False) -> Cost:
    """Building the route's programs (per nonzero) plus the solver's time limits: an upper
    estimate of the route's time, reached when the solver needs its whole limits (HiGHS's
    limit is wall-clock: on a loaded machine the CPU time is less); memory of the largest
    program (they are built one after another).

    Measured by benchmarks/bench_wta_milp.py --cost (quick limits, 61 s estimated): the
    route took 0.38 s CPU on (2,3)/(2,3), 3.3 s on (3,3)/(3,3) and 31 s CPU in 60 s wall
    on (4,4)/(4,4), where both solves ran into their limits (measured/estimated 0.006, 0.054,
    0.50 CPU, 0.98 wall). A MILP's solve time is not predictable from its size; only the
    limits bound it."""
    sizes = wta_milp_programs(setup)
    binaries, rows, nonzeros = _milp_totals(sizes)
    build_s = nonzeros * MILP_BUILD_SECONDS_PER_NONZERO
    limit = MILP_TIME_LIMIT[bool(quick)]
    return Cost(
        MILP_BYTES_PER_NONZERO * max(s.nonzeros for s in sizes),
        0,
        f"up to {len(sizes)} MILPs ({binaries} integer columns, {rows} rows, {nonzeros} nonzeros "
        f"in all; built in about {_time_text(build_s)}) and their solves, stopped at "
        f"{limit:g} s each (the (2,3)/(2,3) and (3,3)/(3,3) routes finish in seconds)",
        build_s + 2 * limit + MILP_LAST_SOLVE_FLOOR,
        upper_bound=True,
    )


#: Seconds per enumerated code of the exhaustive search (benchmarks/bench_cost.py --diagrams).
WTA_SECONDS_PER_CODE = 1e-6
#: Seconds of one exhaustive search besides its codes (setup, hypotheses, counting): the
#: smallest capacity point measured 0.012 s for 8 searches of 40 codes.
WTA_SEARCH_FIXED_SECONDS = 1.5e-3
#: Seconds of one seed of wta-gradient (a WTA and a ReLU network trained): 15.7 s measured
#: for a 3-seed point (slack -1, one task) by benchmarks/bench_cost.py --diagrams.
WTA_GRADIENT_SEED_SECONDS = 5.2


def wta_exhaustive_cost(n_points: int, modules: tuple[int, ...], repeats: int = 1) -> Cost:
    """Exhaustive search: every code (numerics.wta.count_codes, exact) least-squares fitted,
    ``repeats`` times."""
    from mtl_theory.numerics.wta import count_codes

    codes = int(count_codes(int(n_points), tuple(int(m) for m in modules)))
    return Cost(
        2**26,
        0,
        f"{repeats} x {codes} codes enumerated",
        repeats * (WTA_SEARCH_FIXED_SECONDS + codes * WTA_SECONDS_PER_CODE),
    )


#: Seconds per bound evaluation of the branch-and-bound, per grid point, at its slowest
#: (`derived` from measurements used as an upper rate; load 8, 2026-12-03): (2,2,2,2) with
#: 16 points stopped at 5,046,085 bounds after 19 s of CPU (0.24 µs a node and point), (6,6)
#: with 36 points at 5,077,597 after 59 s (0.32 µs). A search that stops at its node budget
#: was unannounced at about a minute; now it is announced as "up to".
WTA_BNB_SECONDS_PER_NODE_POINT = 0.35e-6


def wta_bnb_check_cost(setup: Any, quick: bool = False) -> Cost:
    """The check's branch-and-bound at its node budget (proofs.wta.BNB_MAX_NODES, smaller
    under ``quick``), plus the bounded cross-checks it runs: an "up to" figure (most searches
    certify or find a counterexample long before the budget)."""
    from mtl_theory.numerics.wta import count_codes

    nodes = pw.BNB_MAX_NODES_QUICK if quick else pw.BNB_MAX_NODES
    points = len(setup.support)
    cost = Cost(
        2**26,
        0,
        f"up to {nodes} branch-and-bound nodes on {points} grid points",
        nodes * points * WTA_BNB_SECONDS_PER_NODE_POINT,
        upper_bound=True,
    )
    codes = int(count_codes(points, tuple(int(m) for m in setup.modules)))
    if codes <= pw.BNB_CROSS_CHECK_CODES:  # _verify_bnb's count-by-count enumeration
        cost = replace(cost, seconds=cost.seconds + codes * WTA_CHECK_MAX_SECONDS_PER_CODE)
    return cost


#: Seconds per code of the check's exhaustive search at its slowest (`derived` from
#: measurements, used as upper rates; CPU of numerics.wta.exhaustive_search alone, load 8-9,
#: 2026-12-03). Two modules of at most 3 values each are fast in the fused two-module kernel:
#: (3,3)/(3,3) 0.046 µs a code (10,764,961 codes, 0.46 s), (2,5)/(2,3) 0.092 µs. A module of 4
#: or more values (same kernel), or three or more modules (the batched normal equations), are
#: not: (2,4)/(2,4) 2.5 µs, (3,3)/(2,4) 2.4 µs,
#: (3,3)/(2,5) 3.7 µs, (2,5)/(2,5) 1.75-4.2 µs (44,273,664 codes in 77-184 s), (2,2,2)/(2,2,2)
#: 0.87 µs. So a search just under MAX_EXHAUSTIVE_CODES (6e7) may take minutes.
WTA_CHECK_MAX_SECONDS_PER_CODE_FUSED = 1e-7
WTA_CHECK_MAX_SECONDS_PER_CODE = 4e-6


def wta_exhaustive_check_cost(setup: Any) -> Cost:
    """The check's exhaustive search: every code (numerics.wta.count_codes, exact) at the
    slowest measured rate of the kernel it runs, an "up to" figure."""
    from mtl_theory.numerics.wta import count_codes

    modules = tuple(int(m) for m in setup.modules)
    codes = int(count_codes(len(setup.support), modules))
    fused = len(modules) == 2 and max(modules) <= 3
    rate = WTA_CHECK_MAX_SECONDS_PER_CODE_FUSED if fused else WTA_CHECK_MAX_SECONDS_PER_CODE
    kernel = "two modules of <= 3 values" if fused else "a module of >= 4 values or >= 3 modules"
    return Cost(
        2**26,
        0,
        f"{codes} codes enumerated ({kernel}, at most {rate * 1e6:g} µs a code)",
        WTA_SEARCH_FIXED_SECONDS + codes * rate,
        upper_bound=True,
    )


#: Seconds of one training run of the gradient route per grid point at 1500 epochs (`derived`
#: from measurements, rounded up; 2026-12-03): examples/wta-gradient.toml, 9 points, one WTA
#: and one ReLU run, 1.5 s of CPU beyond the import (0.083 s a run and point; load 4);
#: (4,4,4)/(4,4,4), 64 points, all 6 + 6 runs, 80 s (0.104 s; nice 19 at load 2-8).
WTA_GRADIENT_RUN_SECONDS_PER_POINT = 0.12


def wta_gradient_check_cost(setup: Any, quick: bool = False) -> Cost:
    """The gradient route at its restart budget: up to ``TrainConfig.restarts`` WTA runs and
    as many ReLU runs (numerics.wta.gradient_experiment), each linear in the grid's points
    (32 noisy images a point) and epochs: an "up to" figure (most stop at the first run)."""
    from mtl_theory.numerics.wta import TrainConfig

    restarts = TrainConfig().restarts
    epochs = 600 if quick else TrainConfig().epochs
    points = len(setup.support)
    runs = 2 * restarts
    return Cost(
        2**26,
        0,
        f"up to {runs} training runs of {epochs} epochs on {points} grid points",
        runs * points * WTA_GRADIENT_RUN_SECONDS_PER_POINT * epochs / 1500,
        upper_bound=True,
    )


def wta_cost(setup: Any, quick: bool = False, method: str = "auto") -> Cost | None:
    """The WTA route's cost: the MILP's solver limits; the exhaustive search, the
    branch-and-bound and the gradient route at their slowest measured rates ("up to");
    None where the check refuses the method itself.

    ``method`` "auto" runs the spec's own ``method`` (families.wta.check does the same), and
    its "auto" is resolved as proofs.wta.choose_method resolves it."""
    if method == "auto":
        method = getattr(setup, "method", "auto")
    if method == "milp":
        return wta_milp_cost(setup, quick)
    try:
        resolved, _ = pw.choose_method(setup, method)
    except pw.MethodUnavailable:  # refused by the check itself, in one line
        return None
    if resolved == "exhaustive":
        # and the branch-and-bound cross-check of the enumeration, at its own node budget
        cross = pw.BNB_CROSS_CHECK_NODES * len(setup.support) * WTA_BNB_SECONDS_PER_NODE_POINT
        cost = wta_exhaustive_check_cost(setup)
        return replace(cost, seconds=cost.seconds + cross)
    if resolved == "gradient":
        return wta_gradient_check_cost(setup, quick)
    return wta_bnb_check_cost(setup, quick)


# --------------------------------------------------------------------------- diagram points
#: Seconds to start a spawned one-BLAS-thread child and import the toolkit in it (the
#: trained-network points train in such a child), measured by benchmarks/bench_cost.py.
SPAWN_SECONDS = 1.6
#: Seconds of the three attractor routes on one trained RNN (evidence-rnn-attractors):
#: benchmarks/bench_cost.py --diagrams measured 13.7 s for a whole point (N_task = 2), of which
#: training and two spawns are modelled as about 6 s.
ATTRACTOR_ANALYSIS_SECONDS = 7.5


def trained_network_point_cost(
    network: str,
    D: int,
    n_tasks: int,
    t: int,
    batches: int,
    pool: int,
    decoder_steps: int,
    extra_seconds: float = 0.0,
) -> Cost:
    """A phase-diagram point that trains one network in a spawned child, computes the
    states of a ``pool`` of trials and fits ``decoder_steps`` Adam decoder steps in all."""
    return (
        Cost(0, 0, "spawn", SPAWN_SECONDS + extra_seconds)
        + network_training_cost(network, D, n_tasks, t, batches)
        + network_forward_cost(network, D, n_tasks, t, pool)
        + decoder_cost(decoder_steps)
    )


def measured_point_cost(seconds: float, memory_bytes: int, what: str) -> Cost:
    """A point whose cost does not vary over its diagram: one measured value (say where)."""
    return Cost(int(memory_bytes), 0, what, float(seconds))


def _same_cost_for_every_point(
    seconds: float, memory_bytes: int, what: str, params: Mapping[str, Any]
) -> Cost:
    return measured_point_cost(seconds, memory_bytes, what)


def constant_point_cost(
    seconds: float, memory_bytes: int, what: str
) -> Callable[[Mapping[str, Any]], Cost]:
    """A diagram's ``cost``: the same measured value for every point (picklable)."""
    return functools.partial(_same_cost_for_every_point, seconds, memory_bytes, what)


ESTIMATES = {"evidence": evidence_route_cost, "gdln": gdln_cost, "wta": wta_cost}


#: A route estimated beyond this many seconds of one core is announced before it starts.
LONG_ROUTE_SECONDS = 30.0


def route_cost(family: str, setup: Any, quick: bool = False, method: str = "auto") -> Cost | None:
    """The estimated cost of ``check --verify`` on ``setup``, or None without an estimate."""
    estimate = ESTIMATES.get(family)
    if estimate is None:
        return None
    try:
        return estimate(setup, quick, method)
    except (AttributeError, TypeError, IndexError):  # a setup this estimate does not know
        return None


def long_route_notice(
    family: str, setup: Any, quick: bool = False, method: str = "auto"
) -> str | None:
    """One line announcing a route estimated beyond :data:`LONG_ROUTE_SECONDS`, else None."""
    cost = route_cost(family, setup, quick, method)
    if cost is None or cost.seconds <= LONG_ROUTE_SECONDS:
        return None
    if cost.upper_bound:
        return (
            f"--verify: the {family} route may take up to {_time_text(cost.seconds)} of one "
            f"core for {cost.what}"
        )
    return (
        f"--verify: the {family} route is estimated at about {_time_text(cost.seconds)} of one "
        f"core for {cost.what} (estimates are within 0.3–2.1× on the calibration machine)"
    )


def over_budget(
    family: str, setup: Any, budget: Budget, quick: bool = False, method: str = "auto"
) -> str | None:
    """None when the route fits the budget (or has no estimate); else the refusal line."""
    cost = route_cost(family, setup, quick, method)
    if cost is None:
        return None
    problems = []
    if cost.memory_bytes > budget.memory_bytes:
        problems.append(
            f"about {_bytes_text(cost.memory_bytes)} of memory (budget "
            f"{_bytes_text(budget.memory_bytes)}; raise with --budget GIB)"
        )
    if cost.seconds > budget.seconds:
        problems.append(
            f"{'up to' if cost.upper_bound else 'about'} {_time_text(cost.seconds)} (budget "
            f"{_time_text(budget.seconds)}; raise with --time-budget SECONDS)"
        )
    if not problems:
        return None
    # a bounded solver's time is its limits, not the setup's size: another method may do
    advice = "choose a smaller setup" + (" or another --method" if cost.upper_bound else "")
    return (
        f"--verify: the {family} route needs "
        + " and ".join(problems)
        + f" for {cost.what}; "
        + advice
    )
