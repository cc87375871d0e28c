"""EVIDENCE side by side in one command: the authors' train.py + generalize.py and our check.

For each N_task asked, this

1. trains ``--networks`` RNNs with the authors' ``train.py`` (panvaf/DisentangleRes, read from
   ``--authors-git``; 4f7ba78 was used) at ``--batches`` batches, run = 0 … networks − 1;
2. scores them with the authors' ``generalize.py`` at their decoder batch counts (3e3/3e3/2e3/
   1e3/1e3 for N_task = 2/3/6/12/24) and 4 quadrants × 5 fits, **both protocols in one pass**:
   every fit's decoder is tested on 40 batches of the published "held-out" quadrant
   (``quad_num=<scalar>``, the bug) and on 40 batches of the genuinely held-out quadrant (the
   one-line fix ``quad_num=np.array([q])``); the training stream is the one either run alone
   would see (the test batches draw only from the test environments and from numpy's global
   stream for DenoiseQuads' quadrant choice, which the fixed test also draws from; neurogym
   2.3.1's ``Dataset`` seeds its environment copies from OS entropy, so their runs are not
   bit-reproducible anyway);
3. runs ``mtl-theory check`` on examples/evidence-authors-protocol.toml with n_tasks,
   rnn_batches and rnn_networks set to the same values;
4. prints the table of benchmarks/evidence_side_by_side.py.

The authors' code runs in a scratch venv (``--python``, with torch and neurogym 2.x) from a
scratch directory (``--work``, outside the repository): their files are written there from
the git directory with the textual changes listed in :data:`TRAIN_PATCHES` and
:data:`GENERALIZE_PATCHES` (constants from the command line, seeding, one BLAS thread, the
second test set, ``np.savez`` of ``r_sq``), and the imports they need but this comparison
does not (transformers, plotly, scikit-learn) are stubbed. Nothing of theirs is stored in the
repository. Every step is skipped when its output file exists, so an interrupted run resumes.

Example (about 2 h on a lightly loaded 2-core machine for 4 N_task values)::

    python benchmarks/evidence_side_by_side_run.py --authors-git DIR --python /tmp/v/bin/python \
        --work /tmp/side --n-tasks 2 3 12 24 --batches 3000 --networks 3

More networks for a set already scored (train.py runs 2 and 3, two at a time; the scores go
to ``gen_..._r2-3_fixed{0,1}.npz``), and the toolkit's side with 5 networks in all::

    python benchmarks/evidence_side_by_side_run.py ... --n-tasks 12 --batches 100000 \
        --first-run 2 --networks 2 --jobs 2 --skip-ours
    python benchmarks/evidence_side_by_side_run.py ... --n-tasks 12 --batches 100000 \
        --networks 5 --skip-authors
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: generalize.py's decoder batches per N_task (`code`).
DECODER_BATCHES = {2: 3000, 3: 3000, 6: 2000, 12: 1000, 24: 1000}

STUBS = {
    "ngym_shim.py": (
        "import neurogym\nimport neurogym.core\n\n\n"
        "# neurogym 2.x moved TrialEnv to neurogym.core and expects _step to return 5 values\n"
        "# (gymnasium's terminated, truncated); tasks.py's envs return the old 4\n"
        "class TrialEnv(neurogym.core.TrialEnv):\n"
        "    def __init_subclass__(cls, **kw):\n"
        "        super().__init_subclass__(**kw)\n"
        "        old = cls.__dict__.get('_step')\n"
        "        if old is not None:\n"
        "            def _step(self, action, _old=old):\n"
        "                ob, reward, done, info = _old(self, action)\n"
        "                return ob, reward, done, False, info\n"
        "            cls._step = _step\n\n\n"
        "neurogym.TrialEnv = TrialEnv\n"
    ),
    "transformers/__init__.py": "class GPT2Config:\n    def __init__(self, **kw):\n        pass\n",
    "transformer.py": "class GPT2ContinuousInputs:\n    pass\n",
    "plotly/__init__.py": "",
    "plotly/graph_objects.py": "",
    "plotly/io.py": "class _R:\n    default = None\n\n\nrenderers = _R()\n",
    "sklearn/__init__.py": "",
    "sklearn/cluster.py": "class DBSCAN:\n    pass\n",
}

SEEDING = (
    "import ngym_shim  # noqa\nimport random as _random, numpy as _np, torch as _torch\n"
    "_torch.set_num_threads(1)\n"
)

#: (old, new) textual replacements in train.py; each old string must occur exactly once.
TRAIN_PATCHES = (
    ("n_batch = 1e5 ", "n_batch = float(os.environ['DR_BATCHES']) "),
    ("n_task = 24 ", "n_task = int(os.environ['DR_NTASK']) "),
    ("run = 0\n", "run = int(os.environ['DR_RUN'])\n"),
    # generalize.py loads '...nTask' + str(n_task): keep the suffix for N_task = 2 as well
    ("if n_task != 2 else ''", "if True else ''"),
    (
        "data_path = str(Path(os.getcwd()).parent) + '/trained_networks/'",
        "data_path = os.environ['DR_NETS'] + '/'\n"
        "_torch.manual_seed(run); _np.random.seed(run); _random.seed(run)",
    ),
)

GENERALIZE_PATCHES = (
    (
        "n_runs = 5 ",
        "n_runs = int(os.environ['DR_RUNS']); _RUN0 = int(os.environ.get('DR_RUN0', '0')) ",
    ),
    ("n_fit = 5 ", "n_fit = int(os.environ['DR_FITS']) "),
    ("n_tasks = np.array([2,3,6,12,24])", "n_tasks = np.array([int(os.environ['DR_NTASK'])])"),
    (
        "n_batch = np.array([3e3,3e3,2e3,1e3,1e3])",
        "n_batch = np.array([float(os.environ['DR_DECODER_BATCHES'])])",
    ),
    ("batch1e5LR", "batch' + os.environ['DR_BATCH_TAG'] + 'LR"),
    (
        "data_path = str(Path(os.getcwd()).parent) + '/trained_networks/'",
        "data_path = os.environ['DR_NETS'] + '/'",
    ),
    ("checkpoint = torch.load(", "checkpoint = torch.load(weights_only=False, f="),
    # score train.py runs DR_RUN0 ... DR_RUN0 + DR_RUNS - 1 (more networks added to a scored set)
    (
        "(('run' + str(run)) if run != 0 else '')",
        "(('run' + str(run + _RUN0)) if run + _RUN0 != 0 else '')",
    ),
    # the second test set: the one-line fix, appended to the published one
    (
        "n_dim=n_dim,quad_num=quad_test) for key, value in task.items()]",
        "n_dim=n_dim,quad_num=quad_test) for key, value in task.items()]\n"
        "                tenvs_test = tenvs_test + [tasks.DenoiseQuads(timing=timing,"
        "sigma=n_sd_in,n_task=n_out,n_dim=n_dim,quad_num=np.array([quad_test]))]",
    ),
    ("for _ in range(n_test):", "for _ in range(2 * n_test):"),
    (
        "dataset = datasets_test[randint(0,task_num-1)]",
        "dataset = datasets_test[0 if _ < n_test else 1]",
    ),
    (
        "errors = np.reshape(np.asarray(errors),(-1,n_out))\n",
        "errors_fixed = np.reshape(np.asarray(errors[n_test:]),(-1,n_out))\n"
        "                    r_sq_fixed[n,run,q,fit] = 1 - np.mean(errors_fixed**2)/var\n"
        "                    errors = np.reshape(np.asarray(errors[:n_test]),(-1,n_out))\n",
    ),
    (
        "r_sq = np.zeros((np.size(n_tasks),n_runs,n_split,n_fits))",
        "r_sq = np.zeros((np.size(n_tasks),n_runs,n_split,n_fits))\n"
        "r_sq_fixed = np.zeros_like(r_sq)",
    ),
    (
        "# Plot\n",
        "np.savez(os.environ['DR_OUT'] + 'fixed0.npz', r_sq=r_sq, n_tasks=n_tasks)\n"
        "np.savez(os.environ['DR_OUT'] + 'fixed1.npz', r_sq=r_sq_fixed, n_tasks=n_tasks)\n"
        "raise SystemExit(0)\n",
    ),
)


def patched(source: str, patches, name: str) -> str:
    """Apply (old, new) replacements, each required to match exactly once."""
    for old, new in patches:
        count = source.count(old)
        if count != 1:
            raise SystemExit(f"{name}: patch target {old!r} found {count} times (expected 1)")
        source = source.replace(old, new)
    return SEEDING + source


def write_authors_code(git_dir: str, commit: str, code: Path) -> None:
    code.mkdir(parents=True, exist_ok=True)
    for name in ("tasks.py", "util.py", "RNN.py"):
        text = subprocess.run(
            ["git", "--git-dir", git_dir, "show", f"{commit}:{name}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (code / name).write_text(text)
    for name, patches in (("train.py", TRAIN_PATCHES), ("generalize.py", GENERALIZE_PATCHES)):
        text = subprocess.run(
            ["git", "--git-dir", git_dir, "show", f"{commit}:{name}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (code / f"{name[:-3]}_scratch.py").write_text(patched(text, patches, name))
    for name, text in STUBS.items():
        path = code / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


#: ``nice`` increment of every step (``--nice``): the runs take hours on a shared machine.
DEFAULT_NICE = 10
NICE = DEFAULT_NICE
#: ``mtl-theory check --time-budget`` of the toolkit's side (``--time-budget``): the check's
#: default, 1800 s, is for interactive use and refuses the powered runs (its estimate for 8
#: networks at N_task = 6 and 10^5 batches is ~2000 s, for 12 at N_task = 3 ~3300 s).
DEFAULT_TIME_BUDGET = 12 * 3600.0


def bad_input(message: str) -> None:
    """One line naming the option, what was expected and what was given; exit status 2."""
    print(f"evidence_side_by_side_run.py: {message}", file=sys.stderr)
    raise SystemExit(2)


def _niced(cmd: list[str]) -> list[str]:
    return ["nice", "-n", str(NICE), *cmd]


def run_all(jobs: list[tuple[list[str], dict[str, str], Path, Path]], at_once: int) -> None:
    """Run independent commands, ``at_once`` at a time (each its own process and log)."""
    pending, running = list(jobs), []
    while pending or running:
        while pending and len(running) < at_once:
            cmd, env, cwd, log = pending.pop(0)
            print("+", " ".join(cmd), f"(log {log})", flush=True)
            fh = log.open("w")
            proc = subprocess.Popen(
                _niced(cmd), env=env, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT
            )
            running.append((proc, fh, log))
        proc, fh, log = running.pop(0)
        code = proc.wait()
        fh.close()
        if code:
            for other, other_fh, _ in running:
                other.kill()
                other_fh.close()
            raise SystemExit(f"{' '.join(proc.args)} failed ({code}): see {log}")


def batch_tag(batches: int) -> str:
    """train.py's file-name tag: format(n_batch, '.0e') with '+0' removed (3000 -> 3e3)."""
    return format(float(batches), ".0e").replace("+0", "")


