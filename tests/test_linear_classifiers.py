"""Tests of numerics/linear_classifiers.py against hand-solved optimality conditions.

The classifiers solve strictly convex problems, so their optimum is unique and can be checked by
a second route that shares no code with the fit: the KKT linear system of an active set derived
by hand (SVM), a one-dimensional root of the stationarity condition (logistic, by symmetry), or
the gradient of the objective written out again here and differentiated numerically.
Tolerances: 1e-12 for direct linear algebra on 2 × 2 systems; 1e-9 for a root found by brentq
(its xtol is 1e-14, the rest is the conditioning of f' near the root, about 1); 1e-6 for a
central-difference gradient with step 1e-6 on an objective of size ~10 (truncation ~h² f''' and
rounding ~eps f / h, both below 1e-8).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from mtl_theory.numerics.linear_classifiers import (
    balanced_sample_weights,
    fit_logistic,
    fit_squared_hinge_svm,
    roc_auc,
)
from scipy.optimize import brentq
from scipy.special import logsumexp


def test_svm_solves_the_hand_derived_kkt_system_of_a_shifted_unit():
    # x = (1, 1, 2, 2), y = (−1, −1, +1, +1), C = 0.01, balanced weights 1. With C this small
    # every margin is below 1, so all four squared hinges are active and θ = (w, b) solves
    # (I + 2C Σ x̃x̃ᵀ) θ = 2C Σ y x̃ with x̃ = (x, 1): Σ x̃x̃ᵀ = [[10, 6], [6, 4]], Σ y x̃ = (2, 0).
    x = np.array([[1.0], [1.0], [2.0], [2.0]])
    y = np.array([0, 0, 1, 1])
    model = fit_squared_hinge_svm(x, y, penalty_c=0.01)
    expected = np.linalg.solve(np.eye(2) + 0.02 * np.array([[10.0, 6.0], [6.0, 4.0]]), [0.04, 0])
    np.testing.assert_allclose([model.weights[0, 0], model.intercepts[0]], expected, atol=1e-12)
    # the hand solution really has all margins active
    margins = 1 - np.where(y == 1, 1, -1) * (x[:, 0] * expected[0] + expected[1])
    assert np.all(margins > 0)
    # w·1 + b > 0: both levels are called class 1 -- the quirk behind SAP's offset sensitivity
    assert model.predict(x).tolist() == [1, 1, 1, 1]


def test_svm_on_an_uninformative_balanced_unit_is_exactly_zero_and_predicts_the_first_class():
    # (x, y) -> (x, −y) maps the data onto itself and flips θ, so the unique optimum is θ = 0.
    x = np.array([[0.0], [0.0], [1.0], [1.0]])
    model = fit_squared_hinge_svm(x, np.array([0, 1, 0, 1]), penalty_c=0.01)
    assert model.weights[0, 0] == 0.0 and model.intercepts[0] == 0.0
    assert model.predict(x).tolist() == [0, 0, 0, 0]


def test_multiclass_svm_weights_only_the_positive_class_of_each_one_vs_rest_problem():
    # Three classes of sizes 1, 1, 2: balanced weights n/(3 n_c) = 4/3, 4/3, 2/3. liblinear's
    # one-vs-rest gives the positive samples C·weight and all others plain C; with a single
    # feature that is 0 the problem reduces to b: minimize b²/2 + Σ C_i (1 − y_i b)², whose
    # stationarity b = 2 Σ C_i y_i / (1 + 2 Σ C_i) holds while all margins are positive.
    x = np.zeros((4, 1))
    y = np.array([0, 1, 2, 2])
    c = 0.1
    model = fit_squared_hinge_svm(x, y, penalty_c=c)
    weights = {0: 4 / 3, 1: 4 / 3, 2: 2 / 3}
    for k in range(3):
        positive = y == k
        ci = np.where(positive, c * weights[k], c)
        yi = np.where(positive, 1.0, -1.0)
        expected = 2 * np.sum(ci * yi) / (1 + 2 * np.sum(ci))
        assert model.intercepts[k] == pytest.approx(expected, abs=1e-12)


def test_binary_logistic_matches_the_symmetric_one_dimensional_stationarity_condition():
    # x = (−1, −1, 1, 1) with labels (0, 0, 1, 1): (x, y) -> (−x, 1 − y) maps the data onto
    # itself, so b = 0, and the objective C Σ log(1 + e^{−w}) + w²/2 is stationary where
    # w = 4C / (1 + e^w).
    x = np.array([[-1.0], [-1.0], [1.0], [1.0]])
    y = np.array([0, 0, 1, 1])
    for c in (0.1, 1.0, 1e6):
        model = fit_logistic(x, y, inverse_regularization=c)
        w = brentq(lambda t, c=c: t - 4 * c / (1 + math.exp(t)), 0.0, 100.0, xtol=1e-14)
        assert model.weights[0, 0] == pytest.approx(w, abs=1e-9)
        assert model.intercepts[0] == pytest.approx(0.0, abs=1e-9)


def _independent_objective(theta, x, y, n_classes, c, sample_weight):
    """sklearn's multinomial objective, written again: W (n_c × d), b (n_c), b_last = 0."""
    d = x.shape[1]
    w = theta[: n_classes * d].reshape(n_classes, d)
    b = np.r_[theta[n_classes * d :], 0.0]
    scores = x @ w.T + b
    nll = logsumexp(scores, axis=1) - scores[np.arange(len(y)), y]
    return c * np.sum(sample_weight * nll) + 0.5 * np.sum(w**2)


