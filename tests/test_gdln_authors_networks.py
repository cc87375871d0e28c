"""The toolkit's networks are the authors' networks (make-haste-slowly b7d6e41).

Reference values: the authors' scripts run unchanged with JAX in float64
(JAX_ENABLE_X64=1; benchmarks/authors_mhs/run_one.sh ... x64), numpy's global state seeded
with 0 before their ``seed = np.random.randint(0, 100000)``, which then draws 68268
(numerics.gdln.authors_init_seed(0)). Their losses/*.txt index e holds the loss after e + 1
updates. Over the full 8001 epochs ours equals theirs to ≤ 3.3e-12 relative
(benchmarks/reproductions/gdln-make-haste-slowly.md);
here 400 updates (past the first plateau escape) keep the test fast. Tolerance 1e-11
relative: the same float64 algorithm, differing only by the order of summation in XLA vs
OpenBLAS (≈ 1e-16 per operation, compounded over the run; measured ≤ 4e-13 at 400 updates).
"""

import itertools

import numpy as np
import pytest
from mtl_theory.numerics import gdln as num
from mtl_theory.theory import gdln as th

SEED = 68268
#: (dataset, model, hidden, loss after 400 updates, file): the authors' x64 runs (`code`)
X64_AFTER_400 = {
    "3_context_diff/relu.py": ("gen_data3-diff", "relu", 700, 71.32194490194502),
    "3_context_diff/gdln.py": ("gen_data3-diff", "authors", 700, 73.32606599032445),
    "3_context_diff/gdln_single.py": ("gen_data3-diff", "modular", 700, 73.32638361972582),
    "diff_context_num/relu4.py": ("diff_context_num-gen_data4", "relu", 500, 90.48842524222441),
    "diff_context_num/gdln4.py": (
        "diff_context_num-gen_data4",
        "authors",
        500,
        90.49662878463045,
    ),
    "diff_context_num/gdln5.py": (
        "diff_context_num-gen_data5",
        "authors",
        600,
        114.96710000081612,
    ),
}


def test_init_seed_is_the_authors_draw():
    assert num.authors_init_seed(0) == SEED


@pytest.mark.parametrize("source", sorted(X64_AFTER_400))
def test_trajectory_equals_authors_float64_run(source):
    dataset, model, hidden, theirs = X64_AFTER_400[source]
    task = th.AUTHORS_DATASETS[dataset].task()
    std = 0.005 / hidden
    if model == "relu":
        sizes = [task.X.shape[0], hidden, task.Y.shape[0]]
        run = num.train_context_net(task, num.init_context_weights(sizes, std, [SEED]), 1e-3, 400)
    else:
        mnet = th.authors_module_net(task.n_contexts, model, hidden, std)
        net = num.module_pathway_network(task, mnet, [SEED])
        run = num.train_pathway_network(task, net, 1e-3, 400)
    assert run.losses[0, 400] == pytest.approx(theirs, rel=1e-11, abs=0)


def test_module_layouts_are_the_authors():
    """gdln.py draws common, a, b, c (single) then d, e, f = {0,1}, {1,2}, {0,2}; gdln4/5.py
    draw common then the (C−1)-sets; 100-unit modules; init sd ratios 2 (C = 3), 1 (C = 4, 5)."""
    std = 0.005 / 700
    net3 = th.authors_module_net(3, "authors", 700, std)
    assert net3.width == 100 and len(net3.modules) == 7 and net3.used == tuple(range(7))
    assert net3.modules[1:] == ((0,), (1,), (2,), (0, 1), (1, 2), (0, 2))
    assert net3.stds == (std,) + (2 * std,) * 6
    single = th.authors_module_net(3, "modular", 700, std)
    assert single.modules == net3.modules and single.used == (0, 1, 2, 3)
    net4 = th.authors_module_net(4, "authors", 500, 0.005 / 500)
    assert net4.width == 100 and net4.modules[1:] == ((0, 1, 2), (1, 2, 3), (0, 2, 3), (0, 1, 3))
    assert set(net4.stds) == {0.005 / 500}
    net5 = th.authors_module_net(5, "authors", 600, 0.005 / 600)
    assert net5.width == 100 and len(net5.modules) == 6
    assert net5.modules[1:] == th.authors_mixed_sets(5)
    assert net5.modules[3] == (0, 2, 3, 4)


def test_module_network_draws_every_module_and_uses_some():
    """The modular network keeps the stream of all seven drawn modules: its pathways equal
    the corresponding blocks of the seven-module draw."""
    task = th.AUTHORS_DATASETS["gen_data3-diff"].task()
    std = 0.005 / 700
    full = num.module_pathway_network(task, th.authors_module_net(3, "authors", 700, std), [1])
    single = num.module_pathway_network(task, th.authors_module_net(3, "modular", 700, std), [1])
    assert np.array_equal(full.common[0], single.common[0])
    assert np.array_equal(full.context[1][:, :, :300], single.context[1])
    assert np.all(single.context[0][:, :, 8:] == 0.0)  # item-only input


def _tiny_depth_net(**kw) -> th.DepthNet:
    base = dict(width=2, n_modules=3, n_common=2, context_sets=((0, 1),), lr=1e-2)
    return th.DepthNet(**(base | kw))


