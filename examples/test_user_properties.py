"""A user's own property tests of the three theories, written against the public API.

Run with ``pytest examples/test_user_properties.py`` after ``pip install "mtl-theory[test]"``.
Each test draws setups from :mod:`mtl_theory.strategies` (hypotheses holding, or one of them
failing, as decided by the theory's own hypothesis predicates) and asserts what the theory
says about them. ``max_examples`` is this file's choice: each verified example trains small
networks or runs a search, a second or so each.
"""

from hypothesis import given, settings

import mtl_theory
from mtl_theory import strategies

FEW = settings(max_examples=5, deadline=None)  # pinned: a user's choice, each example ~1 s


@FEW
@given(strategies.wta_setups(hypotheses="hold"))
def test_wta_theorem_applies_and_is_verified(setup):
    """WTA-1: where its hypotheses hold, every zero-loss code is symbolic (exhaustive search)."""
    result = mtl_theory.check(setup, verify=True)
    assert result.applies
    assert result.verified, result.verification.not_verified_reason


@FEW
@given(strategies.wta_setups(hypotheses="capacity"))
def test_wta_without_capacity_the_theorem_is_silent_and_nothing_contradicts(setup):
    """With capacity slack the theorem does not apply; the check still verifies what it says."""
    result = mtl_theory.check(setup, verify=True)
    assert not result.applies
    assert not result.contradiction


@FEW
@given(strategies.evidence_setups(hypotheses="hold"))
def test_evidence_ideal_observer_is_verified(setup):
    """EV-3/EV-5 against simulation of the ideal observer.

    Not ``quick``: the quick routes simulate too few trials to reject the alternatives they
    name (e.g. t + 1 for t), and say so ("not verified"); the full ones are sized to.
    """
    result = mtl_theory.check(setup, verify=True)
    assert result.applies and result.verified


@FEW
@given(strategies.gdln_setups(hypotheses="hold"))
def test_gdln_closed_forms_match_gradient_descent(setup):
    """GDLN-1/2/6: the closed-form mode trajectories against full-batch gradient descent."""
    result = mtl_theory.check(setup, verify=True, quick=True)
    assert result.applies and result.verified
