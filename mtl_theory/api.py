"""The Python API: everything the command line does, as functions that return objects.

``mtl-theory check | verify | phase | list`` are thin clients of :func:`check`,
:func:`verify_all`, :func:`phase` and :func:`theories`; the objects returned render in
Jupyter (``_repr_markdown_`` / ``_repr_html_``) and keep ``to_json()``, whose keys are the
command line's JSON contract (DESIGN.md).

Errors are exceptions, not exit codes: an invalid spec raises
:class:`mtl_theory.spec.SpecError` and an invalid argument :class:`UsageError`; both are
:class:`ValueError` and their message is the one line the command line prints.

Every computation runs with one BLAS thread in this process
(:func:`mtl_theory.numerics.blas.single_blas_thread`), as ``phase`` workers do, so a check
from Python, from the shell and inside a sweep computes the same products and rounds
identically.

Examples
--------
>>> import mtl_theory
>>> spec = {"theory": "wta", "factors": [2, 3], "modules": [2, 3], "tasks": "factor-onehot"}
>>> result = mtl_theory.check(spec)
>>> result.applies, result.statement.id
(True, 'WTA-1')
>>> [t.name for t in mtl_theory.theories()]
['wta', 'evidence', 'gdln']
"""

from __future__ import annotations

import base64
import difflib
import os
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from mtl_theory.numerics import progress
from mtl_theory.numerics.blas import single_blas_thread
from mtl_theory.numerics.precision import DEFAULT_DTYPE, DTYPES
from mtl_theory.theory import model

from .cost import (
    DEFAULT_MEMORY_GIB,
    DEFAULT_SECONDS,
    LONG_ROUTE_SECONDS,
    Budget,
    long_route_notice,
    over_budget,
)
from .registry import FAMILY_NAMES, CheckOptions, Family, PhaseDiagram, Registry, load_registry
from .render import markdown_check, render_check
from .safety import GuardError, check_scheduler, check_writable_dir, remove_stale_temporaries
from .spec import SpecError, family_of, read_spec_file

SpecLike = str | os.PathLike[str] | Mapping[str, Any]


class UsageError(ValueError):
    """An invalid argument of an API call or of the command line; the message is one line."""


def _require_int(name: str, value: Any, minimum: int) -> None:
    """An integer argument (not a bool) of at least ``minimum``, else one-line UsageError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UsageError(f"{name}: expected an integer >= {minimum}, given {value!r}")


# --------------------------------------------------------------------------- the registry


_REGISTRY: Registry | None = None


def registry() -> Registry:
    """The installed theory families (imported once per process)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = load_registry()
    return _REGISTRY


@dataclass(frozen=True)
class Theory:
    """One theory as a user sees it: its statements, derivations, suite and diagrams."""

    name: str
    title: str
    statements: tuple[model.Statement, ...]
    derivations: tuple[str, ...]
    suite: tuple[str, ...]
    diagrams: tuple[str, ...]
    methods: tuple[str, ...]
    keys: tuple[tuple[str, str, str, str], ...] = ()

    @classmethod
    def of(cls, family: Family) -> Theory:
        return cls(
            name=family.name,
            title=family.title,
            statements=family.statements,
            derivations=tuple(d.__name__ for d in family.derivations),
            suite=tuple(c.name for c in family.suite),
            diagrams=tuple(d.name for d in family.diagrams),
            methods=("auto", *family.methods),
            keys=family.schema.key_rows(),
        )

    def keys_markdown(self) -> str:
        """The spec keys of this theory: key, what is accepted, default, meaning.

        This is the README's table for the theory (``mtl-theory list --keys`` prints all of
        them), generated from the schema that validates specs.
        """
        from .render import key_table_markdown

        return key_table_markdown(self.name, self.title, self.keys)

    def _repr_markdown_(self) -> str:
        from .render import markdown_table

        rows = [(s.id, f"`{s.provenance}`", s.title) for s in self.statements]
        return "\n".join(
            [
                f"**{self.name}** — {self.title}",
                "",
                markdown_table(rows, ("statement", "provenance", "title")),
                "",
                f"Methods: {', '.join(self.methods)}. Suite: {', '.join(self.suite)}.",
                f"Phase diagrams: {', '.join(self.diagrams) or 'none'}.",
                "",
                self.keys_markdown(),
            ]
        )


