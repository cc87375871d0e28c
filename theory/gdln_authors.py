"""Reference numbers measured by running the authors' Make Haste Slowly scripts (`code`).

CAandL-Lab/make-haste-slowly b7d6e41, each script run unchanged in JAX 0.10.2 (default
float32) with numpy's global generator seeded first (benchmarks/authors_mhs/run_seeded.py;
depth/ scripts take their seed from argv), one run per seed base b = 0 … 4. Their scripts
record the loss ½Σ‖y − ŷ‖² after the update of epoch e at index e, i.e. after e + 1 updates;
the tables below are keyed by the number of updates k (their index k − 1), the convention of
numerics.gdln.ContextRun. Produced by benchmarks/authors_mhs/collect_runs.py; NOTES-gdln.md
has the commands. diff_context_num/gdln5.py imports a module ``replot_debug`` that the
repository lacks; it was run with a one-line shim re-exporting ``replot.plot_outputs``, which
the script re-imports from ``replot`` on its next line anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mtl_theory.theory.gdln import AUTHORS_DATASETS, ContextTask


@dataclass(frozen=True)
class AuthorsRun:
    """One of the authors' training scripts run over several seeds (`code`).

    ``losses[k]``: the loss after k updates, one value per run, in the order of
    ``init_seeds`` (the seed their init drew: numerics.gdln.authors_init_seed(b)).
    """

    source: str
    dataset: str  # key of theory.gdln.AUTHORS_DATASETS
    model: str  # "relu" | "reln" | "modular" | "depth-relu" | "depth-gdln"
    init_seeds: tuple[int, ...]
    losses: Mapping[int, tuple[float, ...]]


#: ReLU width and init sd of the one-hidden-layer scripts, per dataset (`code`).
AUTHORS_RELU_SIZE: Mapping[str, tuple[int, float]] = {
    "gen_data3-diff": (700, 0.005 / 700),
    "gen_data3-same": (700, 0.005 / 700),
    "diff_context_num-gen_data4": (500, 0.005 / 500),
    "diff_context_num-gen_data5": (600, 0.005 / 600),
}

# fmt: off
AUTHORS_RUNS: tuple[AuthorsRun, ...] = (
)
# fmt: on


def runs_for(task: ContextTask, hidden, init_std: float, lr: float) -> dict[str, AuthorsRun]:
    """The authors' one-hidden-layer runs on exactly this setup, by model, or {}."""
    for key, size in AUTHORS_RELU_SIZE.items():
        ds = AUTHORS_DATASETS[key]
        same_task = (task.n_contexts, task.structures, task.context_scale, task.n_items) == (
            ds.n_contexts,
            ds.structures,
            ds.context_scale,
            8,
        )
        if same_task and tuple(hidden) == (size[0],) and init_std == size[1] and lr == 1e-3:
            return {
                r.model: r for r in AUTHORS_RUNS if r.dataset == key and not r.model[:5] == "depth"
            }
    return {}


def depth_runs() -> dict[str, AuthorsRun]:
    """The authors' depth/relu.py and depth/gdln_off.py runs, by model."""
    return {r.model: r for r in AUTHORS_RUNS if r.model.startswith("depth")}
