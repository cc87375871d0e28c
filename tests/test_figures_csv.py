"""Every committed phase-diagram CSV records the arithmetic it was computed in (issue 12, item 5).

``records_csv`` writes a last column ``dtype`` on every row of a new diagram (tested in
tests/test_float32.py); the committed figures/*.csv were computed in float64 before that column
existed and carry it too, so a reader never has to guess which ones are exploratory.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from mtl_theory.numerics.precision import DTYPES
from mtl_theory.numerics.sweep import PointRecord

from mtl_theory.phase_diagrams import records_csv

FIGURES = Path(__file__).resolve().parents[1] / "figures"
CSVS = sorted(FIGURES.glob("*.csv"))


def test_there_are_committed_diagram_csvs():
    assert len(CSVS) >= 10


@pytest.mark.parametrize("path", CSVS, ids=[p.stem for p in CSVS])
def test_committed_csv_records_its_dtype_on_every_row(path):
    with path.open(encoding="utf-8", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    assert header[-1] == "dtype" and header.count("dtype") == 1
    assert rows, f"{path.name} has no data rows"
    assert all(len(r) == len(header) for r in rows)
    dtypes = {r[-1] for r in rows}
    assert len(dtypes) == 1 and dtypes <= set(DTYPES)


def test_the_writer_puts_dtype_where_the_committed_files_have_it():
    text = records_csv([PointRecord("k", {"a": 1}, 5, {"x": 0.5})])
    assert text.splitlines() == ["a,seed,x,dtype", "1,5,0.5,float64"]
