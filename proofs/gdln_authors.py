"""Points and compute of the two phase diagrams of Make Haste Slowly as the authors measure
it (issue 9, part 4): ``gdln-authors-contexts`` and ``gdln-authors-depth``.

Each is a grid of (network setting, seed) points at the authors' sizes and schedules, with the
authors' saved numbers (theory.gdln_authors, `code`) beside ours at the same epochs. Here, in
the proofs layer because they run the numerical routes: the seed bases, the strong-unit
threshold of the toolkit's own metrics (labelled ours), the readers of a loss at the authors'
checkpoints, and each diagram's constants, points and compute. Their renders, per-point costs
and ``DIAGRAM`` are in :mod:`mtl_theory.families.gdln_authors_contexts` and
:mod:`mtl_theory.families.gdln_authors_depth`.

The sweep engine's derived point seed is not used: a point's init is the authors' init of its
seed base (numerics.gdln.authors_init_seed; the depth scripts take b itself from argv), so the
points are theirs, whatever the base seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from mtl_theory.numerics import gdln as num
from mtl_theory.numerics.precision import DEFAULT_DTYPE
from mtl_theory.theory import gdln as th
from mtl_theory.theory import gdln_authors as ga

#: The authors' seed bases: their script run after ``np.random.seed(b)`` (theory.gdln_authors).
SEED_BASES = (0, 1, 2, 3, 4)

#: Strong unit: output contribution >= this fraction of the largest (ours, as gdln-context-losses).
STRONG_FRACTION = 0.1


def code_at(run: ga.AuthorsRun | None, init: int, checkpoints: Sequence[int]) -> list | None:
    """The authors' loss of their run from init seed ``init`` at the checkpoints, or None
    without a script."""
    if run is None:
        return None
    j = run.init_seeds.index(init)
    return [float(run.losses[k][j]) for k in checkpoints]


def ours_at(curve: np.ndarray, checkpoints: Sequence[int]) -> list:
    """Our loss after k updates (None beyond the run, e.g. at a reduced size)."""
    return [float(curve[k]) if k < curve.size else None for k in checkpoints]


# --------------------------------------------------------------------------- contexts

#: One-hidden-layer datasets, in panel order: (contexts, structures) -> AUTHORS_DATASETS key.
CONTEXT_DATASETS: Mapping[tuple[int, str], str] = {
    (3, "different"): "gen_data3-diff",
    (3, "same"): "gen_data3-same",
    (4, "same"): "diff_context_num-gen_data4",
    (5, "same"): "diff_context_num-gen_data5",
}

#: Updates of the one-hidden-layer runs: their 8001-epoch loop records the loss after 1 … 8001
#: updates; their saved checkpoints go up to 8000 (theory.gdln_authors).
CONTEXT_UPDATES = 8000

#: Loss curves are stored every this many updates (the CSV stays small).
CONTEXT_CURVE_STEP = 50


def _context_scripts(dataset: str) -> dict[str, str]:
    """Script names per curve for a dataset: the authors' ones, or ``ours`` where none."""
    runs = {r.model: r.source for r in ga.AUTHORS_RUNS if r.dataset == dataset}
    cf = next(c.source for c in th.AUTHORS_CLOSED_FORMS if c.dataset == dataset)
    return {
        "relu": runs["relu"],
        "reln": runs["reln"],
        "modular": runs.get("modular", "ours (no script of theirs)"),
        "closed_form": cf,
    }


def contexts_points() -> list[dict[str, Any]]:
    """The ``gdln-authors-contexts`` grid: each dataset of CONTEXT_DATASETS (panel order) at
    each seed base of SEED_BASES."""
    return [
        {"contexts": c, "structures": s, "seed_base": b}
        for (c, s) in CONTEXT_DATASETS
        for b in SEED_BASES
    ]