class Theories(tuple):
    """The installed theories (a tuple of :class:`Theory`), rendered as one Markdown list."""

    def _repr_markdown_(self) -> str:
        return "\n\n".join(t._repr_markdown_() for t in self)

    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self)


def theories() -> Theories:
    """Every installed theory family, in report order.

    Returns
    -------
    Theories
        A tuple of :class:`Theory`; ``mtl-theory list`` prints the same information.

    Examples
    --------
    >>> import mtl_theory
    >>> mtl_theory.theories().names()
    ('wta', 'evidence', 'gdln')
    """
    return Theories(Theory.of(f) for f in registry().families.values())


# --------------------------------------------------------------------------- check


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec: the family it belongs to, the setup it builds, where it came from."""

    theory: str
    setup: Any
    source: str = ""


def load_spec(spec: SpecLike) -> LoadedSpec:
    """Read (a ``.toml``/``.json`` path) or take (a mapping) a spec, validate it, build its setup.

    Parameters
    ----------
    spec : path or mapping
        A spec file, or the same content as a dict (``{"theory": "wta", ...}``).

    Returns
    -------
    LoadedSpec
        ``theory`` (the family name), ``setup`` (the theory's frozen setup dataclass) and
        ``source`` (the file name, or ``""``).

    Raises
    ------
    SpecError
        Naming the key, what was expected and what was given (and the file).

    Examples
    --------
    >>> import mtl_theory
    >>> spec = {"theory": "wta", "factors": [2, 2], "modules": [2, 2], "tasks": "factor-onehot"}
    >>> loaded = mtl_theory.load_spec(spec)
    >>> loaded.theory, type(loaded.setup).__name__, loaded.setup.factors
    ('wta', 'WTASetup', (2, 2))
    >>> mtl_theory.load_spec({**spec, "factors": [2, "x"]})
    Traceback (most recent call last):
    ...
    mtl_theory.spec.SpecError: factors: expected a list of 1 to 6 integers >= 2 ..., given [2, "x"]
    """
    if isinstance(spec, Mapping):
        raw, source = dict(spec), ""
    elif isinstance(spec, (str, os.PathLike)):
        source = os.fspath(spec)
        raw = read_spec_file(source)
    else:
        raise UsageError(
            f"spec: expected a path to a .toml/.json spec or a mapping, given {type(spec).__name__}"
        )
    reg = registry()
    try:
        name = family_of(raw, tuple(dict.fromkeys((*FAMILY_NAMES, *reg.families))))
    except SpecError as exc:
        raise (exc.with_source(source) if source else exc) from None
    if name not in reg.families:
        raise SpecError("theory", "a theory implemented in this version", name, source=source)
    family = reg.families[name]
    try:
        base_dir = Path(source).resolve().parent if source else None
        setup = family.build(family.schema.validate(raw, base_dir))
    except SpecError as exc:
        raise (exc.with_source(source) if source else exc) from None
    return LoadedSpec(theory=name, setup=setup, source=source)


def _family_of_setup(setup: Any) -> Family:
    for family in registry().families.values():
        if family.setup_type is not None and isinstance(setup, family.setup_type):
            return family
    known = ", ".join(
        cls.__name__
        for f in registry().families.values()
        if f.setup_type is not None
        for cls in typing.get_args(f.setup_type) or (f.setup_type,)
    )
    raise UsageError(
        f"spec: expected a path, a mapping or a setup ({known}), given {type(setup).__name__}"
    )


@dataclass(frozen=True)
class CheckResult(model.CheckResult):
    """:class:`mtl_theory.theory.model.CheckResult`, rendered in a notebook.

    The same object, fields and ``to_json()``; ``_repr_markdown_`` shows the hypotheses,
    predictions, comparisons (with tolerances and routes) and the verdict, as in
    ``report.md``.
    """

    def _repr_markdown_(self) -> str:
        return markdown_check(self.statement.id, self)

    def __str__(self) -> str:
        return render_check(self)

    @classmethod
    def of(cls, result: model.CheckResult) -> CheckResult:
        if isinstance(result, cls):
            return result
        return cls(**{f.name: getattr(result, f.name) for f in fields(model.CheckResult)})


def check(
    spec: Any,
    *,
    verify: bool = False,
    seed: int = 0,
    method: str = "auto",
    quick: bool = False,
    budget_gib: float = DEFAULT_MEMORY_GIB,
    time_budget: float = DEFAULT_SECONDS,
    log: Callable[[str], None] | None = None,
    progress_every: float = 30.0,
) -> CheckResult:
    """Check a task setup against its theorem: hypotheses, predictions, and optionally the
    numerical verification (``mtl-theory check SPEC [--verify]``).

    Parameters
    ----------
    spec : path, mapping, LoadedSpec or setup
        A spec file, a spec dict, the result of :func:`load_spec`, or a theory's setup
        dataclass (e.g. :class:`mtl_theory.theory.wta.WTASetup`).
    verify : bool
        Run the numerical verification (independent routes against the predictions).
    seed : int
        Seed of every random draw (``>= 0``).
    method : str
        ``"auto"`` or one of the theory's methods (:attr:`Theory.methods`).
    quick : bool
        The small variant of the numerical routes (what ``verify --quick`` runs).
    budget_gib, time_budget : float
        Memory (GiB) and time (s) the verification may take; a route estimated beyond
        either is refused before it starts (:mod:`mtl_theory.cost`).
    log : callable (str), optional
        Receives a one-line notice before a verification estimated beyond
        :data:`mtl_theory.cost.LONG_ROUTE_SECONDS` starts (the CLI prints it on stderr),
        then progress lines of the long loops (epochs, flow time, trained networks, code
        chunks: :mod:`mtl_theory.numerics.progress`) at most every ``progress_every``
        seconds — from the start when the route was announced, else once it has run
        LONG_ROUTE_SECONDS — and a final ``done: ...`` line after any of them.
    progress_every : float
        Seconds between two progress lines (the CLI: 10 on a terminal, 60 otherwise).

    Returns
    -------
    CheckResult
        ``applies``, ``verified``, ``verdict``, ``contradiction``, ``to_json()``.

    Raises
    ------
    SpecError, UsageError
        Invalid spec or argument (a :class:`ValueError` with a one-line message).

    Examples
    --------
    >>> import mtl_theory
    >>> spec = {"theory": "wta", "factors": [2, 2], "modules": [2, 2], "tasks": "factor-onehot"}
    >>> result = mtl_theory.check(spec)  # hypotheses and predictions only
    >>> result.applies, result.verdict
    (True, 'not run')
    >>> result = mtl_theory.check(spec, verify=True)  # exhaustive search over every code
    >>> result.verified, result.verdict
    (True, 'verified')
    """
    _require_int("seed", seed, 0)
    if isinstance(spec, LoadedSpec):
        loaded = spec
    elif isinstance(spec, (str, os.PathLike, Mapping)):
        loaded = load_spec(spec)
    else:
        loaded = LoadedSpec(theory=_family_of_setup(spec).name, setup=spec)
    family = registry().families[loaded.theory]
    if method != "auto" and method not in family.methods:
        options = ", ".join(repr(m) for m in ("auto", *family.methods))
        raise SpecError("--method", f"one of {options} for {family.name}", method)
    options = CheckOptions(verify=bool(verify), seed=seed, method=method, quick=bool(quick))
    if verify:
        refusal = over_budget(
            family.name, loaded.setup, Budget(budget_gib, time_budget), quick, method
        )
        if refusal:
            raise UsageError(f"{loaded.source}: {refusal}" if loaded.source else refusal)
        notice = long_route_notice(family.name, loaded.setup, quick, method)
        if notice and log is not None:
            log(notice)
    reporter = None
    if verify and log is not None:
        reporter = progress.Throttled(
            log,
            every=float(progress_every),
            quiet_for=0.0 if notice else LONG_ROUTE_SECONDS,
            always=bool(notice),
        )
    try:
        with single_blas_thread(), progress.listening(reporter):
            result = family.check(loaded.setup, options)
    except SpecError as exc:  # a setup the chosen route cannot take: still the spec's fault
        raise (exc if exc.source or not loaded.source else exc.with_source(loaded.source)) from None
    if reporter is not None:
        reporter.finish(f" ({family.name} route, verdict: {result.verdict})")
    return CheckResult.of(result)


# --------------------------------------------------------------------------- verify


def verify_all(
    *,
    quick: bool = False,
    out: str | os.PathLike[str] | None = None,
    workers: int = 1,
    log: Callable[[str], None] | None = None,
):
    """Run every derivation and every suite case of every theory (``mtl-theory verify``).

    Parameters
    ----------
    quick : bool
        Only the quick suite cases.
    out : path, optional
        Write ``report.md``, ``report.json`` and the report's figures there; ``None`` writes
        nothing.
    workers : int
        Independent cases and derivations run in this many processes (one BLAS thread
        each); the numbers are identical to a one-process run.
    log : callable (str) -> None, optional
        Called with one line per finished item.

    Returns
    -------
    mtl_theory.report.VerifyReport
        ``agrees``, ``derivations``, ``cases``, ``to_json()``; renders as the summary table.
    """
    from .report import run_verify, write_report

    _require_int("workers", workers, 1)
    out_dir = None if out is None else Path(out)
    if out_dir is not None:
        check_out_dir(out_dir, "out", files=("report.md", "report.json"))
    with single_blas_thread():
        report = run_verify(registry(), quick=quick, out_dir=out_dir, log=log, workers=workers)
    if out_dir is not None:
        write_report(report, registry(), out_dir)
        remove_stale_temporaries(out_dir)
    return report


# --------------------------------------------------------------------------- phase


@dataclass(frozen=True)
class PhaseRun:
    """The diagrams one :func:`phase` call drew, and the index it wrote."""

    outputs: tuple[Any, ...]
    index: Path

    def __iter__(self) -> Iterator[Any]:
        return iter(self.outputs)

    def _repr_html_(self) -> str:
        parts = []
        for o in self.outputs:
            png = base64.b64encode(Path(o.png).read_bytes()).decode("ascii")
            parts.append(
                f"<h4>{o.name}</h4><p>{o.n_points} points in {o.seconds:.1f} s; data: "
                f"<code>{o.csv}</code></p><img src='data:image/png;base64,{png}'/>"
            )
        return "\n".join(parts)


def diagram_names(names: Sequence[str] = (), *, all: bool = False) -> list[str]:
    """Validate diagram names (or ``all``) against the registry; the list to draw."""
    diagrams = registry().diagrams()
    if isinstance(names, str):
        names = [names]
    if all and names:
        raise UsageError("phase: give diagram NAMEs or --all, not both")
    if not all and not names:
        raise UsageError(
            "phase: expected diagram NAMEs or --all; known: " + (", ".join(diagrams) or "none")
        )
    chosen = list(diagrams) if all else list(names)
    for n in chosen:
        if n not in diagrams:
            close = difflib.get_close_matches(n, list(diagrams), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UsageError(
                f"phase: NAME: expected one of {', '.join(diagrams) or 'none'}, given {n!r}{hint}"
            )
    return chosen


def float32_diagrams() -> list[str]:
    """The diagrams that accept ``dtype="float32"`` (their training loops run in float32)."""
    return [n for n, d in registry().diagrams().items() if "float32" in d.dtypes]


def _require_dtype(dtype: Any, diagrams: Sequence[PhaseDiagram]) -> None:
    """A known dtype that every chosen diagram honours, else a one-line UsageError.

    A diagram whose compute has no float32 path refuses it rather than silently computing in
    float64 (its exhaustive searches, ODE integrations and estimators stay float64).
    """
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise UsageError(f"--dtype: expected one of {', '.join(DTYPES)}, given {dtype!r}")
    refused = [d.name for d in diagrams if dtype not in d.dtypes]
    if refused:
        raise UsageError(
            f"--dtype {dtype}: expected diagrams with a {dtype} route "
            f"({', '.join(float32_diagrams())}), given {', '.join(refused)}, which "
            f"{'computes' if len(refused) == 1 else 'compute'} in float64 only"
        )


def phase(
    names: Sequence[str] | str = (),
    *,
    all: bool = False,
    out: str | os.PathLike[str] = "figures",
    workers: int = 1,
    dask: str | None = None,
    resume: bool = False,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
    show_progress: bool = False,
    dtype: str = DEFAULT_DTYPE,
    paper_budget: bool = False,
    plan_only: bool = False,
) -> PhaseRun:
    """Compute and draw phase diagrams (``mtl-theory phase NAME... | --all``).

    Parameters
    ----------
    names : str or sequence of str
        Registered diagram names (:attr:`Theory.diagrams`), or ``all=True``.
    out : path
        Directory for ``NAME.png``, ``NAME.csv``, ``sweeps.sqlite`` and ``README.md``.
    workers : int
        Local worker processes (one BLAS thread each); results do not depend on it.
    dask : str, optional
        Address of a ``dask.distributed`` scheduler (optional extra ``[dask]``).
    resume : bool
        Keep the points already in the store.
    seed : int
        Base seed; each point's seed is derived from (diagram, point, seed).
    dtype : {"float64", "float32"}
        Arithmetic of the diagrams' training loops. float64 is the default and the only
        arithmetic of :func:`check` and :func:`verify_all`. ``"float32"`` is for exploratory
        diagrams only: accepted by the diagrams whose time is training (GDLN full-batch GD,
        EVIDENCE networks; :func:`float32_diagrams`), refused by the others; the CSV's
        ``dtype`` column and the figure record it, and the points keep their float64 seeds.
    paper_budget : bool
        Run each diagram's grid at the paper's full budget (``NAME-paper`` files); refused
        for a diagram that has none.
    plan_only : bool
        Only log each diagram's plan (estimated cost per point, total and wall time on
        ``workers``); compute nothing.

    Returns
    -------
    PhaseRun
        The outputs (``name``, ``png``, ``csv``, ``n_points``, ``seconds``) and the index
        path; renders the figures inline.
    """
    from mtl_theory.numerics.sweep import SweepError

    from .phase_diagrams import run_diagram, write_index

    _require_int("workers", workers, 1)
    _require_int("seed", seed, 0)
    chosen = diagram_names(names, all=all)
    diagrams: dict[str, PhaseDiagram] = registry().diagrams()
    _require_dtype(dtype, [diagrams[n] for n in chosen])
    say = log or (lambda _msg: None)
    if paper_budget:
        _require_paper_budgets(chosen, diagrams)
    if plan_only:
        from .phase_diagrams import plan_diagram

        for n in chosen:
            for line in plan_diagram(diagrams[n], workers, paper_budget):
                say(line)
        return PhaseRun(outputs=(), index=Path(out) / "README.md")
    if dask is not None:
        _require_dask_extra()
    out_dir = Path(out)
    check_out_dir(out_dir, "--out")
    if dask is not None:
        try:
            check_scheduler(dask)
        except GuardError as exc:
            raise UsageError(str(exc)) from None
    outputs = []
    for n in chosen:
        say(f"{n}: computing{'' if dtype == DEFAULT_DTYPE else f' in {dtype} (exploratory)'}...")
        try:
            o = run_diagram(
                diagrams[n],
                out_dir,
                workers=workers,
                dask_address=dask,
                resume=resume,
                base_seed=seed,
                show_progress=show_progress,
                dtype=dtype,
                log=log,
                paper_budget=paper_budget,
            )
        except SweepError as exc:
            raise UsageError(str(exc)) from None
        say(f"{n}: {o.n_points} points in {o.seconds:.1f}s -> {o.png}, {o.csv}")
        outputs.append(o)
    index = write_index(registry(), out_dir)
    remove_stale_temporaries(out_dir)
    return PhaseRun(outputs=tuple(outputs), index=index)


def _require_paper_budgets(chosen: Sequence[str], diagrams: dict[str, PhaseDiagram]) -> None:
    """``--paper-budget`` only for diagrams that declare a paper budget (one line otherwise)."""
    without = [n for n in chosen if diagrams[n].paper_points is None]
    if without:
        having = [n for n, d in diagrams.items() if d.paper_points is not None]
        raise UsageError(
            f"--paper-budget: expected diagrams with a paper budget ({', '.join(having)}), "
            f"given {', '.join(without)}"
        )


def _require_dask_extra() -> None:
    """``--dask`` needs the optional extra; say how to install it instead of an ImportError."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError(
            "--dask: expected the optional extra (pip install 'mtl-theory[dask]'), "
            "given a Python without dask.distributed"
        ) from None


def check_out_dir(path: Path, flag: str, *, files: Sequence[str] = ()) -> None:
    """An output directory must be (or become) a writable directory with room, checked
    before a long run (:func:`mtl_theory.safety.check_writable_dir`)."""
    try:
        check_writable_dir(path, flag, files=files)
    except GuardError as exc:
        raise UsageError(str(exc)) from None