def decoder_batches(args, n_task: int) -> int:
    """generalize.py's count for this N_task unless --decoder-batches overrides it."""
    return args.decoder_batches or DECODER_BATCHES[n_task]


def authors(args, n_task: int, code: Path, work: Path) -> list[str]:
    nets = work / "trained_networks"
    nets.mkdir(parents=True, exist_ok=True)
    base = {
        **os.environ,
        "PYTHONPATH": str(code),
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "DR_NETS": str(nets),
        "DR_NTASK": str(n_task),
        "DR_BATCHES": str(args.batches),
    }
    tag = batch_tag(args.batches)
    first, last = args.first_run, args.first_run + args.networks - 1
    training = []
    for r in range(first, last + 1):
        name = f"LinProbSigmoidSL64batch{tag}LR0.001Noise2NetN0nTrial1CElossnTask{n_task}Mix"
        ckpt = nets / (name + (f"run{r}" if r else "") + ".pth")
        if not ckpt.exists():
            env = {**base, "DR_RUN": str(r)}
            training.append(
                (
                    [args.python, "train_scratch.py"],
                    env,
                    code,
                    work / f"train_n{n_task}_r{r}.log",
                )
            )
    run_all(training, args.jobs)
    # runs 0 ... k-1 keep the original name; a later set of runs is named by its range, and
    # evidence_authors_collect.py joins the sets of one N_task in run order
    scoring, outputs = [], []
    for a, b in score_sets(first, last, args.score_size):
        runs = f"r{a}-{b}_" if a else ""
        stem = f"gen_n{n_task}_b{args.batches}_d{decoder_batches(args, n_task)}_f{args.fits}_{runs}"
        out = work / stem
        outputs += [str(out) + "fixed0.npz", str(out) + "fixed1.npz"]
        if Path(str(out) + "fixed1.npz").exists():
            continue
        env = {
            **base,
            "DR_RUNS": str(b - a + 1),
            "DR_RUN0": str(a),
            "DR_FITS": str(args.fits),
            "DR_DECODER_BATCHES": str(decoder_batches(args, n_task)),
            "DR_BATCH_TAG": tag,
            "DR_OUT": str(out),
        }
        log = work / f"gen_n{n_task}_{runs}.log"
        scoring.append(([args.python, "generalize_scratch.py"], env, code, log))
    run_all(scoring, args.jobs)  # one serial generalize.py per set, --jobs sets at once
    return outputs


