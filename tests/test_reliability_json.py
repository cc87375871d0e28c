"""Strict JSON and honest verdicts on non-finite numbers (issue 14 item 4)."""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from mtl_theory.theory.model import (
    CheckResult,
    Comparison,
    HypothesisCheck,
    Statement,
    Verification,
)

from mtl_theory import cli

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.toml"))
#: examples whose --verify runs in seconds (the others are covered without --verify here and
#: by the verification suite)
QUICK_VERIFY = ("wta-xor.toml", "gdln-saxe-hierarchy.toml", "evidence-zero-noise.toml")


def strict_loads(text: str):
    """json.loads that refuses NaN, Infinity and -Infinity (as every strict parser does)."""

    def refuse(name: str):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def run_json(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(args)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_prints_strict_json(path):
    extra = ["--verify"] if path.name in QUICK_VERIFY else []
    code, out, err = run_json(["check", str(path), "--json", *extra])
    if code == 2:  # a spec refused by design (wta-too-large): one line, nothing on stdout
        assert out == "" and err.count("\n") == 1
        return
    data = strict_loads(out)
    assert data["theory"] in ("wta", "evidence", "gdln")
    assert (data["verification"] is None) == (not extra)


def test_non_finite_numbers_are_null_with_a_reason():
    c = Comparison.numeric("X", "q", [1.0, math.inf], [1.0, 2.0], 0.1, "r", route="independent")
    data = strict_loads(cli.json_dump({"c": c}))
    assert data["c"]["predicted"] == [1.0, None]
    assert data["c"]["non_finite"]["predicted"] == "inf at [1]"


S = Statement("X-1", "t", "s", "derived", "tests")


def _result(*comparisons: Comparison) -> CheckResult:
    return CheckResult(
        "t", S, (HypothesisCheck("h", True, "ok"),), {}, Verification("m", {}, comparisons)
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: Comparison.numeric("X-1", "q", np.nan, 1.0, 0.1, "r", route="independent"),
        lambda: Comparison.numeric("X-1", "q", 1.0, 1.0, math.inf, "r", route="independent"),
        lambda: Comparison.numeric("X-1", "q", math.inf, math.inf, 0.1, "r", route="independent"),
        lambda: Comparison.monte_carlo(
            "X-1", "q", 0.5, math.nan, 0.01, 3.0, "r", alternatives={"a": 0.6}
        ),
        lambda: Comparison.upper_bound("X-1", "q", 1.0, math.nan, 0.1, "r", route="independent"),
        lambda: Comparison.exact("X-1", "q", math.nan, math.nan, route="independent"),
    ],
)
def test_a_comparison_on_non_finite_numbers_is_not_measurable(make):
    c = make()
    assert not c.measurable and not c.agrees and not c.disagrees and not c.verifies
    assert "numerically out of range" in c.out_of_range
    r = _result(c, Comparison.exact("X-1", "n", 1, 1, route="independent"))
    # neither "agrees"/"verified" nor a contradiction: a verdict of its own
    assert r.verdict == "not measurable" and not r.contradiction and not r.verified
    assert "not measurable" in r.verification.not_verified_reason


def test_a_measured_disagreement_beside_an_unmeasurable_one_is_still_a_contradiction():
    bad = Comparison.numeric("X-1", "q", 1.0, 2.0, 0.1, "r", route="independent")
    nan = Comparison.numeric("X-1", "p", np.nan, 1.0, 0.1, "r", route="independent")
    assert _result(bad, nan).contradiction


def test_exact_inf_equal_inf_still_agrees_and_inf_differs_from_minus_inf():
    assert Comparison.exact("X-1", "q", math.inf, math.inf, route="independent").agrees
    assert Comparison.exact("X-1", "q", math.inf, -math.inf, route="independent").disagrees


@pytest.mark.parametrize("scale", [1e-200, 1e200, 1e300])
def test_evidence_normals_of_any_scale_give_the_unit_boundaries(tmp_path, scale):
    normals = [[1, 0.2, -0.3], [0.1, 1, 0.4], [-0.5, 0.3, 1], [0.7, -0.8, 0.2]]
    offsets = [0.1, -0.2, 0.05, 0.15]
    outputs = []
    for k in (1.0, scale):
        spec = tmp_path / f"s{k:g}.json"
        spec.write_text(
            json.dumps(
                {
                    "theory": "evidence",
                    "D": 3,
                    "normals": [[v * k for v in row] for row in normals],
                    "offsets": [v * k for v in offsets],
                    "sigma": 0.3,
                    "t": 10,
                }
            )
        )
        code, out, _ = run_json(["check", str(spec), "--json"])
        assert code == 0
        outputs.append(strict_loads(out))
    ref, got = outputs
    np.testing.assert_allclose(got["setup"]["normals"], ref["setup"]["normals"], rtol=1e-14)
    np.testing.assert_allclose(got["setup"]["offsets"], ref["setup"]["offsets"], rtol=1e-14)
    assert np.allclose(np.linalg.norm(got["setup"]["normals"], axis=1), 1.0)
    assert any("unit normals" in n for n in got["notes"])
    assert got["predictions"]["r2_ideal"] == pytest.approx(ref["predictions"]["r2_ideal"])
