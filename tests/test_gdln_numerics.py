"""GDLN numerics: hand-written gradients, path gradients, race reduction, GD order, batching."""

import itertools
import math

import numpy as np
import reference_kernels
from budget import share
from hypothesis import given, settings
from hypothesis import strategies as st
from mtl_theory.numerics import gdln as num
from mtl_theory.theory import gdln as th

EPS = float(np.finfo(float).eps)
FD_STEP = 1e-6
#: Rounding of one float64 loss evaluation, in units of eps·L (see the split-loss test).
FD_ROUNDING_FACTOR = 8.0


def _fd(f, W, h=FD_STEP):
    g = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        Wp, Wm = W.copy(), W.copy()
        Wp[idx] += h
        Wm[idx] -= h
        g[idx] = (f(Wp) - f(Wm)) / (2 * h)
    return g


def test_chain_gradients_match_finite_differences():
    rng = np.random.Generator(np.random.PCG64(0))
    X, Y = rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
    Ws = [rng.standard_normal((4, 3)), rng.standard_normal((3, 4)), rng.standard_normal((2, 3))]
    _, grads = num.chain_loss_and_grads(Ws, X, Y)
    for i in range(3):

        def loss(W, i=i, Ws=Ws):
            return num.chain_loss_and_grads([*Ws[:i], W, *Ws[i + 1 :]], X, Y)[0]

        # central differences: O(h²)·|f'''| + eps·|f|/h ≈ 1e-9 here
        assert np.allclose(grads[i], _fd(loss, Ws[i]), atol=1e-6)


def test_context_gradients_match_finite_differences():
    task = th.context_task(2, "different")
    rng = np.random.Generator(np.random.PCG64(1))
    for depth in (1, 2):
        sizes = [task.X.shape[0], *([6] * depth), task.Y.shape[0]]
        Ws = [rng.normal(0, 0.4, (1, n, m)) for m, n in itertools.pairwise(sizes)]
        for gates in (None, [rng.integers(0, 2, (1, 6, task.n_data)).astype(float)] * depth):
            _, grads, _ = num.context_loss_and_grads(Ws, task.X, task.Y, gates)
            for i in range(len(Ws)):

                def loss(W, i=i, gates=gates, Ws=Ws):
                    Wl = [*Ws[:i], W[None], *Ws[i + 1 :]]
                    return num.context_loss_and_grads(Wl, task.X, task.Y, gates)[0][0]

                # ReLU kinks: a random point is a.s. at distance ≫ h from any kink
                assert np.allclose(grads[i][0], _fd(loss, Ws[i][0]), atol=1e-5)


@st.composite
def gated_graphs(draw):
    """Random small DAGs: 1-2 inputs, 1-3 hidden nodes, 1-2 outputs, random gates."""
    n_in, n_hid, n_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    names = [f"i{k}" for k in range(n_in)] + [f"h{k}" for k in range(n_hid)]
    names += [f"o{k}" for k in range(n_out)]
    sizes = {v: draw(st.integers(1, 3)) for v in names}
    edges = []
    for a, u in enumerate(names):
        for v in names[a + 1 :]:
            if u.startswith("o") or v.startswith("i"):
                continue
            if draw(st.booleans()):
                edges.append((u, v))
    for v in (f"o{k}" for k in range(n_out)):  # every output reachable
        if not any(dst == v for _, dst in edges):
            edges.append(("i0", v))
    graph = th.GatedGraph(sizes, tuple(edges), tuple(names[:n_in]), tuple(names[-n_out:]))
    seed = draw(st.integers(0, 2**16))
    return graph, seed


def _random_gated_problem(graph, seed, P=5):
    """Weights, inputs, targets and random 0/1 node and edge gates on P points."""
    rng = np.random.Generator(np.random.PCG64(seed))
    W = [rng.normal(0, 0.7, graph.shape(e)) for e in range(len(graph.edges))]
    X = {v: rng.standard_normal((graph.sizes[v], P)) for v in graph.inputs}
    Y = {v: rng.standard_normal((graph.sizes[v], P)) for v in graph.outputs}
    ng = {v: rng.integers(0, 2, P).astype(float) for v in graph.sizes}
    eg = [rng.integers(0, 2, P).astype(float) for _ in graph.edges]
    return W, X, Y, ng, eg


