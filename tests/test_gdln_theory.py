"""GDLN theory: closed forms against the full-network gradient flow and symbolic proofs."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mtl_theory.numerics import gdln as num
from mtl_theory.theory import gdln as th


def test_mode_trajectory_never_overflows():
    # s·t/τ up to 1e12 and a₀ down to 1e-300: must stay finite and reach s/d
    t = np.array([0.0, 1.0, 1e3, 1e6, 1e12])
    for a0 in (1e-300, 1e-12, 5.0):  # 5.0 > s/d: decay from above
        a = th.mode_trajectory(t[:, None], np.array([0.0, 1e-3, 2.0, 50.0]), a0, 1.0, 0.5)
        assert np.all(np.isfinite(a))
        assert np.allclose(a[-1, 1:], np.array([1e-3, 2.0, 50.0]) / 0.5)
    assert np.isclose(th.mode_trajectory(0.0, 2.0, 1e-300), 1e-300, rtol=1e-12)


@given(
    s=st.floats(0.05, 5.0),
    d=st.floats(0.1, 4.0),
    log_a0=st.floats(-12, -1),
    frac=st.floats(0.01, 0.99),
)
def test_learning_time_inverts_trajectory(s, d, log_a0, frac):
    a0 = 10.0**log_a0 * s / d
    target = a0 + frac * (s / d - a0)
    t = th.learning_time(target, s, a0, 3.0, d)
    assert math.isclose(float(th.mode_trajectory(t, s, a0, 3.0, d)), target, rel_tol=1e-9)


def _random_chain_problem(rng, n, svals, d):
    """Targets with Σʸˣ = U diag(s) Vᵀ and isotropic Σˣ = d I (X = √(P d) I, P = n)."""
    U = np.linalg.qr(rng.standard_normal((n, n)))[0]
    V = np.linalg.qr(rng.standard_normal((n, n)))[0]
    c = math.sqrt(n * d)
    X = c * np.eye(n)
    Y = n * U @ np.diag(svals) @ V.T / c
    return X, Y, U, V


@given(
    svals=st.lists(st.floats(0.3, 3.0), min_size=2, max_size=3, unique=True),
    depth=st.integers(2, 4),
    d=st.floats(0.5, 2.0),
    log_a0=st.floats(-4, -2),
    seed=st.integers(0, 2**16),
)
def test_closed_form_matches_full_network_flow(svals, depth, d, log_a0, seed):
    """Random s, depths, d and a₀: the full parameter flow (DOP853) vs closed form/quadrature."""
    rng = np.random.Generator(np.random.PCG64(seed))
    s = np.sort(np.array(svals))[::-1]
    n = s.size
    X, Y, U, V = _random_chain_problem(rng, n, s, d)
    a0 = 10.0**log_a0
    lr = 0.05
    tau = th.time_constant(lr, n)
    # run until the slowest mode is 90% learned
    t_end = 1.2 * th.deep_learning_time(0.9 * s[-1] / d, s[-1], a0, depth, tau, d)
    t = np.linspace(0, t_end, 12)
    Ws = num.aligned_chain_init(U, V, a0 ** (1 / depth), [n + 1] * (depth - 1), rng)
    flow = num.chain_flow(Ws, X, Y, lr, t)
    measured = num.mode_strengths(flow.products, U, V)
    predicted = np.stack([th.deep_mode_trajectory(t, sk, a0, depth, tau, d) for sk in s], axis=1)
    # DOP853 at rtol 1e-10: value error plus a time shift of the steep transition
    # (proofs._flow_tolerance): 1e4·rtol·(max(s/d, 1) + t_end·max|u̇|)
    rate = th.max_mode_rate(s, d, depth, tau)
    allowed = 1e4 * num.FLOW_RTOL * (max(s[0] / d, 1) + t_end * rate)
    assert np.max(np.abs(measured - predicted)) <= allowed


def test_deep_quadrature_limits():
    # N = 2 quadrature equals the exact two-layer learning time
    assert math.isclose(
        th.deep_learning_time(1.0, 2.0, 1e-3, 2),
        float(th.learning_time(1.0, 2.0, 1e-3)),
        rel_tol=1e-12,
    )
    # large N: N·t(u) → the large-depth form; the exponent 2 − 2/N differs from 2 by 2/N, so the
    # relative gap is at most (2/N)|ln u₀| (plus quadrature error)
    for N in (100, 1000):
        q = th.deep_learning_time(1.0, 2.0, 1e-3, N)
        big = th.deep_learning_time_large_depth(1.0, 2.0, 1e-3, N)
        assert abs(q - big) / big <= 2 / N * abs(math.log(1e-3)) + 1e-9


def test_hierarchy_singular_values():
    expected = np.sqrt([15, 7, 3, 3, 1, 1, 1, 1]) / 8
    assert np.allclose(th.hierarchy_singular_values(8), expected, atol=1e-14)


@given(C=st.integers(2, 8))
def test_speed_factor_numerically(C):
    task = th.context_task(C, "same")
    one = np.linalg.svd(th.pathway_correlation(task, (0,)), compute_uv=False)[0]
    many = np.linalg.svd(th.pathway_correlation(task, tuple(range(C - 1))), compute_uv=False)[0]
    assert math.isclose(many / one, th.speed_factor(C), rel_tol=1e-12)
    R = th.common_pathway_residual(task)
    r1 = np.linalg.svd(th.pathway_correlation(task, (0,), R), compute_uv=False)[0]
    rm = np.linalg.svd(th.pathway_correlation(task, tuple(range(C - 1)), R), compute_uv=False)[0]
    assert math.isclose(r1, rm, rel_tol=1e-10)


def test_speed_factor_fails_for_different_structures():
    # the factor is a same-structure identity: with different structures it is not exact
    task = th.context_task(3, "different")
    one = np.linalg.svd(th.pathway_correlation(task, (0,)), compute_uv=False)[0]
    many = np.linalg.svd(th.pathway_correlation(task, (0, 1)), compute_uv=False)[0]
    assert not math.isclose(many / one, th.speed_factor(3), rel_tol=1e-6)


def test_context_task_shapes_and_limits():
    task = th.context_task(3, "different")
    assert task.X.shape == (11, 24) and task.Y.shape == (60, 24)
    assert np.allclose(task.X[:8].sum(axis=0), 1) and np.allclose(task.X[8:].sum(axis=0), 1)
    with pytest.raises(ValueError, match="at most 3"):
        th.context_task(4, "different")


def test_alignment_hypothesis_detects_misalignment():
    rng = np.random.Generator(np.random.PCG64(3))
    A = rng.standard_normal((4, 4))
    ok = th.alignment_hypothesis([np.diag([3.0, 2.0, 1.0, 0.5])], [np.eye(4)])
    bad = th.alignment_hypothesis([np.diag([3.0, 2.0, 1.0, 0.5])], [A @ A.T])
    assert ok.holds and not bad.holds


def test_authors_closed_form_is_flagged_code():
    assert th.STATEMENT_BY_ID["GDLN-11"].provenance == "code"
