"""Streaming EVIDENCE trials (issue 14 item 2): bounded memory, the same numbers."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from mtl_theory.numerics import evidence as ne

from mtl_theory.cost import evidence_cost
from mtl_theory.families.evidence import SCHEMA, build

NOISE = {
    "isotropic": {},
    "anisotropic": {"scales": np.array([0.5, 2.0, 1.0])},
    "autocorrelated": {"rho_time": 0.6},
    "correlated": {"rho_coord": 0.3},
}


def unchunked_reference(D, sigma, t, n, rng, *, scales=None, rho_time=0.0, rho_coord=0.0):
    """The simulator as it was before streaming (one draw of shape (n, t, D))."""
    x = rng.uniform(-0.5, 0.5, size=(n, D))
    noise = rng.standard_normal((n, t, D))
    if rho_time != 0.0:
        for k in range(1, t):
            noise[:, k] = rho_time * noise[:, k - 1] + math.sqrt(1 - rho_time**2) * noise[:, k]
    if rho_coord != 0.0:
        R = (1.0 - rho_coord) * np.eye(D) + rho_coord * np.ones((D, D))
        noise = noise @ np.linalg.cholesky(R).T
    if scales is not None:
        noise = noise * scales
    return x, x[:, None, :] + sigma * noise


@pytest.mark.parametrize("kind", NOISE)
@pytest.mark.parametrize("chunk_draws", [1, 7 * 3 * 2 + 5, None])
def test_chunked_summary_is_bit_for_bit_the_unchunked_simulation(kind, chunk_draws):
    D, sigma, t, n, keep = 3, 0.7, 7, 23, 5
    x, samples = unchunked_reference(D, sigma, t, n, ne.rng_from(3), **NOISE[kind])
    full = ne.simulate_trials(D, sigma, t, n, ne.rng_from(3), **NOISE[kind])
    assert np.array_equal(full.x_star, x) and np.array_equal(full.samples, samples)
    summary = ne.summarize_trials(
        D, sigma, t, n, ne.rng_from(3), keep=keep, chunk_draws=chunk_draws, **NOISE[kind]
    )
    rho = NOISE[kind].get("rho_time", 0.0)
    assert np.array_equal(summary.x_star, x)
    assert np.array_equal(summary.mean, samples.mean(axis=1))
    assert np.array_equal(summary.integrator, samples.sum(axis=1))
    assert np.array_equal(summary.estimate, ne.optimal_estimate(samples, rho))
    assert np.array_equal(summary.first(keep), samples[:keep])
    with pytest.raises(ValueError):
        summary.first(keep + 1)


def test_chunks_cover_every_trial_once():
    chunks = list(ne.iter_trial_chunks(2, 1.0, 5, 11, ne.rng_from(0), chunk_draws=30))
    assert [c.samples.shape[0] for c in chunks] == [3, 3, 3, 2]
    (empty,) = ne.iter_trial_chunks(2, 1.0, 5, 0, ne.rng_from(0))
    assert empty.samples.shape == (0, 5, 2)


def test_memory_does_not_grow_with_trials_times_t():
    D, t, n, chunk = 2, 500, 4000, 1 << 14
    tracemalloc.start()
    try:
        ne.summarize_trials(D, 1.0, t, n, ne.rng_from(1), keep=10, chunk_draws=chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    all_samples = 8 * n * t * D  # 32 MB
    # chunk arrays (noise, sigma·noise, samples, temporaries) + kept trials + the four
    # per-trial (n, D) arrays twice (chunk pieces, then concatenated)
    bound = 8 * (4 * chunk + 10 * t * D + 10 * n * D)
    assert peak < bound < all_samples / 10


def test_cost_estimate_follows_the_streaming():
    base = {k: f.default for k, f in SCHEMA.fields.items()}
    spec = base | {"D": 2, "n_tasks": 3, "n_trials": 1_000_000, "t": 100_000}
    setup = build(spec)
    cost = evidence_cost(setup)
    D = len(setup.normals[0])
    # not n × t × D (1.6 TB); one chunk + the power re-run's 4000 full trials + (n, D) arrays
    assert cost.memory_bytes < 8 * 1_000_000 * 100_000 * D / 50
    assert cost.memory_bytes >= 3 * 8 * 4000 * 100_000 * D
