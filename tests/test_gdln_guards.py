"""GDLN measurements that claims rest on, on hand-built cases with exact known answers.

GDLN-9 ("no strong unit is single-context") is judged on the context sets read off hidden
ReLU activity and on which units count as strong (issue 8, item 6).
"""

from __future__ import annotations

import numpy as np
from mtl_theory.numerics import gdln as num
from mtl_theory.theory import gdln as th

# 2 items x 3 contexts, context-major columns (as context_task orders them)
CONTEXT_OF = np.repeat(np.arange(3), 2)

# one seed, five hidden units; columns: (c0 i0, c0 i1, c1 i0, c1 i1, c2 i0, c2 i1)
HIDDEN = np.array(
    [
        [
            [0.5, 0.1, 0.2, 0.3, 0.4, 0.6],  # active everywhere: contexts {0, 1, 2}
            [0.0, 0.7, 0.0, 0.2, 0.0, 0.0],  # one item each in contexts 0 and 1: {0, 1}
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.9],  # a single item of context 2: {2}
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # silent (a ReLU output is 0, never negative)
            [1e-3, 0.0, 0.0, 0.0, 0.0, 0.0],  # weakly on, once: {0}
        ]
    ]
)


def test_context_sets_of_hand_built_activity():
    """Active in a context = h > 0 on at least one of its items; h = 0 is inactive."""
    sets = num.unit_context_sets(HIDDEN, CONTEXT_OF, 3)
    expected = [
        [True, True, True],
        [True, True, False],
        [False, False, True],
        [False, False, False],
        [True, False, False],
    ]
    np.testing.assert_array_equal(sets[0], expected)


def test_counts_by_number_of_active_contexts():
    """Counts over k = 0..3 active contexts: silent 1; single-context 2 (units 2 and 4);
    two contexts 1; all three 1. Restricted to strong units 0-2: (0, 1, 1, 1)."""
    sets = num.unit_context_sets(HIDDEN, CONTEXT_OF, 3)
    every = np.ones((1, 5), dtype=bool)
    np.testing.assert_array_equal(num.count_by_active_contexts(sets, every, 3), [[1, 2, 1, 1]])
    strong = np.array([[True, True, True, False, False]])
    np.testing.assert_array_equal(num.count_by_active_contexts(sets, strong, 3), [[0, 1, 1, 1]])


def test_strong_units_by_output_contribution():
    """Strength = ||W_out[:, u]|| x max_mu h_u(mu). With output-weight norms (1, 2, 1, 5, 1e3):
    0.6, 1.4, 0.9, 0, 1 (1e-3 x 1e3); strong at 10 %: all but the silent unit 3."""
    w_out = np.zeros((1, 2, 5))
    w_out[0, 0] = [1.0, 2.0, 1.0, 5.0, 1e3]
    strength = num.unit_strength(HIDDEN, w_out)
    np.testing.assert_allclose(strength, [[0.6, 1.4, 0.9, 0.0, 1.0]], rtol=1e-12)
    np.testing.assert_array_equal(
        num.strong_units(strength, 0.1), [[True, True, True, False, True]]
    )
    np.testing.assert_array_equal(
        num.strong_units(strength, 0.5), [[False, True, True, False, True]]
    )


def test_relu_unit_counts_end_to_end_on_a_hand_built_run():
    """The counts GDLN-9 is judged on, from a hand-built trained ReLU (one hidden layer)."""
    task = th.context_task(3, "same", n_items=2)
    assert np.array_equal(task.context_of, CONTEXT_OF)
    w_out = np.zeros((1, task.Y.shape[0], 5))
    w_out[0, 0] = [1.0, 2.0, 1.0, 5.0, 1e3]
    run = num.ContextRun(
        losses=np.zeros((1, 1)),
        hidden=(HIDDEN,),
        weights0=(np.zeros((1, 5, task.X.shape[0])), w_out),
        weights=(np.zeros((1, 5, task.X.shape[0])), w_out),
        diverged_at=None,
    )
    sets, keeps, counts = num.relu_unit_counts(task, run, 0.1)
    # strong: units 0, 1, 2, 4 -> active in 3, 2, 1, 1 contexts
    np.testing.assert_array_equal(counts, [[0, 2, 1, 1]])
    np.testing.assert_array_equal(keeps[0], [[True, True, True, False, True]])
    np.testing.assert_array_equal(sets[0], num.unit_context_sets(HIDDEN, CONTEXT_OF, 3))
