"""The authors' closed-form loss curves, reproduced (make-haste-slowly b7d6e41).

Reference numbers: th.AUTHORS_CLOSED_FORMS[...].saved, the losses/closed*.txt that
3_context_diff/closed.py and diff_context_num/closed3/4/5.py write when run as published
(float32; deterministic). Tolerance at each epoch (derived, theory.gdln.ClosedFormCurve):
the rigorous bound on what the authors' arbitrary null-mode singular vectors can change, plus
float32 rounding at Weyl's scale, max(shape)·ε₃₂·s_max/s_min, relative.
"""

import numpy as np
import pytest
from mtl_theory.theory import gdln as th

CASES = {cf.source: cf for cf in th.AUTHORS_CLOSED_FORMS}


def _curve(cf):
    task = th.AUTHORS_DATASETS[cf.dataset].task()
    epochs = np.array(sorted(cf.saved))
    return epochs, np.array([cf.saved[e] for e in epochs]), th.authors_closed_form(task, epochs)


@pytest.mark.parametrize("source", sorted(CASES))
def test_closed_form_equals_authors_within_derived_tolerance(source):
    _, ref, c = _curve(CASES[source])
    tol = c.null_mode_bound + c.rounding_scale * ref
    assert np.all(np.abs(c.loss - ref) <= tol), (c.loss, ref, tol)


@pytest.mark.parametrize("source", sorted(CASES))
def test_closed_form_within_a_tenth_of_a_percent_where_it_is_determined(source):
    """0.1 % at every checkpoint where the curve is determined to better than that; the only
    checkpoint where it is not is closed5.py at epoch 8000 (loss 3e-5, null-mode bound 4.5e-6:
    the authors' own number there depends on which arbitrary null vectors LAPACK returns)."""
    epochs, ref, c = _curve(CASES[source])
    determined = c.null_mode_bound < 1e-3 * ref
    rel = np.abs(c.loss - ref) / ref
    assert np.all(rel[determined] <= 1e-3), dict(zip(epochs, rel, strict=True))
    undetermined = {int(e) for e in epochs[~determined]}
    assert undetermined == ({8000} if source == "diff_context_num/closed5.py" else set())


def test_different_structures_closed_form_to_float32_precision():
    """closed.py (3 contexts, different structures) has no null mode that reaches the
    outputs: ours equals theirs to 1e-6 relative (≈ 8 ε₃₂) at every checkpoint."""
    _, ref, c = _curve(CASES["3_context_diff/closed.py"])
    assert np.all(c.null_mode_bound < 1e-20)
    assert np.all(np.abs(c.loss - ref) <= 1e-6 * ref)


def test_residual_is_taken_at_the_runs_final_epoch():
    """The context pathways fit the common pathway's residual at epoch n_epochs − 1 = 8000
    whatever epochs are asked for (our earlier version used the last REQUESTED epoch)."""
    cf = CASES["3_context_diff/closed.py"]
    task = th.AUTHORS_DATASETS[cf.dataset].task()
    alone = th.authors_closed_form_loss(task, np.array([1000]))
    within = th.authors_closed_form_loss(task, np.array([0, 1000, 8000]))
    assert alone[0] == pytest.approx(within[1], rel=1e-13)


def test_closed_form_needs_a_matching_script():
    with pytest.raises(ValueError, match="no closed-form script"):
        th.authors_closed_form(th.context_task(4, "same"), [0])  # unscaled gen_data4: no script
    cf = CASES["diff_context_num/closed4.py"]
    other = th.authors_closed_form(th.context_task(4, "same"), [0, 8000], cf)
    assert np.all(np.isfinite(other.loss))
