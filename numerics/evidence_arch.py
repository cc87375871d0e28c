"""EVIDENCE: the other architectures of the paper's Fig. 3b/3c, in numpy, hand-written gradients.

Re-implemented from reading DisentangleRes (commit 4f7ba78: ``train.py``, ``RNN.py``,
``transformer.py``, ``generalize.py``; provenance ``code`` unless a line says otherwise) and
the libraries it calls (PyTorch ``nn.LSTM``; Hugging Face ``GPT2Model``). Every network reads
the same per-step inputs as the toolkit's RNN (:func:`mtl_theory.numerics.evidence.rnn_inputs`:
the frozen random encoder's 40 features and the fixation bit, 1 + t + 1 steps), has sigmoid
heads ``nn.Linear(64, N_task)`` (PyTorch default init) on its state at every step, and trains
on the same loss (:func:`mtl_theory.numerics.evidence.rnn_step_targets`, BCE on every step by
default) with the same Adam (lr 1e-3) on fresh batches of 16.

``"rnn-nonleaky"``
    ``RNN(leaky=False)``: r_k = r_{k-1} + alpha relu(u_k W_in + r_{k-1} W_rec + b), alpha =
    dt/tau = 1, r_0 = 0, ReLU, PyTorch's default ``nn.Linear`` init (the leaky RNN with alpha =
    1 is r_k = relu(...), the toolkit's :class:`~mtl_theory.numerics.evidence.RNNConfig`).
``"lstm"``
    ``nn.LSTM(41, 64, batch_first=True)``: gates (i, f, g, o) = (sigma, sigma, tanh, sigma)
    of u_k W_x + h_{k-1} W_h + b, c_k = f c_{k-1} + i g, h_k = o tanh(c_k), h_0 = c_0 = 0;
    every weight and both biases U(-1/8, 1/8) (PyTorch's default, 1/sqrt(hidden)); the two
    biases enter only as a sum, kept as one ``b`` drawn as the sum of two draws.
``"transformer"``
    ``GPT2ContinuousInputs`` with ``GPT2Config(n_embd=64, n_layer=1, n_head=8)`` and the
    library's defaults: a linear input projection 41 -> 64, position embeddings zeroed and
    frozen (so omitted), embedding dropout, one pre-LayerNorm block (LN -> causal multi-head
    self-attention, scores / sqrt(8), attention-probability dropout, output projection,
    residual dropout, residual; LN -> MLP 64 -> 256 -> 64 with the tanh GELU ``gelu_new``,
    residual dropout, residual), a final LayerNorm (eps 1e-5); the heads read every token.
    Init: every linear weight N(0, 0.02^2) with zero bias, the two output projections
    ``c_proj`` N(0, (0.02 / sqrt(2 n_layer))^2), LayerNorm gain 1 and bias 0. Dropout p = 0.1
    (``resid_pdrop = embd_pdrop = attn_pdrop = 0.1``) is active in training: train.py never
    calls ``net.eval()``; generalize.py does, so the evaluation states are dropout-free.

Provenance of the library facts (GPT-2's layout, init and defaults; PyTorch's LSTM gate order
and init) is ``code``: the libraries' source, not the authors' files.

Gradients are exact (backpropagation by hand) and checked against central finite differences
in ``tests/test_evidence_arch.py``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import progress
from mtl_theory.numerics.precision import DEFAULT_DTYPE, numpy_dtype
from scipy.special import expit

ARCHITECTURES = ("rnn-nonleaky", "lstm", "transformer")
#: Every trained network of the EVIDENCE route: the toolkit's leaky RNN and the above.
TRAINED_NETWORKS = ("rnn", *ARCHITECTURES)
#: GPT2Config defaults (``code``): initializer_range, layer_norm_epsilon, the dropouts.
GPT2_INIT_STD = 0.02
GPT2_LN_EPS = 1e-5
GPT2_DROPOUT = 0.1
#: sqrt(2 / pi) and the cubic coefficient of gelu_new (the tanh approximation).
_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_A = 0.044715
#: Stream tag of a network's parameter init and dropout masks (the data stream is the RNN's).
_ARCH_STREAM = 0xA2C4


@dataclass(frozen=True)
class ArchConfig:
    """One architecture of Fig. 3b/3c and its training setting (``code`` defaults).

    ``dropout`` applies to the transformer only (GPT-2's 0.1, active in train.py's training);
    ``heads``, ``layers = 1`` and ``mlp_ratio`` are GPT-2's ``n_head``, ``n_layer`` and
    ``n_inner = 4 n_embd``. ``dtype``: the arithmetic of training, as
    :class:`~mtl_theory.numerics.evidence.RNNConfig`'s (float32 for exploratory diagrams only).
    """

    architecture: str
    D: int
    n_tasks: int
    hidden: int = 64
    encoder: tuple[int, ...] = (100, 100, 40)
    lr: float = 1e-3
    batch: int = 16
    fixation_steps: int = 1
    loss: str = "all-steps"
    heads: int = 8
    mlp_ratio: int = 4
    dropout: float = GPT2_DROPOUT
    dtype: str = DEFAULT_DTYPE

    def __post_init__(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"architecture must be one of {ARCHITECTURES}, given {self.architecture!r}"
            )
        if self.loss not in ne.RNN_LOSSES:
            raise ValueError(f"loss must be one of {ne.RNN_LOSSES}, given {self.loss!r}")
        if self.architecture == "transformer" and self.hidden % self.heads:
            raise ValueError(
                f"hidden must be a multiple of heads, given hidden={self.hidden}, "
                f"heads={self.heads}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), given {self.dropout}")
        numpy_dtype(self.dtype)


# --------------------------------------------------------------------------- init


def _readout(hidden: int, n_out: int, rng: np.random.Generator) -> dict:
    """The sigmoid heads nn.Linear(hidden, N) with PyTorch's default init (``code``)."""
    return {
        "W_out": ne._torch_default_uniform((hidden, n_out), hidden, rng),
        "b_out": ne._torch_default_uniform((n_out,), hidden, rng),
    }


