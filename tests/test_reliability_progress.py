"""Progress of long ``check --verify`` routes (issue 14 item 2): throttled whole lines on
stderr, never on stdout, and the same numbers with or without a listener."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
from pathlib import Path

import pytest
from mtl_theory.numerics import progress

from mtl_theory import api, cli

EXAMPLES = Path(__file__).parent.parent / "examples"


def fake_clock(step: float):
    """A clock advancing ``step`` seconds per reading: every loop looks long."""
    counter = itertools.count()
    return lambda: step * next(counter)


def without_times(value):
    """The JSON without wall-clock fields (WTA reports the seconds its search took)."""
    if isinstance(value, dict):
        return {k: without_times(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value


def run_check(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def test_throttled_says_nothing_early_then_at_most_every_interval():
    lines: list[str] = []
    report = progress.Throttled(lines.append, every=10.0, quiet_for=30.0, clock=fake_clock(1.0))
    with progress.listening(report):
        for k in range(100):
            progress.tick("epochs", k, 100)
    report.finish()
    said = [line for line in lines if line.startswith("progress:")]
    # readings at t = 1 ... 100 s: quiet below 30 s, then one line per 10 s
    assert len(said) == 8 and said[0] == "progress: epochs 29/100 (29 %), 30 s elapsed"
    assert lines[-1] == "done: 101 s"


def test_a_short_route_says_nothing_and_nobody_listening_costs_nothing():
    lines: list[str] = []
    report = progress.Throttled(lines.append, clock=fake_clock(0.001))
    with progress.listening(report):
        progress.tick("epochs", 1, 2)
    report.finish()
    assert lines == []
    progress.tick("epochs", 1, 2)  # no listener: a no-op


@pytest.mark.parametrize(
    "example",
    ["gdln-saxe-hierarchy.toml", "gdln-race.toml"],
)
def test_a_long_route_shows_progress_on_stderr_and_leaves_stdout_alone(monkeypatch, example):
    argv = ["check", str(EXAMPLES / example), "--verify", "--json"]
    code, quiet_out, quiet_err = run_check(argv)
    assert "progress:" not in quiet_err  # a few seconds: nothing said
    monkeypatch.setattr(progress, "CLOCK", fake_clock(2.0))  # every reading 2 s later
    code2, out, err = run_check(argv)
    assert code2 == code  # same numbers; stdout holds strict JSON only
    assert without_times(json.loads(out)) == without_times(json.loads(quiet_out))
    lines = err.splitlines()
    said = [line for line in lines if line.startswith("mtl-theory: progress: ")]
    assert said, err[-500:]
    assert lines[-1].startswith("mtl-theory: done: ")
    assert all(line.startswith("mtl-theory: ") for line in lines)


def test_the_python_api_passes_progress_to_log(monkeypatch):
    monkeypatch.setattr(progress, "CLOCK", fake_clock(2.0))
    lines: list[str] = []
    api.check(EXAMPLES / "gdln-deep.toml", verify=True, log=lines.append, progress_every=5.0)
    assert any(line.startswith("progress: gradient descent epochs") for line in lines)
    assert lines[-1].startswith("done: ") and "verdict" in lines[-1]


def test_exhaustive_search_ticks_once_per_chunk():
    from mtl_theory.numerics import wta as nw

    setup = api.load_spec(EXAMPLES / "wta-theorem-applies.toml").setup
    seen: list[tuple[str, float, float]] = []
    with progress.listening(lambda *a: seen.append(a)):
        chunks = list(nw.code_losses(setup, chunk_elements=1))
    assert len(seen) == len(chunks) > 1
    assert [s[1] for s in seen] == sorted(s[1] for s in seen) and seen[-1][1] < seen[-1][2]


def test_monte_carlo_chunks_and_trained_networks_tick():
    import numpy as np
    from mtl_theory.numerics import evidence as ne
    from mtl_theory.proofs.evidence_rnn import map_single_thread

    seen: list[tuple[str, float, float]] = []
    with progress.listening(lambda *a: seen.append(a)):
        chunks = list(
            ne.iter_trial_chunks(2, 0.2, 10, 100, np.random.default_rng(0), chunk_draws=200)
        )
        assert [s[1] for s in seen] == [10 * k for k in range(len(chunks))]
        seen.clear()
        assert map_single_thread(len, [(1,), (1, 2)], 1) == [1, 2]  # spawned: ticks come back
    assert seen == [("trained networks", 1, 2), ("trained networks", 2, 2)]


def test_single_thread_calls_run_here_when_blas_is_already_single_threaded():
    """check/verify compute inside single_blas_thread: no process is spawned for one BLAS
    thread (each spawn cost ~1.6 s of imports), and the ticks still come."""
    import os

    from mtl_theory.numerics.blas import blas_single_threaded, single_blas_thread
    from mtl_theory.proofs.evidence import _call_single_thread
    from mtl_theory.proofs.evidence_rnn import map_single_thread

    here = os.getpid()
    seen: list[tuple[str, float, float]] = []
    with single_blas_thread(), progress.listening(lambda *a: seen.append(a)):
        assert blas_single_threaded()
        assert _call_single_thread(lambda _args: os.getpid(), ()) == here
        assert map_single_thread(lambda _a: os.getpid(), [(), ()], 1) == [here, here]
    assert seen == [("trained networks", 1, 2), ("trained networks", 2, 2)]
