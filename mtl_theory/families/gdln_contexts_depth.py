"""The ``gdln-contexts-depth`` phase diagram: mixed selectivity and the modular − ReLN gap.

Computation: :func:`mtl_theory.proofs.gdln.contexts_depth_compute` at
``proofs.gdln.DEPTH_DIAGRAM_*``; the description below is generated from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mtl_theory import cost as mc
from mtl_theory.families.diagram_text import per_width, short_float
from mtl_theory.numerics.precision import DTYPES
from mtl_theory.plotting import grid_values, heatmap
from mtl_theory.proofs import gdln as proofs
from mtl_theory.registry import PhaseDiagram
from mtl_theory.theory import gdln as th


def contexts_depth_render(records, fig) -> None:
    ax1, ax2 = fig.subplots(1, 2)
    xs, ys, z = grid_values(records, "contexts", "depth", "mixed_fraction")
    heatmap(
        ax1,
        xs,
        ys,
        z,
        xlabel="contexts C",
        ylabel="hidden layers",
        colorbar_label="fraction of strong units active in >1 but not all contexts",
        vmin=0,
        vmax=1,
    )
    xs, ys, g = grid_values(records, "contexts", "depth", "gap_final")
    heatmap(
        ax2,
        xs,
        ys,
        g,
        xlabel="contexts C",
        ylabel="hidden layers",
        colorbar_label="final loss: modular − ReLN",
        cmap="magma",
    )
    for rec in records:
        c, dp = rec.params["contexts"], rec.params["depth"]
        ax1.text(
            c,
            dp,
            f"1-ctx: {rec.result['single_context_units']}",
            ha="center",
            va="center",
            fontsize=7,
            color="w",
        )
        ax2.text(
            c, dp, f"{rec.result['gap_final']:.2g}", ha="center", va="center", fontsize=7, color="c"
        )
    for ax in (ax1, ax2):
        ax.set_yticks([1, 2])
        ax.set_xticks(range(2, 7))
    # predicted boundary (GDLN-9): single-context units = 0 in every cell, gap > 0: the
    # boundary gap = 0 is drawn where the measured map crosses it
    if np.nanmin(g) < 0 < np.nanmax(g):
        ax2.contour(xs, ys, g, levels=[0.0], colors="w", linestyles="--")
    ax2.set_title(
        "predicted: gap > 0, growing with C (GDLN-9)\n"
        "C = 2: ReLN ≡ modular, gap 0; dashed: measured gap = 0",
        fontsize=7,
    )
    ax1.set_title(
        "predicted for C ≥ 3: no single-context unit ('1-ctx: 0')\n"
        "at C = 2 a (C−1)-context unit is single-context",
        fontsize=7,
    )


def contexts_depth_point_cost(params: Mapping[str, Any]) -> mc.Cost:
    """ReLU + ReLN + modular training at the diagram's reduced sizes."""
    C, depth = int(params["contexts"]), int(params["depth"])
    task = th.context_task(C, "same")
    n_in, batch = task.X.shape
    hidden = proofs.DEPTH_DIAGRAM_RUN[depth]["hidden"]
    return mc.context_experiment_cost(
        n_in, batch, task.Y.shape[0], hidden, C, proofs.DEPTH_DIAGRAM_EPOCHS
    )


def _width_text(depth: int) -> str:
    run = proofs.DEPTH_DIAGRAM_RUN[depth]
    widths = "-".join(map(str, run["hidden"]))
    return f"{widths} (depth {depth}, std {per_width(run['std'], run['hidden'][0])})"


def _description() -> str:
    points = proofs.contexts_depth_points()
    contexts = sorted({p["contexts"] for p in points})
    depths = sorted({p["depth"] for p in points})
    lr, epochs = proofs.DEPTH_DIAGRAM_LR, proofs.DEPTH_DIAGRAM_EPOCHS
    # the paper's schedule (η = 1e-3, 8000 epochs) at the same flow time t·η
    return (
        f"Same hierarchy in every context, C = {contexts[0]}..{contexts[-1]}, "
        f"{' or '.join(map(str, depths))} hidden layers, REDUCED to fit 3 minutes: widths "
        f"{' and '.join(_width_text(d) for d in depths)}, η = {short_float(lr)}, {epochs} "
        f"epochs (same flow time as η = 1e-3 for {round(lr * epochs / 1e-3)} epochs). Depth 1: "
        "ReLN and modular GDLN as in the authors' code (their module layout and init stream, "
        "width / number of modules units each, split loss). Depth 2: block-diagonal pathways "
        "through both hidden layers (`reconstructed`; the authors' depth GDLN, "
        "depth/gdln_off.py, is dense between hidden layers and gated at the output only: "
        "reproduced in benchmarks/gdln_side_by_side.py). Left: fraction of strong units active "
        "in more than one but not all contexts (cell text: single-context units, predicted 0). "
        "Right: final loss of the modular GDLN minus the ReLN's (predicted > 0, growing with C; "
        "`reconstructed`)."
    )


DIAGRAM = PhaseDiagram(
    "gdln-contexts-depth",
    "gdln",
    "Mixed selectivity and modular-minus-ReLN loss gap vs contexts and depth",
    _description(),
    proofs.contexts_depth_points,
    proofs.contexts_depth_compute,
    contexts_depth_render,
    dtypes=DTYPES,
    cost=contexts_depth_point_cost,
)