def score_sets(first: int, last: int, size: int) -> list[tuple[int, int]]:
    """Runs first ... last cut, in order, into sets of at most ``size`` (0: one set) that
    generalize.py scores apart, --jobs at once: it scores one run after the other, so nine
    runs in one set took ~30-45 min of one core after training at N_task = 12."""
    size = size or last - first + 1
    return [(a, min(a + size - 1, last)) for a in range(first, last + 1, size)]


def ours(args, n_task: int, work: Path) -> str:
    spec = tomllib.loads((ROOT / "examples" / "evidence-authors-protocol.toml").read_text())
    spec.update(n_tasks=n_task, rnn_batches=args.batches, rnn_networks=args.networks)
    spec["decoder_batches"] = decoder_batches(args, n_task)
    stem = f"ours_n{n_task}_b{args.batches}_d{spec['decoder_batches']}"
    path = work / f"{stem}.toml"
    path.write_text("".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in spec.items()))
    out = work / f"{stem}_seed{args.seed}.json"
    if not out.exists():
        cmd = [args.mtl_theory, "check", str(path), "--verify", "--json", "--seed", str(args.seed)]
        cmd += ["--time-budget", str(args.time_budget)]
        log = work / f"{stem}_seed{args.seed}.log"  # the check's progress, live (tail -f)
        print("+", " ".join(cmd), f"(progress in {log})", flush=True)
        with log.open("w") as fh:
            result = subprocess.run(
                ["nice", "-n", str(NICE), *cmd], stdout=subprocess.PIPE, stderr=fh, text=True
            )
        if result.returncode not in (0, 1):  # 1: a comparison failed; the JSON is still written
            raise SystemExit(f"mtl-theory check failed ({result.returncode}): see {log}")
        out.write_text(result.stdout)
    return str(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--authors-git", required=True, help="git dir of panvaf/DisentangleRes")
    parser.add_argument("--commit", default="4f7ba78")
    parser.add_argument("--python", required=True, help="python of a venv with torch, neurogym")
    parser.add_argument("--work", required=True, help="scratch directory outside the repo")
    parser.add_argument("--n-tasks", type=int, nargs="+", default=[2, 3, 12, 24])
    parser.add_argument("--batches", type=int, default=3000)
    parser.add_argument("--networks", type=int, default=3)
    parser.add_argument(
        "--first-run",
        type=int,
        default=0,
        help="authors' side: train and score train.py runs FIRST ... FIRST + NETWORKS - 1 (to add "
        "networks to a set already scored; the output is named by the range)",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="authors' train.py runs at once (one thread each)"
    )
    parser.add_argument(
        "--decoder-batches", type=int, default=0, help="override generalize.py's count (smoke runs)"
    )
    parser.add_argument(
        "--score-size",
        type=int,
        default=0,
        help="score the trained runs in sets of at most this many, --jobs sets at once, each "
        "output named by its range (default 0: one set, one generalize.py)",
    )
    parser.add_argument(
        "--fits",
        type=int,
        default=5,
        help="decoder fits per quadrant on the authors' side (theirs: 5); ours always runs 5 and "
        "the table compares its first FITS",
    )
    parser.add_argument("--seed", type=int, default=0, help="mtl-theory check --seed")
    parser.add_argument("--mtl-theory", default="mtl-theory")
    parser.add_argument(
        "--nice",
        type=int,
        default=DEFAULT_NICE,
        help=f"nice increment of every step (default {DEFAULT_NICE})",
    )
    parser.add_argument(
        "--time-budget",
        type=float,
        default=DEFAULT_TIME_BUDGET,
        help="mtl-theory check --time-budget in seconds (default "
        f"{DEFAULT_TIME_BUDGET:.0f}: the check's own 1800 s refuses 8 networks at N_task = 6)",
    )
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument("--skip-authors", action="store_true")
    args = parser.parse_args()
    global NICE
    NICE = args.nice
    if args.first_run and not args.skip_ours:
        bad_input(
            "--first-run: the toolkit's check trains all its networks itself; give --skip-ours "
            "with --first-run and run ours with --networks <total> --skip-authors"
        )
    if args.first_run < 0 or args.jobs < 1:
        bad_input(
            f"--first-run, --jobs: expected >= 0 and >= 1, given {args.first_run}, {args.jobs}"
        )
    if args.score_size < 0:
        bad_input(f"--score-size: expected a count >= 0 (0: one set), given {args.score_size}")
    if not args.time_budget > 0:
        bad_input(f"--time-budget: expected seconds > 0, given {args.time_budget}")
    for n in args.n_tasks:
        if n not in DECODER_BATCHES:
            bad_input(f"--n-tasks: expected values in {sorted(DECODER_BATCHES)}, given {n}")
    work = Path(args.work).resolve()
    if ROOT in (work, *work.parents):
        bad_input(f"--work: expected a directory outside the repository, given {work}")
    code = work / "code"
    write_authors_code(args.authors_git, args.commit, code)
    theirs, mine = [], []
    for n in args.n_tasks:
        if not args.skip_authors:
            theirs += authors(args, n, code, work)
        if not args.skip_ours:
            mine.append(ours(args, n, work))
    if mine:
        subprocess.run(
            [
                sys.executable,
                str(HERE / "evidence_side_by_side.py"),
                "--fits",
                str(args.fits),
                "--ours",
                *mine,
                "--authors",
                *theirs,
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
