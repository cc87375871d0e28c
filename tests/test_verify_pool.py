"""verify's worker pool: one BLAS thread per worker, for the pool's whole life."""

import os

from mtl_theory import api
from mtl_theory.report import _worker_pool


def _worker_state(_: int) -> tuple[str | None, int, int]:
    """OPENBLAS_NUM_THREADS here, the parent's pid and the parent's thread count (-1: no /proc)."""
    parent = os.getppid()
    tasks = f"/proc/{parent}/task"
    return (
        os.environ.get("OPENBLAS_NUM_THREADS"),
        parent,
        len(os.listdir(tasks)) if os.path.isdir(tasks) else -1,
    )


def test_workers_start_with_one_blas_thread():
    """Workers start at the first submit, so the one-thread environment must still be set
    then (it used to be restored as soon as the executor was built, before any worker
    existed); a fork server, if used, is a single-threaded process when it forks."""
    before = os.environ.get("OPENBLAS_NUM_THREADS")
    with _worker_pool(api.registry(), 2) as pool:
        states = list(pool.map(_worker_state, range(4)))
    assert {env for env, _, _ in states} == {"1"}
    assert os.environ.get("OPENBLAS_NUM_THREADS") == before
    servers = {(parent, threads) for _, parent, threads in states if parent != os.getpid()}
    assert all(threads in (1, -1) for _, threads in servers)
