"""Shared drawing helpers for phase diagrams and report figures (matplotlib, Agg backend)."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@functools.cache
def _agg() -> None:
    """Select matplotlib's Agg backend once, at the first drawing (it used to be at this
    module's import): a process that computes without drawing (a ``verify`` worker,
    ``list``, ``check``) never loads matplotlib (~0.6 s CPU with pyplot)."""
    import matplotlib

    matplotlib.use("Agg")  # no screen on the machines this runs on


def grid_values(
    records: Sequence[Any], x: str, y: str, value: Callable[[Mapping[str, Any]], float] | str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrange sweep records on their (x, y) grid.

    Parameters
    ----------
    records : sequence of PointRecord
    x, y : str
        Parameter names of the two axes.
    value : str or callable (result) -> float
        Result key, or a function of the result dict.

    Returns
    -------
    xs, ys : ndarray
        Sorted distinct axis values.
    z : ndarray, shape (len(ys), len(xs))
        The measured value; nan where a point is missing.
    """
    get = (lambda r: r[value]) if isinstance(value, str) else value
    xs = np.array(sorted({r.params[x] for r in records}), dtype=float)
    ys = np.array(sorted({r.params[y] for r in records}), dtype=float)
    z = np.full((ys.size, xs.size), np.nan)
    for r in records:
        v = get(r.result)
        z[np.searchsorted(ys, r.params[y]), np.searchsorted(xs, r.params[x])] = (
            np.nan if v is None else float(v)
        )
    return xs, ys, z


def heatmap(
    ax: Any,
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    *,
    xlabel: str,
    ylabel: str,
    colorbar_label: str,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "viridis",
) -> Any:
    """Cell-centred heat map of ``z`` over the grid (works for uneven axis spacing)."""

    def edges(v: np.ndarray) -> np.ndarray:
        if v.size == 1:
            return np.array([v[0] - 0.5, v[0] + 0.5])
        mid = (v[1:] + v[:-1]) / 2
        return np.concatenate([[2 * v[0] - mid[0]], mid, [2 * v[-1] - mid[-1]]])

    mesh = ax.pcolormesh(
        edges(xs), edges(ys), np.ma.masked_invalid(z), vmin=vmin, vmax=vmax, cmap=cmap
    )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.figure.colorbar(mesh, ax=ax, label=colorbar_label)
    return mesh


def new_figure(width: float = 7.0, height: float = 5.0) -> Figure:
    """A figure not attached to pyplot's global state (safe in workers and tests)."""
    _agg()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def save_figure_atomic(fig: Figure, path: str | Path, dpi: int = 120) -> Path:
    """Write a PNG through a temporary file and ``os.replace``: never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, dpi=dpi, format="png")
    os.replace(tmp, path)
    if "matplotlib.pyplot" in sys.modules:  # else pyplot holds no figure to close
        sys.modules["matplotlib.pyplot"].close("all")
    return path
