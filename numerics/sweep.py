"""The sweep engine behind phase diagrams: deterministic, resumable, local or on Dask.

A sweep evaluates a pure function ``compute(params, seed)`` on every point of a grid.

* **Determinism** — each point's seed is derived from (diagram name, the point's parameters,
  base seed) by a cryptographic hash (:func:`point_seed`), never from its position in a queue,
  so results do not depend on the number of workers or the order in which points finish.
* **Nothing lost** — the parent process commits every finished point to an SQLite store
  (standard library) in its own transaction; a killed sweep leaves only whole points behind,
  and ``resume=True`` recomputes none of them.
* **Scale out** — points run in ``workers`` local processes (``spawn``, one BLAS thread
  each); ``dask_address`` submits them to a ``dask.distributed`` scheduler (whose nannies
  also start workers with one BLAS thread).
* **Planned** — given a per-point cost estimate (``cost``: seconds of one core and peak
  memory, from the caller — this layer knows no route), the points run longest first
  (Graham's LPT rule: its makespan is within 4/3 − 1/(3W) of the optimum on W workers), the
  estimated total is reported before the first point starts (:func:`plan_sweep`), and the
  progress bar's ETA is the remaining plan rescaled by the observed/estimated ratio of the
  finished points. The order never changes a result: seeds come from the parameters.

Why one BLAS thread everywhere, even for ``workers=1``: a multi-threaded BLAS may block a
matrix product differently and so round differently. Measured here: the ReLU/ReLN context
experiment gave different last digits in-process (threaded BLAS) and in a worker, which would
make results depend on the worker count. ``in_process=True`` runs in this process instead
(for debugging, and for callables that cannot be pickled); it is exact only where the
computation does not depend on BLAS threading.
"""

from __future__ import annotations

import gc
import hashlib
import heapq
import json
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

from mtl_theory.numerics.blas import single_thread_blas_environment
from mtl_theory.numerics.precision import DEFAULT_DTYPE

Compute = Callable[[Mapping[str, Any], int], Mapping[str, Any]]
#: progress(done, total, eta_seconds): eta is None until it can be estimated.
Progress = Callable[[int, int, "float | None"], None]


class PointCost(Protocol):
    """What a cost estimate of one point must give (e.g. ``mtl_theory.cost.Cost``)."""

    @property
    def seconds(self) -> float: ...  # one core, idle machine

    @property
    def memory_bytes(self) -> int: ...  # peak


