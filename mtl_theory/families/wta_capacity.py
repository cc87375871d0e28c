"""The ``wta-capacity-tasks`` phase diagram: drawing, cost and registration.

Computation (points, exhaustive search per point, constants and description) lives in
:mod:`mtl_theory.proofs.wta` (``capacity_points``, ``capacity_compute``,
``CAPACITY_DESCRIPTION``); this module is the diagram's front-door glue.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mtl_theory import cost as mc
from mtl_theory.plotting import grid_values, heatmap
from mtl_theory.proofs import wta as pw
from mtl_theory.registry import PhaseDiagram


def outline_theorem_region(ax: Any, records: Any) -> None:
    """Draw the cells where all hypotheses of Theorem WTA-1 hold (red outline)."""
    from matplotlib.patches import Rectangle

    xs = sorted({r.params["slack"] for r in records})
    ys = sorted({r.params["n_tasks"] for r in records})
    for r in records:
        if r.result["theorem_applies"]:
            x, y = r.params["slack"], r.params["n_tasks"]
            i = ys.index(y)
            # the same cell edges as mtl_theory.plotting.heatmap (mid-points, mirrored ends)
            lo = (ys[i - 1] + y) / 2 if i > 0 else (y - (ys[1] - y) / 2 if len(ys) > 1 else y - 0.5)
            hi = (
                (ys[i + 1] + y) / 2
                if i + 1 < len(ys)
                else (y + (y - ys[i - 1]) / 2 if len(ys) > 1 else y + 0.5)
            )
            ax.add_patch(
                Rectangle((x - 0.5, lo), 1.0, hi - lo, fill=False, edgecolor="red", linewidth=2.0)
            )
    ax.plot([], [], color="red", linewidth=2.0, label="Theorem WTA-1 applies (H1-H3)")
    ax.set_xticks(xs)
    ax.set_yticks(ys)
    ax.legend(loc="upper right", fontsize=7)


def capacity_render(records: Any, fig: Any) -> None:
    """Symbolic fraction of zero-loss codes over (slack, n_tasks) with the theorem's region."""
    ax = fig.add_subplot(1, 1, 1)
    xs, ys, z = grid_values(records, "slack", "n_tasks", "symbolic_fraction")
    ax.set_facecolor("0.8")
    heatmap(
        ax,
        xs,
        ys,
        z,
        xlabel="capacity slack sum(m_g-1) - sum(n_k-1)",
        ylabel="number of random additive tasks",
        colorbar_label="symbolic / zero-loss codes",
        vmin=0.0,
        vmax=1.0,
    )
    for r in records:
        ax.text(
            r.params["slack"],
            r.params["n_tasks"],
            f"{r.result['symbolic_zero_loss_codes']}/{r.result['zero_loss_codes']}",
            ha="center",
            va="center",
            fontsize=7,
            color="white",
        )
    outline_theorem_region(ax, records)
    ax.set_title("WTA, factors (2,3): symbolic/zero-loss codes (exhaustive; grey = none)")


def capacity_point_cost(params: Mapping[str, Any]) -> mc.Cost:
    """Exhaustive search of every code, once per task draw."""
    modules = pw.DIAGRAM_MODULES[int(params["slack"])]
    return mc.wta_exhaustive_cost(
        math.prod(pw.DIAGRAM_FACTORS), modules, repeats=pw.CAPACITY_TASK_SEEDS
    )


DIAGRAM = PhaseDiagram(
    name="wta-capacity-tasks",
    theory="wta",
    title="Symbolic fraction of zero-loss codes: capacity slack x number of tasks",
    description=pw.CAPACITY_DESCRIPTION,
    points=pw.capacity_points,
    compute=pw.capacity_compute,
    render=capacity_render,
    cost=capacity_point_cost,
)
