"""The ``gdln-authors-contexts`` phase diagram: Make Haste Slowly per number of contexts, as
the authors run it.

The one-hidden-layer scripts, per dataset (3 contexts with different structures:
3_context_diff/relu.py, gdln.py, gdln_single.py, closed.py; the same hierarchy in C = 3, 4, 5
contexts: diff_context_num/relu3/4/5.py, gdln3/4/5.py, closed3/4/5.py) and per seed base
b = 0 … 4 (the init their run draws after ``np.random.seed(b)``).

Besides the authors' quantities each point keeps this toolkit's own metrics, labelled ours:
strong hidden units of the trained ReLU by number of active contexts
(numerics.gdln.relu_unit_counts, `reconstructed`) and the modular-minus-ReLN final loss gap.
Points and compute: :mod:`mtl_theory.proofs.gdln_authors` (``contexts_*``, ``CONTEXT_*``);
here the render, the per-point cost and ``DIAGRAM``. What it shares with
``gdln-authors-depth``: :mod:`mtl_theory.families.gdln_authors_common`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mtl_theory import cost as mc
from mtl_theory.families.gdln_authors_common import by_point
from mtl_theory.numerics.precision import DTYPES
from mtl_theory.proofs import gdln_authors as proofs
from mtl_theory.registry import PhaseDiagram
from mtl_theory.theory import gdln as th
from mtl_theory.theory import gdln_authors as ga

_STYLE = {
    "relu": ("ReLU", "k"),
    "reln": ("ReLN", "C0"),
    "modular": ("modular GDLN", "C3"),
    "closed_form": ("closed form", "C2"),
}


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


def _top_row(axes, groups) -> None:
    """One panel of loss curves per dataset: ours and the authors' checkpoints."""
    for ax, ((C, s), recs) in zip(axes, groups.items(), strict=False):
        names = ("relu", "reln", "modular", "closed_form")
        src = recs[0].result["scripts"]
        folder = src["relu"].split("/")[0]
        files = ", ".join(v.split("/")[-1] for v in src.values() if "/" in v)
        _curve_panel(
            ax, recs, names, f"C = {C}, {s} structures, {len(recs)} seeds\n{folder}: {files}"
        )
    axes[0].set_ylabel("loss ½Σ‖y − ŷ‖²")
    axes[0].legend(fontsize=6, loc="lower left")


def _final_loss_panel(ax, same, Cs: np.ndarray, last: int) -> None:
    """Loss at the last checkpoint vs C (same hierarchy): ours and the authors', median and
    range over seeds."""
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


def _ratio_panel(ax, same, Cs: np.ndarray, last: int) -> None:
    """Ours over the authors' loss at the last checkpoint vs C, median over seeds."""
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


def _group_labels(groups) -> list[str]:
    """Tick labels of the datasets: ``C=3\\ndiff`` etc."""
    return [f"C={C}\n{s[:4]}" for (C, s) in groups]


def _unit_count(r, n: int) -> int:
    """Strong units of one record active in ``n`` contexts (0 beyond its C)."""
    counts = r.result["ours_unit_counts"]
    return counts[n] if n < len(counts) else 0


def _unit_counts_panel(ax, groups) -> None:
    """Ours: strong ReLU units by number of active contexts, mean over seeds, with the pooled
    totals as bar text."""
    width = 0.8 / 5
    Cmax = max(C for C, _ in groups)
    for n in range(1, Cmax + 1):
        means = [np.mean([_unit_count(r, n) for r in recs]) for recs in groups.values()]
        bars = ax.bar(np.arange(len(groups)) + (n - 3) * width, means, width, label=f"{n} contexts")
        # pooled totals over seeds on every non-empty bar: the rare ones are not visible
        totals = [sum(_unit_count(r, n) for r in recs) for recs in groups.values()]
        ax.bar_label(bars, [str(t) if t else "" for t in totals], fontsize=5, rotation=90)
    ax.set_xticks(np.arange(len(groups)), _group_labels(groups), fontsize=7)
    ax.set_ylabel("strong ReLU units (mean over seeds; bar text: pooled total)")
    ax.set_title(
        "OURS: strong units by number of active contexts\n"
        f"(strength ≥ {proofs.STRONG_FRACTION} × max)",
        fontsize=8,
    )
    ax.legend(fontsize=6)


