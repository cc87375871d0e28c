"""The hypothesis profiles, not the tests, decide how hard property tests explore (issue 8)."""

import ast
from pathlib import Path

from budget import share
from hypothesis import settings

TESTS = Path(__file__).resolve().parent


def test_dev_explores_ten_times_ci_and_ci_is_derandomized():
    ci, dev = settings.get_profile("ci"), settings.get_profile("dev")
    assert ci.derandomize and not dev.derandomize
    assert dev.max_examples >= 10 * ci.max_examples


def test_shares_follow_the_active_profile():
    n = settings.default.max_examples
    assert share(1.0) == n and share(0.5) == round(n / 2) and share(1e-9) == 1


def pinned_example_counts(source: str) -> list[int]:
    """Lines of ``settings(max_examples=<number>)`` calls without a ``# pinned: reason``
    comment on the line above (a literal count overrides the profile)."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name != "settings":
            continue
        for kw in node.keywords:
            if kw.arg == "max_examples" and isinstance(kw.value, ast.Constant):
                above = lines[node.lineno - 2] if node.lineno >= 2 else ""
                if "# pinned:" not in above:
                    found.append(node.lineno)
    return found


def test_the_pin_detector_sees_a_pin_and_accepts_a_reasoned_one():
    pinned = "from hypothesis import settings\n\n@settings(max_examples=7)\ndef f(): pass\n"
    assert pinned_example_counts(pinned) == [3]
    reasoned = pinned.replace("\n@settings", "\n# pinned: the domain has 7 points\n@settings")
    assert pinned_example_counts(reasoned) == []
    assert pinned_example_counts("@settings(max_examples=share(0.5))\ndef f(): pass\n") == []


def test_no_property_test_pins_its_own_example_count():
    offences = {
        p.name: lines
        for p in sorted(TESTS.glob("*.py"))
        if p.name != "conftest.py"
        and (lines := pinned_example_counts(p.read_text(encoding="utf-8")))
    }
    assert offences == {}
