"""The WTA generalization diagram: held-out accuracy, WTA minus ReLU and minus linear.

Drawing only; the computation is :mod:`mtl_theory.proofs.wta_generalization` (DESIGN.md
layering).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mtl_theory import cost as mc
from mtl_theory.plotting import grid_values, heatmap
from mtl_theory.proofs import wta_generalization as pg
from mtl_theory.registry import PhaseDiagram


def _outline_h2_h3(ax: Any, records: Sequence[Any]) -> None:
    """Outline the cells where H2 and H3 hold (H1 fails by design: combinations held out)."""
    from matplotlib.patches import Rectangle

    xs = sorted({r.params["slack"] for r in records})
    ys = sorted({r.params["n_tasks"] for r in records})
    # half cell sizes as in mtl_theory.plotting.heatmap (mid-points between grid values)
    dx = (xs[1] - xs[0]) / 2 if len(xs) > 1 else 0.5
    dy = (ys[1] - ys[0]) / 2 if len(ys) > 1 else 0.5
    for r in records:
        if r.result["h2_h3_hold"]:
            x, y = r.params["slack"], r.params["n_tasks"]
            ax.add_patch(
                Rectangle(
                    (x - dx, y - dy), 2 * dx, 2 * dy, fill=False, edgecolor="red", linewidth=2.0
                )
            )
    ax.plot([], [], color="red", linewidth=2.0, label="H2 and H3 hold (H1 fails: hold-out)")
    ax.set_xticks(xs)
    ax.set_yticks(ys)
    ax.legend(loc="upper right", fontsize=7)


def render(records: Sequence[Any], fig: Any) -> None:
    fig.set_size_inches(13, 5.5)
    for i, other in enumerate(("relu", "linear")):
        ax = fig.add_subplot(1, 2, i + 1)
        key = f"wta_minus_{other}"
        xs, ys, d = grid_values(records, "slack", "n_tasks", f"{key}_mean_diff")
        heatmap(
            ax,
            xs,
            ys,
            d,
            xlabel="capacity slack sum(m_g - 1) - sum(n_k - 1)",
            ylabel="number of random additive tasks",
            colorbar_label=f"held-out accuracy: WTA - {other}",
            vmin=-0.5,
            vmax=0.5,
            cmap="coolwarm",
        )
        for r in records:
            res = r.result
            p = res[f"{key}_t_p"]
            ax.text(
                r.params["slack"],
                r.params["n_tasks"],
                f"WTA {res['heldout_wta_mean']:.2f}, {other} {res[f'heldout_{other}_mean']:.2f}\n"
                f"diff {res[f'{key}_mean_diff']:+.3f}\n"
                f"95% CI [{res[f'{key}_ci_low']:+.3f}, {res[f'{key}_ci_high']:+.3f}]\n"
                f"paired t p = {'n/a' if p is None else f'{p:.2g}'}\n"
                f"detectable {res[f'{key}_min_detectable']:.3f}",
                ha="center",
                va="center",
                fontsize=7,
            )
        _outline_h2_h3(ax, records)
        ax.set_title(f"held-out combinations: WTA minus same-width {other}", fontsize=10)
    fig.suptitle(
        f"Factors (4,4,4) 16x16 images, Latin-square hold-out (16 of 64), {pg.SEEDS} paired "
        "seeds per cell; detectable = smallest difference the paired t-test finds "
        "(alpha 0.05, power 0.8)",
        fontsize=9,
    )


DIAGRAM = PhaseDiagram(
    name="wta-generalization",
    theory="wta",
    title="Held-out-combination accuracy: WTA vs same-width ReLU and linear bottlenecks",
    description=pg.DESCRIPTION,
    points=pg.points,
    compute=pg.compute,
    render=render,
    cost=mc.constant_point_cost(
        275.0,
        2**27,
        "10 seeds × 3 arms of training (measured: about 1,100 CPU-seconds for the 4 points)",
    ),
)
