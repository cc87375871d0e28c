"""Reference numbers measured by running the authors' Make Haste Slowly scripts (`code`).

CAandL-Lab/make-haste-slowly b7d6e41, each script run unchanged in JAX 0.10.2 (default
float32) with numpy's global generator seeded first (benchmarks/authors_mhs/run_seeded.py;
depth/ scripts take their seed from argv), one run per seed base b = 0 … 4. Their scripts
record the loss ½Σ‖y − ŷ‖² after the update of epoch e at index e, i.e. after e + 1 updates;
the tables below are keyed by the number of updates k (their index k − 1), the convention of
numerics.gdln.ContextRun. Produced by benchmarks/authors_mhs/collect_runs.py; NOTES-gdln.md
has the commands. diff_context_num/gdln5.py imports a module ``replot_debug`` that the
repository lacks; it was run with a one-line shim re-exporting ``replot.plot_outputs``, which
the script re-imports from ``replot`` on its next line anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mtl_theory.theory.gdln import AUTHORS_DATASETS, ContextTask


@dataclass(frozen=True)
class AuthorsRun:
    """One of the authors' training scripts run over several seeds (`code`).

    ``losses[k]``: the loss after k updates, one value per run, in the order of
    ``init_seeds`` (the seed their init drew: numerics.gdln.authors_init_seed(b)), as
    published: JAX float32. ``x64_first[k]``: the first run again with JAX_ENABLE_X64=1
    (same init, float64 arithmetic): the toolkit's float64 run of that init must equal it,
    and |losses[k][0] − x64_first[k]| is what float32 alone changes in their run.
    """

    source: str
    dataset: str  # key of theory.gdln.AUTHORS_DATASETS
    model: str  # "relu" | "reln" | "modular" | "depth-relu" | "depth-gdln"
    init_seeds: tuple[int, ...]
    losses: Mapping[int, tuple[float, ...]]
    x64_first: Mapping[int, float]

    def float32_effect(self, k: int) -> float:
        """|float32 − float64| of their first run after k updates (measured, `code`)."""
        return abs(self.losses[k][0] - self.x64_first[k])


#: ReLU width and init sd of the one-hidden-layer scripts, per dataset (`code`).
AUTHORS_RELU_SIZE: Mapping[str, tuple[int, float]] = {
    "gen_data3-diff": (700, 0.005 / 700),
    "gen_data3-same": (700, 0.005 / 700),
    "diff_context_num-gen_data4": (500, 0.005 / 500),
    "diff_context_num-gen_data5": (600, 0.005 / 600),
}

AUTHORS_RUNS: tuple[AuthorsRun, ...] = (
    AuthorsRun(
        "3_context_diff/relu.py",
        "gen_data3-diff",
        "relu",
        (68268, 98539, 89256, 71530, 83066),
        {
            1000: (
                46.972938537597656,
                47.247711181640625,
                46.79000473022461,
                47.30018997192383,
                47.39599609375,
            ),
            2000: (
                23.069503784179688,
                22.855106353759766,
                22.63705062866211,
                22.91404914855957,
                22.75741195678711,
            ),
            4000: (
                4.402457237243652,
                4.391773223876953,
                4.304221153259277,
                4.355014801025391,
                4.273934364318848,
            ),
            8000: (
                0.03053981438279152,
                0.022952482104301453,
                0.020409490913152695,
                0.022723298519849777,
                0.01599770411849022,
            ),
        },
        {
            1000: 46.97297157933699,
            2000: 23.06446473313655,
            4000: 4.395153812128735,
            8000: 0.03063492206480212,
        },
    ),
    AuthorsRun(
        "3_context_diff/gdln.py",
        "gen_data3-diff",
        "reln",
        (68268, 98539, 89256, 71530, 83066),
        {
            1000: (
                48.803565979003906,
                48.581085205078125,
                48.743446350097656,
                49.132293701171875,
                48.831321716308594,
            ),
            2000: (
                22.768014907836914,
                22.75012969970703,
                22.434362411499023,
                22.3590087890625,
                22.456878662109375,
            ),
            4000: (
                4.695493698120117,
                4.738255023956299,
                4.757547855377197,
                4.741082668304443,
                4.692380905151367,
            ),
            8000: (
                0.02333284728229046,
                0.03469027951359749,
                0.029365453869104385,
                0.035757891833782196,
                0.027489766478538513,
            ),
        },
        {
            1000: 48.80354594907702,
            2000: 22.768000121409358,
            4000: 4.6955027589891944,
            8000: 0.023332776250404134,
        },
    ),
    AuthorsRun(
        "3_context_diff/gdln_single.py",
        "gen_data3-diff",
        "modular",
        (68268, 98539, 89256, 71530, 83066),
        {
            1000: (
                48.8673095703125,
                48.64689636230469,
                48.82101821899414,
                49.205101013183594,
                48.90243148803711,
            ),
            2000: (
                24.909183502197266,
                24.86041259765625,
                24.83976936340332,
                24.89877700805664,
                24.88893699645996,
            ),
            4000: (
                8.005448341369629,
                8.012956619262695,
                7.915292739868164,
                7.880728721618652,
                8.015388488769531,
            ),
            8000: (
                2.7914276123046875,
                2.766420364379883,
                2.7559030055999756,
                2.7827930450439453,
                2.769680976867676,
            ),
        },
        {
            1000: 48.86733081328587,
            2000: 24.909161760685798,
            4000: 8.00545065211108,
            8000: 2.7914384518167683,
        },
    ),
    AuthorsRun(
        "diff_context_num/relu3.py",
        "gen_data3-same",
        "relu",
        (68268, 98539, 89256, 71530, 83066),
        {
            1000: (
                47.30525207519531,
                47.56325912475586,
                47.17872619628906,
                47.596702575683594,
                47.716102600097656,
            ),
            2000: (
                24.033143997192383,
                24.035554885864258,
                23.994029998779297,
                24.144302368164062,
                24.04697036743164,
            ),
            4000: (
                6.189672946929932,
                5.936445236206055,
                5.758359432220459,
                6.285514831542969,
                6.225942611694336,
            ),
            8000: (
                0.08996245265007019,
                0.14701300859451294,
                0.12233841419219971,
                0.14489445090293884,
                0.0946701169013977,
            ),
        },
        {
            1000: 47.3052678753246,
            2000: 24.03321314357405,
            4000: 6.189506851581812,
            8000: 0.08987441972566912,
        },
    ),
    AuthorsRun(
        "diff_context_num/relu4.py",
        "diff_context_num-gen_data4",
        "relu",
        (68268, 98539, 89256, 71530, 83066),
        {
            1000: (
                49.83769226074219,
                49.773075103759766,
                49.79423141479492,
                49.87030029296875,
                49.836036682128906,
            ),
            2000: (
                26.16802978515625,
                25.22540283203125,
                25.69657325744629,
                26.396337509155273,
                26.213733673095703,
            ),
            4000: (
                4.855059623718262,
                4.841928958892822,
                5.1927313804626465,
                5.0634565353393555,
                4.898517608642578,
            ),
            8000: (
                0.00619971938431263,
                0.006443176418542862,
                0.010093312710523605,
                0.008086119778454304,
                0.006472670007497072,
            ),
        },
        {
            1000: 49.83769313433575,
            2000: 26.167743718575267,
            4000: 4.854177429846841,
            8000: 0.006190287206547976,
        },
    ),
    AuthorsRun(
        "diff_context_num/relu5.py",
        "diff_context_num-gen_data5",
        "relu",
        (68268, 98539, 89256, 71530, 83066),
        {
            1000: (
                54.1174430847168,
                54.59043884277344,
                54.04847717285156,
                54.78443145751953,
                54.61717987060547,
            ),
            2000: (
                21.140350341796875,
                21.55604362487793,
                21.559587478637695,
                21.15598487854004,
                21.326047897338867,
            ),
            4000: (
                4.713567733764648,
                4.60177755355835,
                4.7989726066589355,
                4.691163063049316,
                4.525312423706055,
            ),
            8000: (
                0.0017927039880305529,
                0.001798871555365622,
                0.0012980465544387698,
                0.0016795543488115072,
                0.0011602563317865133,
            ),
        },
        {
            1000: 54.117377312019656,
            2000: 21.14032133362405,
            4000: 4.713735637382678,
            8000: 0.0017954335727111417,
        },
    ),
    AuthorsRun(
        "diff_context_num/gdln3.py",
        "gen_data3-same",
        "reln",
        (68268, 98539, 89256, 71530, 83066),
        {
            1000: (
                49.60490798950195,
                49.31291198730469,
                49.637237548828125,
                49.8902587890625,
                49.5623779296875,
            ),
            2000: (
                22.84671974182129,
                22.96314239501953,
                22.52334213256836,
                22.520305633544922,
                22.682018280029297,
            ),
            4000: (
                4.002084732055664,
                4.085493087768555,
                4.038453102111816,
                4.038797378540039,
                3.932992458343506,
            ),
            8000: (
                0.004986162763088942,
                0.006457424722611904,
                0.00531886937096715,
                0.006062161177396774,
                0.005008930340409279,
            ),
        },
        {
            1000: 49.604890180851555,
            2000: 22.846724884931824,
            4000: 4.002087537555861,
            8000: 0.004986225338475654,
        },
    ),
    AuthorsRun(
        "diff_context_num/gdln4.py",
        "diff_context_num-gen_data4",
        "reln",
        (68268, 98539, 89256, 71530, 83066),
        {
            1000: (
                49.92762756347656,
                49.90396499633789,
                49.83799743652344,
                49.918601989746094,
                49.88677215576172,
            ),
            2000: (
                24.3727970123291,
                23.49566650390625,
                24.106279373168945,
                24.18557357788086,
                23.692867279052734,
            ),
            4000: (
                4.737221717834473,
                4.8644304275512695,
                4.907684326171875,
                4.8566131591796875,
                4.793974876403809,
            ),
            8000: (
                0.00036286754766479135,
                0.0004887447576038539,
                0.0004905281821265817,
                0.0004825271316803992,
                0.0003968706587329507,
            ),
        },
        {
            1000: 49.92764097641249,
            2000: 24.372844863267403,
            4000: 4.737224253922438,
            8000: 0.0003628642432013119,
        },
    ),
    AuthorsRun(
        "diff_context_num/gdln5.py",
        "diff_context_num-gen_data5",
        "reln",
        (68268, 98539, 89256, 71530, 83066),
        {
            1000: (
                54.742950439453125,
                55.4515380859375,
                55.14232635498047,
                55.760013580322266,
                56.095420837402344,
            ),
            2000: (
                18.598669052124023,
                18.7996768951416,
                18.472938537597656,
                18.530000686645508,
                18.15924072265625,
            ),
            4000: (
                4.2200188636779785,
                4.1110711097717285,
                4.494224548339844,
                4.352160930633545,
                4.420419216156006,
            ),
            8000: (
                3.745250069187023e-05,
                3.477956852293573e-05,
                4.9212310841539875e-05,
                4.433039066498168e-05,
                4.423251812113449e-05,
            ),
        },
        {
            1000: 54.74289045501126,
            2000: 18.59868217289119,
            4000: 4.219995890229907,
            8000: 3.744900239914738e-05,
        },
    ),
)


def runs_for(task: ContextTask, hidden, init_std: float, lr: float) -> dict[str, AuthorsRun]:
    """The authors' one-hidden-layer runs on exactly this setup, by model, or {}."""
    for key, size in AUTHORS_RELU_SIZE.items():
        ds = AUTHORS_DATASETS[key]
        same_task = (task.n_contexts, task.structures, task.context_scale, task.n_items) == (
            ds.n_contexts,
            ds.structures,
            ds.context_scale,
            8,
        )
        if same_task and tuple(hidden) == (size[0],) and init_std == size[1] and lr == 1e-3:
            return {
                r.model: r for r in AUTHORS_RUNS if r.dataset == key and not r.model[:5] == "depth"
            }
    return {}


def depth_runs() -> dict[str, AuthorsRun]:
    """The authors' depth/relu.py and depth/gdln_off.py runs, by model."""
    return {r.model: r for r in AUTHORS_RUNS if r.model.startswith("depth")}
