"""The ``evidence-rnn-sigma`` phase diagram (Fig. 5c): trained-RNN OOD r² against the noise σ
the networks are trained and tested at.

See :func:`mtl_theory.proofs.evidence_sweeps.sigma_compute` (what a point computes) and
:mod:`mtl_theory.families.evidence_rnn_sweep` (renderer, cost and budget text it shares).
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


def sigma_render(records: Sequence[Any], fig: Any) -> None:
    sweep_render(records, fig, "sigma", "training = test noise σ", "trained RNN vs σ (D=2, t=20)")


DIAGRAM = PhaseDiagram(
    name="evidence-rnn-sigma",
    theory="evidence",
    title="Trained-RNN OOD r² vs training noise σ (Fig. 5c)",
    description=(
        "Measured: OOD r² on a held-out quadrant (D = 2), networks trained and tested at σ "
        "∈ {0.1, 0.2, 0.3, 0.4, 0.6} (Fig5c.py, `code`). Predicted for the ideal route: "
        f"Eq. 7 = 1 − 12σ²/t (EV-5, `code`). {BUDGET_TEXT}; {PAPER_BUDGET_TEXT}."
    ),
    points=ps.sigma_points,
    compute=ps.sigma_compute,
    dtypes=DTYPES,
    render=sigma_render,
    cost=sweep_point_cost,
    paper_points=lambda: ps.paper_grid(ps.sigma_points()),
)
