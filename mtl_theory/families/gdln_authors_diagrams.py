"""Make Haste Slowly as the authors measure it: number of contexts and depth (issue 9, part 4).

Two phase diagrams, each a grid of (network setting, seed) points at the authors' sizes and
schedules, with the authors' saved numbers (theory.gdln_authors, `code`) in the CSV beside
ours at the same epochs:

- ``gdln-authors-contexts``: the one-hidden-layer scripts, per dataset (3 contexts with
  different structures: 3_context_diff/relu.py, gdln.py, gdln_single.py, closed.py; the same
  hierarchy in C = 3, 4, 5 contexts: diff_context_num/relu3/4/5.py, gdln3/4/5.py,
  closed3/4/5.py) and per seed base b = 0 … 4 (the init their run draws after
  ``np.random.seed(b)``).
- ``gdln-authors-depth``: depth/relu.py (11 → 420 → 420 → 60 ReLU) and depth/gdln_off.py (the
  staged depth GDLN) per seed base, plus this project's modular variant of gdln_off.py.

Besides the authors' quantities each point keeps this toolkit's own metrics, labelled ours:
strong hidden units of the trained ReLU by number of active contexts
(numerics.gdln.relu_unit_counts, `reconstructed`) and the modular-minus-ReLN final loss gap.

The sweep engine's derived point seed is not used: a point's init is the authors' init of its
seed base (numerics.gdln.authors_init_seed; the depth scripts take b itself from argv), so the
points are theirs, whatever the base seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mtl_theory.numerics import gdln as num
from mtl_theory.numerics.precision import DEFAULT_DTYPE, DTYPES
from mtl_theory.registry import PhaseDiagram
from mtl_theory.theory import gdln as th
from mtl_theory.theory import gdln_authors as ga

# --------------------------------------------------------------------------- constants

#: The authors' seed bases: their script run after ``np.random.seed(b)`` (theory.gdln_authors).
SEED_BASES = (0, 1, 2, 3, 4)

#: One-hidden-layer datasets, in panel order: (contexts, structures) -> AUTHORS_DATASETS key.
CONTEXT_DATASETS: Mapping[tuple[int, str], str] = {
    (3, "different"): "gen_data3-diff",
    (3, "same"): "gen_data3-same",
    (4, "same"): "diff_context_num-gen_data4",
    (5, "same"): "diff_context_num-gen_data5",
}

#: Updates of the one-hidden-layer runs: their 8001-epoch loop records the loss after 1 … 8001
#: updates; their saved checkpoints go up to 8000 (theory.gdln_authors).
CONTEXT_UPDATES = 8000

#: Updates of the depth runs (their 30001-epoch loop; checkpoints up to 30000).
DEPTH_UPDATES = 30000

#: Loss curves are stored every this many updates (the CSV stays small).
CONTEXT_CURVE_STEP = 50
DEPTH_CURVE_STEP = 100

#: Strong unit: output contribution >= this fraction of the largest (ours, as gdln-context-losses).
STRONG_FRACTION = 0.1

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


def _scripts(dataset: str) -> dict[str, str]:
    """Script names per curve for a dataset: the authors' ones, or ``ours`` where none."""
    runs = {r.model: r.source for r in ga.AUTHORS_RUNS if r.dataset == dataset}
    cf = next(c.source for c in th.AUTHORS_CLOSED_FORMS if c.dataset == dataset)
    return {
        "relu": runs["relu"],
        "reln": runs["reln"],
        "modular": runs.get("modular", "ours (no script of theirs)"),
        "closed_form": cf,
    }


def _code_at(run: ga.AuthorsRun | None, init: int, checkpoints: Sequence[int]) -> list | None:
    """The authors' loss of their run from init seed ``init`` at the checkpoints, or None
    without a script."""
    if run is None:
        return None
    j = run.init_seeds.index(init)
    return [float(run.losses[k][j]) for k in checkpoints]


def _ours_at(curve: np.ndarray, checkpoints: Sequence[int]) -> list:
    """Our loss after k updates (None beyond the run, e.g. at a reduced size)."""
    return [float(curve[k]) if k < curve.size else None for k in checkpoints]


