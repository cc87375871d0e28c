"""Calibration of the cost estimates (mtl_theory/cost.py): estimate vs measured CPU seconds.

Run: ``OPENBLAS_NUM_THREADS=1 nice -n 10 python benchmarks/bench_cost.py [--quick]``.

1. **Calibration**: a few timed points give each effective constant (flop/s of one core of
   each network's training and forward pass, seconds per decoder step, the GDLN gradient-
   descent rate, the routing flow's gradient evaluations per epoch; the WTA MILP's build
   constants are measured by ``benchmarks/bench_wta_milp.py --cost``). Printed as the values
   to put in mtl_theory/cost.py.
2. **Validation**: other points (other t, N_task, batches, widths), each timed and compared
   with the estimate made *with the constants in cost.py*: the ratio measured/estimated.

Times are CPU seconds of this process plus its reaped children (``resource.getrusage``),
one BLAS thread, so a busy machine inflates them less than wall time; the load is printed.
No test asserts any of this (tests check the formulas' scaling, not the machine).

``--gd-epochs`` instead measures the per-epoch interpreter overhead of the small GDLN
gradient-descent loops (``numerics.gdln.chain_gd``, ``gated_gd``: at hidden width 8 an epoch
is ~20 µs of Python and numpy calls, ~100x its multiply-adds at GDLN_GD_RATE) and fits
seconds per epoch = a + b x weight matrices for each, printed as the constants of cost.py;
then times whole ``check --verify`` runs at 20000 epochs against the estimate.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import sys
import time

import numpy as np
from mtl_theory.numerics import evidence as ne
from mtl_theory.numerics import evidence_arch as na
from mtl_theory.numerics import evidence_protocol as npr
from mtl_theory.theory import evidence as te
from threadpoolctl import threadpool_limits

from mtl_theory import cost as mc


def cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn):
    t0 = cpu_now()
    out = fn()
    return out, cpu_now() - t0


def train(network: str, n: int, t: int, batches: int):
    return na.train_network(network, te.even_normals(n), np.zeros(n), 0.2, t, batches, 1)


def _time_network(network: str, t: int, batches: int) -> tuple[float, float]:
    """(CPU seconds of training, of the forward pass of 2000 trials) at N_task = 6."""
    (_, states), s_train = timed(lambda: train(network, 6, t, batches))
    samples = ne.simulate_trials(2, 0.2, t, 2000, ne.rng_from(3)).samples
    return s_train, timed(lambda: states(samples))[1]


def calibrate_networks(batches: int) -> dict[str, tuple[float, float]]:
    """(training rate, forward rate) per network at N_task = 6, t = 20; for the transformer
    also at t = 60, fitting the attention-element seconds with its rates (2 x 2 system)."""
    rates = {}
    for network in na.TRAINED_NETWORKS:
        s_train, s_fwd = _time_network(network, 20, batches)
        fl_train = mc.network_training_cost(network, 2, 6, 20, batches).flops
        fl_fwd = mc.network_forward_cost(network, 2, 6, 20, 2000).flops
        rates[network] = (fl_train / s_train, fl_fwd / s_fwd)
        print(
            f"  {network:13s} train {batches} batches {s_train:6.2f} s -> "
            f"{fl_train / s_train:.3g} flop/s; forward 2000 trials {s_fwd:5.2f} s -> "
            f"{fl_fwd / s_fwd:.3g} flop/s",
            flush=True,
        )
    net = "transformer"
    s60_train, s60_fwd = _time_network(net, 60, batches)
    s20_train, s20_fwd = (
        mc.network_training_cost(net, 2, 6, 20, batches).flops / rates[net][0],
        mc.network_forward_cost(net, 2, 6, 20, 2000).flops / rates[net][1],
    )
    fits = []
    for s20, s60, train_, n_trials in (
        (s20_train, s60_train, True, batches * 16),
        (s20_fwd, s60_fwd, False, 2000),
    ):
        F = [mc.network_trial_flops(net, 2, 6, t, train_) * n_trials for t in (20, 60)]
        E = [(3 if train_ else 1) * mc.attention_elements(net, t) * n_trials for t in (20, 60)]
        inv_rate, e = np.linalg.solve(np.array([[F[0], E[0]], [F[1], E[1]]]), [s20, s60])
        fits.append((1 / inv_rate, max(e, 0.0)))
        print(
            f"  transformer t = 20/60 {'train' if train_ else 'forward'}: {s20:.2f}/{s60:.2f} s -> "
            f"{1 / inv_rate:.3g} flop/s + {e:.3g} s per attention element",
            flush=True,
        )
    rates[net] = (fits[0][0], fits[1][0])
    rates["attention"] = (fits[0][1], fits[1][1])  # (train, forward) seconds per element
    return rates


def calibrate_decoder(steps: int) -> float:
    rng = np.random.default_rng(0)
    feats, x = rng.standard_normal((steps * 16, 64)), rng.uniform(-0.5, 0.5, (steps * 16, 2))
    test = rng.standard_normal((640, 64))
    _, s = timed(
        lambda: npr.fit_adam_decoder(feats, x, (test, test), rng, batch=16, path_features=test)
    )
    print(f"  decoder: {steps} Adam steps {s:.3f} s -> {s / steps:.3g} s per step", flush=True)
    return s / steps


def check_seconds(spec: dict) -> float:
    from mtl_theory import api

    return timed(lambda: api.check(spec, verify=True))[1]


def _setup(spec: dict):
    from mtl_theory.api import load_spec

    return load_spec(spec).setup


def validate(rows: list[tuple[str, dict, object]]) -> list[float]:
    """Time each spec's check --verify; print estimate, measured and their ratio."""
    from mtl_theory.api import load_spec

    ratios = []
    for label, spec, estimate in rows:
        setup = load_spec(spec).setup
        est = estimate(setup)
        measured = check_seconds(spec)
        ratios.append(measured / est.seconds)
        print(
            f"  {label:52s} estimate {est.seconds:8.2f} s  measured {measured:8.2f} s  "
            f"ratio {measured / est.seconds:5.2f}",
            flush=True,
        )
    return ratios


