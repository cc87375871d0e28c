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


def run_contract(path: Path, seconds: int = 60, extra: tuple[str, ...] = ()) -> Outcome:
    """``mtl-theory check PATH --json [extra]`` in-process, classified against the
    contract (``extra``: e.g. ``--verify`` and a ``--time-budget``)."""
    out, err = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["check", str(path), "--json", *extra])
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


# --------------------------------------------------------------------------- valid edges
# Valid-but-extreme specs for ``check --verify`` (issue 14: false findings at the edges):
# every key of a family at an end of its declared domain (the schema's minimum and maximum,
# the smallest positive normal float64 for a positive key) or at an extreme inside it
# (a0, lr, init_std, sigma, t, n_tasks, widths near their limits). The schema accepts each
# value; a cross-key check may still refuse the spec (exit 2, one line).

#: Base setups of each model, sized so that a check takes seconds (the edges are the point);
#: the context runs' flow time t/τ = ηP·epochs is the paper's at 4000 epochs (loss 4.2 < ½‖R‖²).
VERIFY_BASES: dict[str, tuple[dict[str, Any], ...]] = {
    "gdln": (
        {"theory": "gdln", "model": "linear", "hidden": [8], "epochs": 2000, "a0": 1e-3},
        {"theory": "gdln", "model": "deep-linear", "hidden": [8, 8], "epochs": 2000, "a0": 0.01},
        {
            "theory": "gdln",
            "model": "gated",
            "hidden": [8],
            "epochs": 2000,
            "a0": 1e-3,
            "race_gates": [[1, 1], [1, 0]],
            "condition_scales": [1.0, 1.0],
        },
        {"theory": "gdln", "model": "routing", "hidden": [8], "epochs": 1000, "a0": 0.1},
        {"theory": "gdln", "model": "context", "hidden": [100], "epochs": 1000, "lr": 4e-3},
        {
            "theory": "gdln",
            "model": "context",
            "hidden": [100],
            "epochs": 1000,
            "lr": 4e-3,
            "contexts": 4,
            "structures": "same",
        },
    ),
    "evidence": (
        {"theory": "evidence", "D": 2, "n_tasks": 6, "boundaries": "even", "sigma": 0.2, "t": 20},
        {
            "theory": "evidence",
            "D": 3,
            "n_tasks": 8,
            "boundaries": "random",
            "sigma": 0.3,
            "t": 10,
            "network": "filter",
            "n_trials": 2000,
        },
        {
            "theory": "evidence",
            "D": 2,
            "n_tasks": 6,
            "boundaries": "even",
            "sigma": 0.2,
            "t": 20,
            "noise": "autocorrelated",
            "noise_rho": 0.5,
        },
    ),
    "wta": (
        {"theory": "wta", "factors": [2, 3], "modules": [2, 3], "tasks": "factor-onehot"},
        {"theory": "wta", "factors": [2, 2], "modules": [2, 2], "tasks": "sum"},
        {
            "theory": "wta",
            "factors": [2, 3],
            "modules": [2, 3],
            "tasks": "random-additive",
            "n_tasks": 2,
        },
    ),
}

