"""EV-7 under either training loss (issue 10, item 5): the toolkit's fixed/slow-point analysis.

Trains the RNN of ``examples/evidence-paper-rnn.toml`` (N_task = 6, D = 2, sigma = 0.2, t = 20)
for ``--batches`` batches with ``--loss`` (``all-steps``, the authors' latest loss, or
``decision-step``), seed ``1 + k`` for network k, and runs on it the analysis of
``mtl-theory check ... --verify`` (``proofs.evidence._rnn_fixed_points`` calls the same
``numerics.evidence.rnn_fixed_point_analysis`` with the same 150 starts, on the first 2000 of
the same seed-0 trials): fixed points (q < 1e-12) and slow points of the stimulus-free map under
the fixation input [enc(0), 1] and the decision input [enc(0), 0], their PCA, decoded-latent
spread and top-2 Jacobian moduli, plus the relaxed-state spectrum (``rnn_autonomous_jacobians``)
and the least-squares pooled OOD r^2. Network k here is network k of that check with
``rnn_batches = BATCHES`` and ``rnn_loss = LOSS``. One JSON line per network to ``--out``.

Usage (the committed run; about 14 min of training per network on the loaded machine)::

    nice -n 19 python benchmarks/evidence_fixed_points_by_loss.py --batches 100000 \\
        --networks 0 1 --out FILE
    nice -n 19 python benchmarks/evidence_fixed_points_by_loss.py --batches 90000 \\
        --loss decision-step --networks 0 --out FILE
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import tomllib  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from mtl_theory.numerics import evidence as ne  # noqa: E402
from mtl_theory.proofs import evidence as pe  # noqa: E402
from mtl_theory.theory import evidence as te  # noqa: E402
from mtl_theory.theory.model import to_jsonable  # noqa: E402

from mtl_theory import load_spec  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "evidence-paper-rnn.toml"
INPUTS = (("fixation", 1.0), ("decision_input", 0.0))


def example_setup(batches: int, loss: str):
    """The example's setup with ``rnn_batches`` and ``rnn_loss`` replaced."""
    with EXAMPLE.open("rb") as f:
        spec = dict(tomllib.load(f))
    spec["rnn_batches"] = batches
    spec["rnn_loss"] = loss
    return load_spec(spec).setup


def check_trials(setup) -> ne.Trials:
    """The first 2000 trials of ``check --verify --seed 0`` (proofs.evidence._verify's stream)."""
    rng = ne.case_rng(0, json.dumps(to_jsonable(pe._setup_json(setup))))
    trials = ne.simulate_trials(setup.D, setup.sigma, setup.t, setup.n_trials, rng)
    n = min(trials.x_star.shape[0], 2000)
    return ne.Trials(trials.x_star[:n], trials.samples[:n])


def point_set_record(kind: str, summary) -> dict:
    """check's measured keys for one point set, plus every point's top-2 moduli."""
    record = {k: to_jsonable(v) for k, v in pe._fixed_point_keys(kind, "", summary).items()}
    record["top2_all"] = summary.top2_moduli.tolist()
    record["n_near_one"] = summary.n_near_one.tolist()
    return record


def analyse(result: ne.RNNResult, setup, sub: ne.Trials) -> dict:
    """The EV-7 quantities of one trained network (measured only)."""
    states = ne.rnn_states(result, sub.samples)
    ood, _ = ne.ood_r2_nonempty(states, sub.x_star, latent_variance=te.BOX_VARIANCE)
    eig, drift = ne.rnn_autonomous_jacobians(result, states[:50])
    record = {
        "eval_bce": ne.rnn_eval_loss(result, sub, setup.C, setup.d),
        "baseline_bce": result.baseline_loss,
        "ood_r2_network": float(np.median(ood.mean(axis=1))),
        "relaxed_top5_median": np.median(eig[:, :5], axis=0).tolist(),
        "relaxed_drift_median": drift,
    }
    for label, fixation in INPUTS:
        analysis = ne.rnn_fixed_point_analysis(
            result,
            sub.samples,
            sub.x_star,
            te.BOX_VARIANCE,
            n_starts=te.RNN_FIXED_POINT_STARTS,
            fixation=fixation,
        )
        fps = analysis.fixed_points
        speed = np.sqrt(2.0 * fps.minima_q)
        record[label] = {
            "starts_converged": fps.n_converged,
            "scale": fps.scale,
            "minima_speed_percentiles_10_50_90": np.percentile(speed, [10, 50, 90]).tolist(),
            "fixed": point_set_record("fixed_point", analysis.summary),
            "slow": point_set_record("slow_point", analysis.slow_summary),
        }
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=100000)
    parser.add_argument("--loss", choices=ne.RNN_LOSSES, default="all-steps")
    parser.add_argument("--networks", type=int, nargs="+", default=[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    setup = example_setup(args.batches, args.loss)
    sub = check_trials(setup)
    for k in args.networks:
        config = ne.RNNConfig(D=setup.D, n_tasks=setup.C.shape[0], loss=args.loss)
        result = ne.train_rnn(
            setup.C, setup.d, setup.sigma, setup.t, batches=args.batches, seed=1 + k, config=config
        )
        record = {"network": k, "seed": 1 + k, "loss": args.loss, "batches": args.batches}
        record["train_seconds"] = result.seconds
        record.update(analyse(result, setup, sub))
        with open(args.out, "a") as f:
            f.write(json.dumps(to_jsonable(record)) + "\n")
        print(f"network {k}: {result.seconds:.0f} s of training, written to {args.out}")


if __name__ == "__main__":
    main()
