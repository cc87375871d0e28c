"""mtl-theory: the front door (command line, spec validation, reports, phase diagrams).

The design card keeps the layers ``theory/``, ``numerics/`` and ``proofs/`` at the top of the
repository; installed, they are the subpackages :mod:`mtl_theory.theory`,
:mod:`mtl_theory.numerics` and :mod:`mtl_theory.proofs` (``pyproject.toml`` maps the folders),
so nothing generic lands at the top of a user's site-packages.
"""

from pathlib import Path as _Path

__version__ = "0.1.0"


def _source_tree_layers() -> None:
    # Run from a source checkout (``python -m mtl_theory.cli`` in the repository, or an
    # editable install), the three layers are siblings of this folder rather than inside it;
    # let the package search the repository root for them, as an installed copy would find
    # them inside itself. Nothing changes for an installed copy.
    here = _Path(__file__).resolve().parent
    root = here.parent
    if (here / "theory").is_dir() or not (root / "pyproject.toml").is_file():
        return
    if all((root / layer / "__init__.py").is_file() for layer in ("theory", "numerics", "proofs")):
        __path__.append(str(root))


_source_tree_layers()
