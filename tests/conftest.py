"""Test configuration: hypothesis profiles.

``ci`` (the default, and what ``.ci/run`` uses) is derandomized, so every run, here and in CI,
draws the same examples; ``dev`` explores ten times as many, with fresh randomness: run
``HYPOTHESIS_PROFILE=dev pytest`` when trying to break a theorem. The profiles alone set
``max_examples``: no test pins its own (costly tests take a share of the profile's budget,
tests/budget.py), so ``dev`` explores more everywhere.
"""

import os

from hypothesis import HealthCheck, settings

CI_EXAMPLES = 25
DEV_FACTOR = 10

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=CI_EXAMPLES,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    # explicit: with CI=true in the environment hypothesis's own defaults derandomize, and a
    # profile inherits them
    derandomize=False,
    max_examples=DEV_FACTOR * CI_EXAMPLES,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
