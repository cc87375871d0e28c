"""The ``evidence-rnn-geometry`` phase diagram: trained-RNN OOD r² on the authors' other task
geometries (reduced budget).

Computation: :func:`mtl_theory.proofs.evidence_sweeps.geometry_compute` at ``SWEEP_*`` and
``GEOMETRY_TASKS``; the description is generated from them, its budget text and the per-point
cost are shared with the other sweeps (:mod:`mtl_theory.families.evidence_rnn_sweep`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mtl_theory.families.evidence_rnn_sweep import BUDGET_TEXT, sweep_point_cost
from mtl_theory.proofs import evidence_sweeps as ps
from mtl_theory.registry import PhaseDiagram


def geometry_render(records: Sequence[Any], fig: Any) -> None:
    ax = fig.add_subplot(1, 1, 1)
    for i, r in enumerate(records):
        q = r.result["ood_r2_adam_percentiles"]
        ax.errorbar(
            i - 0.15,
            q[1],
            yerr=[[q[1] - q[0]], [q[2] - q[1]]],
            fmt="o",
            color="C0",
            capsize=4,
            label="RNN, Adam decoder: median, IQR" if i == 0 else None,
        )
        ls = r.result["ood_r2_least_squares"]
        ax.plot([i] * len(ls), ls, "x", color="C1", label="RNN, least squares" if i == 0 else None)
        ideal = r.result["ideal_ood_r2_least_squares"]
        ax.plot(
            [i + 0.15] * len(ideal),
            ideal,
            "s",
            mfc="none",
            color="k",
            label="ideal µ(t) (theory: Eq. 7)" if i == 0 else None,
        )
    ax.axhline(records[0].result["r2_eq7"], color="k", ls="--", lw=1, label="Eq. 7")
    ax.set_xticks(range(len(records)))
    ax.set_xticklabels(
        [
            r.params["geometry"] + ("" if r.result["theory_applies"] else "\n(theory: n/a)")
            for r in records
        ]
    )
    ax.set_ylim(-0.5, 1.02)
    ax.set_ylabel("OOD r² (held-out quadrant; clipped at −0.5)")
    ax.set_title(
        f"Task geometries, N_task = {ps.GEOMETRY_TASKS}, σ = 0.2, t = 20; {ps.SWEEP_BATCHES} "
        "training batches (REDUCED)",
        fontsize=9,
    )
    ax.legend(fontsize=7, loc="lower left")


DIAGRAM = PhaseDiagram(
    name="evidence-rnn-geometry",
    theory="evidence",
    title="Trained-RNN OOD r² on the authors' other task geometries (Fig. S1, S3b, hyperbolic)",
    description=(
        "Measured: OOD r² (held-out quadrant) of RNNs trained on even central lines "
        "(reference), Gaussian-copula correlated factors ρ = 0.7 (Fig. S3b, `code`), the "
        "quadratic encoder (Fig. S1, `code`) and hyperbolic boundaries "
        "(MultiplyClassificationFull, `code`). Predicted: the ideal route µ(t) at Eq. 7 for "
        "every geometry (EV-5); EV-2/EV-3 cover the affine ones; for hyperbolic boundaries "
        f"the theory predicts no affine extraction (measured only). {BUDGET_TEXT}."
    ),
    points=ps.geometry_points,
    compute=ps.geometry_compute,
    render=geometry_render,
    cost=sweep_point_cost,
)