def init_params(config: ArchConfig, n_in: int, rng: np.random.Generator) -> dict:
    """Initial parameters of ``config.architecture`` (see the module docstring), heads included."""
    H, N = config.hidden, config.n_tasks
    if config.architecture == "rnn-nonleaky":
        return ne.init_rnn_params(n_in, H, N, rng)  # the same layers as the leaky RNN
    if config.architecture == "lstm":
        bound_fan = H  # every LSTM parameter is U(-1/sqrt(hidden), 1/sqrt(hidden))
        return {
            "W_x": ne._torch_default_uniform((n_in, 4 * H), bound_fan, rng),
            "W_h": ne._torch_default_uniform((H, 4 * H), bound_fan, rng),
            "b": ne._torch_default_uniform((4 * H,), bound_fan, rng)
            + ne._torch_default_uniform((4 * H,), bound_fan, rng),
            **_readout(H, N, rng),
        }
    E, inner, s = H, config.mlp_ratio * H, GPT2_INIT_STD
    s_proj = s / math.sqrt(2 * 1)  # c_proj.weight: initializer_range / sqrt(2 n_layer)
    return {
        "W_p": s * rng.standard_normal((n_in, E)),
        "b_p": np.zeros(E),
        "g1": np.ones(E),
        "c1": np.zeros(E),
        "W_qkv": s * rng.standard_normal((E, 3 * E)),
        "b_qkv": np.zeros(3 * E),
        "W_o": s_proj * rng.standard_normal((E, E)),
        "b_o": np.zeros(E),
        "g2": np.ones(E),
        "c2": np.zeros(E),
        "W_fc": s * rng.standard_normal((E, inner)),
        "b_fc": np.zeros(inner),
        "W_pr": s_proj * rng.standard_normal((inner, E)),
        "b_pr": np.zeros(E),
        "gf": np.ones(E),
        "cf": np.zeros(E),
        **_readout(H, N, rng),
    }


# --------------------------------------------------------------------------- non-leaky RNN


