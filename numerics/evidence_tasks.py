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

The bounded accumulator, ``LinearClassificationBound``, is a *regression* task with its own
inputs, targets and loss: :class:`BoundedAccumulatorTask` and :func:`train_bounded_rnn`
(section at the end of this module).
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


# --------------------------------------------------------------------------- bounded accumulator

#: ``bound = 5`` in train.py, ``thres = 5`` in LinearClassificationBound (``code``).
AUTHORS_BOUND = 5.0


@dataclass(frozen=True)
class BoundedAccumulatorTask:
    """DisentangleRes ``tasks.LinearClassificationBound`` (4f7ba78, ``code``) as train.py runs it.

    Data, read in tasks.py and neurogym (gyyang/neurogym ``core.TrialEnv``,
    ``utils.data.Dataset``):

    * x* ~ U(-1/2, 1/2)^2 (``rand(2) - .5``); the observation has **two channels and no
      fixation channel**: 0 during fixation, delay and decision, x* + sigma eps during the
      stimulus (train.py: sigma = n_sd_in / sqrt(dt) = 2 / 10 = 0.2 per step);
    * task k (alpha_k = tan phi_k, phi_k = (k + 1/2) pi / N_task, the even lines) accumulates
      S_k(j) = sum_{i <= j} (ob_2(i) - alpha_k ob_1(i)) over the **whole trial** (index j = 0
      is the fixation step), absorbed at the first step where |S_k| > bound: from there on it
      is sign(S_k) * bound (the loop ``ground_truth[j:, i] = thres``);
    * the stimulus period's targets are ``ground_truth[0 : n_stimulus]``, the first
      n_stimulus entries of the whole-trial sum: with one fixation step, the target at
      stimulus step j (1-based) is the absorbed sum of samples 1 .. j - 1 -- **one step
      behind** its input. A delay period (none in train.py) gets the last n_delay entries;
      fixation and decision steps keep neurogym's initial ground truth, **0**;
    * neurogym stores the ground truth in an array of the action space's dtype
      (``MultiDiscrete`` -> int64), so every target is **truncated toward zero to an
      integer** in {-bound, ..., bound} (``truncate = True``). The authors' sums are float32
      (neurogym's observation dtype); these are float64: the integer part can differ only when
      a sum lies within float32 rounding (~1e-7 relative) of an integer.

    The network, read in train.py for this task (a combination, ``reconstructed``): the
    encoder on both channels at every step (40 inputs, enc(0) outside the stimulus), the
    64-unit ReLU RNN, readout ``bound * tanh(W h + b)`` (the branch ``output =
    bound*decoder(fr)`` with ``CE_loss = False``'s tanh decoder) and the mean squared error
    over every step and task (``util.MSELoss_weighted`` with the all-ones mask). As published,
    train.py cannot train this task: with ``CE_loss = True`` the BCE would get targets
    ``target/2 + .5`` in [-2, 3], and with the default ``bound = 5`` the test ``'Bound' in
    net_file`` is false (the name adds 'Bound' only for bound != 5), leaving a tanh head in
    (-1, 1) for targets up to 5. ``bound = inf`` with ``truncate = False`` is the unbounded,
    real-valued accumulator with a linear head: the control of the diagram (``derived``).
    """

    n_tasks: int
    bound: float = AUTHORS_BOUND
    truncate: bool = True
    fixation_steps: int = 1
    delay_steps: int = 0
    decision_steps: int = 1

    def __post_init__(self) -> None:
        if self.n_tasks < 1:
            raise ValueError(f"n_tasks must be >= 1, given {self.n_tasks}")
        if not self.bound > 0:
            raise ValueError(f"bound must be > 0, given {self.bound}")
        if min(self.fixation_steps, self.delay_steps, self.decision_steps) < 0:
            raise ValueError("fixation, delay and decision steps must be >= 0")

    @property
    def alphas(self) -> np.ndarray:
        """alpha_k = tan(phi_k) (``code``; finite in float64 even at phi = pi/2, N_task odd)."""
        dphi = math.pi / self.n_tasks
        return np.array([math.tan(k * dphi + dphi / 2) for k in range(self.n_tasks)])

    def readout(self, o: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The head on the logits o and its derivative: bound tanh(o), or o when unbounded."""
        if not math.isfinite(self.bound):
            return o, np.ones_like(o)
        th = np.tanh(o)
        return self.bound * th, self.bound * (1.0 - th * th)

    def n_steps(self, t: int) -> int:
        return self.fixation_steps + t + self.delay_steps + self.decision_steps


def bounded_observations(task: BoundedAccumulatorTask, samples: np.ndarray) -> np.ndarray:
    """(B, t, 2) stimulus samples -> (B, T, 2) observations: 0 outside the stimulus period."""
    B, t, D = samples.shape
    ob = np.zeros((B, task.n_steps(t), D))
    ob[:, task.fixation_steps : task.fixation_steps + t] = samples
    return ob


def absorbed_sums(task: BoundedAccumulatorTask, ob: np.ndarray) -> np.ndarray:
    """Whole-trial running sums (B, T, N) absorbed at the first crossing of +-bound (``code``)."""
    S = np.cumsum(ob[:, :, 1:2] - task.alphas * ob[:, :, 0:1], axis=1)
    if not math.isfinite(task.bound):
        return S
    crossed = np.abs(S) > task.bound
    first = np.where(crossed.any(axis=1), crossed.argmax(axis=1), S.shape[1])  # (B, N)
    steps = np.arange(S.shape[1])[None, :, None]
    at_first = np.take_along_axis(S, np.minimum(first, S.shape[1] - 1)[:, None, :], axis=1)
    return np.where(steps >= first[:, None, :], np.sign(at_first) * task.bound, S)


def bounded_targets(task: BoundedAccumulatorTask, samples: np.ndarray) -> np.ndarray:
    """Per-step targets (B, T, N) of LinearClassificationBound (class docstring; ``code``)."""
    t = samples.shape[1]
    full = absorbed_sums(task, bounded_observations(task, samples))
    targets = np.zeros_like(full)
    f = task.fixation_steps
    targets[:, f : f + t] = full[:, :t]
    if task.delay_steps:
        targets[:, f + t : f + t + task.delay_steps] = full[:, -task.delay_steps :]
    return np.trunc(targets) if task.truncate else targets


def bounded_inputs(encoder: list, task: BoundedAccumulatorTask, samples: np.ndarray) -> np.ndarray:
    """The encoder on the two observation channels at every step (B, T, 40); no fixation input."""
    ob = bounded_observations(task, samples)
    B, T, D = ob.shape
    return ne.encode(encoder, ob.reshape(B * T, D)).reshape(B, T, -1)


def bounded_loss_and_grads(
    params: dict, inputs: np.ndarray, targets: np.ndarray, task: BoundedAccumulatorTask
) -> tuple[float, dict]:
    """Mean squared error of the head ``task.readout`` over every step and task, and its
    exact gradient (``util.MSELoss_weighted`` with the all-ones mask: sum / (B T N))."""
    states = ne.rnn_forward(params, inputs)
    y, dy = task.readout(states @ params["W_out"] + params["b_out"])
    err = y - targets
    n = err.size
    do = 2.0 * err * dy / n
    return float(np.sum(err * err) / n), ne.rnn_grads_from_outputs(params, inputs, states, do)


def bounded_baseline_mse(targets: np.ndarray) -> float:
    """MSE of the best constant predictor per step and task (the targets' variance)."""
    return float(np.mean(np.var(targets, axis=0)))


def train_bounded_rnn(
    task: BoundedAccumulatorTask, sigma: float, t: int, *, batches: int, seed: int
) -> ne.RNNResult:
    """The toolkit's RNN trained on the bounded accumulator (draw order as train_rnn: encoder,
    init, then one batch of latents and noise per update; Adam lr 1e-3, batches of 16).

    ``losses`` are running means of the training MSE every 100 batches, ``baseline_loss`` the
    MSE of the best constant predictor (:func:`bounded_baseline_mse`, 20000 probe trials).
    """
    config = ne.RNNConfig(D=2, n_tasks=task.n_tasks)
    rng = ne.rng_from(seed)
    encoder = ne.make_encoder(2, config.encoder, rng)
    params = ne.init_rnn_params(config.encoder[-1], config.hidden, task.n_tasks, rng)
    opt = ne.Adam(lr=config.lr)
    losses, running = [], []
    start = time.perf_counter()
    for k in range(batches):
        x = rng.uniform(-0.5, 0.5, (config.batch, 2))
        samples = x[:, None, :] + sigma * rng.standard_normal((config.batch, t, 2))
        loss, grads = bounded_loss_and_grads(
            params,
            bounded_inputs(encoder, task, samples),
            bounded_targets(task, samples),
            task,
        )
        opt.step(params, grads)
        running.append(loss)
        if (k + 1) % 100 == 0:
            losses.append(float(np.mean(running)))
            running = []
    seconds = time.perf_counter() - start
    x = rng.uniform(-0.5, 0.5, (20000, 2))
    probe = bounded_targets(task, x[:, None, :] + sigma * rng.standard_normal((20000, t, 2)))
    return ne.RNNResult(
        params,
        encoder,
        np.array(losses),
        bounded_baseline_mse(probe),
        seconds,
        batches,
        config.batch,
        "bounded-mse",
    )


def bounded_states(
    result: ne.RNNResult, task: BoundedAccumulatorTask, samples: np.ndarray, chunk: int = 512
) -> np.ndarray:
    """All states (n, T, H) of a bounded-accumulator RNN on ``samples``."""
    out = []
    for s in range(0, samples.shape[0], chunk):
        out.append(
            ne.rnn_forward(
                result.params, bounded_inputs(result.encoder, task, samples[s : s + chunk])
            )
        )
    return np.concatenate(out)


def bounded_eval_mse(
    result: ne.RNNResult, task: BoundedAccumulatorTask, samples: np.ndarray
) -> float:
    """The training loss (MSE over every step and task) on held-out ``samples``."""
    states = bounded_states(result, task, samples)
    y, _ = task.readout(states @ result.params["W_out"] + result.params["b_out"])
    return float(np.mean((y - bounded_targets(task, samples)) ** 2))
