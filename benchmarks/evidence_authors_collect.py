"""Print the authors' EVIDENCE runs as the ``AUTHORS_PROTOCOL_RUNS`` literal of
``theory/evidence_authors.py`` (the toolkit's reference table of their code's numbers).

Reads the ``gen_n{N}_b{batches}_d{decoder batches}_f{fits}_[r{first}-{last}_]fixed{0,1}.npz``
files that ``benchmarks/evidence_side_by_side_run.py`` writes (the authors' generalize.py, both
protocols; train.py runs 0 ... k-1 unnamed, a set added later with ``--first-run`` named by its
range, joined here in run order: the ranges of one N_task must follow each from the last),
by default those committed in
``benchmarks/reproductions/evidence-side-by-side-full-budget/``; tests/test_evidence_authors.py
checks that the table in the toolkit equals what this prints from the committed files.

    python benchmarks/evidence_authors_collect.py [NPZ ...]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

RAW = Path(__file__).resolve().parent / "reproductions" / "evidence-side-by-side-full-budget"
NAME = re.compile(r"gen_n(\d+)_b(\d+)_d(\d+)_f(\d+)_(?:r(\d+)-(\d+)_)?fixed([01])\.npz$")


def runs(paths: list[Path]) -> list[tuple]:
    """(n_tasks, protocol, rnn_batches, decoder_batches, values, file names joined by " + "),
    sorted; the run sets of one (N_task, protocol, counts) joined in run order."""
    sets: dict[tuple, list[tuple[int, int, np.ndarray, str]]] = {}
    for path in paths:
        match = NAME.search(path.name)
        if not match:
            raise SystemExit(f"{path}: expected gen_n<N>_b<B>_d<D>_f<F>_[r<a>-<b>_]fixed<0|1>.npz")
        n, batches, decoder, fits = (int(g) for g in match.groups()[:4])
        first = int(match.group(5) or 0)
        fixed = int(match.group(7))
        data = np.load(path)
        if [int(v) for v in data["n_tasks"]] != [n]:
            raise SystemExit(f"{path}: n_tasks {data['n_tasks']} does not match its name")
        values = np.asarray(data["r_sq"][0], dtype=float)
        if values.shape[1:] != (4, fits):
            raise SystemExit(f"{path}: r_sq of shape {values.shape}, expected (k, 4, {fits})")
        if match.group(6) is not None and int(match.group(6)) != first + values.shape[0] - 1:
            raise SystemExit(f"{path}: {values.shape[0]} networks, not the runs its name says")
        protocol = "authors-fixed" if fixed else "authors-published"
        sets.setdefault((n, protocol, batches, decoder), []).append(
            (first, values.shape[0], values, path.name)
        )
    out = []
    for key, parts in sets.items():
        parts.sort(key=lambda part: part[0])
        expected = 0
        for first, count, _, name in parts:
            if first != expected:
                raise SystemExit(f"{name}: starts at run {first}, expected run {expected}")
            expected += count
        values = np.concatenate([part[2] for part in parts])
        out.append((*key, values, " + ".join(part[3] for part in parts)))
    return sorted(out, key=lambda r: (r[0], r[1]))


def literal(rows: list[tuple]) -> str:
    lines = ["AUTHORS_PROTOCOL_RUNS: tuple[AuthorsProtocolRun, ...] = ("]
    for n, protocol, batches, decoder, values, name in rows:
        lines.append("    AuthorsProtocolRun(")
        lines.append(f"        {n},")
        lines.append(f'        "{protocol}",')
        lines.append(f"        {batches},")
        lines.append(f"        {decoder},")
        lines.append("        (")
        for network in values:
            lines.append("            (")
            for quadrant in network:
                lines.append(
                    "                (" + ", ".join(repr(float(v)) for v in quadrant) + "),"
                )
            lines.append("            ),")
        lines.append("        ),")
        parts = name.split(" + ")
        if len(parts) == 1:
            lines.append(f'        "{name}",')
        else:  # one file name a line, as implicit concatenation (lines of at most 100)
            lines.append("        (")
            lines.append(f'            "{parts[0]}"')
            lines.extend(f'            " + {part}"' for part in parts[1:])
            lines.append("        ),")
        lines.append("    ),")
    lines.append(")")
    return "\n".join(lines)


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or sorted(RAW.glob("gen_*.npz"))
    print(literal(runs(paths)))


if __name__ == "__main__":
    main()
