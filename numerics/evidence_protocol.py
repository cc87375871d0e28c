"""EVIDENCE: the authors' out-of-distribution evaluation protocol, its fixed twin, and ours.

Re-implemented from reading DisentangleRes ``generalize.py`` and ``tasks.DenoiseQuads``
(commit 4f7ba78; provenance ``code`` unless a line says otherwise). For each trained network,
each held-out quadrant and each of ``fits`` fits, a fresh linear decoder
``nn.Linear(64, 2)`` (PyTorch default initialization) is trained by Adam (lr 3e-3) on the
mean-squared error of the decision-step state against x*, on fresh batches of 16 trials
from the three training quadrants, for 3e3/3e3/2e3/1e3/1e3 batches (N_task = 2/3/6/12/24).
It is scored on 640 fresh test trials (40 batches of 16) at the logging step that is 99 %
through training, r^2 = 1 - MSE / Var(U(-1/2, 1/2)) pooled over both coordinates; Fig. 3a
plots the 25/50/75 percentiles over networks x quadrants x fits.

Three protocols share the training trials of every fit (the decoders' training data do not
depend on the test set, so sharing them is the authors' procedure run once, and makes the
comparison paired):

``"authors-published"``
    generalize.py as published, **including its bug**: the test environment is built as
    ``DenoiseQuads(quad_num=<scalar>)``, so ``self.quads`` is the single row (s_1, s_2)/2 and
    each trial draws *one* entry of it, multiplying both coordinates by the same sign.
    Held-out quadrants 1 (+,+) and 3 (-,-) are tested correctly; quadrants 2 (-,+) and 4
    (+,-) are tested on trials from (+,+) and (-,-), which are training quadrants.
``"authors-fixed"``
    the same with a genuinely held-out quadrant (``quad_num=np.array([q])``).
``"least-squares"``
    the toolkit's own: an affine least-squares decoder fit on the same training trials, tested
    on the genuinely held-out quadrant.

Only numpy (and the toolkit's Adam) is used; the network enters as a function from evidence
samples to decision-step states, so the same protocol also scores the ideal route (mu(t)).

**D > 2.** The published generalize.py is 2-D (``DenoiseQuads``). For higher D its history
(commits cd03f34 "Generalize quad splitting" to 161c0e0, ``DenoiseQuadsHighDim`` with
``split = 4``; ``code``) holds out, in turn, the union of the orthants whose index is
congruent to q - 1 modulo 4 in ``itertools.product([-.5, .5], repeat=D)`` order: the signs of
the **last two coordinates** fixed (:data:`QUARTER_SIGNS`), the others free -- a quarter of
the box for every D, 4 held-out regions. Training trials: an orthant drawn uniformly from the
other 3 quarters' orthants, then uniform in it (= uniform on the complement); test trials
uniform in the held-out quarter; decoder ``Linear(F, D)``. Its test set is built from an
*array* of orthants, so the one-sign bug of a scalar ``quad_num`` does not arise there, and the
published code has no D > 2 path: for D > 2 only ``"authors-fixed"`` (this quarter protocol)
and ``"least-squares"`` are measured. For D = 2 the quarter is the quadrant and nothing changes
(quadrants keep generalize.py's 2-D numbering, :data:`QUADRANT_SIGNS`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from mtl_theory.numerics.evidence import Adam
from mtl_theory.numerics.metrics import decoded_axis_angles

#: Quadrant q = 1..4 of generalize.py / DenoiseQuads: the signs of (x_1, x_2) (``code``).
QUADRANT_SIGNS = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
#: (sign of x_{D-1}, sign of x_D) of held-out quarter q = 1..4 for D > 2 (``code``, the
#: history's split = 4: orthant index i - 1 = q - 1 mod 4 in product([-.5, .5]) order, bit 1
#: -> x_{D-1}, bit 0 -> x_D, bit set -> positive). See the module docstring.
QUARTER_SIGNS = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
#: Protocols measured for D > 2 (the published one has no D > 2 path).
PROTOCOLS_HIGH_D = ("authors-fixed", "least-squares")
#: Decoder batches per N_task in generalize.py (``code``: n_tasks, n_batch).
AUTHORS_DECODER_BATCHES = {2: 3000, 3: 3000, 6: 2000, 12: 1000, 24: 1000}
AUTHORS_FITS = 5  # n_fit (``code``)
AUTHORS_NETWORKS = 5  # n_runs (``code``)
AUTHORS_BATCH = 16  # batch_sz (``code``)
AUTHORS_TEST_BATCHES = 40  # n_test (``code``): 640 test trials per fit
AUTHORS_DECODER_LR = 3e-3  # optim.Adam(ff_net.parameters(), lr=0.003) (``code``)
#: Var of U(-1/2, 1/2). generalize.py uses np.var of 1e5 unseeded uniform draws, whose
#: relative standard error is sqrt(1/80 - 1/144) / (1/12) / sqrt(1e5) = 0.28 %: an r^2 of 0.9
#: moves by < 3e-4 between the two, far below the seed spread.
LATENT_VARIANCE = 1.0 / 12.0
PROTOCOLS = ("authors-published", "authors-fixed", "least-squares")
#: The bug the published protocol reproduces, named in every report that uses it.
PUBLISHED_BUG = (
    "generalize.py builds the test set as DenoiseQuads(quad_num=<scalar>): self.quads is then "
    "one row (s1, s2)/2 and each trial draws one entry of it, multiplying both coordinates by "
    "one random sign; held-out quadrants 2 (-,+) and 4 (+,-) are tested on (+,+) and (-,-) "
    "trials, which are training quadrants (quadrants 1 and 3 are tested correctly)"
)


def test_steps(n_batches: int) -> tuple[int, ...]:
    """Indices i (0-based) of the updates after which generalize.py scores the decoder.

    The test block runs inside ``if i % print_every == 0`` with ``print_every =
    int(n_batch / 100)`` after the i-th update, and keeps errors when ``round(i / n_batch *
    100) == 99`` (Python's round, half to even); errors of every such i are pooled. For the
    authors' counts this is the single step i = 0.99 n_batch (the decoder after 99 % + 1 of
    its updates).

    Examples
    --------
    >>> test_steps(2000)
    (1980,)
    >>> test_steps(150)
    (148, 149)
    """
    if n_batches < 100:
        raise ValueError(f"n_batches must be >= 100 (print_every = 0 otherwise), given {n_batches}")
    every = int(n_batches / 100)
    steps = tuple(i for i in range(0, n_batches, every) if round(i / n_batches * 100) == 99)
    if not steps:
        raise ValueError(f"no update of {n_batches} reaches the 99 % logging step")
    return steps


def training_latents(held_out: int, n: int, rng: np.random.Generator, D: int = 2) -> np.ndarray:
    """x* of ``n`` training trials: a uniformly chosen training quadrant, then uniform in it.

    ``DenoiseQuads(quad_num=<the other three>)``: ``quad = quads[choice(3)]``,
    ``stim = rand(2) * quad`` with |quad_j| = 1/2. D > 2: ``DenoiseQuadsHighDim`` with the
    other three quarters' orthants (module docstring): every orthant has the same volume, so
    drawing an orthant uniformly and then a point in it is drawing one of the 3 other sign
    pairs of the last two coordinates uniformly, the other coordinates U(-1/2, 1/2).
    """
    if D == 2:
        train = np.delete(QUADRANT_SIGNS, held_out - 1, axis=0)
        signs = train[rng.integers(0, train.shape[0], n)]
        return 0.5 * rng.random((n, 2)) * signs
    train = np.delete(QUARTER_SIGNS, held_out - 1, axis=0)
    x = rng.random((n, D)) - 0.5
    x[:, -2:] = 0.5 * rng.random((n, 2)) * train[rng.integers(0, train.shape[0], n)]
    return x


def test_latents(
    held_out: int, n: int, rng: np.random.Generator, *, published: bool, D: int = 2
) -> np.ndarray:
    """x* of ``n`` test trials of quadrant ``held_out`` (1..4); D > 2: of quarter ``held_out``.

    ``published=False``: uniform in the quadrant (the fix, ``quad_num=np.array([q])``).
    ``published=True``: the bug of generalize.py -- one of the quadrant's two signs, drawn
    per trial, multiplies both coordinates (see PUBLISHED_BUG); D = 2 only.
    """
    if D != 2:
        if published:
            raise ValueError("the published protocol is 2-D (generalize.py has no D > 2 path)")
        x = rng.random((n, D)) - 0.5
        x[:, -2:] = 0.5 * rng.random((n, 2)) * QUARTER_SIGNS[held_out - 1]
        return x
    signs = QUADRANT_SIGNS[held_out - 1]
    if published:
        s = signs[rng.integers(0, 2, n)][:, None]
        return 0.5 * rng.random((n, 2)) * s
    return 0.5 * rng.random((n, 2)) * signs


def evidence_samples(x: np.ndarray, sigma: float, t: int, rng: np.random.Generator) -> np.ndarray:
    """X(tau) = x* + sigma eps(tau), tau = 1..t, eps ~ N(0, I) (the stimulus period).

    Computed in place on the draws (sigma eps + x*: the same two roundings as
    x* + sigma eps, IEEE addition commuting exactly), without two more temporaries of the
    (n, t, D) size the protocols draw 10^4-10^5 trials of.
    """
    out = rng.standard_normal((x.shape[0], t, x.shape[1]))
    if np.result_type(out, sigma, x) != out.dtype:
        return x[:, None, :] + sigma * out
    out *= sigma
    out += x[:, None, :]
    return out


def _torch_linear_init(
    fan_in: int, fan_out: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    bound = 1.0 / math.sqrt(fan_in)
    return rng.uniform(-bound, bound, (fan_in, fan_out)), rng.uniform(-bound, bound, fan_out)


@dataclass(frozen=True)
class AdamDecoderFit:
    """One decoder trained by the authors' protocol: its test predictions and weights."""

    predictions: tuple[np.ndarray, ...]  # one (n_test, D) array per test set
    W: np.ndarray  # (F, D) at the (last) test step
    b: np.ndarray  # (D,)
    path: tuple[np.ndarray, ...] = ()  # predictions on ``path_features`` at ``path_steps``