# --------------------------------------------------------------------------- contexts diagram


def contexts_points() -> list[dict[str, Any]]:
    return [
        {"contexts": c, "structures": s, "seed_base": b}
        for (c, s) in CONTEXT_DATASETS
        for b in SEED_BASES
    ]


def contexts_compute(
    params: Mapping[str, Any], seed: int, dtype: str = DEFAULT_DTYPE
) -> dict[str, Any]:
    """ReLU, ReLN, modular GDLN and closed form of one dataset at one of the authors' inits.

    ``params["updates"]`` (optional, default CONTEXT_UPDATES) is a size knob for tests; the
    authors' numbers are reported at their checkpoints whatever it is, ours only up to it.
    ``dtype``: the networks' training arithmetic ("float32" is the authors' own, JAX's
    default); the closed form is float64 always.
    """
    C, structures, b = int(params["contexts"]), str(params["structures"]), int(params["seed_base"])
    updates = int(params.get("updates", CONTEXT_UPDATES))
    key = CONTEXT_DATASETS[(C, structures)]
    task = th.AUTHORS_DATASETS[key].task()
    hidden, std = ga.AUTHORS_RELU_SIZE[key]
    init = [num.authors_init_seed(b)]
    sizes = [task.X.shape[0], hidden, task.Y.shape[0]]
    W0 = num.init_context_weights(sizes, std, init)
    relu = num.train_context_net(task, W0, 1e-3, updates, dtype=dtype)
    curves = {"relu": relu.losses[0]}
    for name, construction in (("reln", "authors"), ("modular", "modular")):
        mnet = th.authors_module_net(C, construction, hidden, std)
        net = num.module_pathway_network(task, mnet, init)
        curves[name] = num.train_pathway_network(task, net, 1e-3, updates, dtype).losses[0]
    t = np.arange(0, updates + 1, CONTEXT_CURVE_STEP)
    runs = {r.model: r for r in ga.AUTHORS_RUNS if r.dataset == key}
    cf_ref = th.authors_closed_form_for(task)
    checkpoints = sorted(runs["relu"].losses)
    # the closed form at time e = epoch e (their saved index), on a sparse grid: the full
    # 8001-epoch prediction array would be ~0.1 GB per call
    cf_epochs = np.union1d(t, [k for k in checkpoints if k <= updates]).astype(int)
    cf_loss = np.full(updates + 1, np.nan)
    cf_loss[cf_epochs] = th.authors_closed_form_loss(task, cf_epochs, cf_ref)
    curves["closed_form"] = cf_loss
    _, _, counts = num.relu_unit_counts(task, relu, STRONG_FRACTION)
    out: dict[str, Any] = {
        "dataset": key,
        "init_seed": init[0],
        "hidden": hidden,
        "updates": updates,
        "checkpoints": checkpoints,
    }
    for name, curve in curves.items():
        out[f"{name}_at"] = _ours_at(curve, checkpoints)
    out["code_relu"] = _code_at(runs["relu"], init[0], checkpoints)
    out["code_reln"] = _code_at(runs["reln"], init[0], checkpoints)
    out["code_modular"] = _code_at(runs.get("modular"), init[0], checkpoints)
    out["code_closed_form"] = [float(cf_ref.saved[k]) for k in checkpoints]
    out["scripts"] = _scripts(key)
    # ours (the toolkit's own metrics; the authors' code counts no units)
    out["ours_unit_counts"] = counts[0].tolist()
    out["ours_single_context_units"] = int(counts[0, 1])
    out["ours_gap_modular_minus_reln"] = float(curves["modular"][-1] - curves["reln"][-1])
    out["t"] = t.tolist()
    for name, curve in curves.items():
        out[f"{name}_curve"] = curve[t].tolist()
    return out


_STYLE = {
    "relu": ("ReLU", "k"),
    "reln": ("ReLN", "C0"),
    "modular": ("modular GDLN", "C3"),
    "closed_form": ("closed form", "C2"),
}


def _by_point(records, keys: Sequence[str]) -> dict[tuple, list]:
    groups: dict[tuple, list] = {}
    for r in records:
        groups.setdefault(tuple(r.params[k] for k in keys), []).append(r)
    return groups


