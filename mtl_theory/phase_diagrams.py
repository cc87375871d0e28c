"""``mtl-theory phase``: run a registered phase diagram and write PNG + CSV + index.

Each diagram's points are computed by :func:`mtl_theory.numerics.sweep.run_sweep` (derived seeds,
SQLite store ``DIR/sweeps.sqlite``, resumable, local workers or Dask). The figure and the data
behind it are written atomically as ``DIR/NAME.png`` and ``DIR/NAME.csv``; ``DIR/README.md``
indexes every registered diagram and says which have been drawn.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtl_theory.numerics.precision import DEFAULT_DTYPE
from mtl_theory.numerics.sweep import PointRecord, run_sweep, terminal_progress

from .plotting import new_figure, save_figure_atomic
from .registry import PhaseDiagram, Registry
from .report import write_atomic

STORE_NAME = "sweeps.sqlite"


@dataclass(frozen=True)
class DiagramOutput:
    name: str
    png: Path
    csv: Path
    n_points: int
    seconds: float


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    if value is None:
        return ""
    return value


def records_csv(records: Sequence[PointRecord], dtype: str = DEFAULT_DTYPE) -> str:
    """CSV text: one row per point, parameter columns, ``seed``, result columns, ``dtype``.

    ``dtype`` (last column, the same on every row) is the arithmetic the points were
    computed in: "float64", or "float32" for an exploratory ``phase --dtype float32`` run.
    """
    param_cols: list[str] = []
    result_cols: list[str] = []
    for r in records:
        param_cols += [k for k in r.params if k not in param_cols]
        result_cols += [k for k in r.result if k not in result_cols]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*param_cols, "seed", *result_cols, "dtype"])
    for r in records:
        writer.writerow(
            [_csv_cell(r.params.get(k)) for k in param_cols]
            + [r.seed]
            + [_csv_cell(r.result.get(k)) for k in result_cols]
            + [dtype]
        )
    return buf.getvalue()


def run_diagram(
    diagram: PhaseDiagram,
    out_dir: Path,
    *,
    workers: int = 1,
    dask_address: str | None = None,
    resume: bool = False,
    base_seed: int = 0,
    show_progress: bool = True,
    dtype: str = DEFAULT_DTYPE,
    log: Callable[[str], None] | None = None,
    paper_budget: bool = False,
) -> DiagramOutput:
    """Compute every point of ``diagram`` and write its PNG and CSV into ``out_dir``.

    ``dtype`` other than float64 (one of ``diagram.dtypes``; the caller checks) is passed to
    ``compute`` as a keyword, recorded in the CSV's ``dtype`` column, marked on the figure
    and part of the sweep's fingerprint. float64 calls ``compute(params, seed)`` as always.
    ``log`` receives the sweep's plan (estimated core and wall time, longest first) before
    the first point starts, when the diagram declares a cost. ``paper_budget`` runs the
    diagram's ``paper_points`` instead, as ``NAME-paper`` (store key, PNG and CSV).
    """
    if dtype not in diagram.dtypes:
        raise ValueError(f"{diagram.name}: dtype {dtype!r} is not one of {diagram.dtypes}")
    t0 = time.monotonic()
    name, points = diagram_grid(diagram, paper_budget)
    compute = diagram.compute
    if dtype != DEFAULT_DTYPE:
        compute = functools.partial(diagram.compute, dtype=dtype)  # picklable: module-level
    records = run_sweep(
        name,
        compute,
        points,
        out_dir / STORE_NAME,
        base_seed=base_seed,
        workers=workers,
        dask_address=dask_address,
        resume=resume,
        progress=terminal_progress(diagram.name) if show_progress else None,
        dtype=dtype,
        cost=diagram.cost,
        log=None if log is None else (lambda msg: log(f"{name}: {msg}")),
    )
    csv_path = out_dir / f"{name}.csv"
    write_atomic(csv_path, records_csv(records, dtype))
    fig = new_figure()
    diagram.render(records, fig)
    if dtype != DEFAULT_DTYPE:
        fig.text(0.995, 0.005, f"{dtype} (exploratory)", ha="right", va="bottom", color="C3")
    png = save_figure_atomic(fig, out_dir / f"{name}.png")
    return DiagramOutput(name, png, csv_path, len(records), time.monotonic() - t0)


def diagram_grid(diagram: PhaseDiagram, paper_budget: bool = False) -> tuple[str, list]:
    """(sweep name, points): the diagram's grid, or its paper-budget grid as ``NAME-paper``."""
    if not paper_budget:
        return diagram.name, list(diagram.points())
    if diagram.paper_points is None:
        raise ValueError(f"{diagram.name} has no paper budget")
    return f"{diagram.name}-paper", list(diagram.paper_points())


def plan_diagram(diagram: PhaseDiagram, workers: int, paper_budget: bool = False) -> list[str]:
    """The plan of a diagram without running it (``phase --plan``): the sweep's plan line
    and each point's estimated cost, longest first."""
    from mtl_theory.numerics.sweep import longest_first, plan_sweep

    name, points = diagram_grid(diagram, paper_budget)
    if diagram.cost is None:
        return [f"{name}: " + plan_sweep(None, len(points), workers).describe()]
    costs = [diagram.cost(p) for p in points]
    lines = [f"{name}: " + plan_sweep(costs, len(points), workers).describe()]
    for i in longest_first([c.seconds for c in costs]):
        c = costs[i]
        lines.append(
            f"  {json.dumps(points[i], sort_keys=True)}: {c.seconds:.3g} s of one core, "
            f"{c.memory_bytes / 2**20:.3g} MiB" + (f" ({c.what})" if getattr(c, "what", "") else "")
        )
    return lines


def write_index(registry: Registry, out_dir: Path) -> Path:
    """Write ``out_dir/README.md``: every registered diagram, drawn or not."""
    lines = [
        "# Phase diagrams",
        "",
        "Generated by `mtl-theory phase NAME... | --all --out figures`. Each figure shows the",
        "measured map with the theory's predicted boundary drawn over it; the CSV beside it",
        "holds the data (one row per grid point, with the point's derived seed).",
        "",
    ]
    for family in registry.families.values():
        for d in family.diagrams:
            png = out_dir / f"{d.name}.png"
            csv_path = out_dir / f"{d.name}.csv"
            lines += [f"## `{d.name}` ({family.name}): {d.title}", "", d.description, ""]
            if png.exists():
                lines += [f"![{d.name}]({d.name}.png)", "", f"Data: [{d.name}.csv]({d.name}.csv)"]
                if csv_path.exists():
                    with csv_path.open(encoding="utf-8", newline="") as fh:
                        n = max(
                            sum(1 for _ in csv.reader(fh)) - 1, 0
                        )  # quoted cells may span lines
                    lines[-1] += f" ({n} points)."
            else:
                lines.append(f"Not drawn yet: run `mtl-theory phase {d.name}`.")
            lines.append("")
    for name in registry.missing:
        lines += [f"## {name}", "", "Theory not implemented yet.", ""]
    path = out_dir / "README.md"
    write_atomic(path, "\n".join(lines))
    return path


def ensure_out_dir(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    if not os.access(out_dir, os.W_OK):
        raise PermissionError(f"{out_dir} is not writable")
