"""The WTA generalization diagram: held-out accuracy of WTA vs ReLU vs linear bottlenecks.

Measured only (the paper's claim "the symbolic code helps generalization", `paper`; no number
is predicted). Per grid point (capacity slack x number of tasks) :data:`SEEDS` seeds of
:func:`mtl_theory.numerics.wta_generalization.seed_experiment`, paired by seed, summarised by
Student t-intervals, paired t and Wilcoxon signed-rank tests, the paired effect size d_z and
the smallest difference the seeds detect (alpha = 0.05, power 0.8).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from mtl_theory.numerics import wta_generalization as ng
from mtl_theory.theory import wta as twta

#: Seeds per grid point (each: all three arms on the same data and initial weights).
SEEDS = 10
#: Modules by capacity slack sum(m_g - 1) - sum(n_k - 1) for factors (4, 4, 4).
SLACK_MODULES = {0: (4, 4, 4), 3: (5, 5, 5)}
#: Numbers of random additive tasks: 3 (H2 fails: span dimension 4 < dim A = 10) and 9 (H2
#: holds almost surely: Gaussian tables, rank 10).
N_TASKS = (3, 9)
CONFIG = ng.GeneralizationConfig()
ALPHA = 0.05

DESCRIPTION = (
    "Compositional generalization, measured (the paper's claim that the symbolic WTA code "
    "helps generalization, `paper`). Procedural 16x16 RGB images (shape x colour x position, "
    "4 values each; colour in the RGB channels; position jitter of +-1 pixel; Gaussian pixel "
    f"noise {CONFIG.noise}), random additive Gaussian tasks, Latin-square hold-out (16 of 64 "
    "combinations: z_pos = (z_shape + z_colour) mod 4; every value and every pair of values "
    f"seen in training). {SEEDS} seeds per point, paired: the same tasks, images and initial "
    "weights for three arms of the same encoder (MLP, 64 ReLU units) and width: hard WTA "
    "modules trained as numerics/wta.py trains them (soft warm-up, straight-through), a ReLU "
    "and a linear bottleneck; one run each, "
    f"{CONFIG.train.epochs} epochs of full-batch Adam on {CONFIG.samples_per_point} images per "
    "training combination. Colour: mean held-out nearest-target accuracy difference; text: the "
    "difference, its 95% t-interval over seeds and the paired t-test p. Outlined: H2 and H3 of "
    "Theorem WTA-1 hold (H1 fails everywhere by design: combinations are held out)."
)


def points() -> list[dict[str, int]]:
    return [{"slack": s, "n_tasks": t} for s in SLACK_MODULES for t in N_TASKS]


def _summary(values: list[float]) -> dict[str, float]:
    ci = ng.t_interval(values, 1 - ALPHA)
    return {"mean": ci.mean, "ci_low": ci.low, "ci_high": ci.high}


def compute(params, seed: int) -> dict[str, object]:
    """All arms over :data:`SEEDS` paired seeds at one (slack, n_tasks) point."""
    modules = SLACK_MODULES[int(params["slack"])]
    n_tasks = int(params["n_tasks"])
    seeds = [(seed + r) % 2**32 for r in range(SEEDS)]
    runs = [ng.seed_experiment(modules, n_tasks, s, CONFIG) for s in seeds]
    held = {arm: [r[arm]["heldout_accuracy"] for r in runs] for arm in ng.ARMS}
    first = twta.WTASetup(
        CONFIG.factors,
        modules,
        twta.make_targets(CONFIG.factors, "random-additive", n_tasks=n_tasks, seed=seeds[0]),
        holdout=ng.latin_square_holdout(CONFIG.factors),
    )
    hyps = {h.id: h.holds for h in twta.check_hypotheses(first)}
    out: dict[str, object] = {
        "modules": list(modules),
        "seeds": seeds,
        "h2_h3_hold": bool(hyps["task-span"] and hyps["capacity"]),
        "full_support": bool(hyps["full-support"]),
        "wta_symbolic_complete_fraction": float(
            np.mean([r["wta"]["symbolic"] and r["wta"]["complete"] for r in runs])
        ),
    }
    for arm in ng.ARMS:
        out[f"heldout_{arm}"] = held[arm]
        for key, v in _summary(held[arm]).items():
            out[f"heldout_{arm}_{key}"] = v
        out[f"train_accuracy_{arm}_mean"] = float(np.mean([r[arm]["train_accuracy"] for r in runs]))
        out[f"train_loss_{arm}_mean"] = float(np.mean([r[arm]["train_loss"] for r in runs]))
    for other in ("relu", "linear"):
        c = ng.paired_comparison(held["wta"], held[other], alpha=ALPHA)
        row = dataclasses.asdict(c)
        ci = row.pop("ci")
        row["ci_low"], row["ci_high"] = ci["low"], ci["high"]
        row.pop("n")
        for key, v in row.items():
            out[f"wta_minus_{other}_{key}"] = v
    return out
