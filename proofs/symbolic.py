"""Three-valued symbolic decisions for the derivations: proved, refuted or undecided.

sympy's ``simplify(e) == 0`` is two-valued and conflates "e is not zero" with "sympy could
not show that e is zero". The derivations need the distinction (issue 8): a step whose
difference is a non-zero number, or non-zero at an exactly evaluated point, is *refuted*; a
step sympy can neither reduce to zero nor show non-zero is *undecided*, which never counts as
holding. sympy's own three-valued ``Expr.equals`` (True / False / None) does the second half.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import sympy as sp
from mtl_theory.theory.model import combine_statuses

Decision = Literal["proved", "refuted", "undecided"]


def zero_status(expression: sp.Basic | int | float) -> Decision:
    """Is ``expression`` identically zero (under its symbols' assumptions)?

    Returns ``"proved"`` when it simplifies to 0, ``"refuted"`` when it is a non-zero number
    or sympy finds a point where it is non-zero (``Expr.equals(0)`` is False), and
    ``"undecided"`` otherwise.

    Examples
    --------
    >>> x = sp.Symbol("x", real=True)
    >>> zero_status(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1)
    'proved'
    >>> zero_status(sp.Rational(122, 125) - sp.Rational(121, 125))
    'refuted'
    >>> zero_status(x - 1)
    'refuted'
    """
    e = sp.sympify(expression)
    if isinstance(e, sp.MatrixBase):
        return combine_decisions(zero_status(entry) for entry in e)
    simplified = sp.simplify(e)
    if simplified == 0:
        return "proved"
    if simplified.is_number:
        value = simplified.is_zero
        if value is False:
            return "refuted"
        if value is True:
            return "proved"
    verdict = simplified.equals(0)
    if verdict is True:
        return "proved"
    if verdict is False:
        return "refuted"
    return "undecided"


def algebraic_zero_status(number: sp.Basic | int) -> Decision:
    """Is the algebraic number ``number`` exactly zero? Its minimal polynomial over Q is x
    exactly when it is 0: an exact decision, with no floating point (unlike ``nsimplify``,
    whose PSLQ rounds 5 + e^-100 to 5). A number sympy cannot show algebraic is undecided.

    Examples
    --------
    >>> squares = sum(sp.cos(sp.pi * (2 * j + 1) / 14) ** 2 for j in range(7))
    >>> algebraic_zero_status(squares - sp.Rational(7, 2)), algebraic_zero_status(squares - 3)
    ('proved', 'refuted')
    >>> algebraic_zero_status(sp.exp(-100))  # nsimplify(5 + exp(-100)) is 5
    'undecided'
    """
    x = sp.Dummy("x")
    try:
        polynomial = sp.minimal_polynomial(sp.sympify(number), x)
    except (sp.polys.polyerrors.NotAlgebraic, NotImplementedError):
        return "undecided"
    return "proved" if polynomial == x else "refuted"


def equal_status(left: sp.Basic | int | float, right: sp.Basic | int | float) -> Decision:
    """``zero_status(left - right)`` (matrices entrywise)."""
    return zero_status(sp.sympify(left) - sp.sympify(right))


def truth_status(value: bool | sp.Basic) -> Decision:
    """A sympy boolean or a Python bool: True proves, False refutes, anything else undecided."""
    if value is True or value == sp.true:
        return "proved"
    if value is False or value == sp.false:
        return "refuted"
    return "undecided"


def combine_decisions(decisions: Iterable[Decision]) -> Decision:
    """Refuted if any step is refuted, else undecided if any is, else proved.

    The three-valued case of :func:`mtl_theory.theory.model.combine_statuses` (one rule).
    """
    found = tuple(decisions)
    return combine_statuses(*found) if found else "proved"  # type: ignore[return-value]
