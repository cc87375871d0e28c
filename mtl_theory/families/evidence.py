"""The EVIDENCE family: spec keys, setup building, and the registry entry (thin glue)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mtl_theory import cost as mc
from mtl_theory.families import evidence_arch_diagram
from mtl_theory.families.evidence_sweep_diagrams import SWEEP_DIAGRAMS
from mtl_theory.numerics import evidence_arch as na
from mtl_theory.numerics import evidence_protocol as npr
from mtl_theory.numerics.precision import DTYPES
from mtl_theory.plotting import grid_values, heatmap
from mtl_theory.proofs import evidence as pe
from mtl_theory.registry import Family, PhaseDiagram, SuiteCase
from mtl_theory.spec import (
    Choice,
    Integer,
    Real,
    RealList,
    RealMatrix,
    Schema,
    SpecError,
    converts_setup_errors,
)
from mtl_theory.theory import evidence as te

SCHEMA = Schema(
    family="evidence",
    fields={
        "D": Integer(
            default=2,
            minimum=1,
            maximum=te.MAX_D,
            help=f"latent dimension (<= {te.MAX_D}: held-out orthant indices < 2^D are int64)",
        ),
        "n_tasks": Integer(default=None, minimum=1, maximum=2000, help="number of tasks"),
        "boundaries": Choice(
            default=None,
            options=("even", "random", "explicit"),
            help="even central lines (D = 2), random unit normals, or explicit normals",
        ),
        "normals": RealMatrix(default=None, help="task normals c_i, N_task rows of D numbers"),
        "offsets": RealList(default=None, help="task offsets d_i (default 0)"),
        "sigma": Real(default=0.2, minimum=0.0, maximum=100.0, help="noise sd per sample"),
        "t": Integer(default=20, minimum=1, maximum=100000, help="evidence samples"),
        "network": Choice(
            default="none",
            options=("none", "filter", *na.TRAINED_NETWORKS),
            help="trained by --verify: none, filter (integrator + fitted readouts), rnn (BPTT), "
            "or the other architectures of Fig. 3b/3c (numpy, hand-written gradients): "
            "rnn-nonleaky, lstm (64 units), transformer (one-layer GPT-2, 8 heads, "
            "embedding 64); the rnn_*, protocol and decoder_* keys apply to all four trained "
            "networks",
        ),
        "seed": Integer(default=0, minimum=0, help="seed of random boundaries"),
        "n_trials": Integer(
            default=4000, minimum=200, maximum=1_000_000, help="Monte-Carlo trials of the simulator"
        ),
        "rnn_batches": Integer(
            default=3000,
            minimum=1,
            maximum=1_000_000,
            help="training batches of 16 of every trained network (rnn, rnn-nonleaky, lstm, "
            "transformer; paper: 100000, 20000 for the transformer)",
        ),
        "rnn_loss": Choice(
            default=None,
            options=te.RNN_LOSSES,
            help="RNN training loss: all-steps (the authors' train.py, CE_loss = True: BCE on "
            "every step, target 0.5 before the decision step; default) or decision-step "
            "(their pen_end = True)",
        ),
        "protocol": Choice(
            default=None,
            options=te.PROTOCOLS,
            help="OOD protocol heading the RNN report: authors-published (generalize.py as "
            "published, quadrant bug included; D = 2 only), authors-fixed (a genuinely held-out "
            "quadrant; default; for D = 3..10 a held-out quarter, the signs of the last two "
            "coordinates fixed, as generalize.py's history with split = 4) or least-squares "
            "(ours); all are measured",
        ),
        "rnn_networks": Integer(
            default=None,
            minimum=1,
            maximum=100,
            help="independently trained RNNs (default 2; the authors' 5); network k trains with "
            "seed --seed + 1 + k, so checks whose --seed differ by >= rnn_networks share none",
        ),
        "decoder_fits": Integer(
            default=None,
            minimum=1,
            maximum=100,
            help="decoder fits per network and held-out quadrant (default and the authors' 5)",
        ),
        "decoder_batches": Integer(
            default=None,
            minimum=100,
            maximum=1_000_000,
            help="Adam decoder batches of 16 (default: the authors' 3000/3000/2000/1000/1000 "
            "for N_task = 2/3/6/12/24; required for other N_task)",
        ),
        "noise": Choice(
            default="isotropic",
            options=te.NOISE_KINDS,
            help="evidence noise: isotropic N(0, sigma^2 I); anisotropic sd sigma*noise_scales; "
            "autocorrelated AR(1) in time (noise_rho); correlated coordinates (noise_rho); "
            "networks run with isotropic noise only",
        ),
        "noise_scales": RealList(
            default=None,
            minimum=0.0,
            help="anisotropic noise: D positive multipliers of sigma, one per coordinate",
        ),
        "noise_rho": Real(
            default=0.0,
            minimum=-0.99,
            maximum=0.99,
            help="autocorrelated: AR(1) coefficient between successive samples; correlated: "
            "correlation between coordinates (> -1/(D-1))",
        ),
    },
)


def _noise_keys(spec: Mapping[str, Any]) -> tuple[str, tuple[float, ...] | None, float]:
    """The noise family and its parameters (their conditions are the setup's invariants)."""
    kind, scales, rho = spec["noise"], spec["noise_scales"], spec["noise_rho"]
    return kind, (tuple(float(v) for v in scales) if scales is not None else None), float(rho)


@converts_setup_errors
def build(spec: Mapping[str, Any]) -> te.EvidenceSetup:
    """Cross-key checks; every problem names its key."""
    D = spec["D"]
    normals = spec["normals"]
    kind = spec["boundaries"] or ("explicit" if normals is not None else "even")
    if normals is not None and kind != "explicit":
        raise SpecError("boundaries", "'explicit' (or nothing) when normals are given", kind)
    if kind == "explicit":
        if normals is None:
            raise SpecError("normals", "a table of N_task rows of D numbers", "nothing")
        C = np.asarray(normals, dtype=float)
        if C.shape[1] != D:
            raise SpecError("normals", f"rows of D = {D} numbers", f"rows of {C.shape[1]}")
        zero = np.flatnonzero(np.max(np.abs(C), axis=1) == 0)
        if zero.size:
            raise SpecError(
                "normals", "non-zero rows (a task needs a direction)", f"row {int(zero[0])} is zero"
            )
        if spec["n_tasks"] is not None and spec["n_tasks"] != C.shape[0]:
            raise SpecError("n_tasks", f"the number of normals ({C.shape[0]})", spec["n_tasks"])
    else:
        n = spec["n_tasks"]
        if n is None:
            raise SpecError("n_tasks", "an integer >= 1 with boundaries = " + repr(kind), "nothing")
        if kind == "even":
            if D != 2:
                raise SpecError("D", "2 with boundaries = 'even' (lines in the plane)", D)
            C = te.even_normals(n)
        else:
            C = te.random_normals(n, D, spec["seed"])
    noise, noise_scales, noise_rho = _noise_keys(spec)
    offsets = spec["offsets"]
    if offsets is None:
        d = np.zeros(C.shape[0])
    else:
        d = np.asarray(offsets, dtype=float)
        if d.size != C.shape[0]:
            raise SpecError("offsets", f"{C.shape[0]} numbers (one per task)", list(offsets))
    if kind == "explicit":
        C, d = unit_boundaries(C, d)
        if not np.all(np.abs(d) <= MAX_UNIT_OFFSET):
            raise SpecError(
                "offsets",
                f"|d_i| / ‖c_i‖ <= {MAX_UNIT_OFFSET:g} (a boundary within float range)",
                list(offsets) if offsets is not None else None,
            )
    rnn_keys = _rnn_keys(spec, D, C.shape[0])
    return te.EvidenceSetup(
        normals=tuple(tuple(float(v) for v in row) for row in C),
        offsets=tuple(float(v) for v in d),
        sigma=spec["sigma"],
        t=spec["t"],
        boundaries=kind,
        network=spec["network"],
        n_trials=spec["n_trials"],
        seed=spec["seed"],
        rnn_batches=spec["rnn_batches"],
        noise=noise,
        noise_scales=noise_scales,
        noise_rho=noise_rho,
        **rnn_keys,
    )


def unit_boundaries(C: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each task's (c_i, d_i) divided by ‖c_i‖: the same boundary c_iᵀx + d_i = 0, unit normal.

    Every EVIDENCE prediction depends on c_i/‖c_i‖ and d_i/‖c_i‖ only (THEORY.md §2:
    N_c^-1 C), so this changes no prediction; it keeps the arithmetic in range for normals of
    any scale (1e±200 squared leaves float64). Each row is first scaled by the power of two
    nearest its largest entry (exact: no rounding), so its norm is computed without overflow
    or underflow.
    """
    _, exponent = np.frexp(np.max(np.abs(C), axis=1))
    scaled = np.ldexp(C, -exponent[:, None])
    with np.errstate(over="ignore"):  # an offset beyond range is refused by the caller
        d_scaled = np.ldexp(d, -exponent)
    norm = np.linalg.norm(scaled, axis=1, keepdims=True)
    return scaled / norm, d_scaled / norm[:, 0]


#: Largest offset of a unit-normal boundary: its squared distance (and the evidence around
#: it) must stay in float64 range.
MAX_UNIT_OFFSET = 1e150

UNIT_NORMALS_NOTE = (
    "Explicit normals are used as unit normals: each task's (c_i, d_i) is divided by ‖c_i‖, "
    "which leaves its boundary c_iᵀx + d_i = 0 and every prediction unchanged (they depend on "
    "c_i/‖c_i‖ and d_i/‖c_i‖ only) and keeps normals of any scale in float range."
)


def check(setup: te.EvidenceSetup, options: Any) -> Any:
    """:func:`mtl_theory.proofs.evidence.check`, with the note on normalized normals."""
    result = pe.check(setup, options)
    if setup.boundaries != "explicit":
        return result
    return dataclasses.replace(result, notes=(*result.notes, UNIT_NORMALS_NOTE))


#: Latent dimensions of the trained-network route: the paper's D sweep (Fig. 5b/S12, ``code``:
#: n_dim = 2..10). For D > 2 the protocols hold out quarters (numerics.evidence_protocol).
TRAINED_D_RANGE = (2, 10)
#: What a key of the trained-network route means without a trained network: an error.
RNN_ONLY_KEYS = ("rnn_loss", "protocol", "rnn_networks", "decoder_fits", "decoder_batches")


def _rnn_keys(spec: Mapping[str, Any], D: int, n_tasks: int) -> dict[str, Any]:
    """Validate the trained networks' keys and fill their defaults (each problem names its key).

    They apply to every network of ``na.TRAINED_NETWORKS`` (the RNN and the architectures).
    """
    network = spec["network"]
    if network not in na.TRAINED_NETWORKS:
        for key in RNN_ONLY_KEYS:
            if spec[key] is not None:
                raise SpecError(
                    key, f"nothing unless network is one of {na.TRAINED_NETWORKS}", spec[key]
                )
        return {}
    protocol = spec["protocol"] or "authors-fixed"
    if not TRAINED_D_RANGE[0] <= D <= TRAINED_D_RANGE[1]:
        raise SpecError(
            "D",
            f"an integer in {TRAINED_D_RANGE[0]}..{TRAINED_D_RANGE[1]} with network = "
            f"{network!r} (a held-out quadrant needs D >= 2; D > {TRAINED_D_RANGE[1]} is beyond "
            "the paper's D sweep and untested)",
            D,
        )
    if D > 2 and protocol == "authors-published":
        raise SpecError(
            "protocol",
            "'authors-fixed' or 'least-squares' with D > 2 (the published generalize.py is 2-D; "
            "for D > 2 the held-out region is the quarter of its history's split = 4)",
            protocol,
        )
    batches = spec["decoder_batches"]
    if batches is None:
        if n_tasks not in npr.AUTHORS_DECODER_BATCHES:
            raise SpecError(
                "decoder_batches",
                "an integer >= 100 (generalize.py gives counts only for N_task in "
                f"{sorted(npr.AUTHORS_DECODER_BATCHES)}, here N_task = {n_tasks})",
                "nothing",
            )
        batches = npr.AUTHORS_DECODER_BATCHES[n_tasks]
    try:
        npr.test_steps(batches)
    except ValueError:
        raise SpecError(
            "decoder_batches", "a count with an update at the 99 % logging step", batches
        ) from None
    return {
        "rnn_loss": spec["rnn_loss"] or "all-steps",
        "protocol": protocol,
        "rnn_networks": spec["rnn_networks"] or 2,
        "decoder_fits": spec["decoder_fits"] or npr.AUTHORS_FITS,
        "decoder_batches": batches,
    }


#: Five affine boundaries in general position in D = 3 (with offsets), shared by two cases.
AFFINE_D3_BOUNDARIES = {
    "normals": [
        [1, 0.2, -0.3],
        [0.1, 1, 0.4],
        [-0.5, 0.3, 1],
        [0.7, -0.8, 0.2],
        [0.3, 0.6, -0.9],
    ],
    "offsets": [0.1, -0.2, 0.05, 0.15, -0.1],
}

SUITE = (
    SuiteCase(
        "noise-autocorrelated",
        {
            "theory": "evidence",
            "D": 2,
            "n_tasks": 6,
            "boundaries": "even",
            "sigma": 0.2,
            "t": 20,
            "noise": "autocorrelated",
            "noise_rho": 0.5,
        },
        quick=True,
        expect_applies=True,
    ),
    SuiteCase(
        "noise-anisotropic-correlated-D3",
        {
            "theory": "evidence",
            "D": 3,
            "n_tasks": 8,
            "boundaries": "random",
            "seed": 2,
            "sigma": 0.3,
            "t": 10,
            "noise": "anisotropic",
            "noise_scales": [0.5, 1.0, 2.0],
        },
        quick=False,
        expect_applies=True,
    ),
    SuiteCase(
        "paper-main-filter",
        {
            "theory": "evidence",
            "D": 2,
            "n_tasks": 6,
            "boundaries": "even",
            "sigma": 0.2,
            "t": 20,
            "network": "filter",
        },
        quick=True,
        cost_seconds=2.0,
        expect_applies=True,
    ),
    SuiteCase(
        "rank-deficient",
        {"theory": "evidence", "D": 2, "n_tasks": 1, "boundaries": "even", "sigma": 0.2, "t": 20},
        quick=True,
        expect_applies=False,
    ),
    SuiteCase(
        "zero-noise-cells",
        {"theory": "evidence", "D": 2, "n_tasks": 6, "boundaries": "even", "sigma": 0.0, "t": 20},
        quick=True,
        expect_applies=False,
    ),
    SuiteCase(
        "random-D3-affine-zero-noise",
        {
            "theory": "evidence",
            "D": 3,
            **AFFINE_D3_BOUNDARIES,
            "sigma": 0.0,
            "t": 10,
        },
        quick=True,
        expect_applies=False,
    ),
    SuiteCase(
        # the same affine boundaries with noise: the only quick case in which EV-3's
        # extraction runs with non-zero offsets d (the central cases have d = 0)
        "random-D3-affine",
        {
            "theory": "evidence",
            "D": 3,
            **AFFINE_D3_BOUNDARIES,
            "sigma": 0.3,
            "t": 10,
        },
        quick=True,
        expect_applies=True,
    ),
    SuiteCase(
        "random-D5",
        {
            "theory": "evidence",
            "D": 5,
            "n_tasks": 20,
            "boundaries": "random",
            "seed": 3,
            "sigma": 0.3,
            "t": 10,
            "network": "filter",
        },
        quick=False,
        cost_seconds=6.0,
        expect_applies=True,
    ),
    SuiteCase(
        "paper-main-24-tasks",
        {
            "theory": "evidence",
            "D": 2,
            "n_tasks": 24,
            "boundaries": "even",
            "sigma": 0.2,
            "t": 20,
            "network": "filter",
        },
        quick=False,
        cost_seconds=3.0,
        expect_applies=True,
    ),
    SuiteCase(
        "paper-main-rnn",
        {
            "theory": "evidence",
            "D": 2,
            "n_tasks": 6,
            "boundaries": "even",
            "sigma": 0.2,
            "t": 20,
            "network": "rnn",
            "rnn_batches": 3000,
        },
        quick=False,
        cost_seconds=80.0,
        expect_applies=True,
    ),
)

# --------------------------------------------------------------------------- renderers
# (drawing lives at the front door: proofs/ holds the computations, DESIGN.md layering)


def tasks_noise_render(records: Sequence[Any], fig: Any) -> None:
    ax = fig.add_subplot(1, 1, 1)
    xs, ys, z = grid_values(records, "n_tasks", "sigma", "ood_r2")
    heatmap(
        ax,
        xs,
        ys,
        np.clip(z, -0.5, 1.0),
        xlabel="N_task (even central boundaries)",
        ylabel="sigma (per sample)",
        colorbar_label="OOD r² of ideal route (D=2, t=20)",
        vmin=-0.5,
        vmax=1.0,
    )
    nn = np.linspace(xs[0] - 0.5, xs[-1] + 0.5, 2)
    for level in (0.9, 0.95, 0.98):
        s_level = math.sqrt((1 - level) * 20 * te.BOX_VARIANCE)
        ax.plot(nn, [s_level, s_level], "w--", lw=1)
        ax.text(
            xs[-1], s_level, f" Eq.7 r²={level}", color="w", va="bottom", ha="right", fontsize=8
        )
    ax.axvline(
        math.sqrt(2), color="r", lw=1.5, label="rank boundary: N_task >= D = 2 needed (EV-2)"
    )
    ok = xs >= 2
    live = ys > 0  # sigma = 0 is the cell-indicator regime, not Eq. 7's
    if np.count_nonzero(ok) >= 2 and np.count_nonzero(live) >= 2:
        cs = ax.contour(
            xs[ok],
            ys[live],
            z[np.ix_(live, ok)],
            levels=[0.9, 0.95, 0.98],
            colors="k",
            linewidths=0.8,
        )
        ax.clabel(cs, fontsize=7, fmt="measured %.2f")
    ax.set_xscale("log")
    ax.set_xticks(xs)
    ax.set_xticklabels([str(int(v)) for v in xs])
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("EVIDENCE: OOD r² from optimal outputs; Eq. 7 contours (dashed)")


def tasks_dim_render(records: Sequence[Any], fig: Any) -> None:
    ax1 = fig.add_subplot(1, 2, 1)
    ax2 = fig.add_subplot(1, 2, 2)
    Ds = sorted({r.params["D"] for r in records})
    colors = ["C0", "C1", "C2", "C3", "C4"]
    for D, col in zip(Ds, colors, strict=False):
        rs = sorted((r for r in records if r.params["D"] == D), key=lambda r: r.params["n_tasks"])
        ns = np.array([r.params["n_tasks"] for r in rs])
        med = np.array([r.result["cond_median"] for r in rs])
        q1 = np.array([r.result["cond_q25"] for r in rs])
        q3 = np.array([r.result["cond_q75"] for r in rs])
        ax1.plot(ns, med, "o-", color=col, label=f"D={D} measured median")
        ax1.fill_between(ns, q1, q3, color=col, alpha=0.2)
        nn = np.geomspace(D * 1.2, 500, 100)
        ratio = np.sqrt(D / nn)  # Marchenko-Pastur singular-value edges 1 +- sqrt(D/N)
        ax1.plot(nn, (1 + ratio) / (1 - ratio), "--", color=col, lw=1)
        ax2.plot(ns, [r.result["angle_dev_mean"] for r in rs], "o-", color=col, label=f"D={D}")
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("N_task")
    ax1.set_ylabel("cond(C), random unit normals")
    ax1.set_title("cond(C): median, IQR band;\ndashed: Marchenko–Pastur", fontsize=10)
    ax1.legend(fontsize=7)
    ax2.axhline(0, color="k", lw=1, label="orthogonal (C^T C ∝ I)")
    ax2.set_xscale("log")
    ax2.set_xlabel("N_task")
    ax2.set_ylabel("mean |angle − 90°| between decoded axes (deg)")
    ax2.legend(fontsize=7)


def time_render(records: Sequence[Any], fig: Any) -> None:
    ax = fig.add_subplot(1, 1, 1)
    rs = sorted(records, key=lambda r: r.params["t"])
    ts = np.array([r.params["t"] for r in rs], dtype=float)
    tt = np.geomspace(1, ts.max(), 200)
    ax.plot(tt, [te.r2_eq7(0.2, v) for v in tt], "k-", label="Eq. 7: 1 − σ²/(t·Var)")
    ax.plot(tt, [te.r2_lmmse(0.2, v) for v in tt], "k:", label="shrinkage Var/(Var+σ²/t)")
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
    ax.set_title("EVIDENCE: r² vs aggregation time (σ=0.2, D=2, N_task=6)")
    ax.legend(fontsize=8, loc="lower right")


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


#: Per-point CPU seconds of the ideal-route diagrams, rounded up from
#: benchmarks/bench_cost.py --diagrams (0.02 / 0.02 / 0.06 s measured on their smallest
#: points): the order of magnitude is all the planner needs for diagrams of a few seconds.
IDEAL_POINT_SECONDS = {
    "evidence-tasks-noise": 0.05,
    "evidence-tasks-dim": 0.05,
    "evidence-time": 0.1,
}


def ideal_point_cost(name: str):
    seconds = IDEAL_POINT_SECONDS[name]

    def cost(params: Mapping[str, Any]) -> mc.Cost:
        return mc.measured_point_cost(seconds, 2**26, f"{name} point (measured)")

    return cost


DIAGRAMS = (
    PhaseDiagram(
        name="evidence-tasks-noise",
        theory="evidence",
        title="OOD r² of the ideal route over N_task × σ (D = 2, t = 20)",
        description=(
            "Measured: OOD r² (held-out quadrant, Var = 1/12) of a linear decoder reading the "
            "ideal observer's outputs in probit space, even central boundaries, 4000 trials "
            "per point; at σ = 0 the 0/1 outputs. Predicted: Eq. 7 contours (EV-5, `code`) "
            "and the rank boundary N_task = D (EV-2/EV-4, `reconstructed`)."
        ),
        points=pe.tasks_noise_points,
        compute=pe.tasks_noise_compute,
        render=tasks_noise_render,
        cost=ideal_point_cost("evidence-tasks-noise"),
    ),
    PhaseDiagram(
        name="evidence-tasks-dim",
        theory="evidence",
        title="cond(C) and decoded-axis angles for random normals over N_task × D",
        description=(
            "Measured: median and IQR of cond(C) and mean |angle − 90°| of decoded axes over "
            "400 draws of random unit normals. Predicted: Marchenko–Pastur asymptote "
            "(1 + √(D/N))/(1 − √(D/N)) (EV-6, `reconstructed`)."
        ),
        points=pe.tasks_dim_points,
        compute=pe.tasks_dim_compute,
        render=tasks_dim_render,
        cost=ideal_point_cost("evidence-tasks-dim"),
    ),
    PhaseDiagram(
        name="evidence-time",
        theory="evidence",
        title="r² vs aggregation time t (σ = 0.2, D = 2, N_task = 6)",
        description=(
            "Measured: r² of µ(t) (4000 trials, ±2 SE), OOD r² of the ideal route and of the "
            "exactly-trained filter network (probit readouts by maximum likelihood). "
            "Predicted: Eq. 7 (EV-5, `code`) and the shrinkage bound (`derived`)."
        ),
        points=pe.time_points,
        compute=pe.time_compute,
        render=time_render,
        cost=ideal_point_cost("evidence-time"),
    ),
    PhaseDiagram(
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
    ),
    evidence_arch_diagram.DIAGRAM,
)

FAMILY = Family(
    name="evidence",
    title="EVIDENCE — optimal multi-task evidence aggregation gives a disentangled latent",
    schema=SCHEMA,
    build=build,
    setup_type=te.EvidenceSetup,
    check=check,
    statements=te.STATEMENTS,
    derivations=pe.DERIVATIONS,
    suite=SUITE,
    diagrams=DIAGRAMS + SWEEP_DIAGRAMS,
    methods=(),
)
