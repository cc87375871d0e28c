"""verify's worker pool: one BLAS thread per worker, for the pool's whole life; no worker
outlives a SIGKILLed verify."""

import os
import signal
import subprocess
import sys
import time

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
    existed); they are this process's own children (spawned: see _worker_pool)."""
    before = os.environ.get("OPENBLAS_NUM_THREADS")
    with _worker_pool(2) as pool:
        states = list(pool.map(_worker_state, range(4)))
    assert {env for env, _, _ in states} == {"1"}
    assert os.environ.get("OPENBLAS_NUM_THREADS") == before
    assert {parent for _, parent, _ in states} == {os.getpid()}


_KILLED_VERIFY = """
import os, sys, time
from mtl_theory.report import _worker_pool

with _worker_pool(2) as pool:
    futures = [pool.submit(time.sleep, 600) for _ in range(2)]
    while len(pool._processes) < 2:
        time.sleep(0.05)
    print(" ".join(str(p) for p in pool._processes), flush=True)
    time.sleep(600)
"""


def test_no_worker_outlives_a_killed_verify():
    """SIGKILL the parent while its two workers run an item: both exit within a few watch
    intervals (a forkserver pool's server and workers lived on: issue 14's orphans)."""
    parent = subprocess.Popen([sys.executable, "-c", _KILLED_VERIFY], stdout=subprocess.PIPE)
    workers = [int(p) for p in parent.stdout.readline().split()]
    assert len(workers) == 2
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead (its parent, init, reaps it): read its state where /proc exists
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
