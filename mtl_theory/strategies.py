"""Hypothesis strategies for property tests of the theorems, in the toolkit's and in yours.

Each strategy draws *spec dicts* of one theory from the keys' declared domains (the
family's :class:`mtl_theory.spec.Schema`, intersected with a range small enough that a
verification takes seconds), builds them through the same validation as ``mtl-theory
check``, and keeps only draws whose hypotheses are as requested — decided by the theory's
own hypothesis predicates, not by how the draw was made:

``hypotheses="hold"``
    every hypothesis of the theorem holds (the theorem applies);
``hypotheses="fail"``
    at least one fails;
``hypotheses="<id>"``
    hypothesis ``<id>`` fails (the others may hold or fail), e.g. ``"capacity"`` for WTA.

``*_specs`` give the dicts (JSON-ready, shrink to small setups); ``*_setups`` the built setup
dataclasses, which :func:`mtl_theory.check` takes directly::

    from hypothesis import given
    import mtl_theory
    from mtl_theory import strategies

    @given(strategies.wta_setups(hypotheses="hold"))
    def test_symbolic_codes(setup):
        assert mtl_theory.check(setup, verify=True).verified

Requires the ``hypothesis`` package (``pip install "mtl-theory[test]"``).

Examples
--------
>>> from mtl_theory import strategies
>>> spec = strategies.wta_specs(hypotheses="capacity").example()  # doctest: +SKIP
>>> sorted(strategies.HYPOTHESES["wta"])
['capacity', 'full-support', 'task-span']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised only without the test extra
    raise ImportError(
        "mtl_theory.strategies needs the hypothesis package: pip install 'mtl-theory[test]'"
    ) from exc

from . import api
from .spec import Integer, IntegerList, Real, RealList

#: The hypotheses each theory's strategies can switch, by the ids its checks report. The
#: GDLN ids are those of the models the strategies draw (linear, deep-linear, gated).
HYPOTHESES: Mapping[str, tuple[str, ...]] = {
    "wta": ("capacity", "full-support", "task-span"),
    "evidence": ("noise-positive", "rank"),
    "gdln": ("small-init", "gd-stable"),
}

#: Exhaustive search stays below this many codes in drawn WTA setups (about a second).
WTA_MAX_CODES = 200_000


def _domain(theory: str, key: str, lo: float, hi: float) -> tuple[float, float]:
    """``[lo, hi]`` intersected with the schema's declared domain of ``key`` (of its elements,
    for a list key)."""
    field = api.registry().families[theory].schema.fields[key]
    if not isinstance(field, (Integer, Real, IntegerList, RealList)):
        raise TypeError(f"{theory}.{key} is not a number")
    if field.minimum is not None:
        lo = max(lo, field.minimum)
    if field.maximum is not None:
        hi = min(hi, field.maximum)
    if lo > hi:
        raise ValueError(f"{theory}.{key}: the drawn range is outside the schema's domain")
    return lo, hi


def _integers(theory: str, key: str, lo: int, hi: int) -> st.SearchStrategy[int]:
    a, b = _domain(theory, key, lo, hi)
    return st.integers(math.ceil(a), math.floor(b))


def _log_reals(theory: str, key: str, lo: float, hi: float) -> st.SearchStrategy[float]:
    """Reals spread evenly in log scale over the intersected domain (positive keys)."""
    a, b = _domain(theory, key, lo, hi)
    return st.floats(math.log10(a), math.log10(b)).map(lambda e: float(10.0**e))


def _switch(hypotheses: str, theory: str) -> str:
    allowed = ("hold", "fail", *HYPOTHESES[theory])
    if hypotheses not in allowed:
        raise api.UsageError(
            f"hypotheses: expected one of {', '.join(map(repr, allowed))} for {theory}, "
            f"given {hypotheses!r}"
        )
    return hypotheses


def _as_requested(spec: dict[str, Any], hypotheses: str) -> bool:
    """Do the theory's own predicates give the requested hypothesis pattern for ``spec``?"""
    result = api.check(spec)  # hypotheses and predictions only: cheap
    failing = {h.id for h in result.hypotheses if not h.holds}
    if hypotheses == "hold":
        return not failing
    if hypotheses == "fail":
        return bool(failing)
    return hypotheses in failing


