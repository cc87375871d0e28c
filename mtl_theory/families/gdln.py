"""The GDLN family: gated deep linear networks and Make Haste Slowly (thin glue)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mtl_theory.families.gdln_authors_contexts import DIAGRAM as AUTHORS_CONTEXTS_DIAGRAM
from mtl_theory.families.gdln_authors_depth import DIAGRAM as AUTHORS_DEPTH_DIAGRAM
from mtl_theory.families.gdln_context_losses import DIAGRAM as CONTEXT_LOSSES_DIAGRAM
from mtl_theory.families.gdln_contexts_depth import DIAGRAM as CONTEXTS_DEPTH_DIAGRAM
from mtl_theory.families.gdln_saxe import DIAGRAM as SAXE_DIAGRAM
from mtl_theory.proofs import gdln as proofs
from mtl_theory.registry import Family, SuiteCase
from mtl_theory.spec import (
    Choice,
    DataMatrix,
    Integer,
    IntegerList,
    Real,
    RealList,
    RealMatrix,
    Schema,
    SpecError,
    converts_setup_errors,
)
from mtl_theory.theory import gdln as th
from mtl_theory.theory import gdln_reln

MODELS = ("linear", "deep-linear", "gated", "routing", "context")

SCHEMA = Schema(
    family="gdln",
    fields={
        "model": Choice(
            options=MODELS, help="which theorem: linear, deep, gated race, routing, context"
        ),
        "contexts": Integer(
            default=3, minimum=1, maximum=8, help="context model: number of contexts C"
        ),
        "structures": Choice(
            default="different",
            options=("different", "same"),
            help="context: a different Saxe-2019 structure per context, or the same hierarchy",
        ),
        "hidden": IntegerList(
            default=None,
            minimum=1,
            maximum=4096,
            min_length=1,
            max_length=4,
            help="hidden widths (context: [700] or [420, 420] as in the paper)",
        ),
        "lr": Real(
            default=1e-3,
            minimum=0.0,
            exclusive_minimum=True,
            help="learning rate eta of full-batch GD",
        ),
        "epochs": Integer(default=8000, minimum=1, maximum=200000, help="full-batch GD epochs"),
        "items": Integer(
            default=None,
            minimum=1,
            maximum=64,
            help="items of the hierarchy (power of 2; default 8; with inputs/targets, their "
            "number of rows)",
        ),
        "a0": Real(
            default=1e-3,
            minimum=0.0,
            exclusive_minimum=True,
            help="initial mode strength, below the model's smallest fixed point (linear, "
            "deep-linear: min s/d; gated: min S_pk/sum_j D_jp; routing: (min sigma)^(1/3)); "
            "unused by the context model",
        ),
        "input_variances": RealList(default=None, minimum=1e-12, help="linear: d_k per mode"),
        "n_seeds": Integer(
            default=1, minimum=1, maximum=32, help="context: seeds batched in one run"
        ),
        "init_std": Real(
            default=None,
            minimum=0.0,
            exclusive_minimum=True,
            help="context: weight init sd (default 0.005/N_h, the authors' code)",
        ),
        "strong_fraction": Real(
            default=0.1,
            minimum=0.0,
            maximum=1.0,
            exclusive_minimum=True,
            help="context: strong unit = output contribution >= this fraction of the largest",
        ),
        "reln": Choice(
            default="authors",
            options=th.RELN_CONSTRUCTIONS,
            help="context: ReLN construction; authors = the authors' script for that C "
            "(C = 3: common + single- + two-context modules, gdln.py; C = 4, 5: common + "
            "(C-1)-context modules, gdln4/5.py), authors-mixed = common + (C-1)-context "
            "modules, authors-all = common + single + (C-1)-context modules (split loss), "
            "relu-gates = gates read off the trained ReLU (this project's alternative)",
        ),
        "context_scale": Real(
            default=1.0,
            minimum=0.0,
            maximum=100.0,
            exclusive_minimum=True,
            help="context: value of the context one-hot inputs (authors: 1; "
            "diff_context_num's gen_data4 / gen_data5: 1.1 / 1.35)",
        ),
        "modules": Integer(default=3, minimum=2, maximum=8, help="routing: M"),
        "pairs": Integer(
            default=2, minimum=1, maximum=8, help="routing: K trained pairs per input"
        ),
        "race_gates": RealMatrix(default=None, help="gated: gates[path][condition] in {0, 1}"),
        "condition_scales": RealList(
            default=None, minimum=0.0, help="gated: target scale per condition"
        ),
        "inputs": DataMatrix(
            default=None,
            help="linear, deep-linear: your task's inputs instead of the one-hot hierarchy, one "
            "row per item (P rows × input units); a table, or a .npy/.csv file named relative "
            "to the spec file; with targets",
        ),
        "targets": DataMatrix(
            default=None,
            help="linear, deep-linear: your task's targets, one row per item (P rows × output "
            "units); a table or a .npy/.csv file; with inputs",
        ),
    },
)

_DEFAULT_HIDDEN = {
    "linear": (8,),
    "deep-linear": (8, 8),
    "gated": (8,),
    "routing": (8,),
    "context": (700,),
}


@converts_setup_errors
def build(spec: Mapping[str, Any]) -> th.GdlnSetup:
    """The model's setup from a validated spec.

    The setup types check their own invariants (a SetupError naming the key, converted by
    the spec layer); here only what is about the spec itself: defaults that depend on the
    model, the data tables' pairing (with the transpose hint) and the gate table's form.
    """
    model = spec["model"]
    user_data = _user_data(spec)
    if spec["input_variances"] is not None and model != "linear":
        raise SpecError(
            "input_variances", "only with model = 'linear'", list(spec["input_variances"])
        )
    hidden = tuple(spec["hidden"] or _DEFAULT_HIDDEN[model])
    common = {"items": spec["items"] or 8, "hidden": hidden, "lr": spec["lr"]}
    common["epochs"] = spec["epochs"]
    if model in ("linear", "deep-linear"):
        fields = common | {"a0": spec["a0"]}
        if user_data:
            fields |= {"inputs": spec["inputs"], "targets": spec["targets"]}
        if spec["input_variances"] is not None:
            fields["input_variances"] = tuple(spec["input_variances"])
        return th.gdln_setup(model, **fields)
    if model == "gated":
        gates = spec["race_gates"] or ((1, 1), (1, 0))
        if any(g not in (0.0, 1.0) for row in gates for g in row):
            raise SpecError(
                "race_gates", "a table of 0/1 gates (paths × conditions)", [list(r) for r in gates]
            )
        gates = tuple(tuple(int(g) for g in row) for row in gates)
        scales = spec["condition_scales"] or (1.0,) * len(gates[0])
        return th.GatedSetup(
            **common, a0=spec["a0"], race_gates=gates, condition_scales=tuple(scales)
        )
    if model == "routing":
        return th.RoutingNetworkSetup(
            **common, a0=spec["a0"], modules=spec["modules"], pairs=spec["pairs"]
        )
    std = spec["init_std"]
    if std is None:
        # authors' code: 0.005/N_h for one hidden layer, 0.0006 for the depth experiment
        std = 0.005 / hidden[0] if len(hidden) == 1 else 0.0006
    return th.ContextSetup(
        **common,
        contexts=spec["contexts"],
        structures=spec["structures"],
        n_seeds=spec["n_seeds"],
        init_std=std,
        strong_fraction=spec["strong_fraction"],
        reln=spec["reln"],
        context_scale=spec["context_scale"],
    )


def _user_data(spec: Mapping[str, Any]) -> bool:
    """Cross-key checks of ``inputs`` / ``targets``; whether they are given.

    Both tables hold one row per item, so their row counts must agree; when a transpose would
    make them agree the error says so (the commonest slip with data matrices).
    """
    inputs, targets = spec["inputs"], spec["targets"]
    if inputs is None and targets is None:
        return False
    for key, other, value in (("inputs", "targets", inputs), ("targets", "inputs", targets)):
        if value is None:
            raise SpecError(
                key, f"a table as well, since {other} is given", "nothing", verbatim=True
            )
    if spec["model"] not in ("linear", "deep-linear"):
        raise SpecError("inputs", "only with model = 'linear' or 'deep-linear'", spec["model"])
    for key in ("items", "input_variances"):
        if spec[key] is not None:
            raise SpecError(key, "nothing with inputs/targets (they define the task)", spec[key])
    P, n_out = len(targets), len(targets[0])
    n_in_rows, n_in_cols = len(inputs), len(inputs[0])
    if n_in_rows != P:
        hint = ""
        if n_in_cols == P:
            hint = "; transposed, inputs would fit"
        elif n_out == n_in_rows:
            hint = "; transposed, targets would fit"
        raise SpecError(
            "targets",
            f"{n_in_rows} rows, one per item as in inputs",
            f"{P} rows × {n_out} columns{hint}",
            verbatim=True,
        )
    return True


# expect_applies: every hypothesis of the case's theorem holds (verify fails otherwise)
SUITE = (
    SuiteCase(
        "gdln-linear-hierarchy",
        {"model": "linear", "epochs": 4000},
        quick=True,
        expect_applies=True,
    ),
    SuiteCase(
        "gdln-linear-nonwhite",
        {"model": "linear", "epochs": 3000, "input_variances": [1, 2, 0.5, 1, 1.5, 1, 3, 1]},
        quick=False,
        expect_applies=True,
    ),
    SuiteCase(
        "gdln-deep-linear",
        {"model": "deep-linear", "hidden": [8, 8], "epochs": 3000, "a0": 0.01},
        quick=True,
        expect_applies=True,
    ),
    SuiteCase(
        "gdln-gated-race",
        {"model": "gated", "epochs": 3000},
        quick=True,
        expect_applies=True,
    ),
    SuiteCase(
        "gdln-routing",
        {"model": "routing", "epochs": 3000, "lr": 2e-3, "a0": 0.1},
        quick=True,
        expect_applies=True,
    ),
    SuiteCase(
        "gdln-context-3-different",
        {"model": "context", "contexts": 3, "structures": "different", "epochs": 8000},
        quick=True,
        expect_applies=True,
        expect_verified=False,
        unverified_reason="one draw (n_seeds = 1): GDLN-8/9's orderings ReLN ≤ modular are "
        "undecided (decided on the seed mean of paired differences, proofs.gdln.SeedOrdering; "
        "one draw measures no seed spread); every other comparison must still agree. With 8 "
        "seeds the quick network shows 2 single-context strong units (the pinned finding's "
        "class), so more seeds would not verify it either",
        cost_seconds=7.0,
        # at paper size this setup (3 contexts, different structures, 700 units, 8000 epochs,
        # init seed 68268) is the first of the next case's five draws: 6-8 s of the full
        # suite spent on a draw it already runs
        full=False,
        quick_only_reason="at full size its one draw (init seed 68268) is the first of the five "
        "that gdln-context-3-authors-five-inits runs on the same setup",
    ),
    SuiteCase(
        "gdln-context-3-authors-five-inits",
        {
            "model": "context",
            "contexts": 3,
            "structures": "different",
            "hidden": [700],
            "epochs": 8000,
            "n_seeds": 5,
        },
        quick=False,
        expect_applies=True,
        pinned_finding=("strong units active in exactly one context",),
        finding_reason="pooled over the authors' own five inits (their seeds 68268, 98539, "
        "89256, 71530, 83066) the paper-size ReLU has 7 strong single-context units of 1368 "
        "(under every strength rule tried: 0.05, 0.1, 0.3, 0.5), so the strict 'no "
        "single-context unit' reading of the structured-mixed-selectivity claim is false; such "
        "units are rare (0.5 %)",
        cost_seconds=25.0,  # measured idle: 25.2 s CPU (verify --workers 2, 2026-12-03, 18:00)
    ),
    SuiteCase(
        "gdln-context-5-same",
        # 4 seeds: GDLN-8/9's orderings are decided on the seed mean (proofs.gdln.SeedOrdering;
        # one draw is undecided); q = t_3 = 12.9 resolves them here (mean |lag| difference
        # ≈ −0.5, loss ≈ −7); CPU 27 s against 7 s with one seed (gdln-seeds, load 9)
        {
            "model": "context",
            "contexts": 5,
            "structures": "same",
            "hidden": [300],
            "epochs": 8000,
            "n_seeds": 4,
        },
        quick=False,
        expect_applies=True,
        cost_seconds=21.0,  # measured idle: 20.9 s CPU (verify --workers 2, 2026-12-03, 18:00)
    ),
)


def _diagrams():
    return (
        SAXE_DIAGRAM,
        CONTEXT_LOSSES_DIAGRAM,
        CONTEXTS_DEPTH_DIAGRAM,
        AUTHORS_CONTEXTS_DIAGRAM,
        AUTHORS_DEPTH_DIAGRAM,
    )


FAMILY = Family(
    name="gdln",
    title="GDLN: deep linear and gated deep linear dynamics; ReLU ↔ ReLN on contextual tasks",
    schema=SCHEMA,
    build=build,
    setup_type=th.GdlnSetup,
    check=proofs.check,
    statements=th.STATEMENTS + gdln_reln.STATEMENTS,
    derivations=proofs.DERIVATIONS,
    suite=SUITE,
    diagrams=_diagrams(),
    methods=(),
)
