"""Floating-point precision of the training kernels: float64 always, float32 on request.

float64 is the toolkit's arithmetic everywhere. ``float32`` is an explicit option for
exploratory phase diagrams only (``mtl-theory phase NAME --dtype float32``): the training
loops that dominate those diagrams' time (GDLN full-batch GD, the EVIDENCE RNN / LSTM /
transformer) then run in single precision. ``check --verify`` and ``verify`` never use it:
their tolerances are derived for float64.

A kernel honours a dtype by casting its inputs once (:func:`cast`) and allocating every
buffer with that dtype; with ``"float64"`` the cast is a plain copy, so the float64
arithmetic is unchanged bit for bit. The random streams never depend on the dtype (draws are
made in float64 and then cast), so a float32 run starts from the float64 run's initial
weights rounded to float32 and sees the same data.
"""

from __future__ import annotations

import numpy as np

#: The dtypes a training kernel accepts, the default first.
DTYPES: tuple[str, ...] = ("float64", "float32")
DEFAULT_DTYPE = DTYPES[0]


def numpy_dtype(name: str) -> np.dtype:
    """The numpy dtype of ``name`` (one of :data:`DTYPES`); ValueError naming the choices.

    Examples
    --------
    >>> numpy_dtype("float32")
    dtype('float32')
    """
    if name not in DTYPES:
        raise ValueError(f"dtype: expected one of {', '.join(DTYPES)}, given {name!r}")
    return np.dtype(name)


def cast(array: np.ndarray, name: str) -> np.ndarray:
    """A C-ordered copy of ``array`` in the dtype ``name``: what ``array.copy()`` gives for a
    float64 array and ``"float64"``, layout included (a matrix product's rounding can depend
    on its operands' memory layout, so the float64 path must keep the layout it had)."""
    return np.array(array, dtype=numpy_dtype(name), copy=True, order="C")


def as_dtype(array: np.ndarray, name: str) -> np.ndarray:
    """``array`` itself if it has the dtype ``name`` already, else a converted copy (for data
    that is only read: the float64 path keeps the very same array)."""
    return array.astype(numpy_dtype(name), copy=False)
