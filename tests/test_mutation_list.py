"""benchmarks/mutation.py's planted bugs still match the code (the list must not rot)."""

from pathlib import Path

from benchmark_scripts import load_benchmark

ROOT = Path(__file__).resolve().parents[1]


def test_every_mutation_applies_exactly_once():
    mutation = load_benchmark("mutation")
    assert len(mutation.MUTATIONS) >= 20
    assert mutation.check_list(mutation.MUTATIONS, ROOT) == []


def test_a_rotted_mutation_is_reported(tmp_path):
    mutation = load_benchmark("mutation")
    (tmp_path / "theory").mkdir()
    (tmp_path / "theory" / "x.py").write_text("a = 1\na = 1\n", encoding="utf-8")
    twice = mutation.Mutation("twice", "theory/x.py", "a = 1", "a = 2", True, "")
    gone = mutation.Mutation("gone", "theory/x.py", "b = 1", "b = 2", True, "")
    problems = mutation.check_list([twice, gone], tmp_path)
    assert len(problems) == 2
    assert "found 2 times" in problems[0] and "found 0 times" in problems[1]


def test_module_names_follow_the_namespace():
    mutation = load_benchmark("mutation")
    assert mutation.module_name("theory/wta.py") == "mtl_theory.theory.wta"
    assert mutation.module_name("numerics/gdln.py") == "mtl_theory.numerics.gdln"
    assert mutation.module_name("mtl_theory/report.py") == "mtl_theory.report"
