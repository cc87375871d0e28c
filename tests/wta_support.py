"""Shared helpers of the WTA tests: build a setup from spec keys, and a code's design matrix.

The design matrix is built here, in the tests, from the code alone (not by numerics/wta.py),
so the readout losses the tests compute are an independent route.
"""

import numpy as np

from mtl_theory.families.wta import FAMILY


def make(factors, modules, tasks="factor-onehot", **kw):
    spec = {"factors": list(factors), "modules": list(modules), "tasks": tasks, **kw}
    return FAMILY.build(FAMILY.schema.validate(spec))


def code_design(setup, code) -> np.ndarray:
    """Columns [1, one-hot of every unit of every module] over the training points."""
    sup = setup.support
    return np.column_stack(
        [np.ones(len(sup))]
        + [
            (np.asarray(c)[sup] == u).astype(float)
            for c, m in zip(code, setup.modules, strict=True)
            for u in range(m)
        ]
    )


def central_differences(fun, params, names):
    """Central differences (h = 1e-6) of the scalar fun() w.r.t. every entry of params[name]."""
    h = 1e-6
    out = {}
    for name in names:
        value = params[name]
        num = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            old = value[idx]
            value[idx] = old + h
            up = fun()
            value[idx] = old - h
            down = fun()
            value[idx] = old
            num[idx] = (up - down) / (2 * h)
        out[name] = num
    return out
