"""Wall time and peak memory of ``mtl-theory verify --quick`` (target: < 60 s, < 1 GiB).

The baseline run side by side is the interpreter importing the toolkit (``mtl-theory list``),
so the line also shows how much of the time is the work itself.
"""

import resource
import subprocess
import sys
import tempfile
import time


def timed(args):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mtl_theory.cli", *args], capture_output=True, text=True
    )
    seconds = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return proc.returncode, seconds, max(peak_kib, before) / 1024


def main():
    code0, base_s, _ = timed(["list"])
    with tempfile.TemporaryDirectory() as out:
        code, seconds, peak_mib = timed(["verify", "--quick", "--out", out])
    ok = code == 0 and seconds < 60 and peak_mib < 1024
    print(
        f"verify --quick: {seconds:.1f} s (target < 60 s), peak RSS {peak_mib:.0f} MiB "
        f"(target < 1024 MiB), exit {code}; baseline `list` {base_s:.1f} s "
        f"({seconds / base_s:.1f}x) exit {code0}; {'MEETS' if ok else 'MISSES'} target"
    )


if __name__ == "__main__":
    main()
