"""The command line's contract under hostile specs (issue 14 item 5): exit 0, 1 or 2; one
line on stderr for 2; no traceback; strict JSON; an answer within a time bound.

Drives the real entry point (``mtl_theory.cli.main``) in-process on mutated examples/;
benchmarks/fuzz.py runs the same mutations at scale and counts the outcomes.
"""

from __future__ import annotations

import random

from budget import share
from fuzz_support import EXAMPLES, GOOD, mutate, run_contract, write_spec
from hypothesis import example, given, settings
from hypothesis import strategies as st


@settings(max_examples=share(1))
@given(
    name=st.sampled_from(sorted(EXAMPLES)),
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 4),
)
@example(name="evidence-random-d5.toml", seed=0, n=1)
def test_hostile_specs_keep_the_contract(tmp_path_factory, name, seed, n):
    text = mutate(random.Random(seed), EXAMPLES[name], n)
    path = tmp_path_factory.mktemp("fuzz") / "spec.json"
    write_spec(path, text)
    outcome = run_contract(path, seconds=120)
    assert outcome.kind in GOOD, (outcome, text[:300])
