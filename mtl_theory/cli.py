"""The ``mtl-theory`` command line (contract in DESIGN.md).

Exit status: 0 — ran, and every verification agrees with the theory; 1 — a verification
contradicts a theorem whose hypotheses hold, or a derivation is refuted (a finding, printed
loudly); 2 — invalid input: one line on stderr naming the field, what was expected and what
was given, no traceback.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from mtl_theory.numerics.precision import DEFAULT_DTYPE, DTYPES

from . import __version__, api
from .api import UsageError
from .cost import DEFAULT_MEMORY_GIB, DEFAULT_SECONDS
from .render import json_dump, render_check, text_table
from .safety import positive_number, run_guarded
from .spec import SpecError

# Every process that loads the command line (the program, and its spawned ``verify`` and
# ``phase`` workers, which import it as their main module) skips the interpreter's shutdown
# collections: see console_main (registered at import, so it runs after the handlers of
# whatever is imported later, and before the shutdown collections).
atexit.register(gc.freeze)

EXIT_OK, EXIT_FINDING, EXIT_INVALID = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_INVALID)


def _bounded_int(name: str, minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {minimum}, given {text!r}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, given {text!r}")
        return value

    parse.__name__ = name
    return parse


def _phase_only_dtype(text: str) -> str:
    """``--dtype`` given to check or verify: refused (float32 is for exploratory diagrams)."""
    raise argparse.ArgumentTypeError(
        f"expected no --dtype here (check and verify always compute in float64; float32 is "
        f"only for exploratory diagrams: mtl-theory phase NAME --dtype float32), given {text!r}"
    )


def _usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mtl-theory",
        description="Check, verify and draw three theories of disentangled and symbolic "
        "representations in multi-task learning (WTA, EVIDENCE, GDLN).",
    )
    parser.add_argument("--version", action="version", version=f"mtl-theory {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    check = sub.add_parser(
        "check",
        help="check a task setup against its theorem",
        description="Check a task setup against its theorem. Computes in float64 always "
        "(no --dtype: float32 is only for exploratory phase diagrams).",
    )
    check.add_argument("spec", metavar="SPEC", help="task-setup spec (.toml or .json)")
    check.add_argument("--verify", action="store_true", help="run the numerical verification")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--seed", type=_bounded_int("--seed", 0), default=0)
    check.add_argument(
        "--method", default="auto", help="numerical route (theory-specific; default auto)"
    )
    check.add_argument(
        "--budget",
        type=positive_number("--budget"),
        default=DEFAULT_MEMORY_GIB,
        metavar="GIB",
        help=f"memory budget of --verify in GiB (default {DEFAULT_MEMORY_GIB:g})",
    )
    check.add_argument(
        "--time-budget",
        type=positive_number("--time-budget"),
        default=DEFAULT_SECONDS,
        metavar="SECONDS",
        help=f"time budget of --verify (default {DEFAULT_SECONDS:g} s)",
    )
    check.add_argument("--dtype", type=_phase_only_dtype, help=argparse.SUPPRESS)

    verify = sub.add_parser(
        "verify",
        help="run every theorem check and every derivation",
        description="Run every theorem check and every derivation. Computes in float64 "
        "always (no --dtype: float32 is only for exploratory phase diagrams).",
    )
    verify.add_argument("--quick", action="store_true", help="only the small setups")
    verify.add_argument("--out", type=Path, default=Path("mtl-theory-report"), metavar="DIR")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.add_argument(
        "--workers",
        type=_bounded_int("--workers", 1),
        default=_usable_cpus(),
        help="processes for independent cases (default: the usable CPUs; same numbers)",
    )
    verify.add_argument("--dtype", type=_phase_only_dtype, help=argparse.SUPPRESS)

    phase = sub.add_parser("phase", help="compute and draw phase diagrams")
    phase.add_argument("names", nargs="*", metavar="NAME")
    phase.add_argument("--all", action="store_true", help="every registered diagram")
    phase.add_argument("--out", type=Path, default=Path("figures"), metavar="DIR")
    phase.add_argument("--workers", type=_bounded_int("--workers", 1), default=1)
    phase.add_argument("--dask", metavar="ADDRESS", default=None, help="dask scheduler address")
    phase.add_argument("--resume", action="store_true", help="keep finished points")
    phase.add_argument("--seed", type=_bounded_int("--seed", 0), default=0)
    phase.add_argument(
        "--dtype",
        choices=DTYPES,
        default=DEFAULT_DTYPE,
        help="arithmetic of the diagrams' training loops (default float64). float32 is for "
        "exploratory diagrams only (GDLN and EVIDENCE trained networks; about 2x faster, "
        "losses and metrics off by up to a few percent: see the README); other diagrams "
        "refuse it, and check --verify and verify never use it (always float64)",
    )
    phase.add_argument(
        "--paper-budget",
        action="store_true",
        help="the paper's full training budget (diagrams that have one; NAME-paper files)",
    )
    phase.add_argument(
        "--plan",
        action="store_true",
        help="print each point's estimated cost and the total; compute nothing",
    )

    listing = sub.add_parser("list", help="theorems, derivations and phase diagrams")
    listing.add_argument(
        "--keys",
        action="store_true",
        help="print every theory's spec keys as Markdown tables (the README's, generated)",
    )
    return parser


# --------------------------------------------------------------------------- commands
# Each command is a client of the Python API (mtl_theory.api): parse, call, print.


def cmd_check(args: argparse.Namespace) -> int:
    result = api.check(
        args.spec,
        verify=args.verify,
        seed=args.seed,
        method=args.method,
        budget_gib=args.budget,
        time_budget=args.time_budget,
        log=lambda line: sys.stderr.write(f"mtl-theory: {line}\n"),
        progress_every=10.0 if sys.stderr.isatty() else 60.0,
    )
    if args.json:
        print(json_dump(result.to_json()))
    else:
        print(render_check(result))
    if result.contradiction:
        # name the statements whose comparisons disagree, not only the setup's headline one
        failing = sorted({c.statement for c in result.verification.comparisons if c.disagrees})
        where = ", ".join(failing) or result.statement.id
        sys.stderr.write(f"mtl-theory: CONTRADICTION in {where}: see above\n")
        return EXIT_FINDING
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from .report import summary_lines

    out: Path = args.out
    api.check_out_dir(out, "--out", files=("report.md", "report.json"))
    log = None if args.json else (lambda msg: print(msg, flush=True))
    if log:
        log(f"mtl-theory verify{' --quick' if args.quick else ''}: running...")
    report = api.verify_all(quick=args.quick, out=out, workers=args.workers, log=log)
    if args.json:
        print(json_dump(report.to_json()))
    else:
        print()
        print("\n".join(summary_lines(report)))
        print(f"Report: {out / 'report.md'}")
    return EXIT_OK if report.agrees else EXIT_FINDING


def cmd_phase(args: argparse.Namespace) -> int:
    names = api.diagram_names(args.names, all=args.all)
    run = api.phase(
        names,
        out=args.out,
        workers=args.workers,
        dask=args.dask,
        resume=args.resume,
        seed=args.seed,
        log=lambda msg: print(msg, flush=True),
        show_progress=True,
        dtype=args.dtype,
        paper_budget=args.paper_budget,
        plan_only=args.plan,
    )
    if not args.plan:
        print(f"index: {run.index}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    if args.keys:
        print("\n\n".join(t.keys_markdown() for t in api.theories()))
        return EXIT_OK
    registry = api.registry()
    for family in registry.families.values():
        print(f"== {family.name}: {family.title}")
        print("theorems and statements:")
        rows = [(s.id, s.provenance, s.title) for s in family.statements]
        print("\n".join("  " + r for r in text_table(rows, ("id", "provenance", "title"))))
        print(f"derivations (proofs/{family.name}.py):")
        for d in family.derivations:
            doc = (d.__doc__ or "").strip().splitlines()
            print(f"  {d.__name__}: {doc[0] if doc else ''}")
        print("verification suite:")
        for c in family.suite:
            only = "" if c.quick and c.full else "  (full only)" if c.full else "  (quick only)"
            print(f"  {c.name}{only}")
        print("phase diagrams:")
        for dg in family.diagrams:
            extra = "  [also --dtype float32]" if "float32" in dg.dtypes else ""
            print(f"  {dg.name}: {dg.title}{extra}")
        print()
    for name in registry.missing:
        print(f"== {name}: not implemented yet")
    return EXIT_OK


def _check_job_threads_variable() -> None:
    """``MTL_THEORY_NESTED_JOBS`` set to anything but a positive integer: a usage error now,
    not a traceback from the first computation that reads it."""
    from mtl_theory.numerics.blas import nested_jobs

    try:
        nested_jobs()
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {"check": cmd_check, "verify": cmd_verify, "phase": cmd_phase, "list": cmd_list}
    try:
        _check_job_threads_variable()
        return run_guarded(lambda: commands[args.command](args))
    except (SpecError, UsageError) as exc:
        sys.stderr.write(f"mtl-theory: error: {exc}\n")
        return EXIT_INVALID
    except KeyboardInterrupt:
        sys.stderr.write("mtl-theory: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK


def console_main() -> int:
    """The ``mtl-theory`` program: :func:`main` on the command line, with the garbage collector
    kept off the objects that live until the process ends.

    ``gc.freeze()`` moves every object the collector tracks into its permanent generation,
    which no collection visits; nothing is freed or changed, so no result can differ.

    - Here, before the command (the modules are imported by then): every full collection
      during the run would otherwise walk the imported modules' objects again (measured
      with ``gc.callbacks``, ``verify --quick --workers 1``: the six full collections took
      0.64 s of CPU, 0.36 s frozen).
    - At exit, in every process that imports this module (the ``atexit`` hook above; the
      spawned ``verify`` and ``phase`` workers import it as their main module): the
      interpreter's shutdown collections would walk everything the run made (sympy's caches,
      matplotlib's, the families). ``verify --quick --workers 1`` spent 2.4 / 3.0 s of wall
      between its last ``atexit`` handler and its end, 0.19 / 0.22 s frozen; with
      ``--workers 2`` the program waited 2.0 s for its worker to end, 0.24 s frozen (load
      ~14-19, 2026-12-03). Python does not promise to finalize the objects still alive at
      exit; the other ``atexit`` handlers and the flushing of the standard streams run as
      before.

    Not in :func:`main`, which tests call in one long process: there a frozen object that
    became garbage in a cycle would never be freed.
    """
    gc.freeze()
    return main()


if __name__ == "__main__":
    raise SystemExit(console_main())
