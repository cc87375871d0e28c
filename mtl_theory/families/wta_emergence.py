"""The ``wta-emergence`` phase diagram: drawing only (computation: proofs.wta_emergence)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mtl_theory import cost as mc
from mtl_theory.proofs import wta_emergence as pem
from mtl_theory.registry import PhaseDiagram

_PANELS = (
    ("sym", "symbolic and complete\n(cylinder-set reading)"),
    ("strict", "symbolic and complete\n(strict: one unit per value)"),
    ("zero", "reached zero hard-code loss\n(below: symbolic+complete | zero loss)"),
)


def _cell_text(result: dict, key: str) -> str:
    k, n = result[f"{key}_count"], result[f"{key}_trials"]
    lo, hi = result[f"{key}_ci_low"], result[f"{key}_ci_high"]
    text = f"{k}/{n}\n[{lo:.2f},{hi:.2f}]"
    if key == "sym" and result["holdout"]:
        text += f"\ntrain pts {result['support_sym_count']}/{result['support_sym_trials']}"
    if key == "zero":
        g = result["sym_given_zero_trials"]
        text += f"\n{result['sym_given_zero_count']}/{g}" if g else "\n-"
        if result["zero_loss_impossible"]:
            text += "\n(impossible)"
    return text


def emergence_render(records: Sequence[Any], fig: Any) -> None:
    """Three heat maps over (departure, bottleneck) with counts, CIs and the theorem region."""
    from matplotlib.patches import Rectangle

    rows, cols = list(pem.BOTTLENECKS), list(pem.DEPARTURES)
    fig.set_size_inches(21, 6.5)
    for p, (key, label) in enumerate(_PANELS):
        ax = fig.add_subplot(1, 3, p + 1)
        z = np.full((len(rows), len(cols)), np.nan)
        for r in records:
            i, j = rows.index(r.params["bottleneck"]), cols.index(r.params["departure"])
            v = r.result[f"{key}_fraction"]
            z[i, j] = np.nan if v is None else v
            ax.text(j, i, _cell_text(r.result, key), ha="center", va="center", fontsize=6)
            if r.result["theorem_applies"]:
                ax.add_patch(
                    Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2.0)
                )
        mesh = ax.imshow(z, vmin=0.0, vmax=1.0, cmap="viridis", alpha=0.8, aspect="auto")
        fig.colorbar(mesh, ax=ax, label="fraction of seeds")
        ax.set_xticks(range(len(cols)))
        ax.set_xticklabels(cols, rotation=35, ha="right", fontsize=7)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(rows if p == 0 else [""] * len(rows), fontsize=7)
        ax.set_title(label, fontsize=9)
        ax.plot([], [], color="red", linewidth=2.0, label="H1-H3 hold (WTA-1 region)")
        if p == 0:
            ax.legend(loc="lower left", fontsize=6)
    fig.suptitle(
        f"Trained WTA networks, factors {pem.EMERGENCE_FACTORS}: does the hard code come out "
        f"symbolic outside the theorem's assumptions? ({pem.EMERGENCE_SEEDS} seeds per cell, "
        "95% Wilson intervals)",
        fontsize=10,
    )


DIAGRAM = PhaseDiagram(
    name="wta-emergence",
    theory="wta",
    title="Symbolic codes outside WTA-1's assumptions: soft/k-WTA x slack, non-additive tasks, "
    "partial support",
    description=pem.EMERGENCE_DESCRIPTION,
    points=pem.emergence_points,
    compute=pem.emergence_compute,
    render=emergence_render,
    cost=mc.constant_point_cost(
        17.0,
        2**27,
        "20 seeds × one 600-epoch training (rough: one run of the diagram, 24 min wall at "
        "load 9 with 1 worker; not calibrated)",
    ),
)
