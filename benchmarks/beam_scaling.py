"""`keras-elmo embed` against its Beam pipeline with 1 and 2 local workers.

For each model (the shipped `elmo_tiny_en`, and a random-weight
model of the original size, `elmo_original_en` with `load_weights=False`
written as a preset), runs in child processes, side by side in one run:

- `keras-elmo embed FILE out.hdf5` (one process);
- `keras-elmo embed-corpus FILE out/` on the DirectRunner with 1 worker
  (in-process: the pipeline runs in the command's own process);
- the same with 2 worker processes (`--direct_num_workers=2
  --direct_running_mode=multi_processing`).

Each is run on a file of `--tokens` tokens of English sentences (the
"base" run: start-up, model load, the compilation of every batch shape,
and one pass) and on the same sentences `--copies` times (the "timed"
run); the steady rate is `(timed tokens - base tokens) / (timed time -
base time)`: the cost of more text once everything is started. The peak
resident memory (`VmHWM`) of every process of the command is sampled
from /proc: the command's own, and each Beam worker's. The 1-minute load
average before and after each run is printed: the machine may be shared.
The CPU time of the command's process tree is printed too
(`tokens_per_cpu_s_steady`): the figure other jobs on the machine move
least, and the one a cloud bill is made of.

Usage (from the repository root):

    python benchmarks/beam_scaling.py                   # both models
    python benchmarks/beam_scaling.py --models small --tokens 20000
"""

import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))

from benchmarks.common import base_parser
from benchmarks.common import corpus_sentences
from benchmarks.common import emit
from benchmarks.common import load_average
from benchmarks.common import machine_info

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TWO_WORKERS = [
    "--direct_num_workers=2",
    "--direct_running_mode=multi_processing",
]
MODELS = {"small": "elmo_tiny_en", "original": "elmo_original_en"}


def parse_args(argv=None):
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--models",
        nargs="+",
        choices=sorted(MODELS),
        default=["small", "original"],
    )
    parser.add_argument(
        "--tokens",
        type=int,
        nargs="+",
        default=None,
        help="tokens of the base file, per model in --models order "
        "(default: 2000 for small, 200 for original)",
    )
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--output", default="top")
    parser.add_argument("--batch-size", type=int, default=64)
    return parser.parse_args(argv)


def write_text(path, tokens):
    """Sentences of the benchmark corpus, one a line, until `tokens`."""
    written = lines = 0
    with open(path, "w", encoding="utf-8") as f:
        for sentence in itertools.cycle(corpus_sentences(5, 40)):
            if written >= tokens:
                break
            f.write(" ".join(sentence) + "\n")
            written += len(sentence)
            lines += 1
    return written, lines


def _descendants(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _peak_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def run_command(argv):
    """Run `keras-elmo ARGV`: (seconds, CPU seconds, {pid: peak MiB}, roles)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "keras_elmo.cli.main", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    peaks, roles = {}, {child.pid: "command"}
    while True:
        for pid in [child.pid] + _descendants(child.pid):
            peak = _peak_mb(pid)
            if peak is not None:
                peaks[pid] = max(peaks.get(pid, 0), peak)
                roles.setdefault(pid, "worker")
        # wait4: the CPU time of the command and of every process it
        # waited for (Beam's workers), whatever else runs on the machine.
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu_seconds = usage.ru_utime + usage.ru_stime
    output = child.stdout.read().decode(errors="replace")
    if child.returncode != 0:
        raise RuntimeError(f"keras-elmo {argv[0]} failed:\n{output[-3000:]}")
    return seconds, cpu_seconds, peaks, roles


def _argv(mode, preset, text, out, args):
    if mode == "embed":
        return [
            "embed", text, out + ".hdf5", "--model", preset,
            f"--{args.output}", "--batch-size", str(args.batch_size),
            "--no-progress",
        ]  # fmt: skip
    argv = [
        "embed-corpus", text, out, "--model", preset, f"--{args.output}",
        "--batch-size", str(args.batch_size), "--max-sentence-tokens", "100",
    ]  # fmt: skip
    if mode == "beam_2_workers":
        argv += ["--beam-options", *TWO_WORKERS]
    return argv


def _worker_peaks(peaks, roles):
    # Beam's worker processes are the python descendants that loaded a
    # model (the multiprocessing runner also starts small helpers).
    return sorted(
        round(mb) for pid, mb in peaks.items()
        if roles[pid] == "worker" and mb > 500
    )  # fmt: skip


def main(argv=None):
    args = parse_args(argv)
    import keras

    from keras_elmo.models.elmo import ELMo

    emit({"benchmark": "machine", **machine_info()})
    tokens_by_model = dict(zip(args.models, args.tokens or []))
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            preset = MODELS[model]
            if model == "original":
                keras.utils.set_random_seed(args.seed)
                preset = os.path.join(tmp, "original_random")
                os.makedirs(preset)
                ELMo.from_preset(
                    MODELS[model], load_weights=False
                ).save_bilm_hdf5(
                    os.path.join(preset, "weights.hdf5"),
                    os.path.join(preset, "options.json"),
                )
            default = 2000 if model == "small" else 200
            size = tokens_by_model.get(model, default)
            files = {}
            for name, copies in (("base", 1), ("timed", args.copies)):
                path = os.path.join(tmp, f"{model}_{name}.txt")
                tokens, lines = write_text(path, size)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text * copies)
                files[name] = (path, tokens * copies, lines * copies)
            for mode in ("embed", "beam_1_worker", "beam_2_workers"):
                times = {}
                for name, (text, tokens, lines) in files.items():
                    out = os.path.join(tmp, f"{model}_{mode}_{name}")
                    load_before = load_average()
                    seconds, cpu_seconds, peaks, roles = run_command(
                        _argv(mode, preset, text, out, args)
                    )
                    times[name] = seconds, cpu_seconds
                    shutil.rmtree(out, ignore_errors=True)
                    record = {
                        "benchmark": "beam_scaling",
                        "model": MODELS[model]
                        + (" (random weights)" if model == "original" else ""),
                        "mode": mode,
                        "file": name,
                        "tokens": tokens,
                        "sentences": lines,
                        "output": args.output,
                        "batch_size": args.batch_size,
                        "seconds": round(seconds, 1),
                        "cpu_seconds": round(cpu_seconds, 1),
                        "tokens_per_s_end_to_end": round(tokens / seconds, 1),
                        "peak_command_mb": round(
                            max(
                                mb
                                for pid, mb in peaks.items()
                                if roles[pid] == "command"
                            )
                        ),
                        "peak_worker_mb": _worker_peaks(peaks, roles),
                        "load_average_before": load_before,
                        "load_average_after": load_average(),
                    }
                    if name == "timed":
                        base_tokens = files["base"][1]
                        base_seconds, base_cpu = times["base"]
                        record["base_seconds"] = round(base_seconds, 1)
                        record["base_cpu_seconds"] = round(base_cpu, 1)
                        record["tokens_per_s_steady"] = round(
                            (tokens - base_tokens)
                            / max(seconds - base_seconds, 1e-9),
                            1,
                        )
                        record["tokens_per_cpu_s_steady"] = round(
                            (tokens - base_tokens)
                            / max(cpu_seconds - base_cpu, 1e-9),
                            1,
                        )
                    emit(record)


if __name__ == "__main__":
    main()
