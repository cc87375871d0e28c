"""Exact arithmetic in the cyclotomic field Q(zeta_L), zeta_L = e^{2 pi i / L} (provenance:
``derived``).

Why reduction decides equality. A number of Q(zeta_L) is p(zeta_L) for a polynomial p with
rational coefficients. The cyclotomic polynomial Phi_L (the product of x - zeta_L^a over
the a in [1, L] prime to L) has integer coefficients, is monic and is irreducible over Q
(Dummit & Foote, *Abstract Algebra*, 3rd ed., section 13.6, Theorem 41; Lang, *Algebra*,
ch. VI, section 3). zeta_L is a root, so Phi_L is its minimal polynomial over Q. Hence
p(zeta_L) = 0 if and only if Phi_L divides p. Let r be the remainder of p modulo Phi_L:
then r(zeta_L) = p(zeta_L), and the degree of r is below phi(L) = deg Phi_L. A non-zero
rational polynomial of that degree cannot vanish at zeta_L, so p(zeta_L) = 0 if and only if
r = 0 coefficient by coefficient. The decision is in exact rational arithmetic
(:class:`fractions.Fraction`), with no floating point.

Two reductions keep the numbers small. zeta_L^L = 1, so exponents are taken modulo L; this
changes p by a multiple of x^L - 1, which Phi_L divides. And i = zeta_L^{L/4} when 4
divides L. So cos(r pi) = (zeta^a + zeta^-a) / 2 and sin(r pi) = -i (zeta^a - zeta^-a) / 2,
with a = r L / 2, are elements of Q(zeta_L) whenever 2 den(r) and 4 divide L.

This is the exact route of the even-boundary sums of EV-6
(:func:`mtl_theory.proofs.evidence.derive_even_orthogonality`); sympy's
``minimal_polynomial`` decides the same numbers, more slowly (a test compares the two).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

from mtl_theory.proofs.symbolic import Decision


@cache
def cyclotomic_polynomial(n: int) -> tuple[int, ...]:
    """Integer coefficients of Phi_n, lowest degree first.

    x^n - 1 is the product of Phi_d over the divisors d of n, so Phi_n is x^n - 1 divided
    exactly by Phi_d for every proper divisor d (monic divisors: integer long division).

    Parameters
    ----------
    n : int
        The order, n >= 1.

    Returns
    -------
    tuple of int
        Coefficients c_0, ..., c_phi(n) of Phi_n.

    Examples
    --------
    >>> cyclotomic_polynomial(1), cyclotomic_polynomial(4), cyclotomic_polynomial(6)
    ((-1, 1), (1, 0, 1), (1, -1, 1))
    """
    if n < 1:
        raise ValueError(f"cyclotomic order must be >= 1, got {n}")
    quotient: list[int] = [-1] + [0] * (n - 1) + [1]
    for d in range(1, n):
        if n % d == 0:
            quotient, remainder = _divide_monic(quotient, cyclotomic_polynomial(d))
            if any(remainder):
                raise ArithmeticError(f"Phi_{d} does not divide x^{n} - 1")  # cannot happen
    return tuple(int(c) for c in quotient)


def _divide_monic(dividend, divisor) -> tuple[list, list]:
    """Quotient and remainder of ``dividend`` by the monic ``divisor`` (lowest degree first)."""
    rest = list(dividend)
    m = len(divisor) - 1
    if divisor[-1] != 1:
        raise ValueError("the divisor must be monic")
    quotient = [0] * max(len(rest) - m, 1)
    for top in range(len(rest) - 1, m - 1, -1):
        c = rest[top]
        if c:
            quotient[top - m] = c
            for j, dj in enumerate(divisor):
                rest[top - m + j] -= c * dj
    return quotient, rest[:m]


@dataclass(frozen=True)
class CyclotomicNumber:
    """p(zeta_L) for a rational polynomial p of degree < L (exponents modulo L).

    Attributes
    ----------
    order : int
        L; zeta_L = e^{2 pi i / L}.
    coefficients : tuple of Fraction
        The coefficient of zeta_L^a at index a, for a = 0, ..., L - 1.
    """

    order: int
    coefficients: tuple[Fraction, ...]

    def __post_init__(self) -> None:
        if len(self.coefficients) != self.order:
            raise ValueError(f"need {self.order} coefficients, got {len(self.coefficients)}")

    def _same_field(self, other: CyclotomicNumber) -> None:
        if other.order != self.order:
            raise ValueError(f"orders differ: {self.order} and {other.order}")

    def __add__(self, other: CyclotomicNumber) -> CyclotomicNumber:
        self._same_field(other)
        summed = (a + b for a, b in zip(self.coefficients, other.coefficients, strict=True))
        return CyclotomicNumber(self.order, tuple(summed))

    def __sub__(self, other: CyclotomicNumber) -> CyclotomicNumber:
        return self + other.scaled(Fraction(-1))

    def __mul__(self, other: CyclotomicNumber) -> CyclotomicNumber:
        self._same_field(other)
        L = self.order
        product = [Fraction(0)] * L
        for a, ca in enumerate(self.coefficients):
            if ca:
                for b, cb in enumerate(other.coefficients):
                    if cb:
                        product[(a + b) % L] += ca * cb
        return CyclotomicNumber(L, tuple(product))

    def scaled(self, factor: Fraction | int) -> CyclotomicNumber:
        """This number times the rational ``factor``."""
        return CyclotomicNumber(self.order, tuple(factor * c for c in self.coefficients))

    def is_zero(self) -> bool:
        """Exactly zero: the remainder modulo Phi_L vanishes (see the module docstring)."""
        _, remainder = _divide_monic(self.coefficients, cyclotomic_polynomial(self.order))
        return not any(remainder)


def rational(order: int, value: Fraction | int) -> CyclotomicNumber:
    """The rational ``value`` as an element of Q(zeta_order)."""
    return root_power(order, 0).scaled(Fraction(value))


def total(order: int, terms: list[CyclotomicNumber]) -> CyclotomicNumber:
    """The sum of ``terms`` in Q(zeta_order) (0 for none)."""
    out = rational(order, 0)
    for term in terms:
        out = out + term
    return out


def root_power(order: int, exponent: int) -> CyclotomicNumber:
    """zeta_order ** exponent (any integer exponent)."""
    coefficients = [Fraction(0)] * order
    coefficients[exponent % order] = Fraction(1)
    return CyclotomicNumber(order, tuple(coefficients))


def _half_exponent(angle_over_pi: Fraction, order: int) -> int:
    """a with e^{i r pi} = zeta_order^a (r = ``angle_over_pi``); needs 2 den(r) | order."""
    a = Fraction(angle_over_pi) * order / 2
    if a.denominator != 1 or order % 4:
        raise ValueError(f"e^(i pi {angle_over_pi}) and i are not powers of zeta_{order}")
    return int(a)


def cos_pi(angle_over_pi: Fraction, order: int) -> CyclotomicNumber:
    """cos(r pi) = (zeta^a + zeta^-a) / 2 exactly, r = ``angle_over_pi``, a = r order / 2."""
    a = _half_exponent(angle_over_pi, order)
    return (root_power(order, a) + root_power(order, -a)).scaled(Fraction(1, 2))


def sin_pi(angle_over_pi: Fraction, order: int) -> CyclotomicNumber:
    """sin(r pi) = -i (zeta^a - zeta^-a) / 2 exactly, with -i = zeta^{3 order / 4}."""
    a = _half_exponent(angle_over_pi, order)
    minus_i = root_power(order, 3 * order // 4)
    return (minus_i * (root_power(order, a) - root_power(order, -a))).scaled(Fraction(1, 2))


def common_order(angles_over_pi) -> int:
    """The least L with every e^{i r pi} and i powers of zeta_L: lcm(4, 2 den(r), ...)."""
    return math.lcm(4, *(2 * Fraction(r).denominator for r in angles_over_pi))


def cyclotomic_zero_status(number: CyclotomicNumber) -> Decision:
    """``"proved"`` if ``number`` is exactly 0, else ``"refuted"`` (an exact decision: never
    undecided).

    Examples
    --------
    >>> L = common_order([Fraction(1, 3)])
    >>> half = rational(L, Fraction(1, 2))
    >>> cyclotomic_zero_status(cos_pi(Fraction(1, 3), L) - half)  # cos(pi/3) = 1/2
    'proved'
    >>> cyclotomic_zero_status(sin_pi(Fraction(1, 3), L) - half)
    'refuted'
    """
    return "proved" if number.is_zero() else "refuted"
