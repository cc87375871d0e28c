"""mtl_theory.strategies: the switches mean what they say, and the theorems hold on the draws."""

import subprocess
import sys
from pathlib import Path

import pytest
from budget import share
from hypothesis import given, settings

import mtl_theory
from mtl_theory import api, strategies

ROOT = Path(__file__).resolve().parents[1]
SPECS = {
    "wta": strategies.wta_specs,
    "evidence": strategies.evidence_specs,
    "gdln": strategies.gdln_specs,
}
SWITCHES = [(t, h) for t in SPECS for h in ("hold", "fail", *strategies.HYPOTHESES[t])]


@pytest.mark.parametrize("theory,switch", SWITCHES)
def test_a_switch_gives_the_hypotheses_it_names(theory, switch):
    """Checked by the theory's predicates on every draw (cheap: no verification)."""

    @settings(max_examples=share(0.4))
    @given(SPECS[theory](switch))
    def drawn(spec):
        assert spec["theory"] == theory
        failing = {h.id for h in mtl_theory.check(spec).hypotheses if not h.holds}
        if switch == "hold":
            assert not failing
        elif switch == "fail":
            assert failing
        else:
            assert switch in failing

    drawn()


def test_an_unknown_switch_is_one_line():
    with pytest.raises(mtl_theory.UsageError, match=r"^hypotheses: expected one of .*'nope'$"):
        strategies.wta_specs("nope")


def test_every_switchable_hypothesis_is_one_the_checks_report():
    """HYPOTHESES names ids the checks really emit (a renamed id would silently never fail)."""
    for theory, ids in strategies.HYPOTHESES.items():
        assert set(ids) <= _reported_ids(theory)


def _reported_ids(theory):
    examples = sorted((ROOT / "examples").glob(f"{theory}-*.toml"))
    ids = set()
    for path in examples:
        try:
            ids |= {h.id for h in mtl_theory.check(path).hypotheses}
        except mtl_theory.SpecError:
            continue  # e.g. the too-large example, refused by design
    return ids


@settings(max_examples=share(0.4))
@given(strategies.wta_setups(hypotheses="hold"))
def test_wta_theorem_verified_on_drawn_setups(setup):
    result = mtl_theory.check(setup, verify=True)
    assert result.applies and result.verified


@settings(max_examples=share(0.4))
@given(strategies.wta_setups(hypotheses="fail"))
def test_wta_failing_hypotheses_never_contradict(setup):
    """Where WTA-1 does not apply nothing contradicts; an unverified check says why.

    (Not every such setup has an independent route: e.g. one factor of 3 values, modules
    (2, 2), tasks "sum" has only consistency checks, which is reported, not hidden.)
    """
    result = mtl_theory.check(setup, verify=True)
    assert not result.applies and not result.contradiction
    assert result.verified or result.verification.not_verified_reason


@settings(max_examples=share(0.12))
@given(strategies.gdln_setups(hypotheses="hold"))
def test_gdln_closed_forms_verified_on_drawn_setups(setup):
    result = mtl_theory.check(setup, verify=True, quick=True)
    assert result.applies and result.verified


def test_setups_from_strategies_are_the_families_types():
    for theory, fn in (
        ("wta", strategies.wta_setups),
        ("evidence", strategies.evidence_setups),
        ("gdln", strategies.gdln_setups),
    ):
        setup = fn("hold").example()
        assert isinstance(setup, api.registry().families[theory].setup_type)


@pytest.mark.slow
def test_the_users_example_file_passes_under_pytest():
    """examples/test_user_properties.py, as the README tells a user to run it."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            str(ROOT / "examples" / "test_user_properties.py"),
        ],
        cwd=ROOT / "examples",
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "4 passed" in proc.stdout
