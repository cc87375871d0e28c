"""Cost estimates (mtl_theory/cost.py): exact scaling of the formulas, never timings.

The calibration of the rates against measured runs is benchmarks/bench_cost.py (a machine's
speed is not a test); here each formula is checked for what it must be whatever the rates:
linear in the counts it multiplies, with the exact extra term where there is one.
"""

import dataclasses

import pytest
from mtl_theory.numerics import evidence_protocol as npr
from mtl_theory.theory import gdln as th

from mtl_theory import api
from mtl_theory import cost as mc
from mtl_theory.api import load_spec

NETWORKS = ("rnn", "rnn-nonleaky", "lstm", "transformer")


def setup_of(spec):
    return load_spec(spec).setup


@pytest.mark.parametrize("network", NETWORKS)
def test_training_flops_and_seconds_are_linear_in_batches(network):
    one = mc.network_training_cost(network, 2, 6, 20, 1000)
    three = mc.network_training_cost(network, 2, 6, 20, 3000)
    assert three.flops == 3 * one.flops
    assert three.seconds == pytest.approx(3 * one.seconds, rel=1e-12)
    assert three.memory_bytes == one.memory_bytes  # online training: batches do not pile up


@pytest.mark.parametrize("network", NETWORKS)
def test_trial_flops_in_t_are_linear_or_quadratic_for_attention(network):
    f = [mc.network_trial_flops(network, 2, 6, t, train=True) for t in (10, 11, 12)]
    second_difference = f[2] - 2 * f[1] + f[0]
    # the causal attention's 2 T^2 h multiply-adds, three passes, 2 flops each
    assert second_difference == (12 * 2 * mc.HIDDEN if network == "transformer" else 0)


def test_lstm_recurrence_is_four_gates_of_the_rnn():
    rnn, lstm = mc.network_step_macs("rnn", 6), mc.network_step_macs("lstm", 6)
    readout = mc.HIDDEN * 6
    assert lstm - readout == 4 * (rnn - readout)


def test_training_counts_three_network_passes_and_one_encoder_pass():
    fwd = mc.network_trial_flops("rnn", 2, 6, 20, train=False)
    train = mc.network_trial_flops("rnn", 2, 6, 20, train=True)
    net = 2 * 22 * mc.network_step_macs("rnn", 6)
    assert train - fwd == 2 * net


def test_protocol_trials_are_the_protocols_counts():
    for nb in (1000, 2000, 3000):
        trials, held = mc.protocol_trials(nb, 5)
        per_fit = nb * npr.AUTHORS_BATCH + 2 * npr.AUTHORS_TEST_BATCHES * npr.AUTHORS_BATCH * len(
            npr.test_steps(nb)
        )
        assert (trials, held) == (4 * 5 * per_fit, per_fit)


@pytest.mark.parametrize("network", NETWORKS)
def test_check_route_cost_is_affine_in_networks_and_batches(network):
    base = dict(theory="evidence", D=2, n_tasks=6, network=network, decoder_fits=1)

    def seconds(**kw):
        return mc.evidence_route_cost(setup_of(base | kw)).seconds

    s1, s2, s3 = (seconds(rnn_networks=k) for k in (1, 2, 3))
    assert s3 - s2 == pytest.approx(s2 - s1, rel=1e-9) and s2 > s1
    b1, b2, b3 = (seconds(rnn_batches=b) for b in (1000, 2000, 3000))
    assert b3 - b2 == pytest.approx(b2 - b1, rel=1e-9) and b2 > b1


def test_a_transformer_at_long_t_is_refused_for_memory_in_one_line():
    setup = setup_of(dict(theory="evidence", D=2, n_tasks=6, network="transformer", t=20000))
    refusal = mc.over_budget("evidence", setup, mc.Budget())
    assert refusal is not None and "of memory" in refusal and "\n" not in refusal