def nonleaky_forward(params: dict, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """r_k = r_{k-1} + relu(u_k W_in + r_{k-1} W_rec + b), r_0 = 0; states (B, T, H), gates."""
    B, T, _ = inputs.shape
    W_rec = params["W_rec"]
    pre = inputs @ params["W_in"] + params["b"]
    r = np.zeros((B, W_rec.shape[0]), dtype=pre.dtype)
    states = np.empty((B, T, W_rec.shape[0]), dtype=pre.dtype)
    active = np.empty(states.shape, dtype=bool)
    for k in range(T):
        a = pre[:, k] + r @ W_rec
        active[:, k] = a > 0
        r = r + np.maximum(a, 0.0)
        states[:, k] = r
    return states, active


def nonleaky_backward(
    params: dict, inputs: np.ndarray, states: np.ndarray, active: np.ndarray, dstates: np.ndarray
) -> dict:
    """Gradients of W_in, W_rec, b given dL/dstates (B, T, H) (BPTT through the identity skip)."""
    B, T, H = states.shape
    W_recT = params["W_rec"].T
    da_all = np.empty_like(states)
    dr = np.zeros((B, H), dtype=states.dtype)
    for k in range(T - 1, -1, -1):
        dr = dr + dstates[:, k]
        da = dr * active[:, k]
        da_all[:, k] = da
        dr = dr + da @ W_recT  # r_{k-1} enters both the skip and the recurrence
    prev = np.concatenate([np.zeros((B, 1, H), dtype=states.dtype), states[:, :-1]], axis=1)
    flat = da_all.reshape(B * T, H)
    return {
        "W_in": inputs.reshape(B * T, -1).T @ flat,
        "W_rec": prev.reshape(B * T, H).T @ flat,
        "b": flat.sum(axis=0),
    }


# --------------------------------------------------------------------------- LSTM


def lstm_forward(params: dict, inputs: np.ndarray) -> tuple[np.ndarray, dict]:
    """PyTorch's LSTM (gates i, f, g, o); states h (B, T, H) and the cache of the backward."""
    B, T, _ = inputs.shape
    W_h = params["W_h"]
    H = W_h.shape[0]
    pre = inputs @ params["W_x"] + params["b"]
    dt = pre.dtype
    h = np.zeros((B, H), dtype=dt)
    c = np.zeros((B, H), dtype=dt)
    states = np.empty((B, T, H), dtype=dt)
    cells = np.empty((B, T, H), dtype=dt)
    gates = np.empty((B, T, 4 * H), dtype=dt)  # activated: sigma(i), sigma(f), tanh(g), sigma(o)
    for k in range(T):
        z = pre[:, k] + h @ W_h
        g = gates[:, k]
        g[:, : 2 * H] = expit(z[:, : 2 * H])
        g[:, 2 * H : 3 * H] = np.tanh(z[:, 2 * H : 3 * H])
        g[:, 3 * H :] = expit(z[:, 3 * H :])
        c = g[:, H : 2 * H] * c + g[:, :H] * g[:, 2 * H : 3 * H]
        h = g[:, 3 * H :] * np.tanh(c)
        cells[:, k] = c
        states[:, k] = h
    return states, {"cells": cells, "gates": gates}


def lstm_backward(
    params: dict, inputs: np.ndarray, states: np.ndarray, cache: dict, dstates: np.ndarray
) -> dict:
    """Gradients of W_x, W_h, b given dL/dh (B, T, H) (BPTT through h and c)."""
    B, T, H = states.shape
    cells, gates = cache["cells"], cache["gates"]
    W_hT = params["W_h"].T
    dt = states.dtype
    dz_all = np.empty((B, T, 4 * H), dtype=dt)
    dh = np.zeros((B, H), dtype=dt)
    dc = np.zeros((B, H), dtype=dt)
    for k in range(T - 1, -1, -1):
        dh = dh + dstates[:, k]
        i, f = gates[:, k, :H], gates[:, k, H : 2 * H]
        g, o = gates[:, k, 2 * H : 3 * H], gates[:, k, 3 * H :]
        tc = np.tanh(cells[:, k])
        c_prev = cells[:, k - 1] if k > 0 else np.zeros((B, H), dtype=dt)
        dc = dc + dh * o * (1.0 - tc * tc)
        dz = dz_all[:, k]
        dz[:, :H] = dc * g * i * (1.0 - i)
        dz[:, H : 2 * H] = dc * c_prev * f * (1.0 - f)
        dz[:, 2 * H : 3 * H] = dc * i * (1.0 - g * g)
        dz[:, 3 * H :] = dh * tc * o * (1.0 - o)
        dc = dc * f
        dh = dz @ W_hT
    prev = np.concatenate([np.zeros((B, 1, H), dtype=dt), states[:, :-1]], axis=1)
    flat = dz_all.reshape(B * T, 4 * H)
    return {
        "W_x": inputs.reshape(B * T, -1).T @ flat,
        "W_h": prev.reshape(B * T, H).T @ flat,
        "b": flat.sum(axis=0),
    }


# --------------------------------------------------------------------------- transformer


def layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray, eps: float = GPT2_LN_EPS):
    """LayerNorm over the last axis (biased variance, as torch): (y, (xhat, 1/std))."""
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    inv = 1.0 / np.sqrt(np.mean(xc * xc, axis=-1, keepdims=True) + eps)
    xhat = xc * inv
    return xhat * gain + bias, (xhat, inv)


