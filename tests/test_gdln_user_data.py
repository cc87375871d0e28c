"""GDLN linear / deep-linear models on the user's own inputs and targets (issue 11 item 4).

The routes compared: the user's tables through ``task_modes`` (an SVD of Σʸˣ, with degenerate
clusters rotated to diagonalize Σˣ) against the hierarchy's modes built by construction in
``linear_dataset`` — two ways of getting the same modes that share no formula.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mtl_theory.theory import gdln as th

from mtl_theory import api
from mtl_theory.cli import main
from mtl_theory.spec import SpecError


def _whitened(P: int, n_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs with Σˣ = I (√P times an orthogonal matrix, rows = items) and random targets."""
    rng = np.random.default_rng(seed)
    X = np.sqrt(P) * np.linalg.qr(rng.standard_normal((P, P)))[0]
    return X, rng.standard_normal((P, n_out))


def _spec(X, Y, **extra):
    return {
        "theory": "gdln",
        "model": "linear",
        "inputs": np.asarray(X).tolist(),
        "targets": np.asarray(Y).tolist(),
        **extra,
    }


def test_the_hierarchy_as_user_data_has_the_built_in_modes():
    # one-hot items and the hierarchy's features, given as tables: the SVD route must find the
    # singular values √[15, 7, 3, 3, 1, 1, 1, 1]/8 and d = 1/8 that linear_dataset builds by
    # construction, degenerate clusters (3, 3) and (1, 1, 1, 1) included
    H = th.hierarchy_features(8)
    setup = api.load_spec(_spec(np.eye(8), H.T)).setup
    X, Y, U, s, V, d = th.linear_dataset(8, None, setup.inputs, setup.targets)
    np.testing.assert_allclose(s, np.sqrt([15, 7, 3, 3, 1, 1, 1, 1]) / 8, rtol=1e-12)
    np.testing.assert_allclose(d, np.full(8, 1 / 8), rtol=1e-12)
    assert th.decoupling_residual(X, Y, U, s, V, d) <= 1e-14
    ours = api.check(setup).predictions
    built_in = api.check({"theory": "gdln", "model": "linear"}).predictions
    np.testing.assert_allclose(ours["learning_times"], built_in["learning_times"], rtol=1e-10)


def test_whitened_data_verify_through_flow_and_gradient_descent():
    X, Y = _whitened(6, 4, seed=0)
    result = api.check(_spec(X, Y, epochs=3000, lr=0.01), verify=True)
    assert result.applies
    assert result.verified
    routes = {c.route for c in result.verification.comparisons}
    assert routes == {"independent"}
    assert result.setup["inputs"] == tuple(map(tuple, X.tolist()))


def test_deep_linear_on_whitened_data_verifies():
    X, Y = _whitened(5, 3, seed=1)
    result = api.check(_spec(X, Y, model="deep-linear", epochs=3000, lr=0.01, a0=0.01), verify=True)
    assert result.applies and result.verified


def test_coupled_data_fail_the_decoupling_hypothesis_and_claim_nothing():
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((6, 6)), rng.standard_normal((6, 4))
    result = api.check(_spec(X, Y, epochs=2000, lr=0.01), verify=True)
    failed = [h.id for h in result.hypotheses if not h.holds]
    assert failed == ["decoupled-data"]
    assert not result.applies
    assert not result.verified
    # nothing is compared as if the theorem applied, so nothing can contradict it
    assert all(c.agrees for c in result.verification.comparisons)
    assert result.verification.measured["max_abs_error_flow"] > 0.1  # modes really mix


@settings(deadline=None)
@given(
    P=st.integers(2, 7),
    n_out=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
    whitened=st.booleans(),
)
def test_decoupling_is_found_exactly_when_it_holds(P, n_out, seed, whitened):
    rng = np.random.default_rng(seed)
    if whitened:
        X, Y = _whitened(P, n_out, seed)
    else:  # generic correlated inputs: decoupled only by accident (probability 0)
        X = rng.standard_normal((P, P)) + np.eye(P)
        Y = rng.standard_normal((P, n_out))
    U, s, V, d = th.task_modes(X.T, Y.T)
    residual = th.decoupling_residual(X.T, Y.T, U, s, V, d)
    assert s.size == min(P, n_out)
    np.testing.assert_allclose(U * s @ V.T, Y.T @ X / P, atol=1e-12 * max(1.0, s[0]))
    if whitened:
        assert residual <= th.DECOUPLING_RTOL
        np.testing.assert_allclose(d, 1.0, rtol=1e-10)
    elif n_out < P:  # with n_out = P the modes span everything and Σˣ may still mix them
        assert residual > th.DECOUPLING_RTOL


