"""Exhaustive WTA code search: batched normal equations vs a naive per-code lstsq loop.

Prints one line: codes/s of both routes measured side by side in this script and their ratio.
The naive loop is timed on a subsample of the (3,3)/(3,3) codes (the first N in enumeration
order) and extrapolated linearly to all 10,764,961 codes (every code costs the same lstsq).
"""

from __future__ import annotations

import time

import numpy as np
from mtl_theory.numerics import wta as nw
from mtl_theory.theory import wta as tw

NAIVE_SAMPLE = 20_000


def main() -> None:
    factors = modules = (3, 3)
    setup = tw.WTASetup(factors, modules, tw.make_targets(factors, "factor-onehot"))
    t0 = time.perf_counter()
    result = nw.exhaustive_search(setup)
    fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    naive_losses = nw.naive_search_losses(setup, limit=NAIVE_SAMPLE)
    naive_sample = time.perf_counter() - t0
    naive_total = naive_sample * result.n_codes / NAIVE_SAMPLE
    # same codes, same losses: the first NAIVE_SAMPLE losses of the batched route
    batched = np.concatenate([b.ravel() for _, _, b, _ in nw.code_losses(setup)])[:NAIVE_SAMPLE]
    err = float(np.max(np.abs(batched - naive_losses)))
    print(
        f"wta exhaustive (3,3)/(3,3), {result.n_codes} codes: batched {fast:.2f} s "
        f"({result.n_codes / fast:.3g} codes/s), naive lstsq loop {NAIVE_SAMPLE} codes in "
        f"{naive_sample:.2f} s -> extrapolated {naive_total:.0f} s; "
        f"ratio {naive_total / fast:.0f}x; "
        f"max |loss difference| on the sample {err:.1e}"
    )


if __name__ == "__main__":
    main()