def test_wta_estimates_follow_the_method_the_check_runs():
    setup = load_spec("examples/wta-milp.toml").setup
    assert mc.over_budget("wta", setup, mc.Budget(seconds=1e9)) is None
    # "auto" runs the spec's own method (families.wta.check): milp here, exhaustive there
    assert mc.wta_cost(setup, method="auto") == mc.wta_cost(setup, method="milp")
    xor = load_spec("examples/wta-xor.toml").setup
    # the enumeration and its branch-and-bound cross-check
    assert mc.wta_cost(xor, method="auto").seconds > mc.wta_exhaustive_check_cost(xor).seconds
    assert mc.wta_cost(setup, method="exhaustive").upper_bound  # at the slowest kernel's rate
    assert mc.wta_cost(setup, method="bnb").upper_bound  # at its node budget
    gradient = load_spec("examples/wta-gradient.toml").setup  # up to 6 restarts x 2 networks
    assert mc.wta_cost(gradient).upper_bound and "12 training runs" in mc.wta_cost(gradient).what
    milp = mc.wta_cost(setup, method="milp")
    assert milp.seconds >= 2 * mc.MILP_TIME_LIMIT[False]
    refusal = mc.over_budget("wta", setup, mc.Budget(seconds=60.0), method="milp")
    assert refusal is not None and "--time-budget" in refusal


def test_wta_milp_size_grows_with_modules_and_grid():
    small = load_spec("examples/wta-milp.toml").setup
    size = mc.wta_milp_size(small)
    wider = dataclasses.replace(small, modules=tuple(m + 1 for m in small.modules))
    assert all(b > a for a, b in zip(size, mc.wta_milp_size(wider), strict=True))


def test_context_cost_is_linear_in_epochs_and_seeds_and_smaller_quick():
    base = dict(theory="gdln", model="context", contexts=3, structures="different")

    def flops(quick=False, **kw):
        return mc.gdln_cost(setup_of(base | kw), quick).flops

    # affine: the training is linear in epochs and seeds, the reduced ReLN route (GDLN-13/14,
    # mc.reduced_route_cost) a fixed term; without it, linear
    assert flops(epochs=6000) - flops(epochs=4000) == flops(epochs=4000) - flops(epochs=2000)
    assert flops(n_seeds=6) - flops(n_seeds=4) == flops(n_seeds=4) - flops(n_seeds=2)
    assert flops(quick=True) < flops()
    plain = dict(hidden=[40, 30])  # two hidden layers: no reduced route
    assert flops(epochs=4000, **plain) == 2 * flops(epochs=2000, **plain)
    assert flops(n_seeds=3, **plain) == 3 * flops(n_seeds=1, **plain)


def test_context_cost_counts_relu_and_module_networks_exactly():
    task = th.context_task(3, "different")
    n_in, batch = task.X.shape
    n_out = task.Y.shape[0]
    relu = n_in * 700 + 700 * n_out
    module = n_in * 100 + 100 * n_out  # 7 drawn modules share the 700 units: 100 each
    # modular: the common and the three single-context modules; ReLN "authors-mixed": the
    # common and the three two-context ones; "authors": all seven
    for reln, used in (("authors-mixed", 4), ("authors", 7)):
        cost = mc.context_experiment_cost(n_in, batch, n_out, (700,), 3, 1, reln=reln)
        assert cost.flops == 6 * batch * (relu + (used + 4) * module)


def test_routing_cost_is_linear_in_epochs():
    base = dict(theory="gdln", model="routing", lr=2e-3, a0=0.1)
    a = mc.gdln_cost(setup_of(base | dict(epochs=10_000)))
    b = mc.gdln_cost(setup_of(base | dict(epochs=20_000)))
    assert b.flops == 2 * a.flops


def test_costs_add_in_time_and_take_the_larger_memory():
    a = mc.Cost(10, 5, "a", 1.5)
    b = mc.Cost(30, 7, "b", 2.0)
    assert (a + b) == mc.Cost(30, 12, "a; b", 3.5)
    assert a.times(4, "4a") == mc.Cost(10, 20, "4a", 6.0)
    assert mc.Cost(0, 2 * 10**9, "default rate").seconds == 2e9 / mc.FLOPS_PER_SECOND


def test_every_registered_diagram_declares_a_finite_positive_cost_per_point():
    from mtl_theory.api import registry

    for name, d in registry().diagrams().items():
        assert d.cost is not None, name
        for grid in (d.points, d.paper_points):
            for p in grid() if grid is not None else ():
                c = d.cost(p)
                assert 0 < c.seconds < float("inf") and c.memory_bytes >= 0, (name, p)


def test_paper_budget_points_cost_more_than_the_reduced_ones():
    from mtl_theory.api import registry

    for name, d in registry().diagrams().items():
        if d.paper_points is None:
            continue
        reduced = sum(d.cost(p).seconds for p in d.points())
        paper = sum(d.cost(p).seconds for p in d.paper_points())
        assert paper > reduced, name


