"""EVIDENCE: the authors' evaluation protocol, their code and ours side by side.

Reads

* ``--ours FILE...``: JSON output of ``mtl-theory check SPEC --verify --json`` on an RNN spec
  (e.g. examples/evidence-authors-protocol.toml, with n_tasks changed as wanted);
* ``--authors FILE...``: ``.npz`` files written by a scratch run of the authors'
  ``generalize.py`` (arrays ``r_sq`` of shape (N_task values, networks, 4 quadrants, fits) and
  ``n_tasks``), each named ``...fixed0.npz`` (the script as published) or ``...fixed1.npz``
  (the one-line fix ``quad_num=np.array([quad_test])``),

and prints, per N_task and protocol, the 25/50/75 percentiles over networks x quadrants x
fits of both codebases, the per-network medians, and whether the medians agree within the
seed spread. Nothing is run here (the runs take minutes to hours;
benchmarks/reproductions/evidence-disentangleres.md has the commands).

Tolerance (derived from the seed spread, not tuned; the comparison ``mtl-theory check`` makes,
:mod:`mtl_theory.proofs.evidence_authors`): the networks are the independent units, so the
difference of the two codebases' medians is compared with ``t s sqrt(1/n_a + 1/n_o)``, s the
pooled standard deviation of the per-network medians of both codebases (n_a + n_o - 2 degrees
of freedom), n_a and n_o their network counts, t the two-sided 99 % Student quantile (9.92 on
2 dof, 5.84 on 3). Tables printed before 2026-12-03's fourth session used 2 in place of t.
After the table, the power of each comparison: its detectable deviation against the gap to
the other protocol's authors' median, and the networks a side the measured spread needs.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import numpy as np
from mtl_theory.proofs.evidence_authors import (
    network_medians,
    power_plan,
    protocol_gap,
    seed_spread,
    seed_spread_comparison,
    seed_spread_quantile,
)
from mtl_theory.proofs.evidence_rnn import training_seed
from mtl_theory.theory.evidence_authors import AuthorsProtocolRun

PROTOCOLS = {"authors-published": "0", "authors-fixed": "1"}


def authors_runs(paths: list[str]) -> dict[tuple[int, str], np.ndarray]:
    """(N_task, protocol) -> r_sq (networks, 4, fits) from the authors' generalize.py runs;
    several run sets of one N_task (``..._r2-3_fixed1.npz`` beside ``..._fixed1.npz``) joined
    in run order, as evidence_authors_collect.py joins them for the toolkit's table."""
    from evidence_authors_collect import runs  # this directory's, one place for the names

    out = {}
    for n, protocol, _batches, _decoder, values, _names in runs([Path(p) for p in paths]):
        if (n, protocol) in out:
            raise SystemExit(f"--authors: N_task = {n}, {protocol}: runs at two batch counts")
        out[(n, protocol)] = values
    return out


#: Setup keys two checks may differ in and still be pooled: the protocol heading the report
#: (every protocol is measured on the same decoders), the network count, and the fits
#: (compared through the arrays' shapes, after ``--fits``).
POOLABLE_SETUP_DIFFERENCES = ("protocol", "rnn_networks", "decoder_fits")
#: How benchmarks/evidence_side_by_side_run.py names a check's output: by its ``--seed``.
RUNNER_NAME = re.compile(r"_seed(\d+)\.json$")


def trained_networks(path: str, report: dict, networks: int) -> list[int]:
    """The training seeds of a check's networks: the report's ``rnn_training_seeds``; for a
    report from before that key (2026-12-08), from the ``--seed`` its runner-given file name
    carries (``..._seed<S>.json``: seeds S + 1 ... S + networks, :func:`training_seed`)."""
    seeds = report["verification"]["measured"].get("rnn_training_seeds")
    if seeds is not None:
        return [int(s) for s in seeds]
    match = RUNNER_NAME.search(Path(path).name)
    if match is None:
        raise SystemExit(
            f"--ours: {path}: expected a report with rnn_training_seeds or a file named "
            "..._seed<S>.json by its --seed; got neither, so its networks are unknown"
        )
    return [training_seed(int(match.group(1)), k) for k in range(networks)]