def fit_adam_decoder(
    features: np.ndarray,
    latents: np.ndarray,
    test_features: tuple[np.ndarray, ...],
    rng: np.random.Generator,
    *,
    batch: int = AUTHORS_BATCH,
    lr: float = AUTHORS_DECODER_LR,
    path_steps: tuple[int, ...] = (),
    path_features: np.ndarray | None = None,
) -> AdamDecoderFit:
    """Online Adam on the MSE of a linear decoder, scored at :func:`test_steps` (``code``).

    ``features`` (n_batches * batch, F) are consumed in order, one batch per update (fresh
    trials every batch, as the authors' Dataset gives). MSE = sum(err^2) / (batch D)
    (util.MSELoss_weighted with mask 1); Adam with PyTorch's defaults (beta = (0.9, 0.999),
    eps = 1e-8). ``test_features`` holds, for every test set, one (k n_test, F) array: the
    trials scored at the k test steps, in order. ``path_steps`` (0-based update indices) also
    record the predictions on ``path_features`` along training (the early-stopping path).
    """
    n, F = features.shape
    D = latents.shape[1]
    n_batches = n // batch
    steps = test_steps(n_batches)
    # W (rows 0..F-1) and b (row F) in one array: Adam is elementwise, so one update of the
    # stacked array is the two updates bit for bit, at half the calls; every product below
    # is the one of separate W and b (views), into preallocated buffers (same numbers).
    Wb = np.vstack(_torch_linear_init(F, D, rng))
    W, b = Wb[:F], Wb[F]
    grad = np.empty_like(Wb)
    err = np.empty((batch, D))
    g = np.empty_like(err)
    opt = Adam(lr=lr)  # PyTorch's defaults: beta = (0.9, 0.999), eps = 1e-8
    per_step = [x.shape[0] // len(steps) for x in test_features]
    preds: list[list[np.ndarray]] = [[] for _ in test_features]
    path: list[np.ndarray] = []
    for i in range(n_batches):
        X = features[i * batch : (i + 1) * batch]
        np.matmul(X, W, out=err)
        err += b
        err -= latents[i * batch : (i + 1) * batch]
        np.multiply(err, 2.0, out=g)  # d/d(output) of sum(err^2) / numel
        g /= err.size
        np.matmul(X.T, g, out=grad[:F])
        np.sum(g, axis=0, out=grad[F])
        opt.step({"Wb": Wb}, {"Wb": grad})
        if i in steps:
            j = steps.index(i)
            for s, x in enumerate(test_features):
                preds[s].append(x[j * per_step[s] : (j + 1) * per_step[s]] @ W + b)
        if i in path_steps:
            path.append(path_features @ W + b)
    return AdamDecoderFit(
        tuple(np.concatenate(p) for p in preds),
        W.copy(),
        b.copy(),
        tuple(path),
    )


def held_out_spread_ratio(train_features: np.ndarray, test_features: np.ndarray) -> float:
    """Largest ratio, over the units that vary on the training trials, of a unit's standard
    deviation on the held-out test trials to its standard deviation on the training trials
    (nan if no unit varies on the training trials).

    Why it is recorded (measured, issue 10): the least-squares decoder gives a unit a weight
    of order (its sample correlation with the training residual) x (residual spread) / (its
    training spread); a unit almost silent on the three training quadrants and active on the
    held-out one multiplies that weight by its held-out spread, and the held-out error grows
    with the ratio squared. Ridge and early-stopped Adam barely move such a weight. A unit
    constant on the training trials (a ReLU unit that is off) gets no least-squares weight (the
    minimum-norm solution) and is left out.

    Examples
    --------
    >>> train = np.array([[0.0, 1.0], [0.0, 3.0], [0.0, 1.0], [0.0, 3.0]])
    >>> test = np.array([[5.0, 0.0], [5.0, 4.0], [5.0, 0.0], [5.0, 4.0]])
    >>> held_out_spread_ratio(train, test)  # column 0 is constant in training: left out
    2.0
    """
    train_spread = np.std(train_features, axis=0)
    live = train_spread > 0
    if not np.any(live):
        return float("nan")
    return float(np.max(np.std(test_features[:, live], axis=0) / train_spread[live]))


def least_squares_extrapolation(
    train_features: np.ndarray,
    train_latents: np.ndarray,
    test_features: np.ndarray,
    test_latents: np.ndarray,
) -> tuple[float, float]:
    """How far the held-out features leave the training trials, and how much of the affine
    least-squares decoder's held-out error its estimation noise accounts for (measured).

    Returns ``(direction_ratio, variance_share)``:

    - ``direction_ratio``: the largest root-mean-square excursion of the held-out features from
      the training mean along one direction, in units of the training spread along it,
      sqrt(lambda_max(M)), M the second moment about the training mean of the held-out features
      in the whitened coordinates of the training features (their numerical range, the rank
      cutoff of ``lstsq``). It is at least :func:`held_out_spread_ratio` of the same direction
      set whenever the unit axes lie in that range, and it sees directions no single unit shows.
    - ``variance_share``: sigma^2 mean_0 h_0 / MSE_0, the classical OLS prediction variance
      (``derived``: E[(a_0^T (w_hat - w))^2 | A] = sigma^2 h_0, h_0 = a_0^T (A^T A)^+ a_0 the
      leverage of the held-out row a_0 = [x_0, 1], for a linear model with homoscedastic
      noise independent of the features; sigma^2 the mean squared training residual, pooled
      over the coordinates) over the decoder's held-out mean squared error. A share near 1
      says the held-out error is estimation noise (more training trials would remove it);
      near 0, that it is the bias of extrapolating an affine fit (more trials would not).

    Examples
    --------
    Exact affine latents, noise only on training: the held-out error is all variance, and the
    share is near 1 (one draw: within a few tens of percent).

    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((4000, 3)); w = np.array([[1.0], [-2.0], [0.5]])
    >>> Y = X @ w + 0.1 * rng.standard_normal((4000, 1))
    >>> T = 3 * rng.standard_normal((4000, 3)); Yt = T @ w
    >>> ratio, share = least_squares_extrapolation(X, Y, T, Yt)
    >>> bool(2.5 < ratio < 3.5), bool(0.5 < share < 2.0)
    (True, True)
    """
    mean = train_features.mean(axis=0)
    centred = train_features - mean
    n = centred.shape[0]
    _, s, Vt = np.linalg.svd(centred, full_matrices=False)
    keep = s > s[0] * max(centred.shape) * np.finfo(float).eps
    whitened = (test_features - mean) @ Vt[keep].T / (s[keep] / math.sqrt(n))
    moment = whitened.T @ whitened / whitened.shape[0]
    direction_ratio = math.sqrt(max(float(np.linalg.eigvalsh(moment)[-1]), 0.0))
    A = np.hstack([train_features, np.ones((n, 1))])
    At = np.hstack([test_features, np.ones((test_features.shape[0], 1))])
    U, sa, Vat = np.linalg.svd(A, full_matrices=False)
    keep_a = sa > sa[0] * max(A.shape) * np.finfo(float).eps
    coef = Vat[keep_a].T @ ((U[:, keep_a].T @ train_latents) / sa[keep_a][:, None])
    sigma2 = float(np.mean((train_latents - A @ coef) ** 2))
    leverage = np.sum((At @ Vat[keep_a].T / sa[keep_a]) ** 2, axis=1)
    mse = float(np.mean((At @ coef - test_latents) ** 2))
    share = sigma2 * float(np.mean(leverage)) / mse if mse > 0 else float("nan")
    return direction_ratio, share


def least_squares_predictions(
    features: np.ndarray, latents: np.ndarray, test_features: np.ndarray
) -> np.ndarray:
    """Affine least-squares decoder fit on (features, latents), applied to test_features."""
    A = np.hstack([features, np.ones((features.shape[0], 1))])
    coef = np.linalg.lstsq(A, latents, rcond=None)[0]
    return np.hstack([test_features, np.ones((test_features.shape[0], 1))]) @ coef


#: Ridge penalties of the regularization path, in units of the mean eigenvalue of the training
#: features' covariance (so one path serves a 64-unit state and the 2-d mu(t) alike).
RIDGE_ALPHAS = (0.0, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
#: Fractions of the decoder batches at which the Adam path is recorded (the last is the
#: authors' test step).
ADAM_PATH_FRACTIONS = (0.01, 0.03, 0.1, 0.3, 0.99)


def ridge_path_predictions(
    features: np.ndarray,
    latents: np.ndarray,
    test_features: np.ndarray,
    alphas: tuple[float, ...] = RIDGE_ALPHAS,
) -> np.ndarray:
    """Predictions (len(alphas), n_test, D) of affine ridge decoders along a penalty path.

    W = argmin (1/n) ||Y - Y_bar - (X - X_bar) W||^2 + lambda ||W||^2 (intercept not
    penalized), lambda = alpha tr(Sigma)/F with Sigma the training features' covariance;
    solved through the SVD of the centred features, so alpha = 0 is the least-squares
    solution (that of :func:`least_squares_predictions` when the centred training features
    have full column rank; otherwise the minimum-norm one, with zero weight on directions
    the training trials never move).
    """
    mx, my = features.mean(axis=0), latents.mean(axis=0)
    Xc = features - mx
    n = Xc.shape[0]
    U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    scale = float(np.mean(s**2 / n))  # mean eigenvalue of Sigma
    proj = U.T @ (latents - my)
    keep = s > s[0] * max(Xc.shape) * np.finfo(float).eps  # numerical rank (lstsq's rcond)
    out = np.empty((len(alphas), test_features.shape[0], latents.shape[1]))
    for k, alpha in enumerate(alphas):
        shrink = np.zeros_like(s)
        shrink[keep] = s[keep] / (s[keep] ** 2 + n * alpha * scale)
        W = Vt.T @ (shrink[:, None] * proj)
        out[k] = (test_features - mx) @ W + my
    return out


def pooled_r2(predictions: np.ndarray, latents: np.ndarray) -> float:
    """1 - mean squared error (pooled over trials and coordinates) / Var(U(-1/2, 1/2))."""
    return float(1.0 - np.mean((predictions - latents) ** 2) / LATENT_VARIANCE)


def decoded_axes_angle(W: np.ndarray) -> float:
    """Angle (degrees) between the decoded axes, the columns of W (util.angles_between_vectors).

    D > 2: the mean of the D (D - 1) / 2 pairwise angles (each as for D = 2).
    """
    if W.shape[1] > 2:
        return float(np.mean(decoded_axis_angles(W.T)))
    a, b = W[:, 0], W[:, 1]
    cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def decoded_axes_deviation(W: np.ndarray) -> float:
    """Mean |angle - 90 deg| over the pairs of decoded axes (columns of W): 0 iff orthogonal."""
    return float(np.mean(np.abs(decoded_axis_angles(W.T) - 90.0)))


@dataclass(frozen=True)
class ProtocolScores:
    """r^2 of one network under the protocols, shape (4 quadrants, fits) each.

    ``r2`` has the keys of :data:`PROTOCOLS` (D = 2) or :data:`PROTOCOLS_HIGH_D` (D > 2,
    quadrant = held-out quarter). ``angles`` are the decoded-axis angles of the Adam decoders
    (degrees; D > 2: mean pairwise angle), ``angle_deviations`` their mean |angle - 90 deg|,
    ``seconds`` the wall time. Quadrant k of the arrays is generalize.py's quadrant k + 1
    (D > 2: quarter k + 1). On the genuinely held-out test trials, also: ``ridge`` (4, fits,
    len(RIDGE_ALPHAS)) the r^2 of ridge decoders along the penalty path (same training
    trials), ``adam_path`` (4, fits, len(ADAM_PATH_FRACTIONS)) the Adam decoder's r^2 after
    ``adam_path_updates`` updates, and ``spread_ratio`` (4, fits) the
    :func:`held_out_spread_ratio` of each fit's training and held-out features,
    ``extrapolation`` (4, fits, 2) its :func:`least_squares_extrapolation` (direction ratio,
    variance share).
    """

    r2: dict[str, np.ndarray]
    angles: np.ndarray
    decoder_batches: int
    test_trials: int
    seconds: float
    ridge: np.ndarray | None = None
    adam_path: np.ndarray | None = None
    adam_path_updates: tuple[int, ...] = ()
    angle_deviations: np.ndarray | None = None
    D: int = 2
    spread_ratio: np.ndarray | None = None
    extrapolation: np.ndarray | None = None


def score_network(
    states: Callable[[np.ndarray], np.ndarray],
    sigma: float,
    t: int,
    decoder_batches: int,
    fits: int,
    rng: np.random.Generator,
    *,
    batch: int = AUTHORS_BATCH,
    test_batches: int = AUTHORS_TEST_BATCHES,
    D: int = 2,
) -> ProtocolScores:
    """Run the protocols on one network (``states``: samples (n, t, D) -> (n, F)).

    For every held-out quadrant q = 1..4 and fit: fresh training trials
    (``decoder_batches`` x ``batch``) from the other three quadrants, one Adam decoder and one
    least-squares decoder on them; fresh test trials from the published (buggy) and the fixed
    test distributions, ``test_batches`` x ``batch`` per test step. D > 2: the held-out
    quarters of the module docstring, no published (buggy) test set.
    """
    if D < 2:
        raise ValueError(f"the protocols hold out a quadrant or quarter: D >= 2, given D = {D}")
    start = time.perf_counter()
    steps = test_steps(decoder_batches)
    n_test = test_batches * batch * len(steps)
    protocols = PROTOCOLS if D == 2 else PROTOCOLS_HIGH_D
    r2 = {p: np.empty((4, fits)) for p in protocols}
    angles = np.empty((4, fits))
    deviations = np.empty((4, fits))
    spread = np.empty((4, fits))
    extrapolation = np.empty((4, fits, 2))
    ridge = np.empty((4, fits, len(RIDGE_ALPHAS)))
    path_steps = tuple(
        min(decoder_batches - 1, int(f * decoder_batches)) for f in ADAM_PATH_FRACTIONS
    )
    adam_path = np.empty((4, fits, len(path_steps)))
    for q in range(1, 5):
        for f in range(fits):
            x_train = training_latents(q, decoder_batches * batch, rng, D)
            feats = states(evidence_samples(x_train, sigma, t, rng))
            # the draws in the order of the 2-D protocol (its numbers do not move with D > 2)
            x_pub = test_latents(q, n_test, rng, published=True) if D == 2 else None
            x_fix = test_latents(q, n_test, rng, published=False, D=D)
            test_sets: tuple[np.ndarray, ...] = ()
            if x_pub is not None:
                test_sets = (states(evidence_samples(x_pub, sigma, t, rng)),)
            f_fix = states(evidence_samples(x_fix, sigma, t, rng))
            fit = fit_adam_decoder(
                feats,
                x_train,
                (*test_sets, f_fix),
                rng,
                batch=batch,
                path_steps=path_steps,
                path_features=f_fix,
            )
            if D == 2:
                r2["authors-published"][q - 1, f] = pooled_r2(fit.predictions[0], x_pub)
            r2["authors-fixed"][q - 1, f] = pooled_r2(fit.predictions[-1], x_fix)
            r2["least-squares"][q - 1, f] = pooled_r2(
                least_squares_predictions(feats, x_train, f_fix), x_fix
            )
            angles[q - 1, f] = decoded_axes_angle(fit.W)
            deviations[q - 1, f] = decoded_axes_deviation(fit.W)
            spread[q - 1, f] = held_out_spread_ratio(feats, f_fix)
            extrapolation[q - 1, f] = least_squares_extrapolation(feats, x_train, f_fix, x_fix)
            ridge[q - 1, f] = [
                pooled_r2(p, x_fix) for p in ridge_path_predictions(feats, x_train, f_fix)
            ]
            adam_path[q - 1, f] = [pooled_r2(p, x_fix) for p in fit.path]
    return ProtocolScores(
        r2,
        angles,
        decoder_batches,
        n_test,
        time.perf_counter() - start,
        ridge,
        adam_path,
        tuple(s + 1 for s in path_steps),
        deviations,
        D,
        spread,
        extrapolation,
    )


def percentiles(values: np.ndarray) -> np.ndarray:
    """25/50/75 percentiles over every axis (networks x quadrants x fits), numpy's default
    linear interpolation (generalize.py: ``np.percentile(r_sq, [25,50,75], axis=(1,2,3))``)."""
    return np.percentile(np.asarray(values, dtype=float), [25, 50, 75])
