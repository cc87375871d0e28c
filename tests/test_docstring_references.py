"""Every ``:func:``, ``:class:`` and ``:mod:`` reference in the four layers' docstrings names
something that exists (issue 11, item 7: stale references such as ``numerics/wta.py``'s
``train_network`` are how documentation drifts from code).

A reference resolves if it names a builtin, a module, or an attribute path starting at the
module that writes it, at ``mtl_theory`` or at an absolute module. ``:meth:``, ``:attr:`` and
``:data:`` are not checked: dataclass fields and methods of a class named elsewhere in the same
sentence are not resolvable from the text alone.
"""

import builtins
import importlib
import inspect
import pkgutil
import re

import pytest

LAYERS = ("mtl_theory", "mtl_theory.theory", "mtl_theory.numerics", "mtl_theory.proofs")
ROLE = re.compile(r":(?:func|class|mod):`~?([A-Za-z_][\w\.]*)`")


def _modules():
    names = set()
    for layer in (*LAYERS, "mtl_theory.families"):
        package = importlib.import_module(layer)
        names.add(layer)
        for info in pkgutil.iter_modules(package.__path__, prefix=f"{layer}."):
            if info.name.split(".")[-1] not in ("theory", "numerics", "proofs", "families"):
                names.add(info.name)
    return sorted(names)


def _walk(root, path):
    obj = root
    for part in path:
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True


def _resolves(reference: str, module) -> bool:
    if hasattr(builtins, reference):
        return True
    parts = reference.split(".")
    for prefix in ("", f"{module.__name__}.", "mtl_theory."):
        full = (prefix + reference).split(".")
        for i in range(len(full), 0, -1):
            try:
                root = importlib.import_module(".".join(full[:i]))
            except ImportError:
                continue
            if _walk(root, full[i:]):
                return True
            break
    return _walk(module, parts)


@pytest.mark.parametrize("name", _modules())
def test_every_cross_reference_resolves(name):
    module = importlib.import_module(name)
    stale = sorted(
        {ref for ref in ROLE.findall(inspect.getsource(module)) if not _resolves(ref, module)}
    )
    assert not stale, f"{name}: references to nothing: {', '.join(stale)}"


def test_a_stale_reference_is_caught():
    module = importlib.import_module("mtl_theory.numerics.wta")
    assert _resolves("exhaustive_search", module)
    assert _resolves("mtl_theory.numerics.wta_milp", module)
    assert not _resolves("train_network", module)
