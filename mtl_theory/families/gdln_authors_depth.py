"""The ``gdln-authors-depth`` phase diagram: Make Haste Slowly at depth 2, as the authors run it.

depth/relu.py (11 → 420 → 420 → 60 ReLU) and depth/gdln_off.py (the staged depth GDLN) per
seed base, plus this project's modular variant of gdln_off.py.

Besides the authors' quantities each point keeps this toolkit's own metrics, labelled ours: the
deep ReLU's strong units by number of active contexts per hidden layer and the modular-minus-
gdln_off final loss gap. Points and compute: :mod:`mtl_theory.proofs.gdln_authors`
(``depth_*``, ``DEPTH_*``); here the render, the per-point cost and ``DIAGRAM``. What it
shares with ``gdln-authors-contexts``: :mod:`mtl_theory.families.gdln_authors_common`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mtl_theory import cost as mc
from mtl_theory.families.gdln_authors_common import by_point
from mtl_theory.numerics.precision import DTYPES
from mtl_theory.proofs import gdln_authors as proofs
from mtl_theory.registry import PhaseDiagram
from mtl_theory.theory import gdln as th
from mtl_theory.theory import gdln_authors as ga

_DEPTH_STYLE = {
    "relu": ("ReLU, depth/relu.py", "k"),
    "gdln": ("GDLN, depth/gdln_off.py", "C0"),
    "modular": ("modular GDLN (ours: single-context output modules)", "C3"),
}


#: The authors' depth runs per network of the depth diagram (all five seed bases, `code`).
_DEPTH_REFS = {"relu": ga.depth_runs()["depth-relu"], "gdln": ga.depth_runs()["depth-gdln"]}


def depth_render(records, fig) -> None:
    fig.set_size_inches(14, 5)
    ax, ax_units, ax_gap = fig.subplots(1, 3, width_ratios=(2.2, 1, 1))
    groups = by_point(records, ("network",))
    cps = records[0].result["checkpoints"]
    for (network,), recs in groups.items():
        label, color = _DEPTH_STYLE[network]
        t = np.array(recs[0].result["t"])
        curves = np.array([r.result["curve"] for r in recs])
        ax.plot(t, np.median(curves, axis=0), color=color, lw=1.2, label=f"{label}: ours")
        if len(recs) > 1:
            ax.fill_between(t, curves.min(axis=0), curves.max(axis=0), color=color, alpha=0.15)
        # the authors' runs: the points' own inits filled, the rest of their five open
        ref = _DEPTH_REFS.get(network)
        if ref is None:
            continue
        mine = {r.result["init_seed"] for r in recs}
        for j, init in enumerate(ref.init_seeds):
            ax.plot(
                cps,
                [ref.losses[k][j] for k in cps],
                "o" if network == "relu" else "s",
                mfc=color if init in mine else "none",
                color=color,
                ms=5,
                label=f"{label}: code ({len(ref.init_seeds)} runs; filled = ours' inits)"
                if j == 0
                else None,
            )
    staged = next((r.result for r in records if "switch_epoch" in r.result), None)
    if staged is not None:
        for e in (staged["start_epoch"], staged["switch_epoch"]):
            ax.axvline(e, color="C0", ls=":", lw=0.8)
    n_seeds = max(len(v) for v in groups.values())
    ax.set_yscale("log")
    ax.set_xlabel("updates")
    ax.set_ylabel("loss ½Σ‖y − ŷ‖²")
    ax.set_title(
        f"Depth 2 at the authors' sizes and schedule (11 → 420 → 420 → 60, {n_seeds} seeds; "
        "band = range)\ndotted: GDLN schedule (no update before 500; common loss only to 12000)",
        fontsize=8,
    )
    ax.legend(fontsize=6, loc="lower left")
    relu = groups.get(("relu",), [])
    if relu:
        C = len(relu[0].result["ours_unit_counts"]) - 1
        per_layer = np.array([r.result["ours_unit_counts_per_layer"] for r in relu], float)
        mean = per_layer.mean(axis=0)  # (layers, C + 1)
        width = 0.35
        for layer in range(mean.shape[0]):
            ax_units.bar(
                np.arange(1, C + 1) + (layer - 0.5) * width,
                mean[layer, 1:],
                width,
                label=f"hidden layer {layer + 1}",
            )
        ax_units.set_xticks(np.arange(1, C + 1))
        ax_units.set_xlabel("number of contexts a strong unit is active in")
        ax_units.set_ylabel("strong ReLU units (mean over seeds)")
        ax_units.legend(fontsize=6)
    ax_units.set_title(
        f"OURS: deep ReLU units by active contexts\n(strength ≥ {proofs.STRONG_FRACTION} × max)",
        fontsize=8,
    )
    mod = {r.params["seed_base"]: r.result["final_loss"] for r in groups.get(("modular",), [])}
    gdl = {r.params["seed_base"]: r.result["final_loss"] for r in groups.get(("gdln",), [])}
    both = sorted(set(mod) & set(gdl))
    gaps = [mod[b] - gdl[b] for b in both]
    ax_gap.plot(both, gaps, "o", color="C3")
    ax_gap.set_xticks(both)
    ax_gap.axhline(0.0, color="grey", lw=0.8)
    ax_gap.set_xlabel("seed base b")
    ax_gap.set_ylabel("final loss: modular − gdln_off (ours)")
    ax_gap.set_title("OURS: modular-minus-ReLN gap at the end", fontsize=8)


def depth_point_cost(params: Mapping[str, Any]) -> mc.Cost:
    """One depth network: the deep ReLU's dense widths (the staged GDLNs have as many
    weights: 7 modules of 60 units, dense between the hidden layers)."""
    task = th.AUTHORS_DATASETS["gen_data3-same"].task()
    n_in, batch = task.X.shape
    updates = int(params.get("updates", proofs.DEPTH_UPDATES))
    return mc.dense_gd_cost([n_in, 420, 420, task.Y.shape[0]], batch, updates)


DIAGRAM = PhaseDiagram(
    "gdln-authors-depth",
    "gdln",
    "Make Haste Slowly at depth 2, as the authors run it: deep ReLU vs staged depth GDLN",
    "depth/relu.py (11 → 420 → 420 → 60 ReLU, sd 0.0006) and depth/gdln_off.py (7 × 60-unit "
    "modules, dense hidden-to-hidden, gated at the output only, 4 common modules, context "
    "modules on the context pairs with 8× output init; no update before epoch 500, the common "
    f"loss only until 12000), η = 1e-3, {proofs.DEPTH_UPDATES} updates, the same hierarchy in 3 "
    f"contexts; one point per (network, seed base b = {proofs.DEPTH_SEED_BASES[0]}…"
    f"{proofs.DEPTH_SEED_BASES[-1]}), "
    "the authors' init of b. Lines: ours (median, band = range); open markers: the authors' "
    "runs (`code`, JAX float32) at the same updates. The authors have no closed form for "
    "depth. OURS (labelled): a modular variant of gdln_off.py (same init and schedule, "
    "output modules gated on single contexts), its final-loss gap to gdln_off.py per seed, "
    "and the deep ReLU's strong units by number of active contexts per hidden layer.",
    proofs.depth_points,
    proofs.depth_compute,
    depth_render,
    dtypes=DTYPES,
    cost=depth_point_cost,
)
