"""Small deterministic linear classifiers for representation metrics, on plain arrays.

The disentanglement metrics of :mod:`mtl_theory.numerics.metrics` that disentanglement_lib
(Locatello et al. 2019) and the InfoMEC code (Hsu et al. 2023) compute with scikit-learn
estimators need three pieces, written here with numpy/scipy only (no scikit-learn dependency):

- :func:`fit_logistic` -- L2-regularized logistic regression with the objective of scikit-learn's
  ``LogisticRegression(solver="lbfgs")``: binary logistic for two classes, multinomial (softmax)
  for more, intercepts unpenalized, optional per-sample weights (``class_weight="balanced"``);
- :func:`fit_squared_hinge_svm` -- the primal problem that scikit-learn's ``LinearSVC`` (liblinear,
  L2 penalty, squared hinge loss, intercept as a penalized constant feature) solves, with
  liblinear's one-vs-rest weighting;
- :func:`roc_auc` -- the area under the ROC curve (Mann--Whitney, ties 1/2).

Both fits solve a strictly convex problem by Newton's method to rounding-level gradients (the
optimum is unique, so the result does not depend on a solver's iteration cap or start, unlike an
iterative solver stopped at ``tol=1e-4``). Orientation: ``features`` is (samples, features).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import log_softmax, softmax

__all__ = ["LinearClassifier", "fit_logistic", "fit_squared_hinge_svm", "roc_auc"]

# Newton stops at once when the gradient's largest entry is below this multiple of the
# objective's scale (C times the summed sample weights); otherwise it stops when no step
# shrinks either the objective or the gradient (see _newton), i.e. at the optimum to rounding.
_GRADIENT_TOLERANCE = 1e-15
_MAX_NEWTON_STEPS = 500


@dataclass(frozen=True, eq=False)
class LinearClassifier:
    """A fitted linear classifier: decision values ``features @ weights.T + intercepts``.

    Attributes
    ----------
    classes : ndarray, shape (n_classes,)
        Sorted class labels.
    weights : ndarray, shape (r, n_features)
        One row per decision function: r = 1 for two classes (the score of ``classes[1]``),
        r = n_classes otherwise.
    intercepts : ndarray, shape (r,)
    """

    classes: np.ndarray
    weights: np.ndarray
    intercepts: np.ndarray

    def decision_function(self, features: object) -> np.ndarray:
        """Decision values, shape (samples, r)."""
        x = np.asarray(features, dtype=np.float64)
        return x @ self.weights.T + self.intercepts

    def predict_proba(self, features: object) -> np.ndarray:
        """Class probabilities of a logistic model, shape (samples, n_classes): the sigmoid of
        the single score for two classes, the softmax of the scores otherwise."""
        scores = self.decision_function(features)
        if len(self.classes) == 2:
            scores = np.concatenate([np.zeros_like(scores), scores], axis=1)
        return softmax(scores, axis=1)

    def predict(self, features: object) -> np.ndarray:
        """Predicted labels: ``classes[1]`` iff the score is > 0 for two classes (a score of
        exactly 0 gives ``classes[0]``, as scikit-learn does); otherwise the class of the largest
        score, the first one on ties."""
        scores = self.decision_function(features)
        if len(self.classes) == 2:
            return self.classes[(scores[:, 0] > 0).astype(np.int64)]
        return self.classes[np.argmax(scores, axis=1)]


def _newton(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]],
    start: np.ndarray,
    scale: float,
) -> np.ndarray:
    """Minimize a strictly convex C¹ objective by Newton steps with backtracking."""
    theta = start.copy()
    value, gradient, hessian = objective(theta)
    for _ in range(_MAX_NEWTON_STEPS):
        size = np.max(np.abs(gradient))
        if size <= _GRADIENT_TOLERANCE * scale:
            return theta
        step = np.linalg.solve(hessian, -gradient)
        slope = float(gradient @ step)
        t = 1.0
        while True:
            candidate = theta + t * step
            new_value, new_gradient, new_hessian = objective(candidate)
            # Near the optimum the decrease of the objective falls below the rounding of its
            # value (C times the rounding of each cross-entropy), where an Armijo test sees
            # noise; a step that shrinks the gradient is then accepted instead (Newton
            # converges quadratically there).
            if new_value <= value + 1e-4 * t * slope or np.max(np.abs(new_gradient)) < 0.5 * size:
                break
            t *= 0.5
            if t < 1e-12:
                return theta  # no step improves value or gradient: the optimum to rounding
        theta, value, gradient, hessian = candidate, new_value, new_gradient, new_hessian
    raise RuntimeError(
        f"Newton's method did not converge in {_MAX_NEWTON_STEPS} steps "
        f"(gradient {np.max(np.abs(gradient)):.3g})"
    )


def _encoded_labels(labels: object, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    raw = np.asarray(labels)
    if raw.ndim != 1 or raw.shape[0] != n_samples:
        raise ValueError(f"labels: expected shape ({n_samples},), got {raw.shape}")
    classes, encoded = np.unique(raw, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"labels: expected at least 2 classes, got {len(classes)}")
    return classes, encoded


def _features(features: object) -> np.ndarray:
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"features: expected a 2-D array (samples, features), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("features: expected finite values, got NaN or infinity")
    return x


def _problem(
    features: object, labels: object, c: float, c_name: str, balanced: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, np.ndarray]:
    """Validated features, sorted classes, encoded labels, C and per-sample class weights."""
    x = _features(features)
    classes, encoded = _encoded_labels(labels, x.shape[0])
    value = float(c)
    if not (value > 0 and np.isfinite(value)):
        raise ValueError(f"{c_name}: expected a positive number, got {c!r}")
    weights = balanced_sample_weights(encoded) if balanced else np.ones(x.shape[0])
    return x, classes, encoded, value, weights


def balanced_sample_weights(encoded: np.ndarray) -> np.ndarray:
    """scikit-learn's ``class_weight="balanced"``: sample weight n / (n_classes · n_c)."""
    counts = np.bincount(encoded)
    return (len(encoded) / (len(counts) * counts))[encoded]


