"""benchmarks/mutation.py's planted bugs still match the code (the list must not rot)."""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_script():
    """The script as a module (registered first: its dataclasses resolve their module)."""
    if "mutation_script" in sys.modules:
        return sys.modules["mutation_script"]
    path = ROOT / "benchmarks" / "mutation.py"
    spec = importlib.util.spec_from_file_location("mutation_script", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutation_script"] = module
    spec.loader.exec_module(module)
    return module


def test_every_mutation_applies_exactly_once():
    mutation = load_script()
    assert len(mutation.MUTATIONS) >= 20
    assert mutation.check_list(mutation.MUTATIONS, ROOT) == []


def test_a_rotted_mutation_is_reported(tmp_path):
    mutation = load_script()
    (tmp_path / "theory").mkdir()
    (tmp_path / "theory" / "x.py").write_text("a = 1\na = 1\n", encoding="utf-8")
    twice = mutation.Mutation("twice", "theory/x.py", "a = 1", "a = 2", True, "")
    gone = mutation.Mutation("gone", "theory/x.py", "b = 1", "b = 2", True, "")
    problems = mutation.check_list([twice, gone], tmp_path)
    assert len(problems) == 2
    assert "found 2 times" in problems[0] and "found 0 times" in problems[1]


def test_module_names_follow_the_namespace():
    mutation = load_script()
    assert mutation.module_name("theory/wta.py") == "mtl_theory.theory.wta"
    assert mutation.module_name("numerics/gdln.py") == "mtl_theory.numerics.gdln"
    assert mutation.module_name("mtl_theory/report.py") == "mtl_theory.report"
