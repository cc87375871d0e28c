"""Mutation testing: plant known bugs, one at a time, and see which checks notice.

Each mutation is an exact text replacement (file, old text, new text) in one copy of the
working tree (the files ``git ls-files`` lists, as they are on disk). In that copy the script
runs ``pytest -x -q`` and ``mtl-theory verify --quick`` and records whether each one fails
(the mutation is *killed*) or passes (it *survived*). The targets of issue 8: no mutation
survives pytest, and no claim-bearing one survives ``verify --quick``.

*Claim-bearing* means that the mutated code computes something a verdict of
``verify --quick`` rests on (a derivation, a prediction, a measurement or a tolerance of a
quick suite case), so that the bug could turn a wrong result into a reported agreement or
proof. A mutation of a guard that only matters when another route is already wrong (a
re-check, the verdict logic of the result model) or of a route the quick suite does not run
is not claim-bearing; pytest must still kill it.

The list cannot rot silently: the old text of every mutation must occur exactly once in its
file, or the script stops before running anything (exit status 2); tests/test_mutation_list.py
checks the same in every pytest run (and is left out of the runs in mutated copies, where it
fails by construction). Alongside the mutants, an unmutated copy is run the same way (the
baseline); if it does not pass, the results would mean nothing and the script stops (exit
status 2).

Running the mutated code, not the installed one: the copy's root goes first on PYTHONPATH
(``mtl_theory/__init__.py`` then finds the copy's ``theory/``, ``numerics/`` and ``proofs/``
next to it, as in any source checkout), and a ``sitecustomize`` module removes setuptools'
editable-install finder, so a module missing from the copy fails to import instead of being
taken from the original tree. Each copy is checked before its runs: the mutated module must
be imported from the copy's file, contain the new text, and every ``mtl_theory`` module the
registry loads must come from the copy.

Examples
--------
::

    python benchmarks/mutation.py                        # every mutation, 2 workers
    python benchmarks/mutation.py --list                 # names, files, claim-bearing
    python benchmarks/mutation.py --only ev-eq7-numeric --only gdln-unit-activity
    python benchmarks/mutation.py --skip-pytest --markdown NOTES-table.md

Exit status: 0 when both targets are met, 1 when a mutation survives where it must not,
2 when the list has rotted or the baseline does not pass.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Wall-clock limits of one run; a mutant that hangs counts as killed ("timeout").
PYTEST_TIMEOUT = 1800
VERIFY_TIMEOUT = 900


@dataclass(frozen=True)
class Mutation:
    """One planted bug: replace ``old`` (exactly once) by ``new`` in ``file``."""

    name: str
    file: str
    old: str
    new: str
    claim_bearing: bool
    what: str


MUTATIONS: tuple[Mutation, ...] = (
    # ---------------------------------------------------------------- WTA
    Mutation(
        "wta-symbolic-singletons",
        "numerics/wta.py",
        "nontrivial = (sizes > 0) & (sizes < labels.shape[1])",
        "nontrivial = (sizes > 1) & (sizes < labels.shape[1])",
        True,
        "exhaustive search's symbolic classifier treats single-point units as trivial",
    ),
    Mutation(
        "wta-zero-loss-tolerance",
        "numerics/wta.py",
        "ZERO_LOSS_RTOL = 1e-9",
        "ZERO_LOSS_RTOL = 1e-3",
        True,
        "zero-loss decision 1e-9 -> 1e-3 of the task energy",
    ),
    Mutation(
        "wta-completeness-mask",
        "numerics/wta.py",
        "hit = on_k & (in_a != in_b)",
        "hit = on_k",
        True,
        "a unit attached to factor k counts as separating every pair of k's values",
    ),
    Mutation(
        "wta-metrics-symbolic-verdict",
        "numerics/metrics.py",
        "symbolic = bool(np.all(n_dependent <= 1))",
        "symbolic = bool(np.all(n_dependent <= 2))",
        True,
        "numerics.metrics calls a unit on two factors symbolic",
    ),
    Mutation(
        "wta-capacity-hypothesis",
        "theory/wta.py",
        "holds = units <= needed",
        "holds = units < needed",
        True,
        "H3 demands strict inequality (the theorem then never applies at equality)",
    ),
    Mutation(
        "wta-counterexample-recheck",
        "proofs/wta.py",
        "    floor = _targets_rounding_floor(setup)\n    return Comparison.upper_bound(",
        "    floor = nwta.ZERO_LOSS_RTOL * (1.0 + float(np.mean(setup.target_array**2)))\n"
        "    return Comparison.upper_bound(",
        False,
        "the exact re-check of a counterexample accepts the search's own threshold",
    ),
    Mutation(
        "wta-milp-zero-tolerance",
        "proofs/wta.py",
        "MILP_ZERO_TOL = 1e-6",
        "MILP_ZERO_TOL = 1e-2",
        True,
        "MILP zero-loss decision 1e-6 -> 1e-2 (L-infinity error)",
    ),
    # ---------------------------------------------------------------- EVIDENCE
    Mutation(
        "ev-extraction-offset-sign",
        "theory/evidence.py",
        "rhs = (sigma / math.sqrt(t)) * norms * probit - d  # (n, N)",
        "rhs = (sigma / math.sqrt(t)) * norms * probit + d  # (n, N)",
        True,
        "EV-3 extraction adds the offsets instead of subtracting them",
    ),
    Mutation(
        "ev-eq7-numeric",
        "theory/evidence.py",
        "return 1.0 - sigma**2 / (t * variance)",
        "return 1.0 - sigma**2 / ((t + 1) * variance)",
        True,
        "Eq. 7's numeric twin with t + 1 (the figure script's timing + 1)",
    ),
    Mutation(
        "ev-eq7-sympy",
        "theory/evidence.py",
        "return 1 - sigma**2 / (t * v)",
        "return 1 - sigma**2 / ((t + 1) * v)",
        True,
        "Eq. 7's sympy expression with t + 1",
    ),
    Mutation(
        "ev-probit-sqrt-t",
        "theory/evidence.py",
        "return math.sqrt(t) * (mu @ C.T + d) / (sigma * norms)",
        "return math.sqrt(t + 1) * (mu @ C.T + d) / (sigma * norms)",
        True,
        "EV-1 ideal observer with sqrt(t + 1)",
    ),
    Mutation(
        "ev-even-normals",
        "theory/evidence.py",
        "phi = (k + 0.5) * np.pi / n_tasks",
        "phi = (k + 0.5) * np.pi / (n_tasks + 1)",
        True,
        "'even' boundaries spaced by pi/(N + 1): no longer even",
    ),
    Mutation(
        "ev-ar1-effective-samples",
        "theory/evidence.py",
        "return (2.0 + (t - 2) * (1.0 - rho)) / (1.0 + rho)",
        "return (2.0 + (t - 1) * (1.0 - rho)) / (1.0 + rho)",
        True,
        "AR(1) effective sample size with t - 1 for t - 2",
    ),
    Mutation(
        "ev-simulated-mean-drops-a-sample",
        "numerics/evidence.py",
        "mu = x + sigma * noise.mean(axis=1)",
        "mu = x + sigma * noise[:, 1:].mean(axis=1)",
        True,
        "the Monte-Carlo route averages t - 1 of the t samples",
    ),
    Mutation(
        "ev-rnn-relu-derivative",
        "numerics/evidence.py",
        "da = dh * (states[:, k] > 0)  # relu'(a) = 1[a > 0] = 1[h > 0]",
        "da = dh  # relu'(a) = 1[a > 0] = 1[h > 0]",
        False,
        "BPTT forgets the ReLU derivative (the RNN runs only in the full suite)",
    ),
    # ---------------------------------------------------------------- GDLN
    Mutation(
        "gdln-mode-exponent",
        "theory/gdln.py",
        "x = 2.0 * s * t / tau",
        "x = s * t / tau",
        True,
        "closed form a(t) without the factor 2 in the exponent",
    ),
    Mutation(
        "gdln-learning-time",
        "theory/gdln.py",
        "return (tau / (2.0 * s)) * (",
        "return (tau / s) * (",
        True,
        "learning time t(a) without the factor 2",
    ),
    Mutation(
        "gdln-path-gradient",
        "theory/gdln.py",
        "            if q.target != p.target:\n                continue\n",
        "            if q is not p:\n                continue\n",
        True,
        "path gradient drops the other paths into the same output (no competition)",
    ),
    Mutation(
        "gdln-race-reduction",
        "theory/gdln.py",
        "return 2.0 * a * (S - D @ a)",
        "return 2.0 * a * (S - np.diag(D)[:, None] * a)",
        True,
        "reduced race ignores the overlap between paths",
    ),
    Mutation(
        "gdln-routing-rates",
        "theory/gdln.py",
        "return K / M**2, K / M",
        "return K / M**2, K / M**2",
        True,
        "routing: the shared layer learns at the modules' rate",
    ),
    Mutation(
        "gdln-speed-factor",
        "theory/gdln.py",
        "return math.sqrt(n_contexts * (n_contexts - 1) / 2.0)",
        "return math.sqrt(n_contexts * (n_contexts - 1) / 4.0)",
        True,
        "speed factor sqrt(C(C-1)/4) for sqrt(C(C-1)/2)",
    ),
    Mutation(
        "gdln-gated-backward-node-gate",
        "numerics/gdln.py",
        "back = delta[v] * node_gates[v]",
        "back = delta[v]",
        True,
        "gated-network backprop ignores the node gates",
    ),
    Mutation(
        "gdln-unit-activity",
        "numerics/gdln.py",
        "[np.any(hidden[:, :, context_of == c] > 0, axis=2) for c in range(n_contexts)], -1",
        "[np.any(hidden[:, :, context_of == c] >= 0, axis=2) for c in range(n_contexts)], -1",
        True,
        "context counts: a unit is 'active' where h >= 0 (every ReLU unit, everywhere)",
    ),
    # ---------------------------------------------------------------- result model
    Mutation(
        "model-power-ignored",
        "theory/model.py",
        'return self.route == "independent" and self.agrees and self.powered',
        'return self.route == "independent" and self.agrees',
        False,
        "an unpowered Monte-Carlo comparison counts as verification",
    ),
)


# --------------------------------------------------------------------------- copies


def tracked_files(root: Path) -> list[str]:
    """The files of the working tree that git tracks (as they are on disk)."""
    out = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=True
    ).stdout
    return [f for f in out.decode("utf-8").split("\0") if f]


def check_list(mutations: Sequence[Mutation], root: Path) -> list[str]:
    """Every problem with the list: unknown file, old text not found exactly once, no-op."""
    problems, names = [], set()
    for m in mutations:
        if m.name in names:
            problems.append(f"{m.name}: duplicate name")
        names.add(m.name)
        path = root / m.file
        if not path.is_file():
            problems.append(f"{m.name}: {m.file} does not exist")
            continue
        count = path.read_text(encoding="utf-8").count(m.old)
        if count != 1:
            problems.append(
                f"{m.name}: old text found {count} times in {m.file} (expected exactly once): "
                f"{m.old.strip()!r}"
            )
        if m.old == m.new:
            problems.append(f"{m.name}: old and new text are the same")
    return problems


def make_copy(root: Path, files: Sequence[str], dest: Path) -> None:
    for rel in files:
        src = root / rel
        if not src.is_file():  # deleted in the working tree
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def apply_mutation(tree: Path, m: Mutation) -> None:
    path = tree / m.file
    text = path.read_text(encoding="utf-8")
    if text.count(m.old) != 1:
        raise RuntimeError(f"{m.name}: old text not found exactly once in {m.file}")
    path.write_text(text.replace(m.old, m.new), encoding="utf-8")


#: Removes setuptools' editable finder, so nothing can be imported from the original tree.
SITECUSTOMIZE = """\
import sys
sys.meta_path[:] = [
    f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")
]
"""

#: Run inside a copy: is the code that will run the copy's, mutated one?
LIVE_CHECK = """\
import importlib, os, sys
tree, module, rel, new = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
assert not any(getattr(f, "__module__", "").startswith("__editable__") for f in sys.meta_path)
mod = importlib.import_module(module)
expected = os.path.realpath(os.path.join(tree, rel))
assert os.path.realpath(mod.__file__) == expected, (mod.__file__, expected)
with open(mod.__file__, encoding="utf-8") as fh:
    assert new in fh.read(), "the imported file does not contain the mutation"
