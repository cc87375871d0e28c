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

Why one BLAS thread everywhere, even for ``workers=1``: a multi-threaded BLAS may block a
matrix product differently and so round differently. Measured here: the ReLU/ReLN context
experiment gave different last digits in-process (threaded BLAS) and in a worker, which would
make results depend on the worker count. ``in_process=True`` runs in this process instead
(for debugging, and for callables that cannot be pickled); it is exact only where the
computation does not depend on BLAS threading.
"""

from __future__ import annotations

import hashlib
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
from typing import Any

from mtl_theory.numerics.blas import single_thread_blas_environment
from mtl_theory.numerics.precision import DEFAULT_DTYPE

Compute = Callable[[Mapping[str, Any], int], Mapping[str, Any]]
Progress = Callable[[int, int], None]

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


def _evaluate(compute: Compute, params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    result = compute(dict(params), seed)
    if not isinstance(result, Mapping):
        raise SweepError(f"compute returned {type(result).__name__}, expected a dict")
    # Round-trip through JSON now, so a result that cannot be stored fails at its point.
    return json.loads(json.dumps(dict(result), allow_nan=True))


def terminal_progress(label: str) -> Progress | None:
    """A one-line progress bar on stderr, or ``None`` when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None
    start = time.monotonic()

    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        elapsed = time.monotonic() - start
        eta = elapsed / done * (total - done) if done else float("nan")
        bar = "#" * filled + "." * (width - filled)
        sys.stderr.write(f"\r{label} [{bar}] {done}/{total}  eta {eta:5.0f}s ")
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
    progress : callable (done, total), optional
    in_process : bool, default False
        Run in this process (with its BLAS threads) instead of worker processes.
    dtype : str, default "float64"
        The arithmetic ``compute`` was bound to; part of the fingerprint only (a resumed
        sweep never mixes dtypes), not of the points' seeds.

    Returns
    -------
    list of PointRecord
    """
    if workers < 1:
        raise SweepError(f"workers must be >= 1, given {workers}")
    keys = [point_key(p) for p in points]
    if len(set(keys)) != len(keys):
        raise SweepError(f"{diagram}: duplicate grid points")
    fingerprint = sweep_fingerprint(diagram, keys, base_seed, dtype)
    with SweepStore(store_path) as store:
        store.start(diagram, fingerprint, len(points), base_seed, resume)
        finished = store.done(diagram) if resume else {}
        todo = [
            (k, dict(p), point_seed(diagram, p, base_seed))
            for k, p in zip(keys, points, strict=True)
            if k not in finished
        ]
        total = len(points)
        count = [total - len(todo)]

        def record(key: str, params: dict[str, Any], seed: int, result: Mapping) -> None:
            rec = PointRecord(key, params, seed, result)
            store.put(diagram, rec)
            finished[key] = rec
            count[0] += 1
            if progress is not None:
                progress(count[0], total)

        if progress is not None:
            progress(count[0], total)
        if dask_address is not None:
            _run_dask(compute, todo, dask_address, record)
        elif in_process:
            for key, params, seed in todo:
                record(key, params, seed, _evaluate(compute, params, seed))
        else:
            _run_processes(compute, todo, workers, record)
        # Parameters as the caller gave them (key order included), also for resumed points
        # whose stored parameters are canonical (sorted) JSON: the CSV columns stay stable.
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


def _run_processes(compute: Compute, todo: list, workers: int, record: Callable) -> None:
    # Workers are started lazily at submit time, so the environment they inherit must stay
    # set for the pool's whole life.
    with (
        single_thread_blas_environment(),
        ProcessPoolExecutor(
            max_workers=workers,
            mp_context=get_context("spawn"),
            initializer=watch_parent,
            initargs=(os.getpid(),),
        ) as pool,
    ):
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


def _run_dask(compute: Compute, todo: list, address: str, record: Callable) -> None:
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
        futures = {}
        for key, params, seed in todo:
            fut = client.submit(_evaluate, compute, params, seed, key=f"point-{seed:x}", pure=False)
            futures[fut] = (key, params, seed)
        for fut in as_completed(futures):
            key, params, seed = futures[fut]
            record(key, params, seed, fut.result())
