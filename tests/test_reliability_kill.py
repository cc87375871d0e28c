"""SIGKILL during ``verify --out`` (issue 14 item 6): never a half-written report, no
temporary file after the next run, and the next run's report is the uninterrupted one.

A few kills of a toy verification that rewrites its report in a loop (so that every kill
lands inside the report's write sequence); the long loop of >= 20 kills of the real
``mtl-theory verify --quick --out DIR`` is benchmarks/kill_verify.py."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest
import toy_family
from kill_support import comparable, kill_delays, kill_loop, leftovers, report_problems

from mtl_theory import api, report

TESTS = Path(__file__).resolve().parent


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setattr(api, "_REGISTRY", toy_family.make_registry(0.0))


def test_random_kills_while_the_report_is_rewritten(tmp_path, toy):
    out_dir, ready = tmp_path / "rep", tmp_path / "ready"
    child = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(TESTS)!r})
        import toy_family
        from mtl_theory import api
        api._REGISTRY = toy_family.make_registry(0.0)
        api.verify_all(out={str(out_dir)!r})
        open({str(ready)!r}, "w").close()
        while True:  # every kill lands somewhere in a write sequence
            api.verify_all(out={str(out_dir)!r})
        """
    )
    env = os.environ | {"OPENBLAS_NUM_THREADS": "1"}
    delays = [d / 20 for d in kill_delays(seed=14, n=6, run_seconds=1.0)]  # 0 – 50 ms
    problems = kill_loop([sys.executable, "-c", child], out_dir, delays, env=env, ready=ready)
    assert problems == []
    api.verify_all(out=out_dir)  # the next, uninterrupted run
    assert leftovers(out_dir) == [] and report_problems(out_dir) == []
    clean = tmp_path / "clean"
    api.verify_all(out=clean)
    got = json.loads((out_dir / "report.json").read_text())
    want = json.loads((clean / "report.json").read_text())
    assert comparable(got, out_dir) == comparable(want, clean)


def test_a_kill_inside_the_link_swap_leaves_nothing_after_the_next_run(tmp_path, toy):
    # the temporaries of the swap itself: .report-current.link.tmp points at a directory,
    # and was not removed by the next run (is_file() is false for it)
    out_dir = tmp_path / "rep"
    api.verify_all(out=out_dir)
    runs = out_dir / report.RUNS_DIR
    (runs / "run-killed").mkdir()
    os.symlink(os.path.join(report.RUNS_DIR, "run-killed"), out_dir / ".report-current.link.tmp")
    os.symlink(".report-current/report.md", out_dir / ".report.md.link.tmp")
    (out_dir / ".report.json.tmp").write_text("{")
    assert report_problems(out_dir) == []
    api.verify_all(out=out_dir)
    assert leftovers(out_dir) == []
