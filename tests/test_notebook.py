"""examples/from-python.ipynb runs top to bottom, and what it displays renders.

Executed with the standard library only (no Jupyter kernel): each code cell runs in one
namespace, in order, from the notebook's folder; a cell's last expression is evaluated and
rendered as Jupyter would, through its ``_repr_markdown_`` / ``_repr_html_`` if it has one.
"""

import ast
import json
import os
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "from-python.ipynb"


def run_notebook(path: Path) -> list[object]:
    """Execute every code cell; return the displayed value of each (None if nothing shown)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    namespace: dict[str, object] = {"__name__": "__main__"}
    shown = []
    here = Path.cwd()
    os.chdir(path.parent)
    try:
        for cell in cells:
            if cell["cell_type"] != "code":
                continue
            tree = ast.parse("".join(cell["source"]))
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, f"<{path.name} {cell['id']}>", "exec"), namespace)
            value = None
            if last is not None:
                expr = ast.Expression(last.value)
                value = eval(compile(expr, f"<{path.name} {cell['id']}>", "eval"), namespace)
            shown.append(value)
    finally:
        os.chdir(here)
    return shown


@pytest.mark.slow
def test_the_example_notebook_runs_top_to_bottom_and_renders():
    shown = run_notebook(NOTEBOOK)
    rendered = [
        getattr(v, "_repr_markdown_", None) or getattr(v, "_repr_html_", None) for v in shown
    ]
    texts = [r() for r in rendered if r is not None]
    assert len(texts) >= 4  # the theories, a check result, a phase diagram, the verify report
    assert all(isinstance(t, str) and t.strip() for t in texts)
    assert shown[-2] is True  # report.agrees
    assert "passed" in shown
    # the phase diagram shows its figure inline (a PNG embedded in the HTML), not a path
    figures = [t for t in texts if "<img src='data:image/png;base64," in t]
    assert len(figures) == 1 and "gdln-saxe" in figures[0]
