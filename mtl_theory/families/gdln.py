"""The GDLN family: gated deep linear networks and Make Haste Slowly (thin glue)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mtl_theory import cost as mc
from mtl_theory.families.gdln_authors_diagrams import DIAGRAMS as AUTHORS_DIAGRAMS
from mtl_theory.numerics.precision import DTYPES
from mtl_theory.plotting import grid_values, heatmap
from mtl_theory.proofs import gdln as proofs
from mtl_theory.registry import Family, PhaseDiagram, SuiteCase
from mtl_theory.spec import (
    Choice,
    DataMatrix,
    Integer,
    IntegerList,
    Real,
    RealList,
    RealMatrix,
    Schema,
    SpecError,
    converts_setup_errors,
)
from mtl_theory.theory import gdln as th
from mtl_theory.theory import gdln_reln

MODELS = ("linear", "deep-linear", "gated", "routing", "context")

SCHEMA = Schema(
    family="gdln",
    fields={
        "model": Choice(
            options=MODELS, help="which theorem: linear, deep, gated race, routing, context"
        ),
        "contexts": Integer(
            default=3, minimum=1, maximum=8, help="context model: number of contexts C"
        ),
        "structures": Choice(
            default="different",
            options=("different", "same"),
            help="context: a different Saxe-2019 structure per context, or the same hierarchy",
        ),
        "hidden": IntegerList(
            default=None,
            minimum=1,
            maximum=4096,
            min_length=1,
            max_length=4,
            help="hidden widths (context: [700] or [420, 420] as in the paper)",
        ),
        "lr": Real(
            default=1e-3,
            minimum=0.0,
            exclusive_minimum=True,
            help="learning rate eta of full-batch GD",
        ),
        "epochs": Integer(default=8000, minimum=1, maximum=200000, help="full-batch GD epochs"),
        "items": Integer(
            default=None,
            minimum=1,
            maximum=64,
            help="items of the hierarchy (power of 2; default 8; with inputs/targets, their "
            "number of rows)",
        ),
        "a0": Real(
            default=1e-3,
            minimum=0.0,
            exclusive_minimum=True,
            help="initial mode strength, below the model's smallest fixed point (linear, "
            "deep-linear: min s/d; gated: min S_pk/sum_j D_jp; routing: (min sigma)^(1/3)); "
            "unused by the context model",
        ),
        "input_variances": RealList(default=None, minimum=1e-12, help="linear: d_k per mode"),
        "n_seeds": Integer(
            default=1, minimum=1, maximum=32, help="context: seeds batched in one run"
        ),
        "init_std": Real(
            default=None,
            minimum=0.0,
            exclusive_minimum=True,
            help="context: weight init sd (default 0.005/N_h, the authors' code)",
        ),
        "strong_fraction": Real(
            default=0.1,
            minimum=0.0,
            maximum=1.0,
            exclusive_minimum=True,
            help="context: strong unit = output contribution >= this fraction of the largest",
        ),
        "reln": Choice(
            default="authors",
            options=th.RELN_CONSTRUCTIONS,
            help="context: ReLN construction; authors = the authors' script for that C "
            "(C = 3: common + single- + two-context modules, gdln.py; C = 4, 5: common + "
            "(C-1)-context modules, gdln4/5.py), authors-mixed = common + (C-1)-context "
            "modules, authors-all = common + single + (C-1)-context modules (split loss), "
            "relu-gates = gates read off the trained ReLU (this project's alternative)",
        ),
        "context_scale": Real(
            default=1.0,
            minimum=0.0,
            maximum=100.0,
            exclusive_minimum=True,
            help="context: value of the context one-hot inputs (authors: 1; "
            "diff_context_num's gen_data4 / gen_data5: 1.1 / 1.35)",
        ),
        "modules": Integer(default=3, minimum=2, maximum=8, help="routing: M"),
        "pairs": Integer(
            default=2, minimum=1, maximum=8, help="routing: K trained pairs per input"
        ),
        "race_gates": RealMatrix(default=None, help="gated: gates[path][condition] in {0, 1}"),
        "condition_scales": RealList(
            default=None, minimum=0.0, help="gated: target scale per condition"
        ),
        "inputs": DataMatrix(
            default=None,
            help="linear, deep-linear: your task's inputs instead of the one-hot hierarchy, one "
            "row per item (P rows × input units); a table, or a .npy/.csv file named relative "
            "to the spec file; with targets",
        ),
        "targets": DataMatrix(
            default=None,
            help="linear, deep-linear: your task's targets, one row per item (P rows × output "
            "units); a table or a .npy/.csv file; with inputs",
        ),
    },
)

_DEFAULT_HIDDEN = {
    "linear": (8,),
    "deep-linear": (8, 8),
    "gated": (8,),
    "routing": (8,),
    "context": (700,),
}


@converts_setup_errors
def build(spec: Mapping[str, Any]) -> th.GdlnSetup:
    """The model's setup from a validated spec.

    The setup types check their own invariants (a SetupError naming the key, converted by
    the spec layer); here only what is about the spec itself: defaults that depend on the
    model, the data tables' pairing (with the transpose hint) and the gate table's form.
    """
    model = spec["model"]
    user_data = _user_data(spec)
    if spec["input_variances"] is not None and model != "linear":
        raise SpecError(
            "input_variances", "only with model = 'linear'", list(spec["input_variances"])
        )
    hidden = tuple(spec["hidden"] or _DEFAULT_HIDDEN[model])
    common = {"items": spec["items"] or 8, "hidden": hidden, "lr": spec["lr"]}
    common["epochs"] = spec["epochs"]
    if model in ("linear", "deep-linear"):
        fields = common | {"a0": spec["a0"]}
        if user_data:
            fields |= {"inputs": spec["inputs"], "targets": spec["targets"]}
        if spec["input_variances"] is not None:
            fields["input_variances"] = tuple(spec["input_variances"])
        return th.gdln_setup(model, **fields)
    if model == "gated":
        gates = spec["race_gates"] or ((1, 1), (1, 0))
        if any(g not in (0.0, 1.0) for row in gates for g in row):
            raise SpecError(
                "race_gates", "a table of 0/1 gates (paths × conditions)", [list(r) for r in gates]
            )
        gates = tuple(tuple(int(g) for g in row) for row in gates)
        scales = spec["condition_scales"] or (1.0,) * len(gates[0])
        return th.GatedSetup(
            **common, a0=spec["a0"], race_gates=gates, condition_scales=tuple(scales)
        )
    if model == "routing":
        return th.RoutingNetworkSetup(
            **common, a0=spec["a0"], modules=spec["modules"], pairs=spec["pairs"]
        )
    std = spec["init_std"]
    if std is None:
        # authors' code: 0.005/N_h for one hidden layer, 0.0006 for the depth experiment
        std = 0.005 / hidden[0] if len(hidden) == 1 else 0.0006
    return th.ContextSetup(
        **common,
        contexts=spec["contexts"],
        structures=spec["structures"],
        n_seeds=spec["n_seeds"],
        init_std=std,
        strong_fraction=spec["strong_fraction"],
        reln=spec["reln"],
        context_scale=spec["context_scale"],
    )


def _user_data(spec: Mapping[str, Any]) -> bool:
    """Cross-key checks of ``inputs`` / ``targets``; whether they are given.

    Both tables hold one row per item, so their row counts must agree; when a transpose would
    make them agree the error says so (the commonest slip with data matrices).
    """
    inputs, targets = spec["inputs"], spec["targets"]
    if inputs is None and targets is None:
        return False
    for key, other, value in (("inputs", "targets", inputs), ("targets", "inputs", targets)):
        if value is None:
            raise SpecError(
                key, f"a table as well, since {other} is given", "nothing", verbatim=True
            )
    if spec["model"] not in ("linear", "deep-linear"):
        raise SpecError("inputs", "only with model = 'linear' or 'deep-linear'", spec["model"])
    for key in ("items", "input_variances"):
        if spec[key] is not None:
            raise SpecError(key, "nothing with inputs/targets (they define the task)", spec[key])
    P, n_out = len(targets), len(targets[0])
    n_in_rows, n_in_cols = len(inputs), len(inputs[0])
    if n_in_rows != P:
        hint = ""
        if n_in_cols == P:
            hint = "; transposed, inputs would fit"
        elif n_out == n_in_rows:
            hint = "; transposed, targets would fit"
        raise SpecError(
            "targets",
            f"{n_in_rows} rows, one per item as in inputs",
            f"{P} rows × {n_out} columns{hint}",
            verbatim=True,
        )
    return True


# expect_applies: every hypothesis of the case's theorem holds (verify fails otherwise)
SUITE = (
    SuiteCase(
        "gdln-linear-hierarchy",
        {"model": "linear", "epochs": 4000},
        quick=True,
        expect_applies=True,
    ),
    SuiteCase(
        "gdln-linear-nonwhite",
        {"model": "linear", "epochs": 3000, "input_variances": [1, 2, 0.5, 1, 1.5, 1, 3, 1]},
        quick=False,
        expect_applies=True,
    ),
    SuiteCase(
        "gdln-deep-linear",
        {"model": "deep-linear", "hidden": [8, 8], "epochs": 3000, "a0": 0.01},
        quick=True,
        expect_applies=True,
    ),
    SuiteCase(
        "gdln-gated-race",
        {"model": "gated", "epochs": 3000},
        quick=True,
        expect_applies=True,
    ),
    SuiteCase(
        "gdln-routing",
        {"model": "routing", "epochs": 3000, "lr": 2e-3, "a0": 0.1},
        quick=True,
        expect_applies=True,
    ),
    SuiteCase(
        "gdln-context-3-different",
        {"model": "context", "contexts": 3, "structures": "different", "epochs": 8000},
        quick=True,
        expect_applies=True,
    ),
    SuiteCase(
        "gdln-context-3-authors-five-inits",
        {
            "model": "context",
            "contexts": 3,
            "structures": "different",
            "hidden": [700],
            "epochs": 8000,
            "n_seeds": 5,
        },
        quick=False,
        expect_applies=True,
        pinned_finding=("strong units active in exactly one context",),
        finding_reason="pooled over the authors' own five inits (their seeds 68268, 98539, "
        "89256, 71530, 83066) the paper-size ReLU has 7 strong single-context units of 1368 "
        "(under every strength rule tried: 0.05, 0.1, 0.3, 0.5), so the strict 'no "
        "single-context unit' reading of the structured-mixed-selectivity claim is false; such "
        "units are rare (0.5 %)",
    ),
    SuiteCase(
        "gdln-context-5-same",
        {"model": "context", "contexts": 5, "structures": "same", "hidden": [300], "epochs": 8000},
        quick=False,
        expect_applies=True,
    ),
)


# --------------------------------------------------------------------------- diagram renderers


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


def context_loss_render(records, fig) -> None:
    ax = fig.subplots()
    t = np.array(records[0].result["t"])
    styles = {
        "relu": ("ReLU network", "k", "-"),
        "reln": ("ReLN (common + single- + two-context modules, gdln.py)", "C0", "-"),
        "modular": ("modular GDLN (common + one pathway per context)", "C3", "-"),
        "closed_form_code": ("authors' closed form (code; d/(C−1) not derived)", "C2", "--"),
    }
    for key, (label, color, ls) in styles.items():
        curves = np.array([r.result[key] for r in records])
        ax.plot(t, curves.mean(axis=0), color=color, ls=ls, label=f"{label}")
        if key != "closed_form_code" and len(records) > 1:
            ax.fill_between(t, curves.min(axis=0), curves.max(axis=0), color=color, alpha=0.15)
    counts = np.sum([r.result["counts"] for r in records], axis=0)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss ½Σ‖y − ŷ‖²")
    ax.set_title(
        f"3 contexts, different structures, {len(records)} seeds\nstrong units by number of "
        f"active contexts {dict(enumerate(counts.tolist()))} (predicted: none single-context)",
        fontsize=8,
    )
    ax.legend(fontsize=8)


def contexts_depth_render(records, fig) -> None:
    ax1, ax2 = fig.subplots(1, 2)
    xs, ys, z = grid_values(records, "contexts", "depth", "mixed_fraction")
    heatmap(
        ax1,
        xs,
        ys,
        z,
        xlabel="contexts C",
        ylabel="hidden layers",
        colorbar_label="fraction of strong units active in >1 but not all contexts",
        vmin=0,
        vmax=1,
    )
    xs, ys, g = grid_values(records, "contexts", "depth", "gap_final")
    heatmap(
        ax2,
        xs,
        ys,
        g,
        xlabel="contexts C",
        ylabel="hidden layers",
        colorbar_label="final loss: modular − ReLN",
        cmap="magma",
    )
    for rec in records:
        c, dp = rec.params["contexts"], rec.params["depth"]
        ax1.text(
            c,
            dp,
            f"1-ctx: {rec.result['single_context_units']}",
            ha="center",
            va="center",
            fontsize=7,
            color="w",
        )
        ax2.text(
            c, dp, f"{rec.result['gap_final']:.2g}", ha="center", va="center", fontsize=7, color="c"
        )
    for ax in (ax1, ax2):
        ax.set_yticks([1, 2])
        ax.set_xticks(range(2, 7))
    # predicted boundary (GDLN-9): single-context units = 0 in every cell, gap > 0: the
    # boundary gap = 0 is drawn where the measured map crosses it
    if np.nanmin(g) < 0 < np.nanmax(g):
        ax2.contour(xs, ys, g, levels=[0.0], colors="w", linestyles="--")
    ax2.set_title(
        "predicted: gap > 0, growing with C (GDLN-9)\n"
        "C = 2: ReLN ≡ modular, gap 0; dashed: measured gap = 0",
        fontsize=7,
    )
    ax1.set_title(
        "predicted for C ≥ 3: no single-context unit ('1-ctx: 0')\n"
        "at C = 2 a (C−1)-context unit is single-context",
        fontsize=7,
    )


def saxe_point_cost(params: Mapping[str, Any]) -> mc.Cost:
    """7000 epochs of the 8 -> 16 -> 15 linear net, interpreter-bound: 0.20 s measured for
    the GD route by benchmarks/bench_cost.py --diagrams (the flow: of the same order)."""
    return mc.measured_point_cost(0.2, 2**20, "7000 epochs, 8 -> 16 -> 15 (measured)")


def context_losses_point_cost(params: Mapping[str, Any]) -> mc.Cost:
    task = proofs.context_task_of(
        th.ContextSetup(hidden=(700,), contexts=3, structures="different")
    )
    n_in, batch = task.X.shape
    return mc.context_experiment_cost(n_in, batch, task.Y.shape[0], (700,), 3, 8000)


def contexts_depth_point_cost(params: Mapping[str, Any]) -> mc.Cost:
    C, depth = int(params["contexts"]), int(params["depth"])
    task = th.context_task(C, "same")
    n_in, batch = task.X.shape
    hidden = proofs.DEPTH_DIAGRAM_RUN[depth]["hidden"]
    return mc.context_experiment_cost(
        n_in, batch, task.Y.shape[0], hidden, C, proofs.DEPTH_DIAGRAM_EPOCHS
    )


def _diagrams():
    return (
        PhaseDiagram(
            "gdln-saxe",
            "gdln",
            "Saxe 2019 hierarchy: mode trajectories, closed form over simulation",
            "Two-layer linear net on the 8-item hierarchy (one-hot, η = 1e-3, a₀ = 1e-3, "
            "hidden 16, 7000 epochs): mode strengths uᵀW₂W₁v by GD and by the full-network flow "
            "(dots) over the closed form "
            "a(t) (lines, `paper`); dotted verticals: predicted half-learning times. Broad splits "
            "(larger s) are learned first.",
            proofs.saxe_points,
            proofs.saxe_compute,
            saxe_render,
            cost=saxe_point_cost,
        ),
        PhaseDiagram(
            "gdln-context-losses",
            "gdln",
            "Make Haste Slowly, 3 contexts: ReLU, ReLN, modular GDLN and closed-form losses",
            "Paper sizes (11 → 700 → 60, std 0.005/700, η = 1e-3, 8000 epochs, different "
            "structures), two seeds (band = range). ReLN and modular GDLN as in the authors' "
            "code (make-haste-slowly 3_context_diff/gdln.py, gdln_single.py): a common pathway "
            "(full input, 100 units, sd 0.005/700) trained alone on the targets plus item-only "
            "context pathways (100 units each, sd 0.01/700) trained on the residual; ReLN = "
            "gdln.py's three single- and three two-context modules, modular = gdln_single.py's "
            "three single-context ones; the authors' init stream (seed base b = their run "
            "seeded with b). The closed form is closed.py (d/(C−1), `code`, flagged), drawn, "
            "not used as a prediction.",
            proofs.context_loss_points,
            proofs.context_loss_compute,
            context_loss_render,
            dtypes=DTYPES,
            cost=context_losses_point_cost,
        ),
        PhaseDiagram(
            "gdln-contexts-depth",
            "gdln",
            "Mixed selectivity and modular-minus-ReLN loss gap vs contexts and depth",
            "Same hierarchy in every context, C = 2..6, 1 or 2 hidden layers, REDUCED to fit 3 "
            "minutes: widths 200 (depth 1, std 0.005/200) and 100-100 (depth 2, std 0.02), "
            "η = 2e-3, 4000 epochs (same flow time as η = 1e-3 for 8000 epochs). Depth 1: ReLN "
            "and modular GDLN as in the authors' code (their module layout and init stream, "
            "width / number of modules units each, split loss). Depth 2: block-diagonal "
            "pathways through both hidden layers (`reconstructed`; the authors' depth GDLN, "
            "depth/gdln_off.py, is dense between hidden layers and gated at the output only: "
            "reproduced in benchmarks/gdln_side_by_side.py). Left: fraction of "
            "strong units active in more than one but not all contexts (cell text: single-context "
            "units, "
            "predicted 0). Right: final loss of the modular GDLN minus the ReLN's (predicted > 0, "
            "growing with C; `reconstructed`).",
            proofs.contexts_depth_points,
            proofs.contexts_depth_compute,
            contexts_depth_render,
            dtypes=DTYPES,
            cost=contexts_depth_point_cost,
        ),
        *AUTHORS_DIAGRAMS,
    )


FAMILY = Family(
    name="gdln",
    title="GDLN: deep linear and gated deep linear dynamics; ReLU ↔ ReLN on contextual tasks",
    schema=SCHEMA,
    build=build,
    setup_type=th.GdlnSetup,
    check=proofs.check,
    statements=th.STATEMENTS + gdln_reln.STATEMENTS,
    derivations=proofs.DERIVATIONS,
    suite=SUITE,
    diagrams=_diagrams(),
    methods=(),
)
