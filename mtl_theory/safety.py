"""What keeps the command line's contract under hostile input and a hostile machine (issue 14).

* :func:`run_guarded` runs one command: an I/O failure (a full disk, a read-only directory,
  a file-size limit) or an exhausted memory becomes one line and exit status 2 instead of a
  traceback with status 1 (which the contract keeps for findings); numerical warnings are
  collected and shown as one line each after the output, never before an error line.
* :func:`check_writable_dir` and :func:`check_scheduler` are asked *before* a long run, so
  a run does not compute for minutes and then fail on its output or its cluster.
"""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from .spec import one_line

#: Free space an output directory must have before a run starts (reports and figures take
#: a few MiB; the sweep store grows by a few KiB per point).
MIN_FREE_BYTES = 64 * 2**20

#: How long the scheduler's port may take to answer before ``--dask`` is refused.
SCHEDULER_TIMEOUT_S = 5.0

#: At most this many distinct warnings are shown after a command.
MAX_WARNINGS_SHOWN = 5


class GuardError(Exception):
    """An environment problem found by a check; the message is the one line shown."""


def run_guarded(command: Callable[[], int], *, stderr=None) -> int:
    """Run ``command()``; I/O and memory failures become one line and status 2.

    Warnings raised while it runs are shown after it returns, one line each (at most
    :data:`MAX_WARNINGS_SHOWN` distinct ones); when it raises, they are dropped so that an
    error stays the single line on stderr. Other exceptions propagate.
    """
    err = stderr if stderr is not None else sys.stderr
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = command()
        except MemoryError:
            err.write(
                "mtl-theory: error: the run needs more memory than this machine has; "
                "choose a smaller setup (fewer trials, tasks or units)\n"
            )
            return 2
        except BrokenPipeError:
            raise
        except OSError as exc:
            err.write(f"mtl-theory: error: {io_message(exc)}\n")
            return 2
    seen: list[str] = []
    for w in caught:
        line = f"{w.category.__name__}: {one_line(w.message, 160)}"
        if line not in seen:
            seen.append(line)
    for line in seen[:MAX_WARNINGS_SHOWN]:
        err.write(f"mtl-theory: warning: {line}\n")
    if len(seen) > MAX_WARNINGS_SHOWN:
        err.write(f"mtl-theory: warning: {len(seen) - MAX_WARNINGS_SHOWN} more kinds\n")
    return code


def io_message(exc: OSError) -> str:
    """One line for an I/O failure: the file, what failed, and what to do."""
    name = exc.filename if exc.filename is not None else ""
    what = exc.strerror or type(exc).__name__
    where = f"{one_line(name)}: " if name else ""
    return f"{where}cannot write or read ({what}); free space, fix permissions or choose --out"


def check_writable_dir(path: Path, flag: str, *, files: Sequence[str] = ()) -> None:
    """``path`` is (or can be made) a writable directory with room, and none of ``files``
    inside it is a directory; else :class:`GuardError` naming ``flag``."""
    shown = one_line(path)
    if path.exists() and not path.is_dir():
        raise GuardError(f"{flag}: expected a directory, given the file {shown!r}")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
    except OSError as exc:
        raise GuardError(
            f"{flag}: expected a writable directory, given {shown!r} ({exc.strerror})"
        ) from None
    free = shutil.disk_usage(path).free
    if free < MIN_FREE_BYTES:
        raise GuardError(
            f"{flag}: expected a directory with at least {MIN_FREE_BYTES // 2**20} MiB free, "
            f"given {shown!r} with {free // 2**20} MiB"
        )
    for name in files:
        if (path / name).is_dir():
            raise GuardError(
                f"{flag}: expected {name} in {shown!r} to be a file (or absent), given a directory"
            )


def remove_stale_temporaries(path: Path) -> None:
    """Delete ``.NAME.tmp`` files a killed run left in ``path`` (and ``path/figures``),
    including the links of the report swap (``.report-current.link.tmp`` points at a
    directory, so ``is_file`` alone missed it: found by benchmarks/kill_verify.py)."""
    for folder in (path, path / "figures"):
        if not folder.is_dir():
            continue
        for tmp in folder.glob(".*.tmp"):
            if tmp.is_symlink() or tmp.is_file():
                tmp.unlink(missing_ok=True)


def check_scheduler(address: str) -> None:
    """The ``--dask`` scheduler's port answers within :data:`SCHEDULER_TIMEOUT_S` seconds."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None:
        raise GuardError(
            f"--dask: expected an address tcp://HOST:PORT, given {one_line(address)!r}"
        )
    try:
        with socket.create_connection((host, port), timeout=SCHEDULER_TIMEOUT_S):
            pass
    except OSError as exc:
        raise GuardError(
            f"--dask: expected a reachable dask scheduler, given {one_line(address)!r} "
            f"({exc.strerror or type(exc).__name__}); start one with `dask scheduler` or drop "
            "--dask"
        ) from None


def positive_number(flag: str) -> Callable[[str], float]:
    """An argparse type: a finite number > 0 (a budget), refused in one line otherwise."""
    import argparse
    import math

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(
                f"expected a finite number > 0, given {one_line(text, 40)!r}"
            )
        return value

    parse.__name__ = flag
    return parse
