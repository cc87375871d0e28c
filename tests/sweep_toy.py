"""A toy phase-diagram computation for the sweep-engine tests (importable by worker processes)."""

import time

import numpy as np


def toy_point(params, seed):
    """Deterministic in (params, seed); a little CPU work so points finish out of order."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((40, 40))
    for _ in range(int(params.get("work", 1))):
        a = np.tanh(a @ a.T / 40.0)
    return {
        "value": float(params["x"] * 10 + params["y"] + a[0, 0]),
        "draw": float(rng.standard_normal()),
        "vector": [float(v) for v in a[0, :3]],
    }


def slow_point(params, seed):
    time.sleep(float(params.get("sleep", 0.05)))
    return toy_point(params, seed)


def blas_env_point(params, seed):
    """Reports the BLAS thread settings the point ran under."""
    import os

    return {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}


def dtype_point(params, seed, dtype="float64"):
    """A toy point computed in ``dtype`` (the ``phase --dtype`` tests): 1/3 in that precision."""
    third = np.asarray(1.0, dtype=dtype) / np.asarray(3.0 + params["x"], dtype=dtype)
    return {"value": float(third), "arithmetic": str(third.dtype), "draw": int(seed % 1000)}
