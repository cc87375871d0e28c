"""Keep native libraries' chatter off stdout.

HiGHS prints its banner from C on file descriptor 1, and LAPACK prints "DLASCL illegal
value" lines the same way; Python's ``sys.stdout`` redirection cannot catch either, and
``mtl-theory check --json`` must print nothing but its JSON object (issue 14). The block
below points descriptor 1 at the null device while a native call runs.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_stdout_silenced() -> Iterator[None]:
    """Send whatever native code writes to descriptor 1 to the null device, then restore it.

    Python-level output written inside the block is flushed first and still goes to the real
    stdout afterwards only if written after the block; keep Python prints outside it.
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # no real descriptor (e.g. captured)
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), fd)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, fd)
        os.close(saved)
