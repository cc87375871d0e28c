"""GDLN-13 / GDLN-14: the block-reduced ReLN and the gating enumeration (theory/gdln_reln.py).

The reduction must be exact where its hypothesis holds (same structure in every context,
aligned weights: the full network's GD equals the reduced GD to rounding) and measurably off
where it does not (different structures); the rank test must give the known answers on
hand-built gatings.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from budget import share
from hypothesis import given, settings
from hypothesis import strategies as st
from mtl_theory.numerics import gdln as num
from mtl_theory.theory import gdln as th
from mtl_theory.theory import gdln_reln as gr


def aligned_network(red: gr.ReducedReln, state: gr.ReducedState) -> num.PathwayNetwork:
    """A full module ReLN whose hidden units are assigned to the reduced blocks: unit
    (α, j) of pathway p carries mode j of block α (W₁ row = W1[p, α, j] Pᵀ, W₂ column =
    U_α W2[p, α, :, j]). Its weights are the reduced state, embedded."""
    task = red.task
    K1, n, _, k = state.W2.shape
    Pb = gr.block_input_bases(task, K1, gr.item_mode_basis(task))
    w = n * k
    W1 = np.zeros((K1, w, task.X.shape[0]))
    W2 = np.zeros((K1, task.Y.shape[0], w))
    for p, a, j in itertools.product(range(K1), range(n), range(k)):
        W1[p, a * k + j] = state.W1[p, a, j] @ Pb[p, a].T
        W2[p, :, a * k + j] = red.U[a] @ state.W2[p, a, :, j]
    owner = np.repeat(np.arange(K1 - 1), w)
    member = np.array([[c in A for c in range(task.n_contexts)] for A in red.sets])
    gate = member[owner][:, task.context_of].astype(float)
    item_only = np.zeros((w * (K1 - 1), task.X.shape[0]))
    item_only[:, : task.n_items] = 1.0
    return num.PathwayNetwork(
        red.sets,
        w,
        (W1[:1], W2[:1]),
        (np.concatenate(W1[1:])[None] * item_only, np.concatenate(W2[1:], axis=1)[None]),
        (np.ones((1, w, task.n_data)),),
        (gate[None],),
        (item_only, None),
    )


def _aligned_runs(task, sets, lr=4e-3, epochs=600, a0=1e-4):
    red = gr.reduced_reln(task, sets)
    state = gr.expected_initial_state(red, [1] * red.n_pathways, [np.sqrt(2 * a0)] * red.n_pathways)
    net = aligned_network(red, state)
    full = num.train_pathway_network(task, net, lr, epochs).losses[0]
    reduced = gr.reduced_gradient_descent(red, state, lr, range(epochs + 1))
    return red, state, full, reduced


def test_alignment_defect_is_zero_for_same_structures_and_large_for_different():
    for C in (2, 3, 4, 5):
        d = gr.alignment_defect(th.context_task(C, "same"))
        assert d.value < 1e-12
        assert gr.alignment_hypothesis(th.context_task(C, "same")).holds
    d = gr.alignment_defect(th.context_task(3, "different"))
    # the ring's Gram does not commute with the hierarchy's (measured: 0.157 and 0.703)
    assert 0.15 < d.gram_offdiag < 0.17
    assert 0.69 < d.subspace_overlap < 0.72
    assert not gr.alignment_hypothesis(th.context_task(3, "different")).holds


def test_reduction_is_exact_for_aligned_weights_when_the_hypothesis_holds():
    task = th.context_task(3, "same")
    _, _, full, reduced = _aligned_runs(task, gr.authors_gating(3))
    # same GD map, block-diagonal: rounding only (600 epochs of float64 sums)
    assert np.max(np.abs(full - reduced) / full) < 1e-9
    assert full[-1] < 0.5 * full[0]  # it has learned something: not a vacuous equality


def test_reduction_is_measurably_off_when_the_hypothesis_fails():
    task = th.context_task(3, "different")
    _, _, full, reduced = _aligned_runs(task, gr.authors_gating(3))
    assert full[0] == pytest.approx(reduced[0], rel=1e-9)  # same start
    assert np.max(np.abs(full - reduced) / full) > 1e-3


def test_reduced_flow_vs_gd_gap_is_first_order_in_eta():
    task = th.context_task(3, "same")
    red = gr.reduced_reln(task, gr.imitating_gating(3))
    state = gr.expected_initial_state(red, [1] * 4, [np.sqrt(2e-4)] * 4)
    t_flow = 300.0  # in epochs at lr = 4e-3; the same flow time at lr/2 is 600 epochs
    errs = []
    for lr, k in ((4e-3, 300), (2e-3, 600)):
        flow = gr.integrate_reduced(red, state, lr, [0.0, float(k)]).loss[1]
        gd = gr.reduced_gradient_descent(red, state, lr, [k])[0]
        errs.append(abs(gd - flow))
    assert t_flow == 300.0
    ratio = errs[1] / errs[0]
    assert 0.4 < ratio < 0.6  # halving η halves the gap


def test_realized_init_of_a_balanced_aligned_network_is_recovered():
    # a network already balanced and aligned on the modes: a_k = ¼‖x + y‖² = ¼(2√a)² = a
    task = th.context_task(3, "same")
    red = gr.reduced_reln(task, gr.imitating_gating(3))
    state = gr.expected_initial_state(red, [1] * 4, [np.sqrt(2e-4)] * 4)
    net = aligned_network(red, state)
    from mtl_theory.proofs.gdln_reln import pathway_weights

    W1s, W2s = pathway_weights(net)
    again = gr.realized_initial_state(red, W1s, W2s)
    M0 = state.W2 @ state.W1
    M1 = again.W2 @ again.W1
    assert np.allclose(M0, M1, rtol=1e-10, atol=1e-15)


# --------------------------------------------------------------------------- rank test


@pytest.mark.parametrize(
    ("C", "sets", "split", "holds"),
    [
        (2, ((0,), (1,)), True, True),
        (2, ((0,),), True, False),  # the common fit leaves ±H/2 in both contexts
        (2, ((0,),), False, True),  # total loss: common [H; 0; H] + pathway [0; H; −H]
        (3, (), True, False),
        (3, (), False, False),
        (3, ((0,), (1,), (2,)), True, True),  # modular
        (3, ((0, 1), (0, 2), (1, 2)), True, True),  # J − I is invertible
        (3, ((0, 1, 2),), True, False),  # an item-only copy of the common pathway
        (3, ((0, 1),), True, False),
        (4, gr.level_sets(4, (3,)), True, True),
        (5, gr.level_sets(5, (4,)), True, True),
        (4, gr.level_sets(4, (2,)), True, True),
    ],
)
def test_rank_test_known_answers(C, sets, split, holds):
    assert gr.zero_loss_rank_test(th.context_task(C, "same"), sets, split).holds is holds


@settings(max_examples=share(0.5), deadline=None)
@given(
    C=st.integers(2, 4),
    data=st.data(),
    split=st.booleans(),
)
def test_rank_test_is_monotone_in_the_gating(C, data, split):
    """Adding a pathway never removes an expressible prediction."""
    subs = gr.nonempty_proper_subsets(C)
    base = data.draw(st.lists(st.sampled_from(subs), unique=True, max_size=len(subs)))
    extra = data.draw(st.sampled_from(subs))
    task = th.context_task(C, "same")
    small = gr.zero_loss_rank_test(task, base, split)
    big = gr.zero_loss_rank_test(task, [*base, extra], split)
    assert big.residual <= small.residual + 1e-12
    if small.holds:
        assert big.holds


def test_rank_test_discards_exactly_the_gatings_that_plateau():
    """The reduced split-loss flow of a gating the rank test rejects stays above zero loss;
    one it accepts goes far below (C = 2: the single-context gatings)."""
    task = th.context_task(2, "same")
    ends = {}
    for sets in (((0,),), ((0,), (1,))):
        red = gr.reduced_reln(task, sets)
        state = gr.expected_initial_state(red, [100] * red.n_pathways, [1e-3] * red.n_pathways)
        ends[sets] = gr.integrate_reduced(red, state, 1e-3, [0.0, 40000.0]).loss[1]
    # the rejected gating plateaus at the loss the rank test leaves: ½ (residual ‖Y‖)²
    plateau = 0.5 * (gr.zero_loss_rank_test(task, ((0,),)).residual * np.linalg.norm(task.Y)) ** 2
    assert plateau == pytest.approx(4.25, rel=1e-9)
    assert ends[((0,),)] == pytest.approx(plateau, rel=1e-4)
    assert ends[((0,), (1,))] < 1e-4


# --------------------------------------------------------------------------- enumeration


def test_candidate_gatings_counts():
    assert len(gr.candidate_gatings(3, "all")) == 2**6 - 1
    assert len(gr.candidate_gatings(5, "levels")) == 2**4 - 1
    with pytest.raises(ValueError, match="restrict"):
        gr.candidate_gatings(3, "orbits")


def test_the_imitating_gating_is_the_unique_fastest_level_gating_for_c3():
    res = gr.fastest_gating(th.context_task(3, "same"), "levels")
    assert res.imitating_is_fastest and res.unique
    assert res.rank_of(res.authors) == 1  # the authors' gdln.py set (singles + pairs) is next
    assert res.ranked[-1].sets == gr.level_sets(3, (1,))  # modular last
