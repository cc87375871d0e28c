"""The result model shared by every theory: statements, hypotheses, comparisons, verdicts.

Every object is a frozen dataclass; :func:`to_jsonable` turns any of them (and numpy values
inside them) into plain JSON data, and the terminal, Markdown and JSON views of the command
line all render from these same objects.

Provenance labels (THEORY.md):

============== ==============================================================================
``paper``      stated in the paper's published text
``code``       read from the authors' published code
``reconstructed`` our precise statement of a claim the paper makes in words; proved or verified here
``derived``    a consequence we derived ourselves, beyond the paper
============== ==============================================================================
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Provenance = Literal["paper", "code", "reconstructed", "derived"]
PROVENANCE_LABELS: tuple[str, ...] = ("paper", "code", "reconstructed", "derived")

DerivationStatus = Literal["proved", "refuted", "undecided"]


def _check_provenance(provenance: str, owner: str) -> None:
    if provenance not in PROVENANCE_LABELS:
        raise ValueError(
            f"{owner}: provenance must be one of {', '.join(PROVENANCE_LABELS)}, "
            f"given {provenance!r}"
        )


@dataclass(frozen=True)
class Statement:
    """A theorem, lemma, formula or claim, with where it comes from.

    Parameters
    ----------
    id : str
        Short identifier used everywhere (``"WTA-1"``, ``"EV-5"``).
    title : str
        A few words.
    text : str
        The precise statement, in words and formulas.
    provenance : {"paper", "code", "reconstructed", "derived"}
        What the statement rests on (see the module docstring).
    source : str
        Citation: paper and section/equation, or file of the authors' code.
    """

    id: str
    title: str
    text: str
    provenance: Provenance
    source: str = ""

    def __post_init__(self) -> None:
        _check_provenance(self.provenance, f"statement {self.id}")


@dataclass(frozen=True)
class HypothesisCheck:
    """One hypothesis of a theorem evaluated on one setup.

    ``detail`` is a reason a reader can check by hand, e.g. ``"rank 4 < dim A = 5"``.
    """

    id: str
    holds: bool
    detail: str


@dataclass(frozen=True)
class Comparison:
    """A prediction of a statement set against a measurement by an independent route.

    Build with :meth:`numeric`, :meth:`upper_bound` or :meth:`exact`; each records the
    tolerance and why it is the right one, and decides ``agrees`` itself so that no caller
    can report an agreement the numbers do not show.
    """

    statement: str
    quantity: str
    predicted: Any
    measured: Any
    agrees: bool
    tolerance: float | None = None
    tolerance_reason: str = ""
    error: float | None = None
    kind: Literal["abs", "rel", "upper-bound", "exact"] = "abs"

    @classmethod
    def numeric(
        cls,
        statement: str,
        quantity: str,
        predicted: Any,
        measured: Any,
        tolerance: float,
        reason: str,
        *,
        relative: bool = False,
    ) -> Comparison:
        """Max absolute (or relative) deviation between arrays, against ``tolerance``.

        Non-finite values never agree: a nan cannot hide a disagreement.
        """
        p = np.asarray(predicted, dtype=float)
        m = np.asarray(measured, dtype=float)
        if p.shape != m.shape:
            raise ValueError(
                f"{quantity}: predicted shape {p.shape} differs from measured shape {m.shape}"
            )
        if not (np.all(np.isfinite(p)) and np.all(np.isfinite(m))):
            err = math.inf
        else:
            diff = np.abs(p - m)
            if relative:
                diff = diff / np.maximum(np.abs(p), np.finfo(float).tiny)
            err = float(np.max(diff)) if diff.size else 0.0
        return cls(
            statement=statement,
            quantity=quantity,
            predicted=predicted,
            measured=measured,
            agrees=bool(err <= tolerance),
            tolerance=float(tolerance),
            tolerance_reason=reason,
            error=err,
            kind="rel" if relative else "abs",
        )

    @classmethod
    def upper_bound(
        cls,
        statement: str,
        quantity: str,
        bound: float,
        measured: float,
        tolerance: float,
        reason: str,
    ) -> Comparison:
        """``measured <= bound + tolerance`` (e.g. no estimator beats the Bayes optimum)."""
        excess = float(measured) - float(bound)
        ok = math.isfinite(excess) and excess <= tolerance
        return cls(
            statement=statement,
            quantity=quantity,
            predicted=bound,
            measured=measured,
            agrees=bool(ok),
            tolerance=float(tolerance),
            tolerance_reason=reason,
            error=excess,
            kind="upper-bound",
        )

    @classmethod
    def exact(
        cls, statement: str, quantity: str, predicted: Any, measured: Any, reason: str = ""
    ) -> Comparison:
        """Exact equality (counts, booleans, sets); the reason says why exactness is due."""
        same = to_jsonable(predicted) == to_jsonable(measured)
        return cls(
            statement=statement,
            quantity=quantity,
            predicted=predicted,
            measured=measured,
            agrees=bool(same),
            tolerance_reason=reason or "exact: discrete quantity",
            kind="exact",
        )


@dataclass(frozen=True)
class Verification:
    """The numerical route(s) run on one setup and how they compare with the theory.

    ``agrees`` is true exactly when every comparison agrees. ``measured`` holds the raw
    measurements under the contract's key names (DESIGN.md).
    """

    method: str
    measured: Mapping[str, Any]
    comparisons: tuple[Comparison, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def agrees(self) -> bool:
        return all(c.agrees for c in self.comparisons)


@dataclass(frozen=True)
class CheckResult:
    """Everything ``mtl-theory check`` reports about one task setup.

    ``applies`` is true when every hypothesis holds. ``contradiction`` is true when a
    verification disagrees with a prediction: that is a finding (exit status 1). A theorem
    that does not apply makes no prediction of its conclusion, so no comparison is made of
    it; comparisons of other statements whose own conditions hold (failure modes, bounds)
    may still be present and still bind.
    """

    theory: str
    statement: Statement
    hypotheses: tuple[HypothesisCheck, ...]
    predictions: Mapping[str, Any]
    verification: Verification | None = None
    setup: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    related: tuple[Statement, ...] = ()

    @property
    def applies(self) -> bool:
        return all(h.holds for h in self.hypotheses)

    @property
    def contradiction(self) -> bool:
        return self.verification is not None and not self.verification.agrees

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``mtl-theory check --json`` (contract keys of DESIGN.md)."""
        verification = None
        if self.verification is not None:
            v = self.verification
            verification = {
                "method": v.method,
                "agrees": v.agrees,
                "measured": to_jsonable(v.measured),
                "comparisons": [to_jsonable(c) for c in v.comparisons],
                "notes": list(v.notes),
            }
        return {
            "theory": self.theory,
            "theorem": self.statement.id,
            "statement": to_jsonable(self.statement),
            "applies": self.applies,
            "hypotheses": [to_jsonable(h) for h in self.hypotheses],
            "predictions": to_jsonable(self.predictions),
            "verification": verification,
            "setup": to_jsonable(self.setup),
            "notes": list(self.notes),
            "related": [to_jsonable(s) for s in self.related],
        }


