"""EVIDENCE: held-out regions in any D and a pooled OOD score for the trained-network sweeps.

The authors' evaluation (generalize.py, ``code``) holds out one quadrant of the 2-D latent
box. For D > 2 the held-out region has to be chosen; this module uses the authors' own last
choice for higher D, read in the history of generalize.py (commits cd03f34 "Generalize quad
splitting" to 161c0e0 "Clean code", which set ``split = 4`` with ``DenoiseQuadsHighDim``):

    quad_test = (np.arange(0, 2**D, split) + quad_test - 1) % 2**D + 1

The orthants are numbered as ``itertools.product([-.5, .5], repeat=D)`` (last coordinate
fastest), so orthant index i - 1 = q - 1 (mod 4) fixes the signs of the **last two
coordinates** and leaves the others free: the held-out region is a quadrant of (x_{D-1}, x_D)
times the whole box in the other coordinates -- a quarter of the volume for every D (for D = 2,
exactly the quadrant). There are 4 distinct held-out regions (generalize.py visits each 5
times through ``q_stop = n_fit * split``). The published default ``split = None`` would hold
out single orthants (1/2^D of the volume; and with a scalar ``quad_num`` it carries the
published one-sign bug of ``DenoiseQuads``), which for D = 10 would mean 1024 regions.

Scoring (a REDUCED protocol, stated in every report that uses it): one pool of trials per
network (states computed once); for every held-out region, an affine least-squares decoder
and ``fits`` Adam decoders (generalize.py's: nn.Linear init, Adam lr 3e-3, MSE, batches of 16,
the authors' batch count, scored at the 99 % logging step;
:func:`mtl_theory.numerics.evidence_protocol.fit_adam_decoder`) trained on the pool's trials
outside the region (batches drawn with replacement from the pool instead of fresh trials) and
tested on the pool's trials inside it. r^2 = 1 - MSE / (1/12) pooled over
coordinates (generalize.py's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mtl_theory.numerics import evidence_protocol as npr
from mtl_theory.numerics.metrics import decoded_axis_angles

#: generalize.py's ``split`` for D > 2 in its history (``code``; see the module docstring).
AUTHORS_SPLIT = 4
#: (sign of x_{D-1}, sign of x_D) of the held-out region q = 1..4 (orthant index i - 1 = q - 1
#: mod 4, product([-.5, .5]) ordering: bit 1 -> x_{D-1}, bit 0 -> x_D, bit set -> positive).
HELD_OUT_SIGNS = npr.QUARTER_SIGNS


def held_out_mask(x_star: np.ndarray, region: int) -> np.ndarray:
    """Trials (n,) inside held-out region ``region`` in 1..4: the last two signs fixed."""
    if not 1 <= region <= 4:
        raise ValueError(f"region must be 1..4, given {region}")
    if x_star.shape[1] < 2:
        raise ValueError(f"held-out quarters need D >= 2, given D = {x_star.shape[1]}")
    signs = HELD_OUT_SIGNS[region - 1]
    return np.all(np.sign(x_star[:, -2:]) == signs, axis=1)


def orthant_regions(D: int) -> list[np.ndarray]:
    """The orthants (as 1-based generalize.py indices) of each held-out region (``code``).

    Literally generalize.py's ``(np.arange(0, 2**D, split) + q - 1) % 2**D + 1``, kept so a
    test can check that :func:`held_out_mask` is the union of these orthants.
    """
    n = 2**D
    return [(np.arange(0, n, AUTHORS_SPLIT) + q - 1) % n + 1 for q in range(1, 5)]


@dataclass(frozen=True)
class PooledScores:
    """OOD r^2 per held-out region (4,) and fit, decoded-axis angles of the Adam decoders."""

    least_squares: np.ndarray  # (4,)
    adam: np.ndarray  # (4, fits)
    angles: np.ndarray  # (4, fits, D (D - 1) / 2) degrees
    n_train: np.ndarray  # (4,) pool trials outside each region
    n_test: np.ndarray  # (4,) pool trials inside


def score_pool(
    features: np.ndarray,
    x_star: np.ndarray,
    rng: np.random.Generator,
    *,
    decoder_batches: int,
    fits: int,
    batch: int = npr.AUTHORS_BATCH,
) -> PooledScores:
    """Least-squares and Adam decoders per held-out quarter on one pool (module docstring)."""
    D = x_star.shape[1]
    ls = np.empty(4)
    adam = np.empty((4, fits))
    angles = np.empty((4, fits, D * (D - 1) // 2))
    n_train, n_test = np.empty(4, dtype=int), np.empty(4, dtype=int)
    steps = npr.test_steps(decoder_batches)
    for q in range(1, 5):
        inside = held_out_mask(x_star, q)
        train = np.flatnonzero(~inside)
        n_train[q - 1], n_test[q - 1] = train.size, int(inside.sum())
        test_f, test_x = features[inside], x_star[inside]
        pred = npr.least_squares_predictions(features[train], x_star[train], test_f)
        ls[q - 1] = npr.pooled_r2(pred, test_x)
        for f in range(fits):  # fits = 0: least squares only
            idx = train[rng.integers(0, train.size, decoder_batches * batch)]
            fit = npr.fit_adam_decoder(
                features[idx], x_star[idx], (np.tile(test_f, (len(steps), 1)),), rng, batch=batch
            )
            adam[q - 1, f] = npr.pooled_r2(fit.predictions[0], np.tile(test_x, (len(steps), 1)))
            angles[q - 1, f] = decoded_axis_angles(fit.W.T) if D >= 2 else []
    return PooledScores(ls, adam, angles, n_train, n_test)