def _filtered(specs: st.SearchStrategy[dict[str, Any]], hypotheses: str):
    def keep(spec: dict[str, Any]) -> dict[str, Any]:
        assume(_as_requested(spec, hypotheses))
        return spec

    return specs.map(keep)


def _specs(theory: str, raw, hypotheses: str, keep=None) -> st.SearchStrategy[dict[str, Any]]:
    """Specs of ``theory`` from its raw drawer (``raw(kind)``, kind "hold" or a hypothesis
    id; "fail" draws a random one), kept when ``keep`` says so and the predicates agree."""
    hypotheses = _switch(hypotheses, theory)
    if hypotheses == "fail":
        drawn = st.sampled_from(HYPOTHESES[theory]).flatmap(raw)
    else:
        drawn = raw(hypotheses)
    return _filtered(drawn if keep is None else drawn.filter(keep), hypotheses)


# --------------------------------------------------------------------------- WTA


@st.composite
def _wta_raw(draw, kind: str) -> dict[str, Any]:
    k = draw(st.integers(1, 3))
    factors = draw(st.lists(_integers("wta", "factors", 2, 3), min_size=k, max_size=k))
    budget = sum(n - 1 for n in factors)  # dim A - 1: what capacity with equality needs
    if kind == "capacity":
        budget += draw(st.integers(1, 2))  # slack >= 1
    n_points = math.prod(factors)
    modules: list[int] = []
    while budget > 0 and len(modules) < 3:
        # a module has at most |Z| units (more could never all win: the spec refuses them)
        m = draw(st.integers(2, min(4, budget + 1, n_points)))
        modules.append(m)
        budget -= m - 1
    if not modules:
        modules = [2]
    spec: dict[str, Any] = {"theory": "wta", "factors": factors, "modules": modules}
    if kind == "task-span":
        kinds = ["sum", "random-additive"] + (["xor"] if k >= 2 else [])  # xor needs 2 factors
        spec["tasks"] = draw(st.sampled_from(kinds))
        if spec["tasks"] == "random-additive":
            spec["n_tasks"] = 1
            spec["seed"] = draw(st.integers(0, 100))
    else:
        spec["tasks"] = draw(st.sampled_from(["factor-onehot", "random-additive"]))
        if spec["tasks"] == "random-additive":
            dim_a = 1 + sum(n - 1 for n in factors)
            spec["n_tasks"] = dim_a - 1 + draw(st.integers(0, 1))
            spec["seed"] = draw(st.integers(0, 100))
    if kind == "full-support":
        spec["holdout"] = draw(
            st.lists(
                st.integers(0, n_points - 1),
                min_size=1,
                max_size=min(2, n_points - 1),
                unique=True,
            )
        )
    return spec


def _wta_small(spec: dict[str, Any]) -> bool:
    from mtl_theory.numerics.wta import count_codes

    return count_codes(math.prod(spec["factors"]), tuple(spec["modules"])) <= WTA_MAX_CODES


def wta_specs(hypotheses: str = "hold") -> st.SearchStrategy[dict[str, Any]]:
    """WTA specs: 1-3 factors of 2-3 values, up to 3 modules, tasks of the schema's kinds.

    ``"hold"`` draws modules at capacity with equality and spanning tasks; a named hypothesis
    (``"capacity"``, ``"task-span"``, ``"full-support"``) is broken by construction (slack
    >= 1; one non-spanning task; held-out grid points); then the theory's predicates decide.
    Setups stay small enough for exhaustive search (``WTA_MAX_CODES``).
    """
    return _specs("wta", _wta_raw, hypotheses, keep=_wta_small)


def wta_setups(hypotheses: str = "hold"):
    """Built WTA setups (:class:`mtl_theory.theory.wta.WTASetup`) of :func:`wta_specs`.

    Examples
    --------
    >>> import mtl_theory
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=3, derandomize=True, database=None)
    ... @given(wta_setups(hypotheses="hold"))
    ... def test_the_theorem_applies(setup):
    ...     assert mtl_theory.check(setup).applies
    >>> test_the_theorem_applies()
    >>> @settings(max_examples=3, derandomize=True, database=None)
    ... @given(wta_setups(hypotheses="capacity"))
    ... def test_it_does_not_apply_without_capacity(setup):
    ...     assert not mtl_theory.check(setup).applies
    >>> test_it_does_not_apply_without_capacity()
    """
    return wta_specs(hypotheses).map(lambda s: api.load_spec(s).setup)


