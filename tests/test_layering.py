"""The layering of DESIGN.md, checked on the source: who may import whom."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"theory", "numerics", "proofs", "mtl_theory"}
ALLOWED = {
    "theory": {"theory"},
    "numerics": {"theory", "numerics"},
    "proofs": {"theory", "numerics", "proofs"},
    "mtl_theory": OURS,
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer):
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"no sources under {layer}/"
    offences = {
        str(f.relative_to(ROOT)): sorted(imported_packages(f) - ALLOWED[layer]) for f in files
    }
    assert {k: v for k, v in offences.items() if v} == {}
