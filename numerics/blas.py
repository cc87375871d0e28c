"""BLAS threading: one place for how this toolkit keeps matrix products single-threaded.

Why: the networks here are small. On small matrices a multi-threaded BLAS is slower (measured
on the 2-core machine under load: a 300-epoch WTA training run took 13.5 s threaded vs 0.7 s
single-threaded), and it may block a product differently and so round differently (measured:
the GDLN context experiment's last digits changed between a threaded and a single-threaded
BLAS), which would make results depend on how a computation was scheduled.

* :func:`single_thread_blas_environment` — for processes started inside the block (sweep
  workers, isolated training runs): they read the thread variables when their BLAS loads.
* :func:`single_blas_thread` — for this process: limits its BLAS and OpenMP pools to one
  thread around a block (:mod:`threadpoolctl`). ``mtl-theory check`` and ``verify`` run inside
  it, so a check computes with the same single-threaded products as a ``phase`` worker.
* :func:`run_in_threads` — independent computations of one process (the three networks of
  the GDLN context experiment) in threads, each product single-threaded, so the results are
  those of a serial run.
* :func:`nested_jobs` — how many nested jobs (those threads; the trained EVIDENCE networks'
  processes) a computation runs at a time: one in the processes of a pool and in its parent
  while the pool runs (:func:`single_thread_blas_environment`), whose processes already take
  the cores; elsewhere ``MTL_THEORY_NESTED_JOBS`` if set, else the caller's default (1 for
  threads: they did not pay on the 2-core machine, even alone).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

# threadpoolctl limits only the libraries already loaded: load numpy's BLAS first, so that
# entering the block before anything else imports numpy still limits it.
import numpy  # noqa: F401
from threadpoolctl import threadpool_info, threadpool_limits

T = TypeVar("T")

#: How many nested jobs a process runs at a time (a positive integer; unset: the caller's
#: default; 1 inside :func:`single_thread_blas_environment`). See :func:`nested_jobs`.
NESTED_JOBS_VARIABLE = "MTL_THEORY_NESTED_JOBS"

# Environment for worker processes: one BLAS/OpenMP thread each, so that N workers use N
# cores rather than N x (cores) oversubscribed threads; and one nested job at a time
# (nested_jobs), for the same reason: the processes already take the cores.
_SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    NESTED_JOBS_VARIABLE: "1",
}


@contextlib.contextmanager
def single_thread_blas_environment() -> Iterator[None]:
    """Set the BLAS/OpenMP thread variables to 1 for processes started inside this block.

    A child process reads them when its BLAS loads; this process's own BLAS is unaffected.
    ``MTL_THEORY_NESTED_JOBS`` is set to 1 too: the children, and this process while the block
    lasts, run nested jobs one at a time (:func:`nested_jobs`) whatever the variable said
    before. The block is where processes are started to share the cores (sweep workers;
    ``verify``'s pool, whose parent computes items beside its workers): nested threads or
    processes on top of them only add contention (measured by the lead on the idle 2-core
    machine: ``verify --workers 2``'s items 181 s CPU with 2-3 job threads in each busy
    process, 168 s serially).

    Examples
    --------
    >>> with single_thread_blas_environment():
    ...     os.environ["MTL_THEORY_NESTED_JOBS"]
    '1'
    """
    saved = {k: os.environ.get(k) for k in _SINGLE_THREAD_ENV}
    os.environ.update(_SINGLE_THREAD_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Run the block with every BLAS and OpenMP pool of this process limited to one thread.

    Through :func:`threadpoolctl.threadpool_limits`, which finds the loaded BLAS (numpy's
    bundled OpenBLAS, MKL, BLIS, ...) itself. Nested use is fine: the limits in force before
    the block are restored after it. Why: the training matrices are tiny (~100 x 200);
    multi-threaded OpenBLAS on a shared 2-core machine made one 300-epoch run take 13.5 s
    instead of 0.7 s single-threaded (measured, load average ~7), and a threaded product may
    round differently from the one a single-threaded worker process computes.

    Examples
    --------
    >>> import numpy as np
    >>> from threadpoolctl import threadpool_info
    >>> with single_blas_thread():
    ...     all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")
    True
    """
    with threadpool_limits(limits=1):
        yield


def blas_single_threaded() -> bool:
    """True when every BLAS and OpenMP pool loaded in this process runs one thread.

    Then a computation run here uses the same single-threaded products as one run in a
    process started inside :func:`single_thread_blas_environment`, so a spawned process
    bought only for one BLAS thread (about 1.6 s of imports on the 2-core machine) can be
    skipped: ``check`` and ``verify`` compute inside :func:`single_blas_thread`.

    Examples
    --------
    >>> with single_blas_thread():
    ...     blas_single_threaded()
    True
    """
    return all(pool["num_threads"] == 1 for pool in threadpool_info())


def nested_jobs(default: int = 1) -> int:
    """How many independent nested jobs a computation runs at a time when not told.

    1 inside :func:`single_thread_blas_environment` (pool workers, and a parent while its
    pool runs: the pool's processes take the cores); elsewhere ``MTL_THEORY_NESTED_JOBS`` if
    set (a positive integer), else ``default``. Callers: :func:`run_in_threads` (default 1)
    and the trained EVIDENCE networks' processes (default: one per network, up to the CPUs).

    Why threads default to 1: on the 2-core machine the 3-context experiment's networks cost
    more in threads than serially, and were not faster even on an idle machine (measured by
    the lead: 8.78 s CPU and 5.69 s wall in 2 threads vs 5.23 s serially; here under load,
    ``bench_gdln.py``: 6.26 vs 4.61 s CPU, every network's own thread CPU up 1.3-1.4x; why
    was not profiled: the cores' shared caches and memory, the GIL over the loops' Python
    are candidates). Where cores are free and threads do pay, set the variable.

    Raises
    ------
    ValueError
        If the variable is set to anything but a positive integer.

    Examples
    --------
    >>> with single_thread_blas_environment():
    ...     nested_jobs(default=4)
    1
    """
    value = os.environ.get(NESTED_JOBS_VARIABLE, "").strip()
    if not value:
        return max(1, int(default))
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{NESTED_JOBS_VARIABLE}: expected a positive integer, given {value!r}")
    return int(value)


def run_in_threads(jobs: Sequence[Callable[[], T]], workers: int | None = None) -> list[T]:
    """``[job() for job in jobs]``, up to ``workers`` at a time in threads of this process.

    For independent numpy computations made of BLAS products and large ufuncs, which release
    the GIL while they compute (the GDLN trainings hold it for ~10 % of their time, measured
    at width 7 where only the Python overhead is left): two jobs then run on two cores
    without spawning a process, which would cost ~1.6 s of imports per child on this
    machine, more than a whole 3-context training.

    Results are those of a serial run, bit for bit: every job computes on its own arrays,
    and the block runs inside :func:`single_blas_thread`, so each product is the
    single-threaded product a serial ``check`` (or a ``phase`` worker) computes, whichever
    thread calls it. The jobs must not share mutable state. ``workers`` defaults to
    :func:`nested_jobs` (1 unless ``MTL_THEORY_NESTED_JOBS`` says more; always 1 in a pool's
    processes); 1 (or a single job) runs serially here. The first exception, in the jobs'
    order, is raised after every job has finished.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.arange(9.0).reshape(3, 3)
    >>> [r.tolist() for r in run_in_threads([lambda: a @ a, lambda: a.T @ a], workers=2)] == [
    ...     (a @ a).tolist(), (a.T @ a).tolist()]
    True
    """
    n = len(jobs)
    if workers is None:
        workers = nested_jobs()
    workers = max(1, min(int(workers), n))
    with single_blas_thread():
        if workers == 1:
            return [job() for job in jobs]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mtl-job") as pool:
            futures = [pool.submit(job) for job in jobs]
            return [f.result() for f in futures]
