"""Terminal and Markdown views of check results and derivations (JSON is ``to_json``)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from mtl_theory.theory.model import CheckResult, Comparison, Derivation, to_jsonable


def format_value(value: Any, width: int = 72) -> str:
    """A compact one-line rendering of a prediction or measurement."""
    data = to_jsonable(value)
    if isinstance(data, float):
        text = f"{data:.6g}"
    elif isinstance(data, (dict, list)):
        text = json.dumps(data, separators=(", ", ": "), default=str)
        text = _round_floats_in_text(data) if len(text) > width else text
    else:
        text = str(data)
    return text if len(text) <= width else text[: width - 3] + "..."


def _round_floats_in_text(data: Any) -> str:
    def rounded(x: Any) -> Any:
        if isinstance(x, float):
            return float(f"{x:.4g}")
        if isinstance(x, list):
            return [rounded(v) for v in x]
        if isinstance(x, dict):
            return {k: rounded(v) for k, v in x.items()}
        return x

    return json.dumps(rounded(data), separators=(",", ":"))


def text_table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line.rstrip(), "  ".join("-" * w for w in widths)]
    out += [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    return out


def _error_text(c: Comparison) -> str:
    if c.kind == "exact":
        return "-"
    if c.error is None or not math.isfinite(c.error):
        return "non-finite"
    return f"{c.error:.3g}"


def _tolerance_text(c: Comparison) -> str:
    if c.kind == "exact":
        return "exact"
    sign = "<=" if c.kind != "upper-bound" else "excess <="
    rel = " (rel)" if c.kind == "rel" else ""
    return f"{sign} {c.tolerance:.3g}{rel}"


def comparison_verdict(c: Comparison) -> str:
    """One word per comparison: does it disagree, verify, or only agree?"""
    if not c.measurable:
        return "NOT MEASURABLE"
    if not c.agrees:
        return "DISAGREES"
    if c.route == "consistency":
        return "consistent"
    return "verifies" if c.powered else "agrees, underpowered"


def route_text(c: Comparison) -> str:
    return "independent" if c.route == "independent" else "consistency"


def power_text(c: Comparison) -> str:
    """The smallest deviation a Monte-Carlo comparison detects, and whether that suffices."""
    if c.detectable is None:
        return ""
    verdict = "enough" if c.powered else "NOT enough"
    return f"detects >= {c.detectable:.3g} ({verdict} for {', '.join(c.alternatives)})"


def verdict_line(result: CheckResult) -> str:
    """The loud last line: verified, not verified (and why), or contradiction."""
    theorem = result.statement.id
    v = result.verification
    if v is None:
        state = "applies" if result.applies else "does NOT apply"
        return f"{theorem} {state} (no verification run; add --verify)"
    if result.contradiction:
        bad = [c.quantity for c in v.comparisons if c.disagrees]
        return (
            f"!!! CONTRADICTION: the measurement disagrees with the theory on "
            f"{', '.join(bad)} ({theorem}). This is a finding: see the comparisons above."
        )
    n_verifying = sum(c.verifies for c in v.comparisons)
    n = len(v.comparisons)
    if not v.measurable:
        return (
            f"{theorem}: NOT MEASURABLE at this setting (neither agreement nor contradiction): "
            f"{v.not_verified_reason}"
        )
    scope = (
        f"{theorem} applies"
        if result.applies
        else f"{theorem} does NOT apply; of what the theory still predicts,"
    )
    if not v.verified:
        return f"{scope} NOT VERIFIED: {v.not_verified_reason} ({n} comparison(s) agree)"
    return f"{scope} verified: {n_verifying} independent comparison(s) agree" + (
        f", {n - n_verifying} consistency or underpowered check(s) agree" if n > n_verifying else ""
    )


def render_check(result: CheckResult) -> str:
    """The human-readable terminal view of ``mtl-theory check``."""
    st = result.statement
    lines = [
        f"{result.theory}  {st.id}: {st.title}  [{st.provenance}]",
        f"  {st.text}",
    ]
    if st.source:
        lines.append(f"  source: {st.source}")
    if result.setup:
        lines += ["", "setup"]
        lines += [f"  {k} = {format_value(v)}" for k, v in result.setup.items()]
    lines += ["", "hypotheses"]
    lines += [
        "  " + row
        for row in text_table(
            [(h.id, "holds" if h.holds else "FAILS", h.detail) for h in result.hypotheses],
            ("id", "status", "reason"),
        )
    ]
    lines.append(
        "  => theorem applies" if result.applies else "  => theorem does NOT apply to this setup"
    )
    if result.predictions:
        lines += ["", "predictions"]
        lines += [f"  {k} = {format_value(v)}" for k, v in result.predictions.items()]
    v = result.verification
    if v is not None:
        lines += ["", f"verification ({v.method})"]
        if v.measured:
            lines += [f"  {k} = {format_value(val)}" for k, val in v.measured.items()]
        if v.comparisons:
            rows = [
                (
                    c.statement,
                    c.quantity,
                    format_value(c.predicted, 24),
                    format_value(c.measured, 24),
                    _error_text(c),
                    _tolerance_text(c),
                    route_text(c),
                    comparison_verdict(c),
                )
                for c in v.comparisons
            ]
            lines += [""] + [
                "  " + r
                for r in text_table(
                    rows,
                    (
                        "statement",
                        "quantity",
                        "predicted",
                        "measured",
                        "error",
                        "tolerance",
                        "routes",
                        "verdict",
                    ),
                )
            ]
            lines += ["", "  tolerances (and, for Monte Carlo, the smallest detectable deviation):"]
            lines += [
                f"    {c.quantity}: {c.tolerance_reason}"
                + (f" [{power_text(c)}]" if c.detectable is not None else "")
                for c in v.comparisons
            ]
        lines += [f"  note: {n}" for n in v.notes]
    lines += [f"note: {n}" for n in result.notes]
    lines += ["", verdict_line(result)]
    return "\n".join(lines)


def render_derivations(derivations: Sequence[Derivation]) -> str:
    rows = [(d.id, d.status, d.provenance, d.method, d.statement) for d in derivations]
    return "\n".join(
        text_table(rows, ("derivation", "status", "provenance", "method", "statement"))
    )


def markdown_table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    def cell(x: Any) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


KEY_TABLE_HEADER = ("key", "expected", "default", "meaning")


def key_table_markdown(family: str, title: str, rows: Sequence[Sequence[str]]) -> str:
    """One family's spec keys as the README shows them (rows from ``Schema.key_rows``)."""
    keyed = [(f"`{key}`", *rest) for key, *rest in rows]
    heading = f'**`theory = "{family}"`** — {title}'
    return heading + "\n\n" + markdown_table(keyed, KEY_TABLE_HEADER)


