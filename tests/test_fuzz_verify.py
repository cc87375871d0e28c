"""``check --verify`` on valid-but-extreme specs keeps the command line's contract (issue 14).

Each example is a spec the schema accepts with one to three keys at an end of their domain
(``fuzz_support.edge_spec``: the generator of ``benchmarks/fuzz_verify.py``, which runs it at
scale). Run in-process with ``--verify --json --time-budget 15``, so a spec whose route is
estimated beyond 15 s is refused in one line before it starts (the cost estimate is part of
what is tested): exit 0, 1 or 2, one line on stderr for 2, no traceback, strict JSON, and an
answer within 240 s (16x the budget: an estimate that far off is an unannounced runaway).
Exit 1 is allowed by the contract; whether a finding is real is the business of
``tests/test_verdicts.py`` and of the pinned cases of ``tests/test_reliability_*.py``.
"""

from __future__ import annotations

import json
import random

from benchmark_scripts import load_benchmark
from budget import share
from fuzz_support import GOOD, edge_spec, run_contract
from hypothesis import example, given, settings
from hypothesis import strategies as st

#: The route's time budget (s) given to every example: larger routes are refused.
TIME_BUDGET = "15"


@settings(max_examples=share(1))
@given(theory=st.sampled_from(("gdln", "evidence", "wta")), seed=st.integers(0, 2**32 - 1))
# Eq. 7's power-sized sample at sigma = 1e-3 (2e8 trials at t = 1): was held in full
# (> 14 GiB) and estimated at 2 s; now streamed and estimated (~20 s: refused at 15 s)
@example(theory="evidence", seed=-1)
def test_valid_extreme_specs_keep_the_contract_under_verify(tmp_path_factory, theory, seed):
    if seed == -1:
        spec = {"theory": "evidence", "D": 2, "n_tasks": 4, "sigma": 1e-3, "t": 1}
    else:
        spec = edge_spec(random.Random(seed), theory)
    path = tmp_path_factory.mktemp("fuzz-verify") / "spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    outcome = run_contract(path, seconds=240, extra=("--verify", "--time-budget", TIME_BUDGET))
    assert outcome.kind in GOOD, (outcome, spec)


def test_model_filter_keeps_the_unfiltered_indices():
    """``--models`` / ``--indices`` select from the full draw: index i is the i-th spec of the
    unfiltered seed's list (comparable across passes), and a typo is refused, not empty."""
    import pytest

    script = load_benchmark("fuzz_verify")
    rng = random.Random(2)
    drawn = [edge_spec(rng) for _ in range(60)]
    kept = script.select(drawn, ["wta", "gdln/gated"], None)
    assert kept, "seed 2's first 60 specs hold WTA and gated specs"
    assert [i for i, _ in kept] == [
        i for i, s in enumerate(drawn) if script._model(s) in ("wta", "gdln/gated")
    ]
    assert all(drawn[i] is s for i, s in kept)
    both = script.select(drawn, ["wta"], [kept[0][0], kept[-1][0]])
    assert [i for i, _ in both] == [
        i for i in (kept[0][0], kept[-1][0]) if drawn[i]["theory"] == "wta"
    ]
    with pytest.raises(ValueError, match="--models"):
        script.select(drawn, ["gdln/gatd"], None)
    with pytest.raises(ValueError, match="--indices"):
        script.select(drawn, None, [60])
