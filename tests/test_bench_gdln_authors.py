"""benchmarks/bench_gdln_authors.py without the authors' code: its toolkit-only path runs and
never imports jax, bad input is one line and exit 2, the ratios are computed from the numbers
given, and authors_mhs/time_loop.py cuts a script's loop to its update and loss lines.
No timing is asserted."""

import ast
import importlib.util
import sys

import numpy as np
import pytest
from benchmark_scripts import BENCHMARKS, load_benchmark


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # its sibling imports: bench_gdln, timing
    return load_benchmark("bench_gdln_authors")


def _time_loop():
    spec = importlib.util.spec_from_file_location(
        "time_loop_script", BENCHMARKS / "authors_mhs" / "time_loop.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_toolkit_only_path_runs_and_skips_the_authors_in_one_line(bench, capsys):
    had_jax = "jax" in sys.modules
    bench.main(["--epochs", "20"])
    out = capsys.readouterr().out.splitlines()
    skip = [line for line in out if line.startswith("authors' JAX scripts: not run")]
    assert len(skip) == 1
    (toolkit,) = [line for line in out if line.startswith("toolkit 3-context experiment")]
    assert "20 updates" in toolkit
    assert all(f"{part} " in toolkit for part in bench.PARTS)
    assert not any("as shipped" in line for line in out)
    assert had_jax or "jax" not in sys.modules


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--epochs", "0"], "--epochs"),
        (["--repeat", "0"], "--repeat"),
        (["--authors-python", "/nonexistent/python"], "--authors-python"),
        (["--authors-python", sys.executable, "--authors-src", "/nonexistent"], "--authors-src"),
        (["--authors-python", sys.executable, "--epochs", "10"], "--epochs"),
    ],
)
def test_bad_input_is_one_line_naming_the_field_and_exit_2(bench, capsys, argv, field):
    with pytest.raises(SystemExit) as exc:
        bench.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and field in err[0]


def test_ratios_are_the_quotients_of_the_numbers_given(bench):
    t = bench.Timed
    shipped = {s: t(12.0, 20.0) for s in bench.SCRIPTS}  # 60 s CPU, 100 s wall
    ours = {"ReLU": 2.0, "ReLN": 1.0, "modular": 0.5, "closed": 0.5}  # 4 s
    stages = {"import": t(3.0, 3.0), "first epoch": t(0.5, 0.5), "steady": t(3.0, 3.0)}
    loop = bench.LoopRun("relu.py", "float32", stages, True, 0.0)
    lines = bench.ratio_lines(shipped, [loop], ours)
    assert "= 15.0x (target >= 15x: met)" in lines[0]
    assert "their wall 100.0 s" in lines[0] and "= 25.0x" in lines[0]
    assert "48.0 s CPU = 12.0x" in lines[1]  # race.py left out: 4 x 12 s
    (relu,) = [line for line in lines if line.startswith("  relu.py") and "loop" in line]
    assert "1.50x steady, 1.75x with JIT" in relu
    slower = bench.ratio_lines({s: t(1.0, 1.0) for s in bench.SCRIPTS}, [], ours)
    assert "(target >= 15x: NOT met)" in slower[0]


def test_summary_uses_each_round_against_its_neighbouring_toolkit_runs_and_the_minima(bench):
    t = bench.Timed
    stages = {"import": t(1.0, 1.0), "first epoch": t(1.0, 1.0)}
    rounds = []
    for each, steady in ((12.0, 4.0), (16.0, 3.0)):  # round totals 60 s and 80 s CPU
        loop = bench.LoopRun("relu.py", "float32", {**stages, "steady": t(steady, 9.0)}, True, 0)
        rounds.append(({s: t(each, 30.0) for s in bench.SCRIPTS}, [loop]))
    parts = ("ReLU", "ReLN", "modular", "closed")
    ours = [dict(zip(parts, p, strict=True)) for p in ((2, 1, 1, 0), (3, 1, 1, 1), (2, 2, 1, 1))]
    head, relu = bench.summary_lines(rounds, ours)
    # round 1: 60 / mean(4, 6) = 12x; round 2: 80 / mean(6, 6) = 13.3x; minima 60 / 4 = 15x
    assert "12.0x, 13.3x (median 12.7x)" in head
    assert "60.0 s / 4.00 s = 15.0x" in head
    assert "least steady CPU 3.00 s / toolkit ReLU 2.00 s = 1.50x" in relu


def test_loss_comparison_and_loop_times_line(bench):
    a = np.array([3.0, 2.0, 1.0])
    assert bench.compare_losses(a, a.copy()) == (True, 0.0)
    same, rel = bench.compare_losses(a, a * (1 + 1e-6))
    assert not same and rel == pytest.approx(1e-6)
    assert bench.compare_losses(a, a[:2]) == (False, float("inf"))
    info = bench.parse_loop_times('INIT_SEED 1\nLOOP_TIMES {"epochs": 3}\n')
    assert info == {"epochs": 3}
    with pytest.raises(SystemExit):
        bench.parse_loop_times("INIT_SEED 1\n")


SCRIPT = """
import numpy as np
def f(x):
    return x
if __name__ == "__main__":
    num_epochs = 5
    losses = np.zeros(num_epochs)
    p = 1.0
    for epoch in range(num_epochs):
        p = f(p) * 0.5
        losses[epoch] = p
        print(epoch)
"""


def test_time_loop_keeps_their_statements_and_drops_the_bookkeeping():
    tl = _time_loop()
    module, setup, loop = tl.split(ast.parse(SCRIPT))
    assert [type(n).__name__ for n in module] == ["Import", "FunctionDef"]
    assert len(setup) == 3
    cut = tl.training_step_loop(loop, "1", "num_epochs")
    assert ast.unparse(cut).splitlines() == [
        "for epoch in range(1, num_epochs):",
        "    p = f(p) * 0.5",
        "    losses[epoch] = p",
    ]
    ns = {"__name__": "__main__"}
    exec(compile(ast.Module(body=module + setup, type_ignores=[]), "s", "exec"), ns)
    for a, b in (("0", "1"), ("1", "num_epochs")):
        exec(compile(tl.training_step_loop(loop, a, b), "s", "exec"), ns)
    assert ns["losses"].tolist() == [0.5, 0.25, 0.125, 0.0625, 0.03125]
    with pytest.raises(SystemExit):
        tl.split(ast.parse("x = 1\n"))
