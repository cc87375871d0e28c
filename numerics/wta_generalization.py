"""Compositional generalization of WTA, ReLU and linear bottlenecks, with statistical power.

The WTA paper (Gutheil, Hitzginger, Legenstein 2026, `paper`, abstract) claims that the
symbolic code of a WTA bottleneck "helps generalization". This module measures that claim on a
task where the encoder has to disentangle: procedural 16x16 RGB images of one object with three
factors (shape, colour, position; 4 values each), additive pixel noise and position jitter, a
compositional split (Latin-square hold-out: every value of every factor, and every pair of
values, is seen in training; a quarter of the combinations never is), and three arms that share
the encoder, the width, the data and the initial weights of each seed:

- ``wta``: G hard-WTA modules trained exactly as :func:`mtl_theory.numerics.wta.train` trains
  them (annealed-softmax warm-up, then hard forward / straight-through softmax backward at a
  fixed temperature; :func:`mtl_theory.numerics.wta.fit_network`), read out hard;
- ``relu``: a same-width ReLU bottleneck;
- ``linear``: a same-width linear (identity) bottleneck.

Tasks are random additive readouts of the factors (``random-additive`` of
:func:`mtl_theory.theory.wta.make_targets`), one affine head each, squared loss. The score is the
nearest-target accuracy on fresh test images of the held-out combinations
(:func:`mtl_theory.numerics.wta.nearest_point_accuracy`: the network's output vector names the
combination whose target vector is nearest).

Statistics over seeds (paired by seed: same task tables, images and initial weights in every
arm): Student t-intervals, the paired t-test and Wilcoxon signed-rank test (scipy), the effect
size d_z = mean(d) / sd(d) of the paired differences, and the smallest true mean difference
that the paired t-test detects at the given level and power with the measured spread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from mtl_theory.numerics import wta as nwta
from mtl_theory.numerics.blas import single_blas_thread
from mtl_theory.theory.wta import WTASetup, grid_points, make_targets
from scipy import optimize

# --------------------------------------------------------------------------- images

#: Side of the square images and of the object stencils (pixels).
IMAGE_SIDE = 16
OBJECT_SIDE = 6
#: Top-left corner of the object at each position value (the four quadrants); with a jitter of
#: at most 1 pixel the 6x6 object stays inside the 16x16 image (1 - 1 >= 0, 9 + 1 + 6 <= 16).
POSITIONS = ((1, 1), (1, 9), (9, 1), (9, 9))
MAX_JITTER = 1
#: Colour = the object's RGB value, i.e. colour is carried by the three channels (the same
#: palette as the 8x8 images of :mod:`mtl_theory.numerics.wta`).
COLOURS = nwta._COLOURS
#: Largest number of values per factor (shape, colour, position).
MAX_VALUES = (4, 4, 4)


def shape_stencils(side: int = OBJECT_SIDE) -> np.ndarray:
    """Four binary ``side`` x ``side`` stencils: filled square, ring, plus, diagonal cross.

    No stencil is a translate of another (they differ in pixel count or in pattern), so the
    shape is not readable from the position-jittered image by a fixed pixel mask.
    """
    i, j = np.mgrid[0:side, 0:side]
    c = (side - 1) / 2
    square = np.ones((side, side))
    ring = ((i == 0) | (i == side - 1) | (j == 0) | (j == side - 1)).astype(float)
    plus = ((np.abs(i - c) < 1) | (np.abs(j - c) < 1)).astype(float)
    cross = ((i == j) | (i + j == side - 1)).astype(float)
    return np.stack([square, ring, plus, cross])


def render_objects(
    points: np.ndarray, noise: float, jitter: int, rng: np.random.Generator
) -> np.ndarray:
    """Procedural RGB images of one object, flattened to (N, 16*16*3).

    Factor 0 = shape (:func:`shape_stencils`), factor 1 = colour (RGB value of the object, in
    the channels), factor 2 = quadrant position, shifted by an integer jitter drawn uniformly in
    [-jitter, jitter] along each axis; then i.i.d. Gaussian pixel noise of standard deviation
    ``noise``. Draw order from ``rng``: all jitters, then all noise.
    """
    points = np.asarray(points, dtype=int)
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(f"points: expected shape (N, 3), got {points.shape}")
    if not 0 <= jitter <= MAX_JITTER:
        raise ValueError(f"jitter: expected an integer in [0, {MAX_JITTER}], got {jitter}")
    n = len(points)
    stencils = shape_stencils()
    shifts = rng.integers(-jitter, jitter + 1, size=(n, 2))
    img = np.zeros((n, IMAGE_SIDE, IMAGE_SIDE, 3))
    for i, (z, d) in enumerate(zip(points, shifts, strict=True)):
        r, c = POSITIONS[z[2]][0] + d[0], POSITIONS[z[2]][1] + d[1]
        img[i, r : r + OBJECT_SIDE, c : c + OBJECT_SIDE, :] = (
            stencils[z[0]][..., None] * COLOURS[z[1]]
        )
    img += noise * rng.standard_normal(img.shape)
    return img.reshape(n, -1)


# --------------------------------------------------------------------------- split


def latin_square_holdout(factors: tuple[int, ...]) -> tuple[int, ...]:
    """Grid indices of the combinations with z_K = (z_1 + ... + z_{K-1}) mod n_K (held out).

    One combination in n_K is held out (for factors (4, 4, 4): 16 of 64). For every choice of
    the first K - 1 factors exactly one value of the last is missing, so with n_K >= 2 every
    value of every factor still occurs in training; :func:`split_coverage` checks it.
    """
    if len(factors) < 2:
        raise ValueError(f"factors: a compositional split needs >= 2 factors, got {factors}")
    z = grid_points(tuple(factors))
    held = z[:, -1] == z[:, :-1].sum(axis=1) % factors[-1]
    return tuple(int(i) for i in np.flatnonzero(held))


@dataclass(frozen=True)
class SplitCoverage:
    """What the training combinations of a split cover (grid row-major, last factor fastest)."""

    every_value_seen: bool
    every_pair_seen: bool
    n_train: int
    n_heldout: int


def split_coverage(factors: tuple[int, ...], holdout: tuple[int, ...]) -> SplitCoverage:
    """Whether every factor value, and every pair of values of two factors, occurs in training."""
    z = grid_points(tuple(factors))
    train = np.ones(len(z), dtype=bool)
    train[list(holdout)] = False
    zt = z[train]
    values = all(set(zt[:, k]) == set(range(n)) for k, n in enumerate(factors))
    pairs = all(
        {(int(a), int(b)) for a, b in zt[:, [k, l]]} == {(a, b) for a in range(n) for b in range(m)}
        for k, n in enumerate(factors)
        for l, m in enumerate(factors)
        if k < l
    )
    return SplitCoverage(values, pairs, int(train.sum()), len(holdout))


# --------------------------------------------------------------------------- experiment

#: Arm name -> training kind of :func:`mtl_theory.numerics.wta.fit_network`.
ARMS = {"wta": "straight-through", "relu": "relu", "linear": "linear"}


@dataclass(frozen=True)
class GeneralizationConfig:
    """Data and training of one seed of the three-arm comparison.

    ``train``: the WTA training procedure of :mod:`mtl_theory.numerics.wta` (its defaults, with
    fewer epochs so that a seed of three arms takes a few CPU-seconds); one run per arm and seed
    (no restarts: every arm gets exactly one try from the same initial weights).
    """

    factors: tuple[int, ...] = MAX_VALUES
    # 12 images per training combination and noise 0.05 (measured, seed 0, 9 tasks, modules
    # (4,4,4)): with 8 images at noise 0.1 every arm fitted the training images (loss < 0.01)
    # but reached only ~0.6 accuracy on fresh images of the training combinations
    samples_per_point: int = 12
    test_per_point: int = 8
    noise: float = 0.05
    jitter: int = 1
    # 1500 epochs (numerics/wta.py's full setting): at 500-1000 the hard WTA code had not fit
    # the training combinations (standardised loss 0.36-0.58, seeds 0-1), at 1500 it had (0.05)
    train: nwta.TrainConfig = field(default_factory=lambda: nwta.TrainConfig(epochs=1500))


def _stream(seed: int, purpose: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, purpose])))


def seed_experiment(
    modules: tuple[int, ...], n_tasks: int, seed: int, config: GeneralizationConfig
) -> dict[str, object]:
    """Train the three arms on one seed's data; held-out and training accuracy per arm.

    Paired by seed: the task tables (``make_targets`` seed), the training and test images and
    the initial weights (one stream re-created for each arm; the parameter shapes are the same
    because the widths are) are the same in every arm. The WTA arm also reports whether its
    hard code, read on test images of the full grid (majority winner per combination), is
    symbolic and complete (:func:`mtl_theory.numerics.metrics.symbolic_verdict`).
    """
    from mtl_theory.numerics.metrics import onehot_code, symbolic_verdict

    factors = tuple(config.factors)
    targets = make_targets(factors, "random-additive", n_tasks=n_tasks, seed=seed)
    setup = WTASetup(factors, tuple(modules), targets, holdout=latin_square_holdout(factors))
    support = setup.support
    table = setup.target_array.T
    points = np.repeat(setup.grid[support], config.samples_per_point, axis=0)
    y_train = np.repeat(table[support], config.samples_per_point, axis=0)
    x_train = render_objects(points, config.noise, config.jitter, _stream(seed, 0))
    test_index = np.repeat(np.arange(setup.n_points), config.test_per_point)
    x_test = render_objects(setup.grid[test_index], config.noise, config.jitter, _stream(seed, 1))
    y_test = table[test_index]
    held = np.isin(test_index, np.asarray(setup.holdout, dtype=int))
    out: dict[str, object] = {}
    for arm, kind in ARMS.items():
        with single_blas_thread():
            params, loss = nwta.fit_network(
                x_train, y_train, setup.modules, kind, _stream(seed, 2), config.train
            )
        f = nwta.forward(params, x_test, setup.modules, "hard" if arm == "wta" else kind, 1.0)
        res: dict[str, object] = {
            "train_loss": loss,
            "heldout_accuracy": nwta.nearest_point_accuracy(f["yhat"][held], y_test[held], table),
            "train_accuracy": nwta.nearest_point_accuracy(f["yhat"][~held], y_test[~held], table),
            "heldout_mse": float(np.mean((f["yhat"][held] - y_test[held]) ** 2)),
        }
        if arm == "wta":
            winners = nwta.majority_code(f["u"], test_index, setup.n_points, setup.modules)
            verdict = symbolic_verdict(onehot_code(winners, setup.modules), setup.grid)
            res["symbolic"] = bool(verdict.symbolic)
            res["complete"] = bool(verdict.complete)
        out[arm] = res
    return out


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class Interval:
    """Mean of n values and its two-sided Student t confidence interval."""

    n: int
    mean: float
    low: float
    high: float


def t_interval(values: object, level: float = 0.95) -> Interval:
    """Student t confidence interval for the mean: mean -/+ t_{(1+level)/2, n-1} s / sqrt(n).

    Assumes independent, roughly normal values (here: one per seed); n = 1 gives an infinite
    interval, zero spread a degenerate one.
    """
    from scipy import stats  # here, not at import: scipy.stats costs ~0.35 s CPU to load

    v = np.asarray(values, dtype=float)
    n = v.size
    if n == 0:
        raise ValueError("values: expected at least one value, got none")
    mean = float(v.mean())
    if n == 1:
        return Interval(1, mean, -math.inf, math.inf)
    half = float(stats.t.ppf((1 + level) / 2, n - 1) * v.std(ddof=1) / math.sqrt(n))
    return Interval(n, mean, mean - half, mean + half)


def min_detectable_difference(
    sd: float, n: int, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest true mean difference a two-sided paired t-test detects with the given power.

    Solves P(|T| > t_{1-alpha/2, n-1}) = power for the non-centrality delta sqrt(n) / sd of
    the non-central t distribution with n - 1 degrees of freedom (exact, not the normal
    approximation (z_{1-alpha/2} + z_power) sd / sqrt(n), which is smaller for small n).
    Returns 0 for sd = 0 (any difference is detected) and inf for n < 2.
    """
    from scipy import stats  # here, not at import: scipy.stats costs ~0.35 s CPU to load

    if n < 2:
        return math.inf
    if sd == 0:
        return 0.0
    df = n - 1
    crit = stats.t.ppf(1 - alpha / 2, df)

    def excess(nc: float) -> float:
        # the lower rejection tail; scipy's nct.cdf returns nan once it is below ~1e-30
        lower = float(np.nan_to_num(stats.nct.cdf(-crit, df, nc), nan=0.0))
        return float(stats.nct.sf(crit, df, nc)) + lower - power

    # the normal-approximation non-centrality z_{1-alpha/2} + z_power lies below the root (the
    # t tail is heavier); widen the upper end until the power is reached
    hi = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    while excess(hi) < 0:
        hi *= 2
    nc = optimize.brentq(excess, 0.0, hi, xtol=1e-10)
    return float(nc * sd / math.sqrt(n))


