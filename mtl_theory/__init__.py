"""mtl-theory: the front door (Python API, command line, spec validation, reports, diagrams).

From Python (the command line is a client of these; see :mod:`mtl_theory.api`)::

    import mtl_theory
    result = mtl_theory.check("examples/wta-theorem-applies.toml", verify=True)
    result.verified, result.verdict          # renders as Markdown in a notebook
    mtl_theory.theories()                    # statements, suites and diagrams per theory
    report = mtl_theory.verify_all(quick=True)
    mtl_theory.phase("gdln-saxe", out="figures")

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

# The public API (thin re-exports; the implementations live in mtl_theory.api).
from .api import (  # noqa: E402
    CheckResult,
    LoadedSpec,
    PhaseRun,
    Theory,
    UsageError,
    check,
    load_spec,
    phase,
    theories,
    verify_all,
)
from .spec import SpecError  # noqa: E402

__all__ = [
    "CheckResult",
    "LoadedSpec",
    "PhaseRun",
    "SpecError",
    "Theory",
    "UsageError",
    "__version__",
    "check",
    "load_spec",
    "phase",
    "theories",
    "verify_all",
]
