"""The ``evidence-tasks-noise`` phase diagram: OOD r² of the ideal route over N_task × σ.

Computation: :func:`mtl_theory.proofs.evidence.tasks_noise_compute` at ``TASKS_NOISE_*``;
the description is generated from them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mtl_theory import cost as mc
from mtl_theory.plotting import grid_values, heatmap
from mtl_theory.proofs import evidence as pe
from mtl_theory.registry import PhaseDiagram
from mtl_theory.theory import evidence as te


def tasks_noise_render(records: Sequence[Any], fig: Any) -> None:
    ax = fig.add_subplot(1, 1, 1)
    xs, ys, z = grid_values(records, "n_tasks", "sigma", "ood_r2")
    heatmap(
        ax,
        xs,
        ys,
        np.clip(z, -0.5, 1.0),
        xlabel="N_task (even central boundaries)",
        ylabel="sigma (per sample)",
        colorbar_label=f"OOD r² of ideal route (D={pe.TASKS_NOISE_D}, t={pe.TASKS_NOISE_T})",
        vmin=-0.5,
        vmax=1.0,
    )
    nn = np.linspace(xs[0] - 0.5, xs[-1] + 0.5, 2)
    for level in (0.9, 0.95, 0.98):
        s_level = math.sqrt((1 - level) * pe.TASKS_NOISE_T * te.BOX_VARIANCE)
        ax.plot(nn, [s_level, s_level], "w--", lw=1)
        ax.text(
            xs[-1], s_level, f" Eq.7 r²={level}", color="w", va="bottom", ha="right", fontsize=8
        )
    ax.axvline(
        math.sqrt(2), color="r", lw=1.5, label="rank boundary: N_task >= D = 2 needed (EV-2)"
    )
    ok = xs >= 2
    live = ys > 0  # sigma = 0 is the cell-indicator regime, not Eq. 7's
    if np.count_nonzero(ok) >= 2 and np.count_nonzero(live) >= 2:
        cs = ax.contour(
            xs[ok],
            ys[live],
            z[np.ix_(live, ok)],
            levels=[0.9, 0.95, 0.98],
            colors="k",
            linewidths=0.8,
        )
        ax.clabel(cs, fontsize=7, fmt="measured %.2f")
    ax.set_xscale("log")
    ax.set_xticks(xs)
    ax.set_xticklabels([str(int(v)) for v in xs])
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("EVIDENCE: OOD r² from optimal outputs; Eq. 7 contours (dashed)")


#: CPU seconds of one point, rounded up from benchmarks/bench_cost.py --diagrams (0.02 s
#: measured on the smallest point): the order of magnitude is all the planner needs.
POINT_SECONDS = 0.05


def point_cost(params: Mapping[str, Any]) -> mc.Cost:
    return mc.measured_point_cost(POINT_SECONDS, 2**26, "evidence-tasks-noise point (measured)")


DIAGRAM = PhaseDiagram(
    name="evidence-tasks-noise",
    theory="evidence",
    title=(
        f"OOD r² of the ideal route over N_task × σ (D = {pe.TASKS_NOISE_D}, "
        f"t = {pe.TASKS_NOISE_T})"
    ),
    description=(
        "Measured: OOD r² (held-out quadrant, Var = 1/12) of a linear decoder reading the "
        "ideal observer's outputs in probit space, even central boundaries, "
        f"{pe.TASKS_NOISE_TRIALS} trials per point; at σ = 0 the 0/1 outputs. Predicted: Eq. 7 "
        "contours (EV-5, `code`) and the rank boundary N_task = D (EV-2/EV-4, `reconstructed`)."
    ),
    points=pe.tasks_noise_points,
    compute=pe.tasks_noise_compute,
    render=tasks_noise_render,
    cost=point_cost,
)
