"""EVIDENCE: independent numerical routes (THEORY.md §2).

Nothing here evaluates a closed form of the quantity it measures:

* :func:`simulate_trials` draws latents and evidence; :func:`bayes_observer_mc` computes the
  posterior task probabilities from the raw samples by self-normalized importance sampling
  over the prior (box or flat) — not from the probit formula of EV-1;
* :func:`fit_readouts_cvxpy` / :func:`fit_readouts_scipy` train the "filter" network (an
  integrator state Z = sum_tau X(tau) with one logistic or probit readout per task) to global
  optimality by convex optimization;
* :class:`EvidenceRNN` is the paper's recurrent network trained by back-propagation through
  time with hand-written gradients (checked against finite differences in the tests) and Adam;
* :func:`count_cells_lp` counts the cells of a hyperplane arrangement by incremental linear
  programming (no general-position assumption).

Only :mod:`theory.evidence` setup helpers are imported (layering, DESIGN.md).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog, minimize
from scipy.special import expit, log_ndtr, ndtr

from numerics.metrics import decoded_axis_angles, ood_linear_r2_all_orthants

BOX_HALF_WIDTH = 0.5  # prior box [-1/2, 1/2]^D (the authors' code)


def rng_from(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


# --------------------------------------------------------------------------- metrics glue


def ood_r2_all(features: np.ndarray, latents: np.ndarray, latent_variance=None) -> np.ndarray:
    """OOD r^2 (2^D, D): decoder fit on all orthants but one, tested on the held-out one."""
    return np.asarray(
        ood_linear_r2_all_orthants(features, latents, latent_variance=latent_variance)
    )


def axis_angles(weights: np.ndarray) -> np.ndarray:
    """Pairwise angles (degrees) between the rows of a (D, F) array (decoded axes)."""
    return np.asarray(decoded_axis_angles(weights))


# --------------------------------------------------------------------------- simulation


@dataclass(frozen=True)
class Trials:
    """Simulated trials: latents x* (n, D) and evidence samples X (n, t, D)."""

    x_star: np.ndarray
    samples: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        """mu(t) = (1/t) sum_tau X(tau): the maximum-likelihood estimate."""
        return self.samples.mean(axis=1)

    @property
    def integrator(self) -> np.ndarray:
        """Z(t) = sum_tau X(tau): the state of the filter network."""
        return self.samples.sum(axis=1)


def simulate_trials(
    D: int, sigma: float, t: int, n_trials: int, rng: np.random.Generator
) -> Trials:
    """x* ~ Uniform([-1/2, 1/2]^D), X(tau) = x* + sigma eps(tau), eps ~ N(0, I) i.i.d."""
    x = rng.uniform(-BOX_HALF_WIDTH, BOX_HALF_WIDTH, size=(n_trials, D))
    noise = rng.standard_normal((n_trials, t, D))
    return Trials(x_star=x, samples=x[:, None, :] + sigma * noise)


def task_labels(x_star: np.ndarray, C: np.ndarray, d: np.ndarray) -> np.ndarray:
    """y_i = 1[c_i^T x* + d_i > 0] as 0/1 floats (n, N)."""
    return (x_star @ C.T + d > 0).astype(float)


# --------------------------------------------------------------------------- Bayes observer


@dataclass(frozen=True)
class ObserverEstimate:
    """Posterior task probabilities by importance sampling, with their standard errors."""

    p: np.ndarray
    se: np.ndarray
    posterior_mean: np.ndarray
    n_nodes: int


def bayes_observer_mc(
    samples: np.ndarray,
    C: np.ndarray,
    d: np.ndarray,
    sigma: float,
    *,
    prior: str = "box",
    n_nodes: int = 2048,
    proposal_scale: float = 1.5,
    defensive: float = 0.1,
    rng: np.random.Generator,
    chunk: int = 64,
) -> ObserverEstimate:
    """P(y_i = 1 | X(1..t)) by self-normalized importance sampling over the prior.

    The log-likelihood of a candidate x is -sum_tau ||X(tau) - x||^2 / (2 sigma^2), computed
    from the samples' sums (exact algebra). Nodes come from a defensive mixture (Hesterberg
    1995): with probability 1 - ``defensive`` a Gaussian around the sample mean, wider than
    the likelihood by ``proposal_scale``, otherwise uniform on the box. Weights are
    prior x likelihood / proposal density, so the estimate is consistent for either prior
    (``"box"``: the code's uniform prior; ``"flat"``: improper flat prior) and no posterior
    formula enters; the proposal only decides where the nodes go.

    Returns
    -------
    ObserverEstimate
        ``p`` (n, N), ``se`` (n, N) the delta-method standard error of the ratio estimator,
        ``posterior_mean`` (n, D).
    """
    if prior not in ("box", "flat"):
        raise ValueError(f"prior must be 'box' or 'flat', given {prior!r}")
    n, t, D = samples.shape
    s_sum = samples.sum(axis=1)
    s_sq = np.sum(samples**2, axis=(1, 2))
    centre = s_sum / t
    scale = proposal_scale * sigma / math.sqrt(t)
    log_box = -D * math.log(2 * BOX_HALF_WIDTH)
    p_out = np.empty((n, C.shape[0]))
    se_out = np.empty_like(p_out)
    mean_out = np.empty((n, D))
    for start in range(0, n, chunk):
        sl = slice(start, min(n, start + chunk))
        b = centre[sl].shape[0]
        gauss = centre[sl][:, None, :] + scale * rng.standard_normal((b, n_nodes, D))
        unif = rng.uniform(-BOX_HALF_WIDTH, BOX_HALF_WIDTH, size=(b, n_nodes, D))
        pick = rng.random((b, n_nodes, 1)) < defensive
        nodes = np.where(pick, unif, gauss)
        in_box = np.all(np.abs(nodes) <= BOX_HALF_WIDTH, axis=2)
        log_g = -np.sum((nodes - centre[sl][:, None, :]) ** 2, axis=2) / (2 * scale**2) - D * (
            math.log(scale) + 0.5 * math.log(2 * math.pi)
        )
        log_u = np.where(in_box, log_box, -np.inf)
        log_q = np.logaddexp(math.log1p(-defensive) + log_g, math.log(defensive) + log_u)
        # sum_tau ||X - x||^2 = sum ||X||^2 - 2 x . sum X + t ||x||^2
        sq = (
            s_sq[sl, None]
            - 2 * np.einsum("bmd,bd->bm", nodes, s_sum[sl])
            + t * np.sum(nodes**2, axis=2)
        )
        logw = -sq / (2 * sigma**2) - log_q
        if prior == "box":
            logw = np.where(in_box, logw, -np.inf)
        logw -= logw.max(axis=1, keepdims=True)
        w = np.exp(logw)
        w /= w.sum(axis=1, keepdims=True)
        inside = (np.einsum("bmd,nd->bmn", nodes, C) + d > 0).astype(float)
        p = np.einsum("bm,bmn->bn", w, inside)
        # delta-method SE of the self-normalized estimator: sqrt(sum w^2 (f - p)^2)
        se = np.sqrt(np.einsum("bm,bmn->bn", w**2, (inside - p[:, None, :]) ** 2))
        p_out[sl] = p
        se_out[sl] = se
        mean_out[sl] = np.einsum("bm,bmd->bd", w, nodes)
    return ObserverEstimate(p=p_out, se=se_out, posterior_mean=mean_out, n_nodes=n_nodes)


# --------------------------------------------------------------------------- filter network


@dataclass(frozen=True)
class Readouts:
    """Per-task readouts Y_i = link(w_i . Z + b_i) of the filter network."""

    W: np.ndarray  # (N, D)
    b: np.ndarray  # (N,)
    link: str
    solver: str
    objective: float
    covariances: tuple[np.ndarray, ...] = ()  # asymptotic cov of (w_i, b_i) (inverse Hessian)

    def logits(self, Z: np.ndarray) -> np.ndarray:
        return Z @ self.W.T + self.b


def _design(Z: np.ndarray) -> np.ndarray:
    return np.hstack([Z, np.ones((Z.shape[0], 1))])


def _nll_logistic(theta, A, y):
    s = A @ theta
    val = np.sum(np.logaddexp(0.0, s) - y * s)
    grad = A.T @ (expit(s) - y)
    return val, grad


def _nll_probit(theta, A, y):
    s = A @ theta
    val = -np.sum(y * log_ndtr(s) + (1 - y) * log_ndtr(-s))
    # d/ds log Phi(s) = phi(s)/Phi(s) = exp(log phi - log Phi), stable in both tails
    logphi = -0.5 * s**2 - 0.5 * math.log(2 * math.pi)
    g = -(y * np.exp(logphi - log_ndtr(s)) - (1 - y) * np.exp(logphi - log_ndtr(-s)))
    return val, A.T @ g


def _hessian(theta, A, y, link):
    s = A @ theta
    if link == "logistic":
        p = expit(s)
        h = p * (1 - p)
    else:
        # Fisher information weight of the probit model: phi^2 / (Phi (1 - Phi))
        logphi = -0.5 * s**2 - 0.5 * math.log(2 * math.pi)
        h = np.exp(2 * logphi - log_ndtr(s) - log_ndtr(-s))
    return A.T @ (h[:, None] * A)


def fit_readouts_scipy(Z: np.ndarray, Y: np.ndarray, link: str = "probit") -> Readouts:
    """Maximum-likelihood readouts by L-BFGS (a convex problem: the optimum is global).

    Also returns the inverse Hessian of each task's negative log-likelihood: the asymptotic
    covariance of the estimate, used to derive the tolerance of the direction check.
    """
    A = _design(Z)
    f = _nll_logistic if link == "logistic" else _nll_probit
    W, b, covs, total = [], [], [], 0.0
    for i in range(Y.shape[1]):
        res = minimize(
            f,
            np.zeros(A.shape[1]),
            args=(A, Y[:, i]),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 2000, "gtol": 1e-10, "ftol": 1e-15},
        )
        theta = res.x
        W.append(theta[:-1])
        b.append(theta[-1])
        covs.append(np.linalg.inv(_hessian(theta, A, Y[:, i], link)))
        total += float(res.fun)
    return Readouts(np.array(W), np.array(b), link, "scipy-lbfgs", total, tuple(covs))


def fit_readouts_cvxpy(Z: np.ndarray, Y: np.ndarray) -> Readouts:
    """Logistic readouts of all tasks in one convex program (cvxpy, exponential cone)."""
    import cvxpy as cp

    n, D = Z.shape
    N = Y.shape[1]
    W = cp.Variable((D, N))
    b = cp.Variable(N)
    S = Z @ W + np.ones((n, 1)) @ cp.reshape(b, (1, N), order="C")
    objective = cp.sum(cp.logistic(S)) - cp.sum(cp.multiply(Y, S))
    prob = cp.Problem(cp.Minimize(objective))
    prob.solve(solver=cp.CLARABEL)
    if prob.status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"cvxpy logistic readout: {prob.status}")
    return Readouts(
        np.asarray(W.value).T, np.asarray(b.value), "logistic", "cvxpy-clarabel", float(prob.value)
    )


def readout_probabilities(readouts: Readouts, Z: np.ndarray) -> np.ndarray:
    s = readouts.logits(Z)
    return ndtr(s) if readouts.link == "probit" else expit(s)


def direction_angle_and_se(readouts: Readouts, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Angle (rad) between each fitted w_i and c_i, and its asymptotic standard error.

    SE: sqrt(trace(P_perp Cov(w) P_perp)) / ||w||, the spread of w orthogonal to c_i.
    """
    angles, ses = [], []
    for i, w in enumerate(readouts.W):
        c = C[i] / np.linalg.norm(C[i])
        cos = np.clip(w @ c / np.linalg.norm(w), -1.0, 1.0)
        angles.append(math.acos(cos))
        D = len(w)
        P = np.eye(D) - np.outer(c, c)
        cov = readouts.covariances[i][:D, :D] if readouts.covariances else np.zeros((D, D))
        ses.append(math.sqrt(max(np.trace(P @ cov @ P), 0.0)) / np.linalg.norm(w))
    return np.array(angles), np.array(ses)


# --------------------------------------------------------------------------- estimators


def r2_of_estimate(
    estimate: np.ndarray, x_star: np.ndarray, variance: float
) -> tuple[float, float]:
    """r^2 = 1 - mean squared error / Var (pooled over coordinates) and its MC SE."""
    err = (estimate - x_star) ** 2
    flat = err.ravel()
    r2 = 1.0 - flat.mean() / variance
    # coordinates of one trial are independent given x* only for isotropic noise; use
    # per-trial means as the i.i.d. unit
    per_trial = err.mean(axis=1)
    se = per_trial.std(ddof=1) / math.sqrt(per_trial.size) / variance
    return float(r2), float(se)


def linear_estimate_r2_heldout(
    features: np.ndarray, target: np.ndarray, variance: float
) -> tuple[float, float]:
    """In-distribution r^2 of an affine decoder fit on the first half, tested on the second.

    Returns the pooled r^2 (normalized by ``variance``) and its MC standard error.
    """
    n = features.shape[0] // 2
    A = _design(features)
    coef = np.linalg.lstsq(A[:n], target[:n], rcond=None)[0]
    pred = A[n:] @ coef
    return r2_of_estimate(
        pred.reshape(pred.shape[0], -1), target[n:].reshape(pred.shape[0], -1), variance
    )


# --------------------------------------------------------------------------- cells


def _cell_interior(A: np.ndarray, b: np.ndarray, signs: np.ndarray) -> np.ndarray | None:
    """A point strictly inside {x : s_j (a_j . x + b_j) > 0 for all j}, or None.

    LP: maximize m subject to s_j (a_j . x + b_j) >= m, m <= 1, x free. The open cell is
    non-empty iff m* > 0 (rows normalized, so the tolerance is a distance).
    """
    n, D = A.shape
    c = np.zeros(D + 1)
    c[-1] = -1.0
    A_ub = np.hstack([-(signs[:, None] * A), np.ones((n, 1))])
    b_ub = signs * b
    res = linprog(
        c, A_ub=A_ub, b_ub=b_ub, bounds=[(None, None)] * D + [(None, 1.0)], method="highs"
    )
    if res.status != 0 or -res.fun <= 1e-9:
        return None
    return res.x[:D]


def count_cells_lp(C: np.ndarray, d: np.ndarray) -> int:
    """Number of open cells of the arrangement {c_i . x + d_i = 0} in R^D, by enumeration.

    Adds hyperplanes one at a time; each existing cell keeps the side its interior point is
    on and gains the other side iff an LP finds a strictly interior point there. Makes no
    general-position assumption (coincident or concurrent hyperplanes are handled).
    """
    norm = np.linalg.norm(np.hstack([C, d[:, None]]), axis=1)
    A = C / norm[:, None]
    b = d / norm
    D = C.shape[1]
    cells: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(0), np.zeros(D))]
    for i in range(A.shape[0]):
        nxt = []
        for signs, x in cells:
            value = A[i] @ x + b[i]
            for s in (1.0, -1.0):
                new = np.append(signs, s)
                if s * value > 1e-12:
                    # the interior point is strictly on this side: the child cell is non-empty
                    nxt.append((new, x))
                    continue
                y = _cell_interior(A[: i + 1], b[: i + 1], new)
                if y is not None:
                    nxt.append((new, y))
        cells = nxt
    return len(cells)


