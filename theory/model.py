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

#: The four outcomes of a machine-checked derivation (issue 8). Only ``proved`` and
#: ``checked`` count as holding; ``undecided`` never does.
DerivationStatus = Literal["proved", "checked", "undecided", "refuted"]
DERIVATION_STATUSES: tuple[str, ...] = ("proved", "checked", "undecided", "refuted")
HOLDING_STATUSES: tuple[str, ...] = ("proved", "checked")

#: How the two sides of a comparison were obtained. ``independent``: two routes that share no
#: formula (closed form vs ODE integration, exhaustive search vs MILP, ideal observer vs trained
#: network), so a wrong theory would show. ``consistency``: both sides rest on the same formula
#: or the same computation, so agreement checks numerics or plumbing only and never counts as
#: verification.
Route = Literal["independent", "consistency"]
ROUTES: tuple[str, ...] = ("independent", "consistency")

#: One-sided normal quantile for the power of a Monte-Carlo comparison: a deviation of
#: (z + Z_POWER) standard errors from the prediction is rejected with probability >= 0.99.
Z_POWER = 2.3263478740408408


class SetupError(ValueError):
    """A setup that violates one of its theory's invariants (raised in ``__post_init__``).

    The message names the violated condition the way the command line reports a bad spec:
    ``key`` is the setup field (the spec key of the same name), ``expected`` what the
    invariant requires and ``given`` the value found. The spec layer converts it into its
    own one-line error with the file name; from Python it is an ordinary ``ValueError``.

    Examples
    --------
    >>> str(SetupError("contexts", "at least 2 for the context model", 1))
    'contexts: expected at least 2 for the context model, given 1'
    """

    def __init__(self, key: str, expected: str, given: Any) -> None:
        self.key = key
        self.expected = expected
        self.given = given
        shown = " ".join(repr(given).split())
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        super().__init__(f"{key}: expected {expected}, given {shown}")


def combine_statuses(*statuses: str) -> DerivationStatus:
    """The status of a derivation made of steps: the weakest step decides.

    ``refuted`` beats ``undecided`` beats ``checked`` beats ``proved``: one refuted step
    refutes the statement, one undecided step leaves it undecided, and a proof with a step
    checked only on instances is itself only ``checked``.

    Examples
    --------
    >>> combine_statuses("proved", "checked")
    'checked'
    >>> combine_statuses("proved", "undecided", "checked")
    'undecided'
    >>> combine_statuses("proved", "refuted", "undecided")
    'refuted'
    """
    for status in ("refuted", "undecided", "checked"):
        if status in statuses:
            return status  # type: ignore[return-value]
    if statuses and all(s == "proved" for s in statuses):
        return "proved"
    raise ValueError(
        f"combine_statuses: expected statuses among {DERIVATION_STATUSES}, given {statuses!r}"
    )


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

    def __post_init__(self) -> None:
        # a numpy bool (np.True_) is not ``is True`` and not a JSON bool: stored as bool; any
        # other type (an int, None, an array) is a programming error in the predicate
        if isinstance(self.holds, np.bool_):
            object.__setattr__(self, "holds", bool(self.holds))
        if type(self.holds) is not bool:
            raise TypeError(
                f"hypothesis {self.id}: holds must be a bool, given {type(self.holds).__name__}"
            )