def diagram_points(names: list[str], which: str) -> list[float]:
    """Time diagram points (the cheapest and/or the costliest by the estimate) in this
    process: the diagram's declared cost against its measured CPU seconds."""
    from mtl_theory.numerics.sweep import point_seed

    from mtl_theory.api import registry

    diagrams = registry().diagrams()
    ratios = []
    for name in names:
        d = diagrams[name]
        points = sorted(d.points(), key=lambda p: d.cost(p).seconds)
        chosen = {"cheapest": points[:1], "costliest": points[-1:], "both": [points[0], points[-1]]}
        for params in chosen[which]:
            est = d.cost(params)
            seed = point_seed(name, params)
            measured = timed(lambda f=d.compute, p=params, s=seed: f(p, s))[1]
            ratios.append(measured / est.seconds)
            print(
                f"  {name:24s} {dict(params)!s:44s} estimate {est.seconds:8.2f} s  "
                f"measured {measured:8.2f} s  ratio {measured / est.seconds:5.2f}",
                flush=True,
            )
    return ratios


def _epoch_seconds(run, epochs: int, repeats: int = 3) -> float:
    """Best CPU seconds per epoch of ``run(epochs)`` over ``repeats`` runs."""
    return min(timed(lambda: run(epochs))[1] for _ in range(repeats)) / epochs


def _fit_line(xs: list[int], ys: list[float]) -> tuple[float, float]:
    slope, intercept = np.polyfit(np.asarray(xs, float), np.asarray(ys, float), 1)
    return float(intercept), float(slope)