def _curve_panel(ax, recs, names, title: str) -> None:
    """Our curves (median line, band = range over seeds) and the authors' checkpoints."""
    t = np.array(recs[0].result["t"])
    cps = recs[0].result["checkpoints"]
    for name in names:
        label, color = _STYLE[name]
        curves = np.array([r.result[f"{name}_curve"] for r in recs])
        ls = "--" if name == "closed_form" else "-"
        ax.plot(t, np.median(curves, axis=0), color=color, ls=ls, lw=1.2, label=f"{label}, ours")
        if len(recs) > 1 and name != "closed_form":
            ax.fill_between(t, curves.min(axis=0), curves.max(axis=0), color=color, alpha=0.15)
        code = [r.result[f"code_{name}"] for r in recs]
        if code[0] is None:
            continue
        code = np.array(code, dtype=float)
        if name == "closed_form":  # deterministic: one saved curve, the same for every seed
            code = code[:1]
        runs = "saved curve" if name == "closed_form" else f"{code.shape[0]} runs"
        marker = "s" if name == "closed_form" else "o"
        for j in range(code.shape[0]):
            ax.plot(
                cps,
                code[j],
                marker,
                mfc="none",
                color=color,
                ms=6 if name == "closed_form" else 5,
                label=f"{label}, code ({runs})" if j == 0 else None,
            )
    ax.set_yscale("log")
    ax.set_xlabel("updates")
    ax.set_title(title, fontsize=8)


def _final(recs, name: str, source: str) -> np.ndarray:
    """Loss at the last checkpoint per seed: ours (``_at``) or the authors' (``code_``)."""
    key = f"{name}_at" if source == "ours" else f"code_{name}"
    vals = [r.result[key] for r in recs]
    return np.array([np.nan if v is None or v[-1] is None else v[-1] for v in vals], float)


