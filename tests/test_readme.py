"""The README and the examples stay true: keys documented, examples valid, commands present."""

import re
from pathlib import Path

import pytest

from mtl_theory.registry import load_registry
from mtl_theory.spec import read_spec_file

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
REGISTRY = load_registry()


def _readme_key_tables() -> str:
    begin = README.index("<!-- spec-keys:begin")
    begin = README.index("-->", begin) + len("-->")
    return README[begin : README.index("<!-- spec-keys:end -->")].strip()


def test_the_spec_key_tables_are_the_schemas():
    """The README's key tables are exactly what the schemas accept (regenerate with
    ``mtl-theory list --keys`` when this fails)."""
    from mtl_theory import api

    generated = "\n\n".join(t.keys_markdown() for t in api.theories())
    assert _readme_key_tables() == generated


@pytest.mark.parametrize("family", sorted(REGISTRY.families))
def test_every_spec_key_is_documented(family):
    for key in REGISTRY.families[family].schema.fields:
        assert f"| `{key}` |" in _readme_key_tables(), f"{family} key {key!r} missing"


EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
INVALID_ON_PURPOSE = {"wta-too-large.toml"}  # --method exhaustive: the one-line method error


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_validate(path):
    raw = read_spec_file(path)
    family = REGISTRY.families[raw["theory"]]
    spec = family.schema.validate(raw, path.parent)
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


# --------------------------------------------------------------------------- findings

#: A finding's reproduction line: ``Reproduce: `COMMAND` -> `EXPECTED` ...``; a line that says
#: "(long" names its cost and is run by hand, not here.
REPRODUCE = re.compile(r"^\s*Reproduce(?P<long> \(long[^)]*\))?: `(?P<cmd>[^`]+)`(?P<rest>.*)$")


def _findings_section() -> str:
    start = README.index("## Findings")
    end = README.index("\n## ", start + 1)
    return README[start:end]


def _finding_bullets() -> list[str]:
    bullets, current = [], None
    for line in _findings_section().splitlines():
        if line.startswith("- "):
            current = [line]
            bullets.append(current)
        elif current is not None and line.startswith("  "):
            current.append(line)
        else:
            current = None
    return ["\n".join(b) for b in bullets]


def _reproductions() -> list[tuple[str, str, list[str], bool]]:
    out = []
    for bullet in _finding_bullets():
        for line in bullet.splitlines():
            m = REPRODUCE.match(line)
            if m:
                expected = re.findall(r"`([^`]+)`", m.group("rest"))
                out.append((bullet.splitlines()[0][:60], m.group("cmd"), expected, bool(m["long"])))
    return out


def test_every_finding_names_the_command_that_reproduces_it():
    missing = [b.splitlines()[0][:80] for b in _finding_bullets() if "Reproduce" not in b]
    assert missing == [], "findings without a Reproduce: line"


QUICK = [r for r in _reproductions() if not r[3]]


@pytest.mark.parametrize("finding,cmd,expected,_long", QUICK, ids=[r[1][:60] for r in QUICK])
def test_quick_findings_reproduce(finding, cmd, expected, _long, tmp_path):
    import shlex
    import subprocess
    import sys

    args = shlex.split(cmd)
    assert args[0] == "mtl-theory", cmd
    if args[1] == "verify" and "--out" not in args:
        # the README's command writes its report to ./mtl-theory-report; the test runs in the
        # repository (the examples are relative paths), so the report goes to a scratch dir
        args += ["--out", str(tmp_path / "report")]
    exe = Path(sys.executable).parent / "mtl-theory"
    # a hang guard, not a timing: a 2-core machine under load ~12 took 9 min for one check
    run = subprocess.run(
        [str(exe), *args[1:]], capture_output=True, text=True, cwd=ROOT, timeout=1200
    )
    assert run.returncode in (0, 1), run.stderr
    for text in expected:
        assert text in run.stdout, f"{finding}: {text!r} not in the output of {cmd}"
