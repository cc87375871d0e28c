"""``phase``'s plan (estimated cost before work), ``--plan``, ``--paper-budget`` and ``--dask``."""

import pytest
import toy_family
from test_reliability_io import run, toy  # noqa: F401  (the toy registry fixture)

from mtl_theory import api


@pytest.mark.usefixtures("toy")
def test_phase_prints_the_plan_before_the_points_and_the_ratio_after(tmp_path, capsys):
    code, out, _ = run(["phase", "toy-map", "--out", tmp_path, "--workers", "2"], capsys)
    lines = out.splitlines()
    assert code == 0
    plan = next(i for i, line in enumerate(lines) if "plan: 6 point(s)" in line)
    assert "estimated 6 s of one core" in lines[plan]  # ToyCost: work = 1 s per point
    assert "about 3 s wall on 2 worker(s)" in lines[plan]
    assert any("observed/estimated" in line for line in lines[plan + 1 :])


@pytest.mark.usefixtures("toy")
def test_plan_only_computes_nothing_and_lists_every_point(tmp_path, capsys):
    code, out, _ = run(["phase", "toy-map", "--out", tmp_path / "f", "--plan"], capsys)
    assert code == 0
    assert "plan: 6 point(s)" in out and out.count('{"x": ') == 6
    assert not (tmp_path / "f").exists()


@pytest.mark.usefixtures("toy")
def test_paper_budget_runs_its_own_grid_into_its_own_files(tmp_path, capsys):
    code, out, _ = run(["phase", "toy-map", "--out", tmp_path, "--paper-budget"], capsys)
    assert code == 0
    assert (tmp_path / "toy-map-paper.csv").exists() and not (tmp_path / "toy-map.csv").exists()
    rows = (tmp_path / "toy-map-paper.csv").read_text().splitlines()
    assert len(rows) == 1 + 4 and "estimated 8 s of one core" in out  # 4 points of work 2


def test_paper_budget_of_a_diagram_without_one_is_one_line(tmp_path, capsys, monkeypatch):
    registry = toy_family.make_registry(0.0)
    family = registry.families["toy"]
    import dataclasses

    plain = dataclasses.replace(family.diagrams[0], paper_points=None)
    monkeypatch.setattr(
        api,
        "_REGISTRY",
        dataclasses.replace(
            registry, families={"toy": dataclasses.replace(family, diagrams=(plain,))}
        ),
    )
    code, _, err = run(["phase", "toy-map", "--out", tmp_path, "--paper-budget"], capsys)
    assert code == 2 and err.count("\n") == 1 and "--paper-budget" in err


@pytest.mark.usefixtures("toy")
def test_phase_on_a_dask_local_cluster_gives_the_local_csv(tmp_path, capsys):
    distributed = pytest.importorskip(
        "distributed", reason="the optional [dask] extra is not installed"
    )
    assert run(["phase", "toy-map", "--out", tmp_path / "local"], capsys)[0] == 0
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        code, out, _ = run(
            ["phase", "toy-map", "--out", tmp_path / "dask", "--dask", cluster.scheduler_address],
            capsys,
        )
    assert code == 0 and "on 2 worker(s)" in out
    local = (tmp_path / "local" / "toy-map.csv").read_text()
    assert (tmp_path / "dask" / "toy-map.csv").read_text() == local
