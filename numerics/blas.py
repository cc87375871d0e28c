"""BLAS threading: one place for how this toolkit keeps matrix products single-threaded.

Why: the networks here are small. On small matrices a multi-threaded BLAS is slower (measured
on the 2-core machine under load: a 300-epoch WTA training run took 13.5 s threaded vs 0.7 s
single-threaded), and it may block a product differently and so round differently (measured:
the GDLN context experiment's last digits changed between a threaded and a single-threaded
BLAS), which would make results depend on how a computation was scheduled.

* :func:`single_thread_blas_environment` — for processes started inside the block (sweep
  workers, isolated training runs): they read the thread variables when their BLAS loads.
* :func:`single_blas_thread` — for this process: limits numpy's bundled OpenBLAS to one thread
  around a block (best effort, through its exported ``*_set_num_threads``; a no-op when the
  library is not found).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import glob
import os
from collections.abc import Iterator

import numpy as np

# Environment for worker processes: one BLAS/OpenMP thread each, so that N workers use N
# cores rather than N x (cores) oversubscribed threads.
_SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}


@contextlib.contextmanager
def single_thread_blas_environment() -> Iterator[None]:
    """Set the BLAS/OpenMP thread variables to 1 for processes started inside this block.

    A child process reads them when its BLAS loads; this process's own BLAS is unaffected.
    """
    saved = {k: os.environ.get(k) for k in _SINGLE_THREAD_ENV}
    os.environ.update(_SINGLE_THREAD_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def single_blas_thread():
    """Run the block with numpy's bundled OpenBLAS limited to one thread (best effort).

    The training matrices are tiny (~100 x 200); multi-threaded OpenBLAS on a shared 2-core
    machine made one 300-epoch run take 13.5 s instead of 0.7 s single-threaded (measured,
    load average ~7). When the library or its symbols are not found this does nothing.
    """
    funcs = _openblas_thread_functions()
    if funcs is None:
        yield
        return
    get_threads, set_threads = funcs
    before = int(get_threads())
    set_threads(1)
    try:
        yield
    finally:
        set_threads(before)


@functools.cache
def _openblas_thread_functions():
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*"))
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for suffix in ("64_", "_64_", ""):
            get_name = f"scipy_openblas_get_num_threads{suffix}"
            set_name = f"scipy_openblas_set_num_threads{suffix}"
            if hasattr(lib, get_name) and hasattr(lib, set_name):
                setter = getattr(lib, set_name)
                setter.argtypes = [ctypes.c_int]
                return getattr(lib, get_name), setter
    return None
