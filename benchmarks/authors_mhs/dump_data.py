"""Write the authors' Make Haste Slowly data arrays to one .npz (run OUTSIDE the toolkit).

Usage (in a scratch venv with numpy, next to an unpacked make-haste-slowly b7d6e41 tree):

    python dump_data.py SRC_DIR OUT.npz

SRC_DIR is the unpacked repository (it holds 3_context_diff/, diff_context_num/, depth/).
Imports their gen_data.py files unchanged and saves the X, Y of every generator their
scripts call. The toolkit never imports their code; tests compare against this file.
"""

import hashlib
import importlib.util
import sys

import numpy as np


def load(src: str, folder: str):
    spec = importlib.util.spec_from_file_location(f"gd_{folder}", f"{src}/{folder}/gen_data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(src: str, out: str) -> None:
    a, b, c = (load(src, f) for f in ("3_context_diff", "diff_context_num", "depth"))
    arrays = {
        "3_context_diff-gen_data3-diff": a.gen_data3(8, diff_struct=True),
        "3_context_diff-gen_data3-same": a.gen_data3(8, diff_struct=False),
        "3_context_diff-gen_data4": a.gen_data4(8),
        "3_context_diff-gen_data5": a.gen_data5(8),
        "diff_context_num-gen_data3-same": b.gen_data3(8, diff_struct=False),
        "diff_context_num-gen_data4": b.gen_data4(8),
        "diff_context_num-gen_data5": b.gen_data5(8),
        "depth-gen_data3": c.gen_data3(8),
    }
    flat = {}
    for name, (X, Y) in arrays.items():
        flat[f"{name}-X"], flat[f"{name}-Y"] = X, Y
        digest = hashlib.sha256(np.ascontiguousarray(Y).tobytes()).hexdigest()[:16]
        print(name, X.shape, Y.shape, "sha256(Y)", digest)
    np.savez_compressed(out, **flat)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
