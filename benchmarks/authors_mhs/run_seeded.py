"""Run one of the authors' scripts unchanged, with numpy's global RNG seeded first.

Usage: python run_seeded.py SEED_BASE SCRIPT [ARGS...] (from the script's folder). Their
scripts draw ``seed = np.random.randint(0, 100000)`` from the global state and re-seed with
it; seeding the global state first makes that draw reproducible: the init seed is
numpy.random.RandomState(SEED_BASE).randint(0, 100000), printed first as ``INIT_SEED n``.
"""

import os
import runpy
import sys

import numpy as np

base, script = int(sys.argv[1]), sys.argv[2]
sys.argv = [script, *sys.argv[3:]]
sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
print("INIT_SEED", np.random.RandomState(base).randint(0, 100000), flush=True)
np.random.seed(base)  # noqa: NPY002 (their scripts read numpy's global state)
runpy.run_path(script, run_name="__main__")
