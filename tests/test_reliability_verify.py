"""``check --verify`` at the edges of the GDLN context model (issue 14, benchmarks/fuzz_verify.py):
each class of false finding or runaway the fuzz found, pinned.

- η = 1e-30: GDLN-14 asked for 1e32 training epochs (a MemoryError building their list) and
  the untrained network's one "single-context" unit was reported as a CONTRADICTION;
- init sd 0.5: far outside the small-weight regime the claims are about, a CONTRADICTION;
- context_scale = 1e-8: GDLN-13's time window Δ ~ 1e9 epochs, integrated for hours.
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from mtl_theory.numerics import gdln as num
from mtl_theory.proofs import gdln_reln as pr
from mtl_theory.theory import gdln as th
from mtl_theory.theory import gdln_reln as gr
from mtl_theory.theory.model import Comparison

from mtl_theory import api

SMALL = {"theory": "gdln", "model": "context", "hidden": [100], "epochs": 500}


def by_statement(result, statement):
    return [c for c in result.verification.comparisons if c.statement == statement]


def test_an_untrained_context_run_is_not_measurable_and_bounded():
    result = api.check({**SMALL, "lr": 1e-30}, verify=True)
    assert not result.contradiction
    assert result.verdict == "not measurable"
    for statement in ("GDLN-8", "GDLN-9", "GDLN-13", "GDLN-14"):
        comps = by_statement(result, statement)
        assert comps and all(not c.measurable for c in comps), statement
    assert "context-blind" in by_statement(result, "GDLN-9")[0].out_of_range
    # τ = 1/(ηP) ~ 4e28 epochs: GDLN-13's window reaches back to epoch 0 before any plateau
    assert "reaches back" in by_statement(result, "GDLN-13")[0].out_of_range
    assert "epochs" in by_statement(result, "GDLN-14")[0].out_of_range


def test_a_context_run_from_tiny_weights_is_on_its_plateau():
    """init sd 1e-30: GDLN-14's reduced flow used to run for many minutes (an absolute
    tolerance frozen at the initial scale, theory.gdln_reln.solve_resolving); once bounded,
    its trained time was 19 % off the flow (float64 rounds the slow modes' updates away)."""
    start = time.monotonic()
    result = api.check({**SMALL, "init_std": 1e-30}, verify=True)
    assert time.monotonic() - start < 30.0
    comps = by_statement(result, "GDLN-13")
    # not measurable either way: on its plateau, or (the degenerate-mode window, 700 epochs
    # at this η) the window reaches back to epoch 0 in a 500-epoch run
    assert comps and all(
        "plateau" in c.out_of_range or "reaches back" in c.out_of_range for c in comps
    )
    assert all(not c.measurable for c in comps)
    g14 = by_statement(result, "GDLN-14")
    assert g14 and all(not c.measurable and "float64" in c.out_of_range for c in g14)
    assert not result.contradiction and result.verdict == "not measurable"


def test_fastest_gating_beyond_its_epoch_cap_is_not_trained():
    task = th.context_task(3, "different")
    comps, measured = pr.fastest_gating_comparisons(task, 200, 2.5e-5, 4e-30, 68268)
    assert len(comps) == 3 and all(not c.measurable for c in comps)
    assert all(math.isnan(row["trained"]) for row in measured["simulated"])
    # what stopped them: 1.5 × the reduced flow's epochs to the threshold is beyond the cap
    assert all(1.5 * row["reduced_flow"] > pr.GDLN14_MAX_EPOCHS for row in measured["simulated"])


def test_large_init_fails_small_init_and_makes_no_finding():
    result = api.check({**SMALL, "init_std": 0.5}, verify=True)
    hyp = {h.id: h for h in result.hypotheses}["small-init"]
    assert not hyp.holds and not result.applies
    assert not result.contradiction
    for statement in ("GDLN-8", "GDLN-9", "GDLN-13", "GDLN-14"):
        assert not by_statement(result, statement), statement
    assert any("small-init fails" in n for n in result.verification.notes)


@pytest.mark.parametrize("hidden", [(100,), (700,), (40, 30)])
def test_expected_initial_output_ratio_matches_sampled_networks(hidden):
    """The derived E‖Ŷ₀‖²/‖Y‖² against the mean over 200 drawn bias-free ReLU networks."""
    task = th.context_task(3, "different")
    std = 0.05
    sizes = [task.X.shape[0], *hidden, task.Y.shape[0]]
    rng = np.random.default_rng(0)
    sq = []
    for _ in range(200):
        h = task.X
        for i, (m, n) in enumerate(itertools.pairwise(sizes)):
            h = rng.normal(0.0, std, (n, m)) @ h
            if i < len(hidden):
                h = np.maximum(h, 0.0)
        sq.append(float(np.sum(h**2)))
    sampled = math.sqrt(np.mean(sq)) / float(np.linalg.norm(task.Y))
    assert gr.expected_initial_output_ratio(task, hidden, std) == pytest.approx(sampled, rel=0.1)


def test_small_init_holds_at_the_authors_init_and_fails_at_large():
    task = th.context_task(3, "different")
    assert gr.small_init_hypothesis(task, (700,), 0.005 / 700).holds
    assert not gr.small_init_hypothesis(task, (100,), 0.5).holds
    assert not gr.small_init_hypothesis(task, (100,), 1e300).holds  # no overflow


def test_unless_learned_keeps_a_learned_run_and_marks_an_untrained_one():
    task = th.context_task(3, "different")
    bar = 0.5 * float(np.sum(th.common_pathway_residual(task) ** 2))
    comp = Comparison.exact("GDLN-9", "count", 0, 1, "exact", route="independent")
    assert pr.unless_learned([comp], task, 0.9 * bar) == [comp]
    (marked,) = pr.unless_learned([comp], task, bar)
    assert not marked.measurable and not marked.disagrees


def test_a_window_spanning_the_run_is_not_integrated_to_its_end():
    result = api.check({**SMALL, "context_scale": 1e-8, "n_seeds": 2}, verify=True)
    comps = by_statement(result, "GDLN-13")
    assert comps and all(not c.measurable and "reaches back" in c.out_of_range for c in comps)
    assert not result.contradiction


def test_the_paper_setting_is_unchanged_by_the_learned_rule():
    """At the paper's flow time the ReLU ends far below ½‖R‖²: GDLN-9 is compared."""
    task = th.context_task(3, "different")
    W = num.init_context_weights([11, 100, 60], 0.005 / 100, [0])
    run = num.train_context_net(task, W, 4e-3, 1000)
    bar = 0.5 * float(np.sum(th.common_pathway_residual(task) ** 2))
    assert float(run.losses[0, -1]) < bar / 2


# --------------------------------------------------------------------------- issue 14, rel-gdln
# fuzz_verify --n 400 --seed 2: every exit 1 of the context model inspected (the note
# benchmarks/reproductions/session-notes/NOTES-rel-gdln.md has the table).


@pytest.mark.parametrize("hidden", [[1], [2], [8]])
def test_a_reln_narrower_than_its_reduced_modes_makes_no_gdln13_finding(hidden):
    """hidden = [1], [2], [8]: 1 unit per ReLN pathway against 8-10 live modes of the reduced
    flow; the trained ReLN (rank 1 per pathway) ended at 26-29 against the reduced 1.3-3.5
    and was reported as a GDLN-13 CONTRADICTION."""
    result = api.check({**SMALL, "hidden": hidden, "epochs": 1000, "lr": 4e-3}, verify=True)
    comps = by_statement(result, "GDLN-13")
    assert comps and all(not c.measurable and "live modes" in c.out_of_range for c in comps)
    assert not result.contradiction


def test_the_width_rule_is_the_reduced_state_rank():
    """pathway_mode_counts against the rank of each pathway's first layer in the full input
    space, rebuilt from a reduced state with every live mode grown (an independent route:
    the state's matrices mapped back through the block input bases)."""
    task = th.context_task(3, "different")
    mnet = th.authors_module_net(3, "authors", 100, 5e-5)
    net = num.module_pathway_network(task, mnet, [0])
    red = gr.reduced_reln(task, net.sets, split=True)
    state = gr.expected_initial_state(red, [1] * red.n_pathways, [1.0] * red.n_pathways)
    W = gr.item_mode_basis(task)
    Pb = gr.block_input_bases(task, red.n_pathways, W)
    for p, count in enumerate(gr.pathway_mode_counts(red)):
        # hidden rows of block α stacked (distinct hidden directions per block), mapped to inputs
        rows = np.concatenate([state.W1[p, a] @ Pb[p, a].T for a in range(red.n_blocks)])
        assert np.linalg.matrix_rank(rows, tol=1e-9 * np.abs(rows).max()) == count
    assert pr.too_narrow(red, net) is None  # 14 units per pathway ≥ 10 and 8 modes


def test_the_reduced_flow_from_tiny_weights_matches_the_plain_solver():
    """solve_resolving against one solve_ivp call with the initial-scale tolerance, where the
    latter is still affordable (init sd 1e-11): the times agree within the solvers' rtol
    1e-8, and from 1e-30 the segmented flow answers in well under a second per gating."""
    from scipy.integrate import solve_ivp

    task = th.context_task(3, "different")
    red = gr.reduced_reln(task, ((0,), (1,), (2,)))
    lr = 4e-3
    tau = th.time_constant(lr, task.n_data)
    state = gr.expected_initial_state(red, [25] * 4, [1e-11] * 4)
    loss0 = 0.5 * float(np.sum((task.Y - gr.reduced_prediction(red, state.W1, state.W2)) ** 2))
    ours = gr.time_to_loss(red, state, lr, 0.01 * loss0, 1e5)
    s1, n1 = state.W1.shape, state.W1.size

    def rhs(_t, y):
        d1, d2 = gr.reduced_rhs(red, y[:n1].reshape(s1), y[n1:].reshape(state.W2.shape))
        return np.concatenate([d1.ravel(), d2.ravel()]) / tau

    def reached(_t, y):
        Yhat = gr.reduced_prediction(red, y[:n1].reshape(s1), y[n1:].reshape(state.W2.shape))
        return 0.5 * float(np.sum((task.Y - Yhat) ** 2)) - 0.01 * loss0

    reached.terminal, reached.direction = True, -1
    y0 = np.concatenate([state.W1.ravel(), state.W2.ravel()])
    plain = solve_ivp(
        rhs,
        (0, 1e5),
        y0,
        method="DOP853",
        rtol=1e-8,
        atol=1e-8 * np.abs(y0).max(),
        events=reached,
    ).t_events[0][0]
    assert abs(ours - plain) <= 1e-8 * 10 * plain  # 10 × rtol: two error-controlled solutions
    tiny = gr.expected_initial_state(red, [25] * 4, [1e-30] * 4)
    assert math.isfinite(gr.time_to_loss(red, tiny, lr, 0.01 * loss0, 1e5))


def test_float64_resolution_rule_flags_tiny_inits_only():
    """smallest_update_ratio: above ε at the authors' init and at 1e-8, below at 1e-30; and
    it scales as the derivation says, √a per mode: × 1e-10 in init sd, × ~1e-10 in ratio."""
    task = th.context_task(3, "different")
    sets = ((0, 1), (0, 2), (1, 2))
    red = gr.reduced_reln(task, sets)
    ratios = {}
    for std in (5e-5, 1e-8, 1e-20, 1e-30):
        net = pr.gating_network(task, sets, 100, std, [68268])
        state = gr.realized_initial_state(red, *pr.pathway_weights(net))
        ratios[std] = gr.smallest_update_ratio(red, state, 4e-3)
    assert ratios[5e-5] > 1e6 * pr.FLOAT64_EPS and ratios[1e-8] > 1e3 * pr.FLOAT64_EPS
    assert ratios[1e-30] < pr.FLOAT64_EPS
    # the same modes in the linear phase: ln ratio is affine in ln std with slope 1 − s_k/s_max
    slope = math.log(ratios[1e-20] / ratios[1e-30]) / math.log(1e10)
    assert 0.9 < slope <= 1.0


def test_one_strong_unit_cannot_show_the_c_minus_1_modules():
    """strong_fraction = 1 keeps only the strongest unit (active in all contexts): GDLN-9's
    existence of (C − 1)-context units is not measurable, the single-context count still is."""
    result = api.check({**SMALL, "epochs": 1000, "lr": 4e-3, "strong_fraction": 1.0}, verify=True)
    assert result.verification.measured["unit_context_counts"] == {"0": 0, "1": 0, "2": 0, "3": 1}
    g9 = {c.quantity: c for c in by_statement(result, "GDLN-9")}
    exist = next(c for q, c in g9.items() if "exist" in q)
    assert not exist.measurable and "fewer than two units" in exist.out_of_range
    single = next(c for q, c in g9.items() if "exactly one" in q)
    assert single.measurable and single.agrees


def test_two_contexts_cannot_tell_single_context_from_mixed_units():
    """C = 2: a unit active in one context is a (C − 1)-context unit, so 'none is
    single-context' and '(C − 1)-context units exist' cannot both hold; the first is not
    measurable (fuzz #380: 3 such units were a CONTRADICTION)."""
    spec = {**SMALL, "epochs": 1000, "lr": 4e-3, "contexts": 2, "structures": "same"}
    result = api.check({**spec, "strong_fraction": 1e-300}, verify=True)
    g9 = {c.quantity: c for c in by_statement(result, "GDLN-9")}
    single = next(c for q, c in g9.items() if "exactly one" in q)
    assert not single.measurable and "C ≥ 3" in single.out_of_range
    assert not any(
        c.statement == "GDLN-9" and c.measurable and not c.agrees and "exactly one" in c.quantity
        for c in result.verification.comparisons
    )


def test_the_residual_identity_tolerance_follows_the_inputs_conditioning():
    """GDLN-D8 (GDLN-10's residual identity) at context_scale = 1e-8: cond(X) ≈ 1e8 and the
    two leading singular values differ by 6.7e-10 (fuzz #307), inside the derived bound and
    outside 1e-12; at the default scale the tolerance stays 1e-12."""
    from mtl_theory.proofs import gdln as pg

    def task_of(**kw):
        spec = {"theory": "gdln", "model": "context", "structures": "same", **kw}
        return pg.context_task_of(api.load_spec(spec).setup)

    tiny = task_of(contexts=8, context_scale=1e-8)
    speed = pg._speed_predictions(tiny)
    gap = abs(speed["residual_single_leading_sv"] - speed["residual_many_leading_sv"])
    tol, reason = pg._residual_rounding(tiny)
    assert 1e-12 < gap <= tol and "cond(X)" in reason
    assert pg._residual_rounding(task_of(contexts=3))[0] == 1e-12