@dataclass(frozen=True)
class PairedComparison:
    """Paired comparison of arm a against arm b over seeds (difference d = a - b).

    ``t_p``: two-sided paired t-test; ``wilcoxon_p``: two-sided Wilcoxon signed-rank test
    (zero differences dropped, scipy's default; None when every difference is zero);
    ``d_z``: mean(d) / sd(d) (None when sd(d) = 0); ``min_detectable``: the smallest true mean
    difference the paired t-test detects at ``alpha`` with 80% power given sd(d).
    """

    n: int
    mean_diff: float
    ci: Interval
    sd_diff: float
    t_p: float | None
    wilcoxon_p: float | None
    d_z: float | None
    min_detectable: float


def paired_comparison(a: object, b: object, *, alpha: float = 0.05) -> PairedComparison:
    """Paired t, Wilcoxon signed-rank, effect size and detectable difference of a - b."""
    from scipy import stats  # here, not at import: scipy.stats costs ~0.35 s CPU to load

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a, b: expected two 1-D arrays of one length, got {a.shape}, {b.shape}")
    d = a - b
    n = d.size
    sd = float(d.std(ddof=1)) if n > 1 else math.nan
    t_p = None
    wil_p = None
    if n > 1 and sd > 0:
        t_p = float(stats.ttest_rel(a, b).pvalue)
    if np.any(d != 0):
        wil_p = float(stats.wilcoxon(a, b).pvalue)
    return PairedComparison(
        n=n,
        mean_diff=float(d.mean()),
        ci=t_interval(d, 1 - alpha),
        sd_diff=sd,
        t_p=t_p,
        wilcoxon_p=wil_p,
        d_z=float(d.mean() / sd) if n > 1 and sd > 0 else None,
        min_detectable=min_detectable_difference(sd, n, alpha=alpha) if n > 1 else math.inf,
    )
