"""Collect the losses of the authors' runs into the literal of theory/gdln_authors.py.

Usage: python collect_runs.py RUNS_DIR. RUNS_DIR holds one folder per run made by
run_one.sh (FOLDER-SCRIPT-BASE-MODE/losses/*.txt). Their scripts record the loss after the
update of epoch e at index e, i.e. after e + 1 updates; the literal is keyed by the number
of updates k, so entry k is their index k − 1.
"""

import sys
from pathlib import Path

import numpy as np

SCRIPTS = {
    # (folder, script): (dataset key, model, losses file pattern, checkpoints in updates)
    ("3_context_diff", "relu"): ("gen_data3-diff", "relu", "relu.txt"),
    ("3_context_diff", "gdln"): ("gen_data3-diff", "reln", "gated.txt"),
    ("3_context_diff", "gdln_single"): ("gen_data3-diff", "modular", "gated_single.txt"),
    ("diff_context_num", "relu3"): ("gen_data3-same", "relu", "relu3.txt"),
    ("diff_context_num", "relu4"): ("diff_context_num-gen_data4", "relu", "relu4.txt"),
    ("diff_context_num", "relu5"): ("diff_context_num-gen_data5", "relu", "relu5.txt"),
    ("diff_context_num", "gdln3"): ("gen_data3-same", "reln", "gated3.txt"),
    ("diff_context_num", "gdln4"): ("diff_context_num-gen_data4", "reln", "gated4.txt"),
    ("diff_context_num", "gdln5"): ("diff_context_num-gen_data5", "reln", "gated5.txt"),
    ("depth", "relu"): ("gen_data3-same", "depth-relu", "{base}relu.txt"),
    ("depth", "gdln_off"): ("gen_data3-same", "depth-gdln", "{base}gated.txt"),
}
SHORT = (1000, 2000, 4000, 8000)
LONG = (1000, 6000, 12000, 15000, 22000, 30000)


def init_seed(folder: str, base: int, out_log: Path) -> int:
    if folder == "depth":
        return base  # depth/*.py take the seed from argv
    first = out_log.read_text().splitlines()[0].split()
    assert first[0] == "INIT_SEED"
    return int(first[1])


def main(runs: str, mode: str = "f32") -> None:
    for (folder, script), (dataset, model, pattern) in SCRIPTS.items():
        seeds, table = [], {}
        cps = LONG if folder == "depth" else SHORT
        for base in range(10):
            d = Path(runs) / f"{folder}-{script}-{base}-{mode}"
            f = d / "losses" / pattern.format(base=base)
            if not f.exists():
                continue
            loss = np.loadtxt(f)
            seeds.append(init_seed(folder, base, d / "out.log"))
            for k in cps:
                table.setdefault(k, []).append(float(loss[k - 1]))
        if not seeds:
            continue
        print(f'    AuthorsRun(\n        "{folder}/{script}.py",\n        "{dataset}",')
        print(f'        "{model}",\n        {tuple(seeds)},\n        {{')
        for k, v in table.items():
            print(f"            {k}: {tuple(v)},")
        print("        },")
        x64 = Path(runs) / f"{folder}-{script}-0-x64" / "losses" / pattern.format(base=0)
        if x64.exists():
            first = np.loadtxt(x64)
            print("        {" + ", ".join(f"{k}: {float(first[k - 1])!r}" for k in cps) + "},")
        print("    ),")


if __name__ == "__main__":
    main(sys.argv[1], *(sys.argv[2:] or []))
