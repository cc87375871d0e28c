"""SIGKILL a run that writes ``--out DIR`` at random moments and check what it leaves
(issue 14 item 6); used by tests/test_reliability_kill.py (a few kills of a toy run) and
benchmarks/kill_verify.py (>= 20 kills of ``mtl-theory verify --quick``)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from mtl_theory.report import CURRENT_LINK, REPORT_FILES, RUNS_DIR


def strict_json(text: str):
    def refuse(name: str):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def report_problems(out_dir: Path) -> list[str]:
    """What is wrong with the report in ``out_dir`` after a kill (empty: nothing).

    Allowed: no report yet (a first run killed before its swap). Not allowed: only one of
    report.md / report.json, a pair from two runs, a JSON that does not parse, a Markdown
    without its closing summary line.
    """
    present = [name for name in REPORT_FILES if (out_dir / name).exists()]
    if not present:
        return []
    if len(present) != len(REPORT_FILES):
        return [f"only {present} of {list(REPORT_FILES)}"]
    md, js = (out_dir / "report.md").resolve(), (out_dir / "report.json").resolve()
    problems = []
    if md.parent != js.parent:
        problems.append(f"report.md in {md.parent.name}, report.json in {js.parent.name}")
    try:
        strict_json(js.read_text(encoding="utf-8"))
    except ValueError as exc:
        problems.append(f"report.json does not parse: {exc}")
    text = md.read_text(encoding="utf-8")
    if not text.endswith("\n") or "# mtl-theory verification report" not in text:
        problems.append("report.md is not a whole report")
    return problems


def leftovers(out_dir: Path) -> list[str]:
    """Temporary files and directories of older runs left after a completed run."""
    found = [str(p.relative_to(out_dir)) for p in out_dir.rglob("*.tmp")]
    found += [str(p.relative_to(out_dir)) for p in out_dir.rglob(".*.tmp")]
    runs = out_dir / RUNS_DIR
    current = (out_dir / CURRENT_LINK).resolve()
    if runs.is_dir():
        found += [f"{RUNS_DIR}/{p.name}" for p in runs.iterdir() if p.resolve() != current]
    return sorted(set(found))


def comparable(report_json: dict, out_dir: Path) -> dict:
    """A report's JSON without its wall-clock times and with its own directory named DIR
    (the only things two runs into two directories may differ in)."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if "second" not in k and k != "time"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, str):
            return value.replace(str(out_dir), "DIR")
        return value

    return strip(report_json)


def kill_loop(
    command: Sequence[str],
    out_dir: Path,
    delays: Sequence[float],
    *,
    env: dict | None = None,
    ready: Path | None = None,
    log=None,
) -> list[str]:
    """Start ``command`` once per delay, SIGKILL it (its whole process group) after that
    many seconds, and collect :func:`report_problems` after each kill. With ``ready``, the
    delay counts from the moment the command creates that file (after its start-up)."""
    problems = []
    for i, delay in enumerate(delays):
        if ready is not None:
            ready.unlink(missing_ok=True)
        proc = subprocess.Popen(
            list(command),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # its own process group: the kill reaches its workers
        )
        deadline = time.monotonic() + 120
        while ready is not None and not ready.exists() and proc.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        try:
            proc.wait(timeout=delay)
            finished = True
        except subprocess.TimeoutExpired:
            finished = False
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        found = report_problems(out_dir)
        problems += [f"kill {i} at {delay:.2f} s: {p}" for p in found]
        if log:
            log(f"kill {i}: {delay:.2f} s {'(had finished)' if finished else ''} {found or 'ok'}")
        time.sleep(0.05)
    return problems


def kill_delays(seed: int, n: int, run_seconds: float, tail: float = 0.25) -> list[float]:
    """n seeded kill times: half uniform over the whole run, half in its last ``tail``
    fraction (where the report is written) and a little beyond."""
    rng = random.Random(seed)
    half = n // 2
    early = [rng.uniform(0.0, run_seconds) for _ in range(n - half)]
    late = [rng.uniform((1 - tail) * run_seconds, 1.05 * run_seconds) for _ in range(half)]
    return early + late