def _gap_panel(ax, groups, records, last: int) -> None:
    """Ours: the modular-minus-ReLN final loss gap per seed and its median per dataset."""
    for i, recs in enumerate(groups.values()):
        gaps = [r.result["ours_gap_modular_minus_reln"] for r in recs]
        ax.plot(np.full(len(gaps), i), gaps, "o", color="C3", mfc="none")
        ax.plot([i], [np.median(gaps)], "_", color="k", ms=14)
    ax.set_xticks(np.arange(len(groups)), _group_labels(groups), fontsize=7)
    gaps = np.array([r.result["ours_gap_modular_minus_reln"] for r in records])
    if np.all(gaps > 0):
        if gaps.max() > 100 * gaps.min():
            ax.set_yscale("log")
    else:
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set_yscale("symlog", linthresh=max(float(np.min(np.abs(gaps[gaps != 0]))), 1e-12))
    ax.set_ylabel(f"final loss: modular − ReLN (after {last} updates)")
    ax.set_title("OURS: modular-minus-ReLN gap per seed (bar: median)", fontsize=8)


def contexts_render(records, fig) -> None:
    """Top: the loss curves of each dataset (ours, the authors' checkpoints). Bottom: the
    final loss vs C, ours over theirs, and (ours) strong units and the modular-minus-ReLN gap.
    """
    fig.set_size_inches(15, 8.5)
    groups = by_point(records, ("contexts", "structures"))
    axes = fig.subplots(2, 4)
    _top_row(axes[0], groups)
    # bottom row: the phase diagram over C (same hierarchy in every context)
    same = {C: recs for (C, s), recs in groups.items() if s == "same"}
    Cs = np.array(sorted(same), dtype=float)
    last = records[0].result["checkpoints"][-1]
    _final_loss_panel(axes[1][0], same, Cs, last)
    _ratio_panel(axes[1][1], same, Cs, last)
    # ours: unit counts and the modular-minus-ReLN gap
    _unit_counts_panel(axes[1][2], groups)
    _gap_panel(axes[1][3], groups, records, last)


def contexts_point_cost(params: Mapping[str, Any]) -> mc.Cost:
    """ReLU, ReLN and modular GDLN of the point's dataset at the authors' sizes."""
    C, structures = int(params["contexts"]), str(params["structures"])
    key = proofs.CONTEXT_DATASETS[(C, structures)]
    task = th.AUTHORS_DATASETS[key].task()
    hidden, _ = ga.AUTHORS_RELU_SIZE[key]
    updates = int(params.get("updates", proofs.CONTEXT_UPDATES))
    n_in, batch = task.X.shape
    return mc.context_experiment_cost(
        n_in, batch, task.Y.shape[0], (hidden,), C, updates, reln="authors"
    )


DIAGRAM = PhaseDiagram(
    "gdln-authors-contexts",
    "gdln",
    "Make Haste Slowly per number of contexts, as the authors run it: ReLU, ReLN, closed form",
    f"One hidden layer at the authors' sizes (ReLU widths "
    f"{', '.join(f'{ga.AUTHORS_RELU_SIZE[k][0]}' for k in proofs.CONTEXT_DATASETS.values())} for "
    f"{', '.join(f'C = {c} {s}' for c, s in proofs.CONTEXT_DATASETS)}; init sd 0.005/width; "
    "η = 1e-3; "
    f"{proofs.CONTEXT_UPDATES} updates), one point per (dataset, seed base b = "
    f"{proofs.SEED_BASES[0]}…{proofs.SEED_BASES[-1]}): the init the authors' script draws after "
    "np.random.seed(b). ReLN = their gdln.py / gdln3/4/5.py modules, modular = gdln_single.py "
    "(C = 3; for C = 4, 5 common + single-context modules: ours), closed form = closed.py / "
    "closed3/4/5.py (their formula in our float64; d/(C−1) not derived, flagged). Lines: ours "
    "(median, band = range over seeds); open markers: the authors' own runs (`code`, "
    "theory.gdln_authors, JAX float32) at the same updates, seed by seed. Bottom: loss after "
    f"{proofs.CONTEXT_UPDATES} updates vs C, ours and theirs; and, labelled OURS, the "
    "toolkit's own "
    f"metrics: strong ReLU units (≥ {proofs.STRONG_FRACTION} × the largest output contribution) by "
    "number of active contexts, and the modular-minus-ReLN final loss gap.",
    proofs.contexts_points,
    proofs.contexts_compute,
    contexts_render,
    dtypes=DTYPES,
    cost=contexts_point_cost,
)
