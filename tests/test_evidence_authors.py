"""EVIDENCE beside the authors' code (issue 10): the reference table and the comparison.

The table (theory.evidence_authors) must be the committed raw outputs of their scripts; the
comparison (proofs.evidence_authors) must agree on the committed side-by-side runs, fail on a
planted difference, and say so when it cannot measure or tell the protocols apart.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from benchmark_scripts import load_benchmark
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from mtl_theory.proofs import evidence_authors as pea
from mtl_theory.theory import evidence_authors as tea

from mtl_theory.families.evidence import FAMILY

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "benchmarks" / "reproductions" / "evidence-side-by-side-full-budget"


def _collect():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import evidence_authors_collect
    finally:
        sys.path.pop(0)
    return evidence_authors_collect


def _setup(path: Path):
    return FAMILY.build(FAMILY.schema.validate(tomllib.loads(path.read_text())))


def _ours(n: int, batches: int = 100000):
    """The committed toolkit side at N_task = n: every committed check of that setup (one per
    ``--seed``), pooled as benchmarks/evidence_side_by_side.py pools them (no shared network)."""
    stem = f"ours_n{n}_b{batches}_d{tea_decoder(n)}"
    setup = _setup(RAW / f"{stem}.toml")
    paths = sorted(str(p) for p in RAW.glob(f"{stem}_seed*.json"))
    pooled = load_benchmark("evidence_side_by_side").our_runs(paths)
    measured = {f"ood_r2_{p.replace('-', '_')}_values": v for (_, p), v in pooled.items()}
    return setup, measured


def tea_decoder(n: int) -> int:
    return next(r.decoder_batches for r in tea.AUTHORS_PROTOCOL_RUNS if r.n_tasks == n)


def test_the_table_is_the_committed_raw_outputs():
    collect = _collect()
    rows = collect.runs(sorted(RAW.glob("gen_*.npz")))
    assert len(rows) == len(tea.AUTHORS_PROTOCOL_RUNS) > 0
    for (n, protocol, batches, decoder, values, name), run in zip(
        rows, tea.AUTHORS_PROTOCOL_RUNS, strict=True
    ):
        assert (run.n_tasks, run.protocol, run.rnn_batches, run.decoder_batches, run.raw) == (
            n,
            protocol,
            batches,
            decoder,
            name,
        )
        assert np.array_equal(run.array(), values)  # repr round-trips float64 exactly
        assert run.fits == tea.AUTHORS_FITS


def test_seed_spread_is_the_pooled_between_network_sd():
    a = np.array([0.6, 0.7]).reshape(2, 1, 1)
    o = np.array([0.5, 0.6, 0.7]).reshape(3, 1, 1)
    se, dof = pea.seed_spread(a, o)
    ss = 2 * 0.05**2 + 2 * 0.1**2
    assert dof == 3
    assert se == pytest.approx(math.sqrt(ss / 3) * math.sqrt(1 / 2 + 1 / 3), rel=1e-12)
    assert pea.seed_spread_quantile(3) == pytest.approx(5.840909309733355, rel=1e-9)
    assert math.isnan(pea.seed_spread(a[:1], o[:1])[0])


@pytest.mark.parametrize("n", sorted({r.n_tasks for r in tea.AUTHORS_PROTOCOL_RUNS}))
def test_the_committed_side_by_side_runs_agree(n):
    if not (RAW / f"ours_n{n}_b100000_d{tea_decoder(n)}_seed0.json").exists():
        pytest.skip(f"no toolkit run committed for N_task = {n}")
    setup, measured = _ours(n)
    out, comparisons, notes = pea.side_by_side(setup, measured)
    assert {c.quantity.split(":")[0] for c in comparisons} == {
        "median OOD r2 under authors-fixed",
        "median OOD r2 under authors-published",
    }
    for c in comparisons:
        assert c.route == "independent" and c.agrees, c.tolerance_reason
        assert c.detectable is not None and c.detectable > c.tolerance
    assert "authors_code_ood_r2_authors_fixed_percentiles" in out
    assert "Side by side with the authors' code" in notes[0]


def test_a_planted_difference_is_caught():
    setup, measured = _ours(2)
    shifted = dict(measured)
    for key in ("ood_r2_authors_fixed_values", "ood_r2_authors_published_values"):
        shifted[key] = np.asarray(measured[key]) - 0.3
    _, comparisons, _ = pea.side_by_side(setup, shifted)
    assert comparisons and not any(c.agrees for c in comparisons)


def test_power_is_judged_against_the_other_protocol():
    # N_task = 2: published and fixed medians 0.18 apart; a comparison that cannot tell them
    # apart is reported as not powered (it never counts as verification then)
    setup, measured = _ours(2)
    _, comparisons, _ = pea.side_by_side(setup, measured)
    for c in comparisons:
        (alt,) = c.alternatives.values()
        assert c.powered == (abs(alt - c.predicted) >= c.detectable)


def _networks(medians) -> np.ndarray:
    """(networks, 4, 5) r² arrays whose per-network medians are ``medians``."""
    return np.broadcast_to(np.asarray(medians, dtype=float)[:, None, None], (len(medians), 4, 5))


def _spread(k: int, sd: float) -> np.ndarray:
    """k centred, symmetric per-network offsets; two sides of them have pooled SD ``sd``."""
    v = np.linspace(-1.0, 1.0, k)
    return v * sd * math.sqrt((k - 1) / np.sum(v**2))


@settings(deadline=None)
@given(sd=st.floats(0.005, 0.08), gap=st.floats(0.02, 0.2), n_a=st.integers(2, 9))
def test_networks_for_power_is_the_least_powered_count(sd, gap, n_a):
    # with the m networks a side that networks_for_power returns (planned from n_a + n_a
    # networks of pooled SD sd), _comparison, the route check reports, is powered against an
    # alternative gap away; with m - 1 it is not
    m = pea.networks_for_power(_networks(0.9 + _spread(n_a, sd)), _networks(_spread(n_a, sd)), gap)
    assume(m is not None)

    def powered(k: int) -> bool:
        z = _spread(k, sd)
        other = dataclasses.replace(tea.AUTHORS_PROTOCOL_RUNS[0], values=_networks(0.9 + gap + z))
        return pea.seed_spread_comparison(
            "authors-fixed", _networks(0.9 + z), _networks(0.9 + z), other
        ).powered

    assert powered(m)
    assert m == 2 or not powered(m - 1)


@settings(deadline=None)
@given(
    sd=st.floats(0.005, 0.08),
    gap=st.floats(0.02, 0.2),
    n_a=st.integers(1, 30),
    n_o=st.integers(1, 40),
)
def test_ours_for_power_is_the_least_powered_count_beside_the_authors(sd, gap, n_a, n_o):
    # planned from n_a + n_o networks of pooled SD sd: with the n of ours in all that
    # ours_for_power returns beside the authors' n_a, the comparison check reports is powered,
    # with n - 1 it is not; None when even MOST_NETWORKS are not, and always when ours_limit
    # (what infinitely many of ours would detect) is not below the gap
    assume(n_a + n_o >= 3)
    a = _networks(0.9 + _spread(n_a, sd))
    planned_from = _networks(_spread(n_o, sd))
    n = pea.ours_for_power(a, planned_from, gap)

    def powered(k: int) -> bool:
        # centred offsets of SD sd on both sides: the pooled SD stays sd (one network: 0 offset)
        other = dataclasses.replace(
            tea.AUTHORS_PROTOCOL_RUNS[0], values=_networks(0.9 + gap + _spread(n_a, sd))
        )
        ours = _networks(0.9 + _spread(k, sd)) if k > 1 else _networks([0.9])
        return pea.seed_spread_comparison("authors-fixed", a, ours, other).powered

    if pea.ours_limit(a, planned_from) >= gap:
        assert n is None
    if n is None:
        assert not powered(pea.MOST_NETWORKS)
        return
    assert powered(n)
    assert n == max(1, 3 - n_a) or not powered(n - 1)


@pytest.mark.parametrize(
    "n_a, sd, gap, clause",
    [
        (
            12,
            0.036,
            0.056,
            r"about 2\d networks a side at this spread, or beside the authors' 12 "
            r"about \d+ of ours in all$",
        ),
        # 3 authors' networks at SD 0.05: even infinitely many of ours detect (2.58 + 2.33)
        # 0.05 / sqrt(3) = 0.14 > 0.1
        (3, 0.05, 0.1, r"beside the authors' 3 no number of ours$"),
        (5, 0.05, 0.0, r"no number of networks, the alternative being the prediction"),
    ],
)
def test_the_power_plan_names_the_cheapest_way_to_power(n_a, sd, gap, clause):
    a = _networks(0.9 + _spread(n_a, sd))
    o = _networks(0.9 + _spread(5, sd))
    other = dataclasses.replace(
        tea.AUTHORS_PROTOCOL_RUNS[0], values=_networks(0.9 + gap + _spread(n_a, sd))
    )
    c = pea.seed_spread_comparison("authors-fixed", a, o, other)
    assert not c.powered
    assert re.search(clause, pea.power_plan(c, a, o)), pea.power_plan(c, a, o)


def test_the_check_says_how_many_networks_an_unpowered_comparison_needs():
    setup, measured = _ours(3)
    _, comparisons, notes = pea.side_by_side(setup, measured)
    unpowered = [c for c in comparisons if not c.powered]
    assert unpowered, "N_task = 3's fixed protocol is not powered with the committed runs"
    assert notes[0].count("networks a side at this spread") == len(unpowered)


def test_other_counts_get_a_note_and_other_settings_nothing():
    setup, measured = _ours(2)
    short = dataclasses.replace(setup, rnn_batches=3000)
    out, comparisons, notes = pea.side_by_side(short, measured)
    assert (out, comparisons) == ({}, []) and "(100000, 3000)" in notes[0]
    elsewhere = dataclasses.replace(setup, sigma=0.3)
    assert pea.side_by_side(elsewhere, measured) == ({}, [], [])
    one_fit = dataclasses.replace(setup, decoder_fits=1)
    assert pea.side_by_side(one_fit, measured)[1] == []


def test_one_network_each_is_noted_not_compared():
    setup, measured = _ours(2)
    few = dict(measured)
    for key in ("ood_r2_authors_fixed_values", "ood_r2_authors_published_values"):
        few[key] = np.asarray(measured[key])[:1]
    one = tuple(
        dataclasses.replace(r, values=r.values[:1]) if r.n_tasks == 2 else r
        for r in tea.AUTHORS_PROTOCOL_RUNS
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tea, "AUTHORS_PROTOCOL_RUNS", one)
        out, comparisons, notes = pea.side_by_side(setup, few)
    assert comparisons == [] and "authors_code_ood_r2_authors_fixed_percentiles" in out
    assert notes[0].count("not compared: the seed spread needs at least 3 networks") == 2


def _gen(tmp_path, name, values):
    np.savez(tmp_path / name, r_sq=np.asarray(values)[None], n_tasks=np.array([3]))
    return tmp_path / name


def test_networks_added_later_are_joined_in_run_order(tmp_path):
    collect = _collect()
    first = np.full((2, 4, 5), 0.5)
    later = np.full((2, 4, 5), 0.7)
    paths = [
        _gen(tmp_path, "gen_n3_b100_d30_f5_r2-3_fixed1.npz", later),
        _gen(tmp_path, "gen_n3_b100_d30_f5_fixed1.npz", first),
    ]
    ((n, protocol, batches, decoder, values, name),) = collect.runs(paths)
    assert (n, protocol, batches, decoder) == (3, "authors-fixed", 100, 30)
    assert np.array_equal(values, np.concatenate([first, later]))
    assert name == "gen_n3_b100_d30_f5_fixed1.npz + gen_n3_b100_d30_f5_r2-3_fixed1.npz"


@pytest.mark.parametrize(
    "name, message",
    [
        ("gen_n3_b100_d30_f5_r3-4_fixed1.npz", "starts at run 3, expected run 2"),
        ("gen_n3_b100_d30_f5_r2-4_fixed1.npz", "not the runs its name says"),
    ],
)
def test_a_gap_or_a_misnamed_run_set_is_refused(tmp_path, name, message):
    collect = _collect()
    paths = [
        _gen(tmp_path, "gen_n3_b100_d30_f5_fixed1.npz", np.zeros((2, 4, 5))),
        _gen(tmp_path, name, np.zeros((2, 4, 5))),
    ]
    with pytest.raises(SystemExit, match=message):
        collect.runs(paths)


def _our_check(tmp_path, name, seed, networks, values=0.5, recorded=True, fits=5, **setup):
    """A minimal ``check --seed seed --verify --json`` report of ``networks`` RNNs (its
    ``rnn_training_seeds`` left out when not ``recorded``: a report from before that key)."""
    shape = (networks, 4, fits)
    measured = {
        f"ood_r2_{p}_values": np.full(shape, values).tolist()
        for p in ("authors_published", "authors_fixed", "least_squares")
    }
    if recorded:
        measured["rnn_training_seeds"] = [seed + 1 + k for k in range(networks)]
    # the spec's own seed (boundaries) is not the check's --seed: it stays 0 here
    spec = {"n_tasks": 12, "seed": 0, "rnn_networks": networks, "rnn_batches": 100, "sigma": 0.2}
    spec.update(setup)
    path = tmp_path / name
    path.write_text(json.dumps({"setup": spec, "verification": {"measured": measured}}))
    return str(path)


def test_checks_with_disjoint_training_seeds_are_pooled(tmp_path):
    side = load_benchmark("evidence_side_by_side")
    paths = [
        _our_check(tmp_path, "ours_seed0.json", seed=0, networks=10, values=0.5, recorded=False),
        _our_check(tmp_path, "b.json", seed=10, networks=11, values=0.7, protocol="x"),
    ]
    pooled = side.our_runs(paths)[(12, "authors-fixed")]
    assert pooled.shape == (21, 4, 5)
    assert np.array_equal(pooled[:10], np.full((10, 4, 5), 0.5))
    assert np.array_equal(pooled[10:], np.full((11, 4, 5), 0.7))


@pytest.mark.parametrize(
    "second, message",
    [
        # --seed 1 trains with seeds 2..11: nine of seed 0's ten networks again
        (dict(seed=1, networks=10), r"share trained networks \(training seeds 2..10\)"),
        (dict(seed=9, networks=3), r"share trained networks \(training seeds 10..10\)"),
        # the same check twice, the older one known only by its runner-given name
        (dict(seed=0, networks=10, recorded=False), r"training seeds 1..10"),
        (dict(seed=10, networks=3, rnn_batches=200), "differ in rnn_batches"),
        (dict(seed=10, networks=3, sigma=0.5, network="lstm"), "differ in network, sigma"),
        (dict(seed=10, networks=3, fits=4), r"\(quadrants, fits\) \(4, 4\) against \(4, 5\)"),
    ],
)
def test_checks_sharing_a_network_or_a_setup_difference_are_not_pooled(tmp_path, second, message):
    side = load_benchmark("evidence_side_by_side")
    paths = [
        _our_check(tmp_path, "a.json", seed=0, networks=10),
        _our_check(tmp_path, "b_seed0.json", **second),
    ]
    with pytest.raises(SystemExit, match=message):
        side.our_runs(paths)


def test_a_report_whose_networks_are_unknown_is_refused(tmp_path):
    side = load_benchmark("evidence_side_by_side")
    path = _our_check(tmp_path, "renamed.json", seed=0, networks=2, recorded=False)
    with pytest.raises(SystemExit, match=r"renamed\.json: expected a report with rnn_training"):
        side.our_runs([path])


def test_a_real_check_records_the_networks_it_trained(tmp_path):
    # the key the pooling reads comes from the check itself, with --seed (not the spec's seed)
    from mtl_theory import api
    from mtl_theory.render import json_dump  # as `check --json` writes it

    spec = {
        "theory": "evidence",
        "D": 2,
        "n_tasks": 2,
        "sigma": 0.2,
        "t": 4,
        "n_trials": 200,
        "network": "rnn",
        "rnn_batches": 20,
        "rnn_networks": 2,
        "decoder_fits": 1,
        "decoder_batches": 100,
    }
    reports = []
    for seed in (0, 2, 1):
        path = tmp_path / f"check{seed}.json"
        path.write_text(json_dump(api.check(spec, verify=True, seed=seed).to_json()))
        reports.append(str(path))
    side = load_benchmark("evidence_side_by_side")
    assert side.our_runs(reports[:2])[(2, "authors-fixed")].shape == (4, 4, 1)
    with pytest.raises(SystemExit, match=r"share trained networks \(training seeds 2..2\)"):
        side.our_runs([reports[0], reports[2]])


def test_bad_input_to_the_side_by_side_table_is_one_line_and_status_2(tmp_path, capsys):
    side = load_benchmark("evidence_side_by_side")
    a = _our_check(tmp_path, "a.json", seed=0, networks=3)
    for ours in ([str(tmp_path / "missing.json")], [a, a]):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(sys, "argv", ["evidence_side_by_side.py", "--ours", *ours])
            with pytest.raises(SystemExit) as exit_:
                side.main()
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("evidence_side_by_side.py: --ours: ")


@pytest.mark.parametrize(
    "first, last, size, sets",
    [
        (12, 20, 2, [(12, 13), (14, 15), (16, 17), (18, 19), (20, 20)]),
        (0, 4, 0, [(0, 4)]),
        (5, 8, 4, [(5, 8)]),
        (5, 8, 9, [(5, 8)]),
    ],
)
def test_the_runner_scores_its_runs_in_consecutive_sets(first, last, size, sets, tmp_path):
    runner = load_benchmark("evidence_side_by_side_run")
    assert runner.score_sets(first, last, size) == sets
    # named as evidence_authors_collect.py joins them: each set from the run after the last
    collect = _collect()
    paths = [
        _gen(
            tmp_path,
            f"gen_n3_b100_d30_f5_{f'r{a}-{b}_' if a else ''}fixed1.npz",
            np.zeros((b - a + 1, 4, 5)),
        )
        for a, b in runner.score_sets(0, last, size)
    ]
    ((*_, values, _),) = collect.runs(paths)
    assert values.shape[0] == last + 1