from mtl_theory.registry import load_registry
load_registry()
outside = sorted(
    m.__name__ for m in list(sys.modules.values())
    if m.__name__.startswith("mtl_theory") and getattr(m, "__file__", None)
    and not os.path.realpath(m.__file__).startswith(os.path.realpath(tree) + os.sep)
)
assert not outside, f"imported from outside the copy: {outside}"
print("live")
"""


def module_name(rel: str) -> str:
    parts = Path(rel).with_suffix("").parts
    if parts[0] in ("theory", "numerics", "proofs"):
        parts = ("mtl_theory", *parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def tool(name: str) -> str:
    """A console script of this interpreter's environment (pytest, mtl-theory)."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"mutation.py: {name} not found next to {sys.executable} or on PATH")
    return found


def environment(tree: Path, guard: Path, single_thread: bool) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tree), str(guard)])
    env["HYPOTHESIS_PROFILE"] = "ci"  # derandomized: the same examples in every copy
    env.pop("PYTHONHOME", None)
    if single_thread:  # two workers on two cores: no BLAS oversubscription
        for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[key] = "1"
    return env


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class RunResult:
    """One check (pytest or verify) on one copy."""

    status: str  # "killed", "survived", "timeout", "skipped"
    detail: str = ""
    seconds: float = 0.0

    @property
    def killed(self) -> bool:
        return self.status in ("killed", "timeout")


