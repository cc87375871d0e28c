"""Example budgets of costly property tests, as shares of the active hypothesis profile.

A property test whose examples cost a second or more draws a share of the profile's
``max_examples`` rather than a fixed number, so the profile keeps control: ``ci`` runs the
share of its budget and ``HYPOTHESIS_PROFILE=dev`` (10x the ``ci`` budget) scales every test
by the same factor. tests/conftest.py loads the profile before any test module is imported.
"""

from hypothesis import settings


def share(fraction: float) -> int:
    """``fraction`` of the active profile's ``max_examples`` (at least 1)."""
    return max(1, round(settings.default.max_examples * fraction))
