"""What a theory family plugs into the front door, and the registry that finds them.

A family lives in ``mtl_theory/families/<name>.py`` and exposes one module-level object,
``FAMILY``, a :class:`Family`. Everything theory-specific (spec keys, the setup it builds,
the check, derivations, the default verification suite, phase diagrams) hangs off it; the
command line, the report and the sweep engine are written once for all families.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtl_theory.numerics.precision import DEFAULT_DTYPE
from mtl_theory.theory.model import CheckOptions, CheckResult, Derivation, Statement

from .spec import Schema

__all__ = ["CheckOptions", "Family", "PhaseDiagram", "Registry", "SuiteCase", "load_registry"]

#: The families the toolkit knows, in the order reports list them.
FAMILY_NAMES: tuple[str, ...] = ("wta", "evidence", "gdln")


@dataclass(frozen=True)
class SuiteCase:
    """One setup of the default verification suite: a name, a spec and whether it is quick.

    A case is expected to be *verified* (an independent route agrees with power to disagree);
    if it is not, ``mtl-theory verify`` fails. A case that by design has only consistency
    checks sets ``expect_verified=False`` and says why in ``unverified_reason``.

    ``expect_applies`` (None: not stated) says whether the theorem's hypotheses hold for this
    setup; ``verify`` fails when the check's hypothesis predicates say otherwise, so a broken
    predicate cannot switch a theorem off (or on) while its case still "verifies".

    ``pinned_finding`` names the comparisons (by quantity) that are *expected to disagree*: a
    statement of ours found false, kept in the suite like a pinned counterexample. The case
    holds when exactly those disagree, and ``verify`` lists it with ``finding_reason``; if the
    contradiction vanishes or moves, the case fails.

    ``full = False`` keeps a quick case out of the full suite, where another case already runs
    its setup at full size with more draws; ``quick_only_reason`` names that case (``verify``
    and ``mtl-theory list`` say so).

    ``cost_seconds`` is the expected CPU time of the full-suite run (measured by
    ``benchmarks/bench_verify_profile.py``, relative to the other cases); it only orders the
    work when ``verify`` runs in several processes (longest first) and never changes a
    result. A long case left at the default is started last and becomes the run's tail.
    """

    name: str
    spec: Mapping[str, Any]
    quick: bool = True
    seed: int = 0
    expect_verified: bool = True
    unverified_reason: str = ""
    expect_applies: bool | None = None
    pinned_finding: tuple[str, ...] = ()
    finding_reason: str = ""
    cost_seconds: float = 1.0
    full: bool = True
    quick_only_reason: str = ""

    def __post_init__(self) -> None:
        if not (self.quick or self.full):
            raise ValueError(f"suite case {self.name}: in neither the quick nor the full suite")
        if not self.full and not self.quick_only_reason:
            raise ValueError(f"suite case {self.name}: say which full-suite case covers it")
        if not self.expect_verified and not self.unverified_reason:
            raise ValueError(f"suite case {self.name}: say why it is not expected to verify")
        if self.pinned_finding and not self.finding_reason:
            raise ValueError(f"suite case {self.name}: say what the pinned finding is")


@dataclass(frozen=True)
class PhaseDiagram:
    """A phase diagram: parameter points, a pure per-point computation and a renderer.

    Parameters
    ----------
    name : str
        Registry name (``"wta-capacity-tasks"``); also the stem of the PNG and CSV files.
    theory : str
        Family name.
    title, description : str
        Shown in ``mtl-theory list`` and in ``figures/README.md``; the description says what
        is measured, which boundary is predicted and the provenance of the prediction.
    points : callable () -> sequence of dict
        The grid, each point a dict of JSON scalars (parameters).
    compute : callable (params, seed) -> dict
        A module-level (picklable) pure function; the seed is derived by the sweep engine
        from (diagram, point, base seed). Returns a dict of JSON data.
    render : callable (records, figure) -> None
        Draws the measured map with the theory's predicted boundary over it onto a
        matplotlib ``Figure``; ``records`` are
        :class:`mtl_theory.numerics.sweep.PointRecord` in grid order.
    dtypes : tuple of str, default ("float64",)
        The arithmetic ``compute`` can run its training loops in
        (:data:`mtl_theory.numerics.precision.DTYPES`). A diagram listing ``"float32"``
        takes ``compute(params, seed, dtype="float32")`` (``phase --dtype float32``,
        exploratory only); every other diagram refuses float32.
    cost : callable (params) -> Cost, optional
        The point's estimated seconds of one idle core and peak memory
        (:mod:`mtl_theory.cost`): the sweep runs the longest points first, prints the
        estimated total before it starts and an ETA while it runs. Never changes a result.
    paper_points : callable () -> sequence of dict, optional
        The grid at the paper's full budget (``phase NAME --paper-budget``), written as
        ``NAME-paper.png`` / ``.csv``; ``compute`` reads the budget from the points.
    """

    name: str
    theory: str
    title: str
    description: str
    points: Callable[[], Sequence[Mapping[str, Any]]]
    compute: Callable[[Mapping[str, Any], int], Mapping[str, Any]]
    render: Callable[[Sequence[Any], Any], None]
    dtypes: tuple[str, ...] = (DEFAULT_DTYPE,)
    cost: Callable[[Mapping[str, Any]], Any] | None = None
    paper_points: Callable[[], Sequence[Mapping[str, Any]]] | None = None


@dataclass(frozen=True)
class Family:
    """A theory family as the front door sees it.

    Parameters
    ----------
    name : str
        ``"wta"``, ``"evidence"`` or ``"gdln"``: the spec's ``theory`` value.
    title : str
        One line for listings.
    schema : Schema
        The spec keys (validated before anything runs).
    build : callable (validated spec dict) -> setup
        Cross-key checks; raises :class:`mtl_theory.spec.SpecError` naming the key.
    check : callable (setup, CheckOptions) -> CheckResult
        Hypotheses, predictions and (with ``options.verify``) the verification.
    statements : tuple of Statement
        Every theorem, lemma, formula and claim of the family, with provenance.
    derivations : tuple of callables () -> Derivation
        The machine-checked derivations (``proofs/<name>.py``).
    suite : tuple of SuiteCase
        The default setups of ``mtl-theory verify``.
    diagrams : tuple of PhaseDiagram
    methods : tuple of str
        Values accepted by ``check --method`` besides ``"auto"``.
    report_figures : callable (results, directory) -> list of Path, optional
        Figures for ``report.md``, drawn from the suite's check results.
    setup_type : type or union of types, optional
        The class (or union of classes, one per model) ``build`` returns, so that
        :func:`mtl_theory.check` accepts a setup made in Python and finds its family.
    """

    name: str
    title: str
    schema: Schema
    build: Callable[[Mapping[str, Any]], Any]
    check: Callable[[Any, CheckOptions], CheckResult]
    statements: tuple[Statement, ...] = ()
    derivations: tuple[Callable[[], Derivation], ...] = ()
    suite: tuple[SuiteCase, ...] = ()
    diagrams: tuple[PhaseDiagram, ...] = ()
    methods: tuple[str, ...] = ()
    report_figures: Callable[[Sequence[CheckResult], Path], list[Path]] | None = None
    setup_type: Any = None


@dataclass(frozen=True)
class Registry:
    """The families that are installed, and the names of those not yet implemented."""

    families: Mapping[str, Family] = field(default_factory=dict)
    missing: tuple[str, ...] = ()

    def diagrams(self) -> dict[str, PhaseDiagram]:
        return {d.name: d for f in self.families.values() for d in f.diagrams}


def load_registry(names: Sequence[str] = FAMILY_NAMES) -> Registry:
    """Import ``mtl_theory.families.<name>`` for each family that exists.

    A family whose module is absent is listed as missing (``verify`` says so) rather than
    failing the whole toolkit; any other import error is a bug and propagates.
    """
    found: dict[str, Family] = {}
    missing: list[str] = []
    for name in names:
        module_name = f"mtl_theory.families.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            missing.append(name)
            continue
        family = module.FAMILY
        if family.name != name:
            raise RuntimeError(f"{module_name}.FAMILY is named {family.name!r}, not {name!r}")
        found[name] = family
    return Registry(families=found, missing=tuple(missing))