@dataclass(frozen=True)
class Outcome:
    mutation: Mutation | None  # None: the baseline (unmutated) copy
    pytest: RunResult
    verify: RunResult

    @property
    def meets_target(self) -> bool:
        m = self.mutation
        if m is None:
            return True
        ok = self.pytest.killed or self.pytest.status == "skipped"
        if m.claim_bearing:
            ok = ok and (self.verify.killed or self.verify.status == "skipped")
        return ok


def _first_failure(kind: str, output: str) -> str:
    if kind == "pytest":
        for line in output.splitlines():
            if line.startswith(("FAILED ", "ERROR ")):
                return re.sub(r"^(FAILED|ERROR) ", "", line).split(" - ")[0].strip()
        tail = [ln for ln in output.splitlines() if ln.strip()]
        return tail[-1][:120] if tail else ""
    for line in output.splitlines():
        if line.startswith("!!!") and "item(s) did not hold" not in line:
            return line[4:].strip()[:160]
    tail = [ln for ln in output.splitlines() if ln.strip()]
    return tail[-1][:120] if tail else ""


#: Child processes running now (each in its own session), ended if the script is stopped.
_RUNNING: set[subprocess.Popen] = set()
_RUNNING_LOCK = threading.Lock()
#: Set when the script stops early: no new child is started after it.
_STOPPING = threading.Event()