@given(gated_graphs())
def test_path_gradient_equals_backprop_and_finite_differences(case):
    graph, seed = case
    W, X, Y, ng, eg = _random_gated_problem(graph, seed)
    path = th.path_gradient(graph, W, X, Y, ng, eg)
    _, back = num.gated_loss_and_grads(graph, W, X, Y, ng, eg)
    fd = num.finite_difference_grads(graph, W, X, Y, ng, eg)
    for p, b, f in zip(path, back, fd, strict=True):
        assert np.allclose(-p, b, atol=1e-12)  # same sums, rounding only
        assert np.allclose(b, f, atol=1e-6)  # central-difference error


def _fan_in_graph():
    """Two inputs, three hidden nodes, every earlier node feeding each later one: four and
    five edges into the output, so an accumulation in another order would round
    differently (a sum of two terms would not: addition commutes)."""
    names = ["i0", "i1", "h0", "h1", "h2", "o0"]
    sizes = dict(zip(names, [2, 3, 3, 2, 3, 2], strict=True))
    edges = tuple(
        (u, v)
        for a, u in enumerate(names)
        for v in names[a + 1 :]
        if not u.startswith("o") and not v.startswith("i")
    )
    return th.GatedGraph(sizes, edges, ("i0", "i1"), ("o0",))


@given(gated_graphs(), st.booleans())
def test_gated_plan_changes_no_bit(case, fan_in):
    """The GatedPlan traversal (order and incoming edges computed once) gives the loss,
    gradients and activities of the per-call scanning it replaced, bit for bit, and so do
    GD epochs built on it; on random DAGs with random 0/1 gates, and on a wide fan-in."""
    graph, seed = case
    graph = _fan_in_graph() if fan_in else graph
    W, X, Y, ng, eg = _random_gated_problem(graph, seed)
    plan = num.gated_plan(graph)
    assert plan.order == tuple(graph.topological_order())
    h_ref = reference_kernels.gated_forward_scanning(graph, W, X, ng, eg)
    h_new = num.gated_forward(graph, W, X, ng, eg, plan)
    assert h_new.keys() == h_ref.keys()
    assert all(np.array_equal(h_new[v], h_ref[v]) for v in h_ref)
    loss_ref, g_ref = reference_kernels.gated_loss_and_grads_scanning(graph, W, X, Y, ng, eg)
    for got in (
        num.gated_loss_and_grads(graph, W, X, Y, ng, eg, plan),
        num.gated_loss_and_grads(graph, W, X, Y, ng, eg),
    ):
        assert got[0] == loss_ref
        assert all(np.array_equal(a, b) for a, b in zip(got[1], g_ref, strict=True))
    Ws = [w.copy() for w in W]
    for _ in range(3):
        _, grads = reference_kernels.gated_loss_and_grads_scanning(graph, Ws, X, Y, ng, eg)
        for w, g in zip(Ws, grads, strict=True):
            w -= 0.05 * g
    gd = num.gated_gd(graph, W, X, Y, ng, eg, 0.05, 3, [3])
    assert all(np.array_equal(a, b) for a, b in zip(gd[3], Ws, strict=True))


# each example integrates a gated network's full flow (~0.2 s): a third of the budget
@settings(max_examples=share(0.32))
@given(
    gates=st.lists(st.lists(st.integers(0, 1), min_size=2, max_size=2), min_size=2, max_size=3),
    scales=st.lists(st.floats(0.5, 2.0), min_size=2, max_size=2),
    seed=st.integers(0, 2**16),
)
def test_race_reduction_matches_full_network(gates, scales, seed):
    gates = [g for g in gates if any(g)] or [[1, 1]]
    rs = th.RaceSetup(4, tuple(scales), tuple(map(tuple, gates)), 1e-3, 4)
    X, Y, cond, H = th.race_data(rs)
    U, _, Vt = np.linalg.svd(H, full_matrices=False)
    graph = num.race_graph(4, H.shape[0], 4, rs.n_paths)
    rng = np.random.Generator(np.random.PCG64(seed))
    W = []
    for _ in range(rs.n_paths):
        W += num.aligned_chain_init(U, Vt.T, math.sqrt(rs.a0), [4], rng)
    g = np.array(gates, dtype=float)
    ng = {"in": np.ones(X.shape[1]), "out": np.ones(X.shape[1])}
    ng |= {f"h{k}": g[k][cond] for k in range(rs.n_paths)}
    eg = [np.ones(X.shape[1]) for _ in graph.edges]
    tau = 1.0
    t = np.linspace(0, 40, 9)
    red = th.race_reduced_trajectory(rs, t, tau)
    traj = num.gated_flow(graph, W, {"in": X}, {"out": Y}, ng, eg, 1 / tau, t)
    full = np.array(
        [[np.diag(U.T @ w[2 * k + 1] @ w[2 * k] @ Vt.T) for k in range(rs.n_paths)] for w in traj]
    )
    S, D = th.race_reduced_coefficients(rs)
    rate = max(float(np.max(np.abs(th.race_reduced_rhs(r, S, D)))) for r in red)
    allowed = 1e4 * num.FLOW_RTOL * (max(float(np.max(red)), 1) + t[-1] * rate)
    assert np.max(np.abs(full - red)) <= allowed


