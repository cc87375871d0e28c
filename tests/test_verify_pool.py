"""verify's worker pool: one BLAS thread per worker, for the pool's whole life; no worker
outlives a SIGKILLed verify."""

import gc
import os
import signal
import subprocess
import sys
import time

import pytest
from mtl_theory.numerics import blas
from mtl_theory.numerics.blas import NESTED_JOBS_VARIABLE, blas_single_threaded, nested_jobs
from threadpoolctl import threadpool_limits

from mtl_theory import report
from mtl_theory.api import registry
from mtl_theory.report import DerivationOutcome, _Work, _worker_pool


def _worker_state(_: int) -> tuple[str | None, int, int, int, bool]:
    """OPENBLAS_NUM_THREADS here, the parent's pid, the parent's thread count (-1: no /proc),
    the number of objects frozen out of the collector's reach at the worker's start, and
    whether every loaded BLAS runs one thread."""
    parent = os.getppid()
    tasks = f"/proc/{parent}/task"
    return (
        os.environ.get("OPENBLAS_NUM_THREADS"),
        parent,
        len(os.listdir(tasks)) if os.path.isdir(tasks) else -1,
        gc.get_freeze_count(),
        blas_single_threaded(),
    )


@pytest.mark.parametrize("fork", [True, False])
def test_workers_start_with_one_blas_thread(monkeypatch, fork):
    """Workers start at the first submit, so the one-thread environment must still be set
    then (it used to be restored as soon as the executor was built, before any worker
    existed); they are this process's own children, forked where that is safe, else
    spawned; a forked worker's BLAS runs one thread although this process's may not."""
    monkeypatch.setattr(blas, "fork_is_safe", lambda: fork)
    before = os.environ.get("OPENBLAS_NUM_THREADS")
    with threadpool_limits(limits=2), _worker_pool(2) as pool:
        assert pool._mp_context.get_start_method() == ("fork" if fork else "spawn")
        states = list(pool.map(_worker_state, range(4)))
    assert {env for env, *_ in states} == {"1"}
    assert all(state[4] for state in states)
    assert os.environ.get("OPENBLAS_NUM_THREADS") == before
    assert {state[1] for state in states} == {os.getpid()}
    # the modules a worker imported on start are frozen (numerics.sweep.init_watched_worker);
    # a forked worker's are this process's
    assert min(state[3] for state in states) > 1000


def _item_in_its_process(work: _Work, *_: object) -> DerivationOutcome:
    """A stand-in for one verify item that says where it ran; the first (a case) is long."""
    if work.kind == "case":
        time.sleep(1.0)
    return DerivationOutcome(work.family_name, None, 0.0, f"{os.getpid()}")


