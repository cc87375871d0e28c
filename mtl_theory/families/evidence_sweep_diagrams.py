"""EVIDENCE phase diagrams of trained RNNs: D, sigma and time sweeps, attractor analysis.

Thin glue: the per-point computations are in :mod:`mtl_theory.proofs.evidence_sweeps`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mtl_theory import cost as mc
from mtl_theory.numerics.precision import DTYPES
from mtl_theory.proofs import evidence_sweeps as ps
from mtl_theory.registry import PhaseDiagram

_BUDGET = (
    f"REDUCED budget: {ps.SWEEP_BATCHES} training batches of 16 per network (paper: 10^5), "
    f"one network per point, a pool of {ps.SWEEP_POOL} trials, {ps.SWEEP_FITS} Adam decoder "
    "fits per held-out quarter (paper: fresh trials, 5 fits x 5 networks)"
)
_PAPER = (
    f"`phase NAME --paper-budget` trains {ps.PAPER_BATCHES} batches per network (the other "
    "counts unchanged) into NAME-paper.png/.csv"
)


def _sweep_render(records: Sequence[Any], fig: Any, x: str, xlabel: str, title: str) -> None:
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


def dim_render(records: Sequence[Any], fig: Any) -> None:
    _sweep_render(
        records, fig, "D", "latent dimension D", "trained RNN vs D (σ=0.2, t=20, random normals)"
    )


def sigma_render(records: Sequence[Any], fig: Any) -> None:
    _sweep_render(records, fig, "sigma", "training = test noise σ", "trained RNN vs σ (D=2, t=20)")


def time_render(records: Sequence[Any], fig: Any) -> None:
    _sweep_render(records, fig, "t", "stimulus steps t (100 ms each)", "trained RNN vs t (D=2)")


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


SWEEP_DIAGRAMS = (
    PhaseDiagram(
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
    ),
    PhaseDiagram(
        name="evidence-rnn-dim",
        theory="evidence",
        title="Trained-RNN OOD r² and decoded-axis angles vs latent dimension D (Fig. 5b/S12)",
        description=(
            "Measured: OOD r² on a held-out quarter (the signs of the last two coordinates "
            "fixed: generalize.py's split = 4 for D > 2, `code`), Adam decoders as "
            "generalize.py and least squares; random unit normals (`code`). Predicted: Eq. 7 "
            "(EV-5, `code`) for the ideal route, reached when rank C = D (EV-2); EV-4 "
            "(`reconstructed`) predicts a collapse for N_task < D; decoded-axis angles of the "
            f"ideal route in closed form (EV-6, `reconstructed`). {_BUDGET}; {_PAPER}."
        ),
        points=ps.dim_points,
        compute=ps.dim_compute,
        dtypes=DTYPES,
        render=dim_render,
        cost=sweep_point_cost,
        paper_points=lambda: ps.paper_grid(ps.dim_points()),
    ),
    PhaseDiagram(
        name="evidence-rnn-sigma",
        theory="evidence",
        title="Trained-RNN OOD r² vs training noise σ (Fig. 5c)",
        description=(
            "Measured: OOD r² on a held-out quadrant (D = 2), networks trained and tested at σ "
            "∈ {0.1, 0.2, 0.3, 0.4, 0.6} (Fig5c.py, `code`). Predicted for the ideal route: "
            f"Eq. 7 = 1 − 12σ²/t (EV-5, `code`). {_BUDGET}; {_PAPER}."
        ),
        points=ps.sigma_points,
        compute=ps.sigma_compute,
        dtypes=DTYPES,
        render=sigma_render,
        cost=sweep_point_cost,
        paper_points=lambda: ps.paper_grid(ps.sigma_points()),
    ),
    PhaseDiagram(
        name="evidence-rnn-time",
        theory="evidence",
        title="Trained-RNN OOD r² vs trial duration t (Fig. 5a)",
        description=(
            "Measured: OOD r² on a held-out quadrant (D = 2, σ = 0.2, N_task = 6), trained and "
            "tested at t stimulus steps. Predicted: Eq. 7 with t samples, 1 − 0.48/t (EV-5): "
            "the toolkit's decision step carries no sample; Fig5a.py's 1 − 0.48/(t + 1) counts "
            "the decision step, right for DenoiseQuadsFreeRT whose decision step shows the "
            f"stimulus (`code`), drawn for reference. {_BUDGET}; {_PAPER}."
        ),
        points=ps.time_points,
        compute=ps.time_compute,
        dtypes=DTYPES,
        render=time_render,
        cost=sweep_point_cost,
        paper_points=lambda: ps.paper_grid(ps.time_points()),
    ),
)


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


GEOMETRY_DIAGRAM = PhaseDiagram(
    name="evidence-rnn-geometry",
    theory="evidence",
    title="Trained-RNN OOD r² on the authors' other task geometries (Fig. S1, S3b, hyperbolic)",
    description=(
        "Measured: OOD r² (held-out quadrant) of RNNs trained on even central lines "
        "(reference), Gaussian-copula correlated factors ρ = 0.7 (Fig. S3b, `code`), the "
        "quadratic encoder (Fig. S1, `code`) and hyperbolic boundaries "
        "(MultiplyClassificationFull, `code`). Predicted: the ideal route µ(t) at Eq. 7 for "
        "every geometry (EV-5); EV-2/EV-3 cover the affine ones; for hyperbolic boundaries "
        f"the theory predicts no affine extraction (measured only). {_BUDGET}."
    ),
    points=ps.geometry_points,
    compute=ps.geometry_compute,
    render=geometry_render,
    cost=sweep_point_cost,
)
SWEEP_DIAGRAMS = (*SWEEP_DIAGRAMS, GEOMETRY_DIAGRAM)


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


BOUNDED_DIAGRAM = PhaseDiagram(
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
        f"reported. {_BUDGET}."
    ),
    points=ps.bounded_points,
    compute=ps.bounded_compute,
    render=bounded_render,
    cost=sweep_point_cost,  # the same RNN and budget; an MSE head instead of the BCE one
)
SWEEP_DIAGRAMS = (*SWEEP_DIAGRAMS, BOUNDED_DIAGRAM)
