"""Reference numbers measured by running the authors' DisentangleRes scripts (`code`).

panvaf/DisentangleRes 4f7ba78, run here side by side with the toolkit
(benchmarks/evidence_side_by_side_run.py; benchmarks/reproductions/evidence-disentangleres.md
has the commands and the tables): their ``train.py`` as committed (``CE_loss = True``: BCE on
all 22 steps, target 0.5 before the decision step; the RNN of 64 units behind the frozen
encoder) for ``rnn_batches`` batches of 16 at the paper's main settings (D = 2, N_task tasks
with evenly spaced boundaries through the origin, sigma = 0.2, t = 20), then their
``generalize.py`` at its own counts (an Adam decoder, ``decoder_batches`` batches of 16 from
the three training quadrants, tested on 40 batches of 16 after the 99 % update; 4 held-out
quadrants x 5 fits per network), both protocols on each fit's decoder: as published
(``authors-published``: its ``DenoiseQuads(quad_num=<scalar>)`` tests quadrants 2 and 4 on
training quadrants) and with the one-line fix ``quad_num=np.array([q])`` (``authors-fixed``).
Their code ran in a scratch venv (torch 2.13.0 CPU, neurogym 2.3.1, one thread), seeded;
their scores are still not bit-reproducible: neurogym's ``Dataset`` seeds its environments
from OS entropy (rescoring one network moved its fixed-protocol median 0.706 -> 0.719).

``values[k][q][f]`` is the r² of network k (train.py run k) for held-out quadrant q + 1 and
fit f. Produced by benchmarks/evidence_authors_collect.py from the raw outputs committed in
benchmarks/reproductions/evidence-side-by-side-full-budget/ (``raw`` names the file;
tests/test_evidence_authors.py checks the table against them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: The authors' main settings shared by every run below (``code``: train.py's defaults and
#: the paper's Fig. 3a), as the toolkit's setup fields; a setup is compared with a run when
#: these hold and its n_tasks, rnn_batches, decoder_batches and decoder_fits are the run's.
AUTHORS_SETTINGS: dict[str, Any] = {
    "network": "rnn",
    "D": 2,
    "boundaries": "even",
    "sigma": 0.2,
    "t": 20,
    "noise": "isotropic",
    "rnn_loss": "all-steps",
}
#: Decoder fits per network and held-out quadrant in generalize.py (``code``).
AUTHORS_FITS = 5


@dataclass(frozen=True)
class AuthorsProtocolRun:
    """One protocol of the authors' generalize.py on their train.py networks (`code`)."""

    n_tasks: int
    protocol: str  # "authors-published" | "authors-fixed"
    rnn_batches: int
    decoder_batches: int
    values: tuple[tuple[tuple[float, ...], ...], ...]  # networks x 4 quadrants x fits
    raw: str  # the raw output's file name

    def array(self) -> np.ndarray:
        """The r² values, (networks, 4, fits)."""
        return np.asarray(self.values, dtype=float)

    @property
    def networks(self) -> int:
        return len(self.values)

    @property
    def fits(self) -> int:
        return len(self.values[0][0])


def setup_fields(setup: Any) -> dict[str, Any]:
    """The fields of an EVIDENCE setup that :data:`AUTHORS_SETTINGS` names."""
    fields = {key: getattr(setup, key, None) for key in AUTHORS_SETTINGS if key != "D"}
    fields["D"] = int(np.asarray(setup.normals).shape[1])
    return fields


def authors_runs_at_settings(setup: Any) -> tuple[AuthorsProtocolRun, ...]:
    """Every run of the table at the setup's N_task whose shared settings the setup has
    (whatever its batch counts): empty when the setup is not at the authors' settings."""
    fields = setup_fields(setup)
    if any(fields[k] != v for k, v in AUTHORS_SETTINGS.items()):
        return ()
    return tuple(r for r in AUTHORS_PROTOCOL_RUNS if r.n_tasks == setup.n_tasks)


def authors_runs_for(setup: Any) -> tuple[AuthorsProtocolRun, ...]:
    """The runs to set beside the setup's own: its settings, N_task, training and decoder
    batches, and the authors' number of fits."""
    return tuple(
        r
        for r in authors_runs_at_settings(setup)
        if r.rnn_batches == setup.rnn_batches
        and r.decoder_batches == setup.decoder_batches
        and setup.decoder_fits == r.fits
    )


