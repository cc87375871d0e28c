"""A toy theory family for front-door tests: y = 2x, "measured" as x + x (+ an injected bias)."""

from mtl_theory.theory.model import (
    CheckResult,
    Comparison,
    Derivation,
    HypothesisCheck,
    Statement,
    Verification,
)
from sweep_toy import ToyCost, toy_point

from mtl_theory.plotting import grid_values, heatmap
from mtl_theory.registry import Family, PhaseDiagram, Registry, SuiteCase
from mtl_theory.spec import Real, Schema

STATEMENT = Statement("TOY-1", "doubling", "y = 2x for x > 0", "derived", "tests")


def check(setup, options):
    x, bias = setup["x"], setup["bias"]
    hyp = (HypothesisCheck("x-positive", x > 0, f"x = {x}"),)
    verification = None
    if options.verify:
        measured = x + x + bias
        verification = Verification(
            "addition",
            {"y": measured},
            (
                Comparison.numeric(
                    "TOY-1", "y", 2 * x, measured, 1e-12, "exact arithmetic", route="independent"
                ),
            ),
        )
    return CheckResult("toy", STATEMENT, hyp, {"y": 2 * x}, verification, setup=dict(setup))


def derive_doubling():
    """x + x = 2x."""
    return Derivation("TOY-D", "x + x = 2x", "derived", "proved", "arithmetic", "trivial")


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
        build=dict,
        check=check,
        statements=(STATEMENT,),
        derivations=(derive_doubling,),
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
