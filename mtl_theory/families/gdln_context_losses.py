"""The ``gdln-context-losses`` phase diagram: Make Haste Slowly's 3-context loss curves.

Computation: :func:`mtl_theory.proofs.gdln.context_loss_compute` on
``proofs.gdln.CONTEXT_LOSS_SETUP``; the description below is generated from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mtl_theory import cost as mc
from mtl_theory.families.diagram_text import per_width, short_float
from mtl_theory.numerics.precision import DTYPES
from mtl_theory.proofs import gdln as proofs
from mtl_theory.registry import PhaseDiagram


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


def _run_size() -> tuple[tuple[int, ...], float, int, float]:
    return proofs.context_run_size(proofs.CONTEXT_LOSS_SETUP)


def context_losses_point_cost(params: Mapping[str, Any]) -> mc.Cost:
    """ReLU + ReLN + modular training at the paper's sizes (:func:`mc.context_experiment_cost`)."""
    task = proofs.context_task_of(proofs.CONTEXT_LOSS_SETUP)
    n_in, batch = task.X.shape
    hidden, _, epochs, _ = _run_size()
    return mc.context_experiment_cost(
        n_in, batch, task.Y.shape[0], hidden, proofs.CONTEXT_LOSS_SETUP.contexts, epochs
    )


def _description() -> str:
    setup = proofs.CONTEXT_LOSS_SETUP
    task = proofs.context_task_of(setup)
    hidden, lr, epochs, std = _run_size()
    seeds = len(proofs.context_loss_points())
    return (
        f"Paper sizes ({task.X.shape[0]} → {' → '.join(map(str, hidden))} → {task.Y.shape[0]}, "
        f"std {per_width(std, hidden[0])}, η = {short_float(lr)}, {epochs} epochs, "
        f"{setup.structures} structures), {seeds} seeds (band = range). ReLN and modular GDLN "
        "as in the authors' code (make-haste-slowly 3_context_diff/gdln.py, gdln_single.py): a "
        "common pathway (full input, 100 units, sd 0.005/700) trained alone on the targets plus "
        "item-only context pathways (100 units each, sd 0.01/700) trained on the residual; "
        "ReLN = gdln.py's three single- and three two-context modules, modular = "
        "gdln_single.py's three single-context ones; the authors' init stream (seed base b = "
        "their run seeded with b). The closed form is closed.py (d/(C−1), `code`, flagged), "
        "drawn, not used as a prediction."
    )


DIAGRAM = PhaseDiagram(
    "gdln-context-losses",
    "gdln",
    "Make Haste Slowly, 3 contexts: ReLU, ReLN, modular GDLN and closed-form losses",
    _description(),
    proofs.context_loss_points,
    proofs.context_loss_compute,
    context_loss_render,
    dtypes=DTYPES,
    cost=context_losses_point_cost,
)