CostEstimate = Callable[[Mapping[str, Any]], PointCost]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sweeps (
    diagram TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    n_points INTEGER NOT NULL,
    base_seed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS points (
    diagram TEXT NOT NULL,
    key TEXT NOT NULL,
    params TEXT NOT NULL,
    seed INTEGER NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (diagram, key)
);
"""


class SweepError(RuntimeError):
    """A sweep that cannot run as asked (e.g. resuming a store made for other points)."""


@dataclass(frozen=True)
class PointRecord:
    """One finished grid point: its canonical key, parameters, derived seed and result."""

    key: str
    params: Mapping[str, Any]
    seed: int
    result: Mapping[str, Any]


@dataclass(frozen=True)
class SweepPlan:
    """What a sweep is estimated to cost before it starts (:func:`plan_sweep`)."""

    n_points: int
    core_seconds: float
    wall_seconds: float
    longest_seconds: float
    shortest_seconds: float
    peak_memory_bytes: int
    workers: int
    estimated: bool

    def describe(self) -> str:
        """One line for the terminal."""
        if not self.estimated:
            return f"plan: {self.n_points} point(s) to compute, no cost estimate"
        return (
            f"plan: {self.n_points} point(s), estimated {_duration(self.core_seconds)} of one "
            f"core, about {_duration(self.wall_seconds)} wall on {self.workers} worker(s) "
            f"(points {_duration(self.shortest_seconds)} to {_duration(self.longest_seconds)} "
            f"each, at most {_mib(self.peak_memory_bytes)} at once); estimates for an idle core"
        )


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} h"
    if seconds >= 120:
        return f"{seconds / 60:.3g} min"
    return f"{seconds:.3g} s"


def _mib(n: int) -> str:
    return f"{n / 2**30:.3g} GiB" if n >= 2**30 else f"{n / 2**20:.3g} MiB"


def longest_first(seconds: Sequence[float]) -> list[int]:
    """Indices in the order to run them: decreasing cost, ties in grid order (stable).

    Examples
    --------
    >>> longest_first([1.0, 3.0, 2.0, 3.0])
    [1, 3, 2, 0]
    """
    return sorted(range(len(seconds)), key=lambda i: -seconds[i])


def makespan(seconds: Sequence[float], workers: int) -> float:
    """Finish time of list scheduling in the given order on ``workers`` identical workers
    (each job goes to the first free worker): what the process runner does.

    Examples
    --------
    >>> makespan([3.0, 3.0, 2.0, 2.0, 2.0], 2)
    7.0
    >>> makespan([], 4)
    0.0
    """
    free = [0.0] * max(1, min(int(workers), len(seconds)))
    for s in seconds:
        heapq.heappush(free, heapq.heappop(free) + float(s))
    return max(free, default=0.0) if seconds else 0.0


def plan_sweep(costs: Sequence[PointCost] | None, n_points: int, workers: int) -> SweepPlan:
    """Estimated core time, wall time on ``workers`` (longest first) and peak memory.

    ``costs`` None: no estimate (every point counts as one unit, order kept).
    """
    if costs is None:
        nan = float("nan")
        return SweepPlan(n_points, nan, nan, nan, nan, 0, workers, False)
    seconds = [float(c.seconds) for c in costs]
    order = longest_first(seconds)
    memory = sorted((int(c.memory_bytes) for c in costs), reverse=True)
    return SweepPlan(
        n_points=len(seconds),
        core_seconds=float(sum(seconds)),
        wall_seconds=makespan([seconds[i] for i in order], workers),
        longest_seconds=max(seconds, default=0.0),
        shortest_seconds=min(seconds, default=0.0),
        peak_memory_bytes=sum(memory[: max(1, workers)]),
        workers=workers,
        estimated=True,
    )


class _Eta:
    """Remaining wall time: the rest of the plan on the workers, rescaled by the ratio of
    observed to estimated seconds of the points finished so far (load, estimate error)."""

    def __init__(self, estimates: Mapping[str, float], workers: int) -> None:
        self.remaining = dict(estimates)
        self.workers = workers
        self.observed = 0.0
        self.estimated = 0.0

    def finished(self, key: str, seconds: float) -> None:
        self.estimated += self.remaining.pop(key, 0.0)
        self.observed += seconds

    @property
    def ratio(self) -> float | None:
        return self.observed / self.estimated if self.estimated > 0 else None

    def eta(self) -> float | None:
        ratio = self.ratio
        if ratio is None:
            return None
        left = sorted(self.remaining.values(), reverse=True)
        return ratio * makespan(left, self.workers)


def point_key(params: Mapping[str, Any]) -> str:
    """Canonical JSON of a point's parameters (sorted keys): its identity in the store."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"), allow_nan=False)


def point_seed(diagram: str, params: Mapping[str, Any], base_seed: int = 0) -> int:
    """A 63-bit seed derived from (diagram, point, base seed) by SHA-256.

    Examples
    --------
    >>> point_seed("demo", {"x": 1}) == point_seed("demo", {"x": 1})
    True
    >>> point_seed("demo", {"x": 1}) != point_seed("demo", {"x": 2})
    True
    """
    text = f"{diagram}\x1f{point_key(params)}\x1f{int(base_seed)}"
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def sweep_fingerprint(
    diagram: str, keys: Sequence[str], base_seed: int, dtype: str = DEFAULT_DTYPE
) -> str:
    """Identifies a sweep's grid, seed and arithmetic; resuming into another is refused.

    The dtype enters only when it is not the default, so float64 stores made before the
    dtype option existed keep their fingerprint (and stay resumable).
    """
    h = hashlib.sha256()
    h.update(diagram.encode())
    h.update(str(int(base_seed)).encode())
    if dtype != DEFAULT_DTYPE:
        h.update(b"\x1d" + dtype.encode())
    for k in keys:
        h.update(b"\x1e" + k.encode())
    return h.hexdigest()


class SweepStore:
    """SQLite store of finished points; only the parent process writes to it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per point.
        self._db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
        try:
            self._db.execute("PRAGMA journal_mode=DELETE")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._db.execute("SELECT diagram, fingerprint, n_points, base_seed FROM sweeps")
            self._db.execute("SELECT diagram, key, params, seed, result FROM points LIMIT 1")
        except sqlite3.DatabaseError as exc:  # a damaged or foreign file at the store's path
            self._db.close()
            raise SweepError(
                f"{self.path}: not a usable sweep store ({exc}); move it away or delete it to "
                "start afresh"
            ) from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    def start(
        self, diagram: str, fingerprint: str, n_points: int, base_seed: int, resume: bool
    ) -> None:
        """Register a sweep; without ``resume`` its old points are discarded."""
        row = self._db.execute(
            "SELECT fingerprint FROM sweeps WHERE diagram = ?", (diagram,)
        ).fetchone()
        if resume and row is not None and row[0] != fingerprint:
            raise SweepError(
                f"{self.path}: the stored sweep of {diagram!r} has other points, another "
                "seed or another --dtype; run without --resume to recompute it"
            )
        with self._transaction() as db:
            if not resume or row is None:
                db.execute("DELETE FROM points WHERE diagram = ?", (diagram,))
            db.execute(
                "INSERT OR REPLACE INTO sweeps VALUES (?, ?, ?, ?)",
                (diagram, fingerprint, n_points, int(base_seed)),
            )

    def done(self, diagram: str) -> dict[str, PointRecord]:
        rows = self._db.execute(
            "SELECT key, params, seed, result FROM points WHERE diagram = ?", (diagram,)
        )
        return {k: PointRecord(k, json.loads(p), int(s), json.loads(r)) for k, p, s, r in rows}

    def put(self, diagram: str, record: PointRecord) -> None:
        result = json.dumps(record.result, allow_nan=True)
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?, ?)",
                (diagram, record.key, point_key(record.params), record.seed, result),
            )


def _evaluate(
    compute: Compute, params: Mapping[str, Any], seed: int
) -> tuple[dict[str, Any], float]:
    """The point's result and the wall seconds it took in its worker (for the ETA only)."""
    start = time.perf_counter()
    result = compute(dict(params), seed)
    if not isinstance(result, Mapping):
        raise SweepError(f"compute returned {type(result).__name__}, expected a dict")
    # Round-trip through JSON now, so a result that cannot be stored fails at its point.
    return json.loads(json.dumps(dict(result), allow_nan=True)), time.perf_counter() - start


def terminal_progress(label: str) -> Progress | None:
    """A one-line progress bar on stderr, or ``None`` when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None
    start = time.monotonic()

    def show(done: int, total: int, eta: float | None = None) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        elapsed = time.monotonic() - start
        bar = "#" * filled + "." * (width - filled)
        eta_text = "?" if eta is None else _duration(eta)
        sys.stderr.write(
            f"\r{label} [{bar}] {done}/{total}  {_duration(elapsed)} elapsed, eta {eta_text} "
        )
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def run_sweep(
    diagram: str,
    compute: Compute,
    points: Sequence[Mapping[str, Any]],
    store_path: str | Path,
    *,
    base_seed: int = 0,
    workers: int = 1,
    dask_address: str | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    in_process: bool = False,
    dtype: str = DEFAULT_DTYPE,
    cost: CostEstimate | None = None,
    log: Callable[[str], None] | None = None,
) -> list[PointRecord]:
    """Evaluate ``compute`` on every point and return the records in grid order.

    Parameters
    ----------
    diagram : str
        Name of the sweep (part of every point's seed and of the store's keys).
    compute : callable (params, seed) -> dict
        Pure and module-level (it is pickled by reference for worker processes and Dask).
    points : sequence of dict
        Parameters of each point; keys must be unique after canonicalization.
    store_path : path
        SQLite file; created if missing.
    base_seed : int, default 0
    workers : int, default 1
        Number of local worker processes (one BLAS thread each).
    dask_address : str, optional
        Address of a ``dask.distributed`` scheduler (``tcp://host:port``); overrides
        ``workers``.
    resume : bool, default False
        Keep the points a previous run of the same grid finished; compute only the rest.
    progress : callable (done, total, eta_seconds), optional
    in_process : bool, default False
        Run in this process (with its BLAS threads) instead of worker processes.
    dtype : str, default "float64"
        The arithmetic ``compute`` was bound to; part of the fingerprint only (a resumed
        sweep never mixes dtypes), not of the points' seeds.
    cost : callable (params) -> PointCost, optional
        Estimated seconds of one core and peak memory of a point: the points run longest
        first and the plan is logged before the first starts. Without it, grid order.
    log : callable (str), optional
        Receives the plan line (:meth:`SweepPlan.describe`) before the work starts and the
        observed/estimated ratio after it.

    Returns
    -------
    list of PointRecord
    """
    keys = _grid_keys(diagram, points, workers)
    fingerprint = sweep_fingerprint(diagram, keys, base_seed, dtype)
    with SweepStore(store_path) as store:
        store.start(diagram, fingerprint, len(points), base_seed, resume)
        finished = store.done(diagram) if resume else {}
        plan = _plan_points(diagram, keys, points, finished, base_seed, cost, workers)
        todo, costs, eta = plan.todo, plan.costs, plan.eta

        def announce(n_workers: int) -> None:
            """Called by the runner once it knows its worker count, before any point."""
            eta.workers = n_workers
            if log is not None:
                log(plan_sweep(costs, len(todo), n_workers).describe())

        total = len(points)
        count = [total - len(todo)]

        def record(key: str, params: dict[str, Any], seed: int, outcome: tuple) -> None:
            result, took = outcome
            rec = PointRecord(key, params, seed, result)
            store.put(diagram, rec)
            finished[key] = rec
            eta.finished(key, took)
            count[0] += 1
            if progress is not None:
                progress(count[0], total, eta.eta() if costs is not None else None)

        if progress is not None:
            progress(count[0], total, None)
        _dispatch(compute, todo, workers, dask_address, in_process, record, announce)
        if log is not None and costs is not None and eta.ratio is not None:
            log(_ratio_line(eta))
        return _in_grid_order(keys, points, finished)


def _grid_keys(diagram: str, points: Sequence[Mapping[str, Any]], workers: int) -> list[str]:
    """The points' canonical keys; a worker count below 1 or duplicate points raise."""
    if workers < 1:
        raise SweepError(f"workers must be >= 1, given {workers}")
    keys = [point_key(p) for p in points]
    if len(set(keys)) != len(keys):
        raise SweepError(f"{diagram}: duplicate grid points")
    return keys


@dataclass(frozen=True)
class _PointPlan:
    """The points still to compute as (key, params, seed), longest first; their estimated
    costs in the same order before sorting (None without an estimate, as
    :func:`plan_sweep` takes them); the ETA tracker over them."""

    todo: list[tuple[str, dict[str, Any], int]]
    costs: list[PointCost] | None
    eta: _Eta


def _plan_points(
    diagram: str,
    keys: Sequence[str],
    points: Sequence[Mapping[str, Any]],
    finished: Mapping[str, PointRecord],
    base_seed: int,
    cost: CostEstimate | None,
    workers: int,
) -> _PointPlan:
    """What is left to compute (points not in ``finished``), with each point's derived seed,
    ordered longest first by ``cost`` (grid order without it)."""
    todo = [
        (k, dict(p), point_seed(diagram, p, base_seed))
        for k, p in zip(keys, points, strict=True)
        if k not in finished
    ]
    costs = None if cost is None else [cost(params) for _, params, _ in todo]
    seconds = [1.0] * len(todo) if costs is None else [float(c.seconds) for c in costs]
    eta = _Eta({item[0]: s for item, s in zip(todo, seconds, strict=True)}, workers)
    return _PointPlan([todo[i] for i in longest_first(seconds)], costs, eta)


def _dispatch(
    compute: Compute,
    todo: list,
    workers: int,
    dask_address: str | None,
    in_process: bool,
    record: Callable,
    announce: Callable,
) -> None:
    """Run the points on a Dask scheduler, in this process, or on local worker processes."""
    if dask_address is not None:
        _run_dask(compute, todo, dask_address, record, announce)
    elif in_process:
        announce(1)
        for key, params, seed in todo:
            record(key, params, seed, _evaluate(compute, params, seed))
    else:
        announce(workers)
        _run_processes(compute, todo, workers, record)


def _ratio_line(eta: _Eta) -> str:
    """The log line of observed over estimated seconds per point, after the sweep."""
    return (
        f"observed/estimated seconds per point: {eta.ratio:.3g} "
        f"({eta.observed:.4g} s measured in the workers for {eta.estimated:.4g} s "
        "estimated)"
    )


def _in_grid_order(
    keys: Sequence[str], points: Sequence[Mapping[str, Any]], finished: Mapping[str, PointRecord]
) -> list[PointRecord]:
    """The records in grid order, with the parameters as the caller gave them (key order
    included), also for resumed points whose stored parameters are canonical (sorted) JSON:
    the CSV columns stay stable."""
    return [
        PointRecord(k, dict(p), finished[k].seed, finished[k].result)
        for k, p in zip(keys, points, strict=True)
    ]


#: How often a worker checks that its parent still lives (seconds).
PARENT_WATCH_INTERVAL_S = 0.5


def watch_parent(parent_pid: int, interval: float = PARENT_WATCH_INTERVAL_S) -> None:
    """Worker initializer: exit as soon as the parent sweep process is gone.

    A SIGKILLed parent cannot tell its pool to stop, and the pool's workers (and the
    multiprocessing resource tracker) would live on, some computing a point nobody will
    store (issue 14). A daemon thread polls the parent's pid; when the worker has been
    re-parented (``os.getppid()`` changed), the parent is dead and the worker ends itself
    with ``os._exit`` (no cleanup to run: results go only to the parent).
    """

    def loop() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(70)
            time.sleep(interval)

    threading.Thread(target=loop, name="parent-watch", daemon=True).start()


def init_watched_worker(parent_pid: int) -> None:
    """Initializer of :func:`watched_pool`'s workers: :func:`watch_parent`, then
    ``gc.freeze()``: the modules the worker imported on start live as long as it does, and
    frozen, no collection during its tasks walks them again (as the ``mtl-theory`` program
    does in its own process, mtl_theory.cli.console_main). Nothing is freed or changed.

    The worker's BLAS is limited to one thread for its life: a spawned worker's already is
    (its environment, :func:`single_thread_blas_environment`), a forked one has the
    parent's loaded BLAS and its thread count, whatever that was at the fork."""
    from threadpoolctl import threadpool_limits

    watch_parent(parent_pid)
    threadpool_limits(limits=1)  # kept: not restored, the worker ends with the pool
    gc.freeze()


@contextmanager
def watched_pool(workers: int, start_method: str = "spawn") -> Iterator[ProcessPoolExecutor]:
    """``workers`` processes with one BLAS thread each, which exit with this process.

    Workers are started lazily at submit time, so the environment they inherit stays set
    for the pool's whole life; each watches its parent (:func:`watch_parent`), so a
    SIGKILLed parent leaves no worker behind. Used by sweeps and by ``verify --workers``.

    ``start_method`` is multiprocessing's: ``"spawn"`` (a fresh interpreter that imports
    what it needs) or ``"fork"`` (a copy of this process, with its imports, started in
    milliseconds; only where :func:`mtl_theory.numerics.blas.fork_is_safe`, which the
    caller checks: a fork copies this process's BLAS thread setting, so it must be inside
    :func:`mtl_theory.numerics.blas.single_blas_thread`, as ``verify`` is). Python 3.11's
    pool forks every worker at the first submit, before its own manager thread starts;
    buffered output is flushed first, or a child would write it again when it exits.
    """
    if start_method == "fork":
        sys.stdout.flush()
        sys.stderr.flush()
    with (
        single_thread_blas_environment(),
        ProcessPoolExecutor(
            max_workers=workers,
            mp_context=get_context(start_method),
            initializer=init_watched_worker,
            initargs=(os.getpid(),),
        ) as pool,
    ):
        yield pool


def _run_processes(compute: Compute, todo: list, workers: int, record: Callable) -> None:
    with watched_pool(workers) as pool:
        pending: dict[Future, tuple[str, dict, int]] = {}
        queue = iter(todo)
        # Keep at most 2 points per worker in flight: a kill loses little, memory stays flat.
        for item in queue:
            pending[pool.submit(_evaluate, compute, item[1], item[2])] = item
            if len(pending) >= 2 * workers:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                key, params, seed = pending.pop(fut)
                record(key, params, seed, fut.result())
                nxt = next(queue, None)
                if nxt is not None:
                    pending[pool.submit(_evaluate, compute, nxt[1], nxt[2])] = nxt


def _run_dask(
    compute: Compute, todo: list, address: str, record: Callable, announce: Callable
) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # the [dask] extra is optional
        raise SweepError(
            "--dask needs the optional dask extra: pip install 'mtl-theory[dask]'"
        ) from exc
    try:
        client_cm = Client(address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise SweepError(f"--dask: cannot reach the scheduler at {address!r} ({exc})") from None
    with client_cm as client:
        announce(max(1, sum(client.nthreads().values())))
        futures = {}
        # todo is longest first; a higher priority runs first on the scheduler
        for rank, (key, params, seed) in enumerate(todo):
            fut = client.submit(
                _evaluate,
                compute,
                params,
                seed,
                key=f"point-{seed:x}",
                pure=False,
                priority=len(todo) - rank,
            )
            futures[fut] = (key, params, seed)
        for fut in as_completed(futures):
            key, params, seed = futures[fut]
            record(key, params, seed, fut.result())