def count_cells_sampled(
    C: np.ndarray, d: np.ndarray, n_points: int, rng: np.random.Generator
) -> int:
    """Distinct sigma = 0 output patterns seen on points drawn from the box prior."""
    x = rng.uniform(-BOX_HALF_WIDTH, BOX_HALF_WIDTH, size=(n_points, C.shape[1]))
    patterns = x @ C.T + d > 0
    return int(np.unique(np.packbits(patterns, axis=1), axis=0).shape[0])


# --------------------------------------------------------------------------- RNN


@dataclass(frozen=True)
class RNNConfig:
    """The paper's RNN setting (``code``, reconstructed where the code was not read).

    Frozen random ReLU encoder D -> 100 -> 100 -> 40 (ReLU after the two hidden layers, a
    linear 40-d output: ``reconstructed``), plus a fixation input that is 1 during the t
    stimulus steps and 0 at the decision step (when the stimulus is also 0); 64 ReLU
    recurrent units; sigmoid heads read at the decision step; BCE; Adam.
    """

    D: int
    n_tasks: int
    hidden: int = 64
    encoder: tuple[int, ...] = (100, 100, 40)
    lr: float = 1e-3
    batch: int = 16
    clip: float = 1.0


def make_encoder(D: int, sizes: tuple[int, ...], rng: np.random.Generator) -> list[tuple]:
    layers, fan_in = [], D
    for k, size in enumerate(sizes):
        gain = math.sqrt(2.0) if k < len(sizes) - 1 else 1.0
        W = rng.standard_normal((fan_in, size)) * gain / math.sqrt(fan_in)
        b = 0.1 * rng.standard_normal(size)
        layers.append((W, b))
        fan_in = size
    return layers


