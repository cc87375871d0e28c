"""EVIDENCE beside the authors' own code: the trained RNNs' OOD r² against the numbers their
DisentangleRes scripts gave when run here (:mod:`mtl_theory.theory.evidence_authors`).

Two independent routes: their PyTorch train.py and generalize.py against the toolkit's numpy
RNN and its implementation of their protocol (they share no code: the toolkit was written
from reading theirs). What may differ between the two is only the seeds, so the comparison
is of the medians over networks x quadrants x fits, within the seed spread:

    |median_ours - median_authors| <= t_{0.995, dof} s sqrt(1/n_a + 1/n_o)

(``derived``), the networks being the independent units: s is the pooled standard deviation
of the per-network medians of both codebases, with dof = n_a + n_o - 2 degrees of freedom, and
t the two-sided 99 % Student quantile (a disagreement is a finding; with 2 or 3 degrees of
freedom s is a coarse estimate, and t says so: 9.92 and 5.84). The nearest plausible wrong
result is the other protocol (a quadrant held out where it is not, or the reverse): its
authors' median is the alternative the comparison must tell apart. A comparison whose
detectable deviation is larger than that gap agrees without the power to count as
verification: it is reported as "within the seed spread", not as verified. With the 4-30
networks a side run here (theory/evidence_authors.py) the published-protocol comparison is
powered at every N_task, the fixed-protocol one at N_task = 2, 6 and 12 (20 + 30 networks)
but not at 3 (9 + 17) and 24 (5 + 5): its seed spread is wider, its per-network medians
spanning 0.74-0.94 at N_task >= 3 in both codebases.
With fewer than 3 networks in all there is no spread to compare with: a note says so and
nothing is compared.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from mtl_theory.theory import evidence as te
from mtl_theory.theory import evidence_authors as tea
from mtl_theory.theory.model import Z_POWER, Comparison
from scipy.special import ndtri, stdtrit

#: Two-sided level of the seed-spread comparison: a disagreement is a finding (exit status 1),
#: so at most a 1 % false alarm per protocol when the two codebases are the same in law.
SEED_SPREAD_LEVEL = 0.99


def network_medians(values: np.ndarray) -> np.ndarray:
    """Per-network median of (networks, quadrants, fits) r² values."""
    values = np.asarray(values, dtype=float)
    return np.median(values.reshape(values.shape[0], -1), axis=1)


def seed_spread(authors: np.ndarray, ours: np.ndarray) -> tuple[float, int]:
    """(standard error of the difference of the two medians, degrees of freedom) from the
    per-network medians of both codebases (module docstring); (nan, dof) when dof < 1."""
    a, o = network_medians(authors), network_medians(ours)
    dof = a.size + o.size - 2
    if dof < 1:
        return math.nan, dof
    ss = float(np.sum((a - a.mean()) ** 2) + np.sum((o - o.mean()) ** 2))
    return math.sqrt(ss / dof) * math.sqrt(1.0 / a.size + 1.0 / o.size), dof


def seed_spread_quantile(dof: int) -> float:
    """Student t quantile of :data:`SEED_SPREAD_LEVEL` (two-sided) with ``dof`` dof."""
    # scipy.stats.t.ppf is stdtrit(df, q); scipy.stats itself costs ~0.75 s to import
    return float(stdtrit(dof, 0.5 + SEED_SPREAD_LEVEL / 2))


def _pooled_sd(authors: np.ndarray, ours: np.ndarray) -> float:
    """The pooled between-network SD s of :func:`seed_spread` (nan when it is not measured)."""
    se, _ = seed_spread(authors, ours)
    n_a, n_o = np.asarray(authors).shape[0], np.asarray(ours).shape[0]
    return se / math.sqrt(1.0 / n_a + 1.0 / n_o) if math.isfinite(se) else math.nan


def _detectable(sd: float, n_a: int, n_o: int) -> float:
    """The detectable deviation (t_{0.995, n_a + n_o - 2} + Z_POWER) s sqrt(1/n_a + 1/n_o) of a
    comparison of n_a and n_o networks at pooled SD s (the comparison :func:`side_by_side`
    makes: :meth:`mtl_theory.theory.model.Comparison.monte_carlo` with this module's t)."""
    t = seed_spread_quantile(n_a + n_o - 2)
    return (t + Z_POWER) * sd * math.sqrt(1.0 / n_a + 1.0 / n_o)


#: Most networks a side a plan considers (beyond it, "more than" this many).
MOST_NETWORKS = 1000


def networks_for_power(authors: np.ndarray, ours: np.ndarray, gap: float) -> int | None:
    """Smallest equal number of networks a side whose comparison would be powered against
    ``gap``, at the pooled between-network SD these runs measured (``derived``; a plan, not a
    promise: the SD and the gap are themselves estimates and move as networks are added).

    With m networks a side the comparison detects deviations of
    (t_{0.995, 2m - 2} + Z_POWER) s sqrt(2 / m) (:func:`_detectable`); this returns the least
    m >= 2 for which that is at most ``gap`` (:attr:`Comparison.powered`'s ``>=``), or None
    when the spread is not measured (fewer than 3 networks in all), the gap is not positive
    (no count tells two equal medians apart) or m would exceed :data:`MOST_NETWORKS`.
    """
    sd = _pooled_sd(authors, ours)
    if not math.isfinite(sd) or not gap > 0:
        return None
    return next((m for m in range(2, MOST_NETWORKS + 1) if _detectable(sd, m, m) <= gap), None)


def ours_limit(authors: np.ndarray, ours: np.ndarray) -> float:
    """The least detectable deviation any number of the toolkit's networks could reach beside
    the authors' n_a as they are: (z_{0.995} + Z_POWER) s / sqrt(n_a), the limit of
    :func:`_detectable` as n_o grows (t tends to the normal quantile 2.576 from above, and
    sqrt(1/n_a + 1/n_o) to 1/sqrt(n_a)); nan when the spread is not measured."""
    sd = _pooled_sd(authors, ours)
    z = float(ndtri(0.5 + SEED_SPREAD_LEVEL / 2))
    return (z + Z_POWER) * sd / math.sqrt(np.asarray(authors).shape[0])


def ours_for_power(authors: np.ndarray, ours: np.ndarray, gap: float) -> int | None:
    """Smallest number of the toolkit's networks in all (those run included) that, beside the
    authors' networks as they are, would make the comparison powered against ``gap`` at the
    measured pooled SD (``derived``, a plan as :func:`networks_for_power` is).

    The toolkit's networks are the cheap side (about 3.5 min of one core at 10⁵ batches
    against 11-12 min for the authors' train.py here), but no number of them detects less
    than :func:`ours_limit`. None when the spread is not measured, the gap is not positive,
    or even :data:`MOST_NETWORKS` do not suffice (always so when ``ours_limit`` >= gap).
    """
    sd = _pooled_sd(authors, ours)
    n_a = np.asarray(authors).shape[0]
    if not math.isfinite(sd) or not gap > 0:
        return None
    counts = range(max(1, 3 - n_a), MOST_NETWORKS + 1)
    return next((n for n in counts if _detectable(sd, n_a, n) <= gap), None)


def _nearest_alternative(comparison: Comparison) -> tuple[str, float]:
    """(name, distance from the prediction) of the comparison's nearest alternative."""
    return min(
        (
            (k, abs(float(v) - float(comparison.predicted)))
            for k, v in comparison.alternatives.items()
        ),
        key=lambda item: item[1],
    )


def protocol_gap(comparison: Comparison) -> float:
    """Distance of the nearest alternative (the other protocol's authors' median) from the
    prediction: what the comparison must be able to detect to be powered."""
    return _nearest_alternative(comparison)[1]


def power_plan(comparison: Comparison, authors: np.ndarray, ours: np.ndarray) -> str:
    """ "" for a powered comparison; else one clause: its detectable deviation, the gap to the
    nearest alternative, about how many networks a side (:func:`networks_for_power`) and how
    many of ours in all beside the authors' as they are (:func:`ours_for_power`)."""
    if comparison.powered or not comparison.alternatives:
        return ""
    gap = protocol_gap(comparison)
    head = (
        f"not powered (detectable {comparison.detectable:.3f} against a gap of {gap:.3f} to the "
        "other protocol): "
    )
    if not gap > 0:  # e.g. "no other protocol was run": the prediction is its own alternative
        nearest = _nearest_alternative(comparison)[0]
        return head + f"no number of networks, the alternative being the prediction ({nearest})"
    need = networks_for_power(authors, ours, gap)
    ours_needed = ours_for_power(authors, ours, gap)
    n_a = np.asarray(authors).shape[0]
    if ours_needed is not None:
        beside = f"about {ours_needed} of ours in all"
    elif ours_limit(authors, ours) >= gap:
        beside = "no number of ours"
    else:
        beside = f"more than {MOST_NETWORKS} of ours"
    return (
        head
        + (f"about {need}" if need is not None else f"more than {MOST_NETWORKS}")
        + f" networks a side at this spread, or beside the authors' {n_a} {beside}"
    )


def _key(protocol: str) -> str:
    return protocol.replace("-", "_")


def side_by_side(
    setup: te.EvidenceSetup, measured: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Comparison], list[str]]:
    """The authors' runs at the setup's settings beside the setup's own networks.

    Returns measured keys (``authors_code_*``), one comparison per protocol the authors' code
    was run with, and a note. A setup at the authors' settings but other counts gets only a
    note saying at which counts their code was run here; any other setup, nothing.
    """
    if setup.network != "rnn":
        return {}, [], []
    at_settings = tea.authors_runs_at_settings(setup)
    runs = tea.authors_runs_for(setup)
    if not runs:
        if not at_settings:
            return {}, [], []
        counts = sorted({(r.rnn_batches, r.decoder_batches) for r in at_settings})
        return (
            {},
            [],
            [
                "The authors' code (DisentangleRes 4f7ba78) was run here at these settings "
                f"(N_task = {setup.n_tasks}) with (rnn_batches, decoder_batches) = "
                + ", ".join(f"({b}, {d})" for b, d in counts)
                + f" and decoder_fits = {tea.AUTHORS_FITS} only; with those counts check sets "
                "its numbers beside this setup's."
            ],
        )
    by_protocol = {r.protocol: r for r in runs}
    out: dict[str, Any] = {"authors_code_source": "panvaf/DisentangleRes 4f7ba78, run here"}
    comparisons, parts = [], []
    for protocol, run in sorted(by_protocol.items()):
        k = _key(protocol)
        theirs = run.array()
        ours = np.asarray(measured[f"ood_r2_{k}_values"], dtype=float)
        out[f"authors_code_ood_r2_{k}_percentiles"] = np.percentile(theirs, [25, 50, 75])
        out[f"authors_code_ood_r2_{k}_network_medians"] = network_medians(theirs)
        out[f"authors_code_ood_r2_{k}_networks"] = run.networks
        other = next((r for p, r in by_protocol.items() if p != protocol), None)
        if math.isfinite(seed_spread(theirs, ours)[0]):
            comparison = seed_spread_comparison(protocol, theirs, ours, other)
            comparisons.append(comparison)
            if other is not None and (plan := power_plan(comparison, theirs, ours)):
                parts.append(f"{protocol} {plan}")
        else:
            parts.append(
                f"{protocol} not compared: the seed spread needs at least 3 networks in all "
                f"({run.networks} + {ours.shape[0]} here)"
            )
        parts.append(
            f"{protocol}: authors {np.median(theirs):.3f}, ours {np.median(ours):.3f}"
            f" (medians; {run.networks} and {ours.shape[0]} networks)"
        )
    note = (
        "Side by side with the authors' code run here (DisentangleRes 4f7ba78: train.py, "
        f"{setup.rnn_batches} batches, then generalize.py, {setup.decoder_batches} decoder "
        f"batches, 4 quadrants x {tea.AUTHORS_FITS} fits; raw outputs in "
        "benchmarks/reproductions/evidence-side-by-side-full-budget/): "
        + "; ".join(parts)
        + ". Their scores are not bit-reproducible (neurogym's Dataset seeds from OS entropy)."
    )
    return out, comparisons, [note]


