"""Task-setup specs: loading (TOML or JSON) and validation against a schema declared as data.

A spec is data, never code. Every problem becomes one :class:`SpecError` whose message names
the file, the key, what was expected and what was given; the command line prints it as one
line and exits with status 2.

Each theory family declares its keys as a :class:`Schema` of fields (``Integer``, ``Real``,
``Choice``, ``IntegerList``, ``RealMatrix``, ...). The same declarations drive the validator
and the property tests that draw malformed specs.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import os
import stat
import sys
import tomllib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mtl_theory.theory.model import SetupError

THEORY_KEY = "theory"

# ------------------------------------------------------------------ the numeric-input rule
# Every number is range-checked as the type it will be used as, *before* any conversion, so
# no conversion can fail later (issue 14): integers are used as 64-bit integers (numpy
# arrays, seeds, counts), reals as float64.

#: Integers without a stated range: what an int64 holds.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: The largest finite float64; a larger integer (or literal) has no float64 value.
FLOAT_MAX = sys.float_info.max
#: The smallest positive *normal* float64: a positive quantity (a learning rate, a scale)
#: below it is subnormal, has lost precision, and its reciprocal overflows.
FLOAT_TINY = sys.float_info.min

# ------------------------------------------------------------------ the spec file's limits
#: Largest spec file read (bytes): explicit EVIDENCE normals at their limit (2000 × 64
#: numbers) take about 3 MiB of text.
MAX_SPEC_BYTES = 8 * 2**20
#: Deepest nesting of tables and lists (a table of rows of numbers is 3 deep).
MAX_DEPTH = 8
#: Longest string (key or value) in a spec; no key or option is longer than 40 characters.
MAX_STRING = 200
#: Most numbers in one list or table (bounded by the file size anyway; stated for clarity).
MAX_ITEMS = 1_000_000


class SpecError(ValueError):
    """An invalid spec or command-line value; ``str(err)`` is the one line shown to the user."""

    def __init__(
        self, key: str, expected: str, given: Any, *, source: str = "", verbatim: bool = False
    ) -> None:
        self.key = key
        self.expected = expected
        self.given = given
        self.source = source
        self.verbatim = verbatim
        super().__init__(self._line())

    def _line(self) -> str:
        where = "".join(f"{one_line(part)}: " for part in (self.source, self.key) if part)
        given = " ".join(str(self.given).split()) if self.verbatim else _show(self.given)
        return f"{where}expected {self.expected}, given {given}"

    def with_source(self, source: str) -> SpecError:
        return SpecError(self.key, self.expected, self.given, source=source, verbatim=self.verbatim)


def converts_setup_errors(build: Callable[[Mapping[str, Any]], Any]):
    """Wrap a family's ``build`` so that a setup's invariant violation (a
    :class:`~mtl_theory.theory.model.SetupError`, raised in its ``__post_init__``) reaches
    the user as the spec error of the same key: the setups own their conditions, the spec
    layer only converts them (issue 11, item 5)."""

    @functools.wraps(build)
    def wrapped(spec: Mapping[str, Any]) -> Any:
        try:
            return build(spec)
        except SetupError as exc:
            raise SpecError(exc.key, exc.expected, exc.given) from None

    return wrapped


def one_line(text: Any, limit: int = 80) -> str:
    """A file name, key or message made safe to echo: one line, control characters escaped,
    cut to ``limit`` characters.

    >>> print(one_line("a" + chr(10) + "b"))
    a\\nb
    """
    text = str(text)
    if not text.isprintable():
        text = text.encode("unicode_escape", "backslashreplace").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(value: Any, limit: int = 60) -> str:
    """A short, single-line rendering of a given value for an error message."""
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, Mapping):
        text = "a table"
    else:
        text = json.dumps(value, default=str) if _json_safe(value) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_safe(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        return False
    return True


# --------------------------------------------------------------------------- fields

_REQUIRED = object()


@dataclass(frozen=True)
class Field:
    """Base of a spec key's declaration: what it accepts and its default."""

    default: Any = _REQUIRED
    help: str = ""

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    def expected(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def parse(self, key: str, value: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def fail(self, key: str, value: Any) -> SpecError:
        return SpecError(key, self.expected(), value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def as_float64(value: Any) -> float | None:
    """``value`` as a finite float64, or None when it is not a number or has no float64 value.

    An integer is compared with the float64 range *as an integer* first, so a 400-digit
    integer is refused instead of raising OverflowError in ``float()``.
    """
    if not _is_real(value):
        return None
    if isinstance(value, int) and abs(value) > FLOAT_MAX:
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def _in_int64(value: int) -> bool:
    return INT64_MIN <= value <= INT64_MAX


def _range_text(lo: float | None, hi: float | None, lo_open: bool = False) -> str:
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo:g}")
    if hi is not None:
        parts.append(f"<= {hi:g}")
    return " and ".join(parts)


@dataclass(frozen=True)
class Integer(Field):
    minimum: int | None = None
    maximum: int | None = None

    def expected(self) -> str:
        r = _range_text(self.minimum, self.maximum)
        if self.maximum is None:
            r = (r + " and " if r else "") + "<= 2^63 - 1"
        return f"an integer {r}".strip()

    def parse(self, key: str, value: Any) -> int:
        if not _is_int(value) or not _in_int64(value):
            raise self.fail(key, value)
        if (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            raise self.fail(key, value)
        return int(value)


@dataclass(frozen=True)
class Real(Field):
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False

    @property
    def positive(self) -> bool:
        """> 0: then a positive *normal* float64 is needed (no subnormals)."""
        return self.exclusive_minimum and self.minimum == 0.0

    def expected(self) -> str:
        if self.positive:
            r = f">= {FLOAT_TINY:.4g} (a positive normal float64)" + (
                f" and <= {self.maximum:g}" if self.maximum is not None else ""
            )
        else:
            r = _range_text(self.minimum, self.maximum, self.exclusive_minimum)
        return f"a finite number {r}".strip()

    def parse(self, key: str, value: Any) -> float:
        x = as_float64(value)
        if x is None:
            raise self.fail(key, value)
        lo_bad = self.minimum is not None and (
            x <= self.minimum if self.exclusive_minimum else x < self.minimum
        )
        lo_bad = lo_bad or (self.positive and x < FLOAT_TINY)
        if lo_bad or (self.maximum is not None and x > self.maximum):
            raise self.fail(key, value)
        return x


@dataclass(frozen=True)
class Boolean(Field):
    def expected(self) -> str:
        return "true or false"

    def parse(self, key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, value)
        return value


@dataclass(frozen=True)
class Choice(Field):
    options: tuple[str, ...] = ()

    def expected(self) -> str:
        return "one of " + ", ".join(repr(o) for o in self.options)

    def parse(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or value not in self.options:
            raise self.fail(key, value)
        return value


@dataclass(frozen=True)
class IntegerList(Field):
    """A list of integers, each within ``[minimum, maximum]``, of length within bounds."""

    minimum: int | None = None
    maximum: int | None = None
    min_length: int = 1
    max_length: int | None = None

    def expected(self) -> str:
        n = f"{self.min_length}" + (
            f" to {self.max_length}" if self.max_length != self.min_length else ""
        )
        if self.max_length is None:
            n = f"at least {self.min_length}"
        r = _range_text(self.minimum, self.maximum)
        return f"a list of {n} integers {r}".strip()

    def parse(self, key: str, value: Any) -> tuple[int, ...]:
        if not isinstance(value, list) or len(value) > MAX_ITEMS:
            raise self.fail(key, value)
        if not all(_is_int(v) and _in_int64(v) for v in value):
            raise self.fail(key, value)
        if len(value) < self.min_length or (
            self.max_length is not None and len(value) > self.max_length
        ):
            raise self.fail(key, value)
        for v in value:
            if (self.minimum is not None and v < self.minimum) or (
                self.maximum is not None and v > self.maximum
            ):
                raise self.fail(key, value)
        return tuple(int(v) for v in value)


@dataclass(frozen=True)
class RealList(Field):
    """A list of finite numbers (ranges checked by the family when they depend on others)."""

    min_length: int = 1
    minimum: float | None = None
    maximum: float | None = None

    def expected(self) -> str:
        r = _range_text(self.minimum, self.maximum)
        return f"a list of at least {self.min_length} finite numbers {r}".strip()

    def parse(self, key: str, value: Any) -> tuple[float, ...]:
        if not isinstance(value, list) or not self.min_length <= len(value) <= MAX_ITEMS:
            raise self.fail(key, value)
        floats = [as_float64(v) for v in value]
        if any(x is None for x in floats):
            raise self.fail(key, value)
        out = tuple(floats)
        if any(
            (self.minimum is not None and v < self.minimum)
            or (self.maximum is not None and v > self.maximum)
            for v in out
        ):
            raise self.fail(key, value)
        return out


@dataclass(frozen=True)
class RealMatrix(Field):
    """A non-empty rectangular table (list of equal-length rows) of finite numbers."""

    def expected(self) -> str:
        return "a non-empty table of equal-length rows of finite numbers"

    def parse(self, key: str, value: Any) -> tuple[tuple[float, ...], ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(key, value)
        rows = []
        for row in value:
            if not isinstance(row, list) or not row:
                raise self.fail(key, value)
            floats = [as_float64(v) for v in row]
            if any(x is None for x in floats):
                raise self.fail(key, value)
            rows.append(tuple(floats))
        if sum(len(r) for r in rows) > MAX_ITEMS:
            raise SpecError(key, f"at most {MAX_ITEMS} numbers", "more")
        if len({len(r) for r in rows}) != 1:
            raise SpecError(key, "rows of equal length", [len(r) for r in rows])
        return tuple(rows)


#: Largest data file (.npy / .csv) a spec may name: the number limit at ~32 bytes per number.
MAX_DATA_BYTES = 32 * MAX_ITEMS
DATA_SUFFIXES = (".npy", ".csv")


@dataclass(frozen=True)
class DataMatrix(RealMatrix):
    """A table inline, or the name of a ``.npy`` / ``.csv`` file holding one.

    A relative file name is resolved against the spec file's folder (the working directory for
    a spec given as a mapping). The file is read without pickle, must be a regular file of at
    most :data:`MAX_DATA_BYTES` bytes holding a 2-D array of finite real numbers (a CSV: one
    row per line, comma-separated, ``#`` comments), and becomes the same tuple of rows an
    inline table gives, so a setup never depends on the file after validation.
    """

    def expected(self) -> str:
        return (
            "a non-empty table of equal-length rows of finite numbers, or the name of a "
            ".npy or .csv file holding one"
        )

    def parse(
        self, key: str, value: Any, base_dir: Path | None = None
    ) -> tuple[tuple[float, ...], ...]:
        if not isinstance(value, str):
            return super().parse(key, value)
        return super().parse(key, _read_data_file(key, value, base_dir).tolist())


def _read_data_file(key: str, name: str, base_dir: Path | None) -> np.ndarray:
    """The 2-D float64 array in the data file ``name``; every failure one :class:`SpecError`."""
    path = Path(name)
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    given = one_line(name)

    def fail(expected: str, what: str) -> SpecError:
        return SpecError(key, expected, f"{given} ({what})", verbatim=True)

    if path.suffix.lower() not in DATA_SUFFIXES:
        raise fail("a table, or a file name ending in .npy or .csv", f"suffix {path.suffix!r}")
    try:
        info = os.stat(path)
    except OSError:
        raise fail("an existing .npy or .csv file", f"nothing at {path}") from None
    if not stat.S_ISREG(info.st_mode):
        raise fail("a regular .npy or .csv file", "not a regular file")
    if info.st_size > MAX_DATA_BYTES:
        raise fail(f"a data file of at most {MAX_DATA_BYTES} bytes", f"{info.st_size} bytes")
    try:
        if path.suffix.lower() == ".npy":
            data = np.load(path, allow_pickle=False)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # an empty file is an error, not a warning
                data = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
    except (ValueError, OSError, UserWarning, EOFError) as exc:
        raise fail(
            "a readable numeric .npy (no pickle) or comma-separated .csv", one_line(exc)
        ) from None
    if not isinstance(data, np.ndarray) or data.dtype.kind not in "biuf":
        raise fail("real numbers", f"dtype {getattr(data, 'dtype', type(data).__name__)}")
    if data.ndim != 2 or data.size == 0:
        raise fail("a non-empty 2-D array (one row per item)", f"shape {data.shape}")
    data = data.astype(np.float64)
    bad = np.argwhere(~np.isfinite(data))
    if bad.size:
        i, j = bad[0]
        raise fail("finite numbers", f"{data[i, j]} at row {i}, column {j}")
    return data


# --------------------------------------------------------------------------- schema


@dataclass(frozen=True)
class Schema:
    """The keys a family's spec accepts (besides ``theory``), each a :class:`Field`."""

    family: str
    fields: Mapping[str, Field] = field(default_factory=dict)

    def key_rows(self) -> tuple[tuple[str, str, str, str], ...]:
        """One ``(key, expected, default, meaning)`` row per key, in declaration order.

        The README's spec-key tables are these rows (``mtl-theory list --keys``), so the
        documentation states exactly what :meth:`validate` accepts.

        Examples
        --------
        >>> Schema("toy", {"n": Integer(minimum=1, maximum=9, default=2, help="size")}).key_rows()
        (('n', 'an integer >= 1 and <= 9', '`2`', 'size'),)
        """
        return tuple(
            (key, decl.expected(), _default_text(decl), decl.help)
            for key, decl in self.fields.items()
        )

    def validate(self, spec: Mapping[str, Any], base_dir: Path | None = None) -> dict[str, Any]:
        """Check keys, types and ranges; fill defaults. Raises :class:`SpecError`.

        ``base_dir`` is the folder data files named in the spec are relative to (the spec
        file's; the working directory when None)."""
        known = set(self.fields) | {THEORY_KEY}
        for key in spec:
            if key not in known:
                raise SpecError(
                    key,
                    f"a known {self.family} key ({', '.join(sorted(self.fields))})",
                    f"the unknown key {_show(key)}{_suggest(key, self.fields)}",
                    verbatim=True,
                ) from None
        out: dict[str, Any] = {THEORY_KEY: self.family}
        for key, decl in self.fields.items():
            if isinstance(decl, DataMatrix) and key in spec:
                out[key] = decl.parse(key, spec[key], base_dir)
            elif key in spec:
                out[key] = decl.parse(key, spec[key])
            elif decl.required:
                raise SpecError(key, f"this key ({decl.expected()})", "nothing", verbatim=True)
            else:
                out[key] = decl.default
        return out


def _default_text(decl: Field) -> str:
    """A default as the key tables show it: ``required``, ``—`` (none) or its JSON value."""
    if decl.required:
        return "required"
    if decl.default is None:
        return "—"
    value = list(decl.default) if isinstance(decl.default, tuple) else decl.default
    return f"`{json.dumps(value)}`"


def _suggest(key: str, names: Sequence[str] | Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(str(key), list(names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def read_spec_file(path: str | Path) -> dict[str, Any]:
    """Read a TOML or JSON spec as plain data; any failure is one :class:`SpecError`.

    Only a regular file of at most :data:`MAX_SPEC_BYTES` is read (a FIFO or a device such as
    /dev/zero would block or never end); the data must nest at most :data:`MAX_DEPTH` deep and
    hold strings of at most :data:`MAX_STRING` characters.
    """
    p = Path(path)
    source = str(path)

    def fail(expected: str, given: str) -> SpecError:
        return SpecError("", expected, given, source=source, verbatim=True)

    suffix = p.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise fail("a spec file ending in .toml or .json", f"the suffix {one_line(suffix)!r}")
    try:
        info = os.stat(p)
    except FileNotFoundError:
        raise fail("an existing spec file", "a path that does not exist") from None
    except OSError as exc:
        raise fail("a readable spec file", f"a path that cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise fail("a spec file", "a directory")
    if not stat.S_ISREG(info.st_mode):
        raise fail("a regular spec file", "a device, FIFO or socket")
    if info.st_size > MAX_SPEC_BYTES:
        raise fail(f"a spec file of at most {MAX_SPEC_BYTES} bytes", f"{info.st_size} bytes")
    try:
        with open(p, "rb") as fh:
            raw = fh.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise fail("a readable spec file", f"a file that cannot be read ({exc.strerror})") from None
    if len(raw) > MAX_SPEC_BYTES:  # grew since the stat
        raise fail(f"a spec file of at most {MAX_SPEC_BYTES} bytes", "a larger file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail("UTF-8 text", f"undecodable bytes at offset {exc.start}") from None
    try:
        if suffix == ".toml":
            data = tomllib.loads(text)
        else:
            # NaN/Infinity are read as floats so that the schema names the key holding one;
            # a repeated key is an error (TOML refuses them too; JSON would keep the last).
            data = json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise fail("each key once", f"the key {_show(exc.key)} twice") from None
    except tomllib.TOMLDecodeError as exc:
        raise fail("valid TOML", _show(str(exc), 120)) from None
    except json.JSONDecodeError as exc:
        raise fail("valid JSON", f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise fail("a spec of reasonable nesting depth", "a deeply nested document") from None
    except ValueError as exc:  # e.g. an integer literal beyond Python's 4300-digit limit
        raise fail("valid JSON with numbers of reasonable size", _show(str(exc))) from None
    if not isinstance(data, dict):
        raise fail("a table (JSON object) at the top level", type(data).__name__)
    _check_shape(data, source)
    return data


def _check_shape(data: Any, source: str) -> None:
    """Nesting depth and string lengths within bounds (iteratively: no recursion limit)."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, key = stack.pop()
        if depth > MAX_DEPTH and isinstance(value, (dict, list)):
            raise SpecError(
                key,
                f"data nested at most {MAX_DEPTH} deep",
                "deeper nesting",
                source=source,
                verbatim=True,
            )
        if isinstance(value, str) and len(value) > MAX_STRING:
            raise SpecError(
                key,
                f"a string of at most {MAX_STRING} characters",
                f"{len(value)} characters",
                source=source,
                verbatim=True,
            )
        if isinstance(value, dict):
            for k, v in value.items():
                if len(k) > MAX_STRING:
                    raise SpecError(
                        "",
                        f"keys of at most {MAX_STRING} characters",
                        f"a key of {len(k)} characters ({_show(k, 40)})",
                        source=source,
                        verbatim=True,
                    )
                stack.append((v, depth + 1, k if depth == 1 else key))
        elif isinstance(value, list):
            stack.extend((v, depth + 1, key) for v in value)


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def family_of(spec: Mapping[str, Any], families: Sequence[str]) -> str:
    """The ``theory`` key, checked against the known families."""
    if THEORY_KEY not in spec:
        raise SpecError(
            THEORY_KEY, "one of " + ", ".join(repr(f) for f in families), "nothing", verbatim=True
        )
    name = spec[THEORY_KEY]
    if not isinstance(name, str) or name not in families:
        raise SpecError(THEORY_KEY, "one of " + ", ".join(repr(f) for f in families), name)
    return name