def fit_logistic(
    features: object,
    labels: object,
    *,
    inverse_regularization: float = 1.0,
    balanced: bool = False,
) -> LinearClassifier:
    """L2-regularized logistic regression (scikit-learn's ``LogisticRegression`` objective).

    Minimizes ½‖W‖²_F + C Σ_i s_i ℓ_i, where ℓ_i is the cross-entropy of sample i: for two
    classes the binary logistic loss log(1 + exp(−y_i (w·x_i + b))) (y = ±1, one weight vector);
    for n_c ≥ 3 classes the multinomial loss −log softmax(W x_i + b)_{y_i} (one row of W per
    class). Intercepts are not penalized. s_i = 1, or the balanced class weight
    n / (n_c n_{y_i}). This is the objective of scikit-learn ≥ 0.22's default
    ``LogisticRegression(C=C)`` (solver ``lbfgs``; `code`: sklearn/linear_model/_logistic.py).
    Solved by Newton's method (unique optimum; the last class's intercept is fixed at 0 in the
    multinomial case, which leaves the probabilities unchanged).

    Parameters
    ----------
    features : array_like, shape (n, d)
    labels : array_like, shape (n,), at least two classes
    inverse_regularization : float, default 1.0
        C > 0 (scikit-learn's ``C``).
    balanced : bool, default False
        Weight samples by n / (n_c n_{y_i}) (``class_weight="balanced"``).

    Returns
    -------
    LinearClassifier
    """
    x, classes, encoded, c, weights = _problem(
        features, labels, inverse_regularization, "inverse_regularization", balanced
    )
    n, d = x.shape
    n_classes = len(classes)
    rows = 1 if n_classes == 2 else n_classes
    design = np.concatenate([x, np.ones((n, 1))], axis=1)  # (n, d + 1)
    onehot = np.eye(n_classes)[encoded]
    # free parameters: W (rows × d), intercepts of all rows except the last one in multinomial
    n_free_intercepts = rows if n_classes == 2 else rows - 1

    def unpack(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = theta[: rows * d].reshape(rows, d)
        b = np.zeros(rows)
        b[:n_free_intercepts] = theta[rows * d :]
        return w, b

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        w, b = unpack(theta)
        scores = x @ w.T + b
        if n_classes == 2:
            scores = np.concatenate([np.zeros((n, 1)), scores], axis=1)
        log_p = log_softmax(scores, axis=1)
        p = np.exp(log_p)
        value = c * float(weights @ -np.sum(onehot * log_p, axis=1)) + 0.5 * float(np.sum(w * w))
        residual = c * weights[:, None] * (p - onehot)  # d value / d scores
        param_rows = slice(1, 2) if n_classes == 2 else slice(0, rows)
        g_full = residual[:, param_rows].T @ design  # (rows, d + 1)
        grad_w = g_full[:, :d] + w
        grad_b = g_full[:n_free_intercepts, d]
        gradient = np.concatenate([grad_w.ravel(), grad_b])
        # Hessian of the loss in the scores: c s_i (diag p_i − p_i p_iᵀ), restricted to our rows
        pr = p[:, param_rows]
        cw = c * weights
        blocks = np.empty((rows, d + 1, rows, d + 1))
        for j in range(rows):
            for k in range(rows):
                coef = cw * (pr[:, j] * ((j == k) - pr[:, k]))
                blocks[j, :, k, :] = design.T @ (coef[:, None] * design)
        keep = [j * (d + 1) + a for j in range(rows) for a in range(d)]
        keep_b = [j * (d + 1) + d for j in range(n_free_intercepts)]
        flat = blocks.reshape(rows * (d + 1), rows * (d + 1))
        index = keep + keep_b
        hessian = flat[np.ix_(index, index)]
        hessian[: rows * d, : rows * d] += np.eye(rows * d)
        return value, gradient, hessian

    theta = _newton(
        objective, np.zeros(rows * d + n_free_intercepts), scale=max(1.0, c * weights.sum())
    )
    w, b = unpack(theta)
    return LinearClassifier(classes=classes, weights=w, intercepts=b)


def fit_squared_hinge_svm(
    features: object,
    labels: object,
    *,
    penalty_c: float = 1.0,
    balanced: bool = True,
) -> LinearClassifier:
    """Linear SVM with squared hinge loss: the primal problem of scikit-learn's ``LinearSVC``.

    ``LinearSVC(C=C, class_weight="balanced")`` (liblinear, L2 penalty, squared hinge,
    ``intercept_scaling=1``; `code`: sklearn/svm/src/liblinear/linear.cpp, ``train`` and
    ``train_one``) minimizes, for each decision function with targets y_i = ±1,

        ½ (‖w‖² + b²) + Σ_i C_i max(0, 1 − y_i (w·x_i + b))²,

    i.e. the intercept is a constant feature 1 and **is penalized** (liblinear's quirk: shifting
    a unit far from 0 changes the fit). Class weights: with two classes one problem, y = +1 for
    ``classes[1]``, C_i = C · weight(y_i); with n_c ≥ 3 classes one-vs-rest problems in which
    the positive class has C · weight(c) and **all other samples have plain C** (liblinear calls
    ``train_one(..., weighted_C[i], param->C)``). Balanced weights are n / (n_c n_c').
    Solved exactly by a generalized Newton method (the objective is strictly convex and
    piecewise quadratic; liblinear's dual coordinate descent stops at ``tol=1e-4``, so its
    decision values agree with these to about that tolerance).

    Parameters
    ----------
    features : array_like, shape (n, d)
    labels : array_like, shape (n,), at least two classes
    penalty_c : float, default 1.0
        C > 0.
    balanced : bool, default True

    Returns
    -------
    LinearClassifier
    """
    x, classes, encoded, c, class_weight = _problem(
        features, labels, penalty_c, "penalty_c", balanced
    )
    design = np.concatenate([x, np.ones((x.shape[0], 1))], axis=1)
    targets = [encoded == 1] if len(classes) == 2 else [encoded == k for k in range(len(classes))]
    rows = []
    for positive in targets:
        y = np.where(positive, 1.0, -1.0)
        ci = c * class_weight if len(classes) == 2 else np.where(positive, c * class_weight, c)
        rows.append(_squared_hinge_primal(design, y, ci))
    theta = np.array(rows)
    return LinearClassifier(classes=classes, weights=theta[:, :-1], intercepts=theta[:, -1])


def _squared_hinge_primal(design: np.ndarray, y: np.ndarray, ci: np.ndarray) -> np.ndarray:
    def objective(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        margin = 1.0 - y * (design @ theta)
        active = margin > 0
        value = 0.5 * float(theta @ theta) + float(np.sum(ci[active] * margin[active] ** 2))
        gradient = theta - 2.0 * design[active].T @ (ci[active] * y[active] * margin[active])
        hessian = np.eye(len(theta)) + 2.0 * design[active].T @ (ci[active, None] * design[active])
        return value, gradient, hessian

    return _newton(objective, np.zeros(design.shape[1]), scale=max(1.0, float(ci.sum())))


def roc_auc(scores: object, positive: object) -> float:
    """Area under the ROC curve of ``scores`` for the binary labels ``positive``.

    AUC = (Σ_{i positive} rank_i − n₊(n₊ + 1)/2) / (n₊ n₋) with average ranks of the scores
    (the Mann--Whitney statistic; a tied positive/negative pair counts 1/2), equal to the
    trapezoidal area of scikit-learn's ``roc_auc_score`` (Hanley & McNeil 1982, `paper`).

    Raises
    ------
    ValueError
        If only one class is present (the AUC is undefined).
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    pos = np.asarray(positive, dtype=bool).ravel()
    if s.shape != pos.shape:
        raise ValueError(f"roc_auc: scores {s.shape} and labels {pos.shape} differ in shape")
    n_pos = int(pos.sum())
    n_neg = pos.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("roc_auc: expected both positive and negative samples, got one class")
    # scipy.stats costs ~1 s to import (measured, `python -X importtime`) and is needed only
    # here: imported on the first AUC, not with the toolkit.
    from scipy.stats import rankdata

    ranks = rankdata(s)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
