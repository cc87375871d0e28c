"""The ``evidence-time`` phase diagram: r² against the aggregation time t.

Computation: :func:`mtl_theory.proofs.evidence.time_compute` at ``TIME_*``; the title and
description are generated from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mtl_theory import cost as mc
from mtl_theory.proofs import evidence as pe
from mtl_theory.registry import PhaseDiagram
from mtl_theory.theory import evidence as te


def time_render(records: Sequence[Any], fig: Any) -> None:
    ax = fig.add_subplot(1, 1, 1)
    rs = sorted(records, key=lambda r: r.params["t"])
    ts = np.array([r.params["t"] for r in rs], dtype=float)
    tt = np.geomspace(1, ts.max(), 200)
    ax.plot(tt, [te.r2_eq7(pe.TIME_SIGMA, v) for v in tt], "k-", label="Eq. 7: 1 − σ²/(t·Var)")
    ax.plot(tt, [te.r2_lmmse(pe.TIME_SIGMA, v) for v in tt], "k:", label="shrinkage Var/(Var+σ²/t)")
    ax.errorbar(
        ts,
        [r.result["r2_mu"] for r in rs],
        yerr=[2 * r.result["r2_mu_se"] for r in rs],
        fmt="o",
        label="simulated r² of µ(t) (±2 SE)",
    )
    ax.plot(
        ts,
        [r.result["ood_r2_ideal"] for r in rs],
        "s",
        mfc="none",
        label="ideal route, OOD (held-out quadrant)",
    )
    ax.plot(
        ts,
        [r.result["ood_r2_filter"] for r in rs],
        "x",
        ms=8,
        label="filter network (probit readouts), OOD",
    )
    ax.set_xscale("log")
    ax.set_ylim(0.3, 1.02)
    ax.set_xlabel("t (evidence samples)")
    ax.set_ylabel("r²")
    ax.set_title(
        f"EVIDENCE: r² vs aggregation time (σ={pe.TIME_SIGMA:g}, D=2, N_task={pe.TIME_N_TASKS})"
    )
    ax.legend(fontsize=8, loc="lower right")


#: CPU seconds of one point, rounded up from benchmarks/bench_cost.py --diagrams (0.06 s
#: measured on the smallest point): the order of magnitude is all the planner needs.
POINT_SECONDS = 0.1


def point_cost(params: Mapping[str, Any]) -> mc.Cost:
    return mc.measured_point_cost(POINT_SECONDS, 2**26, "evidence-time point (measured)")


DIAGRAM = PhaseDiagram(
    name="evidence-time",
    theory="evidence",
    title=(f"r² vs aggregation time t (σ = {pe.TIME_SIGMA:g}, D = 2, N_task = {pe.TIME_N_TASKS})"),
    description=(
        f"Measured: r² of µ(t) ({pe.TIME_TRIALS} trials, ±2 SE), OOD r² of the ideal route and "
        "of the exactly-trained filter network (probit readouts by maximum likelihood). "
        "Predicted: Eq. 7 (EV-5, `code`) and the shrinkage bound (`derived`)."
    ),
    points=pe.time_points,
    compute=pe.time_compute,
    render=time_render,
    cost=point_cost,
)