def _run(args: Sequence[str], tree: Path, env, timeout: int | None) -> tuple[int | None, str]:
    """Run a command in its own process group; (return code or None on timeout, output)."""
    if _STOPPING.is_set():
        return -1, "not run: the script is stopping"
    proc = subprocess.Popen(
        list(args),
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    with _RUNNING_LOCK:
        _RUNNING.add(proc)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out
    except subprocess.TimeoutExpired:
        _end_group(proc)
        out, _ = proc.communicate()
        return None, out
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(proc)


def _end_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def end_all_children() -> None:
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for proc in running:
        _end_group(proc)


def run_check(
    kind: str, args: Sequence[str], tree: Path, env, timeout: int, log: Path
) -> RunResult:
    t0 = time.monotonic()
    code, output = _run(args, tree, env, timeout)
    log.write_text(output, encoding="utf-8")
    seconds = time.monotonic() - t0
    if code is None:
        return RunResult("timeout", f"no result after {timeout} s", seconds)
    if code == 0:
        return RunResult("survived", "", seconds)
    return RunResult("killed", _first_failure(kind, output), seconds)


def run_one(
    mutation: Mutation | None,
    snapshot: Path,
    work: Path,
    *,
    pytest: bool,
    verify: bool,
    single_thread: bool,
    keep: bool,
) -> Outcome:
    name = mutation.name if mutation else "baseline"
    base = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=work))
    tree, guard = base / "tree", base / "guard"
    try:
        shutil.copytree(snapshot, tree, symlinks=True)
        guard.mkdir()
        (guard / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
        env = environment(tree, guard, single_thread)
        if mutation is not None:
            apply_mutation(tree, mutation)
            rel, new = mutation.file, mutation.new
        else:
            rel, new = "theory/model.py", ""
        code, out = _run(
            [sys.executable, "-c", LIVE_CHECK, str(tree), module_name(rel), rel, new],
            tree,
            env,
            120,
        )
        if code != 0 or "live" not in out:
            raise RuntimeError(f"{name}: the copy does not run its own (mutated) code:\n{out}")
        skipped = RunResult("skipped")
        py = skipped
        if pytest:
            py = run_check(
                "pytest",
                # tests/test_mutation_list.py checks that every old text is still in the
                # tree, which in a mutated copy is false by construction: not a kill
                [
                    tool("pytest"),
                    "-x",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "--ignore=tests/test_mutation_list.py",
                ],
                tree,
                env,
                PYTEST_TIMEOUT,
                base / "pytest.log",
            )
        ve = skipped
        if verify:
            ve = run_check(
                "verify",
                [tool("mtl-theory"), "verify", "--quick", "--out", str(base / "report")],
                tree,
                env,
                VERIFY_TIMEOUT,
                base / "verify.log",
            )
        return Outcome(mutation, py, ve)
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)


