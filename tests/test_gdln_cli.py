"""GDLN family end to end: spec validation, examples, the command line, the quick suite."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from mtl_theory.families.gdln import FAMILY
from mtl_theory.registry import CheckOptions
from mtl_theory.spec import SpecError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("gdln-*.toml"))


def _build(spec, base_dir=None):
    return FAMILY.build(FAMILY.schema.validate(spec, base_dir))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_validate(path):
    spec = tomllib.loads(path.read_text())
    assert spec.pop("theory") == "gdln"
    _build(spec, path.parent)


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ({"model": "linear", "items": 0}, "items"),
        ({"model": "linear", "items": 6}, "items"),
        ({"model": "context", "contexts": 4, "structures": "different"}, "contexts"),
        ({"model": "context", "contexts": 1}, "contexts"),
        ({"model": "linear", "input_variances": [1.0, 2.0]}, "input_variances"),
        ({"model": "linear", "hidden": [4]}, "hidden"),
        ({"model": "routing", "modules": 2, "pairs": 3}, "pairs"),
        ({"model": "gated", "race_gates": [[1, 0.5]]}, "race_gates"),
        ({"model": "linear", "lr": 0}, "lr"),
        ({"model": "linear", "hiden": [8]}, "hiden"),
        ({"model": "context", "reln": "relu"}, "reln"),
    ],
)
def test_bad_specs_name_the_key(spec, key):
    with pytest.raises(SpecError) as err:
        _build(spec)
    assert err.value.key == key


def test_quick_suite_agrees():
    for case in FAMILY.suite:
        if not case.quick:
            continue
        result = FAMILY.check(_build(case.spec), CheckOptions(verify=True, quick=True))
        assert result.verification is not None
        assert result.verification.agrees, (case.name, result.verification.comparisons)
        assert result.applies, case.name


def test_statements_and_diagrams_registered():
    assert {s.provenance for s in FAMILY.statements} <= {
        "paper",
        "code",
        "reconstructed",
        "derived",
    }
    assert {d.name for d in FAMILY.diagrams} == {
        "gdln-saxe",
        "gdln-context-losses",
        "gdln-contexts-depth",
        "gdln-authors-contexts",
        "gdln-authors-depth",
    }


def _cli(*args, cwd=ROOT):
    exe = Path(sys.executable).parent / "mtl-theory"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_cli_check_json_contract():
    out = _cli("check", "examples/gdln-race.toml", "--verify", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["theory"] == "gdln" and data["applies"]
    measured = data["verification"]["measured"]
    assert "singular_values" in data["predictions"]
    assert {"max_abs_error_gd", "max_abs_error_flow"} <= set(measured)


def test_cli_bad_input_one_line_exit_2(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text('theory = "gdln"\nmodel = "context"\ncontexts = 5\nstructures = "different"\n')
    out = _cli("check", str(spec))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "contexts" in lines[0] and "Traceback" not in out.stderr


def test_cli_divergence_is_reported(tmp_path):
    spec = tmp_path / "diverge.toml"
    spec.write_text('theory = "gdln"\nmodel = "linear"\nlr = 0.5\nepochs = 400\n')
    out = _cli("check", str(spec), "--verify", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["verification"]["measured"]["gd_diverged_at_epoch"] is not None
    assert '"nan"' not in out.stdout and '"inf"' not in out.stdout