def contexts_compute(
    params: Mapping[str, Any], seed: int, dtype: str = DEFAULT_DTYPE
) -> dict[str, Any]:
    """ReLU, ReLN, modular GDLN and closed form of one dataset at one of the authors' inits.

    ``params["updates"]`` (optional, default CONTEXT_UPDATES) is a size knob for tests; the
    authors' numbers are reported at their checkpoints whatever it is, ours only up to it.
    ``dtype``: the networks' training arithmetic ("float32" is the authors' own, JAX's
    default); the closed form is float64 always.
    """
    C, structures, b = int(params["contexts"]), str(params["structures"]), int(params["seed_base"])
    updates = int(params.get("updates", CONTEXT_UPDATES))
    key = CONTEXT_DATASETS[(C, structures)]
    task = th.AUTHORS_DATASETS[key].task()
    hidden, std = ga.AUTHORS_RELU_SIZE[key]
    init = [num.authors_init_seed(b)]
    sizes = [task.X.shape[0], hidden, task.Y.shape[0]]
    W0 = num.init_context_weights(sizes, std, init)
    relu = num.train_context_net(task, W0, 1e-3, updates, dtype=dtype)
    curves = {"relu": relu.losses[0]}
    nets = [
        num.module_pathway_network(task, th.authors_module_net(C, construction, hidden, std), init)
        for construction in ("authors", "modular")
    ]
    # one common pathway for both when they share it (num.train_pathway_networks)
    reln, modular = num.train_pathway_networks(task, nets, 1e-3, updates, dtype)
    curves["reln"], curves["modular"] = reln.losses[0], modular.losses[0]
    t = np.arange(0, updates + 1, CONTEXT_CURVE_STEP)
    runs = {r.model: r for r in ga.AUTHORS_RUNS if r.dataset == key}
    cf_ref = th.authors_closed_form_for(task)
    checkpoints = sorted(runs["relu"].losses)
    # the closed form at time e = epoch e (their saved index), on a sparse grid: the full
    # 8001-epoch prediction array would be ~0.1 GB per call
    cf_epochs = np.union1d(t, [k for k in checkpoints if k <= updates]).astype(int)
    cf_loss = np.full(updates + 1, np.nan)
    cf_loss[cf_epochs] = th.authors_closed_form_loss(task, cf_epochs, cf_ref)
    curves["closed_form"] = cf_loss
    _, _, counts = num.relu_unit_counts(task, relu, STRONG_FRACTION)
    out: dict[str, Any] = {
        "dataset": key,
        "init_seed": init[0],
        "hidden": hidden,
        "updates": updates,
        "checkpoints": checkpoints,
    }
    for name, curve in curves.items():
        out[f"{name}_at"] = ours_at(curve, checkpoints)
    out["code_relu"] = code_at(runs["relu"], init[0], checkpoints)
    out["code_reln"] = code_at(runs["reln"], init[0], checkpoints)
    out["code_modular"] = code_at(runs.get("modular"), init[0], checkpoints)
    out["code_closed_form"] = [float(cf_ref.saved[k]) for k in checkpoints]
    out["scripts"] = _context_scripts(key)
    # ours (the toolkit's own metrics; the authors' code counts no units)
    out["ours_unit_counts"] = counts[0].tolist()
    out["ours_single_context_units"] = int(counts[0, 1])
    out["ours_gap_modular_minus_reln"] = float(curves["modular"][-1] - curves["reln"][-1])
    out["t"] = t.tolist()
    for name, curve in curves.items():
        out[f"{name}_curve"] = curve[t].tolist()
    return out


# --------------------------------------------------------------------------- depth

#: Updates of the depth runs (their 30001-epoch loop; checkpoints up to 30000).
DEPTH_UPDATES = 30000

#: Loss curves are stored every this many updates (the CSV stays small).
DEPTH_CURVE_STEP = 100

#: The depth networks of the depth diagram: the authors' two scripts and our modular variant
#: of gdln_off.py (the same init draws and schedule; the three output modules gated on single
#: contexts instead of pairs of contexts: ours, `reconstructed`).
DEPTH_NETWORKS = ("relu", "gdln", "modular")

