"""EVIDENCE: the authors' other task geometries, and an RNN trainer that takes any of them.

Read in DisentangleRes ``tasks.py`` / ``util.py`` (commit 4f7ba78, provenance ``code``; none of
their code is copied). All are D = 2 with the evenly spaced central lines unless stated:

``"linear"``
    ``LinearClassificationCentOut``: x* ~ U(-1/2, 1/2)^2, y_k = 1[c_k . x* > 0] (the
    toolkit's default task; :func:`mtl_theory.theory.evidence.even_normals`).
``"copula"``
    ``LinearClassificationCorr`` (Fig. S3b): correlated latent *factors* by a Gaussian
    copula, z ~ N(0, [[1, rho], [rho, 1]]), x* = Phi(z) - 1/2 (``corr = 0.7`` by default):
    each factor stays exactly U(-1/2, 1/2), the pair is dependent (Spearman correlation
    (6/pi) arcsin(rho/2)). The evidence noise is unchanged (isotropic); the toolkit's
    ``noise = "correlated"`` is correlated *noise*, a different thing.
``"hyperbolic"``
    ``MultiplyClassificationFull``: N_task/4 tasks per quadrant with thresholds
    theta = linspace(1/(2 N_task), 1, N_task/4) * 0.2; in quadrant (+,+) task k of the first
    block is 1[x_1 x_2 > theta_k], in (-,+) the second block 1[x_1 x_2 < -theta_k], in (-,-)
    the third 1[x_1 x_2 > theta_k], in (+,-) the fourth 1[x_1 x_2 < -theta_k]; every other
    label is 0. The boundaries are hyperbolas: not affine in x*.
``"quadratic-encoder"``
    the linear task seen through the encoder with ``util.Quadratic`` (x -> x^2) in place of
    the ReLU after the two hidden layers (Fig. S1).

Not here: ``LinearClassificationBound`` (a bounded-accumulator *regression* target, the
clipped running sum of x_2 - alpha x_1 at every stimulus step, no fixation channel), which
needs a different loss and input layout.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from mtl_theory.numerics import evidence as ne
from mtl_theory.theory import evidence as te
from scipy.special import ndtr

GEOMETRIES = ("linear", "copula", "hyperbolic", "quadratic-encoder")
AUTHORS_COPULA_RHO = 0.7  # LinearClassificationCorr(corr=0.7) (``code``)


@dataclass(frozen=True)
class TaskGeometry:
    """One of :data:`GEOMETRIES` with its N_task (and rho for the copula)."""

    name: str
    n_tasks: int
    rho: float = AUTHORS_COPULA_RHO

    def __post_init__(self) -> None:
        if self.name not in GEOMETRIES:
            raise ValueError(f"geometry must be one of {GEOMETRIES}, given {self.name!r}")
        if self.name == "hyperbolic" and (self.n_tasks < 4 or self.n_tasks % 4):
            raise ValueError(f"hyperbolic: n_tasks a multiple of 4, given {self.n_tasks}")
        if not -1.0 < self.rho < 1.0:
            raise ValueError(f"rho must lie in (-1, 1), given {self.rho}")

    @property
    def encoder_activation(self) -> str:
        return "quadratic" if self.name == "quadratic-encoder" else "relu"


def copula_latents(n: int, rho: float, rng: np.random.Generator) -> np.ndarray:
    """x* = Phi(z) - 1/2, z ~ N(0, [[1, rho], [rho, 1]]) (n, 2) (``code``)."""
    z1 = rng.standard_normal(n)
    z2 = rho * z1 + math.sqrt(1.0 - rho**2) * rng.standard_normal(n)
    return ndtr(np.stack([z1, z2], axis=1)) - 0.5


def hyperbolic_thresholds(n_tasks: int) -> np.ndarray:
    """theta = linspace(1/(2 N), 1, N/4) * 0.2 (``code``)."""
    return np.linspace(1.0 / (2 * n_tasks), 1.0, n_tasks // 4) * 0.2


def hyperbolic_labels(x: np.ndarray, n_tasks: int) -> np.ndarray:
    """MultiplyClassificationFull's labels (n, N) as 0/1 (``code``; module docstring)."""
    theta = hyperbolic_thresholds(n_tasks)
    k = n_tasks // 4
    prod = (x[:, 0] * x[:, 1])[:, None]
    Y = np.zeros((x.shape[0], n_tasks))
    pos0, pos1 = x[:, 0] > 0, x[:, 1] > 0
    neg0, neg1 = x[:, 0] < 0, x[:, 1] < 0
    blocks = (
        (pos0 & pos1, slice(0, k), prod > theta),
        (neg0 & pos1, slice(k, 2 * k), prod < -theta),
        (neg0 & neg1, slice(2 * k, 3 * k), prod > theta),
        (pos0 & neg1, slice(3 * k, 4 * k), prod < -theta),
    )
    for rows, cols, value in blocks:
        Y[rows, cols] = value[rows]
    return Y