def read_check(path: str, fits: int = 0) -> tuple[dict, dict[str, np.ndarray], set[int]]:
    """(setup, protocol -> r² (networks, 4, fits), training seeds) of one check's report;
    ``fits`` > 0 keeps the first ``fits`` decoder fits."""
    try:
        report = json.loads(Path(path).read_text())
        setup = report["setup"]
        measured = report["verification"]["measured"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SystemExit(f"--ours: {path}: expected a check --json report, got {exc!r}") from None
    arrays = {}
    for protocol in (*PROTOCOLS, "least-squares"):
        key = f"ood_r2_{protocol.replace('-', '_')}_values"
        if key not in measured:
            raise SystemExit(
                f"--ours: {path}: no {key}; expected `mtl-theory check SPEC --verify --json` of "
                "an RNN spec at D = 2"
            )
        values = np.asarray(measured[key])
        arrays[protocol] = values[:, :, :fits] if fits else values
    networks = arrays["authors-fixed"].shape[0]
    seeds = set(trained_networks(path, report, networks))
    if len(seeds) != networks:
        raise SystemExit(f"--ours: {path}: {networks} networks but training seeds {seeds}")
    return setup, arrays, seeds


def refuse_unpoolable(path: str, read: tuple, pooled: tuple) -> None:
    """SystemExit unless check ``read`` (:func:`read_check` of ``path``) can join ``pooled``
    (names, setup, arrays, training seeds of the checks already pooled at its N_task)."""
    setup, arrays, seeds = read
    names, first_setup, first_arrays, first_seeds = pooled
    n = setup["n_tasks"]
    if seeds & first_seeds:
        shared = sorted(seeds & first_seeds)
        raise SystemExit(
            f"--ours: {path} and {names} (N_task = {n}) share trained networks (training seeds "
            f"{shared[0]}..{shared[-1]}); rerun one with a --seed that differs by at least the "
            "other's network count"
        )
    keys = (setup.keys() | first_setup.keys()) - set(POOLABLE_SETUP_DIFFERENCES)
    differ = sorted(k for k in keys if setup.get(k) != first_setup.get(k))
    if differ:
        raise SystemExit(
            f"--ours: {path} and {names} (N_task = {n}) are checks of different setups (they "
            f"differ in {', '.join(differ)}): not pooled"
        )
    shape, first_shape = arrays["authors-fixed"].shape[1:], first_arrays["authors-fixed"].shape[1:]
    if shape != first_shape:
        raise SystemExit(
            f"--ours: {path} and {names} (N_task = {n}): (quadrants, fits) {shape} against "
            f"{first_shape}; pass --fits to compare the fits both have"
        )


def our_runs(paths: list[str], fits: int = 0) -> dict[tuple[int, str], np.ndarray]:
    """(N_task, protocol) -> r^2 (networks, 4, fits), networks of several checks stacked.

    ``fits`` > 0 keeps the first ``fits`` decoder fits of each network and quadrant (the
    fits are independent draws, so this is the protocol with that many fits). Checks of one
    N_task are pooled only if they share no trained network (their training seeds,
    :func:`trained_networks`, are disjoint: ``--seed`` 0 and 1 share all but one network)
    and their setups are the same but for :data:`POOLABLE_SETUP_DIFFERENCES`."""
    pools: dict[int, tuple[str, dict, dict[str, np.ndarray], set[int]]] = {}
    for p in paths:
        setup, arrays, seeds = read_check(p, fits)
        n = int(setup["n_tasks"])
        if n not in pools:
            pools[n] = (str(p), setup, arrays, seeds)
            continue
        refuse_unpoolable(p, (setup, arrays, seeds), pools[n])
        names, first_setup, pooled, first_seeds = pools[n]
        stacked = {k: np.concatenate([pooled[k], v]) for k, v in arrays.items()}
        pools[n] = (f"{names} + {p}", first_setup, stacked, first_seeds | seeds)
    return {(n, k): v for n, pool in pools.items() for k, v in pool[2].items()}


def tolerance(a: np.ndarray, o: np.ndarray) -> float:
    """t x pooled between-network SD x sqrt(1/n_a + 1/n_o) (module docstring)."""
    se, dof = seed_spread(a, o)
    return se * seed_spread_quantile(dof) if math.isfinite(se) else math.nan


def power_lines(ours: dict, theirs: dict) -> list[str]:
    """Per N_task and protocol with the authors' runs of both protocols: the detectable
    deviation of the comparison check makes, the gap to the other protocol's authors' median
    (the nearest plausible wrong answer), whether it is powered, and if not, about how many
    networks a side the measured spread needs (:func:`power_plan`)."""
    lines = []
    for n, protocol in sorted(theirs):
        other_protocol = next(p for p in PROTOCOLS if p != protocol)
        if (n, protocol) not in ours or (n, other_protocol) not in theirs:
            continue
        a, o = theirs[(n, protocol)], ours[(n, protocol)]
        other = AuthorsProtocolRun(n, other_protocol, 0, 0, theirs[(n, other_protocol)], "")
        if not math.isfinite(seed_spread(a, o)[0]):
            continue
        c = seed_spread_comparison(protocol, a, o, other)
        verdict = "verified" if c.verifies else ("agrees" if c.agrees else "DISAGREES")
        plan = power_plan(c, a, o) or (
            f"powered (detectable {c.detectable:.3f} against a gap of {protocol_gap(c):.3f})"
        )
        lines.append(
            f"- N_task = {n}, {protocol} ({a.shape[0]} + {o.shape[0]} networks): {verdict}; {plan}"
        )
    return lines


def fmt(p: np.ndarray) -> str:
    return " / ".join(f"{v:.3f}" for v in p)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ours", nargs="+", required=True)
    parser.add_argument("--authors", nargs="*", default=[])
    parser.add_argument(
        "--fits", type=int, default=0, help="compare only the first FITS fits of ours (0: all)"
    )
    args = parser.parse_args()
    try:
        ours = our_runs(args.ours, args.fits)
        theirs = authors_runs(args.authors)
    except SystemExit as exc:  # bad input: one line, exit status 2, no traceback
        if not isinstance(exc.code, str):
            raise
        print(f"evidence_side_by_side.py: {exc.code}", file=sys.stderr)
        raise SystemExit(2) from None
    except OSError as exc:  # an unreadable --authors file (np.load)
        print(f"evidence_side_by_side.py: --authors: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print(
        "| N_task | protocol | code | networks | r² 25 / 50 / 75 % | per-network medians "
        "| |Δ median| | tolerance (t × SE) | agrees |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n, protocol in sorted(ours):
        o = ours[(n, protocol)]
        a = theirs.get((n, protocol))
        rows = [("authors (PyTorch)", a)] if a is not None else []
        rows.append(("toolkit (numpy)", o))
        for k, (name, v) in enumerate(rows):
            tail = "| | |"
            if a is not None and k == len(rows) - 1:
                diff = abs(float(np.median(a)) - float(np.median(o)))
                tol = tolerance(a, o)
                tail = f"| {diff:.3f} | {tol:.3f} | {'yes' if diff <= tol else 'NO'} |"
            meds = ", ".join(f"{m:.3f}" for m in network_medians(v))
            print(
                f"| {n} | {protocol} | {name} | {v.shape[0]} | "
                f"{fmt(np.percentile(v, [25, 50, 75]))} | {meds} {tail}"
            )
    power = power_lines(ours, theirs)
    if power:
        print("\nPower (detectable deviation against the gap between the protocols):")
        print("\n".join(power))


if __name__ == "__main__":
    main()
