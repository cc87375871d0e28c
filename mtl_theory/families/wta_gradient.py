"""The ``wta-gradient`` phase diagram: drawing, cost and registration.

Computation (points, WTA and ReLU training per seed, constants and description) lives in
:mod:`mtl_theory.proofs.wta` (``gradient_points``, ``gradient_compute``,
``GRADIENT_DESCRIPTION``); this module is the diagram's front-door glue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mtl_theory import cost as mc
from mtl_theory.families.wta_capacity import outline_theorem_region
from mtl_theory.plotting import grid_values, heatmap
from mtl_theory.proofs import wta as pw
from mtl_theory.registry import PhaseDiagram


def gradient_render(records: Any, fig: Any) -> None:
    """Symbolic+complete seed fraction, and held-out accuracy WTA minus ReLU."""
    fig.set_size_inches(13, 5)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    xs, ys, z = grid_values(records, "slack", "n_tasks", "symbolic_complete_fraction")
    heatmap(
        left,
        xs,
        ys,
        z,
        xlabel="capacity slack",
        ylabel="number of random additive tasks",
        colorbar_label="fraction of seeds symbolic and complete",
        vmin=0.0,
        vmax=1.0,
    )
    outline_theorem_region(left, records)
    left.set_title("trained WTA, factors (2,3): symbolic and complete", fontsize=10)
    xs, ys, d = grid_values(
        records,
        "slack",
        "n_tasks",
        lambda r: r["heldout_accuracy_wta"] - r["heldout_accuracy_relu"],
    )
    heatmap(
        right,
        xs,
        ys,
        d,
        xlabel="capacity slack",
        ylabel="number of random additive tasks",
        colorbar_label="held-out accuracy: WTA - ReLU",
        vmin=-1.0,
        vmax=1.0,
        cmap="coolwarm",
    )
    for r in records:
        right.text(
            r.params["slack"],
            r.params["n_tasks"],
            f"{r.result['heldout_accuracy_wta']:.2f}\n{r.result['heldout_accuracy_relu']:.2f}",
            ha="center",
            va="center",
            fontsize=6,
        )
    outline_theorem_region(right, records)
    right.set_title("held-out (1,1) accuracy: WTA (top) vs ReLU (bottom)", fontsize=10)


def gradient_point_cost(params: Mapping[str, Any]) -> mc.Cost:
    """WTA and ReLU networks trained for every seed: a measured constant per seed."""
    return mc.measured_point_cost(
        pw.GRADIENT_SEEDS * mc.WTA_GRADIENT_SEED_SECONDS,
        2**27,
        f"{pw.GRADIENT_SEEDS} seeds of WTA + ReLU training (measured)",
    )


DIAGRAM = PhaseDiagram(
    name="wta-gradient",
    theory="wta",
    title="Gradient-trained WTA networks: symbolic+complete seeds, held-out accuracy",
    description=pw.GRADIENT_DESCRIPTION,
    points=pw.gradient_points,
    compute=pw.gradient_compute,
    render=gradient_render,
    cost=gradient_point_cost,
)