# --------------------------------------------------------------------------- report


def _cell(r: RunResult) -> str:
    if r.status == "skipped":
        return "skipped"
    mark = {"killed": "killed", "timeout": "killed (timeout)", "survived": "**survived**"}
    return mark[r.status]


def _detail(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(outcomes: Sequence[Outcome]) -> str:
    rows = [
        "| mutation | file | claim-bearing | pytest | verify --quick "
        "| first failure (pytest; verify) |",
        "|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        m = o.mutation
        assert m is not None
        first = (
            "; ".join(d for d in (_detail(o.pytest.detail), _detail(o.verify.detail)) if d) or "-"
        )
        rows.append(
            f"| `{m.name}` | `{m.file}` | {'yes' if m.claim_bearing else 'no'} | "
            f"{_cell(o.pytest)} | {_cell(o.verify)} | {first} |"
        )
    return "\n".join(rows)


def summary_lines(outcomes: Sequence[Outcome], seconds: float) -> list[str]:
    muts = [o for o in outcomes if o.mutation is not None]
    py_ran = [o for o in muts if o.pytest.status != "skipped"]
    ve_claim = [o for o in muts if o.mutation.claim_bearing and o.verify.status != "skipped"]
    lines = [
        f"{len(muts)} mutations; pytest killed {sum(o.pytest.killed for o in py_ran)} of "
        f"{len(py_ran)}; verify --quick killed "
        f"{sum(o.verify.killed for o in muts if o.verify.status != 'skipped')} of "
        f"{sum(o.verify.status != 'skipped' for o in muts)} "
        f"({sum(o.verify.killed for o in ve_claim)} of {len(ve_claim)} claim-bearing); "
        f"wall time {seconds / 60:.1f} min.",
    ]
    bad = [o.mutation.name for o in muts if not o.meets_target]
    lines.append(
        "Targets met: none survives pytest, no claim-bearing one survives verify --quick."
        if not bad
        else "TARGET MISSED by: " + ", ".join(bad)
    )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Plant known bugs one at a time; report which pytest and verify --quick kill.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=textwrap.dedent(__doc__.split("Examples")[1]) if __doc__ else None,
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this mutation (repeatable, or comma-separated)",
    )
    parser.add_argument("--skip-pytest", action="store_true", help="do not run pytest")
    parser.add_argument("--skip-verify", action="store_true", help="do not run verify --quick")
    parser.add_argument("--workers", type=int, default=2, help="copies run in parallel (2)")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="write the table here")
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the unmutated run that checks the copies pass",
    )
    parser.add_argument("--keep", action="store_true", help="keep the copies and their logs")
    parser.add_argument("--list", action="store_true", help="print the mutations and exit")
    args = parser.parse_args(argv)

    # one snapshot of the working tree, taken now: edits made while the script runs do not
    # leak into later copies
    work = Path(tempfile.mkdtemp(prefix="mtl-mutation-"))
    snapshot = work / "snapshot"
    make_copy(ROOT, tracked_files(ROOT), snapshot)
    try:
        return _main(args, work, snapshot)
    finally:
        end_all_children()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"copies and logs kept in {work}", file=sys.stderr)


