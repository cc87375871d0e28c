"""Exhaustive WTA code search on (3,3) factors / (3,3) modules, measured side by side.

Prints, for the 10,764,961 codes of factor-onehot (3,3)/(3,3):

1. the fused kernel (:func:`numerics.wta.exhaustive_search`): CPU seconds, codes/s, its
   FLOP count and the fraction of this machine's measured float64 matmul peak (a 2000 x 2000
   GEMM timed in this script) it runs at; target <= 0.5 s CPU;
2. the batched normal equations it replaced (``_exhaustive_search_reference``), same codes:
   CPU seconds, codes/s, and the ratio old / new; both must report the same counts and
   argmin (checked here too);
3. a naive per-code lstsq loop timed on the first NAIVE_SAMPLE codes and extrapolated
   linearly (every code costs the same lstsq), with its ratio.

CPU time (time.process_time), not wall time: the reference machine is shared. One BLAS
thread (numerics.blas.single_blas_thread).

FLOP count of the fused kernel: one GEMM per tile with K = P(P+1)/2 = 45 and 2 x 3 outputs
per evaluated pair (2 K FLOPs each), plus about 40 elementwise FLOPs per pair for the 2 x 2
solve; equal modules evaluate the n(n+1)/2 unordered pairs (the lower triangle of each
diagonal tile is computed and discarded: counted as work done).
"""

from __future__ import annotations

from mtl_theory.numerics import wta as nw
from mtl_theory.numerics.blas import single_blas_thread
from mtl_theory.theory import wta as tw
from timing import cpu_seconds as _cpu
from timing import matmul_peak

NAIVE_SAMPLE = 5_000
ELEMENTWISE_FLOPS_PER_PAIR = 40


def fused_flops(setup: tw.WTASetup) -> float:
    """FLOPs the fused kernel performs on ``setup`` (two modules)."""
    n_points = len(setup.support)
    k = n_points * (n_points + 1) // 2
    m1, m2 = setup.modules
    d = m2 - 1
    entries = d * (d + 1) // 2
    n1, n2 = len(nw.set_partitions(n_points, m1)), len(nw.set_partitions(n_points, m2))
    tile = nw.FUSED_TILE
    if m1 == m2:
        blocks = -(-n1 // tile)
        # tiles on or above the diagonal, each tile full size (edge tiles are smaller)
        pairs = sum(
            min(tile, n1 - i * tile) * min(tile, n2 - j * tile)
            for i in range(blocks)
            for j in range(i, blocks)
        )
    else:
        pairs = n1 * n2
    return pairs * (2 * 2 * entries * k + ELEMENTWISE_FLOPS_PER_PAIR)


def _summary(r: nw.ExhaustiveResult):
    return (
        r.zero_loss_codes,
        r.symbolic_zero_loss_codes,
        r.complete_symbolic_zero_loss_codes,
        r.dead_unit_zero_loss_codes,
        r.argmin_code,
        r.counterexample,
        r.zero_loss_sample,
    )


def main() -> None:
    factors = modules = (3, 3)
    setup = tw.WTASetup(factors, modules, tw.make_targets(factors, "factor-onehot"))
    with single_blas_thread():
        peak = matmul_peak()
        nw.exhaustive_search(setup)  # warm-up (imports, caches)
        fused, t_new = min(
            (_cpu(lambda: nw.exhaustive_search(setup)) for _ in range(3)), key=lambda x: x[1]
        )
        ref, t_old = _cpu(lambda: nw._exhaustive_search_reference(setup))
        _, t_naive = _cpu(lambda: nw.naive_search_losses(setup, limit=NAIVE_SAMPLE))
    n = fused.n_codes
    flops = fused_flops(setup)
    t_naive_total = t_naive * n / NAIVE_SAMPLE
    same = _summary(fused) == _summary(ref)
    print(f"matmul peak (2000^3 GEMM, 1 thread): {peak / 1e9:.1f} GFLOP/s")
    print(
        f"wta exhaustive (3,3)/(3,3), {n} codes: fused {t_new:.3f} s CPU "
        f"({n / t_new:.3g} codes/s; {flops / 1e9:.2f} GFLOP -> {flops / t_new / 1e9:.1f} GFLOP/s "
        f"= {flops / t_new / peak:.0%} of peak; FLOP floor at peak {flops / peak:.3f} s)"
    )
    print(
        f"  reference (batched normal equations) {t_old:.2f} s CPU ({n / t_old:.3g} codes/s): "
        f"ratio {t_old / t_new:.1f}x; identical counts and argmin: {same}"
    )
    print(
        f"  naive lstsq loop: {NAIVE_SAMPLE} codes in {t_naive:.2f} s -> extrapolated "
        f"{t_naive_total:.0f} s CPU: ratio {t_naive_total / t_new:.0f}x"
    )


if __name__ == "__main__":
    main()