def markdown_check(name: str, result: CheckResult) -> str:
    """A Markdown section for one check of the verification report."""
    st = result.statement
    parts = [
        f"### {name}: {st.id} — {st.title}",
        "",
        f"*Provenance: `{st.provenance}`*" + (f" — {st.source}" if st.source else ""),
        "",
        f"> {st.text}",
        "",
        "**Setup:** "
        + ", ".join(f"`{k}` = {format_value(v, 60)}" for k, v in result.setup.items()),
        "",
        markdown_table(
            [(h.id, "holds" if h.holds else "**fails**", h.detail) for h in result.hypotheses],
            ("hypothesis", "status", "reason"),
        ),
        "",
        f"Theorem {'applies' if result.applies else 'does **not** apply'}.",
        "",
    ]
    if result.predictions:
        parts += [
            markdown_table(
                [(k, f"`{format_value(v, 80)}`") for k, v in result.predictions.items()],
                ("prediction", "value"),
            ),
            "",
        ]
    v = result.verification
    if v is not None:
        parts += [f"**Verification** ({v.method}):", ""]
        if v.comparisons:
            parts += [
                markdown_table(
                    [
                        (
                            c.statement,
                            c.quantity,
                            f"`{format_value(c.predicted, 40)}`",
                            f"`{format_value(c.measured, 40)}`",
                            _error_text(c),
                            _tolerance_text(c),
                            c.tolerance_reason
                            + (f" [{power_text(c)}]" if c.detectable is not None else ""),
                            route_text(c),
                            comparison_verdict(c).replace("DISAGREES", "**DISAGREES**"),
                        )
                        for c in v.comparisons
                    ],
                    (
                        "statement",
                        "quantity",
                        "predicted",
                        "measured",
                        "error",
                        "tolerance",
                        "why this tolerance",
                        "routes",
                        "verdict",
                    ),
                ),
                "",
            ]
        if v.measured:
            parts += [
                markdown_table(
                    [(k, f"`{format_value(val, 80)}`") for k, val in v.measured.items()],
                    ("measured", "value"),
                ),
                "",
            ]
        parts += [f"- {n}" for n in v.notes]
    parts += [f"- {n}" for n in result.notes]
    parts += ["", f"**Verdict:** {verdict_line(result)}", ""]
    return "\n".join(parts)


def json_dump(data: Mapping[str, Any] | Sequence[Any]) -> str:
    return json.dumps(to_jsonable(data), indent=2, allow_nan=False)
