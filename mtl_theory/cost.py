"""Cost before work (issue 14 item 2): what a requested route will take, from the setup alone.

Before ``check --verify`` runs, the family's route is estimated in exact integers from the
setup (array sizes, epochs × widths, trials × samples × dimensions); beyond the budget the
check is refused in one line that says what it would cost and how to proceed. The budget
defaults to :data:`DEFAULT_MEMORY_GIB` GiB and :data:`DEFAULT_SECONDS` s and is raised with
``check --budget GIB`` and ``--time-budget SECONDS``.

The estimates are lower bounds of the dominant term (the largest array; the gradient-descent
multiply-adds), not a profile: a refused spec certainly costs that much, an accepted one may
cost a small factor more. Routes without an estimate (the EVIDENCE RNN, WTA, whose code
counts are already refused by ``proofs.wta.choose_method`` in exact integers) are not
checked here.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import evidence_arch as na
from mtl_theory.proofs import evidence as pe
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
    """The dominant memory (bytes) and arithmetic (floating-point operations) of a route."""

    memory_bytes: int
    flops: int
    what: str

    @property
    def seconds(self) -> float:
        return self.flops / FLOPS_PER_SECOND


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


def evidence_cost(setup: Any, quick: bool = False) -> Cost:
    """The Monte-Carlo simulation streams its trials (``numerics.evidence.summarize_trials``):
    in memory at once are one chunk of at most CHUNK_DRAWS noise samples (or one trial's t × D
    if larger), the trials the importance-sampling observer reads in full (its power-sized
    re-run holds up to EV1_MAX_OBSERVERS of them), each about three arrays deep (noise,
    samples, temporaries), and four n_trials × D per-trial arrays (x*, mean, estimate, sum).
    The trained networks (RNN, architectures) read every sample: n_trials × t × D."""
    n, t, D = int(setup.n_trials), int(setup.t), len(setup.normals[0])
    draws = n * t * D
    n_tasks = len(setup.normals)
    if getattr(setup, "network", None) in na.TRAINED_NETWORKS:
        held, what = draws, f"n_trials × t × D = {draws} float64 evidence samples"
    else:
        full = min(n, pe.EV1_MAX_OBSERVERS_QUICK if quick else pe.EV1_MAX_OBSERVERS)
        held = min(draws, max(ne.CHUNK_DRAWS, t * D)) + full * t * D
        what = (
            f"chunks of {min(draws, max(ne.CHUNK_DRAWS, t * D))} samples + {full} full trials "
            f"of t × D = {t * D} float64 samples"
        )
    return Cost(
        memory_bytes=3 * F64 * held + 4 * F64 * n * D,
        flops=2 * draws * max(n_tasks, 1),
        what=what,
    )


def gdln_cost(setup: Any, quick: bool = False) -> Cost:
    """Full-batch gradient descent: per epoch, forward and backward through every layer,
    6 × batch × Σ(fan-in × fan-out) multiply-adds, for every seed."""
    contexts = int(setup.contexts) if setup.model == "context" else 1
    batch = int(setup.items) * contexts
    n_in = int(setup.items) + contexts
    n_out = 2 * int(setup.items) * contexts
    if getattr(setup, "inputs", None) is not None:  # the user's task: its own sizes
        batch, n_in, n_out = len(setup.inputs), len(setup.inputs[0]), len(setup.targets[0])
    widths = [n_in, *(int(h) for h in setup.hidden), n_out]
    if setup.model == "routing":
        widths = [w * int(setup.modules) for w in widths]
    weights = sum(a * b for a, b in itertools.pairwise(widths))
    seeds = int(setup.n_seeds) if setup.model == "context" else 1
    epochs = int(setup.epochs)
    flops = 6 * epochs * seeds * batch * weights
    what = f"{epochs} epochs × {seeds} seed(s) × widths {widths}"
    horizon = gdln_theory.flow_horizon(setup)
    if horizon is not None:
        # the full-network flow: ~horizon·λ/6 explicit steps of 12 stages, each a gradient
        # (6·batch·weights) plus the interpreter's overhead (FLOW_STAGE_OVERHEAD_FLOPS)
        t_over_tau, rate = horizon
        steps = t_over_tau * rate / 6.0
        stage = 6 * batch * weights + FLOW_STAGE_OVERHEAD_FLOPS
        flow_flops = steps * 12 * stage
        if flow_flops > flops:
            flops = int(min(flow_flops, 1e300))
            what = (
                f"a gradient flow over {t_over_tau:.3g} τ with relaxation rate {rate:.3g}/τ "
                f"(about {steps:.3g} solver steps; lower lr × epochs)"
            )
    return Cost(
        memory_bytes=F64 * seeds * (weights + batch * sum(widths)) * 4,
        flops=flops,
        what=what,
    )


ESTIMATES = {"evidence": evidence_cost, "gdln": gdln_cost}


def over_budget(family: str, setup: Any, budget: Budget, quick: bool = False) -> str | None:
    """None when the route fits the budget (or has no estimate); else the refusal line."""
    estimate = ESTIMATES.get(family)
    if estimate is None:
        return None
    try:
        cost = estimate(setup, quick)
    except (AttributeError, TypeError, IndexError):  # a setup this estimate does not know
        return None
    problems = []
    if cost.memory_bytes > budget.memory_bytes:
        problems.append(
            f"about {_bytes_text(cost.memory_bytes)} of memory (budget "
            f"{_bytes_text(budget.memory_bytes)}; raise with --budget GIB)"
        )
    if cost.seconds > budget.seconds:
        problems.append(
            f"about {_time_text(cost.seconds)} (budget {_time_text(budget.seconds)}; raise "
            "with --time-budget SECONDS)"
        )
    if not problems:
        return None
    return (
        f"--verify: the {family} route needs " + " and ".join(problems) + f" for {cost.what}; "
        "choose a smaller setup"
    )
