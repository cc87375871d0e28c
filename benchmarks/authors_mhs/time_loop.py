"""Time the training loop of one of the authors' scripts, their code run unchanged (authors' venv).

Usage: python time_loop.py SEED_BASE SCRIPT LOSSES_OUT.npy (from the script's folder, in the
scratch venv with jax). For 3_context_diff/relu.py, gdln.py, gdln_single.py.

Nothing of their file is edited: its source is parsed (``ast``) and its statements executed
in one namespace, as ``python SCRIPT`` would, in three timed stages:

1. ``import``: the script's top-level imports (jax, matplotlib, ...), then numpy's global
   state seeded as run_seeded.py does (so the init draw equals the as-shipped run's);
2. ``setup``: the rest of the module and of its ``if __name__ == "__main__":`` block up to
   the ``for epoch in range(num_epochs):`` loop (data, hyper-parameters, init);
3. the loop itself, restricted to its first two statements — their training step
   ``params = update_*(params, (X, Y))`` and ``losses[epoch] = statistics_*(params, (X, Y))``
   — with the per-epoch bookkeeping that follows (MDS snapshots, prints, plots, gdln.py's
   seven SVDs) left out: ``first epoch`` (JAX traces and compiles both jitted functions
   there) and ``steady`` (the remaining num_epochs - 1 epochs, compiled code only).

Prints one line ``LOOP_TIMES {json}``: CPU seconds of the process (all threads,
``time.process_time``) and wall seconds of each stage, the epochs and the JAX dtype; saves
the losses (float64 copy of what their loop stored) to LOSSES_OUT.npy, which the caller
compares with the as-shipped run's losses file (same seed base: the same loop must give the
same numbers).
"""

import ast
import importlib
import json
import os
import sys
import time

import numpy as np

MAIN_TEST = "__name__ == '__main__'"


def _stamp():
    return time.process_time(), time.perf_counter()


def _since(t):
    c, w = _stamp()
    return {"cpu": c - t[0], "wall": w - t[1]}


def split(tree: ast.Module):
    """(module statements, main-block statements before the loop, the loop) of a script."""
    body, main = [], None
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == MAIN_TEST:  # unparse writes '...'
            main = node
        else:
            body.append(node)
    if main is None:
        raise SystemExit("time_loop.py: no `if __name__ == '__main__':` block")
    for i, node in enumerate(main.body):
        if isinstance(node, ast.For) and ast.unparse(node.iter) == "range(num_epochs)":
            return body, main.body[:i], node
    raise SystemExit("time_loop.py: no `for epoch in range(num_epochs):` loop")


def training_step_loop(loop: ast.For, start: str, stop: str) -> ast.Module:
    """Their loop over range(start, stop) with only its first two statements (update, loss)."""
    step = loop.body[:2]
    targets = [ast.unparse(s.targets[0]) for s in step if isinstance(s, ast.Assign)]
    if len(targets) != 2 or not targets[1].startswith("losses["):
        raise SystemExit(f"time_loop.py: the loop does not start with update and loss: {targets}")
    iter_ = ast.parse(f"range({start}, {stop})", mode="eval").body
    new = ast.For(target=loop.target, iter=iter_, body=step, orelse=[])
    return ast.fix_missing_locations(ast.Module(body=[new], type_ignores=[]))


def main(base: int, script: str, out: str) -> None:
    t = _stamp()
    with open(script, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                importlib.import_module(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            importlib.import_module(node.module)
    print("INIT_SEED", np.random.RandomState(base).randint(0, 100000), flush=True)
    np.random.seed(base)  # noqa: NPY002 (their scripts read numpy's global state)
    times = {"import": _since(t)}

    t = _stamp()
    module, setup, loop = split(tree)
    ns = {"__name__": "__main__", "__file__": os.path.abspath(script)}
    exec(compile(ast.Module(body=module + setup, type_ignores=[]), script, "exec"), ns)
    times["setup"] = _since(t)

    epochs = int(ns["num_epochs"])
    for stage, (a, b) in (("first epoch", ("0", "1")), ("steady", ("1", "num_epochs"))):
        code = compile(training_step_loop(loop, a, b), script, "exec")
        t = _stamp()
        exec(code, ns)
        times[stage] = _since(t)
    np.save(out, np.asarray(ns["losses"], dtype=np.float64))
    import jax.numpy as jnp

    info = {"script": script, "epochs": epochs, "dtype": str(jnp.zeros(1).dtype), "times": times}
    print("LOOP_TIMES", json.dumps(info), flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit("usage: python time_loop.py SEED_BASE SCRIPT LOSSES_OUT.npy")
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