def layer_norm_backward(dy: np.ndarray, gain: np.ndarray, cache) -> tuple[np.ndarray, ...]:
    """(dx, dgain, dbias) of :func:`layer_norm` given dL/dy."""
    xhat, inv = cache
    axes = tuple(range(dy.ndim - 1))
    dxhat = dy * gain
    dx = inv * (
        dxhat
        - dxhat.mean(axis=-1, keepdims=True)
        - xhat * np.mean(dxhat * xhat, axis=-1, keepdims=True)
    )
    return dx, np.sum(dy * xhat, axis=axes), np.sum(dy, axis=axes)


def gelu_new(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GPT-2's tanh GELU 0.5 x (1 + tanh(c (x + a x^3))) and its derivative."""
    x2 = x * x  # x * x * x, not x**3: numpy's float power is ~60x slower here
    th = np.tanh(_GELU_C * x * (1.0 + _GELU_A * x2))
    value = 0.5 * x * (1.0 + th)
    slope = 0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * _GELU_C * (1.0 + 3 * _GELU_A * x2)
    return value, slope


def dropout_masks(
    shape: tuple[int, int], heads: int, p: float, rng: np.random.Generator
) -> dict[str, np.ndarray] | None:
    """Inverted-dropout masks (0 or 1/(1 - p)) of the four GPT-2 dropout sites, or None."""
    if p == 0.0:
        return None
    B, T = shape[0], shape[1]
    E = shape[2]
    keep = 1.0 / (1.0 - p)

    def draw(s):
        return (rng.random(s) >= p) * keep

    return {
        "embd": draw((B, T, E)),
        "attn": draw((B, heads, T, T)),
        "resid_attn": draw((B, T, E)),
        "resid_mlp": draw((B, T, E)),
    }


def _split_heads(x: np.ndarray, heads: int) -> np.ndarray:
    B, T, E = x.shape
    return x.reshape(B, T, heads, E // heads).transpose(0, 2, 1, 3)


def _merge_heads(x: np.ndarray) -> np.ndarray:
    B, nh, T, hd = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, nh * hd)


def transformer_forward(
    params: dict, inputs: np.ndarray, heads: int, masks: dict | None = None
) -> tuple[np.ndarray, dict]:
    """One GPT-2 block on the projected inputs; final-LayerNorm states (B, T, E) and cache.

    ``masks`` (:func:`dropout_masks`) applies training-mode dropout; None is eval mode.
    """
    T = inputs.shape[1]
    m = masks or {}
    x0 = inputs @ params["W_p"] + params["b_p"]  # + wpe = 0 (zeroed and frozen)
    if "embd" in m:
        x0 = x0 * m["embd"]
    a, ln1 = layer_norm(x0, params["g1"], params["c1"])
    qkv = a @ params["W_qkv"] + params["b_qkv"]
    E = x0.shape[2]
    q, k, v = (_split_heads(qkv[..., j * E : (j + 1) * E], heads) for j in range(3))
    scale = 1.0 / math.sqrt(E // heads)
    S = (q @ k.transpose(0, 1, 3, 2)) * scale
    future = np.triu(np.ones((T, T), dtype=bool), 1)  # causal: token k sees tokens <= k
    S = np.where(future, -np.inf, S)
    S = S - S.max(axis=-1, keepdims=True)
    P = np.exp(S)
    P /= P.sum(axis=-1, keepdims=True)
    Pd = P * m["attn"] if "attn" in m else P
    O = _merge_heads(Pd @ v)
    y = O @ params["W_o"] + params["b_o"]
    if "resid_attn" in m:
        y = y * m["resid_attn"]
    x1 = x0 + y
    b2, ln2 = layer_norm(x1, params["g2"], params["c2"])
    f = b2 @ params["W_fc"] + params["b_fc"]
    gl, gslope = gelu_new(f)
    z = gl @ params["W_pr"] + params["b_pr"]
    if "resid_mlp" in m:
        z = z * m["resid_mlp"]
    x2 = x1 + z
    out, lnf = layer_norm(x2, params["gf"], params["cf"])
    cache = {
        "a": a,
        "ln1": ln1,
        "q": q,
        "k": k,
        "v": v,
        "P": P,
        "Pd": Pd,
        "O": O,
        "b2": b2,
        "ln2": ln2,
        "gl": gl,
        "gslope": gslope,
        "lnf": lnf,
        "masks": m,
        "scale": scale,
    }
    return out, cache


def transformer_backward(params: dict, inputs: np.ndarray, cache: dict, dout: np.ndarray) -> dict:
    """Gradients of every transformer parameter given dL/d(states) (B, T, E)."""
    B, T, _ = inputs.shape
    m = cache["masks"]
    g: dict[str, np.ndarray] = {}
    dx2, g["gf"], g["cf"] = layer_norm_backward(dout, params["gf"], cache["lnf"])
    dz = dx2 * m["resid_mlp"] if "resid_mlp" in m else dx2
    E = dz.shape[2]
    flat = B * T
    g["W_pr"] = cache["gl"].reshape(flat, -1).T @ dz.reshape(flat, E)
    g["b_pr"] = dz.sum(axis=(0, 1))
    df = (dz @ params["W_pr"].T) * cache["gslope"]
    g["W_fc"] = cache["b2"].reshape(flat, E).T @ df.reshape(flat, -1)
    g["b_fc"] = df.sum(axis=(0, 1))
    db2 = df @ params["W_fc"].T
    dln2, g["g2"], g["c2"] = layer_norm_backward(db2, params["g2"], cache["ln2"])
    dx1 = dx2 + dln2
    dy = dx1 * m["resid_attn"] if "resid_attn" in m else dx1
    g["W_o"] = cache["O"].reshape(flat, E).T @ dy.reshape(flat, E)
    g["b_o"] = dy.sum(axis=(0, 1))
    heads = cache["q"].shape[1]
    dO = _split_heads(dy @ params["W_o"].T, heads)  # (B, nh, T, hd)
    dv = cache["Pd"].transpose(0, 1, 3, 2) @ dO
    dPd = dO @ cache["v"].transpose(0, 1, 3, 2)
    dP = dPd * m["attn"] if "attn" in m else dPd
    P = cache["P"]
    dS = P * (dP - np.sum(dP * P, axis=-1, keepdims=True))  # softmax; masked entries: P = 0
    dS *= cache["scale"]
    dq = dS @ cache["k"]
    dk = dS.transpose(0, 1, 3, 2) @ cache["q"]
    dqkv = np.concatenate([_merge_heads(dq), _merge_heads(dk), _merge_heads(dv)], axis=2)
    g["W_qkv"] = cache["a"].reshape(flat, E).T @ dqkv.reshape(flat, 3 * E)
    g["b_qkv"] = dqkv.sum(axis=(0, 1))
    da = dqkv @ params["W_qkv"].T
    dln1, g["g1"], g["c1"] = layer_norm_backward(da, params["g1"], cache["ln1"])
    dx0 = dx1 + dln1
    if "embd" in m:
        dx0 = dx0 * m["embd"]
    g["W_p"] = inputs.reshape(flat, -1).T @ dx0.reshape(flat, E)
    g["b_p"] = dx0.sum(axis=(0, 1))
    return g


def transformer_last_states(params: dict, inputs: np.ndarray, heads: int) -> np.ndarray:
    """Eval-mode final-LayerNorm state of the last token (B, E), computing only what it needs.

    The causal last token attends to every token, so keys and values are needed everywhere,
    but the query, the attention output, the MLP and the final LayerNorm only at the last
    step: the arithmetic of :func:`transformer_forward` restricted to its last row.
    """
    x0 = inputs @ params["W_p"] + params["b_p"]
    a, _ = layer_norm(x0, params["g1"], params["c1"])
    E = x0.shape[2]
    kv = a @ params["W_qkv"][:, E:] + params["b_qkv"][E:]
    k = _split_heads(kv[..., :E], heads)
    v = _split_heads(kv[..., E:], heads)
    q = _split_heads(a[:, -1:] @ params["W_qkv"][:, :E] + params["b_qkv"][:E], heads)
    S = (q @ k.transpose(0, 1, 3, 2)) / math.sqrt(E // heads)  # (B, nh, 1, T)
    S = S - S.max(axis=-1, keepdims=True)
    P = np.exp(S)
    P /= P.sum(axis=-1, keepdims=True)
    O = _merge_heads(P @ v)[:, 0]
    x1 = x0[:, -1] + O @ params["W_o"] + params["b_o"]
    b2, _ = layer_norm(x1, params["g2"], params["c2"])
    gl, _ = gelu_new(b2 @ params["W_fc"] + params["b_fc"])
    x2 = x1 + gl @ params["W_pr"] + params["b_pr"]
    return layer_norm(x2, params["gf"], params["cf"])[0]


# --------------------------------------------------------------------------- common


def network_states(
    config: ArchConfig, params: dict, inputs: np.ndarray, masks: dict | None = None
) -> tuple[np.ndarray, object]:
    """States (B, T, H) of the architecture at every step, and the backward's cache."""
    if config.architecture == "rnn-nonleaky":
        return nonleaky_forward(params, inputs)
    if config.architecture == "lstm":
        return lstm_forward(params, inputs)
    return transformer_forward(params, inputs, config.heads, masks)


def loss_and_grads(
    config: ArchConfig,
    params: dict,
    inputs: np.ndarray,
    Y: np.ndarray,
    masks: dict | None = None,
) -> tuple[float, dict]:
    """BCE of the sigmoid heads on every step's state (``config.loss``) and its exact gradient.

    The same loss as :func:`mtl_theory.numerics.evidence.rnn_loss_and_grads`: targets and step
    weights from ``rnn_step_targets``, mean over the weighted step-task elements, written on
    the logits (softplus(o) - y o, derivative sigmoid(o) - y).
    """
    B, T, _ = inputs.shape
    states, cache = network_states(config, params, inputs, masks)
    targets, weights = ne.rnn_step_targets(Y, T, config.loss)
    n = B * Y.shape[1] * (T if config.loss == "all-steps" else 1)
    o = states @ params["W_out"] + params["b_out"]
    targets = targets.astype(o.dtype, copy=False)  # no-ops in float64
    w = weights.astype(o.dtype, copy=False)[None, :, None]
    value = float(np.sum(w * (np.logaddexp(0.0, o) - targets * o)) / n)
    do = w * (expit(o) - targets) / n
    H = states.shape[2]
    grads = {
        "W_out": states.reshape(B * T, H).T @ do.reshape(B * T, -1),
        "b_out": do.sum(axis=(0, 1)),
    }
    dstates = do @ params["W_out"].T
    if config.architecture == "rnn-nonleaky":
        grads.update(nonleaky_backward(params, inputs, states, cache, dstates))
    elif config.architecture == "lstm":
        grads.update(lstm_backward(params, inputs, states, cache, dstates))
    else:
        grads.update(transformer_backward(params, inputs, cache, dstates))
    return value, grads


@dataclass(frozen=True)
class ArchResult:
    """A trained network of one architecture (same fields as RNNResult, plus its config)."""

    config: ArchConfig
    params: dict
    encoder: list
    losses: np.ndarray  # running mean training loss every ``log_every`` batches
    baseline_loss: float  # decision-step BCE of the best constant predictor
    seconds: float
    batches: int


def arch_rng(seed: int) -> np.random.Generator:
    """The generator of a network's parameter init and dropout masks (apart from its data)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence((int(seed), _ARCH_STREAM))))


def train_architecture(
    C: np.ndarray,
    d: np.ndarray,
    sigma: float,
    t: int,
    *,
    batches: int,
    seed: int,
    config: ArchConfig,
    log_every: int = 100,
) -> ArchResult:
    """Train one network on fresh trials every batch (online, as train.py does).

    The data generator is ``rng_from(seed)`` as for :func:`~mtl_theory.numerics.evidence.
    train_rnn`, which draws the encoder first: networks of every architecture trained with
    one seed share the frozen encoder (the leaky RNN's too) and, among the architectures
    here, every training trial; init and dropout come from :func:`arch_rng`.
    ``config.dtype``: as for ``train_rnn`` (float32 training from the rounded float64 draws,
    dropout masks included; float64 parameters returned; a non-finite float32 loss raises).
    """
    D = C.shape[1]
    rng = ne.rng_from(seed)
    encoder = ne.make_encoder(D, config.encoder, rng)
    aux = arch_rng(seed)
    params = init_params(config, config.encoder[-1] + 1, aux)
    low = config.dtype != DEFAULT_DTYPE
    if low:
        encoder, params = ne.cast_network(encoder, params, config.dtype)
    opt = ne.Adam(lr=config.lr)
    p_drop = config.dropout if config.architecture == "transformer" else 0.0
    losses, running = [], []
    start = time.perf_counter()
    for k in range(batches):
        progress.tick("training batches", k, batches)
        trials = ne.simulate_trials(D, sigma, t, config.batch, rng)
        Y = ne.task_labels(trials.x_star, C, d)
        samples = trials.samples.astype(config.dtype) if low else trials.samples
        inputs = ne.rnn_inputs(encoder, samples, config.fixation_steps)
        shape = (inputs.shape[0], inputs.shape[1], config.hidden)
        masks = dropout_masks(shape, config.heads, p_drop, aux)
        if low and masks is not None:
            masks = {site: m.astype(config.dtype) for site, m in masks.items()}
        loss, grads = loss_and_grads(config, params, inputs, Y, masks)
        if low:
            ne.check_finite_loss(loss, k, config.dtype)
        opt.step(params, grads)
        running.append(loss)
        if (k + 1) % log_every == 0:
            losses.append(float(np.mean(running)))
            running = []
    seconds = time.perf_counter() - start
    if low:
        encoder, params = ne.cast_network(encoder, params, DEFAULT_DTYPE)
    probe = ne.simulate_trials(D, sigma, t, 20000, rng)
    baseline = ne.label_entropy_baseline(ne.task_labels(probe.x_star, C, d).mean(axis=0))
    return ArchResult(config, params, encoder, np.array(losses), baseline, seconds, batches)


def arch_states(result: ArchResult, samples: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """Eval-mode state at the decision step (n, H): what generalize.py's decoder reads."""
    cfg = result.config
    out = np.empty((samples.shape[0], cfg.hidden))
    for start in range(0, samples.shape[0], chunk):
        sl = slice(start, start + chunk)
        inputs = ne.rnn_inputs(result.encoder, samples[sl], cfg.fixation_steps)
        if cfg.architecture == "transformer":
            out[sl] = transformer_last_states(result.params, inputs, cfg.heads)
        else:
            out[sl] = network_states(cfg, result.params, inputs)[0][:, -1]
    return out


def arch_eval_loss(result: ArchResult, trials: ne.Trials, C: np.ndarray, d: np.ndarray) -> float:
    """Eval-mode decision-step BCE on ``trials`` (comparable with ``result.baseline_loss``)."""
    Y = ne.task_labels(trials.x_star, C, d)
    inputs = ne.rnn_inputs(result.encoder, trials.samples, result.config.fixation_steps)
    config = ArchConfig(**{**result.config.__dict__, "loss": "decision-step"})
    return loss_and_grads(config, result.params, inputs, Y)[0]


def train_network(
    network: str,
    C: np.ndarray,
    d: np.ndarray,
    sigma: float,
    t: int,
    batches: int,
    seed: int,
    loss: str = "all-steps",
    dtype: str = DEFAULT_DTYPE,
):
    """Train one network of kind ``network`` ('rnn' or one of ARCHITECTURES); (result, states).

    ``states`` maps evidence samples (n, t, D) to the eval-mode decision-step state (n, H),
    what generalize.py's decoder reads. ``dtype``: the arithmetic of training only.
    """
    N, D = C.shape
    if network == "rnn":
        config = ne.RNNConfig(D=D, n_tasks=N, loss=loss, dtype=dtype)
        result = ne.train_rnn(C, d, sigma, t, batches=batches, seed=seed, config=config)
        return result, lambda samples: ne.rnn_states(result, samples)
    config = ArchConfig(network, D=D, n_tasks=N, loss=loss, dtype=dtype)
    result = train_architecture(C, d, sigma, t, batches=batches, seed=seed, config=config)
    return result, lambda samples: arch_states(result, samples)


def eval_bce(network: str, result, trials: ne.Trials, C: np.ndarray, d: np.ndarray) -> float:
    """Decision-step BCE of a trained network on ``trials`` (eval mode)."""
    if network == "rnn":
        return ne.rnn_eval_loss(result, trials, C, d)
    return arch_eval_loss(result, trials, C, d)
