"""EVIDENCE: independent numerical routes (THEORY.md §2).

Nothing here evaluates a closed form of the quantity it measures:

* :func:`simulate_trials` draws latents and evidence; :func:`bayes_observer_mc` computes the
  posterior task probabilities from the raw samples by self-normalized importance sampling
  over the prior (box or flat) — not from the probit formula of EV-1;
* :func:`fit_readouts_cvxpy` / :func:`fit_readouts_scipy` train the "filter" network (an
  integrator state Z = sum_tau X(tau) with one logistic or probit readout per task) to global
  optimality by convex optimization;
* :func:`train_rnn` trains the paper's recurrent network (:class:`RNNConfig`) by
  back-propagation through time with hand-written gradients (checked against finite
  differences in the tests) and Adam;
* :func:`find_fixed_points` searches the fixed points of the RNN's stimulus-free map by
  minimizing q(h) = 1/2 ||F(h) - h||^2 (L-BFGS-B, hand-written ReLU Jacobian) from the
  network's own states (EV-7: a 2-D continuous attractor, measured only);
* :func:`count_cells_lp` counts the cells of a hyperplane arrangement by incremental linear
  programming (no general-position assumption).

Only :mod:`mtl_theory.theory.evidence` setup helpers are imported (layering, DESIGN.md).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

import numpy as np
from mtl_theory.numerics import progress
from mtl_theory.numerics.metrics import (
    decoded_axis_angles,
    ood_linear_r2,
    ood_linear_r2_all_orthants,
    orthant_index,
)
from mtl_theory.numerics.precision import DEFAULT_DTYPE, numpy_dtype
from scipy.linalg import solve_toeplitz
from scipy.optimize import linprog, minimize
from scipy.special import expit, log_ndtr, ndtr

BOX_HALF_WIDTH = 0.5  # prior box [-1/2, 1/2]^D (the authors' code)


def rng_from(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


def case_rng(seed: int, key: str) -> np.random.Generator:
    """A generator for one setup: the seed and a fingerprint of the setup, mixed.

    Different setups with the same seed get independent streams (so the suite's cases are
    independent samples), while the same setup and seed give the same numbers everywhere.
    """
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), *words])))


#: Normal draws held at once by :func:`mean_estimate_errors` (32 MiB of float64).
EQ7_BLOCK_DRAWS = 1 << 22


@dataclass(frozen=True)
class SquaredErrorMoments:
    """Moments of the squared error of an estimate of x*, mergeable across chunks of trials.

    ``total`` is the sum of every squared error (``count`` trials of ``coords`` coordinates);
    ``trial_mean`` and ``trial_m2`` are the mean and the sum of squared deviations of the
    per-trial mean squared error, the i.i.d. unit of the standard error. Two chunks merge by
    Chan, Golub and LeVeque's pairwise update (1979), so a streamed sample gives the r^2 and
    SE of the whole sample up to the order of summation (a few ulps).
    """

    count: int
    coords: int
    total: float
    trial_mean: float
    trial_m2: float

    @classmethod
    def of(cls, estimate: np.ndarray, x_star: np.ndarray) -> SquaredErrorMoments:
        """The moments of one chunk: (n, D) estimates against (n, D) latents."""
        err = (estimate - x_star) ** 2
        per_trial = err.mean(axis=1)
        n = per_trial.size
        # the same operations as numpy's mean and var, so one chunk gives their numbers
        mean = per_trial.sum() / n
        dev = per_trial - mean
        return cls(n, err.shape[1], float(err.ravel().sum()), float(mean), float(np.sum(dev * dev)))

    def merge(self, other: SquaredErrorMoments) -> SquaredErrorMoments:
        """The moments of both chunks together (Chan et al.'s update of mean and M2)."""
        n = self.count + other.count
        delta = other.trial_mean - self.trial_mean
        return SquaredErrorMoments(
            n,
            self.coords,
            self.total + other.total,
            self.trial_mean + delta * other.count / n,
            self.trial_m2 + other.trial_m2 + delta * delta * self.count * other.count / n,
        )

    def r2_and_se(self, variance: float) -> tuple[float, float]:
        """r^2 = 1 - mean squared error / Var (pooled over coordinates) and its MC SE."""
        r2 = 1.0 - self.total / (self.count * self.coords) / variance
        if self.count < 2:
            return float(r2), math.nan
        se = math.sqrt(self.trial_m2 / (self.count - 1)) / math.sqrt(self.count) / variance
        return float(r2), float(se)


@dataclass(frozen=True)
class MeanEstimateErrors:
    """Eq. 7's Monte-Carlo sample reduced to its error moments (:func:`mean_estimate_errors`).

    ``mean`` is mu(t) = (1/t) sum_tau X(tau) against x* on every trial; ``heldout`` is an
    affine decoder of x* from mu fit by least squares on the first ``n_fit`` trials and
    tested on the rest, with its coefficients ``coef`` ((D + 1, D), intercept last).
    """

    n_trials: int
    n_fit: int
    mean: SquaredErrorMoments
    heldout: SquaredErrorMoments
    coef: np.ndarray


def _normal_equations_solution(gram: np.ndarray, cross: np.ndarray) -> np.ndarray:
    """Least-squares coefficients from the normal equations G b = A^T y, Jacobi-scaled.

    Squaring the design matrix squares its condition number, but only the scaled one counts
    for Cholesky-type solves (van der Sluis 1969): with columns scaled to unit norm the
    design [mu, 1] has nearly orthogonal columns here (mu is centred on the box's centre and
    its coordinates are independent), so the scaled Gram is within O(n^-1/2) of the identity
    and the coefficients are accurate to a few ulps times its condition number.
    """
    scale = np.sqrt(np.diag(gram))
    scale[scale == 0] = 1.0
    scaled = gram / np.outer(scale, scale)
    return np.linalg.solve(scaled, cross / scale[:, None]) / scale[:, None]


def mean_estimate_errors(
    D: int,
    sigma: float,
    t: int,
    n_trials: int,
    rng: np.random.Generator,
    *,
    block_draws: int = EQ7_BLOCK_DRAWS,
) -> MeanEstimateErrors:
    """Simulate x* from the box and mu(t), keeping only the error moments (memory bounded).

    The samples are drawn a block of trials at a time (at most ``block_draws`` normal
    numbers in memory), so a large Monte-Carlo sample for a power requirement costs time,
    not memory (issue 14: 2·10^8 trials held in full took > 14 GiB). The mean is computed
    from the samples, never from its distribution. The decoder's least squares accumulates
    the normal equations of the first ``n_trials // 2`` trials (:func:`_normal_equations_
    solution`); the trials after them are its test set.
    """
    per_block = max(1, block_draws // max(t * D, 1))
    n_fit = n_trials // 2
    gram, cross = np.zeros((D + 1, D + 1)), np.zeros((D + 1, D))
    mean_moments = heldout = coef = None
    done = 0
    while done < n_trials:
        m = min(per_block, n_trials - done)
        x = rng.uniform(-BOX_HALF_WIDTH, BOX_HALF_WIDTH, size=(m, D))
        noise = rng.standard_normal((m, t, D))
        mu = x + sigma * noise.mean(axis=1)
        chunk = SquaredErrorMoments.of(mu, x)
        mean_moments = chunk if mean_moments is None else mean_moments.merge(chunk)
        fit = max(0, min(m, n_fit - done))  # the block's trials that belong to the fit
        if fit:
            A = _design(mu[:fit])
            gram += A.T @ A
            cross += A.T @ x[:fit]
        if fit < m:
            if coef is None:
                coef = _normal_equations_solution(gram, cross)
            tested = SquaredErrorMoments.of(_design(mu[fit:]) @ coef, x[fit:])
            heldout = tested if heldout is None else heldout.merge(tested)
        done += m
    return MeanEstimateErrors(n_trials, n_fit, mean_moments, heldout, coef)


# --------------------------------------------------------------------------- metrics glue


def ood_r2_all(features: np.ndarray, latents: np.ndarray, latent_variance=None) -> np.ndarray:
    """OOD r^2 (2^D, D): decoder fit on all orthants but one, tested on the held-out one."""
    return np.asarray(
        ood_linear_r2_all_orthants(features, latents, latent_variance=latent_variance)
    )


def ood_r2_nonempty(
    features: np.ndarray, latents: np.ndarray, latent_variance=None
) -> tuple[np.ndarray, int]:
    """:func:`ood_r2_all` over the orthants that hold trials: (rows (k, D), orthants skipped).

    With 2^D orthants and a finite pool some orthants are empty once 2^D is comparable with
    the number of trials (D = 10: 1024 orthants; 4000 uniform trials leave about
    1024 e^{-4000/1024} = 20 empty); an empty orthant cannot be held out, so it is skipped
    and counted. When every orthant holds trials this is :func:`ood_r2_all`.
    """
    present = np.unique(orthant_index(latents))
    if present.size == 2 ** latents.shape[1]:
        return ood_r2_all(features, latents, latent_variance), 0
    rows = [
        ood_linear_r2(features, latents, int(o), latent_variance=latent_variance) for o in present
    ]
    return np.array(rows), int(2 ** latents.shape[1] - present.size)


def axis_angles(weights: np.ndarray, n_latents: int | None = None) -> np.ndarray:
    """Pairwise angles (degrees) between the rows of a (D, F) array (decoded axes).

    ``n_latents = D`` states the orientation, so that fewer features than latents (a filter
    network with N_task < D readouts: a rank-deficient decoder) is accepted rather than
    refused as a likely transposed layout.
    """
    return np.asarray(decoded_axis_angles(weights, n_latents=n_latents))


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

    def first(self, n: int) -> np.ndarray:
        """The samples of the first n trials, (n, t, D)."""
        return self.samples[:n]

    @property
    def integrator(self) -> np.ndarray:
        """Z(t) = sum_tau X(tau): the state of the filter network."""
        return self.samples.sum(axis=1)


#: Normal numbers drawn at once by the chunked simulator (32 MiB of float64): the memory of
#: a Monte-Carlo run does not grow with n_trials × t beyond this (issue 14).
CHUNK_DRAWS = 1 << 22


def iter_trial_chunks(
    D: int,
    sigma: float,
    t: int,
    n_trials: int,
    rng: np.random.Generator,
    *,
    scales: np.ndarray | None = None,
    rho_time: float = 0.0,
    rho_coord: float = 0.0,
    prior: str = "box",
    chunk_draws: int | None = CHUNK_DRAWS,
):
    """The trials of :func:`simulate_trials`, a block of trials at a time.

    Yields :class:`Trials` of at most max(1, chunk_draws // (t D)) trials each (all at once
    when ``chunk_draws`` is None). The latents x* of all trials are drawn first, then the
    noise trial after trial: the generator is called in the same order with the same total
    count as by one draw of shape (n, t, D), so the chunks concatenate bit for bit to the
    unchunked result for the same generator state (tests/test_reliability_streaming.py).
    """
    if prior == "box":
        x = rng.uniform(-BOX_HALF_WIDTH, BOX_HALF_WIDTH, size=(n_trials, D))
    elif prior == "gaussian":
        x = rng.standard_normal((n_trials, D)) * (2 * BOX_HALF_WIDTH / math.sqrt(12.0))
    else:
        raise ValueError(f"prior: expected 'box' or 'gaussian', given {prior!r}")
    per = n_trials if chunk_draws is None else max(1, chunk_draws // max(t * D, 1))
    chol = None
    if rho_coord != 0.0:
        R = (1.0 - rho_coord) * np.eye(D) + rho_coord * np.ones((D, D))
        chol = np.linalg.cholesky(R).T
    for lo in range(0, max(n_trials, 1), max(per, 1)):
        progress.tick("Monte-Carlo trials", lo, n_trials)
        hi = min(n_trials, lo + per)
        noise = rng.standard_normal((hi - lo, t, D))
        if rho_time != 0.0:
            innovation = math.sqrt(1.0 - rho_time**2)
            for k in range(1, t):  # recursion in time; every trial and coordinate at once
                noise[:, k] = rho_time * noise[:, k - 1] + innovation * noise[:, k]
        if chol is not None:
            noise = noise @ chol
        if scales is not None:
            noise = noise * np.asarray(scales, dtype=float)
        xs = x[lo:hi]
        yield Trials(x_star=xs, samples=xs[:, None, :] + sigma * noise)


def simulate_trials(
    D: int,
    sigma: float,
    t: int,
    n_trials: int,
    rng: np.random.Generator,
    *,
    scales: np.ndarray | None = None,
    rho_time: float = 0.0,
    rho_coord: float = 0.0,
    prior: str = "box",
) -> Trials:
    """x* ~ Uniform([-1/2, 1/2]^D), X(tau) = x* + sigma eps(tau); vectorized over trials.

    ``prior = "gaussian"`` draws x* ~ N(0, (1/12) I) instead (the box's variance): an
    isotropic Gaussian prior keeps the posterior's task probabilities exactly probit in the
    direction c_i, which the box prior does not (EV-1).

    eps defaults to N(0, I) i.i.d. (isotropic). Options (the noise families of
    ``theory.evidence.NOISE_KINDS``): ``scales`` multiplies coordinate j by s_j
    (anisotropic); ``rho_coord`` correlates the coordinates, Cov = (1 - rho) I + rho 1 1^T
    (Cholesky factor); ``rho_time`` makes each coordinate a stationary AR(1) process,
    eps(tau) = rho eps(tau - 1) + sqrt(1 - rho^2) xi(tau), eps(1) = xi(1). The isotropic
    draws are unchanged by the options' existence (same generator calls, same numbers).
    Holds all n × t × D samples: where only per-trial estimates and a few full trials are
    needed, :func:`summarize_trials` streams them in bounded memory.
    """
    (trials,) = iter_trial_chunks(
        D,
        sigma,
        t,
        n_trials,
        rng,
        scales=scales,
        rho_time=rho_time,
        rho_coord=rho_coord,
        prior=prior,
        chunk_draws=None,
    )
    return trials


@dataclass(frozen=True)
class TrialSummary:
    """What the EVIDENCE verification reads from n simulated trials, without their samples.

    ``x_star``, ``mean`` (the sample mean μ(t)), ``estimate`` (the flat-prior optimal
    estimate, :func:`optimal_estimate`) and ``integrator`` (Σ_τ X(τ)) are (n, D); ``head``
    holds the first ``keep`` trials in full (the importance-sampling observer reads raw
    samples).
    """

    x_star: np.ndarray
    mean: np.ndarray
    estimate: np.ndarray
    integrator: np.ndarray
    head: Trials

    def first(self, n: int) -> np.ndarray:
        """The samples of the first n trials (n at most the ``keep`` they were kept for)."""
        if n > self.head.samples.shape[0]:
            raise ValueError(f"{n} full trials asked, {self.head.samples.shape[0]} kept")
        return self.head.samples[:n]


def summarize_trials(
    D: int,
    sigma: float,
    t: int,
    n_trials: int,
    rng: np.random.Generator,
    *,
    keep: int = 0,
    scales: np.ndarray | None = None,
    rho_time: float = 0.0,
    rho_coord: float = 0.0,
    chunk_draws: int | None = CHUNK_DRAWS,
) -> TrialSummary:
    """:func:`simulate_trials` reduced chunk by chunk: memory ~ (chunk + keep·t·D + 3·n·D)
    floats instead of n·t·D; the same numbers as the unchunked simulator for the same
    generator state (same draws; each trial's mean and estimate are computed from its own
    samples alone)."""
    xs, means, estimates, sums, heads = [], [], [], [], []
    kept = 0
    for chunk in iter_trial_chunks(
        D,
        sigma,
        t,
        n_trials,
        rng,
        scales=scales,
        rho_time=rho_time,
        rho_coord=rho_coord,
        chunk_draws=chunk_draws,
    ):
        xs.append(chunk.x_star)
        means.append(chunk.mean)
        estimates.append(optimal_estimate(chunk.samples, rho_time))
        sums.append(chunk.integrator)
        if kept < keep:
            heads.append(chunk.samples[: keep - kept].copy())
            kept += heads[-1].shape[0]
    x = np.concatenate(xs) if xs else np.zeros((0, D))
    head = np.concatenate(heads) if heads else np.zeros((0, t, D))
    return TrialSummary(
        x_star=x,
        mean=np.concatenate(means) if means else np.zeros((0, D)),
        estimate=np.concatenate(estimates) if estimates else np.zeros((0, D)),
        integrator=np.concatenate(sums) if sums else np.zeros((0, D)),
        head=Trials(x_star=x[: head.shape[0]], samples=head),
    )


def summarize_setup_trials(setup, n_trials: int, rng: np.random.Generator) -> TrialSummary:
    """summarize_trials with the noise family of an EvidenceSetup (bounded memory)."""
    return summarize_trials(
        setup.D,
        setup.sigma,
        setup.t,
        n_trials,
        rng,
        scales=setup.noise_scales if setup.noise == "anisotropic" else None,
        rho_time=setup.noise_rho if setup.noise == "autocorrelated" else 0.0,
        rho_coord=setup.noise_rho if setup.noise == "correlated" else 0.0,
    )


def gls_weights(t: int, rho_time: float) -> np.ndarray:
    """Weights w of the best linear unbiased (GLS) estimate of a constant under AR(1) noise.

    Computed numerically, w = T^-1 1 / (1^T T^-1 1) with T_ij = rho^|i - j| solved by
    Levinson recursion (scipy.linalg.solve_toeplitz) -- not from the closed form of its
    variance, which is what the check compares against.
    """
    column = rho_time ** np.arange(t)
    w = solve_toeplitz(column, np.ones(t))
    return w / w.sum()


def optimal_estimate(samples: np.ndarray, rho_time: float) -> np.ndarray:
    """The flat-prior posterior mean of x*: the sample mean, or the GLS mean under AR(1)."""
    if rho_time == 0.0:
        return samples.mean(axis=1)
    return np.einsum("ntd,t->nd", samples, gls_weights(samples.shape[1], rho_time))


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
    #: Kish effective sample size 1 / sum w^2 of the normalized weights, per trial (n,)
    ess: np.ndarray


def _small_sum(terms: list[np.ndarray]) -> np.ndarray:
    """The sum of one or two arrays, left to right: over a last axis of length 1 or 2, the
    value of ``np.sum`` (and of ``np.einsum`` for products, rounded one by one); a sum of
    two terms is the same in either order."""
    if len(terms) not in (1, 2):
        raise ValueError(f"_small_sum takes one or two terms, got {len(terms)}")
    return terms[0] if len(terms) == 1 else terms[0] + terms[1]


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
        ``posterior_mean`` (n, D), ``ess`` (n,) the Kish effective sample size
        1 / sum_m w_m^2 of each trial's normalized weights (Kong 1992; it falls as the
        proposal's mismatch grows with D, and the delta-method ``se`` is reliable only when
        it is large: its relative error is of order 1/ess).
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
    ess_out = np.empty(n)
    # D <= 2 (the paper's main setups): the sums over the last axis by elementwise products
    # and at most one addition (_small_sum), the values numpy's reductions and einsum give
    # there without their per-element iteration (tested bit for bit); einsum otherwise
    small = D <= 2
    for start in range(0, n, chunk):
        sl = slice(start, min(n, start + chunk))
        b = centre[sl].shape[0]
        gauss = centre[sl][:, None, :] + scale * rng.standard_normal((b, n_nodes, D))
        unif = rng.uniform(-BOX_HALF_WIDTH, BOX_HALF_WIDTH, size=(b, n_nodes, D))
        pick = rng.random((b, n_nodes, 1)) < defensive
        nodes = np.where(pick, unif, gauss)
        near = np.abs(nodes) <= BOX_HALF_WIDTH
        offset2 = (nodes - centre[sl][:, None, :]) ** 2
        squares = nodes**2
        if small:
            in_box = near[..., 0] if D == 1 else near[..., 0] & near[..., 1]
            spread = _small_sum([offset2[..., k] for k in range(D)])
            cross = _small_sum([nodes[..., k] * s_sum[sl][:, None, k] for k in range(D)])
            norms = _small_sum([squares[..., k] for k in range(D)])
        else:
            in_box = np.all(near, axis=2)
            spread = np.sum(offset2, axis=2)
            cross = np.einsum("bmd,bd->bm", nodes, s_sum[sl])
            norms = np.sum(squares, axis=2)
        log_g = -spread / (2 * scale**2) - D * (math.log(scale) + 0.5 * math.log(2 * math.pi))
        log_u = np.where(in_box, log_box, -np.inf)
        log_q = np.logaddexp(math.log1p(-defensive) + log_g, math.log(defensive) + log_u)
        # sum_tau ||X - x||^2 = sum ||X||^2 - 2 x . sum X + t ||x||^2
        sq = s_sq[sl, None] - 2 * cross + t * norms
        logw = -sq / (2 * sigma**2) - log_q
        if prior == "box":
            logw = np.where(in_box, logw, -np.inf)
        logw -= logw.max(axis=1, keepdims=True)
        w = np.exp(logw)
        w /= w.sum(axis=1, keepdims=True)
        if small:
            margins = _small_sum([nodes[..., k, None] * C[:, k] for k in range(D)])
        else:
            margins = np.einsum("bmd,nd->bmn", nodes, C)
        inside = (margins + d > 0).astype(float)
        p = np.einsum("bm,bmn->bn", w, inside)
        # delta-method SE of the self-normalized estimator: sqrt(sum w^2 (f - p)^2)
        se = np.sqrt(np.einsum("bm,bmn->bn", w**2, (inside - p[:, None, :]) ** 2))
        p_out[sl] = p
        se_out[sl] = se
        mean_out[sl] = np.einsum("bm,bmd->bd", w, nodes)
        ess_out[sl] = 1.0 / np.sum(w**2, axis=1)
    return ObserverEstimate(
        p=p_out, se=se_out, posterior_mean=mean_out, n_nodes=n_nodes, ess=ess_out
    )


def ratio_of_sums(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """R = sum_j a_j / sum_j b_j over independent units j, and its delta-method SE.

    SE(R) = sqrt(sum_j (a_j - R b_j)^2) / sum_j b_j (the ratio estimator, Cochran 1977,
    Sec. 6.4); consistent however the entries pooled into one unit's a_j, b_j correlate.
    Returns (nan, nan) when sum b = 0.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    total = float(b.sum())
    if total == 0.0:
        return math.nan, math.nan
    r = float(a.sum()) / total
    return r, math.sqrt(float(np.sum((a - r * b) ** 2))) / abs(total)


@dataclass(frozen=True)
class PooledRatio:
    """sqrt(sum deviation^2 / sum se^2) over the entries kept, with its standard error."""

    ratio: float
    se: float
    units: int
    entries: int


def pooled_rms_ratio(deviation: np.ndarray, se: np.ndarray, keep: np.ndarray) -> PooledRatio:
    """Pooled standardized RMS of Monte-Carlo deviations: sqrt(T), T = sum d^2 / sum se^2.

    ``deviation``, ``se`` and ``keep`` are (n, k): n independent units (rows; here trials,
    each with its own importance-sampling nodes) of k entries that may be correlated within
    a row. If each ``se^2`` is an unbiased estimate of its entry's variance, E T = 1 to
    first order, however noisy the individual ``se`` are. The per-entry alternative
    RMS(d / se) is not: E[d^2 / se^2] = Var(d) E[1 / se^2] > 1 by Jensen's inequality, by
    about the relative variance of se^2, which grows as the importance weights degenerate
    (at D = 10, 24 tasks, 2048 nodes: 1.20, i.e. RMS 1.10, with E se^2 = Var d to 0.1 %,
    measured by 200 replications; this was the D = 10 EV-1 exit 1).

    The SE is :func:`ratio_of_sums` over the rows (A_j = sum_kept d_jk^2,
    B_j = sum_kept se_jk^2), then SE(sqrt T) = SE(T) / (2 sqrt T).
    """
    d2 = np.where(keep, np.asarray(deviation, float) ** 2, 0.0).sum(axis=1)
    s2 = np.where(keep, np.asarray(se, float) ** 2, 0.0).sum(axis=1)
    rows = np.any(keep, axis=1)
    T, se_T = ratio_of_sums(d2[rows], s2[rows])
    entries = int(np.count_nonzero(keep))
    if not math.isfinite(T) or T <= 0.0:
        return PooledRatio(math.nan, math.nan, int(rows.sum()), entries)
    root = math.sqrt(T)
    return PooledRatio(root, se_T / (2 * root), int(rows.sum()), entries)


def projected_shift(
    deviation: np.ndarray, direction: np.ndarray, keep: np.ndarray
) -> tuple[float, float]:
    """S = sum d . delta / sum delta^2 over kept entries: how far toward ``direction`` the
    deviations lie (0 if they are noise around the prediction, 1 if the truth is the
    prediction plus ``direction``), with the SE of :func:`ratio_of_sums` over the rows.

    Linear in the deviations, so it needs no per-entry standard error (the matched filter
    for one named alternative; it is blind to deviations orthogonal to it).
    """
    delta = np.where(keep, np.asarray(direction, float), 0.0)
    a = np.sum(np.asarray(deviation, float) * delta, axis=1)
    b = np.sum(delta**2, axis=1)
    return ratio_of_sums(a, b)


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
    """Probit negative log-likelihood of 0/1 labels ``y`` and its gradient.

    With u = (2y - 1) s the likelihood of a label is Phi(u), so one log Phi per sample is
    evaluated (log_ndtr was 90 % of the readout fits; it used to be evaluated at s and -s for
    every sample, once for each label's term). For 0/1 labels the numbers are the two-term
    form's, -sum(y log Phi(s) + (1 - y) log Phi(-s)) with gradient weight -(y phi/Phi(s) -
    (1 - y) phi/Phi(-s)), bit for bit (the dropped terms were exact zeros; tested).
    """
    s = A @ theta
    sign = 2.0 * y - 1.0
    u = sign * s
    log_lik = log_ndtr(u)
    val = -np.sum(log_lik)
    # d/ds log Phi(u) = sign phi(s)/Phi(u) = sign exp(log phi - log Phi(u)), stable in both
    # tails; phi(u) = phi(s) (u^2 = s^2 exactly)
    logphi = -0.5 * s**2 - 0.5 * math.log(2 * math.pi)
    g = -(sign * np.exp(logphi - log_lik))
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
        covs.append(_inverse_or_nan(_hessian(theta, A, Y[:, i], link)))
        total += float(res.fun)
    return Readouts(np.array(W), np.array(b), link, "scipy-lbfgs", total, tuple(covs))


def _inverse_or_nan(H: np.ndarray) -> np.ndarray:
    """H^-1, or a nan matrix when H is singular in float64 (an information matrix that
    vanishes: separable or nearly separable labels); the standard errors are then nan and
    the comparisons that use them "not measurable", never a traceback (issue 14)."""
    try:
        return np.linalg.inv(H)
    except np.linalg.LinAlgError:
        return np.full_like(H, np.nan)


#: Exponential-cone solvers tried in turn by :func:`fit_readouts_cvxpy`. Only Clarabel (an
#: interior-point method) reaches the 1e-8 accuracy the EV-3 comparison's 1e-6 tolerance
#: assumes; SCS (first-order, default accuracy 1e-4) would turn a solver failure into a
#: false disagreement, and ran > 5 min on separable labels (sigma = 1e-8): not used.
CVXPY_SOLVERS = ("CLARABEL",)


def fit_readouts_cvxpy(Z: np.ndarray, Y: np.ndarray) -> Readouts:
    """Logistic readouts of all tasks in one convex program (cvxpy, exponential cone).

    Solved by each of :data:`CVXPY_SOLVERS` in turn; raises RuntimeError naming each
    solver's failure (a solver error, or no optimal status) when none gives an optimum.
    """
    import cvxpy as cp

    n, D = Z.shape
    N = Y.shape[1]
    W = cp.Variable((D, N))
    b = cp.Variable(N)
    S = Z @ W + np.ones((n, 1)) @ cp.reshape(b, (1, N), order="C")
    objective = cp.sum(cp.logistic(S)) - cp.sum(cp.multiply(Y, S))
    prob = cp.Problem(cp.Minimize(objective))
    failures = []
    for solver in CVXPY_SOLVERS:
        try:
            prob.solve(solver=solver)
        except cp.error.SolverError as exc:
            failures.append(f"{solver}: {str(exc).splitlines()[0]}")
            continue
        if prob.status in ("optimal", "optimal_inaccurate") and W.value is not None:
            return Readouts(
                np.asarray(W.value).T,
                np.asarray(b.value),
                "logistic",
                f"cvxpy-{solver.lower()}",
                float(prob.value),
            )
        failures.append(f"{solver}: status {prob.status}")
    raise RuntimeError("cvxpy logistic readout: " + "; ".join(failures))


def separable_tasks(Z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Per task, are its labels strictly linearly separable in Z? (an LP certificate).

    Feasibility of y_s (w^T z_s + b) >= 1 for every trial s (y in {-1, +1}), solved by HiGHS:
    feasible exactly when some affine readout classifies every trial correctly, and then the
    maximum-likelihood logistic or probit readout does not exist (the likelihood increases
    without bound along that direction). A task whose LP ends with any other status than
    feasible is reported not separable (no certificate).
    """
    A = _design(Z)
    out = []
    for i in range(Y.shape[1]):
        signs = 2.0 * Y[:, i] - 1.0
        res = linprog(
            np.zeros(A.shape[1]),
            A_ub=-(signs[:, None] * A),
            b_ub=-np.ones(A.shape[0]),
            bounds=[(None, None)] * A.shape[1],
            method="highs",
        )
        out.append(res.status == 0)
    return np.array(out, dtype=bool)


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
    """r^2 = 1 - mean squared error / Var (pooled over coordinates) and its MC SE.

    Coordinates of one trial are independent given x* only for isotropic noise, so the
    per-trial mean squared error is the i.i.d. unit of the SE (:class:`SquaredErrorMoments`).
    """
    return SquaredErrorMoments.of(estimate, x_star).r2_and_se(variance)


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


#: Where the RNN setting was read (provenance ``code``): panvaf/DisentangleRes at commit
#: 4f7ba78, files ``RNN.py`` (leaky ReLU RNN, alpha = dt/tau), ``train.py`` (64 units, batch
#: 16, 1e5 batches, Adam lr 1e-3 on the RNN and the readout, dt = tau = 100 ms, timing
#: fixation 100 / stimulus 2000 / decision 100 ms, input noise 2/sqrt(dt) = 0.2 per step, no
#: gradient clipping, no schedule, the encoder frozen, ``CE_loss = True``: Sigmoid readout and
#: ``BCELoss`` with an all-ones mask over every step), ``util.py`` (the encoder applied to the
#: stimulus channels at every step, the fixation channel kept), ``tasks.py``
#: (``LinearClassificationCentOut``: fixation = 1 during fixation and stimulus, stimulus only
#: during the stimulus period, targets 2 y - 1 at the decision step and 0 before it, which
#: train.py maps to 0.5 by ``target/2 + .5``), ``generalize.py`` (decoder read at the last
#: step; network noise 0 in the "NetN0" networks).
CODE_SOURCE = (
    "github.com/panvaf/DisentangleRes 4f7ba78 (RNN.py, train.py, util.py, tasks.py, generalize.py)"
)

#: Training losses of the RNN. ``"all-steps"`` (``code``, train.py ``CE_loss = True`` with
#: the default all-ones mask): mean binary cross-entropy over every step and task, target 1/2
#: before the decision step and y at it. ``"decision-step"`` (the authors' ``pen_end = True``
#: switch): the decision step only. train.py's ``BCELoss(weight=mask)`` averages over all
#: (t + 2) steps even then, so its pen_end loss is ours divided by t + 2; Adam's update is
#: invariant to that factor except through eps (eps_eff = (t + 2) 1e-8), so the two train
#: alike. Ours keeps the per-element decision-step mean, comparable with the label entropy.
RNN_LOSSES = ("all-steps", "decision-step")


@dataclass(frozen=True)
class RNNConfig:
    """The paper's RNN setting (all ``code``, read in CODE_SOURCE).

    Encoder D -> 100 -> 100 -> 40 with ReLU after the two hidden layers and a linear 40-d
    output, frozen at its random initialization (train.py sets ``requires_grad = False``);
    PyTorch's default ``nn.Linear`` initialization (weights and biases U(-1/sqrt(fan_in),
    1/sqrt(fan_in))) everywhere, including the recurrence (no identity initialization); the
    trial is 1 fixation step (fixation input 1, stimulus 0), t stimulus steps (fixation 1,
    noisy stimulus) and 1 decision step (both 0), the encoder applied to the stimulus channels
    at every step (so enc(0), not 0, outside the stimulus period); 64 ReLU units with
    alpha = dt/tau = 1, h_0 = 0, no network noise; sigmoid heads; ``loss`` one of RNN_LOSSES
    (default ``"all-steps"``, the latest train.py); Adam lr 1e-3 (PyTorch defaults
    beta = (0.9, 0.999), eps = 1e-8), constant; batch 16; no gradient clipping (``clip=None``).
    ``dtype``: the arithmetic of training (:mod:`mtl_theory.numerics.precision`; float32 for
    exploratory diagrams only).
    """

    D: int
    n_tasks: int
    hidden: int = 64
    encoder: tuple[int, ...] = (100, 100, 40)
    lr: float = 1e-3
    batch: int = 16
    clip: float | None = None
    fixation_steps: int = 1
    loss: str = "all-steps"
    dtype: str = DEFAULT_DTYPE

    def __post_init__(self) -> None:
        if self.loss not in RNN_LOSSES:
            raise ValueError(f"loss must be one of {RNN_LOSSES}, given {self.loss!r}")
        numpy_dtype(self.dtype)


def _torch_default_uniform(shape: tuple[int, ...], fan_in: int, rng: np.random.Generator):
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's nn.Linear default for W and b (``code``)."""
    bound = 1.0 / math.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape)


def make_encoder(D: int, sizes: tuple[int, ...], rng: np.random.Generator) -> list[tuple]:
    """Random encoder layers (W (fan_in, size), b) with PyTorch's default init (``code``)."""
    layers, fan_in = [], D
    for size in sizes:
        W = _torch_default_uniform((fan_in, size), fan_in, rng)
        b = _torch_default_uniform((size,), fan_in, rng)
        layers.append((W, b))
        fan_in = size
    return layers


def encode(layers: list[tuple], x: np.ndarray) -> np.ndarray:
    """ReLU after every layer but the last; the last (40-d) layer is linear (``code``).

    Each layer's bias and ReLU are applied in place on the fresh product ``h @ W`` (the
    same operations as ``np.maximum(h @ W + b, 0)``, so the same numbers bit for bit, tested):
    the decoder protocols encode ~10^4 x t samples per chunk, and allocating two more
    megabyte-sized temporaries per layer cost as much as the products (page faults).
    """
    h = x
    for k, (W, b) in enumerate(layers):
        h = h @ W  # a new array: the caller's x is never written
        if np.result_type(h, b) == h.dtype:
            h += b
        else:
            h = h + b
        if k < len(layers) - 1:
            np.maximum(h, 0.0, out=h)
    return h


#: Rows per product of :func:`encode_in_blocks`: a block's activations (2048 x 100 float64,
#: 1.6 MB) stay in the 2 MB L2 cache between the layers (measured, see
#: benchmarks/bench_evidence_protocol.py). A multiple of every GEMM kernel's row unroll.
ENCODE_BLOCK_ROWS = 2048


def encode_in_blocks(layers: list[tuple], x: np.ndarray, rows: int = ENCODE_BLOCK_ROWS):
    """:func:`encode` of ``x`` computed ``rows`` rows at a time (the last block takes the rest).

    Row r of a matrix product depends only on row r of the left factor and on the GEMM
    micro-kernel that computes it; blocks whose sizes are multiples of the kernel's row unroll
    leave every row in the micro-tile it had in one product, and the last block (``rows`` to
    ``2 rows - 1`` rows, never a one-row product that numpy would send to gemv) has the
    whole product's remainder rows, so the result equals ``encode(layers, x)`` bit for bit
    (tested in tests/test_perf_kernels.py) at a fraction of its memory traffic: the one
    product's megabyte-sized activations fall out of the cache between layers. This needs
    blocks large enough for the BLAS's ordinary kernel: OpenBLAS's SkylakeX build computes a
    product with M N K <= 100^3 in a small-matrix kernel that rounds differently (blocks of
    <= 100 rows of the 100 x 100 layer differ in the last bits; measured, 2026-12-03).
    """
    n = x.shape[0]
    if n < 2 * rows:
        return encode(layers, x)
    first = encode(layers, x[:rows])
    out = np.empty((n, first.shape[1]), dtype=first.dtype)
    out[:rows] = first
    starts = list(range(rows, n - rows + 1, rows))
    for k, start in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else n
        out[start:stop] = encode(layers, x[start:stop])
    return out


def init_rnn_params(n_in: int, hidden: int, n_out: int, rng: np.random.Generator) -> dict:
    """PyTorch default init of inp_to_rec, rec_to_rec and the readout (``code``).

    The two biases of the authors' RNN (input and recurrent layers) enter only as a sum, so
    one bias ``b`` is kept, initialized as the sum of the two default draws.
    """
    return {
        "W_in": _torch_default_uniform((n_in, hidden), n_in, rng),
        "W_rec": _torch_default_uniform((hidden, hidden), hidden, rng),
        "b": _torch_default_uniform((hidden,), n_in, rng)
        + _torch_default_uniform((hidden,), hidden, rng),
        "W_out": _torch_default_uniform((hidden, n_out), hidden, rng),
        "b_out": _torch_default_uniform((n_out,), hidden, rng),
    }


def rnn_forward(params: dict, inputs: np.ndarray) -> np.ndarray:
    """h_tau = relu(u_tau W_in + h_{tau-1} W_rec + b), h_0 = 0; returns all states (B, T, H)."""
    B, T, _ = inputs.shape
    H = params["W_rec"].shape[0]
    pre = inputs @ params["W_in"] + params["b"]
    h = np.zeros((B, H), dtype=pre.dtype)
    states = np.empty((B, T, H), dtype=pre.dtype)
    W_rec = params["W_rec"]
    for k in range(T):
        a = pre[:, k] + h @ W_rec
        h = np.maximum(a, 0.0)
        states[:, k] = h
    return states


def rnn_step_targets(Y: np.ndarray, n_steps: int, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-step BCE targets (B, T, N) and step weights (T,) of a training loss (``code``).

    ``"all-steps"``: target 1/2 at every step before the decision step (neurogym's 0 mapped by
    train.py's ``target/2 + .5``), Y at the decision step, weight 1 everywhere.
    ``"decision-step"``: weight 1 at the decision step only.
    """
    if loss not in RNN_LOSSES:
        raise ValueError(f"loss must be one of {RNN_LOSSES}, given {loss!r}")
    B, N = Y.shape
    targets = np.full((B, n_steps, N), 0.5)
    targets[:, -1] = Y
    weights = np.ones(n_steps)
    if loss == "decision-step":
        weights[:-1] = 0.0
    return targets, weights


def rnn_loss_and_grads(
    params: dict, inputs: np.ndarray, Y: np.ndarray, *, loss: str
) -> tuple[float, dict]:
    """Binary cross-entropy of the sigmoid heads and its exact gradient (BPTT).

    Parameters
    ----------
    params : dict
        ``W_in``, ``W_rec``, ``b``, ``W_out``, ``b_out``.
    inputs : ndarray (B, T, n_in)
        Per-step inputs (:func:`rnn_inputs`).
    Y : ndarray (B, N)
        0/1 task labels, the targets at the decision step (the last step).
    loss : {"all-steps", "decision-step"}
        ``"all-steps"``: mean BCE over the B T N step-task elements, targets from
        :func:`rnn_step_targets` (train.py's ``BCELoss`` with the all-ones mask, ``code``).
        ``"decision-step"``: mean BCE over the B N decision-step elements.

    Returns
    -------
    loss : float
    grads : dict
        Exact gradients, same keys as ``params``. The BCE is written on the logits,
        softplus(o) - y o, whose derivative is sigmoid(o) - y (no log of a rounded sigmoid).
    """
    B, T, _ = inputs.shape
    states = rnn_forward(params, inputs)
    targets, weights = rnn_step_targets(Y, T, loss)
    n = B * Y.shape[1] * (T if loss == "all-steps" else 1)
    o = states @ params["W_out"] + params["b_out"]  # (B, T, N)
    targets = targets.astype(o.dtype, copy=False)  # no-ops in float64
    w = weights.astype(o.dtype, copy=False)[None, :, None]
    value = float(np.sum(w * (np.logaddexp(0.0, o) - targets * o)) / n)
    do = w * (expit(o) - targets) / n
    return value, rnn_grads_from_outputs(params, inputs, states, do)


def rnn_grads_from_outputs(
    params: dict, inputs: np.ndarray, states: np.ndarray, do: np.ndarray
) -> dict:
    """Exact gradients (BPTT) of a loss whose derivative at the readout's outputs is ``do``.

    ``states`` (B, T, H) from :func:`rnn_forward` on ``inputs``; ``do`` (B, T, N) the loss's
    derivative with respect to the linear readout o = h W_out + b_out at every step. Shared by
    every loss put on the RNN's readout (the BCE of :func:`rnn_loss_and_grads`, the bounded
    accumulator's MSE in :mod:`mtl_theory.numerics.evidence_tasks`).
    """
    B, T, H = states.shape
    flat_states = states.reshape(B * T, H)
    flat_do = do.reshape(B * T, -1)
    g = {
        "W_out": flat_states.T @ flat_do,
        "b_out": flat_do.sum(axis=0),
    }
    dh_out = do @ params["W_out"].T  # (B, T, H): the readout's gradient at every step
    W_recT = params["W_rec"].T
    dpre = np.empty_like(states)
    dh = np.zeros((B, H), dtype=states.dtype)
    for k in range(T - 1, -1, -1):
        dh = dh + dh_out[:, k]
        da = dh * (states[:, k] > 0)  # relu'(a) = 1[a > 0] = 1[h > 0]
        dpre[:, k] = da
        dh = da @ W_recT
    prev = np.concatenate([np.zeros((B, 1, H), dtype=states.dtype), states[:, :-1]], axis=1)
    flat_dpre = dpre.reshape(B * T, H)
    g["W_rec"] = prev.reshape(B * T, H).T @ flat_dpre
    g["W_in"] = inputs.reshape(B * T, -1).T @ flat_dpre
    g["b"] = flat_dpre.sum(axis=0)
    return g


def label_entropy_baseline(freq: np.ndarray) -> float:
    """Mean BCE of the best constant predictor of 0/1 labels with frequencies ``freq``."""
    f = np.clip(freq, 1e-12, 1 - 1e-12)
    return float(np.mean(-(f * np.log(f) + (1 - f) * np.log(1 - f))))


def training_loss_baseline(decision_baseline: float, n_steps: int, loss: str) -> float:
    """Training loss of the best constant predictor (``derived``).

    Before the decision step the target is 1/2, whose BCE is at least ln 2 for any output
    (attained at 1/2); so the all-steps loss of any network is at least (T - 1) ln 2 / T,
    and a constant predictor scores ((T - 1) ln 2 + H) / T with H the label entropy.
    """
    if loss == "decision-step":
        return decision_baseline
    return ((n_steps - 1) * math.log(2.0) + decision_baseline) / n_steps


@dataclass
class Adam:
    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        self.m: dict = {}
        self.v: dict = {}
        self._scratch: dict = {}
        self.k = 0

    def step(self, params: dict, grads: dict) -> None:
        """One update: m, v, their bias corrections and the step (PyTorch's order).

        The operations of the textbook expression ``params -= lr * (m / c1) / (sqrt(v / c2)
        + eps)`` one by one, in its order, into two scratch buffers per parameter (IEEE
        multiplication commutes exactly, so ``g * a`` is ``a * g``): the same numbers bit for
        bit (tested) without a dozen temporaries per parameter and step, which dominated the
        decoder protocols' 10^5 steps on 64 x 2 weights.
        """
        self.k += 1
        c1 = 1 - self.beta1**self.k
        c2 = 1 - self.beta2**self.k
        for name, g in grads.items():
            if name not in self.m:
                self.m[name] = np.zeros_like(g)
                self.v[name] = np.zeros_like(g)
                self._scratch[name] = (np.empty_like(g), np.empty_like(g))
            m, v = self.m[name], self.v[name]
            a, b = self._scratch[name]
            m *= self.beta1
            np.multiply(g, 1 - self.beta1, out=a)
            m += a
            v *= self.beta2
            np.multiply(g, 1 - self.beta2, out=b)
            b *= g
            v += b
            np.divide(m, c1, out=a)  # mhat
            np.divide(v, c2, out=b)  # vhat
            a *= self.lr
            np.sqrt(b, out=b)
            b += self.eps
            a /= b
            params[name] -= a


@dataclass(frozen=True)
class RNNResult:
    params: dict
    encoder: list
    losses: np.ndarray  # running mean BCE every ``log_every`` batches
    baseline_loss: float  # BCE of the best constant predictor (the label frequencies)
    seconds: float
    batches: int
    batch: int
    loss: str = "all-steps"  # the training loss (RNN_LOSSES)
    dtype: str = DEFAULT_DTYPE  # the arithmetic of training; params are float64 afterwards


def rnn_inputs(encoder: list, samples: np.ndarray, fixation_steps: int = 1) -> np.ndarray:
    """(B, t, D) samples -> (B, fixation_steps + t + 1, 41) inputs (``code``).

    Each step's input is [enc(stimulus channels), fixation]: fixation steps [enc(0), 1],
    stimulus steps [enc(X(tau)), 1], the decision step [enc(0), 0]. In the dtype of the
    samples (float32 for a float32 encoder and samples, :func:`train_rnn`).
    """
    B, t, D = samples.shape
    feats = encode_in_blocks(encoder, samples.reshape(B * t, D)).reshape(B, t, -1)
    blank = encode(encoder, np.zeros((1, D), dtype=samples.dtype))[0]
    F = feats.shape[2]
    inputs = np.empty((B, fixation_steps + t + 1, F + 1), dtype=feats.dtype)
    inputs[:, :fixation_steps, :F] = blank
    inputs[:, :fixation_steps, F] = 1.0
    inputs[:, fixation_steps : fixation_steps + t, :F] = feats
    inputs[:, fixation_steps : fixation_steps + t, F] = 1.0
    inputs[:, -1, :F] = blank
    inputs[:, -1, F] = 0.0
    return inputs


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
    """Train the paper's RNN on fresh trials every batch (online, as in the code).

    ``losses`` are running means of the training loss (``config.loss``);
    ``baseline_loss`` is the decision-step label entropy (the decision-step BCE of the best
    constant predictor), the yardstick of :func:`rnn_eval_loss`.

    ``config.dtype = "float32"`` (exploratory diagrams only) trains in float32: the encoder
    and initial weights are the float64 draws rounded to float32, the trials the float64
    draws rounded (the random stream is the float64 run's), and every product, the loss and
    Adam run in float32. The trained parameters and encoder are returned as float64 arrays
    (the float32 values exactly), so evaluation runs in float64. A non-finite loss in float32
    (the ReLU recurrence is unbounded: overflow past 3.4e38) raises FloatingPointError
    naming the batch instead of training on.
    """
    N, D = C.shape
    config = config or RNNConfig(D=D, n_tasks=N)
    rng = rng_from(seed)
    encoder = make_encoder(D, config.encoder, rng)
    params = init_rnn_params(config.encoder[-1] + 1, config.hidden, N, rng)
    low = config.dtype != DEFAULT_DTYPE
    if low:
        encoder, params = cast_network(encoder, params, config.dtype)
    opt = Adam(lr=config.lr)
    losses, running = [], []
    start = time.perf_counter()
    for k in range(batches):
        progress.tick("training batches", k, batches)
        trials = simulate_trials(D, sigma, t, config.batch, rng)
        Y = task_labels(trials.x_star, C, d)
        samples = trials.samples.astype(config.dtype) if low else trials.samples
        inputs = rnn_inputs(encoder, samples, config.fixation_steps)
        loss, grads = rnn_loss_and_grads(params, inputs, Y, loss=config.loss)
        if low:
            check_finite_loss(loss, k, config.dtype)
        if config.clip is not None:  # off in the authors' setting; kept as an option
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
    if low:
        encoder, params = cast_network(encoder, params, DEFAULT_DTYPE)
    # the trivial baseline: predict each task's label frequency (entropy of the labels)
    probe = simulate_trials(D, sigma, t, 20000, rng)
    baseline = label_entropy_baseline(task_labels(probe.x_star, C, d).mean(axis=0))
    return RNNResult(
        params,
        encoder,
        np.array(losses),
        baseline,
        seconds,
        batches,
        config.batch,
        config.loss,
        config.dtype,
    )


def cast_network(encoder: list, params: dict, dtype: str) -> tuple[list, dict]:
    """The frozen encoder's layers and the parameters as ``dtype`` arrays (copies)."""
    dt = numpy_dtype(dtype)
    return (
        [(W.astype(dt), b.astype(dt)) for W, b in encoder],
        {name: v.astype(dt) for name, v in params.items()},
    )


def check_finite_loss(loss: float, batch: int, dtype: str) -> None:
    """Raise FloatingPointError if a reduced-precision training loss left the finite range.

    The BCE is written on the logits (softplus, sigmoid), which cannot overflow, so a
    non-finite loss means the network's states did (the ReLU recurrence is unbounded):
    reported, never trained on.
    """
    if not math.isfinite(loss):
        raise FloatingPointError(
            f"{dtype} training: the loss is {loss} at batch {batch + 1} (a state overflowed "
            f"the {dtype} range, max {float(np.finfo(dtype).max):.1e}); rerun in float64"
        )


#: Trials per product of :func:`rnn_states` (128 trials x 22 steps x 64 float64 = 1.4 MB of
#: step inputs: in the L2 cache; measured ~1.15x less CPU than whole 512-trial chunks).
STATE_BLOCK_TRIALS = 128


def state_blocks(n: int, chunk: int, block: int = STATE_BLOCK_TRIALS) -> list[slice]:
    """The trial ranges :func:`rnn_states` computes at once: each ``chunk`` split in ``block``s.

    A chunk's last block takes the chunk's remainder, merged into the block before it when
    shorter than 4 trials: every block but a chunk's last has a multiple of 4 trials (GEMM
    row unroll), each chunk's last block has the chunk's remainder rows, and a block has one
    trial (a matrix-vector product in numpy) only where the chunk has one. So every row of
    every product is computed by the micro-kernel that computed it in one product per chunk.

    >>> [(s.start, s.stop) for s in state_blocks(258, 512, 128)]
    [(0, 128), (128, 258)]
    >>> [(s.start, s.stop) for s in state_blocks(642, 512, 256)]
    [(0, 256), (256, 512), (512, 642)]
    >>> [(s.start, s.stop) for s in state_blocks(513, 512, 128)][-2:]
    [(384, 512), (512, 513)]
    """
    out = []
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        cuts = list(range(start, stop, block))
        if len(cuts) > 1 and stop - cuts[-1] < 4:
            cuts.pop()
        out.extend(slice(a, b) for a, b in zip(cuts, [*cuts[1:], stop], strict=True))
    return out


def _add_in_place(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a + b`` written into the fresh array ``a`` when the dtypes allow (the same numbers)."""
    if np.result_type(a, b) != a.dtype:
        return a + b
    a += b
    return a


def rnn_states(
    result: RNNResult, samples: np.ndarray, chunk: int = 512, block: int = STATE_BLOCK_TRIALS
) -> np.ndarray:
    """Hidden state at the decision step (B, H): the representation decoded out of distribution.

    Runs the forward pass in chunks of ``chunk`` trials keeping only the current state: the
    arithmetic of :func:`rnn_forward` (equal up to the BLAS's blocking of the products) at a
    fraction of the memory traffic, which matters for the decoder protocols' 10^4-10^5 trials.
    The step h <- relu(pre_k + h W_rec) is computed into two preallocated buffers: the same
    operations (IEEE addition commutes exactly), so the same numbers bit for bit (tested).
    Each chunk is computed ``block`` trials at a time (:func:`state_blocks`): every row of
    every product by the micro-kernel of one product per chunk, so the same numbers bit for
    bit as whole chunks (tested), with the step inputs in the cache; the input bias is added
    in place on the fresh product (the same addition, one array fewer).
    """
    p = result.params
    out = np.empty((samples.shape[0], p["W_rec"].shape[0]))
    for sl in state_blocks(samples.shape[0], chunk, block):
        pre = rnn_inputs(result.encoder, samples[sl]) @ p["W_in"]
        pre = _add_in_place(pre, p["b"])
        h = np.zeros((pre.shape[0], out.shape[1]))
        hW = np.empty_like(h)
        for k in range(pre.shape[1]):
            np.matmul(h, p["W_rec"], out=hW)
            hW += pre[:, k]
            np.maximum(hW, 0.0, out=h)
        out[sl] = h
    return out


def rnn_eval_loss(result: RNNResult, trials: Trials, C: np.ndarray, d: np.ndarray) -> float:
    """Decision-step BCE on ``trials`` (comparable with ``result.baseline_loss``)."""
    Y = task_labels(trials.x_star, C, d)
    inputs = rnn_inputs(result.encoder, trials.samples)
    loss, _ = rnn_loss_and_grads(result.params, inputs, Y, loss="decision-step")
    return loss


def rnn_eval_training_loss(
    result: RNNResult, trials: Trials, C: np.ndarray, d: np.ndarray
) -> float:
    """The training loss (``result.loss``) on ``trials``."""
    Y = task_labels(trials.x_star, C, d)
    inputs = rnn_inputs(result.encoder, trials.samples)
    loss, _ = rnn_loss_and_grads(result.params, inputs, Y, loss=result.loss)
    return loss


def ood_r2_adam_decoder(
    features: np.ndarray,
    latents: np.ndarray,
    variance: float,
    rng: np.random.Generator,
    *,
    steps: int = 3500,
    batch: int = 16,
    lr: float = 3e-3,
) -> np.ndarray:
    """OOD r^2 (2^D, D) of a linear layer trained by Adam on a fixed pool of trials.

    An approximation of generalize.py's decoder kept for ``ood_r2_network_adam_decoder``;
    the exact protocol (fresh trials, the authors' batch counts 3e3/3e3/2e3/1e3/1e3 for
    N_task = 2/3/6/12/24, scoring at the 99 % logging step, 640 test trials, and the
    published quadrant bug) is :mod:`mtl_theory.numerics.evidence_protocol`. Here:
    nn.Linear(H, D) with the default init, Adam lr 3e-3, mean-squared error on batches of 16
    drawn from the training orthants of the pool given, ``steps`` updates, read at the last.
    Unlike the least-squares decoder, this one stops after ``steps`` updates from a small
    initialization: an implicit regularization that keeps directions unseen in training small
    (where least squares can blow up OOD).
    """
    F = features.shape[1]
    D = latents.shape[1]
    orthant = ((latents > 0) * (1 << np.arange(D))).sum(axis=1)
    out = np.empty((2**D, D))
    for k in range(2**D):
        train = np.flatnonzero(orthant != k)
        test = orthant == k
        params = {
            "W": _torch_default_uniform((F, D), F, rng),
            "b": _torch_default_uniform((D,), F, rng),
        }
        opt = Adam(lr=lr)
        for _ in range(steps):
            idx = train[rng.integers(0, train.size, batch)]
            X = features[idx]
            err = X @ params["W"] + params["b"] - latents[idx]
            g = 2.0 * err / err.size  # d/d(output) of sum(err^2) / numel
            opt.step(params, {"W": X.T @ g, "b": g.sum(axis=0)})
        pred = features[test] @ params["W"] + params["b"]
        out[k] = 1.0 - np.mean((pred - latents[test]) ** 2, axis=0) / variance
    return out


def rnn_autonomous_jacobians(
    result: RNNResult, states: np.ndarray, relax_steps: int = 50
) -> tuple[np.ndarray, float]:
    """Eigenvalues of the stimulus-free dynamics' Jacobian near its slow points.

    With no stimulus and the fixation input on (the authors' fixed-point analysis,
    DisentangleRes analyze.py: input [1, 0, 0] through the encoder), h <- relu(h W_rec + b +
    u_fix W_in) is autonomous. Each decision-step state is relaxed for ``relax_steps`` steps
    (a continuous attractor keeps it where it is); the Jacobian there is
    diag(1[a > 0]) W_rec^T. A 2-D continuous attractor has two eigenvalues near 1 (the "two
    near-zero eigenvalues" of the continuous-time linearization J - I, THEORY.md EV-7) and
    the rest inside the unit circle.

    Returns
    -------
    eigenvalues : ndarray (n, H)
        Moduli sorted in decreasing order, one row per state.
    drift : float
        Median ||h_relaxed - h|| / ||h||: how far the states move while relaxing.
    """
    W = result.params["W_rec"]
    # as in the authors' fixed-point analysis (analyze.py, ``code``): the input is the
    # stimulus-free fixation input [enc(0), 1], a constant that acts as an extra bias
    D = result.encoder[0][0].shape[0]
    fixation_input = rnn_inputs(result.encoder, np.zeros((1, 1, D)))[0, 0]
    b = result.params["b"] + fixation_input @ result.params["W_in"]
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


# --------------------------------------------------------------------------- fixed points

#: q(h) = 1/2 ||F(h) - h||^2 below which a minimum counts as a fixed point (``derived``).
#: A point with q < 1e-12 moves ||F(h) - h|| < 1.5e-6 per step, i.e. < 1.5e-4 over 100 steps
#: (five times the 20-step trial), four orders below the O(1) state norms: fixed on every time
#: scale of the task. Exact fixed points of a ReLU map reach q ~ (eps ||W|| ||h||)^2 ~ 1e-28,
#: and least squares stopping short of one stalls many orders above this (a slow point).
FIXED_POINT_Q_TOL = 1e-12
#: Two minima closer than this (relative to the median start norm) are one fixed point: the
#: solver locates a point to ~sqrt(q_tol) ~ 1e-6, so 1e-4 merges only copies of one point.
FIXED_POINT_DEDUP_RTOL = 1e-4
#: |lambda| within this of 1 counts as "near 1" (``derived``): a mode with |lambda| = 0.95
#: keeps e^-1 of its amplitude after 20 steps, the stimulus length t of the paper's trials,
#: so it integrates/holds evidence on the task's time scale (continuous time: |Re mu| < 0.05).
EIGENVALUE_BAND = 0.05


def relu_map(h: np.ndarray, W_rec: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """F(h) = relu(h W_rec + bias) on row vectors: the stimulus-free step of the RNN."""
    return np.maximum(h @ W_rec + bias, 0.0)


def relu_map_jacobian(h: np.ndarray, W_rec: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """dF/dh = diag(relu'(a)) W_rec^T, a = h W_rec + bias (column convention, ``derived``).

    F_i(h) = relu(sum_j h_j W_rec[j, i] + bias_i), so dF_i/dh_j = 1[a_i > 0] W_rec[j, i]
    (relu'(0) := 0, as in the BPTT gradient).
    """
    a = h @ W_rec + bias
    return (a > 0)[:, None] * W_rec.T


#: Slow points (``derived``, after Sussillo & Barak 2013): minima whose one-step speed
#: ||F(h) - h|| is below 1e-3 of the median start norm, so they move < 2% of the state scale
#: over the 20-step trial: fixed on the task's time scale though not exactly fixed.
SLOW_POINT_RELATIVE_SPEED = 1e-3


@dataclass(frozen=True)
class FixedPoints:
    """Distinct fixed points of h -> F(h) found from ``n_starts`` initial states."""

    points: np.ndarray  # (K, H) deduplicated, q below ``q_tol``
    q: np.ndarray  # (K,) q(h) at the kept points
    n_starts: int
    n_converged: int  # minima with q < q_tol before deduplication
    q_tol: float
    seconds: float
    minima: np.ndarray  # (n_starts, H) every local minimum found, fixed or slow
    minima_q: np.ndarray  # (n_starts,)
    scale: float  # median start norm (deduplication and slow-point scale)

    def slow_points(self, relative_speed: float = SLOW_POINT_RELATIVE_SPEED) -> np.ndarray:
        """Deduplicated minima with ||F(h) - h|| < relative_speed x scale (includes the fixed)."""
        q_slow = 0.5 * (relative_speed * self.scale) ** 2
        keep = self.minima[self.minima_q < q_slow]
        return deduplicate(keep, FIXED_POINT_DEDUP_RTOL * self.scale)


def deduplicate(points: np.ndarray, distance: float) -> np.ndarray:
    """Greedy merge: keep a point unless it lies within ``distance`` of a kept one."""
    kept: list[int] = []
    for k, h in enumerate(points):
        if all(np.linalg.norm(h - points[j]) > distance for j in kept):
            kept.append(k)
    return points[kept]


def find_fixed_points(
    W_rec: np.ndarray,
    bias: np.ndarray,
    starts: np.ndarray,
    *,
    q_tol: float = FIXED_POINT_Q_TOL,
    dedup_rtol: float = FIXED_POINT_DEDUP_RTOL,
    max_iter: int = 3000,
) -> FixedPoints:
    """Minimize q(h) = 1/2 ||F(h) - h||^2 from every start (L-BFGS-B, exact gradient).

    ``reconstructed`` protocol after Sussillo & Barak (2013) and DisentangleRes analyze.py
    (``code``: many starts drawn from the network's own trajectories, the stimulus-free
    fixation input held constant, minimize the one-step displacement; there by Adam on the
    mean-squared displacement, here by scipy's L-BFGS-B with the gradient
    grad q = (dF/dh - I)^T (F(h) - h) from the hand-written ReLU Jacobian).

    Why a gradient method and not Gauss-Newton/Levenberg-Marquardt: on a continuous
    attractor dF/dh - I is singular, and the (Q R or S V D) Gauss-Newton step divides
    rounding noise by the near-zero singular values, throwing the iterate far along the
    attractor (tried: MINPACK ``lm`` and ``trf`` move O(10) along an exact plane attractor
    from starts O(0.5) off it). The gradient lies in range((J - I)^T), orthogonal to the
    attractor's tangent, so descent lands near where the start projects, as a relaxing
    network would.

    Minima with q >= ``q_tol`` are slow points, not fixed points, and are dropped; the rest
    are merged greedily when closer than ``dedup_rtol`` times the median start norm.
    """
    start_time = time.perf_counter()
    H = W_rec.shape[0]

    def residual(h):
        return relu_map(h, W_rec, bias) - h

    def q_and_gradient(h):
        r = residual(h)
        # grad q = (dF/dh - I)^T r with the hand-written ReLU Jacobian
        return 0.5 * float(r @ r), relu_map_jacobian(h, W_rec, bias).T @ r - r

    minima = np.empty((len(starts), H))
    minima_q = np.empty(len(starts))
    for k, h0 in enumerate(starts):
        sol = minimize(
            q_and_gradient,
            h0,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": max_iter, "maxcor": 30, "ftol": 0.0, "gtol": 1e-14},
        )
        minima[k] = sol.x
        minima_q[k] = 0.5 * float(np.sum(residual(sol.x) ** 2))
    scale = max(float(np.median(np.linalg.norm(starts, axis=1))), 1e-12)
    converged = minima_q < q_tol
    points = deduplicate(minima[converged], dedup_rtol * scale)
    q_points = 0.5 * np.sum((relu_map(points, W_rec, bias) - points) ** 2, axis=1)
    return FixedPoints(
        points,
        q_points,
        len(starts),
        int(np.count_nonzero(converged)),
        q_tol,
        time.perf_counter() - start_time,
        minima,
        minima_q,
        scale,
    )


def affine_decoder(states: np.ndarray, latents: np.ndarray) -> np.ndarray:
    """Least-squares affine decoder x ~ [h, 1] coef of the latents from the states."""
    A = np.hstack([states, np.ones((states.shape[0], 1))])
    return np.linalg.lstsq(A, latents, rcond=None)[0]


@dataclass(frozen=True)
class FixedPointSummary:
    """Geometry and linear stability of a set of fixed points.

    ``pca_explained`` : cumulative fraction of the fixed points' variance (in state space)
    captured by the first 1, 2, 3 principal components (a 2-D sheet: the second ~1, the
    first clearly < 1). ``decoded_cov_eigenvalues`` : eigenvalues (decreasing) of the
    covariance of the decoded latents of the fixed points, over the latent prior variance
    (two O(1) values: the points cover the latent plane). ``top2_moduli`` : (K, 2) the two
    largest |eigenvalues| of dF/dh at each point; ``n_near_one`` : (K,) how many eigenvalues
    lie within ``band`` of 1 in modulus.
    """

    n_points: int
    pca_explained: np.ndarray
    decoded: np.ndarray
    decoded_cov_eigenvalues: np.ndarray
    top2_moduli: np.ndarray
    n_near_one: np.ndarray
    band: float

    @property
    def fraction_two_near_one(self) -> float:
        """Fraction of the points with at least two eigenvalues within ``band`` of 1."""
        return float(np.mean(self.n_near_one >= 2)) if self.n_points else float("nan")


def summarize_fixed_points(
    points: np.ndarray,
    W_rec: np.ndarray,
    bias: np.ndarray,
    decoder: np.ndarray,
    latent_variance: float,
    band: float = EIGENVALUE_BAND,
) -> FixedPointSummary:
    """PCA, decoded-latent spread and Jacobian spectrum of the fixed points (``derived``)."""
    K = points.shape[0]
    D = decoder.shape[1]
    if K >= 4:  # K points span <= K - 1 dimensions: with 3, "2 PCs explain all" is trivial
        centred = points - points.mean(axis=0)
        sv2 = np.linalg.svd(centred, compute_uv=False) ** 2
        total = float(np.sum(sv2))
        cum = np.cumsum(sv2) / total if total > 0 else np.ones_like(sv2)
        pca = np.array([cum[min(k, cum.size - 1)] for k in range(3)])
    else:
        pca = np.full(3, np.nan)
    decoded = np.hstack([points, np.ones((K, 1))]) @ decoder
    if K >= 2:
        cov = np.atleast_2d(np.cov(decoded, rowvar=False))
        cov_eigs = np.sort(np.linalg.eigvalsh(cov))[::-1] / latent_variance
    else:
        cov_eigs = np.zeros(D)
    top2 = np.empty((K, 2))
    near = np.empty(K, dtype=int)
    for k, h in enumerate(points):
        moduli = np.sort(np.abs(np.linalg.eigvals(relu_map_jacobian(h, W_rec, bias))))[::-1]
        top2[k] = moduli[:2]
        near[k] = int(np.count_nonzero(np.abs(moduli - 1.0) < band))
    return FixedPointSummary(K, pca, decoded, cov_eigs, top2, near, band)


def rnn_stimulus_free_bias(result: RNNResult, fixation: float = 1.0) -> np.ndarray:
    """The constant drive b + u W_in of the stimulus-free input u = [enc(0), fixation].

    ``fixation = 1`` is the fixation-on, stimulus-off input of the authors' fixed-point
    analysis (analyze.py, input [1, 0, 0], ``code``) and of our fixation step; ``fixation =
    0`` is our decision step's input.
    """
    D = result.encoder[0][0].shape[0]
    u = rnn_inputs(result.encoder, np.zeros((1, 1, D)))[0, 0].copy()
    u[-1] = fixation
    return result.params["b"] + u @ result.params["W_in"]


def rnn_end_of_stimulus_states(result: RNNResult, samples: np.ndarray) -> np.ndarray:
    """Hidden state after the last stimulus step (B, H), before the decision step."""
    return rnn_forward(result.params, rnn_inputs(result.encoder, samples))[:, -2]


@dataclass(frozen=True)
class RNNFixedPointAnalysis:
    fixed_points: FixedPoints
    summary: FixedPointSummary  # of the fixed points (q < q_tol)
    slow_summary: FixedPointSummary  # of the slow points (SLOW_POINT_RELATIVE_SPEED)
    fixation: float


def rnn_fixed_point_analysis(
    result: RNNResult,
    samples: np.ndarray,
    x_star: np.ndarray,
    latent_variance: float,
    *,
    n_starts: int = 200,
    fixation: float = 1.0,
    q_tol: float = FIXED_POINT_Q_TOL,
) -> RNNFixedPointAnalysis:
    """Fixed points of the trained RNN's stimulus-free map, started from its own states.

    The decoder of x* is fit on all end-of-stimulus states; the first ``n_starts`` of them
    (trials with independent x*, so spread over the latent box) start the search.
    """
    states = rnn_end_of_stimulus_states(result, samples)
    decoder = affine_decoder(states, x_star)
    W = result.params["W_rec"]
    bias = rnn_stimulus_free_bias(result, fixation)
    fps = find_fixed_points(W, bias, states[:n_starts], q_tol=q_tol)
    summary = summarize_fixed_points(fps.points, W, bias, decoder, latent_variance)
    slow = summarize_fixed_points(fps.slow_points(), W, bias, decoder, latent_variance)
    return RNNFixedPointAnalysis(fps, summary, slow, fixation)