def encode(layers: list[tuple], x: np.ndarray) -> np.ndarray:
    h = x
    for k, (W, b) in enumerate(layers):
        h = h @ W + b
        if k < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return h


def init_rnn_params(n_in: int, hidden: int, n_out: int, rng: np.random.Generator) -> dict:
    """Identity-initialized recurrence (IRNN, Le et al. 2015): starts as an integrator."""
    return {
        "W_in": rng.standard_normal((n_in, hidden)) / math.sqrt(n_in),
        "W_rec": np.eye(hidden),
        "b": np.zeros(hidden),
        "W_out": rng.standard_normal((hidden, n_out)) / math.sqrt(hidden),
        "b_out": np.zeros(n_out),
    }


def rnn_forward(params: dict, inputs: np.ndarray) -> np.ndarray:
    """h_tau = relu(u_tau W_in + h_{tau-1} W_rec + b), h_0 = 0; returns all states (B, T, H)."""
    B, T, _ = inputs.shape
    H = params["W_rec"].shape[0]
    h = np.zeros((B, H))
    states = np.empty((B, T, H))
    pre = inputs @ params["W_in"] + params["b"]
    W_rec = params["W_rec"]
    for k in range(T):
        a = pre[:, k] + h @ W_rec
        h = np.maximum(a, 0.0)
        states[:, k] = h
    return states


