"""The context-task data equal the authors' arrays bit for bit (make-haste-slowly b7d6e41).

tests/data/make_haste_slowly_b7d6e41_data.npz holds the X, Y arrays returned by the authors'
generators (3_context_diff/, diff_context_num/ and depth/ gen_data.py), produced by
benchmarks/authors_mhs/dump_data.py (commands in tests/data/README.md). Their code is not
committed; only these arrays are.
"""

from pathlib import Path

import numpy as np
import pytest
from mtl_theory.theory import gdln as th

DATA = Path(__file__).parent / "data" / "make_haste_slowly_b7d6e41_data.npz"

#: array name in the .npz -> key of th.AUTHORS_DATASETS
CASES = {
    "3_context_diff-gen_data3-diff": "gen_data3-diff",
    "3_context_diff-gen_data3-same": "gen_data3-same",
    "diff_context_num-gen_data3-same": "gen_data3-same",
    "depth-gen_data3": "gen_data3-same",
    "3_context_diff-gen_data4": "gen_data4",
    "3_context_diff-gen_data5": "gen_data5",
    "diff_context_num-gen_data4": "diff_context_num-gen_data4",
    "diff_context_num-gen_data5": "diff_context_num-gen_data5",
}


@pytest.fixture(scope="module")
def authors():
    with np.load(DATA) as f:
        return {k: f[k] for k in f.files}


@pytest.mark.parametrize("name", sorted(CASES))
def test_context_task_equals_authors_arrays_bit_for_bit(authors, name):
    task = th.AUTHORS_DATASETS[CASES[name]].task()
    X, Y = authors[f"{name}-X"], authors[f"{name}-Y"]
    assert task.X.dtype == X.dtype == np.float64
    # exact equality, including the bits of 0.33 / 0.66 and of the 1.1 / 1.35 context scale
    assert task.X.shape == X.shape and task.X.tobytes() == X.tobytes()
    assert task.Y.shape == Y.shape and task.Y.tobytes() == Y.tobytes()


def test_ring_rows_as_in_the_authors_code(authors):
    """gen_ring: ones, the eight shifts of the profile, then shifts 0-5 again (rows 9-14 =
    rows 1-6). The toolkit's earlier ring (shifts 0-6 twice) differed in rows 8-14, which
    are Y rows 38-44 of the 3-context different-structures task."""
    ring = authors["3_context_diff-gen_data3-diff-Y"][30:45, 8:16]
    assert np.array_equal(ring, th.ring_features())
    assert np.array_equal(ring[9:15], ring[1:7])
    assert not np.array_equal(ring[8], ring[1])
    assert np.array_equal(ring[8], np.roll(ring[1], 1))
    # a few entries checked by hand against gen_data.py's literal rows
    assert ring[0].tolist() == [1.0] * 8
    assert ring[1].tolist() == [0.0, 0.33, 0.66, 1.0, 1.0, 0.66, 0.33, 0.0]
    assert ring[8].tolist() == [0.0, 0.0, 0.33, 0.66, 1.0, 1.0, 0.66, 0.33]


def test_context_scales_of_diff_context_num(authors):
    X4 = authors["diff_context_num-gen_data4-X"]
    X5 = authors["diff_context_num-gen_data5-X"]
    assert set(np.unique(X4[8:])) == {0.0, 1.1}
    assert set(np.unique(X5[8:])) == {0.0, 1.35}
    assert set(np.unique(authors["3_context_diff-gen_data4-X"][8:])) == {0.0, 1.0}
