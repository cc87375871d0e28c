"""Number formatting for phase-diagram descriptions generated from their constants."""

from __future__ import annotations


def short_float(x: float) -> str:
    """A rate or scale as the papers write it: 0.001 -> ``1e-3``, 0.002 -> ``2e-3``, 0.5 ->
    ``0.5`` (``g`` format from 0.01 up).

    >>> short_float(1e-3), short_float(2e-3), short_float(0.02), short_float(7000.0)
    ('1e-3', '2e-3', '0.02', '7000')
    """
    if x == 0 or abs(x) >= 0.01:
        return f"{x:g}"
    mantissa, exponent = f"{x:.3g}".split("e") if "e" in f"{x:.3g}" else f"{x:.2e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def per_width(std: float, width: int) -> str:
    """An init sd written as c/width when it is a round constant over the layer's width
    (the authors' convention: ``0.005/700``), else as a number.

    >>> per_width(0.005 / 700, 700), per_width(0.02, 100)
    ('0.005/700', '0.02')
    """
    scaled = std * width
    if abs(scaled - round(scaled, 4)) <= 1e-12 * max(1.0, abs(scaled)) and scaled < 1:
        return f"{round(scaled, 4):g}/{width}"
    return f"{std:g}"
