"""Honest verdicts (issue 8): every derivation's outcome is pinned, and planted mistakes in a
derivation's formula are refuted rather than left undecided or passed as proved."""

import pytest
import sympy as sp
from mtl_theory.proofs import evidence as pe
from mtl_theory.proofs import gdln as pg
from mtl_theory.proofs import wta as pw
from mtl_theory.proofs.symbolic import (
    algebraic_zero_status,
    combine_decisions,
    equal_status,
    truth_status,
    zero_status,
)
from mtl_theory.theory import evidence as te
from mtl_theory.theory.model import combine_statuses

#: The outcome each derivation must reach. ``checked`` ones cover finite instances only and
#: state their scope; a change here is a change in what the toolkit claims, so it is pinned.
EXPECTED = {
    "WTA-L1/cases": "proved",
    "WTA-L1/brute-force": "checked",
    "WTA-DIM/rank": "proved",
    "WTA-1/counting": "proved",
    "WTA-1/exhaustive-small": "checked",
    "ev-posterior-flat": "proved",
    "ev-extraction-affine": "proved",
    "ev-eq7": "proved",
    "ev-even-orthogonality": "proved",
    "ev-gram-angles": "proved",
    "ev-ar1-effective-samples": "proved",
    "GDLN-D1": "proved",
    "GDLN-D2": "proved",
    "GDLN-D3": "proved",
    "GDLN-D4": "proved",
    "GDLN-D5": "proved",
    "GDLN-D6": "proved",
    "GDLN-D7": "proved",
    "GDLN-D8": "checked",
}

ALL = (*pw.DERIVATIONS, *pe.DERIVATIONS, *pg.DERIVATIONS)


@pytest.mark.parametrize("derive", ALL, ids=lambda d: d.__name__)
def test_every_derivation_reaches_its_pinned_outcome(derive):
    result = derive()
    assert result.id in EXPECTED, f"new derivation {result.id}: pin its outcome here"
    assert result.status == EXPECTED[result.id], result.detail
    assert result.holds
    if result.status == "checked":
        assert result.scope, "a finite check must state its scope"


def test_the_pinned_table_has_no_stale_entries():
    assert {d().id for d in ALL} == set(EXPECTED)


def test_zero_status_is_three_valued():
    x = sp.Symbol("x", real=True)
    assert zero_status(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1) == "proved"
    assert zero_status(sp.Rational(1, 3) - sp.Rational(1, 4)) == "refuted"
    assert zero_status(x**2 - x) == "refuted"  # non-zero at a point
    assert equal_status(sp.Matrix([[x, 1]]), sp.Matrix([[x, 1]])) == "proved"
    assert truth_status(sp.Eq(x, x)) == "proved" and truth_status(False) == "refuted"
    assert combine_decisions(["proved", "undecided"]) == "undecided"
    assert combine_statuses("proved", "checked") == "checked"
    assert combine_statuses("checked", "refuted") == "refuted"


@pytest.mark.parametrize(
    "wrong",
    [
        lambda s, t, v: 1 - s**2 / ((t + 1) * v),  # the figure script's timing + 1
        lambda s, t, v: v / (v + s**2 / t),  # shrinkage in place of Eq. 7
        lambda s, t, v: 1 - s / (t * v),  # sigma in place of sigma^2
    ],
)
def test_a_wrong_eq7_expression_is_refuted_not_undecided(monkeypatch, wrong):
    """The planted bug of issue 8: a wrong sympy Eq. 7 used to pass verify as 'undecided'."""
    sigma, t, V = sp.symbols("sigma t V", positive=True)
    monkeypatch.setattr(te, "r2_eq7_expression", lambda: wrong(sigma, t, V))
    assert pe.derive_eq7().status == "refuted"


def test_algebraic_zero_is_decided_exactly_not_by_rounding():
    """EV-6's cross-check for N = 2..12 used nsimplify, which rounds (5 + e^-100 -> 5): a
    false identity within 1e-43 would have been "proved". Minimal polynomials are exact."""
    assert sp.nsimplify(5 + sp.exp(-100)) == 5  # the trap
    assert algebraic_zero_status(5 + sp.exp(-100) - 5) == "undecided"  # not algebraic
    near = sp.sqrt(2) - sp.Rational(141421356237309504880, 10**20)  # 1.7e-21 away from 0
    assert algebraic_zero_status(near) == "refuted"
    sines = sum(sp.sin(sp.pi * (2 * j + 1) / 22) ** 2 for j in range(11))
    assert algebraic_zero_status(sines - sp.Rational(11, 2)) == "proved"
