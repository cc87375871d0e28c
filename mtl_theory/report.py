"""``mtl-theory verify``: every derivation and every suite check, summarized and written out.

The report is ``DIR/report.md`` (one section per theorem: statement and provenance,
hypotheses, predictions against measurements with tolerances, figures beside it) plus
``DIR/report.json`` with the same content as data. Files are written atomically.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtl_theory.theory.model import CheckResult, Derivation

from .registry import CheckOptions, Family, Registry, SuiteCase
from .render import json_dump, markdown_check, markdown_table, text_table


@dataclass(frozen=True)
class CaseOutcome:
    """One suite case: its check result, or the error that stopped it (a bug, reported)."""

    family: str
    case: SuiteCase
    result: CheckResult | None
    seconds: float
    error: str | None = None
    cpu_seconds: float = 0.0  # CPU of the item: its process and the children it waited for

    @property
    def disagreeing(self) -> tuple[str, ...]:
        v = self.result.verification if self.result is not None else None
        return tuple(sorted(c.quantity for c in v.comparisons if c.disagrees)) if v else ()

    @property
    def finding_as_pinned(self) -> bool:
        """The contradiction is exactly the pinned finding (a known false statement)."""
        return bool(self.case.pinned_finding) and self.disagreeing == tuple(
            sorted(self.case.pinned_finding)
        )

    @property
    def ok(self) -> bool:
        """Ran, no contradiction (or exactly the pinned one), hypotheses as expected, verified
        if expected."""
        if self.error is not None or self.result is None:
            return False
        if self.case.pinned_finding:
            return self.finding_as_pinned and self.applies_as_expected
        if self.result.contradiction:
            return False
        if not self.applies_as_expected:
            return False
        return self.result.verified or not self.case.expect_verified

    @property
    def applies_as_expected(self) -> bool:
        expected = self.case.expect_applies
        return expected is None or self.result is None or self.result.applies == expected

    @property
    def verdict(self) -> str:
        if self.result is None:
            return "ERROR"
        r = self.result
        if self.finding_as_pinned:
            return "FINDING (pinned)"
        if r.contradiction:
            return "CONTRADICTION"
        if self.case.pinned_finding:
            return "PINNED FINDING NOT SEEN"
        if not self.applies_as_expected:
            return "HYPOTHESES NOT AS EXPECTED"
        if r.verified:
            return "verified" if r.applies else "verified (theorem n/a)"
        return "NOT VERIFIED" if self.case.expect_verified else "not verified (expected)"


@dataclass(frozen=True)
class DerivationOutcome:
    family: str
    derivation: Derivation | None
    seconds: float
    name: str = ""
    error: str | None = None
    cpu_seconds: float = 0.0  # CPU of the item: its process and the children it waited for

    @property
    def ok(self) -> bool:
        """Only ``proved`` and ``checked`` hold; ``undecided`` and ``refuted`` do not."""
        return self.error is None and self.derivation is not None and self.derivation.holds


@dataclass(frozen=True)
class VerifyReport:
    quick: bool
    derivations: tuple[DerivationOutcome, ...]
    cases: tuple[CaseOutcome, ...]
    missing: tuple[str, ...]
    figures: dict[str, list[Path]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def cpu_seconds(self) -> float:
        """CPU seconds of every item (their processes and children), however they ran."""
        return sum(o.cpu_seconds for o in (*self.derivations, *self.cases))

    @property
    def agrees(self) -> bool:
        return all(d.ok for d in self.derivations) and all(c.ok for c in self.cases)

    def _repr_markdown_(self) -> str:
        """The summary of ``mtl-theory verify`` as a Markdown table (notebooks)."""
        rows = [
            (d.family, "derivation", d.derivation.id if d.derivation else d.name)
            + (
                (
                    d.derivation.provenance,
                    d.derivation.status if d.derivation.holds else f"**{d.derivation.status}**",
                )
                if d.derivation
                else ("-", "**ERROR**")
            )
            + (f"{d.seconds:.1f}s",)
            for d in self.derivations
        ]
        rows += [
            (
                c.family,
                "check",
                c.case.name,
                c.result.statement.provenance if c.result else "-",
                c.verdict if c.ok else f"**{c.verdict}**",
                f"{c.seconds:.1f}s",
            )
            for c in self.cases
        ]
        table = markdown_table(rows, ("theory", "kind", "name", "provenance", "verdict", "time"))
        return "\n".join([table, "", *[f"- {line}" for line in tally_lines(self)]])

    def to_json(self) -> dict[str, Any]:
        return {
            "quick": self.quick,
            "agrees": self.agrees,
            "missing_theories": list(self.missing),
            "seconds": round(self.seconds, 3),
            "cpu_seconds": round(self.cpu_seconds, 3),
            "derivations": [
                {
                    "theory": d.family,
                    "name": d.name,
                    "seconds": round(d.seconds, 3),
                    "cpu_seconds": round(d.cpu_seconds, 3),
                    "error": d.error,
                    **(d.derivation.to_json() if d.derivation else {}),
                }
                for d in self.derivations
            ],
            "checks": [
                {
                    "name": c.case.name,
                    "seconds": round(c.seconds, 3),
                    "cpu_seconds": round(c.cpu_seconds, 3),
                    "error": c.error,
                    "expect_applies": c.case.expect_applies,
                    "ok": c.ok,
                    **(c.result.to_json() if c.result else {"theory": c.family}),
                }
                for c in self.cases
            ],
            "figures": {k: [str(p) for p in v] for k, v in self.figures.items()},
        }


def _function_name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", repr(fn))


@dataclass(frozen=True)
class _Work:
    """One independent item of ``verify``: a derivation or a suite case of one family.

    Only the family's *name* travels to a worker process, which imports the family itself
    (families hold lambdas, which do not pickle).
    """

    family_name: str
    kind: str  # "derivation" | "case"
    index: int
    quick: bool
    cost: float = 1.0  # expected seconds; only orders the work, longest first


def _installed_family(name: str) -> Family:
    import importlib

    return importlib.import_module(f"mtl_theory.families.{name}").FAMILY


def _is_installed(family: Family) -> bool:
    try:
        return _installed_family(family.name) is family
    except ImportError:
        return False


def _run_in_worker(work: _Work) -> DerivationOutcome | CaseOutcome:
    return _run_work(_installed_family(work.family_name), work)


def _cpu_seconds() -> float:
    """CPU seconds of this process (every thread) and of its children that were waited for."""
    try:
        import resource
    except ImportError:  # not POSIX: this process only
        return time.process_time()
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _run_work(family: Family, work: _Work) -> DerivationOutcome | CaseOutcome:
    """Run one item and record its wall and CPU seconds (``cpu_seconds``: the profile of
    ``verify``, comparable whatever the load and the worker count); every failure is caught
    and reported as the item's outcome.

    The seeds are the suite case's own, so the outcome does not depend on where or in which
    order it runs.
    """
    import dataclasses

    cpu0 = _cpu_seconds()
    outcome = _run_work_timed(family, work)
    return dataclasses.replace(outcome, cpu_seconds=_cpu_seconds() - cpu0)


def _run_work_timed(family: Family, work: _Work) -> DerivationOutcome | CaseOutcome:
    from mtl_theory.numerics.blas import single_blas_thread

    from .spec import SpecError

    t0 = time.monotonic()
    with single_blas_thread():
        if work.kind == "derivation":
            derive = family.derivations[work.index]
            name = _function_name(derive)
            try:
                return DerivationOutcome(family.name, derive(), time.monotonic() - t0, name)
            except Exception:
                return DerivationOutcome(
                    family.name, None, time.monotonic() - t0, name, traceback.format_exc()
                )
        case = family.suite[work.index]
        try:
            setup = family.build(family.schema.validate(case.spec))
            options = CheckOptions(verify=True, seed=case.seed, quick=work.quick)
            result = family.check(setup, options)
            return CaseOutcome(family.name, case, result, time.monotonic() - t0)
        except SpecError as exc:
            return CaseOutcome(
                family.name, case, None, time.monotonic() - t0, f"invalid suite spec: {exc}"
            )
        except Exception:
            return CaseOutcome(
                family.name, case, None, time.monotonic() - t0, traceback.format_exc()
            )


def _outcome_line(outcome: DerivationOutcome | CaseOutcome) -> str:
    if isinstance(outcome, DerivationOutcome):
        d = outcome.derivation
        if d is None:
            return f"  {outcome.family:9s} derivation {outcome.name} ERROR"
        return f"  {outcome.family:9s} derivation {d.id:14s} {d.status:10s} {outcome.seconds:6.1f}s"
    if outcome.result is None:
        # an invalid suite spec is one line worth showing; a traceback goes to the report
        error = outcome.error or ""
        detail = f": {error}" if error.startswith("invalid") else ""
        return f"  {outcome.family:9s} check {outcome.case.name} ERROR{detail}"
    return (
        f"  {outcome.family:9s} check {outcome.case.name:28s} "
        f"{outcome.verdict:24s} {outcome.seconds:6.1f}s"
    )


def _run_all(
    registry: Registry,
    work: list[_Work],
    workers: int,
    say: Callable[[str], None],
    draw: Callable[[str, list[CaseOutcome]], None],
) -> list[DerivationOutcome | CaseOutcome]:
    """Every item's outcome, in ``work``'s order, whatever the number of processes; ``draw``
    is called once per family with its case outcomes (listed order) when they are all known.

    With ``workers > 1`` this process and ``workers - 1`` worker processes share the items,
    each with one BLAS thread (as ``phase`` points do), from one list: cases first, longest
    expected first, then the derivations (they wait for nothing, so they come last). Whoever
    is free takes the next item: this process between its own items, each worker through a
    dispatcher thread here that hands it one item at a time, the next only when the last is
    back. (Submitting everything to the pool up front, as before, let the pool queue an item
    behind a worker's running one, which no one else could then take: in a traced full
    ``verify`` the worker ran both long GDLN cases and then two more queued items while this
    process sat idle for 8 s.) This process already holds the imported families, so it pays
    no start-up; between items it records what the workers sent back and draws every family
    whose cases are done. The outcomes are the same objects a one-process run computes,
    reassembled in the listed order. A registry that is not the installed families (a test's
    toy family) runs in this process.
    """
    if workers > 1 and not all(_is_installed(f) for f in registry.families.values()):
        say("  (families not installed as mtl_theory.families.*: running in one process)")
        workers = 1
    results: dict[int, DerivationOutcome | CaseOutcome] = {}
    pending_cases = {name: 0 for name in registry.families}
    for w in work:
        pending_cases[w.family_name] += w.kind == "case"

    def record(i: int, outcome: DerivationOutcome | CaseOutcome) -> None:
        results[i] = outcome
        say(_outcome_line(outcome))
        pending_cases[work[i].family_name] -= work[i].kind == "case"

    drawn: set[str] = set()

    def draw_ready() -> None:
        for name in [n for n, left in pending_cases.items() if left == 0 and n not in drawn]:
            drawn.add(name)
            draw(name, [o for _, o in sorted(results.items()) if _is_case_of(o, name)])

    if workers <= 1 or len(work) <= 1:
        for i, w in enumerate(work):
            record(i, _run_work(registry.families[w.family_name], w))
        draw_ready()
        return [results[i] for i in range(len(work))]
    import queue
    import threading

    order = sorted(range(len(work)), key=lambda i: (work[i].kind != "case", -work[i].cost))
    todo = iter(order)
    lock = threading.Lock()
    back: queue.Queue = queue.Queue()  # (index, outcome) from the workers, or (None, error)

    def take() -> int | None:
        with lock:
            return next(todo, None)

    def record_returned() -> None:
        while not back.empty():
            i, outcome = back.get()
            if i is None:
                raise outcome  # the pool broke (a worker died): as future.result() raised
            record(i, outcome)

    with _worker_pool(workers - 1) as pool:
        # the first submits start (fork) the workers: here, while this is the only thread
        first = [(i, pool.submit(_run_in_worker, work[i])) for i in order[: workers - 1]]
        for _ in first:
            take()

        def dispatch(i: int, future) -> None:
            while True:
                try:
                    back.put((i, future.result()))
                except BaseException as exc:
                    back.put((None, exc))
                    return
                i = take()
                if i is None:
                    return
                future = pool.submit(_run_in_worker, work[i])

        threads = [threading.Thread(target=dispatch, args=f, daemon=True) for f in first]
        for thread in threads:
            thread.start()
        while (i := take()) is not None:
            record_returned()
            draw_ready()
            record(i, _run_work(registry.families[work[i].family_name], work[i]))
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.05)
                record_returned()
                draw_ready()
        record_returned()
    draw_ready()
    return [results[i] for i in range(len(work))]


def _is_case_of(outcome: DerivationOutcome | CaseOutcome, family_name: str) -> bool:
    return isinstance(outcome, CaseOutcome) and outcome.family == family_name


def _worker_pool(workers: int) -> contextlib.AbstractContextManager[ProcessPoolExecutor]:
    """``workers`` processes for ``verify``'s items: the sweep engine's pool
    (:func:`mtl_theory.numerics.sweep.watched_pool`), one BLAS thread each for the pool's
    whole life, each exiting with this process.

    Forked where that is safe (Linux, no other Python thread in this process:
    :func:`mtl_theory.numerics.blas.fork_is_safe`), else spawned. A forked worker is this
    process with the families already imported: it computes from the first millisecond
    instead of after ~1.6 s of imports, and the imports' CPU is not paid twice (a spawned
    worker's ran beside this process's own items). The numbers are the same either way: an
    item's computation depends only on its setup and seed (tested). ``verify`` runs inside
    :func:`mtl_theory.numerics.blas.single_blas_thread`, so a forked worker's BLAS is
    single-threaded too. A ``forkserver`` pool saved as much but its server and workers
    outlived a SIGKILLed parent (the workers' parent is the server, which lived on); a
    forked worker's parent is this process, which it watches.
    """
    from mtl_theory.numerics.blas import fork_is_safe
    from mtl_theory.numerics.sweep import watched_pool

    return watched_pool(workers, "fork" if fork_is_safe() else "spawn")


def run_verify(
    registry: Registry,
    *,
    quick: bool,
    out_dir: Path | None,
    log: Callable[[str], None] | None = None,
    workers: int = 1,
) -> VerifyReport:
    """Run every derivation and every (quick) suite case of every installed family.

    ``workers`` processes share the independent items; the report is identical (apart from
    timings) to a one-process run. A family's figures are drawn as soon as its cases are done
    (with one process: after every item, as before).
    """
    say = log or (lambda _msg: None)
    start = time.monotonic()
    work: list[_Work] = []
    for family in registry.families.values():
        work += [_Work(family.name, "derivation", i, quick) for i in range(len(family.derivations))]
        work += [
            _Work(family.name, "case", i, quick, case.cost_seconds)
            for i, case in enumerate(family.suite)
            if (case.quick if quick else case.full)
        ]
        if not quick:
            for case in family.suite:
                if not case.full:
                    say(f"  {family.name:9s} quick only: {case.name}: {case.quick_only_reason}")
    drawn: dict[str, list[Path]] = {}

    def draw(name: str, cases: list[CaseOutcome]) -> None:
        if out_dir is not None and any(c.result for c in cases):
            drawn[name] = _family_figures(registry.families[name], cases, out_dir, say)

    outcomes = _run_all(registry, work, workers, say, draw)
    derivations = [o for o in outcomes if isinstance(o, DerivationOutcome)]
    cases = [o for o in outcomes if isinstance(o, CaseOutcome)]
    figures = {name: drawn[name] for name in registry.families if name in drawn}
    return VerifyReport(
        quick=quick,
        derivations=tuple(derivations),
        cases=tuple(cases),
        missing=registry.missing,
        figures=figures,
        seconds=time.monotonic() - start,
    )


def _family_figures(
    family: Family, cases: list[CaseOutcome], out_dir: Path, say: Callable[[str], None]
) -> list[Path]:
    """The agreement-margin figure of every family, then the family's own figures."""
    paths: list[Path] = []
    mine = [c for c in cases if c.family == family.name and c.result is not None]
    try:
        margin = agreement_margin_figure(family.name, mine, out_dir / "figures")
        if margin is not None:
            paths.append(margin)
        if family.report_figures is not None:
            paths += list(family.report_figures([c.result for c in mine], out_dir / "figures"))
    except Exception:  # a figure bug must not lose the report; it is shown, not hidden
        say(f"  {family.name:9s} report figures ERROR:\n{traceback.format_exc()}")
    return paths


def agreement_margin_figure(name: str, cases: list[CaseOutcome], directory: Path) -> Path | None:
    """Every toleranced comparison of a family as |error| / tolerance, on a log axis.

    An agreement is a bar left of the line at 1; how far left says how much room the
    tolerance leaves. Exact comparisons (counts, booleans) have no margin and are omitted.
    """
    import numpy as np

    from .plotting import new_figure, save_figure_atomic

    rows = []
    for c in cases:
        for comp in c.result.verification.comparisons if c.result.verification else ():
            if comp.kind == "exact" or not comp.tolerance or comp.error is None:
                continue
            # An upper bound met with room to spare has a negative excess: no error at all.
            err = max(comp.error, 0.0) if comp.kind == "upper-bound" else abs(comp.error)
            ratio = err / comp.tolerance if np.isfinite(err) else np.inf
            label = f"{c.case.name}: {comp.quantity}"
            rows.append((label if len(label) <= 70 else label[:67] + "...", ratio, comp.agrees))
    if not rows:
        return None
    fig = new_figure(10.0, 1.2 + 0.28 * len(rows))
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    finite = [r for _, r, _ in rows if np.isfinite(r) and r > 0]
    floor = min([*finite, 1.0]) / 10
    # Bars start at the floor so that an exact agreement (error 0) is still drawn.
    shown = [min(max(r, floor), 1e3) - floor for _, r, _ in rows]
    colours = ["tab:green" if ok else "tab:red" for _, _, ok in rows]
    ax.barh(y, shown, left=floor, color=colours)
    ax.axvline(1.0, color="black", linestyle="--", label="tolerance")
    ax.set_xscale("log")
    ax.set_xlim(floor, max(10.0, max(shown) * 2))
    ax.set_yticks(y, [label for label, _, _ in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("|error| / tolerance  (left of the dashed line: agrees)")
    ax.set_title(f"{name}: |error| / tolerance of every toleranced comparison", fontsize=9)
    ax.legend(loc="lower right")
    return save_figure_atomic(fig, directory / f"{name}-agreement-margins.png")


def summary_lines(report: VerifyReport) -> list[str]:
    """The terminal summary table printed by ``mtl-theory verify``."""
    rows = []
    for d in report.derivations:
        if d.derivation is None:
            rows.append((d.family, "derivation", d.name, "-", "ERROR", f"{d.seconds:.1f}s"))
        else:
            x = d.derivation
            status = x.status if x.holds else x.status.upper()
            rows.append((d.family, "derivation", x.id, x.provenance, status, f"{d.seconds:.1f}s"))
    for c in report.cases:
        name = c.case.name if c.result is None else f"{c.case.name} [{c.result.statement.id}]"
        provenance = "-" if c.result is None else c.result.statement.provenance
        rows.append((c.family, "check", name, provenance, c.verdict, f"{c.seconds:.1f}s"))
    lines = text_table(rows, ("theory", "kind", "name", "provenance", "verdict", "time"))
    for name in report.missing:
        lines.append(f"{name}: not implemented yet (no mtl_theory/families/{name}.py)")
    lines += ["", *tally_lines(report)]
    return lines


def tally_lines(report: VerifyReport) -> list[str]:
    """Counts of the four derivation outcomes and the check verdicts, and what failed."""
    statuses = [d.derivation.status if d.derivation else "error" for d in report.derivations]
    count = {s: statuses.count(s) for s in ("proved", "checked", "undecided", "refuted", "error")}
    verdicts = [c.verdict for c in report.cases]
    verified = sum(v.startswith("verified") for v in verdicts)
    expected_unverified = sum(v == "not verified (expected)" for v in verdicts)
    lines = [
        f"Derivations: {count['proved']} proved (general argument), {count['checked']} checked "
        f"(finite instances, scope stated), {count['undecided']} undecided, "
        f"{count['refuted']} refuted" + (f", {count['error']} errors" if count["error"] else ""),
        f"Checks: {verified} verified by independent routes, {expected_unverified} not "
        "verified by design (the suite case says why), "
        f"{sum(v == 'NOT VERIFIED' for v in verdicts)} not verified unexpectedly, "
        f"{verdicts.count('CONTRADICTION')} contradictions, "
        f"{verdicts.count('FINDING (pinned)')} pinned findings, {verdicts.count('ERROR')} errors",
    ]
    for c in report.cases:
        if c.verdict == "not verified (expected)":
            lines.append(f"  not verified by design: {c.case.name}: {c.case.unverified_reason}")
        if c.verdict == "FINDING (pinned)":
            lines.append(
                f"  FINDING (a statement of ours is false): {c.case.name}: {c.case.finding_reason}"
            )
    bad = [d for d in report.derivations if not d.ok]
    for d in bad:
        what = d.derivation.status if d.derivation else "error"
        ident = d.derivation.id if d.derivation else d.name
        reason = {
            "undecided": "could not be decided; it does not count as holding",
            "refuted": "a step failed: this is a finding",
        }.get(what, "the derivation raised an error (a bug; see report.json)")
        lines.append(f"!!! derivation {ident} {what}: {reason}")
    for c in report.cases:
        if not c.ok:
            if c.result is None:
                why = "error (a bug; see report.json)"
            elif c.case.pinned_finding:
                why = (
                    f"the pinned finding ({', '.join(c.case.pinned_finding)} disagreeing) was not "
                    f"seen as pinned: disagreeing now {list(c.disagreeing) or 'nothing'}"
                )
            elif c.result.contradiction:
                why = "the measurement contradicts the theory: a finding"
            elif not c.applies_as_expected:
                failed = ", ".join(h.id for h in c.result.hypotheses if not h.holds) or "none"
                expected = "to apply" if c.case.expect_applies else "not to apply"
                why = (
                    f"the theorem was expected {expected}, but the hypothesis checks say "
                    f"otherwise (failing: {failed})"
                )
            else:
                why = f"expected to verify, but {c.result.verification.not_verified_reason}"
            lines.append(f"!!! check {c.case.name}: {why}")
    pinned = verdicts.count("FINDING (pinned)")
    lines.append(
        (
            f"Everything holds as expected, including {pinned} pinned finding(s) of a false "
            f"statement listed above ({report.seconds:.1f}s)."
            if pinned
            else f"Everything holds ({report.seconds:.1f}s)."
        )
        if report.agrees
        else f"!!! {len(bad) + sum(not c.ok for c in report.cases)} item(s) did not hold "
        f"({report.seconds:.1f}s)."
    )
    return lines


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def markdown_report(report: VerifyReport, registry: Registry, out_dir: Path) -> str:
    """The whole ``report.md``."""
    verdict = "everything holds" if report.agrees else "**something did not hold**"
    parts = [
        "# mtl-theory verification report",
        "",
        f"Suite: {'quick' if report.quick else 'full'}; {len(report.derivations)} derivations, "
        f"{len(report.cases)} checks, {report.seconds:.1f} s; {verdict}.",
        "",
        *[f"- {line}" for line in tally_lines(report)],
        "",
        "Provenance labels: `paper` (the paper's text), `code` (the authors' code), "
        "`reconstructed` (our precise statement of a claim the paper makes in words, proved or "
        "verified here), `derived` (our own consequence).",
        "",
    ]
    if report.missing:
        parts += [f"Not implemented yet: {', '.join(report.missing)}.", ""]
    for family in registry.families.values():
        parts += _family_section(family, report, out_dir)
    return "\n".join(parts)


def _family_section(family: Family, report: VerifyReport, out_dir: Path) -> list[str]:
    parts = [f"## {family.name}: {family.title}", ""]
    if family.statements:
        parts += [
            "### Statements",
            "",
            markdown_table(
                [(s.id, s.title, f"`{s.provenance}`", s.source) for s in family.statements],
                ("id", "statement", "provenance", "source"),
            ),
            "",
        ]
    derivs = [d for d in report.derivations if d.family == family.name]
    if derivs:
        rows = []
        for d in derivs:
            if d.derivation is None:
                rows.append((d.name, "**ERROR**", "", "", "see report.json"))
            else:
                x = d.derivation
                rows.append(
                    (
                        x.id,
                        x.status if x.holds else f"**{x.status}**",
                        f"`{x.provenance}`",
                        x.method,
                        x.scope or "general",
                        x.detail,
                    )
                )
        parts += [
            "### Machine-checked derivations",
            "",
            "`proved`: a general argument for the statement as written; `checked`: finite "
            "instances only (scope given); `undecided` and `refuted` do not hold.",
            "",
            markdown_table(rows, ("id", "status", "provenance", "method", "scope", "detail")),
            "",
        ]
    checks = [c for c in report.cases if c.family == family.name]
    if checks:
        parts += ["### Verification on the default suite", ""]
    for c in checks:
        if c.result is None:
            parts += [f"### {c.case.name}: **ERROR**", "", "```", str(c.error).strip(), "```", ""]
        else:
            parts.append(markdown_check(c.case.name, c.result))
    figs = report.figures.get(family.name, [])
    if figs:
        parts += ["### Figures", ""]
        for p in figs:
            rel = os.path.relpath(p, out_dir)
            parts += [f"![{Path(p).stem}]({rel})", ""]
    return parts


#: The report's files, replaced together as one unit.
REPORT_FILES = ("report.md", "report.json")
#: Where each run's pair of files is written, one directory per run.
RUNS_DIR = ".report-runs"
#: The link naming the current run's directory; swapped in one rename.
CURRENT_LINK = ".report-current"


def write_report(report: VerifyReport, registry: Registry, out_dir: Path) -> Path:
    """Write ``report.md`` and ``report.json`` into ``out_dir`` as one unit; returns the
    Markdown path.

    Both files are written into a fresh directory ``DIR/.report-runs/<run>``; then one
    atomic rename points the link ``DIR/.report-current`` at it. ``DIR/report.md`` and
    ``DIR/report.json`` are fixed links through ``.report-current``, so at every instant
    both name the same run: a reader (or a kill between the two writes) never pairs the
    Markdown of one run with the JSON of another. Directories of older or killed runs are
    removed after the swap, so nothing temporary is left behind.
    """
    texts = {
        "report.md": markdown_report(report, registry, out_dir),
        "report.json": json_dump(report.to_json()),
    }
    runs = out_dir / RUNS_DIR
    runs.mkdir(parents=True, exist_ok=True)
    run = Path(tempfile.mkdtemp(prefix="run-", dir=runs))
    for name, text in texts.items():
        with open(run / name, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    _replace_link(out_dir / CURRENT_LINK, os.path.join(RUNS_DIR, run.name))
    for name in REPORT_FILES:
        path = out_dir / name
        target = os.path.join(CURRENT_LINK, name)
        if not (path.is_symlink() and os.readlink(path) == target):
            _replace_link(path, target)
    for old in runs.iterdir():
        if old.name != run.name:
            shutil.rmtree(old, ignore_errors=True)
    return out_dir / "report.md"


def _replace_link(path: Path, target: str) -> None:
    """Point the symbolic link ``path`` at ``target`` in one atomic rename."""
    tmp = path.with_name(f".{path.name}.link.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, path)
