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
        3,
        "authors-fixed",
        100000,
        3000,
        (
            (
                (
                    0.8523259346453986,
                    0.8409661397797819,
                    0.8124172327007508,
                    0.808675767844273,
                    0.7697950485931109,
                ),
                (
                    0.5365103761825565,
                    0.5180356191963793,
                    0.5003414103426642,
                    0.574195066919591,
                    0.7064878482328001,
                ),
                (
                    0.8588740111931331,
                    0.6569825778001228,
                    0.7784788250185427,
                    0.7068097975696721,
                    0.7690695082251278,
                ),
                (
                    0.5615572449420263,
                    0.8101675802014633,
                    0.5861860903818131,
                    0.6770826960023452,
                    0.8449311601170421,
                ),
            ),
            (
                (
                    0.8214182741035492,
                    0.9636260069941552,
                    0.9623356248840115,
                    0.9132119680290984,
                    0.9610778882983263,
                ),
                (
                    0.8726425148697237,
                    0.873249418256611,
                    0.9279453047717454,
                    0.7740715342245402,
                    0.8725697176923605,
                ),
                (
                    0.7371727451736885,
                    0.7069026371137768,
                    0.7603245005290167,
                    0.7872661480955203,
                    0.752875811253399,
                ),
                (
                    0.9000647442617825,
                    0.8433844069147942,
                    0.8466624101643858,
                    0.8827916370211395,
                    0.8935775755408567,
                ),
            ),
        ),
        "gen_n3_b100000_d3000_f5_fixed1.npz",
    ),
    AuthorsProtocolRun(
        3,
        "authors-published",
        100000,
        3000,
        (
            (
                (
                    0.8610935499527423,
                    0.840910697039063,
                    0.8049905599148091,
                    0.8139895268155406,
                    0.7940022124515059,
                ),
                (
                    0.9336172220635391,
                    0.9475262174889659,
                    0.9415123252234141,
                    0.9329672448756748,
                    0.9383037174139257,
                ),
                (
                    0.8575543602010075,
                    0.6627368896296474,
                    0.7694905652252523,
                    0.6871524182601425,
                    0.764355124205828,
                ),
                (
                    0.9280114434666686,
                    0.9389172737066347,
                    0.92323615162056,
                    0.9269296408284355,
                    0.9358898056179299,
                ),
            ),
            (
                (
                    0.8324725260438002,
                    0.963596186026946,
                    0.9643030196283086,
                    0.9187592144386239,
                    0.9589277143074186,
                ),
                (
                    0.9514091611557473,
                    0.9323723591015665,
                    0.946583919538102,
                    0.8951486427995855,
                    0.9522657464808971,
                ),
                (
                    0.7192973854459528,
                    0.7274565136067668,
                    0.7867053410368146,
                    0.7570747149688274,
                    0.7374335747722504,
                ),
                (
                    0.9445322871836732,
                    0.9509399556318482,
                    0.9308904062058116,
                    0.9492980708953092,
                    0.9442635555167549,
                ),
            ),
        ),
        "gen_n3_b100000_d3000_f5_fixed0.npz",
    ),
    AuthorsProtocolRun(
        12,
        "authors-fixed",
        100000,
        1000,
        (
            (
                (
                    0.9145163342542411,
                    0.8967092884056433,
                    0.9609634285925472,
                    0.9549743305385974,
                    0.9364989283502765,
                ),
                (
                    0.7655574847181891,
                    0.4556187603589803,
                    0.8060140953526299,
                    0.8665426764023153,
                    0.9079770016170977,
                ),
                (
                    0.9302173769846765,
                    0.9376062109952373,
                    0.7871592686259458,
                    0.8810051328616604,
                    0.9563546813928556,
                ),
                (
                    0.8859255841093021,
                    0.8457940833358317,
                    0.939901099191571,
                    0.936528791205424,
                    0.9263231912509796,
                ),
            ),
            (
                (
                    0.9428530261870054,
                    0.9068234298670825,
                    0.9229383088417615,
                    0.879244310533547,
                    0.6653609881701805,
                ),
                (
                    0.9391213058064254,
                    0.8720530953945642,
                    0.9414722358437839,
                    0.7814850126271281,
                    0.9351957008108072,
                ),
                (
                    0.8740281084073859,
                    0.6937939645766658,
                    0.8669461328690102,
                    0.8183680237317448,
                    0.8649975451798287,
                ),
                (
                    0.910753726477364,
                    0.6555501164876101,
                    0.7977174842920054,
                    0.9111587953366878,
                    0.7993368863499601,
                ),
            ),
        ),
        "gen_n12_b100000_d1000_f5_fixed1.npz",
    ),
    AuthorsProtocolRun(
        12,
        "authors-published",
        100000,
        1000,
        (
            (
                (
                    0.9175693940984538,
                    0.9035364835143127,
                    0.9625839167760922,
                    0.9595297652077036,
                    0.937691382276707,
                ),
                (
                    0.9699385910171213,
                    0.9677520746406396,
                    0.9678890272395557,
                    0.968300257342241,
                    0.9689752424072162,
                ),
                (
                    0.9302908024337316,
                    0.9371131715616854,
                    0.7886025615778786,
                    0.8819542274728392,
                    0.9566237102227027,
                ),
                (
                    0.9745973783741636,
                    0.9708422363110734,
                    0.9683203674614179,
                    0.9716049428132213,
                    0.969061930905361,
                ),
            ),
            (
                (
                    0.9389326894603587,
                    0.8923955334761337,
                    0.9261470541520302,
                    0.8968904922244856,
                    0.6624490518710939,
                ),
                (
                    0.970603151515864,
                    0.9657554734820646,
                    0.9673230410360103,
                    0.9676969173761264,
                    0.9671162600792338,
                ),
                (
                    0.8659360920558936,
                    0.7079658656448511,
                    0.8725660489968001,
                    0.8047949249761124,
                    0.8747853170985561,
                ),
                (
                    0.973435988199474,
                    0.9662491595522438,
                    0.9602507650470429,
                    0.971414386557273,
                    0.9675886295350572,
                ),
            ),
        ),
        "gen_n12_b100000_d1000_f5_fixed0.npz",
    ),
    AuthorsProtocolRun(
        24,
        "authors-fixed",
        100000,
        1000,
        (
            (
                (
                    0.9652155818691237,
                    0.9124275073062349,
                    0.94738682230378,
                    0.9475989353048585,
                    0.9102244370954378,
                ),
                (
                    0.9186291811861923,
                    0.936982703864994,
                    0.9485668002296526,
                    0.9585032738428036,
                    0.9563695711151478,
                ),
                (
                    0.8997083746216596,
                    0.8429414200483744,
                    0.869177556500552,
                    0.9399369799639035,
                    0.9341188631958183,
                ),
                (
                    0.9280895203219439,
                    0.8287958529507029,
                    0.8929495296934541,
                    0.8666761324832045,
                    0.8954761214563735,
                ),
            ),
            (
                (
                    0.7868820294214116,
                    0.721199345199668,
                    0.7986142372994065,
                    0.8568022435565158,
                    0.8680430668204993,
                ),
                (
                    0.9195328995963414,
                    0.8650705396436837,
                    0.9315470899747577,
                    0.8657133881236665,
                    0.9411062091651048,
                ),
                (
                    0.9565109444554675,
                    0.9618365359171721,
                    0.863441307419027,
                    0.9431522375521354,
                    0.907162088064246,
                ),
                (
                    0.8942251974853036,
                    0.8344753742014505,
                    0.830260479640823,
                    0.9548070679995951,
                    0.9166640052974032,
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
                    0.9653295172350488,
                    0.9074106139738117,
                    0.9475680445745887,
                    0.9482246148307475,
                    0.9057108596287501,
                ),
                (
                    0.9669161143392978,
                    0.9671837084975865,
                    0.9585791340688185,
                    0.9700051176418141,
                    0.970323554885406,
                ),
                (
                    0.9067626226167419,
                    0.8295081916288982,
                    0.8639255299352294,
                    0.9455454157205089,
                    0.9329818243890532,
                ),
                (
                    0.9675652742785258,
                    0.9665582827687772,
                    0.9473121836505223,
                    0.9605430298162936,
                    0.9710340277367189,
                ),
            ),
            (
                (
                    0.8050481884978722,
                    0.7465946714497109,
                    0.8060989641873343,
                    0.8365419740968298,
                    0.8605861516301384,
                ),
                (
                    0.9665500246022614,
                    0.9656034423754349,
                    0.9730009049026355,
                    0.9614753743058477,
                    0.9733223319316057,
                ),
                (
                    0.9565549378085982,
                    0.9597946435858467,
                    0.8657039725309081,
                    0.9426347536736002,
                    0.9067825415040286,
                ),
                (
                    0.9679759346873249,
                    0.9593657655668884,
                    0.9725937892860153,
                    0.9622905956265969,
                    0.9714482134148446,
                ),
            ),
        ),
        "gen_n24_b100000_d1000_f5_fixed0.npz",
    ),
)
