"""A toy theory family: y = 2x, "measured" as x + x (+ an injected bias).

It is the worked example of the README's "Adding a theory": each part of the
contract a theory satisfies, in the smallest form that still exercises the front door —
a frozen setup valid by construction, hypotheses as named predicates, predictions, a
verification whose comparison could fail, a derivation, a suite case and a phase diagram.
"""

import dataclasses
import math
from dataclasses import dataclass

from mtl_theory.theory.model import (
    CheckResult,
    Comparison,
    Derivation,
    HypothesisCheck,
    SetupError,
    Statement,
    Verification,
)
from sweep_toy import ToyCost, toy_point

from mtl_theory.plotting import grid_values, heatmap
from mtl_theory.registry import Family, PhaseDiagram, Registry, SuiteCase
from mtl_theory.spec import Real, Schema, converts_setup_errors

# --- theory/: statements, the setup and its invariants, hypotheses, predictions

STATEMENT = Statement("TOY-1", "doubling", "y = 2x for x > 0", "derived", "tests")


@dataclass(frozen=True)
class ToySetup:
    """x and an injected measurement bias (to plant a wrong measurement in tests)."""

    x: float
    bias: float = 0.0

    def __post_init__(self) -> None:
        # an invariant: what makes the computation defined (not a hypothesis, which may fail)
        if not math.isfinite(self.x):
            raise SetupError("x", "a finite number", self.x)


def x_positive(setup: ToySetup) -> HypothesisCheck:
    """TOY-1's hypothesis, with a reason a reader can check by hand."""
    return HypothesisCheck("x-positive", setup.x > 0, f"x = {setup.x}")


def predictions(setup: ToySetup) -> dict:
    return {"y": 2 * setup.x}


# --- proofs/: check = hypotheses + predictions (+ the verification with options.verify)


def check(setup, options):
    verification = None
    if options.verify:
        # numerics/ would measure y without the closed form: here x + x, an independent route
        measured = setup.x + setup.x + setup.bias
        verification = Verification(
            "addition",
            {"y": measured},
            (
                Comparison.numeric(
                    "TOY-1",
                    "y",
                    predictions(setup)["y"],
                    measured,
                    1e-12,
                    "exact arithmetic",
                    route="independent",
                ),
            ),
        )
    return CheckResult(
        "toy",
        STATEMENT,
        (x_positive(setup),),
        predictions(setup),
        verification,
        setup=dataclasses.asdict(setup),
    )


def derive_doubling():
    """x + x = 2x."""
    return Derivation("TOY-D", "x + x = 2x", "derived", "proved", "arithmetic", "trivial")


# --- the front door: schema, build (the spec layer only converts the setup's errors), family


@converts_setup_errors
def build(spec):
    return ToySetup(x=spec["x"], bias=spec["bias"])


def render(records, fig):
    ax = fig.add_subplot()
    xs, ys, z = grid_values(records, "x", "y", "value")
    heatmap(ax, xs, ys, z, xlabel="x", ylabel="y", colorbar_label="value")
    ax.plot(xs, xs, "w--", label="predicted boundary")


def make_registry(bias=0.0):
    family = Family(
        name="toy",
        title="toy doubling theory",
        schema=Schema("toy", {"x": Real(), "bias": Real(default=0.0)}),
        build=build,
        check=check,
        statements=(STATEMENT,),
        derivations=(derive_doubling,),
        setup_type=ToySetup,
        suite=(SuiteCase("double-one", {"x": 1.0, "bias": bias}),),
        diagrams=(
            PhaseDiagram(
                "toy-map",
                "toy",
                "toy map",
                "x times ten plus y",
                lambda: [
                    {"y": y, "x": x} for x in range(3) for y in range(2)
                ],  # unsorted keys on purpose
                toy_point,
                render,
                cost=ToyCost(),
                paper_points=lambda: [
                    {"y": y, "x": x, "work": 2} for x in range(2) for y in range(2)
                ],
            ),
        ),
    )
    return Registry({"toy": family}, missing=("gdln",))