def seed_spread_comparison(
    protocol: str, theirs: np.ndarray, ours: np.ndarray, other: tea.AuthorsProtocolRun | None
) -> Comparison:
    """The EV-7 comparison of one protocol's medians (module docstring): the authors' runs
    ``theirs`` and the toolkit's ``ours``, both (networks, 4, fits); ``other``, the authors'
    run of the other protocol, is the alternative it must tell apart (None: none was run)."""
    quantity = f"median OOD r2 under {protocol}: the toolkit's networks vs the authors' code"
    se, dof = seed_spread(theirs, ours)
    z = seed_spread_quantile(dof)
    alternatives = (
        {f"the authors' {other.protocol} median": float(np.median(other.array()))}
        if other is not None
        else {"no other protocol was run": float(np.median(theirs))}
    )
    return Comparison.monte_carlo(
        "EV-7",
        quantity,
        float(np.median(theirs)),
        float(np.median(ours)),
        se,
        z,
        f"two codebases that share no code, differing only in their seeds: the medians over "
        f"networks x quadrants x fits within the seed spread, SE = pooled between-network SD "
        f"of the per-network medians x sqrt(1/{theirs.shape[0]} + 1/{ours.shape[0]}) on "
        f"{dof} degrees of freedom, z = the two-sided {SEED_SPREAD_LEVEL:.0%} Student t quantile",
        alternatives=alternatives,
    )