@dataclass(frozen=True)
class Derivation:
    """A machine-checked step of a proof, with a three-valued verdict (sympy style).

    ``status`` is ``"proved"`` (the check establishes the statement), ``"refuted"`` (it
    exhibits a failure: a finding, exit status 1) or ``"undecided"`` (the symbolic route
    could not decide; the numerical verification is what stands).
    """

    id: str
    statement: str
    provenance: Provenance
    status: DerivationStatus
    method: str
    detail: str
    theory: str = ""

    def __post_init__(self) -> None:
        _check_provenance(self.provenance, f"derivation {self.id}")
        if self.status not in ("proved", "refuted", "undecided"):
            raise ValueError(f"derivation {self.id}: unknown status {self.status!r}")

    def to_json(self) -> dict[str, Any]:
        return to_jsonable(self)


def to_jsonable(value: Any) -> Any:
    """Convert dataclasses, numpy values, tuples and non-finite floats to JSON data.

    Non-finite floats become the strings ``"inf"``, ``"-inf"`` and ``"nan"``: JSON has no
    such numbers, and dropping them would hide a failure.

    Examples
    --------
    >>> to_jsonable({"a": np.float64(1.5), "b": (1, np.inf)})
    {'a': 1.5, 'b': [1, 'inf']}
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, Verification):
            out["agrees"] = value.agrees
        return out
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        x = float(value)
        if math.isfinite(x):
            return x
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(value, (str, type(None))):
        return value
    if isinstance(value, Sequence) or isinstance(value, (set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, complex):
        return {"re": to_jsonable(value.real), "im": to_jsonable(value.imag)}
    raise TypeError(f"cannot express {type(value).__name__} as JSON")