def calibrate_gd_epochs(epochs: int) -> None:
    """Per-epoch seconds of chain_gd (1-4 weight matrices) and gated_gd (1-3 paths, 2 edges
    each) at width 8, less their multiply-adds at GDLN_GD_RATE; fitted a + b x matrices."""
    from mtl_theory.numerics import gdln as ng
    from mtl_theory.proofs import gdln as pg
    from mtl_theory.theory import gdln as tg

    rng = np.random.default_rng(0)
    xs, ys = [], []
    for hidden in ([], [8], [8, 8], [8, 8, 8]):
        widths = [8, *hidden, 16]
        Ws = [rng.standard_normal((b, a)) * 1e-2 for a, b in itertools.pairwise(widths)]
        X, Y = np.eye(8), rng.standard_normal((16, 8))
        per = _epoch_seconds(
            lambda e, W=Ws, X=X, Y=Y: ng.chain_gd(W, X, Y, 1e-3, e, [0, e]), epochs
        )
        flops = 6 * 8 * sum(a * b for a, b in itertools.pairwise(widths))
        xs.append(len(Ws))
        ys.append(per - flops / mc.GDLN_GD_RATE)
        print(f"  chain_gd widths {widths}: {per * 1e6:.1f} µs per epoch", flush=True)
    a, b = _fit_line(xs, ys)
    print(f"  CHAIN_EPOCH_SECONDS = {a:.3g}\n  CHAIN_MATRIX_SECONDS = {b:.3g}", flush=True)
    xs, ys = [], []
    for gates in (((1, 1),), ((1, 1), (1, 0)), ((1, 1), (1, 0), (0, 1))):
        setup = tg.GatedSetup(race_gates=gates, condition_scales=(1.0, 1.0))
        graph, W0, X, Y, ngates, egates, _, _ = pg._race_network(setup.race(), 0)
        P = next(iter(X.values())).shape[1]
        per = _epoch_seconds(
            lambda e, g=graph, W=W0, X=X, Y=Y, n=ngates, m=egates: ng.gated_gd(
                g, W, X, Y, n, m, 1e-3, e, [0, e]
            ),
            epochs,
        )
        macs = sum(w.size for w in W0)
        xs.append(len(W0))
        ys.append(per - 6 * P * macs / mc.GDLN_GD_RATE)
        print(f"  gated_gd {len(gates)} paths: {per * 1e6:.1f} µs per epoch", flush=True)
    a, b = _fit_line(xs, ys)
    print(f"  GATED_EPOCH_SECONDS = {a:.3g}\n  GATED_MATRIX_SECONDS = {b:.3g}", flush=True)


