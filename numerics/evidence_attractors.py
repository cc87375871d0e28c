"""EVIDENCE: the authors' attractor analysis of a trained RNN, re-implemented in numpy (EV-7).

Re-implemented from reading DisentangleRes ``analyze.py`` and ``util.py`` (commit 4f7ba78;
provenance ``code`` unless a line says otherwise; none of their code is copied):

1. **Trajectories.** ``n_trial = 40`` noise-free trials (the environments are built with
   ``sigma = 0``), x* uniform in the box; the hidden states of every step of every trial
   (1 fixation, t stimulus and 1 decision step) are kept.
2. **Starts.** ``batch_size = 128`` states drawn with replacement (trial and step uniformly,
   ``np.random.choice``), each plus ``np.random.rand(128, 64) * 6``: independent U(0, 6)
   noise on every unit -- one-sided, so every start is pushed *up*, by 3 on average per unit
   (an offset of norm ~ 3 sqrt(64) = 24, far larger than the trajectories' own spread).
3. **Optimization.** The input is the fixation input ``[1, 0, 0]`` through the encoder
   (fixation channel 1, encoder applied to a zero stimulus), held constant; Adam (lr 0.01,
   PyTorch defaults otherwise) on ``nn.MSELoss()(F(h), h)`` -- the mean of (F(h) - h)^2 over
   all 128 x 64 entries -- for 10000 iterations, all starts in one batch. **No tolerance:**
   every one of the 128 end points is kept, whatever its residual.
4. **Duplicates.** ``util.get_unique_fp``: DBSCAN(eps = 0.5, min_samples = 1, Euclidean).
   With min_samples = 1 every point is a core point, so the clusters are the connected
   components of the graph joining points at distance <= 0.5 (single linkage: a chain of
   close points is one cluster however long); the first point (lowest index) of each
   cluster is kept.
5. **Spectra.** ``util.compute_jacobian``: the Jacobian of the *difference* system
   F(h) - h by autograd (relu'(0) = 0); eigenvalues sorted by decreasing real part; the first
   two of every kept point are taken.
6. **Amplification.** mu = np.unique(top two + 1) (eigenvalues of the forward map; exact
   duplicates removed), tau_net = dt / |ln |mu||, A = tau_net / tau (dt = tau = 100 ms, so
   A = 1 / |ln |mu||). A is the number of network time constants over which the mode decays
   (or grows) by e: |mu| = 0.99 gives A = 99.5. An unstable mode (|mu| > 1) gets a finite A
   too: A measures how slow, not whether stable.

The toolkit's own slow-point search (:func:`mtl_theory.numerics.evidence.find_fixed_points`:
L-BFGS-B from end-of-stimulus states, a residual tolerance, merging at 1e-4 of the state
scale) is the second route; :func:`amplification_factors` turns either route's spectra into
A the same way, so the two routes differ only in starts, optimizer, tolerance and merging.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from mtl_theory.numerics.evidence import (
    Adam,
    RNNResult,
    relu_map,
    relu_map_jacobian,
    rnn_forward,
    rnn_inputs,
    rnn_stimulus_free_bias,
)
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import cdist

AUTHORS_TRAJECTORY_TRIALS = 40  # n_trial (``code``)
AUTHORS_STARTS = 128  # batch_size (``code``)
AUTHORS_START_NOISE = 6.0  # np.random.rand(batch_size, n_neu) * 6 (``code``)
AUTHORS_LR = 0.01  # optim.Adam([hidden], lr=0.01) (``code``)
AUTHORS_ITERATIONS = 10000  # for i in range(10000) (``code``)
AUTHORS_DBSCAN_EPS = 0.5  # util.get_unique_fp(fixed_points, eps=0.5, min_samples=1) (``code``)
AUTHORS_TOP_EIGENVALUES = 2  # sorted_eigenvals[:, 0:2] (``code``)
DT_OVER_TAU = 1.0  # dt = tau = 100 ms (``code``)


def noise_free_trajectories(
    result: RNNResult, n_trials: int, t: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """States of every step (n_trials, t + 2, H) of sigma = 0 trials, and their x* (n, D).

    analyze.py builds its trajectory environments with ``sigma = 0``: the stimulus is x*
    itself at every stimulus step.
    """
    D = result.encoder[0][0].shape[0]
    x = rng.uniform(-0.5, 0.5, (n_trials, D))
    samples = np.repeat(x[:, None, :], t, axis=1)
    return rnn_forward(result.params, rnn_inputs(result.encoder, samples)), x


def authors_starts(
    trajectories: np.ndarray,
    rng: np.random.Generator,
    *,
    n_starts: int = AUTHORS_STARTS,
    noise: float = AUTHORS_START_NOISE,
) -> np.ndarray:
    """Trajectory states picked with replacement (trial, step uniform) plus U(0, noise) each."""
    n, T, H = trajectories.shape
    trial = rng.integers(0, n, n_starts)
    step = rng.integers(0, T, n_starts)
    return trajectories[trial, step] + noise * rng.random((n_starts, H))


def mse_displacement_and_gradient(
    h: np.ndarray, W_rec: np.ndarray, bias: np.ndarray
) -> tuple[float, np.ndarray]:
    """L(h) = mean over all (B, H) entries of (F(h) - h)^2 and dL/dh (``derived``).

    F_i(h) = relu(sum_j h_j W_rec[j, i] + bias_i) per row, r = F(h) - h, m = 1[a > 0]:
    dL/dh_j = (2 / (B H)) (sum_i r_i m_i W_rec[j, i] - r_j), i.e. ((r m) W_rec^T - r) 2/(BH).
    """
    a = h @ W_rec + bias
    r = np.maximum(a, 0.0) - h
    scale = 2.0 / r.size
    return float(np.mean(r**2)), scale * (((a > 0) * r) @ W_rec.T - r)


@dataclass(frozen=True)
class AdamSearch:
    """End points of the authors' joint Adam search and their residuals."""

    points: np.ndarray  # (B, H) every end point (the authors keep all)
    speed: np.ndarray  # (B,) ||F(h) - h|| at each end point
    final_loss: float  # mean (F(h) - h)^2 at the last iterate (what analyze.py prints)
    seconds: float


