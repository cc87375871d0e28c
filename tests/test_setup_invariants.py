"""WTA and EVIDENCE setups are valid by construction (issue 11, item 5): a violated invariant
raises a SetupError naming its field, and the spec layer reports it in one line."""

from __future__ import annotations

import pytest
from mtl_theory.theory import evidence as te
from mtl_theory.theory import wta as tw
from mtl_theory.theory.model import SetupError

from mtl_theory import api

ONEHOT = tw.make_targets((2, 2), "factor-onehot")


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"factors": (1, 2)}, "factors"),
        ({"modules": (1, 2)}, "modules"),
        ({"targets": ((0.0, 1.0),)}, "targets"),
        ({"targets": ((0.0, 1.0, float("nan"), 0.0),)}, "targets"),
        ({"holdout": (4,)}, "holdout"),
        ({"holdout": (1, 1)}, "holdout"),
        ({"holdout": (0, 1, 2, 3)}, "holdout"),
    ],
)
def test_wta_setup_invariants(fields, key):
    base = {"factors": (2, 2), "modules": (2, 2), "targets": ONEHOT}
    with pytest.raises(SetupError) as info:
        tw.WTASetup(**(base | fields))
    assert info.value.key == key


NORMALS = ((1.0, 0.0), (0.0, 1.0))


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"normals": ((0.0, 0.0), (0.0, 1.0))}, "normals"),
        ({"normals": ((float("inf"), 0.0), (0.0, 1.0))}, "normals"),
        ({"offsets": (0.0,)}, "offsets"),
        ({"sigma": -1.0}, "sigma"),
        ({"t": 0}, "t"),
        ({"network": "mlp"}, "network"),
        ({"noise": "anisotropic"}, "noise_scales"),
        ({"noise": "anisotropic", "noise_scales": (1.0,)}, "noise_scales"),
        ({"noise_scales": (1.0, 2.0)}, "noise_scales"),
        ({"noise_rho": 0.5}, "noise_rho"),
        ({"noise": "correlated", "noise_rho": -1.0}, "noise_rho"),
        ({"noise": "autocorrelated", "noise_rho": 0.5, "network": "rnn"}, "network"),
        ({"protocol": "mine"}, "protocol"),
    ],
)
def test_evidence_setup_invariants(fields, key):
    base = {"normals": NORMALS, "offsets": (0.0, 0.0), "sigma": 0.2, "t": 20}
    with pytest.raises(SetupError) as info:
        te.EvidenceSetup(**(base | fields))
    assert info.value.key == key
    assert "\n" not in str(info.value)


def test_valid_setups_build():
    tw.WTASetup((2, 2), (2, 2), ONEHOT, (3,))
    te.EvidenceSetup(NORMALS, (0.0, 0.0), 0.2, 20, noise="correlated", noise_rho=0.3)


def test_spec_layer_reports_an_evidence_invariant_in_one_line(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('theory = "evidence"\nD = 2\nn_tasks = 6\nnoise = "anisotropic"\n')
    with pytest.raises(ValueError) as info:
        api.load_spec(spec)
    assert str(info.value) == (
        f"{spec}: noise_scales: expected 2 positive numbers with noise = 'anisotropic', "
        "given 'nothing'"
    )
