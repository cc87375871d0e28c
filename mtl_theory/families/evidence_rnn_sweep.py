"""What the trained-RNN sweep diagrams share: the budget text of their descriptions, the
renderer of the ``evidence-rnn-dim``, ``-sigma`` and ``-time`` sweeps and the per-point
cost of every sweep that trains one RNN per point and decodes it (``-dim``, ``-sigma``,
``-time``, ``-geometry``, ``-bounded``).

Computation: :mod:`mtl_theory.proofs.evidence_sweeps` (the constants ``SWEEP_*`` and
``PAPER_BATCHES`` that the texts and the cost are generated from).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mtl_theory import cost as mc
from mtl_theory.proofs import evidence_sweeps as ps

#: The REDUCED training budget, said in every sweep's description.
BUDGET_TEXT = (
    f"REDUCED budget: {ps.SWEEP_BATCHES} training batches of 16 per network (paper: 10^5), "
    f"one network per point, a pool of {ps.SWEEP_POOL} trials, {ps.SWEEP_FITS} Adam decoder "
    "fits per held-out quarter (paper: fresh trials, 5 fits x 5 networks)"
)

#: What ``--paper-budget`` runs instead (the diagrams that have a paper budget).
PAPER_BUDGET_TEXT = (
    f"`phase NAME --paper-budget` trains {ps.PAPER_BATCHES} batches per network (the other "
    "counts unchanged) into NAME-paper.png/.csv"
)


def sweep_render(records: Sequence[Any], fig: Any, x: str, xlabel: str, title: str) -> None:
    """OOD r² (Adam median and IQR, least squares, the ideal route, Eq. 7) and the
    decoded-axis angles against the swept parameter ``x``, one colour per N_task."""
    ax1 = fig.add_subplot(1, 2, 1)
    ax2 = fig.add_subplot(1, 2, 2)
    tasks = sorted({r.params["n_tasks"] for r in records})
    for i, n in enumerate(tasks):
        rs = sorted((r for r in records if r.params["n_tasks"] == n), key=lambda r: r.params[x])
        xs = np.array([r.params[x] for r in rs], dtype=float)
        q = np.array([r.result["ood_r2_adam_percentiles"] for r in rs])
        color = f"C{i}"
        ax1.errorbar(
            xs,
            q[:, 1],
            yerr=[q[:, 1] - q[:, 0], q[:, 2] - q[:, 1]],
            fmt="o:",
            color=color,
            capsize=3,
            label=f"RNN, N_task={n}: Adam decoder median, IQR",
        )
        ls = [np.median(r.result["ood_r2_least_squares"]) for r in rs]
        ax1.plot(xs, ls, "x", color=color, label=f"RNN, N_task={n}: least squares (median)")
        ideal = [np.median(r.result["ideal_ood_r2_least_squares"]) for r in rs]
        ax1.plot(xs, ideal, "s", mfc="none", color=color, label=f"ideal µ(t), N_task={n}")
        ax2.plot(
            xs, [r.result["angle_deviation_adam"] for r in rs], "o:", color=color, label=f"RNN {n}"
        )
        ax2.plot(
            xs,
            [r.result["angle_deviation_predicted"] for r in rs],
            "_",
            ms=14,
            color=color,
            label=f"EV-6 closed form, N_task={n}",
        )
    rs = sorted(records, key=lambda r: r.params[x])
    xs = np.array([r.params[x] for r in rs], dtype=float)
    ax1.plot(xs, [r.result["r2_eq7"] for r in rs], "k--", lw=1, label="Eq. 7: 1 − σ²/(t·Var)")
    if "r2_fig5a_formula" in rs[0].result:
        ax1.plot(
            xs,
            [r.result["r2_fig5a_formula"] for r in rs],
            "r:",
            lw=1,
            label="Fig5a.py: 1 − 0.48/(t + 1)",
        )
    ax1.set_xlabel(xlabel)
    ax1.set_ylabel("OOD r² (held-out quarter; clipped at −0.5)")
    ax1.set_ylim(-0.5, 1.02)
    ax1.legend(fontsize=6, loc="lower left")
    ax1.set_title(title, fontsize=9)
    ax2.axhline(0, color="k", lw=1)
    ax2.set_xlabel(xlabel)
    ax2.set_ylabel("mean |angle − 90°| between decoded axes (deg)")
    ax2.legend(fontsize=6)
    ax2.set_title("decoded-axis angles (Adam decoders)", fontsize=9)


def sweep_point_cost(params: Any) -> mc.Cost:
    """One RNN of :data:`ps.SWEEP_BATCHES` batches, its pool's states, the decoders' steps
    (4 quadrants x fits x the authors' decoder batches)."""
    n = int(params["n_tasks"])
    return mc.trained_network_point_cost(
        "rnn",
        int(params.get("D", 2)),
        n,
        int(params.get("t", 20)),
        int(params.get("batches", ps.SWEEP_BATCHES)),
        pool=ps.SWEEP_POOL,
        decoder_steps=4 * ps.SWEEP_FITS * ps.decoder_batches(n),
    )