def sample_latents(geometry: TaskGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    if geometry.name == "copula":
        return copula_latents(n, geometry.rho, rng)
    return rng.uniform(-0.5, 0.5, (n, 2))


def labels(geometry: TaskGeometry, x: np.ndarray) -> np.ndarray:
    if geometry.name == "hyperbolic":
        return hyperbolic_labels(x, geometry.n_tasks)
    return ne.task_labels(x, te.even_normals(geometry.n_tasks), np.zeros(geometry.n_tasks))


def encode_with(layers: list, x: np.ndarray, activation: str) -> np.ndarray:
    """The frozen encoder with ReLU or x^2 after every layer but the last (``code``)."""
    if activation == "relu":
        return ne.encode(layers, x)
    h = x
    for k, (W, b) in enumerate(layers):
        h = h @ W + b
        if k < len(layers) - 1:
            h = h * h
    return h


def task_inputs(encoder: list, samples: np.ndarray, activation: str) -> np.ndarray:
    """:func:`mtl_theory.numerics.evidence.rnn_inputs` with the geometry's encoder."""
    if activation == "relu":
        return ne.rnn_inputs(encoder, samples)
    B, t, D = samples.shape
    feats = encode_with(encoder, samples.reshape(B * t, D), activation).reshape(B, t, -1)
    blank = encode_with(encoder, np.zeros((1, D)), activation)[0]
    F = feats.shape[2]
    inputs = np.empty((B, t + 2, F + 1))
    inputs[:, 0, :F], inputs[:, 0, F] = blank, 1.0
    inputs[:, 1 : t + 1, :F], inputs[:, 1 : t + 1, F] = feats, 1.0
    inputs[:, -1, :F], inputs[:, -1, F] = blank, 0.0
    return inputs


def train_task_rnn(
    geometry: TaskGeometry, sigma: float, t: int, *, batches: int, seed: int
) -> ne.RNNResult:
    """:func:`mtl_theory.numerics.evidence.train_rnn` on a task geometry (same draws order:
    encoder, RNN init, then one batch of latents and noise per update; all-steps BCE)."""
    config = ne.RNNConfig(D=2, n_tasks=geometry.n_tasks)
    rng = ne.rng_from(seed)
    encoder = ne.make_encoder(2, config.encoder, rng)
    params = ne.init_rnn_params(config.encoder[-1] + 1, config.hidden, geometry.n_tasks, rng)
    opt = ne.Adam(lr=config.lr)
    act = geometry.encoder_activation
    losses, running = [], []
    start = time.perf_counter()
    for k in range(batches):
        x = sample_latents(geometry, config.batch, rng)
        samples = x[:, None, :] + sigma * rng.standard_normal((config.batch, t, 2))
        loss, grads = ne.rnn_loss_and_grads(
            params, task_inputs(encoder, samples, act), labels(geometry, x), loss=config.loss
        )
        opt.step(params, grads)
        running.append(loss)
        if (k + 1) % 100 == 0:
            losses.append(float(np.mean(running)))
            running = []
    probe = labels(geometry, sample_latents(geometry, 20000, rng))
    baseline = ne.label_entropy_baseline(probe.mean(axis=0))
    return ne.RNNResult(
        params,
        encoder,
        np.array(losses),
        baseline,
        time.perf_counter() - start,
        batches,
        config.batch,
        config.loss,
    )


def task_states(
    result: ne.RNNResult, samples: np.ndarray, activation: str, chunk: int = 512
) -> np.ndarray:
    """Decision-step states (n, H) of a network trained on a geometry."""
    out = []
    for s in range(0, samples.shape[0], chunk):
        inputs = task_inputs(result.encoder, samples[s : s + chunk], activation)
        out.append(ne.rnn_forward(result.params, inputs)[:, -1])
    return np.concatenate(out)
