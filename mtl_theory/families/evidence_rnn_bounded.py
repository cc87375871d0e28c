"""The ``evidence-rnn-bounded`` phase diagram: trained-RNN OOD r² on the authors' bounded
accumulator and its unbounded control (reduced budget).

Computation: :func:`mtl_theory.proofs.evidence_sweeps.bounded_compute` at ``SWEEP_*``; the
description is generated from them, its budget text and the per-point cost are shared with the
other sweeps (:mod:`mtl_theory.families.evidence_rnn_sweep`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mtl_theory.families.evidence_rnn_sweep import BUDGET_TEXT, sweep_point_cost
from mtl_theory.proofs import evidence_sweeps as ps
from mtl_theory.registry import PhaseDiagram


def bounded_render(records: Sequence[Any], fig: Any) -> None:
    ax = fig.add_subplot(1, 1, 1)
    marks = (
        ("ood_r2_least_squares", "x", "C1", -0.1, "RNN, least squares (last stimulus step)"),
        (
            "ood_r2_least_squares_decision_step",
            "+",
            "C2",
            0.0,
            "RNN, least squares (decision step)",
        ),
        ("output_route_ood_r2_least_squares", "^", "C3", 0.1, "optimal outputs → x* (affine)"),
        ("ideal_ood_r2_least_squares", "s", "k", 0.2, "ideal µ(t) (Eq. 7)"),
    )
    for i, r in enumerate(records):
        q = r.result["ood_r2_adam_percentiles"]
        ax.errorbar(
            i - 0.2,
            q[1],
            yerr=[[q[1] - q[0]], [q[2] - q[1]]],
            fmt="o",
            color="C0",
            capsize=4,
            label="RNN, Adam decoder (last stimulus step): median, IQR" if i == 0 else None,
        )
        for key, marker, color, dx, name in marks:
            v = r.result[key]
            ax.plot(
                [i + dx] * len(v),
                v,
                marker,
                color=color,
                mfc="none" if marker == "s" else None,
                label=name if i == 0 else None,
            )
    ax.axhline(records[0].result["r2_eq7"], color="k", ls="--", lw=1, label="Eq. 7, t samples")
    ax.axhline(
        records[0].result["r2_eq7_lagged"],
        color="C0",
        ls=":",
        lw=1,
        label="EV-3 analog, unbounded: Eq. 7 at t − 1",
    )
    ax.set_xticks(range(len(records)))
    ax.set_xticklabels(
        [
            f"N_task={r.params['n_tasks']}, "
            + (
                f"bound 5\n≥2 unabsorbed: {r.result['unabsorbed_pairs_fraction']:.0%}"
                "\n(theory: n/a)"
                if r.params["bounded"]
                else "unbounded\n(control)"
            )
            + f"\nMSE {r.result['eval_mse']:.2g} / {r.result['baseline_mse']:.2g}"
            for r in records
        ],
        fontsize=7,
    )
    ax.set_ylim(-0.5, 1.02)
    ax.set_ylabel("OOD r² (held-out quadrant; clipped at −0.5)")
    ax.set_title(
        f"Bounded accumulator, σ = 0.2, t = 20; {ps.SWEEP_BATCHES} training batches (REDUCED)",
        fontsize=9,
    )
    ax.legend(fontsize=6, loc="lower left")


DIAGRAM = PhaseDiagram(
    name="evidence-rnn-bounded",
    theory="evidence",
    title="Trained-RNN OOD r² on the bounded accumulator (LinearClassificationBound)",
    description=(
        "Measured: OOD r² (held-out quadrant) of RNNs trained on the authors' bounded "
        "accumulator (`code`: per-step targets = running sums of x₂ − αₖx₁ absorbed at ±5, "
        "one step behind the input, truncated to integers by neurogym's int64 ground truth, "
        "0 at fixation and decision; no fixation channel; 5·tanh head, MSE on every step) and "
        "on its unbounded real-valued control (linear head). Predicted (`derived`): for the "
        "control the optimal outputs are (t − 1) C µ(t − 1), so µ(t − 1) is affine in the "
        "state (EV-3's conclusion) and affine decoding reaches Eq. 7 at t − 1 samples; for "
        "the bounded task the outputs are path-dependent staircases, not functions of µ, so "
        "no affine extraction is predicted (measured only); the fraction of trials with ≥ 2 "
        "unabsorbed tasks (whose exact sums the state must carry, and which determine µ) is "
        f"reported. {BUDGET_TEXT}."
    ),
    points=ps.bounded_points,
    compute=ps.bounded_compute,
    render=bounded_render,
    cost=sweep_point_cost,  # the same RNN and budget; an MSE head instead of the BCE one
)
