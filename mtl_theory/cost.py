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

#: Default memory budget of one check (GiB).
DEFAULT_MEMORY_GIB = 4.0
#: Default time budget of one check (seconds).
DEFAULT_SECONDS = 1800.0
#: Floating-point operations per second assumed for the time estimate: one core of a shared
#: machine running numpy's matrix products on small matrices (measured order of magnitude).
FLOPS_PER_SECOND = 1e9
#: Bytes of a float64.
F64 = 8


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
    """The Monte-Carlo simulation holds n_trials × t × D noise samples (float64), about
    three arrays of that size at once (noise, samples, their mean's temporaries)."""
    draws = int(setup.n_trials) * int(setup.t) * len(setup.normals[0])
    n_tasks = len(setup.normals)
    return Cost(
        memory_bytes=3 * F64 * draws,
        flops=2 * draws * max(n_tasks, 1),
        what=f"n_trials × t × D = {draws} float64 evidence samples",
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
    return Cost(
        memory_bytes=F64 * seeds * (weights + batch * sum(widths)) * 4,
        flops=6 * epochs * seeds * batch * weights,
        what=f"{epochs} epochs × {seeds} seed(s) × widths {widths}",
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