def rnn_loss_and_grads(params: dict, inputs: np.ndarray, Y: np.ndarray) -> tuple[float, dict]:
    """Mean binary cross-entropy at the decision step and its exact gradient (BPTT)."""
    B, T, _ = inputs.shape
    states = rnn_forward(params, inputs)
    hT = states[:, -1]
    o = hT @ params["W_out"] + params["b_out"]
    n = Y.size
    loss = float(np.sum(np.logaddexp(0.0, o) - Y * o) / n)
    do = (expit(o) - Y) / n
    g = {k: np.zeros_like(v) for k, v in params.items()}
    g["W_out"] = hT.T @ do
    g["b_out"] = do.sum(axis=0)
    dh = do @ params["W_out"].T
    W_recT = params["W_rec"].T
    H = states.shape[2]
    zeros = np.zeros((B, H))
    dpre = np.empty_like(states)
    for k in range(T - 1, -1, -1):
        da = dh * (states[:, k] > 0)  # relu'(a) = 1[a > 0] = 1[h > 0]
        dpre[:, k] = da
        dh = da @ W_recT
    prev = np.concatenate([zeros[:, None], states[:, :-1]], axis=1)
    flat_dpre = dpre.reshape(B * T, H)
    g["W_rec"] = prev.reshape(B * T, H).T @ flat_dpre
    g["W_in"] = inputs.reshape(B * T, -1).T @ flat_dpre
    g["b"] = flat_dpre.sum(axis=0)
    return loss, g