@dataclass(frozen=True)
class Comparison:
    """A prediction of a statement set against a measurement, with how both were obtained.

    Build with :meth:`numeric`, :meth:`monte_carlo`, :meth:`upper_bound` or :meth:`exact`;
    each records the tolerance and why it is the right one, and decides ``agrees`` itself so
    that no caller can report an agreement the numbers do not show. Every constructor asks
    for ``route``: ``"independent"`` when the two sides share no formula (only those can
    verify a theorem), ``"consistency"`` when they do (agreement then checks numerics only).

    A Monte-Carlo comparison also states ``detectable``, the smallest deviation from the
    prediction it rejects with probability 0.99, and the plausible wrong values it must be
    able to tell apart (``alternatives``, e.g. Eq. 7 with t + 1 in place of t); it verifies
    only if every alternative is at least ``detectable`` away (:attr:`powered`).

    A comparison whose inputs are not finite numbers (an overflow, a run that produced nan)
    measured nothing: ``out_of_range`` then says which side was not finite, it neither agrees
    nor disagrees (:attr:`measurable` is false), and the verification's verdict is "not
    measurable" — never an agreement, never a contradiction (issue 14).
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
    route: Route = "independent"
    detectable: float | None = None
    alternatives: Mapping[str, Any] = field(default_factory=dict)
    standard_error: Any = None
    z: float | None = None
    bias: float = 0.0
    bias_shrinks: bool = True
    out_of_range: str = ""

    def __post_init__(self) -> None:
        if self.out_of_range and self.agrees:
            raise ValueError(
                f"comparison {self.quantity}: a comparison out of numerical range cannot agree"
            )
        if self.route not in ROUTES:
            raise ValueError(
                f"comparison {self.quantity}: route must be one of {', '.join(ROUTES)}, "
                f"given {self.route!r}"
            )
        if self.detectable is not None and not self.alternatives:
            raise ValueError(
                f"comparison {self.quantity}: a detectable deviation needs the alternatives "
                "it must detect"
            )

    @property
    def measurable(self) -> bool:
        """Were both sides finite numbers? If not, the comparison decides nothing."""
        return not self.out_of_range

    @property
    def disagrees(self) -> bool:
        """A measured disagreement (a finding); an unmeasurable comparison does not disagree."""
        return self.measurable and not self.agrees

    @property
    def powered(self) -> bool:
        """Could this comparison have told the prediction from each plausible wrong value?

        True when no power requirement applies (a deterministic comparison), or when every
        alternative lies at least ``detectable`` away from the prediction.
        """
        if self.detectable is None:
            return True
        pred = np.asarray(self.predicted, dtype=float)

        # a wrong formula is caught if it deviates detectably in at least one entry; one that
        # coincides with the prediction is never caught, even when the detectable deviation
        # is 0 (zero noise: σ = 1e-300 made r² = 1 under Eq. 7 and under t + 1 alike)
        def caught(alt) -> bool:
            dev = np.abs(np.asarray(alt, dtype=float) - pred)
            return bool(np.any((dev >= self.detectable) & (dev > 0)))

        return all(caught(alt) for alt in self.alternatives.values())

    @property
    def verifies(self) -> bool:
        """Counts toward "verified": independent routes, agreement, and power to disagree."""
        return self.route == "independent" and self.agrees and self.powered

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
        route: Route,
        relative: bool = False,
    ) -> Comparison:
        """Max absolute (or relative) deviation between arrays, against ``tolerance``.

        Non-finite values never agree: a nan cannot hide a disagreement; they make the
        comparison "out of range" (:attr:`measurable` false) instead of a contradiction.
        """
        err = _max_deviation(quantity, predicted, measured, relative)
        out = _non_finite(predicted=predicted, measured=measured, tolerance=tolerance)
        return cls(
            statement=statement,
            quantity=quantity,
            predicted=predicted,
            measured=measured,
            agrees=bool(not out and err <= tolerance),
            tolerance=float(tolerance),
            tolerance_reason=reason,
            error=err,
            kind="rel" if relative else "abs",
            route=route,
            out_of_range=out,
        )

    @classmethod
    def unmeasurable(
        cls,
        statement: str,
        quantity: str,
        predicted: Any,
        measured: Any,
        tolerance: float,
        reason: str,
        *,
        why: str,
        route: Route,
    ) -> Comparison:
        """A comparison that ran but cannot tell the theory from a trivial alternative.

        Finite numbers can still measure nothing: a run that never leaves its plateau agrees
        with every trajectory that stays at a₀, a ratio read at t = 0 agrees with any law.
        ``why`` says so (it becomes ``out_of_range``); the error is still reported, but the
        comparison neither agrees nor disagrees and the verdict is "not measurable"
        (issue 14).
        """
        return cls(
            statement=statement,
            quantity=quantity,
            predicted=predicted,
            measured=measured,
            agrees=False,
            tolerance=float(tolerance),
            tolerance_reason=reason,
            error=_max_deviation(quantity, predicted, measured, False),
            route=route,
            out_of_range=f"{why}: not measurable at this setting",
        )

    @classmethod
    def monte_carlo(
        cls,
        statement: str,
        quantity: str,
        predicted: Any,
        measured: Any,
        standard_error: Any,
        z: float,
        reason: str,
        *,
        alternatives: Mapping[str, Any],
        bias: float = 0.0,
        bias_shrinks: bool = True,
        route: Route = "independent",
    ) -> Comparison:
        """A sample estimate against a prediction: agree within ``z`` standard errors.

        ``bias`` is a stated allowance for a known finite-sample bias, added to the
        tolerance; ``bias_shrinks`` says whether it falls as 1/n with the sample (the excess
        risk of a fitted decoder) or stays (an approximation's own error). The comparison
        detects (with probability 0.99) any true value at least
        ``(z + Z_POWER) * standard_error + bias``
        from the prediction; ``alternatives`` name the nearest plausible wrong formulas (the
        values they predict), and :attr:`powered` says whether each is that far away (in at
        least one entry, for arrays). The reason string is completed with both numbers.
        """
        if not alternatives:
            raise ValueError(f"{quantity}: a Monte-Carlo comparison must name its alternatives")
        out = _non_finite(predicted=predicted, measured=measured, standard_error=standard_error)
        se = np.asarray(standard_error, dtype=float)
        pred = np.asarray(predicted, dtype=float)
        if out:
            # nothing to scale or test: keep the raw numbers and say what was not finite
            return cls(
                statement=statement,
                quantity=quantity,
                predicted=predicted,
                measured=measured,
                agrees=False,
                tolerance_reason=reason,
                error=None,
                route=route,
                detectable=None,
                out_of_range=out,
            )
        if pred.ndim == 0 and se.ndim == 0:
            err = _max_deviation(quantity, predicted, measured, False)
            tolerance, detectable = z * float(se) + bias, (z + Z_POWER) * float(se) + bias
            se_text = f"SE = {float(se):.3g}"
        else:
            # arrays: compare in units of each entry's own standard error
            scaled_p, scaled_m = pred / se, np.asarray(measured, dtype=float) / se
            err = _max_deviation(quantity, scaled_p, scaled_m, False)
            tolerance, detectable = z + bias, z + Z_POWER + bias
            alternatives = {k: np.asarray(v, dtype=float) / se for k, v in alternatives.items()}
            predicted, measured = scaled_p, scaled_m
            se_text = "each entry in units of its own SE"

        def gap(v: Any) -> str:
            d = np.abs(np.asarray(v, dtype=float) - np.asarray(predicted, dtype=float))
            return f"{float(np.max(d)):.3g} away"

        gaps = ", ".join(f"{label} ({gap(v)})" for label, v in alternatives.items())
        full_reason = (
            f"{reason}; {z:.2f} SE ({se_text})"
            + (f" + bias allowance {bias:.3g}" if bias else "")
            + f"; detects deviations >= {detectable:.3g} with probability 0.99; "
            f"alternatives: {gaps}"
        )
        return cls(
            statement=statement,
            quantity=quantity,
            predicted=predicted,
            measured=measured,
            agrees=bool(err <= tolerance),
            tolerance=float(tolerance),
            tolerance_reason=full_reason,
            error=err,
            kind="abs",
            route=route,
            detectable=float(detectable),
            alternatives=dict(alternatives),
            standard_error=1.0 if se_text.startswith("each") else float(se),
            z=float(z),
            bias=float(bias),
            bias_shrinks=bias_shrinks,
        )

    def sample_growth_for_power(self, margin: float = 0.8) -> float:
        """By how much the sample must grow for this comparison to be powered (1 if it is).

        Standard errors shrink as 1/sqrt(n) and a shrinking bias allowance as 1/n (a fixed
        one stays, and may make power unreachable: then ``inf``); entries compared
        in units of their own SE (arrays) see the alternatives' distances grow as sqrt(n).
        The target is a detectable deviation at most ``margin`` times each alternative's
        distance (room for the SE estimate's own noise). Returns ``inf`` when an alternative
        coincides with the prediction.
        """
        if self.detectable is None:
            return 1.0
        pred = np.asarray(self.predicted, dtype=float)
        scalar = pred.ndim == 0
        need = 1.0
        for alt in self.alternatives.values():
            gap = float(np.max(np.abs(np.asarray(alt, dtype=float) - pred)))
            if gap <= 0.0:
                return math.inf
            zt = float(self.z) + Z_POWER
            r = 1.0
            while r < 1e12:
                bias = self.bias / r if self.bias_shrinks else self.bias
                if scalar:
                    detect = zt * float(self.standard_error) / math.sqrt(r) + bias
                    ok = detect <= margin * gap
                else:
                    ok = zt + bias <= margin * gap * math.sqrt(r)
                if ok:
                    break
                r *= 1.25
            else:
                return math.inf
            need = max(need, r)
        return need

    @classmethod
    def upper_bound(
        cls,
        statement: str,
        quantity: str,
        bound: float,
        measured: float,
        tolerance: float,
        reason: str,
        *,
        route: Route,
    ) -> Comparison:
        """``measured <= bound + tolerance`` (e.g. no estimator beats the Bayes optimum)."""
        excess = float(measured) - float(bound)
        ok = math.isfinite(excess) and excess <= tolerance
        out = _non_finite(bound=bound, measured=measured, tolerance=tolerance)
        ok = ok and not out
        return cls(
            statement=statement,
            quantity=quantity,
            predicted=bound,
            measured=measured,
            agrees=bool(ok),
            tolerance=float(tolerance),
            tolerance_reason=reason,
            error=excess if math.isfinite(excess) else None,
            kind="upper-bound",
            route=route,
            out_of_range=out,
        )

    @classmethod
    def exact(
        cls,
        statement: str,
        quantity: str,
        predicted: Any,
        measured: Any,
        reason: str = "",
        *,
        route: Route,
    ) -> Comparison:
        """Exact equality (counts, booleans, sets); the reason says why exactness is due."""
        # exact equality of inf is meaningful (cond(C) = inf at rank < D); nan is not a value
        out = _non_finite(nan_only=True, predicted=predicted, measured=measured)
        same = not out and to_jsonable(predicted, _text=True) == to_jsonable(measured, _text=True)
        return cls(
            statement=statement,
            quantity=quantity,
            predicted=predicted,
            measured=measured,
            agrees=bool(same),
            tolerance_reason=reason or "exact: discrete quantity",
            kind="exact",
            route=route,
            out_of_range=out,
        )


def _non_finite(*, nan_only: bool = False, **sides: Any) -> str:
    """ "" when every side is finite, else which side is not: the out-of-range reason."""
    bad = []
    for name, value in sides.items():
        try:
            x = np.asarray(value, dtype=float)
        except (TypeError, ValueError):  # not numbers (labels, codes): nothing to say
            continue
        test = np.isnan(x) if nan_only else ~np.isfinite(x)
        if np.any(test):
            what = "nan" if np.any(np.isnan(x)) else "inf"
            bad.append(f"{name.replace('_', ' ')} is {what}")
    if not bad:
        return ""
    return "numerically out of range (" + ", ".join(bad) + "): not measurable at this setting"


def _max_deviation(quantity: str, predicted: Any, measured: Any, relative: bool) -> float:
    """Largest absolute (or relative) deviation; ``inf`` if anything is non-finite."""
    p = np.asarray(predicted, dtype=float)
    m = np.asarray(measured, dtype=float)
    if p.shape != m.shape:
        raise ValueError(
            f"{quantity}: predicted shape {p.shape} differs from measured shape {m.shape}"
        )
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(m))):
        return math.inf
    diff = np.abs(p - m)
    if relative:
        diff = diff / np.maximum(np.abs(p), np.finfo(float).tiny)
    return float(np.max(diff)) if diff.size else 0.0


@dataclass(frozen=True)
class Verification:
    """The numerical route(s) run on one setup and how they compare with the theory.

    ``agrees`` is true when no comparison disagrees; ``verified`` only when, besides, at least
    one comparison sets two independent routes against each other with the power to disagree
    (:attr:`Comparison.verifies`). Agreement of consistency checks alone, or of no comparison
    at all, is reported as "not verified", never as agreement with the theory. ``measured``
    holds the raw measurements under the contract's key names (DESIGN.md).
    """

    method: str
    measured: Mapping[str, Any]
    comparisons: tuple[Comparison, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def agrees(self) -> bool:
        """No comparison *measured* a disagreement (unmeasurable ones decide nothing)."""
        return not any(c.disagrees for c in self.comparisons)

    @property
    def measurable(self) -> bool:
        return all(c.measurable for c in self.comparisons)

    @property
    def verified(self) -> bool:
        return self.agrees and self.measurable and any(c.verifies for c in self.comparisons)

    @property
    def verdict(self) -> Literal["contradiction", "not measurable", "verified", "not verified"]:
        if not self.agrees:
            return "contradiction"
        if not self.measurable:
            return "not measurable"
        return "verified" if self.verified else "not verified"

    @property
    def not_verified_reason(self) -> str | None:
        """Why an agreeing verification does not verify anything (None when it does)."""
        if not self.agrees or self.verified:
            return None
        if not self.comparisons:
            return "no comparison was made"
        if not self.measurable:
            return "; ".join(
                f"{c.quantity}: {c.out_of_range}" for c in self.comparisons if not c.measurable
            )
        independent = [c for c in self.comparisons if c.route == "independent"]
        if not independent:
            return "only consistency checks (both sides share a formula)"
        return "no independent comparison has the power to detect the alternatives it names"


@dataclass(frozen=True)
class CheckOptions:
    """Options of one check: run the numerical verification? which seed and method?

    It lives here, in the bottom layer, so that every ``proofs`` check can take it typed
    (``mtl_theory.registry`` re-exports it for the front door).

    ``quick`` asks for the small variant of the numerical routes (used by
    ``mtl-theory verify --quick``); ``method`` is ``"auto"`` or one of ``Family.methods``.
    """

    verify: bool = False
    seed: int = 0
    method: str = "auto"
    quick: bool = False


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

    @property
    def verified(self) -> bool:
        """An independent route agreed with the theory's predictions, with power to disagree."""
        return self.verification is not None and self.verification.verified

    @property
    def verdict(
        self,
    ) -> Literal["not run", "contradiction", "not measurable", "verified", "not verified"]:
        return "not run" if self.verification is None else self.verification.verdict

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``mtl-theory check --json`` (contract keys of DESIGN.md)."""
        verification = None
        if self.verification is not None:
            v = self.verification
            verification = {
                "method": v.method,
                "agrees": v.agrees,
                "verified": v.verified,
                "verdict": v.verdict,
                "not_verified_reason": v.not_verified_reason,
                "measured": to_jsonable(v.measured),
                "comparisons": [to_jsonable(c) for c in v.comparisons],
                "notes": list(v.notes),
            }
        return {
            "theory": self.theory,
            "theorem": self.statement.id,
            "statement": to_jsonable(self.statement),
            "applies": self.applies,
            "verified": self.verified,
            "verdict": self.verdict,
            "hypotheses": [to_jsonable(h) for h in self.hypotheses],
            "predictions": to_jsonable(self.predictions),
            "verification": verification,
            "setup": to_jsonable(self.setup),
            "notes": list(self.notes),
            "related": [to_jsonable(s) for s in self.related],
        }


@dataclass(frozen=True)
class Derivation:
    """A machine-checked step of a proof, with one of four outcomes.

    ``status``:

    ``proved``
        a general symbolic or exact argument covering the statement as written;
    ``checked``
        established exhaustively or on finite instances only: ``scope`` must say which
        (e.g. ``"N = 2..49"``, ``"every grid with 1-3 factors of 2-4 values"``);
    ``undecided``
        the route could not decide (sympy could not simplify); it never counts as holding,
        and ``mtl-theory verify`` exits non-zero;
    ``refuted``
        a step failed: a finding (exit status 1).
    """

    id: str
    statement: str
    provenance: Provenance
    status: DerivationStatus
    method: str
    detail: str
    theory: str = ""
    scope: str = ""

    def __post_init__(self) -> None:
        _check_provenance(self.provenance, f"derivation {self.id}")
        if self.status not in DERIVATION_STATUSES:
            raise ValueError(f"derivation {self.id}: unknown status {self.status!r}")
        if self.status == "checked" and not self.scope:
            raise ValueError(
                f"derivation {self.id}: a 'checked' outcome must state its scope (the "
                "finite instances it covers)"
            )

    @property
    def holds(self) -> bool:
        """Only a proof or a stated finite check counts as holding; undecided never does."""
        return self.status in HOLDING_STATUSES

    def to_json(self) -> dict[str, Any]:
        return to_jsonable(self)


def to_jsonable(value: Any, *, _text: bool = False) -> Any:
    """Convert dataclasses, numpy values, tuples and non-finite floats to strict JSON data.

    JSON has no inf or nan. A non-finite float becomes ``null``, and the object holding it
    gains a ``non_finite`` entry naming the field and what stood there (``"inf"``, ``"nan"``,
    or for arrays the first positions), so a strict parser reads the output and a reader
    still sees the failure (issue 14). (``_text`` keeps the old ``"inf"`` strings, for exact
    comparisons, where inf and -inf must stay different.)

    Examples
    --------
    >>> to_jsonable({"a": np.float64(1.5), "b": (1, np.inf)})
    {'a': 1.5, 'b': [1, None], 'non_finite': {'b': 'inf at [1]'}}
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        out = _jsonable_mapping(fields, _text)
        if isinstance(value, Verification):
            out["agrees"] = value.agrees
            out["verified"] = value.verified
        if isinstance(value, Comparison):
            out["measurable"] = value.measurable
            out["powered"] = value.powered
            out["verifies"] = value.verifies
        if isinstance(value, Derivation):
            out["holds"] = value.holds
        return out
    if isinstance(value, Mapping):
        return _jsonable_mapping(value, _text)
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist(), _text=_text)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        x = float(value)
        if math.isfinite(x):
            return x
        if not _text:
            return None
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(value, (str, type(None))):
        return value
    if isinstance(value, Sequence) or isinstance(value, (set, frozenset)):
        return [to_jsonable(v, _text=_text) for v in value]
    if isinstance(value, complex):
        return {
            "re": to_jsonable(value.real, _text=_text),
            "im": to_jsonable(value.imag, _text=_text),
        }
    raise TypeError(f"cannot express {type(value).__name__} as JSON")


#: the key an object gains when some of its fields held non-finite numbers (now null)
NON_FINITE_KEY = "non_finite"


def _jsonable_mapping(items: Mapping[Any, Any], text: bool) -> dict[str, Any]:
    out = {str(k): to_jsonable(v, _text=text) for k, v in items.items()}
    if not text:
        notes = {str(k): n for k, v in items.items() if (n := _non_finite_positions(v))}
        if notes:
            out[NON_FINITE_KEY] = notes
    return out


def _non_finite_positions(value: Any, limit: int = 3) -> str:
    """Where a value (a number or nested lists/arrays of numbers) holds inf or nan.

    Nested mappings and dataclasses say so themselves; "" when everything is finite.
    """
    found: list[str] = []
    total = [0]

    def walk(v: Any, where: str) -> None:
        if isinstance(v, np.ndarray):
            v = v.tolist()
        if isinstance(v, (float, np.floating)) and not math.isfinite(float(v)):
            total[0] += 1
            if len(found) < limit:
                x = float(v)
                word = "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
                found.append(f"{word} at {where}" if where else word)
        elif isinstance(v, (list, tuple)):
            for i, item in enumerate(v):
                walk(item, f"{where}[{i}]")

    walk(value, "")
    if not found:
        return ""
    more = total[0] - len(found)
    return ", ".join(found) + (f" and {more} more" if more > 0 else "")
