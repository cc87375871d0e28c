"""The ``evidence-rnn-attractors`` phase diagram: the attractor analysis of trained RNNs by
the authors' route (analyze.py) and by the toolkit's.

Computation: :func:`mtl_theory.proofs.evidence_sweeps.attractor_compute` at ``SWEEP_BATCHES``;
the description is generated from it. Measured only (EV-7 gives no number).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mtl_theory import cost as mc
from mtl_theory.proofs import evidence_sweeps as ps
from mtl_theory.registry import PhaseDiagram


def attractor_render(records: Sequence[Any], fig: Any) -> None:
    ax1 = fig.add_subplot(1, 2, 1)
    ax2 = fig.add_subplot(1, 2, 2)
    ns = sorted({r.params["n_tasks"] for r in records})
    routes = (
        ("authors", "C0", -0.2, "authors' route (analyze.py in numpy)"),
        ("toolkit", "C1", 0.0, "toolkit: fixed points (q < 1e-12)"),
        ("toolkit_slow", "C2", 0.2, "toolkit: slow points"),
    )
    for i, n in enumerate(ns):
        mine = [r for r in records if r.params["n_tasks"] == n]
        vals = np.concatenate([r.result["authors_A"] for r in mine] or [[np.nan]])
        ax1.plot([i - 0.2] * vals.size, vals, ".", color="C0", alpha=0.3)
        for key, color, dx, name in routes:
            meds = [r.result["routes"][key]["A_percentiles"] for r in mine]
            meds = [m[2] for m in meds if m is not None]
            ax1.plot(
                [i + dx] * len(meds),
                meds,
                "o",
                color=color,
                label=name + ", median A" if i == 0 else None,
            )
            counts = [r.result["routes"][key]["n_points"] for r in mine]
            ax2.plot(
                [i + dx] * len(counts), counts, "o", color=color, label=name if i == 0 else None
            )
    for ax in (ax1, ax2):
        ax.set_xticks(range(len(ns)))
        ax.set_xticklabels([str(n) for n in ns])
        ax.set_xlabel("N_task")
    ax1.set_yscale("log")
    ax1.set_ylabel("amplification A = τ_net/τ of the two leading modes")
    ax1.legend(fontsize=6)
    ax1.set_title("A = 1/|ln|µ||; dots: every A of the authors' route", fontsize=9)
    ax2.set_ylabel("distinct points kept")
    ax2.set_yscale("symlog")
    ax2.legend(fontsize=6)
    ax2.set_title("points kept (128 starts per route)", fontsize=9)


def attractor_point_cost(params: Any) -> mc.Cost:
    """One RNN of :data:`ps.SWEEP_BATCHES` batches, then the three attractor routes in a
    second child (a measured constant: :data:`mc.ATTRACTOR_ANALYSIS_SECONDS`)."""
    n = int(params["n_tasks"])
    return mc.trained_network_point_cost(
        "rnn",
        2,
        n,
        20,
        ps.SWEEP_BATCHES,
        pool=0,
        decoder_steps=0,
        extra_seconds=mc.SPAWN_SECONDS + mc.ATTRACTOR_ANALYSIS_SECONDS,
    )


DIAGRAM = PhaseDiagram(
    name="evidence-rnn-attractors",
    theory="evidence",
    title="Attractor analysis of trained RNNs: the authors' route vs the toolkit's",
    description=(
        "Measured only (EV-7, `paper`, gives no number): amplification A = τ_net/τ, "
        "τ_net = dt/|ln|µ||, of the two leading Jacobian eigenvalues at the fixed points of "
        "the stimulus-free (fixation-on) map, by analyze.py's route (`code`: 40 noise-free "
        "trajectories, 128 states + U(0, 6) noise per unit, Adam lr 0.01 x 10^4 on the mean "
        "(F(h) − h)², no tolerance, DBSCAN eps 0.5) and by the toolkit's (L-BFGS-B from "
        "end-of-stimulus states, q < 1e-12, merge at 1e-4 of the state scale; and its slow "
        f"points), same network; 2 networks per N_task, {ps.SWEEP_BATCHES} training "
        "batches (REDUCED; paper 10^5)."
    ),
    points=ps.attractor_points,
    compute=ps.attractor_compute,
    render=attractor_render,
    cost=attractor_point_cost,
)