def test_a_long_accepted_route_is_announced_before_it_starts():
    # the 3-context check at the paper's width, 8000 epochs, 5 inits: beyond 30 s, so
    # announced; the quick linear check is not
    long_setup = api.load_spec(
        {"theory": "gdln", "model": "context", "hidden": [700], "epochs": 8000, "n_seeds": 5}
    ).setup
    notice = mc.long_route_notice("gdln", long_setup)
    assert mc.route_cost("gdln", long_setup).seconds > mc.LONG_ROUTE_SECONDS
    assert notice is not None and notice.startswith("--verify: the gdln route is estimated")
    assert "\n" not in notice
    short = api.load_spec({"theory": "gdln", "model": "linear", "epochs": 100}).setup
    assert mc.long_route_notice("gdln", short) is None


def test_check_passes_the_notice_to_its_log_without_running_anything_else(monkeypatch):
    seen = []
    monkeypatch.setattr(mc, "LONG_ROUTE_SECONDS", 0.0)
    api.check({"theory": "gdln", "model": "linear", "epochs": 50}, verify=True, log=seen.append)
    # the announcement, then (an announced route shows progress from the start) progress
    # lines and the final done line
    assert "estimated at about" in seen[0]
    assert all(line.startswith(("progress: ", "done: ")) for line in seen[1:])
    assert seen[-1].startswith("done: ")
    seen.clear()
    api.check({"theory": "gdln", "model": "linear", "epochs": 50}, verify=False, log=seen.append)
    assert seen == []  # no verification, no route, no notice


def test_a_64_item_context_check_is_announced_by_its_reduced_route():
    """fuzz_verify seed 2: contexts 4, items 64, 1 epoch was estimated at 0.04 s and ran
    10-42 s (the GDLN-13 block build and window, not the one epoch of training)."""
    spec = dict(theory="gdln", model="context", contexts=4, structures="same", items=64)
    setup = setup_of(spec | {"hidden": [100], "epochs": 1, "lr": 4e-3})
    total = mc.gdln_cost(setup)
    assert total.seconds > mc.LONG_ROUTE_SECONDS  # the long-route notice is printed
    assert "reduced ReLN route" in total.what
    two_layers = mc.gdln_cost(setup_of(spec | {"hidden": [100, 100], "epochs": 1}))
    assert "reduced ReLN route" not in two_layers.what  # GDLN-13 is not compared there


def test_a_stiff_routing_flow_is_announced():
    """fuzz_verify seed 2: routing at lr = 3 (1000 epochs) was estimated at 17 s and ran
    166 s (298,067 right-hand sides at ~0.5 ms, not the 13 µs of FLOW_STAGE_OVERHEAD_FLOPS
    counted at the GD rate); the regular routing estimate is unchanged."""
    spec = {"theory": "gdln", "model": "routing", "hidden": [8], "epochs": 1000, "lr": 3.0}
    stiff = setup_of(spec | {"a0": 0.1})
    cost = mc.gdln_cost(stiff)
    assert "solver steps" in cost.what and cost.seconds > mc.LONG_ROUTE_SECONDS
    steps = float(cost.what.split("about ")[1].split(" solver")[0])
    # the floor's own arithmetic: 12 stages per step at ROUTING_STAGE_SECONDS at least
    assert cost.seconds >= 12 * steps * mc.ROUTING_STAGE_SECONDS


