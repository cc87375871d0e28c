"""Spec validation: every malformed spec is one line naming a key, exit status 2, no traceback."""

import contextlib
import io
import json
import math
import string
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mtl_theory import cli
from mtl_theory.registry import load_registry
from mtl_theory.spec import (
    Boolean,
    Choice,
    Integer,
    IntegerList,
    Real,
    RealList,
    RealMatrix,
    Schema,
    SpecError,
)

REGISTRY = load_registry()

# Values of every JSON/TOML kind, for drawing wrong ones.
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(string.printable, max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


def invalid_values(decl):
    """Values the declaration must reject (drawn from its declared domain, as data)."""
    if isinstance(decl, Integer):
        bad = [
            st.booleans(),
            st.floats(allow_nan=True),
            st.text(max_size=5),
            st.lists(st.integers(), max_size=2),
        ]
        if decl.minimum is not None:
            bad.append(st.integers(max_value=decl.minimum - 1))
        if decl.maximum is not None:
            bad.append(st.integers(min_value=decl.maximum + 1))
        return st.one_of(bad)
    if isinstance(decl, Real):
        bad = [st.booleans(), st.text(max_size=5), st.sampled_from([math.nan, math.inf, -math.inf])]
        if decl.minimum is not None:
            bad.append(
                st.floats(
                    max_value=decl.minimum,
                    exclude_max=not decl.exclusive_minimum,
                    allow_nan=False,
                    allow_infinity=False,
                )
            )
        if decl.maximum is not None:
            bad.append(
                st.floats(
                    min_value=decl.maximum, exclude_min=True, allow_nan=False, allow_infinity=False
                )
            )
        return st.one_of(bad)
    if isinstance(decl, Choice):
        return json_values.filter(lambda v: v not in decl.options)
    if isinstance(decl, Boolean):
        return json_values.filter(lambda v: not isinstance(v, bool))
    if isinstance(decl, (IntegerList, RealList)):
        return st.one_of(
            json_scalars,
            st.lists(st.text(max_size=3), min_size=1, max_size=3),
            st.just([]) if decl.min_length > 0 else st.nothing(),
        )
    if isinstance(decl, RealMatrix):
        return st.one_of(
            json_scalars,
            st.just([]),
            st.just([[1.0], [1.0, 2.0]]),
            st.just([["a"]]),
            st.just([[math.nan]]),
        )
    raise AssertionError(f"no invalid-value strategy for {type(decl).__name__}")


DEMO = Schema(
    "demo",
    {
        "n": Integer(minimum=1, maximum=10),
        "sigma": Real(minimum=0.0, default=0.1),
        "mode": Choice(options=("a", "b"), default="a"),
        "sizes": IntegerList(minimum=1, default=(2, 2)),
        "table": RealMatrix(default=None),
        "flag": Boolean(default=False),
    },
)


def test_demo_schema_fills_defaults_and_converts():
    spec = DEMO.validate({"theory": "demo", "n": 3, "sizes": [1, 2, 3]})
    assert spec == {
        "theory": "demo",
        "n": 3,
        "sigma": 0.1,
        "mode": "a",
        "sizes": (1, 2, 3),
        "table": None,
        "flag": False,
    }


@pytest.mark.parametrize(
    "spec, key, fragment",
    [
        ({"n": 2, "moed": "a"}, "moed", "did you mean 'mode'"),
        ({}, "n", "given nothing"),
        ({"n": True}, "n", "given true"),
        ({"n": 0}, "n", ">= 1"),
        ({"n": 2, "sigma": -0.1}, "sigma", ">= 0"),
        ({"n": 2, "sigma": math.nan}, "sigma", "finite"),
        ({"n": 2, "table": [[1.0, 2.0], [3.0]]}, "table", "equal length"),
    ],
)
def test_demo_schema_errors_name_the_key(spec, key, fragment):
    with pytest.raises(SpecError) as info:
        DEMO.validate({"theory": "demo", **spec})
    assert info.value.key == key
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


@given(data=st.data())
def test_every_declared_field_rejects_wrong_values_naming_the_key(data):
    key = data.draw(st.sampled_from(sorted(DEMO.fields)))
    value = data.draw(invalid_values(DEMO.fields[key]))
    spec = {"theory": "demo", "n": 2, key: value}
    with pytest.raises(SpecError) as info:
        DEMO.validate(spec)
    assert info.value.key == key


def _write(tmp_path, spec, suffix=".json"):
    path = tmp_path / f"spec{suffix}"
    path.write_text(json.dumps(spec, allow_nan=True))
    return path


def run_cli(args, capsys=None):
    """Run the CLI in-process; streams are captured here so hypothesis tests need no fixture."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def check_spec(spec):
    with tempfile.TemporaryDirectory() as tmp:
        return run_cli(["check", _write(Path(tmp), spec)])


@pytest.mark.parametrize(
    "content, suffix, fragment",
    [
        ('theory = "wta', ".toml", "valid TOML"),
        ("[1, 2]", ".json", "a table"),
        ('{"theory": "wta", "factors": NaN}', ".json", "factors: expected"),
        ("{}", ".json", "theory: expected one of"),
        ('{"theory": "nope"}', ".json", "theory: expected one of"),
        ('theory = "wta"', ".yaml", ".toml or .json"),
    ],
)
def test_broken_files_are_one_line_and_exit_2(tmp_path, capsys, content, suffix, fragment):
    path = tmp_path / f"s{suffix}"
    path.write_text(content)
    code, out, err = run_cli(["check", path], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err


def test_missing_file_and_directory(tmp_path, capsys):
    for target in (tmp_path / "absent.toml", tmp_path):
        code, _, err = run_cli(["check", target], capsys)
        assert code == 2 and err.count("\n") == 1


FAMILIES = sorted(REGISTRY.families)


@pytest.mark.skipif(not FAMILIES, reason="no theory family is installed yet")
@pytest.mark.parametrize("family", FAMILIES)
@given(data=st.data())
def test_random_malformed_family_specs_exit_2_naming_the_key(family, data):
    fam = REGISTRY.families[family]
    base = {"theory": family, **fam.suite[0].spec}
    kind = data.draw(st.sampled_from(["unknown", "wrong-value"]))
    if kind == "unknown":
        key = data.draw(
            st.text(string.ascii_lowercase + "_", min_size=1, max_size=10).filter(
                lambda k: k not in fam.schema.fields and k != "theory"
            )
        )
        spec = {**base, key: data.draw(json_values)}
    else:
        key = data.draw(st.sampled_from(sorted(fam.schema.fields)))
        spec = {**base, key: data.draw(invalid_values(fam.schema.fields[key]))}
    code, out, err = check_spec(spec)
    assert code == 2, err
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert f"{key}:" in err


@pytest.mark.skipif(not FAMILIES, reason="no theory family is installed yet")
@pytest.mark.parametrize("family", FAMILIES)
@example(typo_index=0)
@given(typo_index=st.integers(0, 50))
def test_a_misspelt_key_is_named_with_a_suggestion(family, typo_index):
    fam = REGISTRY.families[family]
    keys = sorted(fam.schema.fields)
    key = keys[typo_index % len(keys)]
    if len(key) < 3:
        return
    typo = key[0] + key[2] + key[1] + key[3:]  # swap two letters, as "moduels"
    if typo in fam.schema.fields:
        return
    spec = {"theory": family, **{k: v for k, v in fam.suite[0].spec.items() if k != key}}
    spec[typo] = fam.suite[0].spec.get(key, 1)
    code, _, err = check_spec(spec)
    assert code == 2 and f"{typo}:" in err and f"did you mean {key!r}" in err


@pytest.mark.parametrize(
    "name,text,fragment",
    [
        (
            "dup.json",
            '{"theory": "wta", "factors": [2, 2], "factors": [2, 3], "modules": [2, 2]}',
            "the key 'factors' twice",
        ),
        ("big.json", '{"theory": "evidence", "D": 2, "t": 1' + "0" * 4400 + "}", "reasonable size"),
        (
            "wide.toml",
            'theory = "wta"\nfactors = [8, 8, 8]\nmodules = [3, 3]\ntasks = "sum"\n',
            "about 10^486 codes",
        ),
    ],
)
def test_json_duplicates_huge_integers_and_huge_counts_are_one_line_errors(
    tmp_path, capsys, name, text, fragment
):
    from mtl_theory import cli

    path = tmp_path / name
    path.write_text(text)
    assert cli.main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err and str(path) in err
