"""Run one of the authors' scripts unchanged, with numpy's global RNG seeded first.

Usage: python run_seeded.py SEED_BASE SCRIPT [ARGS...]. Their scripts draw
`seed = np.random.randint(0, 100000)`; seeding the global state first makes that draw
reproducible: the init seed is numpy.random.RandomState(SEED_BASE).randint(0, 100000).
"""
import runpy, sys
import numpy as np
base = int(sys.argv[1]); script = sys.argv[2]
sys.argv = [script] + sys.argv[3:]
import os; sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
print("INIT_SEED", np.random.RandomState(base).randint(0, 100000), flush=True)
np.random.seed(base)
runpy.run_path(script, run_name="__main__")
