"""Every docstring example of the four layers runs and shows what it claims (issue 11)."""

import doctest
import importlib
import pkgutil

import pytest

import mtl_theory

LAYERS = (
    "mtl_theory",
    "mtl_theory.families",
    "mtl_theory.theory",
    "mtl_theory.numerics",
    "mtl_theory.proofs",
)


def _modules():
    names = []
    for layer in LAYERS:
        package = importlib.import_module(layer)
        names.append(layer)
        for info in pkgutil.iter_modules(package.__path__, prefix=f"{layer}."):
            if info.name.split(".")[-1] in ("families", "theory", "numerics", "proofs"):
                continue  # the layers, listed on their own
            names.append(info.name)
    return sorted(set(names))


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_the_modules_with_examples_are_found():
    assert "mtl_theory.api" in _modules() and "mtl_theory.numerics.metrics" in _modules()
    assert "mtl_theory.families.diagram_text" in _modules()
    assert mtl_theory.__version__
