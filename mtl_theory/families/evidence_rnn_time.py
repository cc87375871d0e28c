"""The ``evidence-rnn-time`` phase diagram (Fig. 5a): trained-RNN OOD r² against the number
of stimulus steps t, with Eq. 7 at t samples and Fig5a.py's t + 1 drawn over it.

A point is :func:`mtl_theory.proofs.evidence_sweeps.time_compute`; drawing, cost and the
budget sentence come from :mod:`mtl_theory.families.evidence_rnn_sweep`.
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


def time_render(records: Sequence[Any], fig: Any) -> None:
    sweep_render(records, fig, "t", "stimulus steps t (100 ms each)", "trained RNN vs t (D=2)")


DIAGRAM = PhaseDiagram(
    name="evidence-rnn-time",
    theory="evidence",
    title="Trained-RNN OOD r² vs trial duration t (Fig. 5a)",
    description=(
        "Measured: OOD r² on a held-out quadrant (D = 2, σ = 0.2, N_task = 6), trained and "
        "tested at t stimulus steps. Predicted: Eq. 7 with t samples, 1 − 0.48/t (EV-5): "
        "the toolkit's decision step carries no sample; Fig5a.py's 1 − 0.48/(t + 1) counts "
        "the decision step, right for DenoiseQuadsFreeRT whose decision step shows the "
        f"stimulus (`code`), drawn for reference. {BUDGET_TEXT}; {PAPER_BUDGET_TEXT}."
    ),
    points=ps.time_points,
    compute=ps.time_compute,
    dtypes=DTYPES,
    render=time_render,
    cost=sweep_point_cost,
    paper_points=lambda: ps.paper_grid(ps.time_points()),
)