@dataclass
class Adam:
    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        self.m: dict = {}
        self.v: dict = {}
        self.k = 0

    def step(self, params: dict, grads: dict) -> None:
        self.k += 1
        for name, g in grads.items():
            m = self.m.setdefault(name, np.zeros_like(g))
            v = self.v.setdefault(name, np.zeros_like(g))
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            mhat = m / (1 - self.beta1**self.k)
            vhat = v / (1 - self.beta2**self.k)
            params[name] -= self.lr * mhat / (np.sqrt(vhat) + self.eps)


@dataclass(frozen=True)
class RNNResult:
    params: dict
    encoder: list
    losses: np.ndarray  # running mean BCE every ``log_every`` batches
    baseline_loss: float  # BCE of the best constant predictor (the label frequencies)
    seconds: float
    batches: int
    batch: int


def rnn_inputs(encoder: list, samples: np.ndarray) -> np.ndarray:
    """(B, t, D) samples -> (B, t + 1, 41) inputs: encoded stimulus + fixation, then decision."""
    B, t, D = samples.shape
    feats = encode(encoder, samples.reshape(B * t, D)).reshape(B, t, -1)
    stim = np.concatenate([feats, np.ones((B, t, 1))], axis=2)
    decision = np.zeros((B, 1, stim.shape[2]))
    return np.concatenate([stim, decision], axis=1)


