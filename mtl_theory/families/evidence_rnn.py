"""The ``evidence-rnn`` phase diagram: trained-RNN OOD r² against N_task (reduced budget).

Computation: :func:`mtl_theory.proofs.evidence.rnn_compute` at ``RNN_DIAGRAM_*`` (the
paper's budget: ``PAPER_*``); the description is generated from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mtl_theory import cost as mc
from mtl_theory.numerics.precision import DTYPES
from mtl_theory.proofs import evidence as pe
from mtl_theory.registry import PhaseDiagram
from mtl_theory.theory import evidence as te


def rnn_render(records: Sequence[Any], fig: Any) -> None:
    ax = fig.add_subplot(1, 1, 1)
    ns = sorted({r.params["n_tasks"] for r in records})
    decoders = (
        ("ood_r2_per_quadrant", "C0", -0.12, "least-squares decoder"),
        ("ood_r2_adam_decoder_per_quadrant", "C1", 0.12, "Adam decoder, fixed pool (3500 x 16)"),
    )
    for i, n in enumerate(ns):
        mine = [r for r in records if r.params["n_tasks"] == n]
        for key, color, dx, name in decoders:
            vals = np.concatenate([r.result[key] for r in mine if key in r.result] or [[np.nan]])
            q1, med, q3 = np.percentile(vals, [25, 50, 75])
            ax.plot([i + dx] * vals.size, np.clip(vals, -1, 1), ".", color=color, alpha=0.4)
            ax.errorbar(
                i + dx,
                med,
                yerr=[[med - q1], [q3 - med]],
                fmt="o",
                color=color,
                capsize=4,
                label=f"trained RNN, {name}: median, IQR" if i == 0 else None,
            )
        ideal = np.concatenate([r.result["ideal_per_quadrant"] for r in mine])
        ax.plot(i, np.median(ideal), "k_", ms=20, label="ideal route µ(t), OOD" if i == 0 else None)
    ax.axhline(te.r2_eq7(0.2, 20), color="k", ls="--", lw=1, label="Eq. 7 (σ=0.2, t=20)")
    ax.axhline(0.9, color="r", ls=":", lw=1, label="paper's 0.9 reference line")
    ax.set_xticks(range(len(ns)))
    ax.set_xticklabels([str(n) for n in ns])
    ax.set_xlabel("N_task")
    ax.set_ylabel("OOD r² (held-out quadrant; values clipped at −1)")
    ax.set_ylim(-1.05, 1.05)
    ax.set_title(
        f"EVIDENCE: trained RNN (authors' init/inputs), REDUCED budget "
        f"{pe.RNN_DIAGRAM_BATCHES} batches of {pe.RNN_DIAGRAM_BATCH_SIZE}\n(paper: 10^5 "
        "batches); 3 seeds x 4 held-out quadrants",
        fontsize=10,
    )
    ax.legend(fontsize=7, loc="lower right")


def rnn_point_cost(params: Mapping[str, Any]) -> mc.Cost:
    """One RNN of the diagram's budget, 2000 trials' states, 4 x 3500 Adam decoder steps."""
    return mc.trained_network_point_cost(
        "rnn",
        2,
        int(params["n_tasks"]),
        20,
        int(params.get("batches", pe.RNN_DIAGRAM_BATCHES)),
        pool=2000,
        decoder_steps=4 * 3500,
    )


DIAGRAM = PhaseDiagram(
    name="evidence-rnn",
    theory="evidence",
    title="Trained-RNN OOD r² vs N_task (reduced budget) against the ideal route",
    description=(
        f"Measured: OOD r² (held-out quadrant, Var = 1/12) of the hidden state at the "
        f"decision step of the paper's RNN trained by BPTT + Adam ({pe.RNN_DIAGRAM_LOSS} BCE, "
        f"the authors' train.py) for "
        f"{pe.RNN_DIAGRAM_BATCHES} batches of {pe.RNN_DIAGRAM_BATCH_SIZE} (REDUCED budget; "
        f"the paper's is 10^5: `--paper-budget` runs {pe.PAPER_BATCHES} batches x "
        f"{pe.PAPER_NETWORKS} networks), 3 seeds x 4 quadrants per N_task: median and IQR, "
        f"decoded "
        f"by least squares and by an Adam-trained linear layer on a fixed pool of trials "
        f"(not generalize.py's exact protocol: see the check's `protocol` key). "
        f"Reference: the ideal route µ(t) and Eq. 7 (EV-5, `code`); EV-7 (`paper`) gives "
        f"no number."
    ),
    points=pe.rnn_points,
    compute=pe.rnn_compute,
    render=rnn_render,
    dtypes=DTYPES,
    cost=rnn_point_cost,
    paper_points=pe.rnn_paper_points,
)
