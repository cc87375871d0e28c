"""Hostile specs and the command line's contract, shared by tests/test_fuzz.py and
benchmarks/fuzz.py (issue 14 item 5).

A spec is one of the examples/ mutated as a hostile user would: wrong types, extreme and
huge values (big integers, 1e±300, subnormals, NaN/∞ as JSON literals), deep nesting, long
or multi-line strings and keys, unknown, missing and duplicated keys, scaled tables and
garbage bytes. :func:`run_contract` runs ``mtl-theory check`` on it in-process and sorts the
outcome into a class; every class but those in :data:`GOOD` breaks the contract.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import random
import signal
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtl_theory import cli

EXAMPLES_DIR = Path(__file__).parent.parent / "examples"
EXAMPLES: dict[str, dict[str, Any]] = {
    p.name: tomllib.loads(p.read_text()) for p in sorted(EXAMPLES_DIR.glob("*.toml"))
}

#: Outcomes that keep the contract.
GOOD = ("exit 0", "exit 1", "exit 2")

EXTREMES: tuple[Any, ...] = (
    0,
    -1,
    1,
    2**63,
    2**64 + 1,
    10**400,
    -(10**400),
    1e308,
    -1e308,
    1e300,
    1e-300,
    5e-324,
    1e-200,
    1e200,
    0.5,
    math.nan,
    math.inf,
    -math.inf,
    True,
    None,
    "",
    "x" * 300,
    "a\nb",
    "\x00",
    [],
    [[]],
    {},
    [1e300, -1e300],
    [5e-324, 5e-324],
    [2, 2, 2, 2, 2, 2, 2, 2],
    [8, 8, 8],
    [[1e200, 0], [0, 1e200]],
    [[0.0, 0.0]],
)


@dataclass(frozen=True)
class Outcome:
    kind: str
    detail: str = ""


def _scale(value: Any, k: float) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        try:
            return value * k
        except OverflowError:  # a 400-digit integer times 1e200
            return value
    if isinstance(value, list):
        return [_scale(v, k) for v in value]
    return value


def mutate(rng: random.Random, spec: dict[str, Any], n: int) -> str:
    """``n`` random mutations of ``spec``; returns the JSON text (NaN/∞ as literals)."""
    spec = json.loads(json.dumps(spec))
    text_tail = ""
    for _ in range(n):
        keys = list(spec)
        op = rng.randrange(11)
        key = rng.choice(keys) if keys else "theory"
        if op >= 9:  # a valid extreme: a key of the family at an end of its stated range
            spec.update(_edge_value(rng, spec.get("theory")))
        elif op <= 2:
            spec[key] = rng.choice(EXTREMES)
        elif op == 3:
            spec.pop(key, None)
        elif op == 4:
            spec[rng.choice(["nonsense", "a\nb", "x" * 500, "seed ", "Theory"])] = 1
        elif op == 5:
            spec[key] = _scale(spec.get(key), rng.choice([1e-200, 1e200, 1e300, -1.0, 10**30]))
        elif op == 6:
            depth = rng.choice([3, 9, 50, 2000])
            spec[key] = json.loads("[" * depth + "]" * depth) if depth < 500 else None
            if depth >= 500:
                text_tail = ',"deep":' + "[" * depth + "]" * depth
        elif op == 7:
            spec["theory"] = rng.choice(["wta", "evidence", "gdln", "nope", 3])
        else:
            text_tail = f',"{key}": 1'  # a duplicate key
    text = json.dumps(spec, allow_nan=True)
    if text_tail:
        text = "{" + text_tail[1:] + "}" if text == "{}" else text[:-1] + text_tail + "}"
    if rng.random() < 0.03:  # garbage bytes or a cut document
        cut = rng.randrange(len(text))
        return text[:cut] + rng.choice(["\udcff", "\x00", "}", ""])
    return text


def _edge_value(rng: random.Random, theory: Any) -> dict[str, Any]:
    from mtl_theory.registry import load_registry
    from mtl_theory.spec import FLOAT_TINY, Integer, Real

    families = load_registry().families
    if not isinstance(theory, str) or theory not in families:
        return {}
    fields = [
        (k, f) for k, f in families[theory].schema.fields.items() if isinstance(f, (Integer, Real))
    ]
    key, f = rng.choice(fields)
    ends = [v for v in (f.minimum, f.maximum) if v is not None]
    if isinstance(f, Real) and f.positive:
        ends.append(FLOAT_TINY)
    if isinstance(f, Real) and f.exclusive_minimum and f.minimum is not None:
        ends = [v for v in ends if v != f.minimum]
    return {key: rng.choice(ends)} if ends else {}


class _Timeout(BaseException):
    pass


def _alarm(_signum, _frame):
    raise _Timeout


def write_spec(path: Path, text: str) -> None:
    """Write a mutated spec; a lone surrogate stands for a raw (non-UTF-8) byte."""
    path.write_bytes(text.encode("utf-8", "surrogateescape"))


def run_contract(path: Path, seconds: int = 60) -> Outcome:
    """``mtl-theory check PATH --json`` in-process, classified against the contract."""
    out, err = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["check", str(path), "--json"])
    except _Timeout:
        return Outcome("hang", f"no answer in {seconds} s")
    except SystemExit as exc:
        code = exc.code
    except BaseException as exc:  # the contract allows no traceback
        return Outcome("traceback", f"{type(exc).__name__}: {str(exc)[:200]}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    stdout, stderr = out.getvalue(), err.getvalue()
    if "Traceback" in stderr:
        return Outcome("traceback", stderr[-300:])
    if code == 2:
        if stderr.count("\n") != 1 or not stderr.endswith("\n"):
            return Outcome("multi-line error", stderr[:300])
        if stdout:
            return Outcome("output with an error", stdout[:200])
        return Outcome("exit 2")
    if code in (0, 1):
        try:
            json.loads(stdout, parse_constant=_refuse)
        except ValueError as exc:
            return Outcome("invalid JSON", f"{exc}: {stdout[:200]}")
        return Outcome(f"exit {code}")
    return Outcome("other exit status", repr(code))


def _refuse(name: str):
    raise ValueError(f"non-standard JSON constant {name}")