# --------------------------------------------------------------------------- EVIDENCE


@st.composite
def _evidence_raw(draw, kind: str) -> dict[str, Any]:
    D = draw(_integers("evidence", "D", 2 if kind == "rank" else 1, 3))
    if kind == "rank":
        n_tasks = draw(st.integers(1, D - 1))
    else:
        n_tasks = draw(_integers("evidence", "n_tasks", D, D + 4))
    sigma = 0.0 if kind == "noise-positive" else draw(_log_reals("evidence", "sigma", 0.1, 0.5))
    return {
        "theory": "evidence",
        "D": D,
        "n_tasks": n_tasks,
        "boundaries": "random",
        "seed": draw(_integers("evidence", "seed", 0, 1000)),
        "sigma": sigma,
        "t": draw(_integers("evidence", "t", 2, 30)),
    }


def evidence_specs(hypotheses: str = "hold") -> st.SearchStrategy[dict[str, Any]]:
    """EVIDENCE specs: D = 1-3, random task normals, sigma in [0.1, 0.5], t = 2-30.

    ``"rank"`` draws fewer tasks than dimensions; ``"noise-positive"`` sets sigma = 0.
    """
    return _specs("evidence", _evidence_raw, hypotheses)


def evidence_setups(hypotheses: str = "hold"):
    """Built EVIDENCE setups (:class:`mtl_theory.theory.evidence.EvidenceSetup`)."""
    return evidence_specs(hypotheses).map(lambda s: api.load_spec(s).setup)


# --------------------------------------------------------------------------- GDLN


@st.composite
def _gdln_raw(draw, kind: str) -> dict[str, Any]:
    # The gated race has no GD-stability hypothesis (its check integrates the flow). A broken
    # small-init is drawn for the gated race only: for the linear models it means a0 >= s/d,
    # beyond the fixed point, where the closed forms are not defined (issue 14: refused there).
    models = {"gd-stable": ["linear", "deep-linear"], "small-init": ["gated"]}.get(
        kind, ["linear", "deep-linear", "gated"]
    )
    model = draw(st.sampled_from(models))
    spec: dict[str, Any] = {
        "theory": "gdln",
        "model": model,
        "hidden": [8] if model != "deep-linear" else [8, 8],
        "epochs": draw(_integers("gdln", "epochs", 1500, 3000)),
    }
    if kind == "small-init":
        # above 0.01 × the fixed-point scale (≤ 0.077 for these gates and scales), below the
        # build limit min S_pk/Σ_j D_jp (≥ 0.5 for them)
        spec["a0"] = draw(_log_reals("gdln", "a0", 0.1, 0.45))
    else:
        spec["a0"] = draw(_log_reals("gdln", "a0", 1e-4, 1e-2 if model != "deep-linear" else 3e-2))
    if kind == "gd-stable":
        spec["lr"] = draw(_log_reals("gdln", "lr", 1.0, 10.0))
    else:
        spec["lr"] = draw(_log_reals("gdln", "lr", 5e-4, 2e-3))
    if model == "gated":
        spec["race_gates"] = draw(st.sampled_from([[[1, 1], [1, 0]], [[1, 0], [0, 1]]]))
        spec["condition_scales"] = [1.0, draw(st.sampled_from([0.5, 1.0, 2.0]))]
    return spec


def gdln_specs(hypotheses: str = "hold") -> st.SearchStrategy[dict[str, Any]]:
    """GDLN specs of the linear, deep-linear and gated-race models (the Saxe hierarchy).

    ``"small-init"`` draws a gated race with a0 = 0.1-0.45 (against its fixed-point scale);
    ``"gd-stable"`` a linear or deep-linear model with a learning rate of 1-10.
    """
    return _specs("gdln", _gdln_raw, hypotheses)


def gdln_setups(hypotheses: str = "hold"):
    """Built GDLN setups (the per-model types of :data:`mtl_theory.theory.gdln.GdlnSetup`)."""
    return gdln_specs(hypotheses).map(lambda s: api.load_spec(s).setup)
