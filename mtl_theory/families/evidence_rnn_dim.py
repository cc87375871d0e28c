"""The ``evidence-rnn-dim`` phase diagram (Fig. 5b/S12): trained-RNN OOD r² and decoded-axis
angles against the latent dimension D, with random unit normals.

Points and compute: :func:`mtl_theory.proofs.evidence_sweeps.dim_compute`. The renderer, the
per-point cost and the budget text are those of every sweep
(:mod:`mtl_theory.families.evidence_rnn_sweep`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mtl_theory.families.evidence_rnn_sweep import (
    BUDGET_TEXT,
    PAPER_BUDGET_TEXT,
    sweep_point_cost,
    sweep_render,
)
from mtl_theory.numerics.precision import DTYPES
from mtl_theory.proofs import evidence_sweeps as ps
from mtl_theory.registry import PhaseDiagram


def dim_render(records: Sequence[Any], fig: Any) -> None:
    sweep_render(
        records, fig, "D", "latent dimension D", "trained RNN vs D (σ=0.2, t=20, random normals)"
    )


DIAGRAM = PhaseDiagram(
    name="evidence-rnn-dim",
    theory="evidence",
    title="Trained-RNN OOD r² and decoded-axis angles vs latent dimension D (Fig. 5b/S12)",
    description=(
        "Measured: OOD r² on a held-out quarter (the signs of the last two coordinates "
        "fixed: generalize.py's split = 4 for D > 2, `code`), Adam decoders as "
        "generalize.py and least squares; random unit normals (`code`). Predicted: Eq. 7 "
        "(EV-5, `code`) for the ideal route, reached when rank C = D (EV-2); EV-4 "
        "(`reconstructed`) predicts a collapse for N_task < D; decoded-axis angles of the "
        f"ideal route in closed form (EV-6, `reconstructed`). {BUDGET_TEXT}; {PAPER_BUDGET_TEXT}."
    ),
    points=ps.dim_points,
    compute=ps.dim_compute,
    dtypes=DTYPES,
    render=dim_render,
    cost=sweep_point_cost,
    paper_points=lambda: ps.paper_grid(ps.dim_points()),
)