def _spread(vals: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and distances to min / max of each array's finite entries (nan if none: a
    reduced-size run has no loss at the last checkpoint)."""
    med, lo, hi = [], [], []
    for v in vals:
        f = v[np.isfinite(v)]
        m = float(np.median(f)) if f.size else np.nan
        med.append(m)
        lo.append(m - float(f.min()) if f.size else np.nan)
        hi.append(float(f.max()) - m if f.size else np.nan)
    return np.array(med), np.array(lo), np.array(hi)


def contexts_render(records, fig) -> None:
    fig.set_size_inches(15, 8.5)
    groups = _by_point(records, ("contexts", "structures"))
    axes = fig.subplots(2, 4)
    for ax, ((C, s), recs) in zip(axes[0], groups.items(), strict=False):
        names = ("relu", "reln", "modular", "closed_form")
        src = recs[0].result["scripts"]
        folder = src["relu"].split("/")[0]
        files = ", ".join(v.split("/")[-1] for v in src.values() if "/" in v)
        _curve_panel(
            ax, recs, names, f"C = {C}, {s} structures, {len(recs)} seeds\n{folder}: {files}"
        )
    axes[0][0].set_ylabel("loss ½Σ‖y − ŷ‖²")
    axes[0][0].legend(fontsize=6, loc="lower left")
    # bottom row: the phase diagram over C (same hierarchy in every context)
    same = {C: recs for (C, s), recs in groups.items() if s == "same"}
    Cs = np.array(sorted(same), dtype=float)
    last = records[0].result["checkpoints"][-1]
    ax = axes[1][0]
    for name in ("relu", "reln", "closed_form"):
        label, color = _STYLE[name]
        for source, marker, dx in (("ours", "-o", -0.06), ("code", "s", 0.06)):
            vals = [_final(same[int(C)], name, source) for C in Cs]
            med, lo, hi = _spread(vals)
            ax.errorbar(
                Cs + dx,
                med,
                yerr=[lo, hi],
                fmt=marker,
                color=color,
                mfc="none" if source == "code" else color,
                ms=5,
                capsize=2,
                label=f"{label}, {source}",
            )
    ax.set_yscale("log")
    ax.set_xticks(Cs)
    ax.set_xlabel("contexts C (same hierarchy)")
    ax.set_ylabel(f"loss after {last} updates")
    ax.set_title("median and range over seeds; ours vs the authors' runs", fontsize=8)
    ax.legend(fontsize=6)
    ax = axes[1][1]
    for name in ("relu", "reln"):
        label, color = _STYLE[name]
        ratio, _, _ = _spread(
            [_final(same[int(C)], name, "ours") / _final(same[int(C)], name, "code") for C in Cs]
        )
        ax.plot(Cs, ratio, "-o", color=color, label=f"{label}: ours / code (median over seeds)")
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xticks(Cs)
    ax.set_xlabel("contexts C (same hierarchy)")
    ax.set_ylabel(f"ours / code after {last} updates")
    ax.set_title("same init, float64 (ours) vs float32 (code)", fontsize=8)
    ax.legend(fontsize=6)
    # ours: unit counts and the modular-minus-ReLN gap
    ax = axes[1][2]
    labels = [f"C={C}\n{s[:4]}" for (C, s) in groups]
    width = 0.8 / 5
    Cmax = max(C for C, _ in groups)
    for n in range(1, Cmax + 1):
        means = [
            np.mean(
                [
                    r.result["ours_unit_counts"][n] if n < len(r.result["ours_unit_counts"]) else 0
                    for r in recs
                ]
            )
            for recs in groups.values()
        ]
        bars = ax.bar(np.arange(len(groups)) + (n - 3) * width, means, width, label=f"{n} contexts")
        # pooled totals over seeds on every non-empty bar: the rare ones are not visible
        totals = [
            sum(
                r.result["ours_unit_counts"][n]
                for r in recs
                if n < len(r.result["ours_unit_counts"])
            )
            for recs in groups.values()
        ]
        ax.bar_label(bars, [str(t) if t else "" for t in totals], fontsize=5, rotation=90)
    ax.set_xticks(np.arange(len(groups)), labels, fontsize=7)
    ax.set_ylabel("strong ReLU units (mean over seeds; bar text: pooled total)")
    ax.set_title(
        f"OURS: strong units by number of active contexts\n(strength ≥ {STRONG_FRACTION} × max)",
        fontsize=8,
    )
    ax.legend(fontsize=6)
    ax = axes[1][3]
    for i, recs in enumerate(groups.values()):
        gaps = [r.result["ours_gap_modular_minus_reln"] for r in recs]
        ax.plot(np.full(len(gaps), i), gaps, "o", color="C3", mfc="none")
        ax.plot([i], [np.median(gaps)], "_", color="k", ms=14)
    ax.set_xticks(np.arange(len(groups)), labels, fontsize=7)
    gaps = np.array([r.result["ours_gap_modular_minus_reln"] for r in records])
    if np.all(gaps > 0):
        if gaps.max() > 100 * gaps.min():
            ax.set_yscale("log")
    else:
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set_yscale("symlog", linthresh=max(float(np.min(np.abs(gaps[gaps != 0]))), 1e-12))
    ax.set_ylabel(f"final loss: modular − ReLN (after {last} updates)")
    ax.set_title("OURS: modular-minus-ReLN gap per seed (bar: median)", fontsize=8)


# --------------------------------------------------------------------------- depth diagram


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
    out["loss_at"] = _ours_at(curve, checkpoints)
    out["code_loss"] = _code_at(ref, init[0], checkpoints)
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
    groups = _by_point(records, ("network",))
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


# --------------------------------------------------------------------------- README table

_TABLE_SETTINGS = {
    "gen_data3-diff": "C = 3, different",
    "gen_data3-same": "C = 3, same",
    "diff_context_num-gen_data4": "C = 4, same",
    "diff_context_num-gen_data5": "C = 5, same",
}


def _median_text(values: Sequence[Sequence[float]], j: int) -> str:
    return f"{float(np.median([v[j] for v in values])):.4g}"


def side_by_side_markdown(
    contexts: Sequence[Mapping[str, Any]], depth: Sequence[Mapping[str, Any]]
) -> str:
    """The README's table: the authors' saved losses and ours at the same updates.

    Parameters
    ----------
    contexts, depth : sequence of mapping
        The results of the ``gdln-authors-contexts`` and ``gdln-authors-depth`` points (the
        rows of their CSVs with the JSON cells decoded).

    Returns
    -------
    str
        One Markdown row per (setting, script): median over the seed bases of ours and of
        theirs (`code`) at each checkpoint, and the largest per-seed relative difference over
        the checkpoints; closed forms have no randomness, so their row is one curve.
    """
    rows = []
    for dataset, label in _TABLE_SETTINGS.items():
        recs = [r for r in contexts if r["dataset"] == dataset]
        if not recs:
            continue
        cps = recs[0]["checkpoints"]
        for name in ("relu", "reln", "modular", "closed_form"):
            ours = [r[f"{name}_at"] for r in recs]
            code = [r[f"code_{name}"] for r in recs]
            if any(c is None for c in code):
                continue
            rel = max(
                abs(a - b) / abs(b)
                for o, c in zip(ours, code, strict=True)
                for a, b in zip(o, c, strict=True)
            )
            cells = [f"{_median_text(ours, j)} / {_median_text(code, j)}" for j in range(len(cps))]
            script = recs[0]["scripts"][name]
            seeds = "1 curve" if name == "closed_form" else len(recs)  # no randomness
            rows.append((label, f"`{script}`", seeds, " · ".join(cells), f"{rel:.2g}"))
    for name in ("relu", "gdln"):
        recs = [r for r in depth if r["network"] == name and r["code_loss"] is not None]
        if not recs:
            continue
        cps = recs[0]["checkpoints"]
        ours = [r["loss_at"] for r in recs]
        code = [r["code_loss"] for r in recs]
        rel = max(
            abs(a - b) / abs(b)
            for o, c in zip(ours, code, strict=True)
            for a, b in zip(o, c, strict=True)
        )
        cells = [f"{_median_text(ours, j)} / {_median_text(code, j)}" for j in range(len(cps))]
        rows.append(
            ("depth 2, C = 3", f"`{recs[0]['script']}`", len(recs), " · ".join(cells), f"{rel:.2g}")
        )
    header = (
        "setting",
        "script",
        "seeds",
        "loss, median ours / theirs at 1000 · 2000 · 4000 · 8000 updates (depth: 1000 · 6000 · "
        "12000 · 15000 · 22000 · 30000)",
        "max per-seed rel. diff.",
    )
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


CONTEXTS_DIAGRAM = PhaseDiagram(
    "gdln-authors-contexts",
    "gdln",
    "Make Haste Slowly per number of contexts, as the authors run it: ReLU, ReLN, closed form",
    f"One hidden layer at the authors' sizes (ReLU widths "
    f"{', '.join(f'{ga.AUTHORS_RELU_SIZE[k][0]}' for k in CONTEXT_DATASETS.values())} for "
    f"{', '.join(f'C = {c} {s}' for c, s in CONTEXT_DATASETS)}; init sd 0.005/width; η = 1e-3; "
    f"{CONTEXT_UPDATES} updates), one point per (dataset, seed base b = "
    f"{SEED_BASES[0]}…{SEED_BASES[-1]}): the init the authors' script draws after "
    "np.random.seed(b). ReLN = their gdln.py / gdln3/4/5.py modules, modular = gdln_single.py "
    "(C = 3; for C = 4, 5 common + single-context modules: ours), closed form = closed.py / "
    "closed3/4/5.py (their formula in our float64; d/(C−1) not derived, flagged). Lines: ours "
    "(median, band = range over seeds); open markers: the authors' own runs (`code`, "
    "theory.gdln_authors, JAX float32) at the same updates, seed by seed. Bottom: loss after "
    f"{CONTEXT_UPDATES} updates vs C, ours and theirs; and, labelled OURS, the toolkit's own "
    f"metrics: strong ReLU units (≥ {STRONG_FRACTION} × the largest output contribution) by "
    "number of active contexts, and the modular-minus-ReLN final loss gap.",
    contexts_points,
    contexts_compute,
    contexts_render,
    dtypes=DTYPES,
)

DEPTH_DIAGRAM = PhaseDiagram(
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
)

DIAGRAMS = (CONTEXTS_DIAGRAM, DEPTH_DIAGRAM)
