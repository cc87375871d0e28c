"""The authors-scale GDLN phase diagrams (issue 9, part 4): first point computes and renders.

The full points train 8000 / 30000 updates; here the first point of each diagram runs at a
reduced size (the ``updates`` knob of its compute function) and is checked against the
authors' saved number at their first checkpoint, then rendered and written as CSV.
"""

from __future__ import annotations

import csv
import io

import pytest
from mtl_theory.numerics.sweep import PointRecord, point_key
from mtl_theory.proofs import gdln_authors as pga
from mtl_theory.theory import gdln_authors as ga

from mtl_theory.families import gdln_authors_common as gcom
from mtl_theory.families import gdln_authors_contexts as gac
from mtl_theory.families import gdln_authors_depth as gad
from mtl_theory.families.gdln import FAMILY
from mtl_theory.phase_diagrams import records_csv
from mtl_theory.plotting import new_figure

#: Reduced size: the authors' first checkpoint is 1000 updates in both diagrams.
UPDATES = 1000

#: Ours (float64) vs their float32 run of the same init after 1000 updates: measured ≤ 2.4e-7
#: relative (benchmarks/reproductions/gdln-make-haste-slowly.md, same-seed column); 1e-5
#: leaves room for float32 rounding at losses near 50–100 (ε₃₂ · 100 ≈ 1e-5 absolute).
REL_TOL = 1e-5


def _record(diagram, params):
    p = dict(params, updates=UPDATES)
    return PointRecord(point_key(p), p, 0, diagram.compute(p, 0))


def _csv_header(records) -> list[str]:
    return next(csv.reader(io.StringIO(records_csv(records))))


def test_diagrams_registered_in_the_gdln_family():
    names = {d.name for d in FAMILY.diagrams}
    assert {"gdln-authors-contexts", "gdln-authors-depth"} <= names
    assert len(pga.contexts_points()) == len(pga.CONTEXT_DATASETS) * 5
    assert len(pga.depth_points()) == len(pga.DEPTH_NETWORKS) * len(pga.DEPTH_SEED_BASES)
    assert {p["seed_base"] for p in pga.depth_points()} == set(pga.DEPTH_SEED_BASES)
    assert len(pga.DEPTH_SEED_BASES) >= 3


@pytest.mark.parametrize("diagram", (gac.DIAGRAM, gad.DIAGRAM), ids=lambda d: d.name)
def test_first_point_computes_matches_the_authors_and_renders(diagram):
    params = diagram.points()[0]
    rec = _record(diagram, params)
    r = rec.result
    if diagram is gac.DIAGRAM:
        pairs = [(r["relu_at"][0], r["code_relu"][0]), (r["reln_at"][0], r["code_reln"][0])]
        pairs.append((r["closed_form_at"][0], r["code_closed_form"][0]))
        assert r["relu_at"][1:] == [None] * (len(r["checkpoints"]) - 1)  # beyond the run
        assert sum(r["ours_unit_counts"]) > 0
        code_cols = {"code_relu", "code_reln", "code_modular", "code_closed_form"}
    else:
        pairs = [(r["loss_at"][0], r["code_loss"][0])]
        code_cols = {"code_loss"}
    for ours, theirs in pairs:
        assert ours == pytest.approx(theirs, rel=REL_TOL)
    assert code_cols <= set(_csv_header([rec]))
    fig = new_figure()
    diagram.render([rec], fig)
    assert fig.axes


def test_code_columns_are_the_authors_saved_numbers_of_that_init():
    rec = _record(gac.DIAGRAM, {"contexts": 4, "structures": "same", "seed_base": 2})
    run = next(
        r for r in ga.AUTHORS_RUNS if r.source == "diff_context_num/relu4.py" and r.model == "relu"
    )
    assert rec.result["init_seed"] == run.init_seeds[2]
    assert rec.result["code_relu"] == [run.losses[k][2] for k in rec.result["checkpoints"]]
    assert rec.result["code_modular"] is None  # no modular script of theirs for C = 4
    assert rec.result["relu_at"][0] == pytest.approx(rec.result["code_relu"][0], rel=REL_TOL)


def test_depth_modular_variant_gates_one_context_module_per_datapoint():
    """Ours: gdln_off.py's layout and init with the output modules on single contexts."""
    from mtl_theory.numerics import gdln as num
    from mtl_theory.theory import gdln as th

    task = th.AUTHORS_DATASETS["gen_data3-same"].task()
    w = th.DepthNet().width
    on_theirs = num.depth_net_gates(task, th.DepthNet()).sum(axis=0) / w
    on_ours = num.depth_net_gates(task, pga.DEPTH_MODULAR).sum(axis=0) / w
    assert set(on_theirs) == {2.0} and set(on_ours) == {1.0}
    modular = pga.depth_compute({"network": "modular", "seed_base": 1, "updates": 50}, 0)
    assert modular["init_seed"] == 1 and modular["code_loss"] is None
    with pytest.raises(ValueError, match="network"):
        pga.depth_compute({"network": "bogus", "seed_base": 0}, 0)


def _csv_results(name: str) -> list[dict]:
    """A committed diagram CSV's rows with its JSON cells decoded (empty cell = None)."""
    import csv
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "figures" / f"{name}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            {
                k: json.loads(v) if v.startswith(("[", "{")) else (None if v == "" else v)
                for k, v in row.items()
            }
            for row in csv.DictReader(fh)
        ]


def test_readme_side_by_side_table_is_what_the_committed_csvs_say():
    from pathlib import Path

    table = gcom.side_by_side_markdown(
        _csv_results("gdln-authors-contexts"), _csv_results("gdln-authors-depth")
    )
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    indented = "\n".join("  " + line for line in table.splitlines())
    assert indented in readme
    assert table.count("\n") == 1 + 13 + 2  # header, rule, 13 context rows, 2 depth rows
