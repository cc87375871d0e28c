"""The Python API (issue 11): every way in gives the same result the command line gives."""

import json
from pathlib import Path

import pytest
import toy_family

import mtl_theory
from mtl_theory import api
from mtl_theory.report import run_verify

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "wta-theorem-applies.toml"


def _without_timings(data):
    """A report's JSON without wall-clock and CPU times (the only fields allowed to differ)."""
    if isinstance(data, dict):
        return {
            k: _without_timings(v) for k, v in data.items() if k not in ("seconds", "cpu_seconds")
        }
    if isinstance(data, list):
        return [_without_timings(v) for v in data]
    return data


def test_every_way_in_gives_the_same_check():
    """Path, mapping, loaded spec and setup dataclass: one result, one JSON."""
    import tomllib

    mapping = tomllib.loads(EXAMPLE.read_text())
    loaded = mtl_theory.load_spec(EXAMPLE)
    assert loaded.theory == "wta" and loaded.source == str(EXAMPLE)
    results = [
        mtl_theory.check(EXAMPLE),
        mtl_theory.check(str(EXAMPLE)),
        mtl_theory.check(mapping),
        mtl_theory.check(loaded),
        mtl_theory.check(loaded.setup),
    ]
    first = json.dumps(results[0].to_json(), sort_keys=True)
    assert all(json.dumps(r.to_json(), sort_keys=True) == first for r in results)
    assert all(isinstance(r, mtl_theory.CheckResult) for r in results)
    assert isinstance(results[0], mtl_theory.theory.model.CheckResult)  # still the model's type


def test_check_renders_in_a_notebook_and_matches_the_cli_text():
    from mtl_theory.render import render_check

    result = mtl_theory.check(EXAMPLE)
    md = result._repr_markdown_()
    assert "| hypothesis | status | reason |" in md and "WTA-1" in md
    assert str(result) == render_check(result)


def test_bad_input_raises_one_line_value_errors():
    with pytest.raises(mtl_theory.UsageError, match=r"^seed: expected an integer >= 0, given -1$"):
        mtl_theory.check(EXAMPLE, seed=-1)
    with pytest.raises(mtl_theory.UsageError, match="given int"):
        mtl_theory.check(3)
    with pytest.raises(mtl_theory.SpecError, match="--method"):
        mtl_theory.check(EXAMPLE, method="nonsense")
    with pytest.raises(mtl_theory.SpecError, match="factors"):
        mtl_theory.check({"theory": "wta", "factors": "x", "modules": [2]})
    with pytest.raises(mtl_theory.SpecError, match=r"nowhere\.toml"):
        mtl_theory.check(ROOT / "nowhere.toml")
    for exc in (mtl_theory.UsageError, mtl_theory.SpecError):
        assert issubclass(exc, ValueError)


def test_theories_list_what_the_cli_lists():
    found = mtl_theory.theories()
    assert found.names() == ("wta", "evidence", "gdln")
    wta = found[0]
    assert "WTA-1" in {s.id for s in wta.statements}
    assert "auto" in wta.methods and "milp" in wta.methods
    assert "**wta**" in found._repr_markdown_()


def test_parallel_verify_equals_one_process(monkeypatch, tmp_path):
    """The quick suite in 2 processes gives the same report as in 1, timings aside, and the
    same figures byte for byte (with 2 a family's are drawn as soon as its cases are done);
    with 2, this process computes some items and its one worker the others."""
    import mtl_theory.report as report_module

    reg = api.registry()
    one = run_verify(reg, quick=True, out_dir=tmp_path / "one", workers=1)
    here = []
    run_here = report_module._run_work

    def counted(family, work):
        here.append(work)
        return run_here(family, work)

    monkeypatch.setattr(report_module, "_run_work", counted)  # the worker keeps its own
    two = run_verify(reg, quick=True, out_dir=tmp_path / "two", workers=2)
    items = len(one.derivations) + len(one.cases)
    assert 0 < len(here) < items
    assert one.agrees and two.agrees
    json_one = json.dumps(_without_timings(one.to_json())).replace(str(tmp_path / "one"), "<out>")
    json_two = json.dumps(_without_timings(two.to_json())).replace(str(tmp_path / "two"), "<out>")
    assert json_one == json_two
    figures = [p for paths in one.figures.values() for p in paths]
    assert list(one.figures) == list(reg.families) and figures
    for path in figures:
        twin = tmp_path / "two" / path.relative_to(tmp_path / "one")
        assert path.read_bytes() == twin.read_bytes(), path.name
    assert "| theory | kind | name |" in two._repr_markdown_()
    # the profile of verify: every item's CPU seconds (its process and children), also
    # when it ran in a worker, and the sum of them
    for report in (one, two):
        data = report.to_json()
        items = data["derivations"] + data["checks"]
        assert all(item["cpu_seconds"] >= 0.0 for item in items)
        assert data["cpu_seconds"] == round(report.cpu_seconds, 3) > 0.0


def test_a_custom_registry_runs_in_one_process(monkeypatch):
    """A family that a worker cannot import (a test's toy) runs here, and says so."""
    lines = []
    report = run_verify(
        toy_family.make_registry(), quick=True, out_dir=None, workers=2, log=lines.append
    )
    assert report.agrees
    assert any("running in one process" in line for line in lines)


def test_phase_from_python_renders_its_figures(tmp_path, monkeypatch):
    monkeypatch.setattr(api, "_REGISTRY", toy_family.make_registry())
    run = mtl_theory.phase("toy-map", out=tmp_path)
    (out,) = list(run)
    assert out.n_points == 6 and Path(out.png).is_file()
    assert run.index == tmp_path / "README.md"
    assert "data:image/png;base64," in run._repr_html_()
    with pytest.raises(mtl_theory.UsageError, match="did you mean 'toy-map'"):
        mtl_theory.phase("toy-mop", out=tmp_path)
    with pytest.raises(mtl_theory.UsageError, match="workers"):
        mtl_theory.phase("toy-map", out=tmp_path, workers=0)


def test_check_runs_with_one_blas_thread(monkeypatch):
    """check computes with the single-threaded products a phase worker uses."""
    from threadpoolctl import threadpool_info

    seen = []
    family = api.registry().families["wta"]

    def spy(setup, options):
        seen.extend(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
        return family.check(setup, options)

    import dataclasses

    from mtl_theory.registry import Registry

    monkeypatch.setattr(api, "_REGISTRY", Registry({"wta": dataclasses.replace(family, check=spy)}))
    mtl_theory.check(EXAMPLE)
    assert seen and set(seen) == {1}
