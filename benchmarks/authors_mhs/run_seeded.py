"""Run one of the authors' scripts unchanged, with numpy's global RNG seeded first.

Usage: python run_seeded.py SEED_BASE SCRIPT [ARGS...] (from the script's folder). Their
scripts draw ``seed = np.random.randint(0, 100000)`` from the global state and re-seed with
it. Importing their dependencies (jax, matplotlib, sklearn, ...) consumes numpy's global
state, so every module the script imports at top level is imported FIRST, then the global
state is seeded; the script's own imports are then no-ops and its draw is
numpy.random.RandomState(SEED_BASE).randint(0, 100000), printed first as ``INIT_SEED n``.
"""

import ast
import importlib
import os
import runpy
import sys

import numpy as np

base, script = int(sys.argv[1]), sys.argv[2]
sys.argv = [script, *sys.argv[3:]]
sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
with open(script, encoding="utf-8") as fh:
    tree = ast.parse(fh.read())
for node in tree.body:
    if isinstance(node, ast.Import):
        for alias in node.names:
            importlib.import_module(alias.name)
    elif isinstance(node, ast.ImportFrom) and node.module:
        importlib.import_module(node.module)
print("INIT_SEED", np.random.RandomState(base).randint(0, 100000), flush=True)
np.random.seed(base)  # noqa: NPY002 (their scripts read numpy's global state)
runpy.run_path(script, run_name="__main__", init_globals=None)