#: Seed bases of the depth diagram: all five of the authors' inits (a depth point costs
#: 1–10 min at 30000 updates on the shared 2-core machine; the authors' five runs are also in
#: theory.gdln_authors and in benchmarks/gdln_side_by_side.py --only depth).
DEPTH_SEED_BASES = SEED_BASES
DEPTH_MODULAR = dataclasses.replace(
    th.DepthNet(),
    source="ours: depth/gdln_off.py with single-context output modules",
    context_sets=((0,), (1,), (2,)),
)


def depth_points() -> list[dict[str, Any]]:
    """The ``gdln-authors-depth`` grid: each network of DEPTH_NETWORKS at each seed base of
    DEPTH_SEED_BASES."""
    # seed-major: a sweep cut short still has every network at its first seeds
    return [{"network": n, "seed_base": b} for b in DEPTH_SEED_BASES for n in DEPTH_NETWORKS]


def depth_compute(
    params: Mapping[str, Any], seed: int, dtype: str = DEFAULT_DTYPE
) -> dict[str, Any]:
    """One depth network (depth/relu.py, depth/gdln_off.py or our modular variant) trained at
    the authors' schedule from the init of one seed base.

    ``params["updates"]`` (optional, default DEPTH_UPDATES) is a size knob for tests.
    ``dtype``: the training arithmetic.
    """
    network, b = str(params["network"]), int(params["seed_base"])
    if network not in DEPTH_NETWORKS:
        raise ValueError(f"network must be one of {DEPTH_NETWORKS}, got {network!r}")
    updates = int(params.get("updates", DEPTH_UPDATES))
    task = th.AUTHORS_DATASETS["gen_data3-same"].task()
    refs = ga.depth_runs()
    # depth/relu.py and gdln_off.py take their seed from argv: init seed = seed base
    init = [refs["depth-gdln"].init_seeds[b]]
    n_in, n_out = task.X.shape[0], task.Y.shape[0]
    out: dict[str, Any] = {"init_seed": init[0], "updates": updates}
    if network == "relu":
        cfg = th.AUTHORS_DEPTH_RELU
        W = num.init_context_weights([n_in, *cfg["hidden"], n_out], cfg["std"], init)
        run = num.train_context_net(task, W, cfg["lr"], updates, dtype=dtype)
        ref, script = refs["depth-relu"], refs["depth-relu"].source
        _, keeps, counts = num.relu_unit_counts(task, run, STRONG_FRACTION)
        per_layer = []
        for layer, H in enumerate(run.hidden):
            act = num.unit_context_sets(H, task.context_of, task.n_contexts)
            c = num.count_by_active_contexts(act, keeps[layer], task.n_contexts)
            per_layer.append(c[0].tolist())
        out["ours_unit_counts"] = counts[0].tolist()
        out["ours_unit_counts_per_layer"] = per_layer
    else:
        net = th.DepthNet() if network == "gdln" else DEPTH_MODULAR
        W = num.init_depth_net(net, n_in, n_out, init)
        run = num.train_depth_net(task, net, W, updates, dtype)
        ref = refs["depth-gdln"] if network == "gdln" else None
        script = net.source
        out["start_epoch"], out["switch_epoch"] = net.start_epoch, net.switch_epoch
    curve = run.losses[0]
    checkpoints = sorted(refs["depth-gdln"].losses)
    out["script"] = script
    out["checkpoints"] = checkpoints
    out["loss_at"] = ours_at(curve, checkpoints)
    out["code_loss"] = code_at(ref, init[0], checkpoints)
    t = np.arange(0, updates + 1, DEPTH_CURVE_STEP)
    out["t"] = t.tolist()
    out["curve"] = curve[t].tolist()
    out["final_loss"] = float(curve[-1])
    return out
