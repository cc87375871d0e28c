"""I/O discipline and crash safety (issue 14 items 3 and 6): one line and exit 2 for every
I/O failure, the report replaced as one unit, workers that die with their parent."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import toy_family
from mtl_theory.numerics.sweep import SweepError, SweepStore

from mtl_theory import api, cli, report


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setattr(api, "_REGISTRY", toy_family.make_registry(0.0))


def run(args, capsys):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> bool:
    return err.count("\n") == 1 and err.startswith("mtl-theory: error: ")


@pytest.mark.parametrize("kind", ["fifo", "device", "directory", "too-large"])
def test_a_spec_that_is_not_a_small_regular_file_is_one_line(tmp_path, capsys, kind):
    path = tmp_path / "spec.json"
    if kind == "fifo":
        os.mkfifo(path)  # reading it would block forever
    elif kind == "device":
        path.symlink_to("/dev/zero")  # reading it would never end
    elif kind == "directory":
        path.mkdir()
    else:
        with open(path, "wb") as fh:
            fh.truncate(9 * 2**20)
    code, out, err = run(["check", path], capsys)
    assert code == 2 and out == "" and one_error_line(err) and str(path) in err


def test_a_corrupt_sweep_store_is_one_line(tmp_path, capsys, toy):
    out_dir = tmp_path / "figs"
    out_dir.mkdir()
    (out_dir / "sweeps.sqlite").write_bytes(b"this is not a database" * 100)
    code, _, err = run(["phase", "toy-map", "--out", out_dir], capsys)
    assert code == 2 and one_error_line(err) and "sweeps.sqlite" in err
    with pytest.raises(SweepError, match="not a usable sweep store"):
        SweepStore(out_dir / "sweeps.sqlite")


def test_an_unreachable_scheduler_is_refused_before_any_work(tmp_path, capsys, toy):
    pytest.importorskip("distributed")
    with socket.socket() as s:  # a port that was free a moment ago: nobody listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    code, out, err = run(
        ["phase", "toy-map", "--out", tmp_path / "f", "--dask", f"tcp://127.0.0.1:{port}"], capsys
    )
    assert code == 2 and one_error_line(err) and "--dask" in err
    assert "computing" not in out and time.monotonic() - t0 < 30


def test_an_unwritable_out_is_refused_before_the_run(tmp_path, capsys, toy):
    blocker = tmp_path / "file"
    blocker.write_text("")
    # a directory below a regular file can never be created (root ignores permission bits)
    code, out, err = run(["verify", "--out", blocker / "rep"], capsys)
    assert code == 2 and one_error_line(err) and "--out" in err and "running" not in out


def test_report_json_as_a_directory_is_refused_before_the_run(tmp_path, capsys, toy):
    (tmp_path / "rep" / "report.json").mkdir(parents=True)
    code, out, err = run(["verify", "--out", tmp_path / "rep"], capsys)
    assert code == 2 and one_error_line(err) and "report.json" in err and "running" not in out


def test_a_failed_write_after_the_run_is_one_line_exit_2(tmp_path, capsys, toy, monkeypatch):
    def full_disk(*_args, **_kw):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "rep"))

    monkeypatch.setattr(report, "write_report", full_disk)
    code, _, err = run(["verify", "--out", tmp_path / "rep"], capsys)
    assert code == 2 and one_error_line(err) and "No space left" in err


def test_the_report_pair_is_replaced_as_one_unit(tmp_path, capsys, toy):
    out_dir = tmp_path / "rep"
    assert run(["verify", "--out", out_dir], capsys)[0] == 0
    first = (out_dir / "report.md").read_text()
    # what a killed run leaves: a half-written run directory and an old-style temporary
    (out_dir / report.RUNS_DIR / "run-killed").mkdir()
    (out_dir / report.RUNS_DIR / "run-killed" / "report.md").write_text("half")
    (out_dir / ".report.md.tmp").write_text("half")
    assert run(["verify", "--out", out_dir, "--json"], capsys)[0] == 0
    md, js = (out_dir / "report.md").resolve(), (out_dir / "report.json").resolve()
    # both names resolve into the same run's directory, which holds exactly the pair
    assert md.parent == js.parent and md.parent.parent.name == report.RUNS_DIR
    assert sorted(p.name for p in md.parent.iterdir()) == ["report.json", "report.md"]
    assert [p.name for p in (out_dir / report.RUNS_DIR).iterdir()] == [md.parent.name]
    assert not list(out_dir.glob(".*.tmp")) and not list(out_dir.glob("**/*.tmp"))
    assert json.loads(js.read_text())["agrees"] is True
    assert "TOY-1" in md.read_text() and md.read_text().startswith(first.splitlines()[0])


def _children(pid: int) -> set[int]:
    """Every descendant of ``pid`` (from /proc)."""
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.add(k)
            todo.append(k)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the workers")
def test_workers_die_with_their_killed_parent(tmp_path):
    points = [{"x": x, "y": 0, "sleep": 2.0} for x in range(40)]
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from sweep_toy import slow_point
        from mtl_theory.numerics.sweep import run_sweep
        run_sweep("toy", slow_point, {points!r}, {str(tmp_path / "s.sqlite")!r}, workers=2)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 120
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 2:
            workers = {p for p in _children(parent.pid) if _alive(p)}
            time.sleep(0.2)
        assert len(workers) >= 2, "the pool's workers did not start"
        time.sleep(1.0)
        workers = {p for p in _children(parent.pid) if _alive(p)}
        os.kill(parent.pid, signal.SIGKILL)
    finally:
        parent.wait(timeout=30)
    deadline = time.monotonic() + 30
    survivors = workers
    while time.monotonic() < deadline and survivors:
        survivors = {p for p in survivors if _alive(p)}
        time.sleep(0.2)
    assert survivors == set(), f"{len(survivors)} of {len(workers)} processes outlived the parent"
