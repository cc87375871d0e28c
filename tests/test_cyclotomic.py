"""The exact cyclotomic route of EV-6's even-boundary sums against sympy's minimal polynomials.

``derive_even_orthogonality`` used to decide its exact sums N = 2..12 by
``algebraic_zero_status`` (sympy's ``minimal_polynomial``, ~1.5 s); it now reduces them
modulo the cyclotomic polynomial Phi_4N (proofs/cyclotomic.py). Both routes must give the
same decision on the same instances, and both must refute wrong identities.
"""

from fractions import Fraction

import pytest
import sympy as sp
from mtl_theory.proofs import cyclotomic as cyc
from mtl_theory.proofs.evidence import derive_even_orthogonality, even_boundary_sums_exact
from mtl_theory.proofs.symbolic import algebraic_zero_status


def sums_by_minimal_polynomial(angles_over_pi, half):
    """The previous route, verbatim: sympy cos/sin of r pi, decided by minimal polynomials."""
    phis = [sp.pi * sp.Rational(r.numerator, r.denominator) for r in angles_over_pi]
    claimed = sp.Rational(half.numerator, half.denominator)
    return [
        algebraic_zero_status(sum(sp.cos(p) ** 2 for p in phis) - claimed),
        algebraic_zero_status(sum(sp.sin(p) ** 2 for p in phis) - claimed),
        algebraic_zero_status(sum(sp.sin(p) * sp.cos(p) for p in phis)),
    ]


def even_angles(n, denominator_n=None):
    """phi_k / pi = (2k + 1) / (2 m), k < n, with m = n (the even boundaries) or another m."""
    m = n if denominator_n is None else denominator_n
    return [Fraction(2 * k + 1, 2 * m) for k in range(n)]


@pytest.mark.parametrize("n", range(1, 61))
def test_cyclotomic_polynomial_is_sympys(n):
    x = sp.Symbol("x")
    theirs = sp.Poly(sp.cyclotomic_poly(n, x), x).all_coeffs()[::-1]
    assert cyc.cyclotomic_polynomial(n) == tuple(int(c) for c in theirs)


@pytest.mark.parametrize("n", range(2, 13))
def test_even_sums_same_decision_as_minimal_polynomials(n):
    """The derivation's instances N = 2..12: both routes prove all three sums."""
    angles, half = even_angles(n), Fraction(n, 2)
    new = even_boundary_sums_exact(angles, half)
    assert new == sums_by_minimal_polynomial(angles, half)
    assert new == ["proved"] * 3


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 8])
def test_both_routes_refute_an_off_by_one_angle(n):
    """Planted error: N angles spaced pi/(N+1) (the denominator off by one) do not sum to
    N/2 and their products do not cancel; both routes refute all three sums."""
    angles, half = even_angles(n, denominator_n=n + 1), Fraction(n, 2)
    new = even_boundary_sums_exact(angles, half)
    assert new == sums_by_minimal_polynomial(angles, half)
    assert new == ["refuted"] * 3


@pytest.mark.parametrize("n", [2, 5, 7, 12])
def test_both_routes_refute_a_wrong_constant(n):
    """Planted error: the right angles against N/2 + 1/(4N); the product sum still holds."""
    angles, half = even_angles(n), Fraction(n, 2) + Fraction(1, 4 * n)
    new = even_boundary_sums_exact(angles, half)
    assert new == sums_by_minimal_polynomial(angles, half)
    assert new == ["refuted", "refuted", "proved"]


@pytest.mark.parametrize(
    ("r", "s"), [(Fraction(1, 3), Fraction(1, 5)), (Fraction(2, 7), Fraction(3, 4))]
)
def test_trig_identities_in_the_cyclotomic_field(r, s):
    """cos^2 + sin^2 = 1, the product formula and the known values, exactly; a wrong
    product formula (sign flipped) is refuted."""
    L = cyc.common_order([r, s, r + s, r - s])
    one = cyc.rational(L, 1)
    assert (
        cyc.cyclotomic_zero_status(
            cyc.cos_pi(r, L) * cyc.cos_pi(r, L) + cyc.sin_pi(r, L) * cyc.sin_pi(r, L) - one
        )
        == "proved"
    )
    product = cyc.cos_pi(r, L) * cyc.cos_pi(s, L)
    formula = (cyc.cos_pi(r + s, L) + cyc.cos_pi(r - s, L)).scaled(Fraction(1, 2))
    wrong = (cyc.cos_pi(r + s, L) - cyc.cos_pi(r - s, L)).scaled(Fraction(1, 2))
    assert cyc.cyclotomic_zero_status(product - formula) == "proved"
    assert cyc.cyclotomic_zero_status(product - wrong) == "refuted"
    L6 = cyc.common_order([Fraction(1, 6)])
    three_quarters = cyc.rational(L6, Fraction(3, 4))
    cos6 = cyc.cos_pi(Fraction(1, 6), L6)
    assert cyc.cyclotomic_zero_status(cos6 * cos6 - three_quarters) == "proved"
    assert cyc.cyclotomic_zero_status(cos6 - cyc.rational(L6, Fraction(1, 2))) == "refuted"


def test_angles_outside_the_field_are_rejected():
    with pytest.raises(ValueError, match="not powers of zeta_8"):
        cyc.cos_pi(Fraction(1, 8), 8)
    with pytest.raises(ValueError, match="orders differ"):
        cyc.root_power(8, 1) + cyc.root_power(12, 1)


def test_derivation_proves_with_the_cyclotomic_route():
    d = derive_even_orthogonality(max_n=5)
    assert d.status == "proved"
    assert "Phi_4N" in d.method and "exact N = 2..5 proved" in d.detail
