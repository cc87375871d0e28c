"""The ``evidence-tasks-dim`` phase diagram: cond(C) and decoded-axis angles over N_task × D.

Computation: :func:`mtl_theory.proofs.evidence.tasks_dim_compute` with ``TASKS_DIM_DRAWS``
draws per point; the description is generated from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mtl_theory import cost as mc
from mtl_theory.proofs import evidence as pe
from mtl_theory.registry import PhaseDiagram


def tasks_dim_render(records: Sequence[Any], fig: Any) -> None:
    ax1 = fig.add_subplot(1, 2, 1)
    ax2 = fig.add_subplot(1, 2, 2)
    Ds = sorted({r.params["D"] for r in records})
    colors = ["C0", "C1", "C2", "C3", "C4"]
    for D, col in zip(Ds, colors, strict=False):
        rs = sorted((r for r in records if r.params["D"] == D), key=lambda r: r.params["n_tasks"])
        ns = np.array([r.params["n_tasks"] for r in rs])
        med = np.array([r.result["cond_median"] for r in rs])
        q1 = np.array([r.result["cond_q25"] for r in rs])
        q3 = np.array([r.result["cond_q75"] for r in rs])
        ax1.plot(ns, med, "o-", color=col, label=f"D={D} measured median")
        ax1.fill_between(ns, q1, q3, color=col, alpha=0.2)
        nn = np.geomspace(D * 1.2, 500, 100)
        ratio = np.sqrt(D / nn)  # Marchenko-Pastur singular-value edges 1 +- sqrt(D/N)
        ax1.plot(nn, (1 + ratio) / (1 - ratio), "--", color=col, lw=1)
        ax2.plot(ns, [r.result["angle_dev_mean"] for r in rs], "o-", color=col, label=f"D={D}")
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("N_task")
    ax1.set_ylabel("cond(C), random unit normals")
    ax1.set_title("cond(C): median, IQR band;\ndashed: Marchenko–Pastur", fontsize=10)
    ax1.legend(fontsize=7)
    ax2.axhline(0, color="k", lw=1, label="orthogonal (C^T C ∝ I)")
    ax2.set_xscale("log")
    ax2.set_xlabel("N_task")
    ax2.set_ylabel("mean |angle − 90°| between decoded axes (deg)")
    ax2.legend(fontsize=7)


#: CPU seconds of one point, rounded up from benchmarks/bench_cost.py --diagrams (0.02 s
#: measured on the smallest point): the order of magnitude is all the planner needs.
POINT_SECONDS = 0.05


def point_cost(params: Mapping[str, Any]) -> mc.Cost:
    return mc.measured_point_cost(POINT_SECONDS, 2**26, "evidence-tasks-dim point (measured)")


DIAGRAM = PhaseDiagram(
    name="evidence-tasks-dim",
    theory="evidence",
    title="cond(C) and decoded-axis angles for random normals over N_task × D",
    description=(
        "Measured: median and IQR of cond(C) and mean |angle − 90°| of decoded axes over "
        f"{pe.TASKS_DIM_DRAWS} draws of random unit normals. Predicted: Marchenko–Pastur "
        "asymptote (1 + √(D/N))/(1 − √(D/N)) (EV-6, `reconstructed`)."
    ),
    points=pe.tasks_dim_points,
    compute=pe.tasks_dim_compute,
    render=tasks_dim_render,
    cost=point_cost,
)
