"""The README and the examples stay true: keys documented, examples valid, commands present."""

import re
from pathlib import Path

import pytest

from mtl_theory.registry import load_registry
from mtl_theory.spec import read_spec_file

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
REGISTRY = load_registry()


@pytest.mark.parametrize("family", sorted(REGISTRY.families))
def test_every_spec_key_is_documented(family):
    for key in REGISTRY.families[family].schema.fields:
        assert f"| `{key}` |" in README, f"{family} key {key!r} missing from README"


EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
INVALID_ON_PURPOSE = {"wta-too-large.toml"}  # shows the one-line "use --method milp" error


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_validate(path):
    raw = read_spec_file(path)
    family = REGISTRY.families[raw["theory"]]
    spec = family.schema.validate(raw)
    assert path.name.startswith(f"{family.name}-")
    if path.name not in INVALID_ON_PURPOSE:
        family.build(spec)


def test_examples_named_in_the_readme_exist():
    for name in re.findall(r"examples/([\w.-]+\.toml)", README):
        assert (ROOT / "examples" / name).exists(), name


def test_readme_has_the_two_ci_commands():
    assert "<!-- ci:setup -->" in README and "<!-- ci:test -->" in README


def test_every_section_appears_once():
    headings = re.findall(r"^## .+$", README, flags=re.MULTILINE)
    assert len(headings) == len(set(headings)), headings
    for marker in ("<!-- ci:setup -->", "<!-- ci:test -->"):
        assert README.count(marker) == 1