def test_a_worker_holds_one_item_at_a_time():
    """The pool is handed an item only when a worker is free: the long case goes to the
    worker, and every other item, short, runs here while the worker computes (the pool
    used to queue an item behind a worker's running one, where no one else could take it:
    the traced full verify's 8 s of an idle parent at the end)."""
    reg = registry()
    work = [_Work("wta", "case", 0, True, 10.0)]
    work += [_Work(name, "derivation", 0, True) for name in reg.families for _ in range(3)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(report, "_run_work", lambda _family, w: _item_in_its_process(w))
        mp.setattr(report, "_run_in_worker", _item_in_its_process)
        outcomes = report._run_all(reg, work, 2, lambda _m: None, lambda _n, _c: None)
    where = [int(o.name) for o in outcomes]
    assert where[0] != os.getpid()
    assert where[1:] == [os.getpid()] * (len(work) - 1)


def _nested_jobs(default: int) -> int:
    return nested_jobs(default)


@pytest.mark.parametrize("variable", [None, "3"])
def test_a_pool_and_its_parent_run_nested_jobs_one_at_a_time(monkeypatch, variable):
    """While the pool runs (verify --workers > 1; every phase sweep's pool: the same
    watched_pool), its workers and this process run nested jobs one at a time, whatever the
    caller's default or the variable asked for; the setting in force before comes back."""
    if variable is None:
        monkeypatch.delenv(NESTED_JOBS_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(NESTED_JOBS_VARIABLE, variable)
    outside = 4 if variable is None else 3
    assert (nested_jobs(4), nested_jobs()) == (outside, 1 if variable is None else 3)
    with _worker_pool(2) as pool:
        assert nested_jobs(4) == 1
        assert set(pool.map(_nested_jobs, [4] * 4)) == {1}
    assert nested_jobs(4) == outside
    assert os.environ.get(NESTED_JOBS_VARIABLE) == variable


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_nested_jobs_variable_is_named(monkeypatch, value):
    monkeypatch.setenv(NESTED_JOBS_VARIABLE, value)
    with pytest.raises(ValueError, match=NESTED_JOBS_VARIABLE):
        nested_jobs()


def _item_seeing_nested_jobs(work: _Work, *_: object) -> DerivationOutcome:
    """A stand-in for one verify item: records how many nested jobs it would run (its
    default 4: more than the cores, as a GDLN experiment's three networks)."""
    return DerivationOutcome(work.family_name, None, 0.0, f"{os.getpid()}:{nested_jobs(4)}")


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_verify_items_run_nested_jobs_one_at_a_time_beside_workers(monkeypatch, workers):
    """_run_all's items, wherever they run (the parent takes every item no worker has started,
    the workers the rest), see 1 nested job with workers > 1 and their default with one
    process."""
    monkeypatch.delenv(NESTED_JOBS_VARIABLE, raising=False)
    monkeypatch.setattr(report, "_run_work", lambda _family, work: _item_seeing_nested_jobs(work))
    monkeypatch.setattr(report, "_run_in_worker", _item_seeing_nested_jobs)
    reg = registry()
    work = [_Work(name, "derivation", 0, True) for name in reg.families for _ in range(4)]
    outcomes = report._run_all(reg, work, workers, lambda _m: None, lambda _n, _c: None)
    seen = [int(o.name.split(":")[1]) for o in outcomes]
    assert seen == [1 if workers > 1 else 4] * len(work)
    if workers == 1:  # (which process runs which item with workers > 1 is a race: not tested)
        assert {int(o.name.split(":")[0]) for o in outcomes} == {os.getpid()}


def test_trained_evidence_networks_share_one_process_inside_a_pool(monkeypatch):
    """The RNN route trains its networks one process each, but in one process when a pool
    already takes the cores (the same setting; each network's seed is its own)."""
    from mtl_theory.proofs import evidence_rnn as per

    from mtl_theory.families.evidence import FAMILY

    monkeypatch.delenv(NESTED_JOBS_VARIABLE, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    used = []
    monkeypatch.setattr(per, "map_single_thread", lambda _f, _args, w: used.append(w) or [])
    spec = {"theory": "evidence", "D": 2, "n_tasks": 6, "network": "rnn", "rnn_networks": 2}
    setup = FAMILY.build(FAMILY.schema.validate(spec))
    per.run_networks(setup, 0, quick=False)
    with _worker_pool(1):
        per.run_networks(setup, 0, quick=False)
    assert used == [2, 1]


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


def test_a_quick_only_case_stays_out_of_the_full_suite():
    """full = False: run by --quick, not by the full suite, and named in the full run's log."""
    import dataclasses

    import toy_family

    from mtl_theory.registry import Registry
    from mtl_theory.report import run_verify

    toy = toy_family.make_registry().families["toy"]
    only_quick = dataclasses.replace(
        toy.suite[0], name="toy-quick-only", full=False, quick_only_reason="covered by toy"
    )
    family = dataclasses.replace(toy, suite=(*toy.suite, only_quick))
    registry = Registry({family.name: family}, missing=())
    lines: list[str] = []
    full = run_verify(registry, quick=False, out_dir=None, log=lines.append)
    quick = run_verify(registry, quick=True, out_dir=None)
    assert "toy-quick-only" not in [c.case.name for c in full.cases]
    assert "toy-quick-only" in [c.case.name for c in quick.cases]
    assert any("quick only: toy-quick-only: covered by toy" in line for line in lines)
    with pytest.raises(ValueError, match="which full-suite case"):
        dataclasses.replace(only_quick, quick_only_reason="")
    with pytest.raises(ValueError, match="neither"):
        dataclasses.replace(only_quick, quick=False)
