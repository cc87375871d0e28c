"""The contract every theory satisfies (issue 11, item 6), checked over every registered
family and the toy family of tests/toy_family.py through the same front door.

Derivations: every registered derivation is pinned in tests/test_verdicts.py (which runs
them); here the toy's runs. Examples and suite cases build into the family's setup type and
check (without --verify: the quick suites with --verify run in test_<theory>_cli.py and in
test_cli.py). Diagrams: points, costs and description; the cheapest point computes and
renders where it is estimated at most CHEAP_SECONDS; the costlier diagrams' points are
computed by the dedicated tests named in COSTLY_DIAGRAM_TESTS.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import matplotlib
import pytest
import test_verdicts
import toy_family
from mtl_theory.numerics.blas import single_blas_thread
from mtl_theory.numerics.sweep import PointRecord, point_key, point_seed
from mtl_theory.theory.model import PROVENANCE_LABELS, CheckResult

from mtl_theory.registry import CheckOptions, load_registry

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = load_registry()
FAMILIES = {**REGISTRY.families, "toy": toy_family.make_registry().families["toy"]}
#: A diagram whose cheapest point is estimated at most this (one idle core) is computed here.
CHEAP_SECONDS = 10.0
#: Where the costlier diagrams' points are computed and rendered (or their compute is
#: exercised on a reduced budget): the test file must name the diagram.
COSTLY_DIAGRAM_TESTS = {
    "wta-gradient": "test_float32.py",
    "wta-emergence": "test_wta_emergence.py",
    "wta-generalization": "test_wta_generalization.py",
    "evidence-rnn": "test_float32.py",
    "evidence-architectures": "test_float32.py",
    "evidence-rnn-attractors": "test_float32.py",
    "gdln-context-losses": "test_gdln_cli.py",
    "gdln-authors-contexts": "test_gdln_authors_diagrams.py",
    "gdln-authors-depth": "test_gdln_authors_diagrams.py",
}
DIAGRAMS = [(f, d) for f in FAMILIES.values() for d in f.diagrams]


def _examples(theory: str) -> list[Path]:
    out = []
    for path in sorted((ROOT / "examples").glob("*.toml")):
        if tomllib.loads(path.read_text()).get("theory") == theory:
            out.append(path)
    return out


@pytest.mark.parametrize("family", FAMILIES.values(), ids=lambda f: f.name)
def test_statements_carry_provenance_and_unique_ids(family):
    ids = [s.id for s in family.statements]
    assert ids and len(ids) == len(set(ids))
    assert all(s.provenance in PROVENANCE_LABELS and s.text for s in family.statements)


@pytest.mark.parametrize("family", FAMILIES.values(), ids=lambda f: f.name)
def test_derivations_are_pinned_or_hold(family):
    for derive in family.derivations:
        if family.name == "toy":
            assert derive().holds
        else:
            assert derive in test_verdicts.ALL, f"{derive.__name__}: pin it in test_verdicts"


@pytest.mark.parametrize("family", FAMILIES.values(), ids=lambda f: f.name)
def test_examples_and_suite_cases_build_into_the_setup_type_and_check(family):
    specs = [(p.name, p) for p in _examples(family.name)]
    specs += [(c.name, c.spec) for c in family.suite]
    assert specs, f"{family.name}: no example and no suite case"
    for name, spec in specs:
        setup = family.build(family.schema.validate(_raw(spec), _base(spec)))
        assert family.setup_type is not None and isinstance(setup, family.setup_type), name
        result = family.check(setup, CheckOptions())
        assert isinstance(result, CheckResult) and result.verification is None, name
        ids = [h.id for h in result.hypotheses]
        assert len(ids) == len(set(ids)), name
        json.dumps(result.to_json(), allow_nan=False)  # strict JSON
    for case in family.suite:
        if case.expect_applies is not None:
            setup = family.build(family.schema.validate(case.spec))
            assert family.check(setup, CheckOptions()).applies == case.expect_applies, case.name


def _raw(spec):
    if isinstance(spec, Path):
        raw = tomllib.loads(spec.read_text())
        return {k: v for k, v in raw.items() if k != "theory"}
    return spec


def _base(spec):
    return spec.parent if isinstance(spec, Path) else None


@pytest.mark.parametrize(("family", "diagram"), DIAGRAMS, ids=lambda x: getattr(x, "name", ""))
def test_diagram_declares_points_costs_and_a_description(family, diagram):
    points = list(diagram.points())
    assert points and diagram.description and diagram.theory == family.name
    assert len({point_key(p) for p in points}) == len(points), "duplicate points"
    assert diagram.cost is not None, f"{diagram.name}: declare a cost per point"
    if diagram.name in COSTLY_DIAGRAM_TESTS:
        text = (ROOT / "tests" / COSTLY_DIAGRAM_TESTS[diagram.name]).read_text()
        assert diagram.name in text


def _cheapest(diagram):
    points = list(diagram.points())
    return min(points, key=lambda p: diagram.cost(p).seconds)


CHEAP = [(f, d) for f, d in DIAGRAMS if d.cost(_cheapest(d)).seconds <= CHEAP_SECONDS]


def test_every_costly_diagram_is_covered_elsewhere():
    cheap = {d.name for _, d in CHEAP}
    costly = {d.name for _, d in DIAGRAMS} - cheap - {"toy-map"}
    assert costly <= set(COSTLY_DIAGRAM_TESTS), costly - set(COSTLY_DIAGRAM_TESTS)


@pytest.mark.parametrize(("family", "diagram"), CHEAP, ids=lambda x: getattr(x, "name", ""))
def test_cheapest_point_computes_and_renders(family, diagram):
    params = _cheapest(diagram)
    seed = point_seed(diagram.name, params)
    with single_blas_thread():
        result = diagram.compute(params, seed)
    json.dumps(dict(result), allow_nan=True, default=float)
    fig = plt.figure()
    try:
        diagram.render([PointRecord(point_key(params), params, seed, result)], fig)
    finally:
        plt.close(fig)