def test_eq7_power_sample_is_counted_and_its_memory_is_one_block():
    """Issue 14: sigma = 1e-3 sizes Eq. 7's sample to its draw budget (2e8 trials at t = 1),
    which was neither counted (estimate 2 s, 5 MiB) nor streamed (> 14 GiB held)."""
    from mtl_theory.numerics import evidence as ne
    from mtl_theory.proofs import evidence as pe

    spec = {"theory": "evidence", "D": 2, "n_tasks": 4, "sigma": 1e-3, "t": 1}
    setup = setup_of(spec)
    n = pe.eq7_sample_size(setup, pe.eq7_predictions(setup), quick=False)
    assert n * setup.t * setup.D >= pe.EQ7_MAX_DRAWS / 2  # the budget, not n_trials
    eq7 = mc.eq7_sample_cost(setup)
    assert f"Eq. 7 sample of {n} trials" in eq7.what
    assert eq7.seconds == pytest.approx(
        mc.EQ7_DRAW_SECONDS * n * 2 + mc.EQ7_TRIAL_SECONDS * n + mc.EQ7_TRIAL_COORD_SECONDS * n * 2
    )
    block = ne.EQ7_BLOCK_DRAWS // 2  # trials per block at t x D = 2
    assert eq7.memory_bytes == 8 * (block * 2 + 8 * block * 2)
    route = mc.evidence_route_cost(setup)
    assert route.seconds > eq7.seconds > 10  # ~20 s (measured 18-22 s CPU), not 2 s
    assert route.memory_bytes < 2**30 and "Eq. 7 sample" in route.what
    # no sample without noise, or for the noise variants (their own power-sized route)
    assert mc.eq7_sample_cost(setup_of(spec | {"sigma": 0.0})) is None


def test_a_bounded_milp_route_is_announced_and_refused_as_an_upper_bound():
    """The MILP's time is its solves' limits (merge of milp-rows): announced "up to", with no
    calibration ratio (measured/estimated 0.006-0.5), and a refusal names another method."""
    wta = {"theory": "wta", "factors": [2, 3], "modules": [2, 3], "tasks": "sum", "method": "milp"}
    setup = setup_of(wta)
    cost = mc.route_cost("wta", setup)
    assert cost.upper_bound and cost.seconds > mc.LONG_ROUTE_SECONDS
    notice = mc.long_route_notice("wta", setup)
    assert notice.startswith("--verify: the wta route may take up to ")
    assert "calibration" not in notice
    refusal = mc.over_budget("wta", setup, mc.Budget(seconds=60.0))
    assert "needs up to " in refusal and refusal.endswith("or another --method")
    # an estimate keeps its wording
    ctx = setup_of({"theory": "gdln", "model": "context", "hidden": [700], "epochs": 8000})
    assert not mc.route_cost("gdln", ctx).upper_bound
    assert "needs about " in mc.over_budget("gdln", ctx, mc.Budget(seconds=1.0))


def test_a_wta_search_just_under_the_code_limit_is_announced_before_it_runs():
    """Issue 14: (2,5)/(2,5) enumerates 44,273,664 codes, 77-184 s of CPU (measured), and ran
    with no word first; now announced as "up to" at its kernel's slowest rate. (3,3)/(3,3)'s
    10.8 million codes (0.5 s) are not announced; neither is a search of a few codes; a
    branch-and-bound that may stop at its node budget after a minute is."""
    from mtl_theory.numerics.wta import count_codes
    from mtl_theory.proofs import wta as proofs_wta

    big = api.load_spec(
        {"theory": "wta", "factors": [2, 5], "modules": [2, 5], "tasks": "factor-onehot"}
    ).setup
    cost = mc.route_cost("wta", big)
    assert cost.upper_bound
    codes = count_codes(10, (2, 5))
    cross = proofs_wta.BNB_CROSS_CHECK_NODES * 10 * mc.WTA_BNB_SECONDS_PER_NODE_POINT
    assert cost.seconds == pytest.approx(
        mc.WTA_SEARCH_FIXED_SECONDS + codes * mc.WTA_CHECK_MAX_SECONDS_PER_CODE + cross
    )
    notice = mc.long_route_notice("wta", big)
    assert notice is not None and "may take up to" in notice
    assert "44273664 codes" in notice and "4 µs a code" in notice
    small = api.load_spec(
        {"theory": "wta", "factors": [2, 2], "modules": [2, 2], "tasks": "factor-onehot"}
    ).setup
    assert mc.long_route_notice("wta", small) is None
    fused = api.load_spec(
        {"theory": "wta", "factors": [3, 3], "modules": [3, 3], "tasks": "factor-onehot"}
    ).setup
    assert mc.long_route_notice("wta", fused) is None
    assert mc.route_cost("wta", fused).seconds < 5.0
    hard = api.load_spec(
        {"theory": "wta", "factors": [6, 6], "modules": [6, 6], "tasks": "random-additive"}
    ).setup  # measured: 5,077,597 bounds, 59 s of CPU, then undecided
    notice = mc.long_route_notice("wta", hard)
    assert notice is not None and "may take up to" in notice and "branch-and-bound" in notice
