"""The layering of DESIGN.md, checked on the source: who may import whom."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("theory", "numerics", "proofs")
OURS = {*LAYERS, "mtl_theory"}
ALLOWED = {
    "theory": {"theory"},
    "numerics": {"theory", "numerics"},
    "proofs": {"theory", "numerics", "proofs"},
    "mtl_theory": OURS,
}


def layer_of(module: str) -> str | None:
    """The layer a module belongs to: ``mtl_theory.numerics.wta`` -> ``numerics``."""
    parts = module.split(".")
    if parts[0] != "mtl_theory":
        # A bare layer name would be a generic top-level package, not ours (issue 11).
        return None
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "mtl_theory"


def imported_layers(path: Path) -> set[str]:
    """Our layers a source file imports (absolute imports; ``from mtl_theory import x`` too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str | None] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {layer_of(a.name) for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "mtl_theory":
                found |= {a.name if a.name in LAYERS else "mtl_theory" for a in node.names}
            else:
                found.add(layer_of(node.module))
    return {x for x in found if x is not None}


def test_no_layer_is_imported_under_a_generic_top_level_name():
    """``import numerics`` would mean a generic package in a user's site-packages."""
    offences = []
    for f in sorted(ROOT.rglob("*.py")):
        if ".venv" in f.parts or "build" in f.parts:
            continue
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offences += [f"{f.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in LAYERS]
    assert offences == []


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer):
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"no sources under {layer}/"
    offences = {
        str(f.relative_to(ROOT)): sorted(imported_layers(f) - ALLOWED[layer]) for f in files
    }
    assert {k: v for k, v in offences.items() if v} == {}


def test_installed_distribution_puts_only_mtl_theory_at_the_top():
    """Installed, the three layers live under ``mtl_theory`` (nothing generic in site-packages)."""
    from importlib import metadata

    files = metadata.distribution("mtl-theory").files or []
    if any(f.name.startswith("__editable__") for f in files):
        pytest.skip("editable install: the layers are mapped by setuptools' finder, not copied")
    top = {f.parts[0] for f in files if f.suffix == ".py"}
    assert top == {"mtl_theory"}
    import importlib.util

    for layer in LAYERS:
        assert importlib.util.find_spec(layer) is None, f"a top-level {layer!r} is importable"
        assert importlib.util.find_spec(f"mtl_theory.{layer}") is not None