def adam_fixed_point_search(
    W_rec: np.ndarray,
    bias: np.ndarray,
    starts: np.ndarray,
    *,
    lr: float = AUTHORS_LR,
    iterations: int = AUTHORS_ITERATIONS,
) -> AdamSearch:
    """Adam on the mean squared one-step displacement, all starts in one batch (``code``)."""
    start_time = time.perf_counter()
    params = {"h": starts.astype(float).copy()}
    opt = Adam(lr=lr)  # PyTorch's defaults: beta = (0.9, 0.999), eps = 1e-8
    for _ in range(iterations):
        _, g = mse_displacement_and_gradient(params["h"], W_rec, bias)
        opt.step(params, {"h": g})
    h = params["h"]
    r = relu_map(h, W_rec, bias) - h
    return AdamSearch(
        h, np.linalg.norm(r, axis=1), float(np.mean(r**2)), time.perf_counter() - start_time
    )


def dbscan_representatives(points: np.ndarray, eps: float = AUTHORS_DBSCAN_EPS) -> np.ndarray:
    """Indices kept by DBSCAN(eps, min_samples = 1), first of each cluster (``code``).

    min_samples = 1 makes every point a core point, so DBSCAN's clusters are the connected
    components of the graph with an edge wherever the distance is <= eps (``derived``);
    clusters are labelled in order of their first point, so the kept indices are the
    components' smallest indices, increasing.
    """
    if points.shape[0] == 0:
        return np.zeros(0, dtype=int)
    adjacency = csr_matrix(cdist(points, points) <= eps)
    _, labels = connected_components(adjacency, directed=False)
    first = {}
    for k, label in enumerate(labels):
        first.setdefault(int(label), k)
    return np.array(sorted(first.values()), dtype=int)


def top_eigenvalues_by_real_part(J_difference: np.ndarray, k: int) -> np.ndarray:
    """The k eigenvalues of largest real part of a difference-system Jacobian, decreasing."""
    eig = np.linalg.eigvals(J_difference)
    return eig[np.argsort(eig.real)[::-1][:k]]


