"""The ``gdln-authors-depth`` phase diagram: Make Haste Slowly at depth 2, as the authors run it.

depth/relu.py (11 → 420 → 420 → 60 ReLU) and depth/gdln_off.py (the staged depth GDLN) per
seed base, plus this project's modular variant of gdln_off.py.

Besides the authors' quantities each point keeps this toolkit's own metrics, labelled ours: the
deep ReLU's strong units by number of active contexts per hidden layer and the modular-minus-
gdln_off final loss gap. What it shares with ``gdln-authors-contexts``:
:mod:`mtl_theory.families.gdln_authors_common`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from mtl_theory import cost as mc
from mtl_theory.families.gdln_authors_common import (
    SEED_BASES,
    STRONG_FRACTION,
    by_point,
    code_at,
    ours_at,
)
from mtl_theory.numerics import gdln as num
from mtl_theory.numerics.precision import DEFAULT_DTYPE, DTYPES
from mtl_theory.registry import PhaseDiagram
from mtl_theory.theory import gdln as th
from mtl_theory.theory import gdln_authors as ga

#: Updates of the depth runs (their 30001-epoch loop; checkpoints up to 30000).
DEPTH_UPDATES = 30000

#: Loss curves are stored every this many updates (the CSV stays small).
DEPTH_CURVE_STEP = 100

#: The depth networks of the depth diagram: the authors' two scripts and our modular variant
#: of gdln_off.py (the same init draws and schedule; the three output modules gated on single
#: contexts instead of pairs of contexts: ours, `reconstructed`).
DEPTH_NETWORKS = ("relu", "gdln", "modular")

#: Seed bases of the depth diagram: all five of the authors' inits (a depth point costs
#: 1–10 min at 30000 updates on the shared 2-core machine; the authors' five runs are also in
#: theory.gdln_authors and in benchmarks/gdln_side_by_side.py --only depth).
DEPTH_SEED_BASES = SEED_BASES
DEPTH_MODULAR = dataclasses.replace(
    th.DepthNet(),
    source="ours: depth/gdln_off.py with single-context output modules",
    context_sets=((0,), (1,), (2,)),
)


def depth_points() -> list[dict[str, Any]]:
    # seed-major: a sweep cut short still has every network at its first seeds
    return [{"network": n, "seed_base": b} for b in DEPTH_SEED_BASES for n in DEPTH_NETWORKS]


def depth_compute(
    params: Mapping[str, Any], seed: int, dtype: str = DEFAULT_DTYPE
) -> dict[str, Any]:
    """One depth network (depth/relu.py, depth/gdln_off.py or our modular variant) trained at
    the authors' schedule from the init of one seed base.

    ``params["updates"]`` (optional, default DEPTH_UPDATES) is a size knob for tests.
    ``dtype``: the training arithmetic.
    """
    network, b = str(params["network"]), int(params["seed_base"])
    if network not in DEPTH_NETWORKS:
        raise ValueError(f"network must be one of {DEPTH_NETWORKS}, got {network!r}")
    updates = int(params.get("updates", DEPTH_UPDATES))
    task = th.AUTHORS_DATASETS["gen_data3-same"].task()
    refs = ga.depth_runs()
    # depth/relu.py and gdln_off.py take their seed from argv: init seed = seed base
    init = [refs["depth-gdln"].init_seeds[b]]
    n_in, n_out = task.X.shape[0], task.Y.shape[0]
    out: dict[str, Any] = {"init_seed": init[0], "updates": updates}
    if network == "relu":
        cfg = th.AUTHORS_DEPTH_RELU
        W = num.init_context_weights([n_in, *cfg["hidden"], n_out], cfg["std"], init)
        run = num.train_context_net(task, W, cfg["lr"], updates, dtype=dtype)
        ref, script = refs["depth-relu"], refs["depth-relu"].source
        _, keeps, counts = num.relu_unit_counts(task, run, STRONG_FRACTION)
        per_layer = []
        for layer, H in enumerate(run.hidden):
            act = num.unit_context_sets(H, task.context_of, task.n_contexts)
            c = num.count_by_active_contexts(act, keeps[layer], task.n_contexts)
            per_layer.append(c[0].tolist())
        out["ours_unit_counts"] = counts[0].tolist()
        out["ours_unit_counts_per_layer"] = per_layer
    else:
        net = th.DepthNet() if network == "gdln" else DEPTH_MODULAR
        W = num.init_depth_net(net, n_in, n_out, init)
        run = num.train_depth_net(task, net, W, updates, dtype)
        ref = refs["depth-gdln"] if network == "gdln" else None
        script = net.source
        out["start_epoch"], out["switch_epoch"] = net.start_epoch, net.switch_epoch
    curve = run.losses[0]
    checkpoints = sorted(refs["depth-gdln"].losses)
    out["script"] = script
    out["checkpoints"] = checkpoints
    out["loss_at"] = ours_at(curve, checkpoints)
    out["code_loss"] = code_at(ref, init[0], checkpoints)
    t = np.arange(0, updates + 1, DEPTH_CURVE_STEP)
    out["t"] = t.tolist()
    out["curve"] = curve[t].tolist()
    out["final_loss"] = float(curve[-1])
    return out


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
        f"OURS: deep ReLU units by active contexts\n(strength ≥ {STRONG_FRACTION} × max)",
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
    updates = int(params.get("updates", DEPTH_UPDATES))
    return mc.dense_gd_cost([n_in, 420, 420, task.Y.shape[0]], batch, updates)


DIAGRAM = PhaseDiagram(
    "gdln-authors-depth",
    "gdln",
    "Make Haste Slowly at depth 2, as the authors run it: deep ReLU vs staged depth GDLN",
    "depth/relu.py (11 → 420 → 420 → 60 ReLU, sd 0.0006) and depth/gdln_off.py (7 × 60-unit "
    "modules, dense hidden-to-hidden, gated at the output only, 4 common modules, context "
    "modules on the context pairs with 8× output init; no update before epoch 500, the common "
    f"loss only until 12000), η = 1e-3, {DEPTH_UPDATES} updates, the same hierarchy in 3 "
    f"contexts; one point per (network, seed base b = {DEPTH_SEED_BASES[0]}…"
    f"{DEPTH_SEED_BASES[-1]}), "
    "the authors' init of b. Lines: ours (median, band = range); open markers: the authors' "
    "runs (`code`, JAX float32) at the same updates. The authors have no closed form for "
    "depth. OURS (labelled): a modular variant of gdln_off.py (same init and schedule, "
    "output modules gated on single contexts), its final-loss gap to gdln_off.py per seed, "
    "and the deep ReLU's strong units by number of active contexts per hidden layer.",
    depth_points,
    depth_compute,
    depth_render,
    dtypes=DTYPES,
    cost=depth_point_cost,
)
