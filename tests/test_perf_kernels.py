"""The fast kernels equal the reference implementations they replaced (issue 12, items 2-3).

Correctness only, never timing (timings are in benchmarks/bench_wta_exhaustive.py and
benchmarks/bench_gdln.py).

* WTA: the fused two-module exhaustive kernel (:func:`numerics.wta.exhaustive_search`)
  reports exactly the counts, argmin, counterexample and zero-loss sample of the batched
  normal-equation route it replaced (``_exhaustive_search_reference``), on random setups
  including held-out points, equal and unequal modules, degenerate integer targets with many
  tied zero-loss codes, and modules of 2, 3 and 4 units (Schur complements of size 1, 2, 3).
  The minimum loss agrees to the zero-loss tolerance (the two routes round differently).
* GDLN: the one-hidden-layer training kernels give losses, final weights and hidden
  activities equal bit for bit (``np.array_equal``) to the reference loops for every network
  type the context experiment trains: ReLU, the authors' ReLN and modular GDLN (split loss),
  and the gated nets with per-seed gates and item-only input masks ("relu-gates").
* The context experiment's three trainings run side by side in threads
  (``run_context_experiment(..., workers=3)``) give a serial run's numbers bit for bit.
* EVIDENCE: the in-place and blocked encoder, decision-step states, protocol trials, Adam and
  the stacked decoder fit (``encode``, ``encode_in_blocks``, ``Adam``, ``fit_adam_decoder``,
  ``rnn_states``, ``evidence_samples``) equal the allocating code they replaced bit for bit.
"""

from __future__ import annotations

import dataclasses
import os
import threading

import numpy as np
import pytest
from budget import share
from hypothesis import example, given, settings
from hypothesis import strategies as st
from mtl_theory.numerics import blas
from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import evidence_protocol as npr
from mtl_theory.numerics import gdln as num
from mtl_theory.numerics import wta as nw
from mtl_theory.numerics.blas import run_forked, single_blas_thread
from mtl_theory.theory import evidence as te
from mtl_theory.theory import gdln as th
from mtl_theory.theory import wta as tw
from reference_kernels import TextbookAdam, two_array_adam_decoder_fit

# ------------------------------------------------------------------------------ WTA


def _same_result(a: nw.ExhaustiveResult, b: nw.ExhaustiveResult) -> None:
    assert a.n_codes == b.n_codes
    assert a.zero_loss_codes == b.zero_loss_codes
    assert a.symbolic_zero_loss_codes == b.symbolic_zero_loss_codes
    assert a.complete_symbolic_zero_loss_codes == b.complete_symbolic_zero_loss_codes
    assert a.dead_unit_zero_loss_codes == b.dead_unit_zero_loss_codes
    assert a.argmin_code == b.argmin_code
    assert a.counterexample == b.counterexample
    assert a.zero_loss_sample == b.zero_loss_sample
    assert a.zero_loss_tolerance == b.zero_loss_tolerance
    # both are float64 evaluations of the same rational minimum; ZERO_LOSS_RTOL bounds the
    # round-off of either (see numerics.wta)
    assert abs(a.min_loss - b.min_loss) <= a.zero_loss_tolerance