#: Extremes inside the declared domains, per key (besides the schema's own ends).
VERIFY_EDGES: dict[str, dict[str, tuple[Any, ...]]] = {
    "gdln": {
        "a0": (1e-300, 1e-100, 1e-30, 1e-12, 1e-6, 0.05, 0.2, 0.45, 0.49, 0.9),
        "lr": (1e-300, 1e-30, 1e-8, 1e-5, 0.1, 1.0, 3.0, 10.0, 100.0, 1e3, 1e30, 1e300),
        "init_std": (1e-300, 1e-30, 1e-8, 1e-4, 0.05, 0.5, 1.0, 10.0, 1e3, 1e30, 1e100),
        "epochs": (1, 2, 3, 10, 50, 20000),
        "hidden": ([1], [2], [8], [16], [4096], [2, 2], [8, 64], [4096, 4096]),
        "items": (1, 2, 4, 16, 64),
        "contexts": (1, 2, 5, 8),
        "strong_fraction": (1e-300, 1e-9, 0.5, 0.999, 1.0),
        "context_scale": (1e-300, 1e-8, 1e-3, 10.0, 100.0),
        "n_seeds": (1, 2, 32),
        "modules": (2, 8),
        "pairs": (1, 2, 8),
        "condition_scales": ([1e-300, 1.0], [0.0, 1.0], [1e-8, 1.0], [1.0, 1e6], [1e100, 1.0]),
        "race_gates": ([[1, 1], [1, 0]], [[1, 0], [0, 1]], [[1, 1], [1, 1]], [[0, 0], [1, 1]]),
        "reln": ("authors", "authors-mixed", "authors-all", "relu-gates"),
        "structures": ("different", "same"),
    },
    "evidence": {
        "sigma": (0.0, 1e-300, 1e-100, 1e-8, 1e-3, 3.0, 10.0, 100.0),
        "t": (1, 2, 3, 1000, 100000),
        "n_tasks": (1, 2, 3, 64, 500, 2000),
        "D": (1, 2, 8, 63),
        "n_trials": (200, 201, 100000, 1000000),
        "noise": ("isotropic", "anisotropic", "autocorrelated", "correlated"),
        "noise_rho": (-0.99, -0.5, 0.0, 0.99),
        "seed": (0, 1, 2**63 - 1),
        "boundaries": ("even", "random"),
        "network": ("none", "filter"),
    },
    "wta": {
        "factors": ([2], [8], [2, 2, 2], [3, 3], [8, 8], [2, 2, 2, 2]),
        "modules": ([2], [16], [2, 2], [3, 3], [8, 8], [2, 2, 2]),
        "tasks": ("factor-onehot", "sum", "xor", "random-additive"),
        "n_tasks": (1, 2, 64),
        "seed": (0, 2**63 - 1),
        "levels": (2, 16),
        "method": ("auto", "exhaustive", "milp"),
        "holdout": ([0], [0, 1], [5]),
    },
}


def schema_ends(theory: str, key: str) -> list[Any]:
    """The ends of ``key``'s declared domain: its minimum and maximum (an exclusive minimum
    left out) and, for a positive real, the smallest positive normal float64."""
    from mtl_theory.registry import load_registry
    from mtl_theory.spec import FLOAT_TINY, Integer, Real

    field = load_registry().families[theory].schema.fields.get(key)
    if not isinstance(field, (Integer, Real)):
        return []
    ends = [v for v in (field.minimum, field.maximum) if v is not None]
    if isinstance(field, Real) and field.exclusive_minimum:
        ends = [v for v in ends if v != field.minimum]
    if isinstance(field, Real) and (field.positive or field.exclusive_minimum):
        ends.append(FLOAT_TINY)
    return ends


def edge_spec(rng: random.Random, theory: str | None = None, n: int | None = None) -> dict:
    """A valid-but-extreme spec: a base setup of ``theory`` (drawn if None; GDLN most often,
    its context, gated and routing models first) with ``n`` (1-3) keys at an edge."""
    if theory is None:
        theory = rng.choices(("gdln", "evidence", "wta"), weights=(6, 2.5, 1.5))[0]
    bases = VERIFY_BASES[theory]
    if theory == "gdln":  # context 2 bases, gated, routing weighted over linear / deep
        spec = json.loads(json.dumps(rng.choices(bases, weights=(1, 1, 2, 2, 2.5, 1.5))[0]))
    else:
        spec = json.loads(json.dumps(rng.choice(bases)))
    edges = VERIFY_EDGES[theory]
    for key in rng.sample(sorted(edges), n or rng.randint(1, 3)):
        values = [*edges[key], *schema_ends(theory, key)]
        spec[key] = rng.choice(values)
    return spec