def _depth_losses(task, net, W):
    """Common loss and context loss (common output held fixed) of depth/gdln_off.py."""
    cw = net.n_common * net.width
    G = num.depth_net_gates(task, net)
    h2 = W[1] @ (W[0] @ task.X)
    yc = W[2][:, :cw] @ h2[:cw]
    yx = W[2][:, cw:] @ (h2[cw:] * G)
    return yc, yx


def test_depth_update_is_the_split_loss_gradient():
    """After the switch epoch an update is −η(∇L_common + ∇L_context|ŷ_common fixed): checked
    by central differences (h = 1e-6, O(h²) ≈ 1e-12 error) on a tiny net (2 contexts)."""
    task = th.context_task(2, "same", 2)
    net = _tiny_depth_net(start_epoch=0, switch_epoch=0)
    W = num.init_depth_net(net, task.X.shape[0], task.Y.shape[0], [5])
    W = [w * 40 for w in W]  # O(0.1) weights: gradients well above rounding
    W1 = num.train_depth_net(task, net, W, 1).weights
    yc0, _ = _depth_losses(task, net, [w[0] for w in W])

    def split_loss(ws):
        yc, yx = _depth_losses(task, net, ws)
        return 0.5 * np.sum((yc - task.Y) ** 2) + 0.5 * np.sum((yx - (task.Y - yc0)) ** 2)

    for layer in range(3):
        w = [x[0].copy() for x in W]
        grad = np.zeros_like(w[layer])
        for idx in itertools.product(*map(range, grad.shape)):
            for sign in (1, -1):
                ws = [x.copy() for x in w]
                ws[layer][idx] += sign * 1e-6
                grad[idx] += sign * split_loss(ws) / 2e-6
        step = (W[layer][0] - W1[layer][0]) / net.lr
        assert np.allclose(step, grad, rtol=1e-6, atol=1e-9)


def test_depth_schedule_idle_then_common_only():
    """No update before start_epoch; until switch_epoch the context output columns never move
    and the loss seen is the total (common + untrained context) loss."""
    task = th.context_task(2, "same", 2)
    net = _tiny_depth_net(start_epoch=3, switch_epoch=6)
    W = num.init_depth_net(net, task.X.shape[0], task.Y.shape[0], [2])
    idle = num.train_depth_net(task, net, W, 3)
    assert all(np.array_equal(a, b) for a, b in zip(idle.weights, W, strict=True))
    assert np.all(idle.losses == idle.losses[:, :1])
    common = num.train_depth_net(task, net, W, 6)
    cw = net.n_common * net.width
    assert np.array_equal(common.weights[2][:, :, cw:], W[2][:, :, cw:])
    assert not np.array_equal(common.weights[2][:, :, :cw], W[2][:, :, :cw])
    after = num.train_depth_net(task, net, W, 7)
    assert not np.array_equal(after.weights[2][:, :, cw:], W[2][:, :, cw:])


def _fake_runs(ref, value_of):
    """ContextRun stand-ins whose loss after k updates is value_of(k) (one seed)."""
    E = max(ref.losses)
    losses = np.full((1, E + 1), np.nan)
    for k in ref.losses:
        losses[0, k] = value_of(k)
    return num.ContextRun(losses, (), (), (), None)


def test_authors_run_comparisons_accept_their_run_and_reject_a_shifted_one():
    """GDLN-12 on the 3-context example: a run equal to their float64 run agrees; one 20 %
    above their largest run at every checkpoint does not (the spread is < 20 % there)."""
    from mtl_theory.proofs import gdln as proofs
    from mtl_theory.theory import gdln_authors as ga

    setup = th.ContextSetup(hidden=(700,), contexts=3, structures="different")
    task = proofs.context_task_of(setup)
    refs = ga.runs_for(task, setup.hidden, setup.init_std, setup.lr)
    assert set(refs) == {"relu", "reln", "modular"}
    seeds = proofs.context_init_seeds(0, 1)
    good = {m: _fake_runs(r, lambda k, r=r: r.x64_first[k]) for m, r in refs.items()}
    comps, side, _ = proofs.authors_run_comparisons(setup, task, good, seeds, 8000, False)
    assert len(comps) == 3 * 4 * 2 and all(c.agrees for c in comps)
    assert side["relu"]["8000"]["authors_first_float64"] == refs["relu"].x64_first[8000]
    bad = {m: _fake_runs(r, lambda k, r=r: 1.2 * max(r.losses[k])) for m, r in refs.items()}
    comps, _, _ = proofs.authors_run_comparisons(setup, task, bad, seeds, 8000, False)
    assert not any(c.agrees for c in comps)
    skipped, _, notes = proofs.authors_run_comparisons(setup, task, good, seeds, 8000, True)
    assert skipped == [] and "--quick" in notes[0]


def test_init_seeds_accept_the_sweep_engines_64_bit_point_seeds():
    """Phase-diagram points carry 64-bit seeds; the authors' legacy stream takes 32 bits."""
    from mtl_theory.proofs.gdln import context_init_seeds

    assert context_init_seeds(0, 2) == [68268, 98539]  # their seed bases 0 and 1
    big = context_init_seeds(2**63 + 12345, 3)
    assert len(big) == 3 and all(0 <= s < 100000 for s in big)
