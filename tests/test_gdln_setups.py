"""GDLN's contract (issue 11, item 5): one setup type per model, valid by construction, and
the theorems' hypotheses as named predicates in theory/gdln.py."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from mtl_theory.numerics import gdln as num
from mtl_theory.proofs import gdln as pg
from mtl_theory.theory import gdln as th
from mtl_theory.theory.model import SetupError

from mtl_theory import api


@pytest.mark.parametrize(
    ("model", "fields", "key"),
    [
        ("linear", {"items": 6}, "items"),
        ("linear", {"hidden": (8, 8)}, "hidden"),
        ("linear", {"hidden": (4,)}, "hidden"),
        ("linear", {"input_variances": (1.0,) * 7}, "input_variances"),
        ("linear", {"input_variances": (1.0,) * 7 + (-1.0,)}, "input_variances"),
        ("linear", {"a0": 1.0}, "a0"),
        ("linear", {"lr": float("nan")}, "lr"),
        ("linear", {"inputs": ((1.0, 0.0), (0.0, 1.0))}, "targets"),
        ("linear", {"inputs": ((1.0,), (2.0,)), "targets": ((0.0,), (0.0,))}, "targets"),
        ("linear", {"inputs": ((1.0,),), "targets": ((np.inf,),)}, "targets"),
        ("deep-linear", {"input_variances": (1.0,) * 8}, "input_variances"),
        ("gated", {"race_gates": ((1, 2), (1, 0))}, "race_gates"),
        ("gated", {"condition_scales": (1.0,)}, "condition_scales"),
        ("gated", {"hidden": (8, 8)}, "hidden"),
        ("routing", {"pairs": 4}, "pairs"),
        ("routing", {"a0": 10.0}, "a0"),
        ("context", {"contexts": 1}, "contexts"),
        ("context", {"contexts": 4, "structures": "different"}, "contexts"),
        ("context", {"items": 4}, "items"),
        ("context", {"hidden": (8, 8, 8)}, "hidden"),
        ("context", {"reln": "nonsense"}, "reln"),
        ("context", {"strong_fraction": 0.0}, "strong_fraction"),
        ("context", {"init_std": -1.0}, "init_std"),
    ],
)
def test_invalid_setup_names_the_violated_condition(model, fields, key):
    with pytest.raises(SetupError) as info:
        th.gdln_setup(model, **fields)
    assert info.value.key == key
    assert str(info.value).startswith(f"{key}: expected ")
    assert "\n" not in str(info.value)


def test_a_field_of_another_model_is_refused():
    with pytest.raises(SetupError, match="modules: expected a field of GatedSetup"):
        th.gdln_setup("gated", modules=3)
    with pytest.raises(SetupError, match="model: expected one of linear"):
        th.gdln_setup("quadratic")


def test_each_model_has_its_own_type_and_only_its_fields():
    names = {m: {f.name for f in dataclasses.fields(t)} for m, t in th.SETUP_TYPES.items()}
    assert set(th.SETUP_TYPES) == {"linear", "deep-linear", "gated", "routing", "context"}
    assert "contexts" not in names["linear"] and "race_gates" not in names["routing"]
    assert "a0" not in names["context"] and "modules" not in names["gated"]
    for model, cls in th.SETUP_TYPES.items():
        setup = cls(a0=0.01) if "a0" in names[model] else cls()
        assert setup.model == model
        assert isinstance(setup, th.GdlnSetup)


def test_the_spec_layer_converts_a_setup_error_into_one_line(tmp_path):
    spec = tmp_path / "bad.json"
    spec.write_text('{"theory": "gdln", "model": "routing", "pairs": 5}')
    with pytest.raises(ValueError) as info:
        api.load_spec(spec)
    assert str(info.value) == f"{spec}: pairs: expected at most modules = 3, given 5"


def test_hypotheses_come_from_the_theory_in_report_order():
    ids = {
        "linear": ["decoupled-data", "decoupled-init", "small-init", "gd-stable"],
        "deep-linear": [
            "decoupled-data",
            "decoupled-init",
            "small-init",
            "gd-stable",
            "isotropic-input",
        ],
        "gated": ["aligned-correlations", "aligned-init", "small-init"],
        "routing": ["pairs", "aligned-init"],
        "context": ["contexts"],
    }
    options = api.CheckOptions()
    for model, expected in ids.items():
        setup = th.gdln_setup(model, **({} if model == "context" else {"a0": 0.01}))
        hyps = th.hypotheses(setup)
        assert [h.id for h in hyps] == expected
        # the context check adds the ReLN's small-init (theory/gdln_reln.py) after them
        assert pg.check(setup, options).hypotheses[: len(hyps)] == hyps


def test_hypotheses_can_fail():
    # η beyond the stability limit, non-isotropic inputs, a gate table whose correlations do
    # not share one basis, a₀ past the race's small-weight regime
    assert not th.gd_stable(th.LinearSetup(lr=10.0)).holds
    iv = (1.0, 2.0, 0.5, 1.0, 1.5, 1.0, 3.0, 1.0)
    assert th.isotropic_input(th.DeepLinearSetup()).holds
    assert th.decoupled_data(th.LinearSetup(input_variances=iv)).holds
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 5))
    Y = rng.standard_normal((8, 3))
    coupled = th.LinearSetup(inputs=tuple(map(tuple, X)), targets=tuple(map(tuple, Y)))
    assert not th.decoupled_data(coupled).holds
    assert not th.small_init(th.GatedSetup(a0=0.05)).holds
    assert th.small_init(th.GatedSetup(a0=1e-4)).holds


@pytest.mark.parametrize("gates", [((1, 1), (1, 0)), ((1, 0, 1), (0, 1, 1), (1, 1, 1))])
def test_theory_path_gates_equal_the_networks(gates):
    """The hypothesis reads each path's gate from the setup; the network gates its hidden
    nodes through the gated graph: two constructions of one thing, which must agree."""
    setup = th.GatedSetup(race_gates=gates, condition_scales=(1.0,) * len(gates[0]))
    graph, _, _, _, ng, eg, _, _ = pg._race_network(setup.race(), 0)
    network = [th.path_gate(graph, p, ng, eg) for p in th.enumerate_paths(graph)]
    theory = th.race_path_gates(setup)
    assert len(network) == len(theory)
    for a, b in zip(network, theory, strict=True):
        np.testing.assert_array_equal(a, b)
    assert graph.edges == num.race_graph(8, 15, 8, len(gates)).edges