@st.composite
def two_module_setups(draw):
    k = draw(st.integers(1, 3))
    factors = tuple(draw(st.lists(st.integers(2, 3), min_size=k, max_size=k)))
    n_points = int(np.prod(factors))
    modules = (draw(st.integers(2, 4)), draw(st.integers(2, 4)))
    if draw(st.booleans()):
        modules = (modules[0], modules[0])  # equal modules: the unordered-pair route
    while nw.count_codes(n_points, modules) > 40_000:  # keep the reference route fast
        factors = factors[:-1] if len(factors) > 1 else (2,)
        n_points = int(np.prod(factors))
    kinds = ["factor-onehot", "sum", "integers", "gaussian"] + (["xor"] if len(factors) > 1 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "integers":  # coarse targets: many zero-loss codes and exact ties
        n_tasks = draw(st.integers(1, 3))
        targets = tuple(
            tuple(
                float(v)
                for v in draw(st.lists(st.integers(0, 2), min_size=n_points, max_size=n_points))
            )
            for _ in range(n_tasks)
        )
    elif kind == "gaussian":
        seed = draw(st.integers(0, 2**32 - 1))
        rng = np.random.Generator(np.random.PCG64(seed))
        targets = tuple(tuple(row) for row in rng.standard_normal((2, n_points)).tolist())
    else:
        targets = tw.make_targets(factors, kind)
    holdout = tuple(
        sorted(draw(st.sets(st.integers(0, n_points - 1), max_size=min(2, n_points - 2))))
    )
    return tw.WTASetup(factors, modules, targets, holdout)


@settings(max_examples=share(0.5))
@given(two_module_setups())
@example(tw.WTASetup((2, 2), (2, 2), tw.make_targets((2, 2), "sum")))  # 8 zero-loss codes
@example(tw.WTASetup((2, 3), (3, 3), tw.make_targets((2, 3), "factor-onehot")))
@example(tw.WTASetup((2, 3), (4, 4), tw.make_targets((2, 3), "sum")))  # 3 x 3 Schur, ties
@example(tw.WTASetup((2, 2), (3, 2), tw.make_targets((2, 2), "factor-onehot")))  # unequal
@example(tw.WTASetup((2, 2), (2, 2), ((0.0, 0.0, 0.0, 0.0),)))  # every code has zero loss
@example(tw.WTASetup((3, 2), (2, 3), tw.make_targets((3, 2), "xor"), (1,)))
def test_fused_exhaustive_kernel_equals_reference(setup):
    _same_result(nw.exhaustive_search(setup), nw._exhaustive_search_reference(setup))


def test_fused_kernel_tiles_do_not_change_the_result(monkeypatch):
    # tiles smaller than the partition count: diagonal tiles, skipped lower tiles, and ties
    # across tiles (the argmin rule keeps the first code in enumeration order)
    setup = tw.WTASetup((2, 3), (3, 3), tw.make_targets((2, 3), "sum"))
    whole = nw.exhaustive_search(setup)
    monkeypatch.setattr(nw, "FUSED_TILE", 7)
    _same_result(nw.exhaustive_search(setup), whole)
    _same_result(whole, nw._exhaustive_search_reference(setup))


def test_fused_kernel_on_the_paper_size_grid():
    # (3, 3) factors, (3, 3) modules: 10,764,961 codes; the two symbolic codes (one and its
    # module swap) are the only zero-loss ones (THEORY.md 1.5)
    setup = tw.WTASetup((3, 3), (3, 3), tw.make_targets((3, 3), "factor-onehot"))
    r = nw.exhaustive_search(setup)
    assert (r.n_codes, r.zero_loss_codes, r.symbolic_zero_loss_codes) == (10_764_961, 2, 2)
    assert r.complete_symbolic_zero_loss_codes == 2 and r.counterexample is None
    assert r.argmin_code == ((0, 0, 0, 1, 1, 1, 2, 2, 2), (0, 1, 2, 0, 1, 2, 0, 1, 2))
    assert [c for c, _, _ in r.zero_loss_sample] == [r.argmin_code, r.argmin_code[::-1]]


# ------------------------------------------------------------------------------ GDLN

EPOCHS = 300


def _same_run(a: num.ContextRun, b: num.ContextRun) -> None:
    assert np.array_equal(a.losses, b.losses, equal_nan=True)
    assert a.diverged_at == b.diverged_at
    for x, y in zip(a.weights, b.weights, strict=True):
        assert np.array_equal(x, y)
    for x, y in zip(a.weights0, b.weights0, strict=True):
        assert np.array_equal(x, y)
    for x, y in zip(a.hidden, b.hidden, strict=True):
        assert np.array_equal(x, y)


def _task(contexts: int, scale: float = 1.0) -> th.ContextTask:
    return th.context_task(contexts, "different", context_scale=scale)


@settings(max_examples=share(0.2), deadline=None)
@given(
    contexts=st.sampled_from([2, 3]),
    scale=st.sampled_from([1.0, 1.35]),
    width=st.sampled_from([40, 70]),
    seeds=st.lists(st.integers(0, 10_000), min_size=1, max_size=2, unique=True),
)
def test_relu_kernel_equals_reference(contexts, scale, width, seeds):
    task = _task(contexts, scale)
    W = num.init_context_weights([task.X.shape[0], width, task.Y.shape[0]], 0.005 / width, seeds)
    _same_run(
        num.train_context_net(task, W, 1e-2, EPOCHS),
        num._train_context_net_reference(task, W, 1e-2, EPOCHS),
    )


@settings(max_examples=share(0.2), deadline=None)
@given(
    kind=st.sampled_from(["authors-mixed", "authors-all", "modular"]),
    contexts=st.sampled_from([2, 3]),
    seeds=st.lists(st.integers(0, 10_000), min_size=1, max_size=2, unique=True),
)
def test_pathway_kernel_equals_reference(kind, contexts, seeds):
    task = _task(contexts)
    mnet = th.authors_module_net(contexts, kind, 105, 0.01)  # 105 = 7 x 15 = 3 x 35 units
    net = num.module_pathway_network(task, mnet, seeds)
    _same_run(
        num.train_pathway_network(task, net, 1e-2, EPOCHS),
        num._train_pathway_network_reference(task, net, 1e-2, EPOCHS),
    )


def test_paper_size_pathway_and_relu_kernels_equal_reference():
    # the 3-context experiment's own networks (700 hidden units), a few hundred epochs
    task = _task(3)
    std = 0.005 / 700
    W = num.init_context_weights([11, 700, 60], std, [0])
    _same_run(
        num.train_context_net(task, W, 1e-3, EPOCHS),
        num._train_context_net_reference(task, W, 1e-3, EPOCHS),
    )
    for kind in ("authors-mixed", "modular"):
        net = num.module_pathway_network(task, th.authors_module_net(3, kind, 700, std), [0])
        _same_run(
            num.train_pathway_network(task, net, 1e-3, EPOCHS),
            num._train_pathway_network_reference(task, net, 1e-3, EPOCHS),
        )


def _same_context_only(a: num.ContextRun, b: num.ContextRun) -> None:
    assert (a.context_only is None) == (b.context_only is None)
    if a.context_only is not None:
        assert np.array_equal(a.context_only, b.context_only, equal_nan=True)


@settings(max_examples=share(0.2), deadline=None)
@given(
    kinds=st.lists(
        st.sampled_from(["authors", "authors-mixed", "authors-all", "modular"]),
        min_size=2,
        max_size=3,
    ),
    contexts=st.sampled_from([2, 3, 4]),
    seeds=st.lists(st.integers(0, 10_000), min_size=1, max_size=2, unique=True),
)
def test_pathway_nets_on_one_common_pathway_equal_their_own_runs(kinds, contexts, seeds):
    # nets from one seed share their first (common) module: trained side by side on one
    # common pathway, each net's numbers are those of its own run and of the reference loop
    task = _task(contexts)
    nets = [
        num.module_pathway_network(task, th.authors_module_net(contexts, k, 120, 0.01), seeds)
        for k in kinds
    ]
    assert all(num._same_common_pathway(nets[0], n) for n in nets)
    together = num.train_pathway_networks(task, nets, 1e-2, EPOCHS)
    for net, run in zip(nets, together, strict=True):
        alone = num.train_pathway_network(task, net, 1e-2, EPOCHS)
        _same_run(run, alone)
        _same_context_only(run, alone)
        _same_run(run, num._train_pathway_network_reference(task, net, 1e-2, EPOCHS))


def test_pathway_nets_with_different_common_pathways_are_trained_apart():
    # different seeds draw different common pathways: no sharing, each its own run
    task = _task(3)
    mnet = th.authors_module_net(3, "modular", 105, 0.01)
    nets = [num.module_pathway_network(task, mnet, [s]) for s in (1, 2)]
    assert not num._same_common_pathway(*nets)
    for net, run in zip(nets, num.train_pathway_networks(task, nets, 1e-2, EPOCHS), strict=True):
        _same_run(run, num.train_pathway_network(task, net, 1e-2, EPOCHS))


def test_a_diverging_net_stops_and_the_one_beside_it_goes_on():
    # two nets on one common pathway, the second's context weights blown up so that it
    # diverges: it stops at the epoch of its own run, and the first is unaffected
    task = _task(3)
    mnet = th.authors_module_net(3, "authors-mixed", 105, 0.01)
    calm = num.module_pathway_network(task, mnet, [5])
    wild = dataclasses.replace(calm, context=tuple(100.0 * W for W in calm.context))
    runs = num.train_pathway_networks(task, (calm, wild), 0.01, 200)
    alone = [num.train_pathway_network(task, n, 0.01, 200) for n in (calm, wild)]
    assert runs[0].diverged_at is None and runs[1].diverged_at is not None
    for run, ref in zip(runs, alone, strict=True):
        _same_run(run, ref)
        _same_context_only(run, ref)


def test_the_experiments_reln_and_modular_share_their_common_pathway():
    # the saving applies to the experiment's own nets (3 and 5 contexts), and its runs equal
    # each net trained alone
    for contexts, kind in ((3, "authors"), (3, "authors-mixed"), (5, "authors")):
        task = th.context_task(contexts, "same" if contexts > 3 else "different")
        nets = [
            num.module_pathway_network(task, th.authors_module_net(contexts, k, 300, 0.01), [7])
            for k in (kind, "modular")
        ]
        assert num._same_common_pathway(*nets), (contexts, kind)
    task = _task(3)
    ex = num.run_context_experiment(
        task, (105,), 1e-2, EPOCHS, 0.01, [3, 4], construction="authors"
    )
    for name, kind in (("reln", "authors"), ("modular", "modular")):
        net = num.module_pathway_network(task, th.authors_module_net(3, kind, 105, 0.01), [3, 4])
        _same_run(getattr(ex, name), num.train_pathway_network(task, net, 1e-2, EPOCHS))


def test_gated_kernel_with_per_seed_gates_and_input_mask_equals_reference():
    # the "relu-gates" nets: per-seed gates (S, h, P) and an item-only input mask
    task = _task(3)
    rng = np.random.Generator(np.random.PCG64(4))
    S, h = 2, 30
    W = num.init_context_weights([11, h, 60], 0.01, [1, 2])
    gates = [(rng.random((S, h, task.X.shape[1])) < 0.6).astype(float)]
    mask = num.item_only_mask(rng.random((S, h)) < 0.3, task.n_items, task.X.shape[0])
    _same_run(
        num.train_context_net(task, W, 1e-2, EPOCHS, gates=gates, input_mask=mask),
        num._train_context_net_reference(task, W, 1e-2, EPOCHS, gates=gates, input_mask=mask),
    )


def test_divergence_is_reported_at_the_same_epoch():
    # a linear net (all-ones gates: the kernel skips them) with too large a step diverges
    task = _task(3)
    W = num.init_context_weights([11, 40, 60], 0.1, [0, 1])
    gates = [np.ones((2, 40, task.X.shape[1]))]
    fast = num.train_context_net(task, W, 0.05, 200, gates=gates)
    assert fast.diverged_at is not None
    _same_run(fast, num._train_context_net_reference(task, W, 0.05, 200, gates=gates))


def _same_experiment(a: num.ContextExperiment, b: num.ContextExperiment) -> None:
    for name in ("relu", "reln", "modular"):
        _same_run(getattr(a, name), getattr(b, name))
    assert np.array_equal(a.counts, b.counts)
    assert a.pathway_sets == b.pathway_sets


@pytest.mark.parametrize(
    ("hidden", "construction"),
    [
        ((105,), "authors-mixed"),
        ((105,), "authors-all"),
        ((20, 20), "authors-mixed"),
        ((30,), "relu-gates"),
    ],
)
def test_context_experiment_forked_equals_the_serial_run(hidden, construction, fork_allowed):
    # item 1 of issue 12: the networks side by side (run_forked) give the numbers of a serial
    # run bit for bit, for the authors' module nets, the deep block-diagonal pathways and the
    # relu-gates nets (trained side by side after the ReLU they read)
    task = _task(3)
    args = (task, hidden, 1e-2, EPOCHS, 0.01, [3, 4])
    serial = num.run_context_experiment(*args, construction=construction, workers=1)
    forked = num.run_context_experiment(*args, construction=construction, workers=3)
    _same_experiment(serial, forked)


def _boom(k):
    raise ValueError(f"job {k}")


@pytest.fixture
def fork_allowed(monkeypatch):
    # another test may leave a Python thread behind (a dask cluster's, hypothesis'), and
    # run_forked then rightly runs serially: these tests are about the forked path itself
    monkeypatch.setattr(blas, "fork_is_safe", lambda: True)


@pytest.mark.parametrize("workers", [2, 3])
def test_run_forked_keeps_order_and_raises_the_first_error(workers, fork_allowed):
    assert run_forked([lambda k=k: k * k for k in range(5)], workers=workers) == [0, 1, 4, 9, 16]
    # job 1 runs in a child: its error comes back as a RuntimeError with its traceback
    with pytest.raises(RuntimeError, match="ValueError: job 1"):
        run_forked([lambda: 0, lambda: _boom(1), lambda: _boom(2)], workers=workers)
    # the last job runs here: its own exception, once the children are done
    with pytest.raises(ValueError, match="job 2"):
        run_forked([lambda: 0, lambda: 1, lambda: _boom(2)], workers=workers)


def test_run_forked_computes_in_children_and_returns_their_arrays(fork_allowed):
    a = np.random.default_rng(0).normal(size=(50, 50))
    pids = run_forked([os.getpid, os.getpid], workers=2)
    assert pids[1] == os.getpid() and pids[0] != os.getpid()
    out = run_forked([lambda: a @ a, lambda: a.T @ a], workers=2)
    assert np.array_equal(out[0], a @ a) and np.array_equal(out[1], a.T @ a)


def test_a_child_that_dies_is_an_error_not_a_hang(fork_allowed):
    with pytest.raises(RuntimeError, match="ended without a result"):
        run_forked([lambda: os._exit(3), lambda: 0], workers=2)


def test_run_forked_is_serial_beside_other_python_threads():
    # a notebook's or a caller's threads: forking beside them is not safe, so no fork
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert run_forked([os.getpid, os.getpid], workers=2) == [os.getpid()] * 2
    finally:
        stop.set()
        other.join()


# ------------------------------------------------------------------------------ EVIDENCE


def _encode_reference(layers, x):
    # numerics.evidence.encode before its bias and ReLU went in place (issue 12)
    h = x
    for k, (W, b) in enumerate(layers):
        h = h @ W + b
        if k < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return h


def _rnn_states_reference(result, samples, chunk=512):
    # numerics.evidence.rnn_states before its recurrence used preallocated buffers
    p = result.params
    out = np.empty((samples.shape[0], p["W_rec"].shape[0]))
    for start in range(0, samples.shape[0], chunk):
        sl = slice(start, start + chunk)
        pre = ne.rnn_inputs(result.encoder, samples[sl]) @ p["W_in"] + p["b"]
        h = np.zeros((pre.shape[0], out.shape[1]))
        for k in range(pre.shape[1]):
            h = np.maximum(pre[:, k] + h @ p["W_rec"], 0.0)
        out[sl] = h
    return out


@pytest.mark.parametrize(("D", "chunk"), [(2, 512), (2, 37), (3, 512)])
def test_in_place_encoder_and_rnn_states_equal_the_allocating_code(D, chunk):
    # the decoder protocols' features: equal bit for bit to the code they replaced, on a
    # trained RNN (so the ReLUs are partly active) and on float32 inputs of float64 layers
    C = te.even_normals(D) if D > 2 else np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    result = ne.train_rnn(C, np.zeros(C.shape[0]), 0.2, 8, batches=40, seed=3)
    rng = np.random.Generator(np.random.PCG64(9))
    samples = 0.5 * rng.standard_normal((1100, 8, C.shape[1]))
    x = samples.reshape(-1, C.shape[1])
    assert np.array_equal(ne.encode(result.encoder, x), _encode_reference(result.encoder, x))
    x32 = x.astype(np.float32)
    got, ref = ne.encode(result.encoder, x32), _encode_reference(result.encoder, x32)
    assert got.dtype == ref.dtype and np.array_equal(got, ref)
    assert np.array_equal(
        ne.rnn_states(result, samples, chunk), _rnn_states_reference(result, samples, chunk)
    )


def test_in_place_evidence_samples_equal_the_allocating_draws():
    x = np.random.Generator(np.random.PCG64(2)).random((300, 2)) - 0.5
    got = npr.evidence_samples(x, 0.37, 11, np.random.Generator(np.random.PCG64(5)))
    rng = np.random.Generator(np.random.PCG64(5))
    ref = x[:, None, :] + 0.37 * rng.standard_normal((300, 11, 2))
    assert np.array_equal(got, ref)


@pytest.mark.parametrize("n", [1, 5, 127, 128, 255, 256, 257, 259, 385, 1000, 3000])
def test_encoder_in_blocks_equals_one_product(n):
    # every block but the last a multiple of the row unroll, the last one the remainder: the
    # same rows in the same micro-tiles as one product (single BLAS thread: check and verify).
    # Blocks of 128 rows, not 64: OpenBLAS's SkylakeX kernels (this AMD EPYC machine since
    # 2026-12-03) send a product with M N K <= 100^3 to a small-matrix kernel that rounds
    # differently, so 64-row blocks of the 100 x 100 layer differed from one product (in the
    # last bits) and 101-row ones did not (measured); production blocks have 2048 rows
    rng = np.random.Generator(np.random.PCG64(n))
    layers = ne.make_encoder(2, (100, 100, 40), rng)
    x = 0.4 * rng.standard_normal((n, 2))
    with single_blas_thread():
        got, ref = ne.encode_in_blocks(layers, x, rows=128), ne.encode(layers, x)
    assert got.shape == ref.shape and np.array_equal(got, ref)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_in_scratch_buffers_equals_the_textbook_update(dtype):
    # gradients over 11 decades (vhat near eps and far above it), two parameters, 500 steps
    rng = np.random.Generator(np.random.PCG64(4))
    ours = {
        "W": rng.standard_normal((7, 3)).astype(dtype),
        "b": rng.standard_normal(3).astype(dtype),
    }
    ref = {k: v.copy() for k, v in ours.items()}
    opt, opt_ref = ne.Adam(lr=3e-3), TextbookAdam(3e-3)
    for _ in range(500):
        g = {
            k: (rng.standard_normal(v.shape) * 10.0 ** rng.integers(-8, 3)).astype(dtype)
            for k, v in ours.items()
        }
        opt.step(ours, g)
        opt_ref.step(ref, g)
    for k in ours:
        assert ours[k].dtype == ref[k].dtype and np.array_equal(ours[k], ref[k])


@pytest.mark.parametrize(("F", "D", "n_batches"), [(64, 2, 300), (2, 2, 150), (6, 3, 200)])
def test_stacked_adam_decoder_equals_the_two_array_fit(F, D, n_batches):
    rng = np.random.Generator(np.random.PCG64(F + D))
    feats = np.maximum(rng.standard_normal((16 * n_batches, F)), 0.0)
    x = rng.random((16 * n_batches, D)) - 0.5
    tests = tuple(np.maximum(rng.standard_normal((64 * k, F)), 0.0) for k in (1, 2))
    path_steps = (3, n_batches // 2, n_batches - 2)
    with single_blas_thread():
        fit = npr.fit_adam_decoder(
            feats,
            x,
            tests,
            np.random.Generator(np.random.PCG64(1)),
            path_steps=path_steps,
            path_features=tests[1],
        )
        preds, path, W, b = two_array_adam_decoder_fit(
            feats, x, tests, np.random.Generator(np.random.PCG64(1)), path_steps, tests[1]
        )
    assert all(np.array_equal(u, v) for u, v in zip(fit.predictions, preds, strict=True))
    assert all(np.array_equal(u, v) for u, v in zip(fit.path, path, strict=True))
    assert np.array_equal(fit.W, W) and np.array_equal(fit.b, b)


@pytest.mark.parametrize("n", [1, 2, 3, 129, 130, 131, 513, 641, 1101])
def test_rnn_states_in_blocks_equal_whole_chunks(n):
    # blocks of 128 trials inside 512-trial chunks: the same micro-kernel for every row, so
    # the numbers of one product per chunk (block = chunk), including 1-3-trial tails
    result = ne.train_rnn(np.eye(2), np.zeros(2), 0.2, 7, batches=20, seed=n)
    samples = 0.4 * np.random.Generator(np.random.PCG64(n)).standard_normal((n, 7, 2))
    with single_blas_thread():
        got = ne.rnn_states(result, samples)
        ref = ne.rnn_states(result, samples, chunk=512, block=512)
    assert np.array_equal(got, ref)
