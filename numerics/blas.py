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
* :func:`run_forked` — independent computations of one process (the networks of the GDLN
  context experiment) in forked copies of it, each product single-threaded, so the results
  are those of a serial run.
* :func:`nested_jobs` — how many nested jobs (those forked processes; the trained EVIDENCE
  networks' processes) a computation runs at a time: one in the processes of a pool and in
  its parent while the pool runs (:func:`single_thread_blas_environment`), whose processes
  already take the cores; elsewhere ``MTL_THEORY_NESTED_JOBS`` if set, else the caller's
  default (the number of jobs, at most the CPUs).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
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
    set (a positive integer), else ``default``. Callers: :func:`run_forked` (default: the
    jobs, up to the CPUs) and the trained EVIDENCE networks' processes (default: one per
    network, up to the CPUs).

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


def run_forked(jobs: Sequence[Callable[[], T]], workers: int | None = None) -> list[T]:
    """``[job() for job in jobs]``, up to ``workers`` at a time in forked copies of this process.

    For independent numpy computations (the networks of the GDLN context experiment): this
    process computes the last job while forked children compute the others, each child
    sending its result back pickled through a pipe. A fork copies the process, with its
    imports and its arrays, in milliseconds; a spawned process would cost ~1.6 s of imports
    on this machine, more than a whole 3-context training. Threads were tried first and were
    slower than one thread (the 3-context experiment, idle 2-core machine: 5.69 s wall and
    8.78 s CPU in threads against 5.23 s serially); forked, it takes 2.4-2.6 s wall against
    4.3-4.4 s serially (measured side by side, 2026-12-03).

    Results are those of a serial run, bit for bit: a child is this process, with the same
    arrays and the same single-threaded BLAS (the block runs inside
    :func:`single_blas_thread`), computing the same products. The jobs must not rely on side
    effects: a child's changes to shared state stay in the child. ``workers`` defaults to
    :func:`nested_jobs` with the number of jobs (at most the CPUs) as its default: one at a
    time in a pool's processes, which already take the cores. It runs serially here where a
    fork is not safe or not available: not on Linux, or when this process runs other Python
    threads (a notebook's, a caller's; the native BLAS threads are quiesced at fork by the
    BLAS itself). The first exception, in the jobs' order, is raised after every job has
    finished (a child's as a RuntimeError with its traceback).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.arange(9.0).reshape(3, 3)
    >>> [r.tolist() for r in run_forked([lambda: a @ a, lambda: a.T @ a], workers=2)] == [
    ...     (a @ a).tolist(), (a.T @ a).tolist()]
    True
    """
    n = len(jobs)
    if workers is None:
        workers = nested_jobs(default=min(n, os.cpu_count() or 1))
    workers = max(1, min(int(workers), n))
    with single_blas_thread():
        if workers == 1 or not fork_is_safe():
            return [job() for job in jobs]
        outcomes: list[tuple[str, object] | None] = [None] * n
        waiting = list(range(n - 1))
        running: dict[int, tuple[int, int]] = {}
        try:
            while waiting and len(running) < workers - 1:
                i = waiting.pop(0)
                running[i] = _fork_job(jobs[i])
            outcomes[n - 1] = _outcome(jobs[n - 1])
            while running:
                i = min(running)
                outcomes[i] = _collect(*running.pop(i))
                if waiting:
                    j = waiting.pop(0)
                    running[j] = _fork_job(jobs[j])
        finally:
            for pid, fd in running.values():  # only after an interruption of this process
                os.close(fd)
                with contextlib.suppress(OSError):
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
    for kind, value in outcomes:
        if kind == "error":
            raise value  # _outcome and _collect give exceptions
    return [value for _, value in outcomes]


def fork_is_safe() -> bool:
    import threading

    return (
        sys.platform.startswith("linux") and hasattr(os, "fork") and (threading.active_count() == 1)
    )


def _outcome(job: Callable[[], T]) -> tuple[str, object]:
    try:
        return "ok", job()
    except Exception as exc:  # raised in the jobs' order once every job has finished
        return "error", exc


def _fork_job(job: Callable[[], object]) -> tuple[int, int]:
    """Fork a child computing ``job()``: (its pid, the read end of its result pipe)."""
    import pickle
    import traceback
    import warnings

    from mtl_theory.numerics import progress

    read, write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    with warnings.catch_warnings():
        # Python >= 3.12 warns on fork when the process has other OS threads: here only the
        # BLAS's own, idle, which it quiesces at fork (pthread_atfork); fork_is_safe has
        # checked that no other Python thread runs
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running the parent's exit code
        code = 0
        try:
            os.close(read)
            try:
                with progress.listening(None):  # the parent reports progress, once
                    payload = pickle.dumps(("ok", job()), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:
                payload = pickle.dumps(("error", traceback.format_exc()))
            with os.fdopen(write, "wb") as fh:
                fh.write(payload)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def _collect(pid: int, read: int) -> tuple[str, object]:
    """The outcome a forked child sent, once it has ended."""
    import pickle

    with os.fdopen(read, "rb") as fh:
        payload = fh.read()
    os.waitpid(pid, 0)
    if not payload:
        return "error", RuntimeError(f"forked job process {pid} ended without a result")
    kind, value = pickle.loads(payload)
    if kind == "error":
        return "error", RuntimeError(f"a forked job failed:\n{value}")
    return kind, value
