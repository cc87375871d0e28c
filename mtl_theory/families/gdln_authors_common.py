"""What the two phase diagrams of Make Haste Slowly as the authors measure it (issue 9, part 4)
share in the front end: ``gdln-authors-contexts``
(:mod:`mtl_theory.families.gdln_authors_contexts`) and ``gdln-authors-depth``
(:mod:`mtl_theory.families.gdln_authors_depth`).

Each is a grid of (network setting, seed) points at the authors' sizes and schedules, with the
authors' saved numbers (theory.gdln_authors, `code`) in the CSV beside ours at the same epochs.
Here: the grouping of records by point (for the renders) and the README's side-by-side table
of both diagrams. Their points, compute and the constants these use (seed bases, strong-unit
threshold, checkpoint readers) are in the proofs layer, :mod:`mtl_theory.proofs.gdln_authors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mtl_theory.proofs import gdln_authors as pga


def by_point(records, keys: Sequence[str]) -> dict[tuple, list]:
    """The records grouped by their values of the parameters ``keys``, in first-seen order."""
    groups: dict[tuple, list] = {}
    for r in records:
        groups.setdefault(tuple(r.params[k] for k in keys), []).append(r)
    return groups


# --------------------------------------------------------------------------- README table


def _setting_label(contexts: int, structures: str) -> str:
    return f"C = {contexts}, {structures}"


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
    for (n_contexts, structures), dataset in pga.CONTEXT_DATASETS.items():
        label = _setting_label(n_contexts, structures)
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
