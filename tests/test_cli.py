"""The command line as a contract: commands, exit statuses, JSON keys, report and figures."""

import json

import pytest
import toy_family

from mtl_theory import api, cli


@pytest.fixture
def toy(monkeypatch):
    def use(bias=0.0):
        monkeypatch.setattr(api, "_REGISTRY", toy_family.make_registry(bias))

    use()
    return use


def run(args, capsys):
    code = cli.main([str(a) for a in args])  # never SystemExit for these: main returns
    out, err = capsys.readouterr()
    return code, out, err


def test_check_json_has_the_contract_keys(tmp_path, capsys, toy):
    spec = tmp_path / "t.toml"
    spec.write_text('theory = "toy"\nx = 1.5\n')
    code, out, _ = run(["check", spec, "--verify", "--json"], capsys)
    data = json.loads(out)
    assert code == 0
    assert {"theory", "theorem", "applies", "hypotheses", "predictions", "verification"} <= set(
        data
    )
    assert data["theorem"] == "TOY-1" and data["applies"] is True
    assert data["hypotheses"] == [{"id": "x-positive", "holds": True, "detail": "x = 1.5"}]
    assert data["verification"]["agrees"] is True
    assert data["verification"]["measured"] == {"y": 3.0}


def test_check_without_verify_has_null_verification(tmp_path, capsys, toy):
    spec = tmp_path / "t.json"
    spec.write_text('{"theory": "toy", "x": -1}')
    code, out, _ = run(["check", spec, "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["verification"] is None and data["applies"] is False


def test_a_contradiction_exits_1_and_says_so_loudly(tmp_path, capsys, toy):
    spec = tmp_path / "t.toml"
    spec.write_text('theory = "toy"\nx = 1.0\nbias = 0.5\n')
    code, out, err = run(["check", spec, "--verify"], capsys)
    assert code == 1
    assert "CONTRADICTION" in out and "DISAGREES" in out and "CONTRADICTION" in err


def test_unknown_method_is_invalid_input(tmp_path, capsys, toy):
    spec = tmp_path / "t.toml"
    spec.write_text('theory = "toy"\nx = 1.0\n')
    code, _, err = run(["check", spec, "--method", "magic"], capsys)
    assert code == 2 and "--method" in err and err.count("\n") == 1


def test_verify_writes_the_report_and_agrees(tmp_path, capsys, toy):
    code, out, _ = run(["verify", "--quick", "--out", tmp_path / "rep"], capsys)
    assert code == 0
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "TOY-1" in md and "`derived`" in md and "exact arithmetic" in md
    assert "gdln: not implemented yet" in out
    data = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert data["agrees"] is True and data["missing_theories"] == ["gdln"]


def test_verify_exits_1_on_a_contradiction(tmp_path, capsys, toy):
    toy(bias=1.0)
    code, out, _ = run(["verify", "--out", tmp_path / "rep", "--json"], capsys)
    assert code == 1
    assert json.loads(out)["agrees"] is False


def test_verify_refuses_a_file_as_out_dir(tmp_path, capsys, toy):
    f = tmp_path / "file"
    f.write_text("")
    code, _, err = run(["verify", "--out", f], capsys)
    assert code == 2 and "--out" in err


def test_phase_writes_png_csv_and_index_and_resumes(tmp_path, capsys, toy):
    out_dir = tmp_path / "figs"
    code, _out, _ = run(["phase", "toy-map", "--out", out_dir], capsys)
    assert code == 0
    png, csv = out_dir / "toy-map.png", out_dir / "toy-map.csv"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = csv.read_text().splitlines()
    assert rows[0].startswith("y,x,seed,value") and len(rows) == 7
    assert "toy-map" in (out_dir / "README.md").read_text()
    code, _, _ = run(["phase", "--all", "--out", out_dir, "--resume", "--workers", "2"], capsys)
    assert code == 0 and csv.read_text().splitlines() == rows


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["phase"], "expected diagram NAMEs or --all"),
        (["phase", "toy-mop"], "did you mean 'toy-map'"),
        (["phase", "toy-map", "--all"], "not both"),
        (["phase", "--all", "--workers", "0"], "expected an integer >= 1"),
        (["check", "x.toml", "--seed", "-1"], "expected an integer >= 0"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_flags_are_one_line_exit_2(capsys, toy, args, fragment):
    try:
        code = cli.main(args)
    except SystemExit as exc:  # argparse's own errors leave through SystemExit
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and err.count("\n") == 1


def test_a_bad_job_threads_variable_is_one_line_exit_2(capsys, toy, monkeypatch):
    monkeypatch.setenv("MTL_THEORY_NESTED_JOBS", "two")
    code, _, err = run(["list"], capsys)
    assert code == 2 and "MTL_THEORY_NESTED_JOBS" in err and err.count("\n") == 1


def test_list_names_everything(capsys, toy):
    code, out, _ = run(["list"], capsys)
    assert code == 0
    for name in ("TOY-1", "derive_doubling", "double-one", "toy-map", "gdln: not implemented"):
        assert name in out


@pytest.mark.parametrize("bias,code", [(1.0, 0), (0.0, 1)])
def test_a_pinned_finding_holds_only_while_it_is_seen(tmp_path, capsys, monkeypatch, bias, code):
    """A statement known to be false stays in the suite: verify passes while exactly the
    pinned comparison disagrees, and fails when the disagreement vanishes."""
    import dataclasses

    from mtl_theory.registry import Registry, SuiteCase

    base = toy_family.make_registry(bias)
    fam = base.families["toy"]
    pinned = SuiteCase(
        "pinned",
        {"x": 1.0, "bias": bias},
        pinned_finding=("y",),
        finding_reason="the toy's doubling is off by the injected bias",
    )
    registry = Registry({"toy": dataclasses.replace(fam, suite=(pinned,))})
    monkeypatch.setattr(api, "_REGISTRY", registry)
    got, out, _ = run(["verify", "--out", tmp_path / "rep"], capsys)
    assert got == code
    assert ("FINDING (pinned)" in out) == (code == 0)


def test_the_program_freezes_the_collector_before_main_and_keeps_its_exit_code():
    """The ``mtl-theory`` entry point is ``console_main``: main's exit code, with every object
    moved to the collector's permanent generation first. Run in a child: in this process a
    freeze would outlive the test."""
    import subprocess
    import sys
    import tomllib
    from pathlib import Path

    scripts = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert scripts["project"]["scripts"]["mtl-theory"] == "mtl_theory.cli:console_main"
    probe = (
        "import gc, sys\n"
        "from mtl_theory import cli\n"
        "seen = []\n"
        "real = cli.main\n"
        "cli.main = lambda: seen.append(gc.get_freeze_count()) or real(sys.argv[1:])\n"
        "sys.argv = ['mtl-theory', *sys.argv[1:]]\n"
        "code = cli.console_main()\n"
        "print(code, seen[0] > 0)\n"
    )
    for args, code in ((["list"], 0), (["check", "/nonexistent/spec.toml"], 2)):
        done = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120
        )
        assert done.stdout.split("\n")[-2] == f"{code} True", done.stderr


def test_importing_the_command_line_skips_the_shutdown_collections():
    """A cycle of garbage left at exit is finalized by the shutdown collections in a plain
    process, not in one that imported mtl_theory.cli (its atexit hook freezes them)."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "if sys.argv[1] == 'cli':\n"
        "    import mtl_theory.cli\n"
        "class Node:\n"
        "    def __del__(self):\n"
        "        sys.stdout.write('finalized')\n"
        "        sys.stdout.flush()\n"
        "a, b = Node(), Node()\n"
        "a.other, b.other = b, a\n"
        "del a, b\n"
    )
    outputs = {
        mode: subprocess.run(
            [sys.executable, "-c", probe, mode], capture_output=True, text=True, timeout=120
        ).stdout
        for mode in ("plain", "cli")
    }
    assert "finalized" in outputs["plain"] and "finalized" not in outputs["cli"]
