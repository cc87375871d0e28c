"""Theorem WTA-1: exhaustive search, hypotheses, counterexamples re-verified independently."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from mtl_theory.numerics import wta as nw
from mtl_theory.numerics.metrics import onehot_code, symbolic_verdict
from mtl_theory.theory import wta as tw
from wta_support import code_design, make

from mtl_theory.families.wta import FAMILY
from mtl_theory.registry import CheckOptions
from mtl_theory.spec import SpecError


def lstsq_loss(setup, code) -> float:
    """Independent optimal-readout loss: design [1, one-hot], numpy lstsq (float64)."""
    sup = setup.support
    x = code_design(setup, code)
    y = setup.target_array[:, sup].T
    coef = np.linalg.lstsq(x, y, rcond=None)[0]
    return float(np.mean((x @ coef - y) ** 2))


# ------------------------------------------------------------------ THEORY.md 1.4 numbers


@pytest.mark.parametrize(
    ("factors", "modules", "tasks", "kw", "zero", "symbolic"),
    [
        ((2, 2), (2, 2), "sum", {}, 8, 2),  # thermometer
        ((2, 2), (3, 2), "factor-onehot", {}, 26, 2),  # slack capacity
        ((2, 2), (2, 2), "xor", {}, 0, 0),  # no zero-loss code
        ((2, 3), (2, 3), "random-additive", {"n_tasks": 2}, 1, 1),  # H2 not necessary
    ],
)
def test_theory_section_1_4_counts(factors, modules, tasks, kw, zero, symbolic):
    r = nw.exhaustive_search(make(factors, modules, tasks, **kw))
    assert (r.zero_loss_codes, r.symbolic_zero_loss_codes) == (zero, symbolic)


def test_code_counts_match_stirling_and_enumeration():
    # 3281 = S(9,1) + S(9,2) + S(9,3) partitions per module (THEORY.md 1.5)
    assert len(nw.set_partitions(9, 3)) == 3281 == nw.count_codes(9, (3,))
    assert tw.codes_per_module(9, 3) == 3281
    labels = nw.set_partitions(6, 4)
    assert len({tuple(r) for r in labels}) == len(labels)  # no partition twice


def test_xor_optimum_is_symbolic_code_with_xor_at_chance():
    setup = make((2, 2), (2, 2), "xor")
    r = nw.exhaustive_search(setup)
    # 5 tasks x 4 points: the XOR task alone has squared error 0.25 per point (predict 1/2)
    assert r.min_loss == pytest.approx(0.25 / 5, abs=1e-12)
    assert symbolic_verdict(
        onehot_code([np.array(c) for c in r.argmin_code], (2, 2)), setup.grid
    ).symbolic


def test_batched_losses_equal_naive_lstsq_loop():
    setup = make((2, 3), (3, 2), "random-additive", n_tasks=3, seed=5)
    fast = np.concatenate([losses.ravel() for _, _, losses, _ in nw.code_losses(setup)])
    naive = nw.naive_search_losses(setup)
    # both routes solve the same least-squares problems in float64: agreement to round-off
    np.testing.assert_allclose(fast, naive, rtol=0, atol=1e-12)


def test_three_modules_batched_equal_naive_on_sample():
    setup = make((2, 2), (2, 2, 3), "sum")
    fast = np.concatenate([losses.ravel() for _, _, losses, _ in nw.code_losses(setup)])
    naive = nw.naive_search_losses(setup)
    np.testing.assert_allclose(fast, naive, rtol=0, atol=1e-12)


def test_vectorized_symbolic_classification_equals_metrics():
    rng = np.random.Generator(np.random.PCG64(3))
    grid = tw.grid_points((2, 3))
    labels = nw.set_partitions(6, 3)
    classes = nw.classify_partitions(labels, 3, grid)
    dep = nw.partition_unit_dependence(labels, 3, grid)
    for r in rng.choice(len(labels), size=40, replace=False):
        v = symbolic_verdict(onehot_code([labels[r]], [3]), grid)
        assert classes.symbolic[r] == v.symbolic
        np.testing.assert_array_equal(dep[r], v.dependence)
    # completeness of pairs of partitions, vectorized OR of masks vs metrics
    for _ in range(60):
        a, b = rng.integers(len(labels), size=2)
        v = symbolic_verdict(onehot_code([labels[a], labels[b]], [3, 3]), grid)
        sym = classes.symbolic[a] and classes.symbolic[b]
        assert sym == v.symbolic
        if sym:
            full = (classes.separated[a] | classes.separated[b]) == classes.full_mask
            assert full == v.complete


# ------------------------------------------------------------------ property tests


@st.composite
def setups_where_theorem_applies(draw):
    k = draw(st.integers(1, 3))
    factors = tuple(draw(st.lists(st.integers(2, 3), min_size=k, max_size=k)))
    budget = sum(n - 1 for n in factors)
    modules = []
    while budget > 0 and len(modules) < 3:
        m = draw(st.integers(2, min(4, budget + 1)))
        modules.append(m)
        budget -= m - 1
    tasks = draw(st.sampled_from(["factor-onehot", "random-additive"]))
    kw = (
        {
            "n_tasks": tw.dim_additive(factors) - 1 + draw(st.integers(0, 1)),
            "seed": draw(st.integers(0, 100)),
        }
        if tasks == "random-additive"
        else {}
    )
    return factors, tuple(modules), tasks, kw


@given(setups_where_theorem_applies())
@example(((2, 2), (2, 2), "factor-onehot", {}))
def test_theorem_holds_on_random_setups(case):
    factors, modules, tasks, kw = case
    setup = make(factors, modules, tasks, **kw)
    if nw.count_codes(setup.n_points, setup.modules) > 2_000_000:
        setup = make(factors[:2], modules[:2], tasks, **kw)  # keep the test fast
    hyps = tw.check_hypotheses(setup)
    if not all(h.holds for h in hyps):
        return  # the shrink above may break capacity; the hypothesis-failure test covers it
    r = nw.exhaustive_search(setup)
    assert r.zero_loss_codes == r.symbolic_zero_loss_codes == r.complete_symbolic_zero_loss_codes
    assert r.dead_unit_zero_loss_codes == 0
    assert r.counterexample is None
    if tw.capacity_slack(setup.factors, setup.modules) < 0:
        assert r.zero_loss_codes == 0  # dim S(pi) < dim A: zero loss impossible


@st.composite
def setups_with_a_failing_hypothesis(draw):
    # grids of <= 6 points keep modules (n_1, n_2) at <= 4000 codes (fast)
    factors = draw(st.sampled_from([(2, 2), (2, 3), (3, 2)]))
    n_points = math.prod(factors)
    kind = draw(st.sampled_from(["capacity", "task-span", "full-support"]))
    budget = sum(n - 1 for n in factors)
    if kind == "capacity":
        modules = (budget + 2,)  # one module with slack 1
        return factors, modules, "factor-onehot", {}, kind
    modules = (factors[0], factors[1])
    if kind == "task-span":
        tasks = draw(st.sampled_from(["sum", "xor", "random-additive"]))
        kw = {"n_tasks": 1, "seed": draw(st.integers(0, 50))} if tasks == "random-additive" else {}
        return factors, modules, tasks, kw, kind
    hold = draw(st.lists(st.integers(0, n_points - 1), min_size=1, max_size=2, unique=True))
    return factors, modules, "factor-onehot", {"holdout": hold}, kind


@given(setups_with_a_failing_hypothesis())
@example(((2, 2), (2, 2), "sum", {}, "task-span"))  # thermometer
@example(((2, 2), (3, 2), "factor-onehot", {}, "capacity"))  # slack-capacity conjunction
@example(((2, 2), (2, 2), "xor", {}, "task-span"))  # XOR
def test_failing_hypothesis_reported_and_counterexample_reverified(case):
    factors, modules, tasks, kw, failing = case
    setup = make(factors, modules, tasks, **kw)
    result = FAMILY.check(setup, CheckOptions(verify=True))
    failed = {h.id for h in result.hypotheses if not h.holds}
    assert failing in failed
    assert not result.applies
    cex = result.verification.measured["counterexample"]
    if cex is None:
        return
    # independent re-verification: zero loss by our own lstsq, and non-symbolic
    assert lstsq_loss(setup, cex) <= 1e-9 * (1 + np.mean(setup.target_array**2))
    if not setup.holdout:
        v = symbolic_verdict(onehot_code([np.array(c) for c in cex], modules), setup.grid)
        assert not v.symbolic
    else:
        # partial support: the code is non-symbolic on the training points (a unit changes
        # with two factors across observed neighbours)
        sup = setup.support
        dep = nw.partition_unit_dependence(
            np.array([np.asarray(c)[sup] for c in cex]), max(modules), setup.grid[sup]
        )
        sizes = [np.sum(np.asarray(c)[sup] == u) for c in cex for u in range(max(modules))]
        assert np.any(dep.sum(axis=2) >= 2) or any(0 < s < len(sup) for s in sizes)


def test_thermometer_code_is_reported():
    setup = make((2, 2), (2, 2), "sum")
    result = FAMILY.check(setup, CheckOptions(verify=True))
    m = result.verification.measured
    assert (m["zero_loss_codes"], m["symbolic_zero_loss_codes"]) == (8, 2)
    thermometer = ((0, 1, 1, 1), (0, 0, 0, 1))  # 1[z1+z2 >= 1], 1[z1+z2 >= 2]
    assert lstsq_loss(setup, thermometer) < 1e-20
    assert not symbolic_verdict(
        onehot_code([np.array(c) for c in thermometer], (2, 2)), setup.grid
    ).symbolic


# ------------------------------------------------------------------ hypotheses and specs


def test_hypothesis_details_are_checkable():
    setup = make((3, 3), (3, 3))
    h = {x.id: x for x in tw.check_hypotheses(setup)}
    assert (
        h["task-span"].holds and "rank of span{1, tasks} = 5 = dim A = 5" in h["task-span"].detail
    )
    assert h["capacity"].holds and "= 4 <= " in h["capacity"].detail
    h2 = {x.id: x for x in tw.check_hypotheses(make((2, 2), (2, 2), "xor"))}
    assert not h2["task-span"].holds and "not additive" in h2["task-span"].detail


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ({"factors": [2, 3], "modules": [2, 3], "targets": [[0, 1, 2]]}, "targets"),
        ({"factors": [2, 2], "modules": [5, 2], "tasks": "sum"}, "modules"),
        ({"factors": [2, 2], "modules": [2, 2]}, "tasks"),
        ({"factors": [2, 2], "modules": [2, 2], "tasks": "sum", "n_tasks": 3}, "n_tasks"),
        ({"factors": [2, 2], "modules": [2, 2], "tasks": "sum", "holdout": [9]}, "holdout"),
        ({"factors": [2, 2], "modules": [2, 2], "tasks": "sum", "modulez": 1}, "modulez"),
    ],
)
def test_invalid_specs_name_the_key(spec, key):
    with pytest.raises(SpecError) as err:
        FAMILY.build(FAMILY.schema.validate(spec))
    assert err.value.key == key


def test_too_large_for_exhaustive_is_a_spec_error_naming_method():
    # auto runs the branch-and-bound there (tests/test_wta_bnb.py); exhaustive is refused
    setup = make((4, 4), (4, 4))
    with pytest.raises(SpecError) as err:
        FAMILY.check(setup, CheckOptions(verify=True, method="exhaustive"))
    assert err.value.key == "method" and "milp" in str(err.value)


def test_explicit_targets_equal_named_family():
    named = make((2, 3), (2, 3), "sum")
    explicit = FAMILY.build(
        FAMILY.schema.validate(
            {"factors": [2, 3], "modules": [2, 3], "targets": [list(named.targets[0])]}
        )
    )
    np.testing.assert_array_equal(named.target_array, explicit.target_array)
    assert named.target_array[0].tolist() == [0, 1, 2, 1, 2, 3]  # row-major, last fastest


@pytest.mark.parametrize(
    "path", sorted(__import__("pathlib").Path(__file__).parent.parent.glob("examples/wta-*.toml"))
)
def test_examples_validate_and_build(path):
    from mtl_theory.spec import read_spec_file

    spec = read_spec_file(path)
    assert spec["theory"] == "wta"
    setup = FAMILY.build(FAMILY.schema.validate(spec))
    assert len(tw.check_hypotheses(setup)) == 3


def test_cli_bad_targets_is_one_line_exit_2(tmp_path):
    import subprocess
    import sys

    spec = tmp_path / "bad.toml"
    spec.write_text('theory = "wta"\nfactors = [2, 3]\nmodules = [2, 3]\ntargets = [[0, 1, 2]]\n')
    run = subprocess.run(
        [sys.executable, "-m", "mtl_theory.cli", "check", str(spec), "--verify"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "targets" in lines[0] and "Traceback" not in run.stderr


def test_milp_json_is_the_only_thing_on_stdout():
    """HiGHS prints its banner from C on descriptor 1; --json must still be pure JSON."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    exe = Path(sys.executable).parent / "mtl-theory"
    run = subprocess.run(
        [str(exe), "check", "examples/wta-milp.toml", "--verify", "--json"],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)  # the whole stdout, strictly
    assert data["verification"]["method"] == "milp" and run.stdout.startswith("{")