def train_rnn(
    C: np.ndarray,
    d: np.ndarray,
    sigma: float,
    t: int,
    *,
    batches: int,
    seed: int,
    config: RNNConfig | None = None,
    log_every: int = 100,
) -> RNNResult:
    """Train the paper's RNN on fresh trials every batch (online, as in the code)."""
    N, D = C.shape
    config = config or RNNConfig(D=D, n_tasks=N)
    rng = rng_from(seed)
    encoder = make_encoder(D, config.encoder, rng)
    params = init_rnn_params(config.encoder[-1] + 1, config.hidden, N, rng)
    opt = Adam(lr=config.lr)
    losses, running = [], []
    start = time.perf_counter()
    for k in range(batches):
        trials = simulate_trials(D, sigma, t, config.batch, rng)
        Y = task_labels(trials.x_star, C, d)
        loss, grads = rnn_loss_and_grads(params, rnn_inputs(encoder, trials.samples), Y)
        norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
        if norm > config.clip:
            for g in grads.values():
                g *= config.clip / norm
        opt.step(params, grads)
        running.append(loss)
        if (k + 1) % log_every == 0:
            losses.append(float(np.mean(running)))
            running = []
    seconds = time.perf_counter() - start
    # the trivial baseline: predict each task's label frequency (entropy of the labels)
    probe = simulate_trials(D, sigma, t, 20000, rng)
    freq = task_labels(probe.x_star, C, d).mean(axis=0).clip(1e-12, 1 - 1e-12)
    baseline = float(np.mean(-(freq * np.log(freq) + (1 - freq) * np.log(1 - freq))))
    return RNNResult(params, encoder, np.array(losses), baseline, seconds, batches, config.batch)


def rnn_states(result: RNNResult, samples: np.ndarray) -> np.ndarray:
    """Hidden state at the decision step (B, H): the representation decoded out of distribution."""
    states = rnn_forward(result.params, rnn_inputs(result.encoder, samples))
    return states[:, -1]


def rnn_eval_loss(result: RNNResult, trials: Trials, C: np.ndarray, d: np.ndarray) -> float:
    Y = task_labels(trials.x_star, C, d)
    loss, _ = rnn_loss_and_grads(result.params, rnn_inputs(result.encoder, trials.samples), Y)
    return loss


def rnn_autonomous_jacobians(
    result: RNNResult, states: np.ndarray, relax_steps: int = 50
) -> tuple[np.ndarray, float]:
    """Eigenvalues of the decision-period dynamics' Jacobian near its slow points.

    With no stimulus and the fixation input off, h <- relu(h W_rec + b) is autonomous. Each
    decision-step state is relaxed for ``relax_steps`` steps (a continuous attractor keeps it
    where it is); the Jacobian there is diag(1[a > 0]) W_rec^T. A 2-D continuous attractor
    has two eigenvalues near 1 (the "two near-zero eigenvalues" of the continuous-time
    linearization J - I, THEORY.md EV-7) and the rest inside the unit circle.

    Returns
    -------
    eigenvalues : ndarray (n, H)
        Moduli sorted in decreasing order, one row per state.
    drift : float
        Median ||h_relaxed - h|| / ||h||: how far the states move while relaxing.
    """
    W, b = result.params["W_rec"], result.params["b"]
    h = states.copy()
    for _ in range(relax_steps):
        h = np.maximum(h @ W + b, 0.0)
    drift = float(
        np.median(
            np.linalg.norm(h - states, axis=1) / np.maximum(np.linalg.norm(states, axis=1), 1e-12)
        )
    )
    a = h @ W + b
    eig = np.empty_like(h)
    for k in range(h.shape[0]):
        J = (a[k] > 0)[:, None] * W.T
        eig[k] = np.sort(np.abs(np.linalg.eigvals(J)))[::-1]
    return eig, drift
