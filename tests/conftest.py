"""Test configuration: hypothesis profiles.

``ci`` (the default, and what ``.ci/run`` uses) is derandomized, so every run, here and in CI,
draws the same examples; ``dev`` explores more, with fresh randomness: run
``HYPOTHESIS_PROFILE=dev pytest`` when trying to break a theorem.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=25,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