AUTHORS_PROTOCOL_RUNS: tuple[AuthorsProtocolRun, ...] = (
    AuthorsProtocolRun(
        2,
        "authors-fixed",
        100000,
        3000,
        (
            (
                (
                    0.6568177112067615,
                    0.49913345222120187,
                    0.6759667875799722,
                    0.6561555537637188,
                    0.4805561238457172,
                ),
                (
                    0.6664984832717322,
                    0.7162311511537547,
                    0.697038215635116,
                    0.6641167448510499,
                    0.6369982259995579,
                ),
                (
                    0.6373241225806712,
                    0.6450026979677219,
                    0.5948730292003606,
                    0.6451021149961513,
                    0.5771803122093841,
                ),
                (
                    0.7136565392497299,
                    0.7141226427541585,
                    0.6370301862388987,
                    0.7335207287583079,
                    0.6994937939963768,
                ),
            ),
            (
                (
                    0.7422095101516881,
                    0.7086807725792021,
                    0.636324191891374,
                    0.6371118105105622,
                    0.7437842580892535,
                ),
                (
                    0.8080070579491214,
                    0.819990557474261,
                    0.7436922695367738,
                    0.8116038859702925,
                    0.7281857263286766,
                ),
                (
                    0.7488130471749437,
                    0.7378863373174414,
                    0.6375001596679237,
                    0.7013222444044778,
                    0.8166287050471294,
                ),
                (
                    0.6261734686383241,
                    0.6425966501931082,
                    0.6424537076334402,
                    0.6546988830082412,
                    0.7090252403501898,
                ),
            ),
        ),
        "gen_n2_b100000_d3000_f5_fixed1.npz",
    ),
    AuthorsProtocolRun(
        2,
        "authors-published",
        100000,
        3000,
        (
            (
                (
                    0.6685289926738559,
                    0.481054409998946,
                    0.6656646702077906,
                    0.6764923188919989,
                    0.46669120709967915,
                ),
                (
                    0.9115450723333317,
                    0.8968302901206072,
                    0.9104955554550225,
                    0.9102163871013657,
                    0.9060187032444468,
                ),
                (
                    0.6289729809878697,
                    0.6545349449955894,
                    0.5904708342851273,
                    0.6685321953700738,
                    0.6132960054109012,
                ),
                (
                    0.9148932576991724,
                    0.9032223935911191,
                    0.9015787098415589,
                    0.9167208240296716,
                    0.9115564874988443,
                ),
            ),
            (
                (
                    0.7232864462712962,
                    0.7173727344278543,
                    0.6572773425959164,
                    0.6791182628992931,
                    0.7574486282255939,
                ),
                (
                    0.9188161546687881,
                    0.9164967075774958,
                    0.9250037971231139,
                    0.9169657524470272,
                    0.9269507306105662,
                ),
                (
                    0.7384499896108389,
                    0.7215651082589258,
                    0.6620886374710896,
                    0.682100684788392,
                    0.811298495541352,
                ),
                (
                    0.9209551109233999,
                    0.9389630432811935,
                    0.920130794743382,
                    0.9284904601787217,
                    0.9326651079758652,
                ),
            ),
        ),
        "gen_n2_b100000_d3000_f5_fixed0.npz",
    ),
    AuthorsProtocolRun(
        24,
        "authors-fixed",
        100000,
        1000,
        (
            (
                (
                    0.9501020354562174,
                    0.9047039592706191,
                    0.9686999794323725,
                    0.9577123528206473,
                    0.9662360081398991,
                ),
                (
                    0.95554044836053,
                    0.9269204797279212,
                    0.9619771457539433,
                    0.966583565145572,
                    0.9614249820596616,
                ),
                (
                    0.9097274695119969,
                    0.8612020760065349,
                    0.8327323965329212,
                    0.9428379341316947,
                    0.9385721537089644,
                ),
                (
                    0.9201917659987705,
                    0.8182921814367529,
                    0.8429575242008909,
                    0.8126509909435787,
                    0.8244259271710926,
                ),
            ),
        ),
        "gen_n24_b100000_d1000_f5_fixed1.npz",
    ),
    AuthorsProtocolRun(
        24,
        "authors-published",
        100000,
        1000,
        (
            (
                (
                    0.9501393356252982,
                    0.9006677981950058,
                    0.9700288232041872,
                    0.9546870442814783,
                    0.9664729635235795,
                ),
                (
                    0.9638392141826251,
                    0.9620688335868306,
                    0.9589104468195715,
                    0.9683815197005945,
                    0.9683714035446299,
                ),
                (
                    0.9217012277599003,
                    0.8728746275340808,
                    0.8344755510350839,
                    0.9400384352502917,
                    0.9368583545745262,
                ),
                (
                    0.9644347292241395,
                    0.9714500477347137,
                    0.9694731528002671,
                    0.9666303137931024,
                    0.9695699576238587,
                ),
            ),
        ),
        "gen_n24_b100000_d1000_f5_fixed0.npz",
    ),
)