def amplification_factors(
    difference_eigenvalues: np.ndarray, dt_over_tau: float = DT_OVER_TAU
) -> np.ndarray:
    """A = tau_net / tau, tau_net = dt / |ln |mu||, mu = np.unique(lambda + 1) (``code``).

    ``difference_eigenvalues`` are eigenvalues of the Jacobian of F(h) - h (any shape); the
    forward map's are mu = lambda + 1. Exact duplicates are removed as np.unique does (a
    complex pair counts twice, being two different numbers). |mu| = 1 gives A = inf.
    """
    mu = np.unique(np.asarray(difference_eigenvalues).ravel() + 1.0)
    with np.errstate(divide="ignore"):
        return dt_over_tau / np.abs(np.log(np.abs(mu)))


@dataclass(frozen=True)
class AttractorAnalysis:
    """One route's fixed points, their top eigenvalues and the amplification factors."""

    route: str
    points: np.ndarray  # (K, H) the kept (unique) points
    speed: np.ndarray  # (K,) ||F(h) - h|| at the kept points
    top_eigenvalues: np.ndarray  # (K, 2) difference-system eigenvalues, largest real part
    A: np.ndarray  # amplification factors (np.unique of the forward eigenvalues)
    n_starts: int
    seconds: float

    def summary(self) -> dict:
        """JSON-ready numbers: counts, A percentiles, |mu| of the leading modes."""
        finite = self.A[np.isfinite(self.A)]
        mu = np.abs(self.top_eigenvalues + 1.0) if self.points.shape[0] else np.zeros((0, 2))
        return {
            "route": self.route,
            "n_starts": self.n_starts,
            "n_points": int(self.points.shape[0]),
            "max_speed": float(np.max(self.speed)) if self.speed.size else None,
            "median_speed": float(np.median(self.speed)) if self.speed.size else None,
            "A_percentiles": (
                np.percentile(finite, [10, 25, 50, 75, 90]).tolist() if finite.size else None
            ),
            "A_infinite": int(np.count_nonzero(~np.isfinite(self.A))),
            "n_A": int(self.A.size),
            "mu_modulus_first_median": float(np.median(mu[:, 0])) if mu.size else None,
            "mu_modulus_second_median": float(np.median(mu[:, 1])) if mu.size else None,
            "seconds": self.seconds,
        }


def spectra_and_amplification(
    route: str,
    points: np.ndarray,
    W_rec: np.ndarray,
    bias: np.ndarray,
    n_starts: int,
    seconds: float,
    k: int = AUTHORS_TOP_EIGENVALUES,
) -> AttractorAnalysis:
    """Top-k difference-system eigenvalues at every point and A, for either route."""
    H = W_rec.shape[0]
    top = np.array(
        [
            top_eigenvalues_by_real_part(relu_map_jacobian(h, W_rec, bias) - np.eye(H), k)
            for h in points
        ]
    ).reshape(points.shape[0], k)
    speed = np.linalg.norm(relu_map(points, W_rec, bias) - points, axis=1)
    return AttractorAnalysis(
        route, points, speed, top, amplification_factors(top), n_starts, seconds
    )


def authors_attractor_analysis(
    W_rec: np.ndarray,
    bias: np.ndarray,
    starts: np.ndarray,
    *,
    lr: float = AUTHORS_LR,
    iterations: int = AUTHORS_ITERATIONS,
    eps: float = AUTHORS_DBSCAN_EPS,
) -> AttractorAnalysis:
    """analyze.py's pipeline from given starts: Adam search, DBSCAN merge, spectra, A."""
    search = adam_fixed_point_search(W_rec, bias, starts, lr=lr, iterations=iterations)
    keep = dbscan_representatives(search.points, eps)
    return spectra_and_amplification(
        "authors", search.points[keep], W_rec, bias, starts.shape[0], search.seconds
    )


def rnn_authors_attractor_analysis(
    result: RNNResult,
    t: int,
    rng: np.random.Generator,
    *,
    n_trials: int = AUTHORS_TRAJECTORY_TRIALS,
    n_starts: int = AUTHORS_STARTS,
    iterations: int = AUTHORS_ITERATIONS,
) -> tuple[AttractorAnalysis, np.ndarray]:
    """The whole analyze.py pipeline on a trained toolkit RNN; also returns the starts."""
    trajectories, _ = noise_free_trajectories(result, n_trials, t, rng)
    starts = authors_starts(trajectories, rng, n_starts=n_starts)
    bias = rnn_stimulus_free_bias(result, 1.0)  # fixation input [1, enc(0)] (``code``)
    analysis = authors_attractor_analysis(
        result.params["W_rec"], bias, starts, iterations=iterations
    )
    return analysis, starts