def test_data_files_are_read_relative_to_the_spec_file(tmp_path):
    X, Y = _whitened(4, 2, seed=3)
    (tmp_path / "data").mkdir()
    np.save(tmp_path / "data" / "x.npy", X)
    np.savetxt(tmp_path / "data" / "y.csv", Y, delimiter=",", header="targets, one row per item")
    spec = tmp_path / "task.toml"
    spec.write_text(
        'theory = "gdln"\nmodel = "linear"\ninputs = "data/x.npy"\ntargets = "data/y.csv"\n'
    )
    setup = api.load_spec(spec).setup
    np.testing.assert_array_equal(np.array(setup.inputs), X)
    np.testing.assert_allclose(np.array(setup.targets), Y, rtol=1e-15)


def _error(spec) -> str:
    with pytest.raises(SpecError) as info:
        api.load_spec(spec)
    return str(info.value)


def test_a_transposed_table_is_named_with_its_fix():
    X, Y = _whitened(6, 4, seed=0)
    assert "transposed, targets would fit" in _error(_spec(X, Y.T))
    assert "transposed, inputs would fit" in _error(_spec(X[:4, :5], Y[:5, :2]))


@pytest.mark.parametrize(
    ("extra", "key", "fragment"),
    [
        ({"model": "gated"}, "inputs", "only with model = 'linear' or 'deep-linear'"),
        ({"items": 8}, "items", "nothing with inputs/targets"),
        ({"input_variances": [1.0] * 6}, "input_variances", "nothing with inputs/targets"),
        ({"hidden": [3]}, "hidden", "widths >= 4, the rank of your Σʸˣ"),
    ],
)
def test_cross_key_rules_of_user_data(extra, key, fragment):
    X, Y = _whitened(6, 4, seed=0)
    message = _error(_spec(X, Y, **extra))
    assert message.startswith(f"{key}: expected")
    assert fragment in message


def test_one_table_without_the_other_and_uncorrelated_targets_are_refused():
    X, Y = _whitened(4, 2, seed=0)
    assert _error({"theory": "gdln", "model": "linear", "inputs": X.tolist()}).startswith(
        "targets: expected a table as well"
    )
    zero = np.zeros_like(Y).tolist()
    assert "Σʸˣ ≠ 0" in _error(_spec(X, zero))


@pytest.mark.parametrize(
    ("name", "write", "fragment"),
    [
        ("x.txt", lambda p: p.write_text("1,2\n"), "ending in .npy or .csv"),
        ("nothere.npy", None, "nothing at"),
        ("dir.npy", lambda p: p.mkdir(), "not a regular file"),
        ("obj.npy", lambda p: np.save(p, np.array([{"a": 1}]), allow_pickle=True), "no pickle"),
        ("vec.npy", lambda p: np.save(p, np.arange(4.0)), "shape (4,)"),
        ("cplx.npy", lambda p: np.save(p, np.ones((2, 2), complex)), "dtype complex128"),
        ("nan.csv", lambda p: p.write_text("1,2\n3,nan\n"), "nan at row 1, column 1"),
        ("text.csv", lambda p: p.write_text("1,2\na,b\n"), "comma-separated"),
        ("empty.csv", lambda p: p.write_text(""), "comma-separated"),
    ],
)
def test_bad_data_files_are_one_line_errors(tmp_path, name, write, fragment):
    if write is not None:
        write(tmp_path / name)
    spec = tmp_path / "task.json"
    spec.write_text(
        json.dumps({"theory": "gdln", "model": "linear", "inputs": name, "targets": [[1.0]]})
    )
    message = _error(spec)
    assert message.startswith(f"{spec}: inputs: expected")
    assert fragment in message
    assert "\n" not in message


def test_cli_reports_a_bad_data_file_with_exit_2(tmp_path, capsys):
    spec = tmp_path / "task.toml"
    spec.write_text('theory = "gdln"\nmodel = "linear"\ninputs = "x.npy"\ntargets = [[1.0]]\n')
    assert main(["check", str(spec)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "inputs: expected an existing .npy or .csv file" in err


def test_wta_targets_orientation_error_suggests_the_transpose():
    spec = {"theory": "wta", "factors": [2, 2], "modules": [2, 2], "targets": [[0, 1]] * 4}
    assert "its transpose would fit" in _error(spec)