def test_gd_error_is_first_order_in_lr():
    """Halving η halves the max mode error of GD against the closed form (ratio 2 ± 0.2: the
    second-order term is ~η·P·s·ln(s/(d a₀)) ≈ 0.03 relative)."""
    X, Y, U, s, V, d = th.linear_dataset(8, None)
    a0, epochs = 1e-3, 3000
    Ws = num.aligned_chain_init(U, V, math.sqrt(a0), [8], np.random.Generator(np.random.PCG64(0)))

    def error(lr):
        k = round(1e-3 / lr)
        rec = np.arange(0, epochs * k + 1, 100 * k)
        run = num.chain_gd(Ws, X, Y, lr, epochs * k, rec)
        # same continuous time at every η: τ = 1/(ηP) scales with the epochs
        pred = th.mode_trajectory(rec[:, None], s, a0, th.time_constant(lr, 8), d)
        return float(np.max(np.abs(num.mode_strengths(run.products, U, V) - pred)))

    e1, e2, e4 = error(1e-3), error(5e-4), error(2.5e-4)
    # first order: each halving of η halves the error (ratio 2 within the derived ±0.2 band)
    halving_ratios = np.array([e1 / e2, e2 / e4])
    assert np.all(np.abs(halving_ratios - 2.0) <= 0.2), halving_ratios


def test_gd_divergence_is_reported_not_nan():
    X, Y, U, s, V, d = th.linear_dataset(8, None)
    Ws = num.aligned_chain_init(U, V, 0.03, [8], np.random.Generator(np.random.PCG64(0)))
    limit = th.gd_stability_limit(s, d, 2, 8)
    run = num.chain_gd(Ws, X, Y, 3 * limit, 5000, range(0, 5001, 100))
    assert run.diverged_at is not None and np.all(np.isfinite(run.losses))
    ok = num.chain_gd(Ws, X, Y, 0.5 * limit, 5000, [5000])
    assert ok.diverged_at is None


def test_batched_seeds_equal_sequential_runs():
    task = th.context_task(3, "different")
    sizes = [11, 30, 60]
    batch = num.init_context_weights(sizes, 0.01, [3, 4])
    together = num.train_context_net(task, batch, 1e-2, 150)
    for k, seed in enumerate([3, 4]):
        alone = num.train_context_net(
            task, num.init_context_weights(sizes, 0.01, [seed]), 1e-2, 150
        )
        assert np.allclose(together.losses[k], alone.losses[0], rtol=1e-12, atol=1e-12)


def test_context_experiment_small_runs_and_counts_units():
    """Reduced size (width 120, η 4e-3, 2000 epochs: the 8000-epoch flow time at η = 1e-3):
    no strong unit is single-context and the modular network ends behind the ReLN."""
    task = th.context_task(3, "different")
    ex = num.run_context_experiment(task, [120], 4e-3, 2000, 0.005 / 120, [0, 1], 0.1)
    assert ex.relu.losses.shape == (2, 2001)
    assert np.all(ex.counts[:, 1] == 0)
    assert np.all(ex.modular.losses[:, -1] > ex.reln.losses[:, -1])
    assert np.all(ex.relu.losses[:, -1] < 0.1 * ex.relu.losses[:, 0])


def test_relu_gated_alternative_still_runs():
    """The project's own ReLN ("relu-gates"): gates read off the ReLU, kept as an option."""
    task = th.context_task(3, "different")
    ex = num.run_context_experiment(
        task, [60], 8e-3, 300, 0.005 / 60, [0], 0.1, construction="relu-gates"
    )
    assert ex.construction == "relu-gates"
    assert ex.reln.losses[0, -1] < ex.reln.losses[0, 0]


def test_authors_pathway_sets():
    """make-haste-slowly 3_context_diff: modules d, e, f = the two-context sets; a, b, c single."""
    assert num.authors_pathway_sets(3, "authors-mixed") == ((0, 1), (0, 2), (1, 2))
    assert num.authors_pathway_sets(3, "modular") == ((0,), (1,), (2,))
    assert len(num.authors_pathway_sets(3, "authors-all")) == 6
    # C = 2: the (C − 1)-context pathways are the single-context ones (no duplicates)
    assert num.authors_pathway_sets(2, "authors-all") == ((0,), (1,))
    assert num.pathway_width(700, 3) == 100