def validate_gd_epochs() -> list[float]:
    """Whole checks of the small GD models at 20000 epochs: estimate vs CPU seconds."""
    base = dict(theory="gdln", epochs=20000)
    rows = [
        ("gdln linear hidden 8, 20000 epochs", base | dict(model="linear", a0=1e-3)),
        ("gdln deep-linear 8-8, 20000 epochs", base | dict(model="deep-linear", hidden=[8, 8])),
        ("gdln gated 2 paths, 20000 epochs", base | dict(model="gated", a0=1e-3)),
    ]
    return validate([(label, spec, mc.gdln_cost) for label, spec in rows])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and smaller points")
    parser.add_argument(
        "--diagrams", nargs="*", metavar="NAME", help="time these diagrams' points instead"
    )
    parser.add_argument("--calibrate-only", action="store_true", help="skip the validation")
    parser.add_argument("--validate-only", action="store_true", help="skip the calibration")
    parser.add_argument("--which", choices=("cheapest", "costliest", "both"), default="both")
    parser.add_argument(
        "--gd-epochs", action="store_true", help="the small GD loops' per-epoch overhead"
    )
    args = parser.parse_args()
    print(f"load: {os.getloadavg()}  python {sys.version.split()[0]}", flush=True)
    start = time.monotonic()
    if args.gd_epochs:
        with threadpool_limits(1):
            if not args.validate_only:
                calibrate_gd_epochs(2000 if args.quick else 10000)
            if not args.calibrate_only:
                ratios = validate_gd_epochs()
                print(
                    f"measured/estimated: {[round(r, 2) for r in ratios]}; load {os.getloadavg()}"
                )
        return 0
    if args.diagrams:
        with threadpool_limits(1):
            ratios = diagram_points(args.diagrams, args.which)
        print(
            f"measured/estimated over {len(ratios)} points: min {min(ratios):.2f}, "
            f"median {float(np.median(ratios)):.2f}, max {max(ratios):.2f}; load at the end "
            f"{os.getloadavg()}; {time.monotonic() - start:.0f} s wall"
        )
        return 0
    with threadpool_limits(1):
        ctx = dict(theory="gdln", model="context", contexts=3, structures="different")
        if not args.validate_only:
            print("calibration (N_task = 6, t = 20):")
            batches = 60 if args.quick else 200
            rates = calibrate_networks(batches)
            step = calibrate_decoder(1000 if args.quick else 3000)
            print("constants for mtl_theory/cost.py:")
            attention = rates.pop("attention")
            print(
                "  NETWORK_TRAIN_RATE = {"
                + ", ".join(f'"{k}": {v[0]:.3g}' for k, v in rates.items())
                + "}"
            )
            print(
                "  NETWORK_FORWARD_RATE = {"
                + ", ".join(f'"{k}": {v[1]:.3g}' for k, v in rates.items())
                + "}"
            )
            print(
                f'  ATTENTION_ELEMENT_SECONDS = {{"train": {attention[0]:.3g}, '
                f'"forward": {attention[1]:.3g}}}'
            )
            print(f"  DECODER_STEP_SECONDS = {step:.3g}")
            for kind, network in (("other", "rnn-nonleaky"), ("rnn", "rnn")):
                spec = dict(
                    theory="evidence",
                    D=2,
                    n_tasks=6,
                    network=network,
                    rnn_batches=100,
                    rnn_networks=1,
                    decoder_fits=1,
                    decoder_batches=100,
                )
                modelled = (
                    mc.evidence_route_cost(_setup(spec)).seconds - mc.CHECK_FIXED_SECONDS[kind]
                )
                fixed = check_seconds(spec) - modelled
                print(
                    f"  CHECK_FIXED_SECONDS[{kind!r}] = {fixed:.3g}  ({network}, 100 batches, "
                    "with the constants in cost.py)",
                    flush=True,
                )
            cal_ctx = ctx | dict(hidden=[700], epochs=1000)
            rate = mc.gdln_cost(_setup(cal_ctx)).flops / check_seconds(cal_ctx)
            print(f"  GDLN_GD_RATE = {rate:.3g}  (context C=3, hidden 700, 1000 epochs)")
            cal_route = dict(theory="gdln", model="routing", lr=2e-3, a0=0.1, epochs=3000)
            est = mc.gdln_cost(_setup(cal_route))
            # est.flops is proportional to ROUTING_RHS_PER_EPOCH; seconds at the rate just found
            rhs = mc.ROUTING_RHS_PER_EPOCH * check_seconds(cal_route) * rate / est.flops
            print(
                f"  ROUTING_RHS_PER_EPOCH = {rhs:.3g}  (routing M=3, 3000 epochs, with this rate)"
            )

        if args.calibrate_only:
            return 0
        print("validation (other points; constants as in cost.py):")
        net = dict(theory="evidence", D=2, rnn_networks=1, decoder_fits=1, decoder_batches=300)
        rows = []
        for network, n, t, b in (
            ("rnn", 24, 20, 400),
            ("rnn", 6, 60, 200),
            ("rnn-nonleaky", 3, 10, 400),
            ("lstm", 24, 40, 150),
            ("transformer", 12, 60, 100),
            ("transformer", 2, 10, 300),
        )[: 3 if args.quick else None]:
            spec = dict(net, n_tasks=n, t=t, network=network, rnn_batches=b)
            rows.append(
                (f"evidence {network} N={n} t={t} batches={b}", spec, mc.evidence_route_cost)
            )
        gd = [
            ("gdln context C=3 hidden 200 epochs 3000", dict(hidden=[200], epochs=3000)),
            (
                "gdln context C=4 same hidden 500 epochs 2000",
                dict(contexts=4, structures="same", hidden=[500], epochs=2000),
            ),
        ]
        # Eq. 7's power-sized sample dominates at small sigma (issue 14: sigma = 1e-3 ran
        # 40 s against an estimate of 2 s before it was counted)
        for label, extra in (
            ("evidence Monte Carlo sigma 1e-3 t 3 (Eq. 7 sample)", dict(sigma=1e-3, t=3)),
            ("evidence filter sigma 1e-3 t 1 (Eq. 7 sample)", dict(sigma=1e-3, t=1)),
        )[: 1 if args.quick else None]:
            spec = dict(theory="evidence", D=2, n_tasks=4, boundaries="random") | extra
            if "filter" in label:
                spec |= dict(network="filter", n_trials=20000)
            rows.append((label, spec, mc.evidence_route_cost))
        for label, extra in gd[: 1 if args.quick else None]:
            rows.append((label, ctx | extra, mc.gdln_cost))
        for label, extra in (
            ("gdln routing M=3 epochs 6000", dict(epochs=6000)),
            ("gdln routing M=4 epochs 3000", dict(modules=4, epochs=3000)),
        )[: 1 if args.quick else None]:
            spec = dict(theory="gdln", model="routing", lr=2e-3, a0=0.1)
            rows.append((label, spec | extra, mc.gdln_cost))
        ratios = validate(rows)
    print(
        f"measured/estimated over {len(ratios)} validation points: "
        f"min {min(ratios):.2f}, median {float(np.median(ratios)):.2f}, max {max(ratios):.2f}"
    )
    print(f"load at the end: {os.getloadavg()}; {time.monotonic() - start:.0f} s wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
