"""The ``gdln-saxe`` phase diagram: mode trajectories of the Saxe et al. 2019 hierarchy.

Computation: :func:`mtl_theory.proofs.gdln.saxe_compute` at the constants ``SAXE_*`` of
:mod:`mtl_theory.proofs.gdln`; the description below is generated from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mtl_theory import cost as mc
from mtl_theory.families.diagram_text import short_float
from mtl_theory.proofs import gdln as proofs
from mtl_theory.registry import PhaseDiagram


def saxe_render(records, fig) -> None:
    axes = fig.subplots(1, len(records), sharey=True, squeeze=False)[0]
    for ax, rec in zip(axes, records, strict=True):
        r = rec.result
        t = np.array(r["t"])
        meas, cf = np.array(r["measured"]), np.array(r["closed_form"])
        # degenerate modes (equal s/d) share a colour and a legend entry
        levels = sorted({round(v, 9) for v in r["s_over_d"]}, reverse=True)
        for k in range(meas.shape[1]):
            g = levels.index(round(r["s_over_d"][k], 9))
            members = [j + 1 for j, v in enumerate(r["s_over_d"]) if round(v, 9) == levels[g]]
            first = members[0] == k + 1
            label = f"modes {members}: s/d = {levels[g]:.2f}" if first else None
            ax.plot(t, cf[:, k], color=f"C{g}", lw=1.5, label=label)
            ax.plot(t[::8], meas[::8, k], "o", color=f"C{g}", ms=3)
            if first:
                ax.axvline(r["learning_times"][k], color=f"C{g}", ls=":", lw=0.8)
        ax.set_xlabel("epoch")
        ax.set_title(f"{rec.params['route'].upper()} (dots) over closed form (lines)")
    axes[0].set_ylabel("mode strength uᵀ W₂W₁ v")
    axes[0].legend(
        fontsize=7, loc="center right", title="dotted: predicted half-time", title_fontsize=7
    )


def saxe_point_cost(params: Mapping[str, Any]) -> mc.Cost:
    """7000 epochs of the 8 -> 16 -> 15 linear net, interpreter-bound: 0.20 s measured for
    the GD route by benchmarks/bench_cost.py --diagrams (the flow: of the same order)."""
    return mc.measured_point_cost(0.2, 2**20, "7000 epochs, 8 -> 16 -> 15 (measured)")


DESCRIPTION = (
    f"Two-layer linear net on the {proofs.SAXE_ITEMS}-item hierarchy (one-hot, "
    f"η = {short_float(proofs.SAXE_LR)}, a₀ = {short_float(proofs.SAXE_A0)}, "
    f"hidden {proofs.SAXE_HIDDEN}, {proofs.SAXE_EPOCHS} epochs): mode strengths uᵀW₂W₁v by "
    "GD and by the full-network flow (dots) over the closed form a(t) (lines, `paper`); "
    "dotted verticals: predicted half-learning times. Broad splits (larger s) are learned "
    "first."
)

DIAGRAM = PhaseDiagram(
    "gdln-saxe",
    "gdln",
    "Saxe 2019 hierarchy: mode trajectories, closed form over simulation",
    DESCRIPTION,
    proofs.saxe_points,
    proofs.saxe_compute,
    saxe_render,
    cost=saxe_point_cost,
)