@given(depth=st.sampled_from([1, 2]), seed=st.integers(0, 10))
def test_split_loss_gradients_match_finite_differences(depth, seed):
    """The authors' split loss: the common pathway's gradient is that of ½‖Y − ŷ_common‖², the
    context pathways' that of the TOTAL loss (common output held fixed), against central
    differences with h = 1e-6 under a tolerance derived from the two errors of the difference:

    - truncation (h²/6)·|∂³L/∂w³|: zero here, since a gated linear network's output is linear
      in any single weight, so L is quadratic in it and the central difference is exact;
    - rounding: each evaluation of L (a float64 sum of P·n_out squares, L ≈ 100-600) is off by
      at most a few eps·L, so the difference quotient is off by ≲ K·eps·L/h with K = 8
      (≈ 4e-7 here; measured ≤ 0.8·eps·L/h on every example of this test's domain).
    """
    task = th.context_task(3, "different")
    net = num.build_pathway_network(task, ((0, 1), (1, 2)), 2, depth, 0.3, [seed])
    X, Y = task.X, task.Y

    def common_loss(Wc):
        E = num.gated_linear_predict(Wc, X, net.common_gates) - Y
        return 0.5 * float(np.sum(E * E))

    def total_loss(Wx):
        pred = num.gated_linear_predict(list(net.common), X, net.common_gates)
        pred = pred + num.gated_linear_predict(Wx, X, net.gates)
        return 0.5 * float(np.sum((pred - Y) ** 2))

    y_common = num.gated_linear_predict(list(net.common), X, net.common_gates)
    _, gc, _ = num.context_loss_and_grads(list(net.common), X, Y, net.common_gates)
    loss, gx, _ = num.context_loss_and_grads(
        list(net.context), X, Y - y_common, net.gates, weight_masks=net.masks
    )
    assert math.isclose(float(loss[0]), total_loss(list(net.context)), rel_tol=1e-12)
    for i in range(depth + 1):

        def fc(W, i=i):
            Ws = list(net.common)
            Ws[i] = W
            return common_loss(Ws)

        def fx(W, i=i):
            Ws = list(net.context)
            Ws[i] = W
            return total_loss(Ws)

        tol_common = FD_ROUNDING_FACTOR * EPS * common_loss(list(net.common)) / FD_STEP
        np.testing.assert_allclose(gc[i], _fd(fc, net.common[i]), rtol=0, atol=tol_common)
        fd = _fd(fx, net.context[i])
        if net.masks[i] is not None:
            fd = fd * net.masks[i]  # absent weights (item-only input, off-block) get no gradient
        tol_total = FD_ROUNDING_FACTOR * EPS * total_loss(list(net.context)) / FD_STEP
        np.testing.assert_allclose(gx[i], fd, rtol=0, atol=tol_total)


def test_pathway_structure_is_preserved_by_training():
    """Item-only context pathways and block-diagonal hidden layers stay so under GD; every
    context unit is gated exactly on the data of its pathway's contexts."""
    task = th.context_task(3, "same")
    sets = num.authors_pathway_sets(3, "authors-mixed")
    net = num.build_pathway_network(task, sets, 4, 2, 0.05, [0])
    run = num.train_pathway_network(task, net, 1e-2, 50)
    assert run.diverged_at is None
    W1, W2 = run.weights[0][0], run.weights[1][0]
    assert np.all(W1[:, task.n_items :] == 0.0)
    assert np.all(W2[net.masks[1] == 0.0] == 0.0)
    for k, A in enumerate(sets):
        g = net.gates[0][0, 4 * k]
        assert np.array_equal(g == 1.0, np.isin(task.context_of, A))


def test_has_diverged_float_path_equals_the_array_path():
    """One run's float loss takes a math-only path; it decides as the numpy path does on every
    edge: nan, +-inf, just below, at and just above DIVERGENCE_FACTOR x the initial loss."""
    has_diverged = num.has_diverged
    for initial in (1e-300, 0.5, 3.0, 1e300):
        bound = num.DIVERGENCE_FACTOR * initial
        losses = [0.0, initial, math.nextafter(bound, 0.0), bound, math.nextafter(bound, math.inf)]
        for loss in [*losses, math.nan, math.inf, -math.inf]:
            expected = has_diverged(np.array([loss]), np.array([initial]))
            assert has_diverged(loss, initial) is expected, (loss, initial)
    assert has_diverged(math.nan, 1.0) and has_diverged(-math.inf, 1.0)
    assert not has_diverged(1.0, 1.0)