def _stop(signum, _frame) -> None:
    raise SystemExit(128 + signum)


def _main(args: argparse.Namespace, work: Path, snapshot: Path) -> int:
    signal.signal(signal.SIGTERM, _stop)
    problems = check_list(MUTATIONS, snapshot)
    if problems:
        print("mutation.py: the mutation list no longer matches the code:", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 2
    if args.list:
        for m in MUTATIONS:
            flag = "claim-bearing" if m.claim_bearing else "guard/other"
            print(f"{m.name:34s} {m.file:22s} {flag:13s} {m.what}")
        return 0
    wanted = [n for item in args.only for n in item.split(",") if n]
    known = {m.name for m in MUTATIONS}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        print(f"mutation.py: --only: unknown mutation(s) {unknown}; see --list", file=sys.stderr)
        return 2
    selected = [m for m in MUTATIONS if not wanted or m.name in wanted]
    pytest_on, verify_on = not args.skip_pytest, not args.skip_verify
    workers = max(1, args.workers)
    start = time.monotonic()
    common = dict(pytest=pytest_on, verify=verify_on, single_thread=workers > 1, keep=args.keep)
    jobs: list[Mutation | None] = ([] if args.no_baseline else [None]) + selected
    outcomes: dict[str, Outcome] = {}
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = [pool.submit(run_one, m, snapshot, work, **common) for m in jobs]
        for fut in as_completed(futures):
            o = fut.result()
            if o.mutation is None:
                failed = [r for r in (o.pytest, o.verify) if r.status == "killed"]
                failed += [r for r in (o.pytest, o.verify) if r.status == "timeout"]
                if failed:
                    print(
                        "mutation.py: the unmutated copy does not pass (pytest "
                        f"{o.pytest.status} {o.pytest.detail}; verify {o.verify.status} "
                        f"{o.verify.detail}): the results would mean nothing",
                        file=sys.stderr,
                    )
                    return 2
                print(
                    f"  {'(baseline: unmutated copy)':34s} passes: pytest "
                    f"{o.pytest.seconds:4.0f} s, verify {o.verify.seconds:4.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
                continue
            outcomes[o.mutation.name] = o
            print(
                f"  {o.mutation.name:34s} pytest {o.pytest.status:8s} "
                f"({o.pytest.seconds:4.0f} s)  verify {o.verify.status:8s} "
                f"({o.verify.seconds:4.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    finally:
        # on an early return or a signal: stop the children first, so no thread waits on them
        _STOPPING.set()
        end_all_children()
        pool.shutdown(wait=True, cancel_futures=True)
    ordered = [outcomes[m.name] for m in selected]
    seconds = time.monotonic() - start
    table = markdown_table(ordered)
    lines = summary_lines(ordered, seconds)
    print(table)
    print()
    print("\n".join(lines))
    if args.markdown:
        args.markdown.write_text(table + "\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return 0 if all(o.meets_target for o in ordered) else 1


if __name__ == "__main__":
    sys.exit(main())