@pytest.mark.parametrize("balanced", [False, True])
def test_multinomial_logistic_is_stationary_for_an_independent_objective(balanced):
    rng = np.random.Generator(np.random.PCG64(3))
    y = np.repeat([0, 1, 2], [5, 8, 11])
    x = rng.standard_normal((24, 2)) + y[:, None] * np.array([0.5, -0.3])
    model = fit_logistic(x, y, inverse_regularization=2.0, balanced=balanced)
    weights = balanced_sample_weights(y) if balanced else np.ones(24)
    theta = np.r_[model.weights.ravel(), model.intercepts[:2] - model.intercepts[2]]
    h = 1e-6
    gradient = np.array(
        [
            _independent_objective(theta + h * e, x, y, 3, 2.0, weights)
            - _independent_objective(theta - h * e, x, y, 3, 2.0, weights)
            for e in np.eye(theta.size)
        ]
    ) / (2 * h)
    assert np.max(np.abs(gradient)) < 1e-6
    np.testing.assert_allclose(model.predict_proba(x).sum(axis=1), 1.0, atol=1e-14)


def test_balanced_weights_are_n_over_classes_times_count():
    np.testing.assert_allclose(
        balanced_sample_weights(np.array([0, 1, 1, 1])), [2, 2 / 3, 2 / 3, 2 / 3]
    )


def test_roc_auc_known_values():
    # scikit-learn's documented example: 3 of the 4 positive/negative pairs are ordered.
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75
    assert roc_auc([1, 2, 3, 4], [False, False, True, True]) == 1.0
    assert roc_auc([4, 3, 2, 1], [False, False, True, True]) == 0.0
    # all tied: every pair counts 1/2
    assert roc_auc([1, 1, 1, 1], [False, True, False, True]) == 0.5


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: roc_auc([1, 2], [True, True]), "one class"),
        (lambda: roc_auc([1, 2, 3], [True, False]), "shape"),
        (lambda: fit_logistic(np.zeros((3, 1)), [1, 1, 1]), "at least 2 classes"),
        (lambda: fit_logistic(np.zeros((3, 1)), [0, 1]), r"labels: expected shape \(3,\)"),
        (lambda: fit_logistic(np.zeros((2, 1)), [0, 1], inverse_regularization=0), "positive"),
        (lambda: fit_squared_hinge_svm(np.full((2, 1), np.nan), [0, 1]), "finite"),
    ],
)
def test_classifiers_reject_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
