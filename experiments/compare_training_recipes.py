"""Compare biLM training recipes on equal CPU budgets (docs/training.md).

Each candidate (a named recipe with overrides) is trained from scratch on
the pretraining corpus for the same budget of process CPU time, with
several seeds, then scored with the whole-sentence, full-softmax held-out
perplexity (`keras_elmo.training.perplexity`, the default of
`keras-elmo perplexity`) on a fixed subset of the held-out file.

Fair budgets on a shared machine: the budget is CPU time of the training
process (`resource.getrusage(RUSAGE_SELF)`, user + system, every thread:
TensorFlow's compute and tf.data), not wall time, which depends on what
else runs. A learning-rate schedule needs the run's length in steps, so
the budget is converted to steps with the candidate's measured CPU
seconds per step (one calibration per candidate, steps 3-12 of a short
run, cached in `calibration.json`: candidates of the same compute shape
still differ, e.g. a sampled-softmax step with Adam took 0.59 CPU-s and
one with Adagrad and dropout 0.90). The CPU time actually used by the
steps is recorded next to each result, so the budgets can be checked. The
first step (tracing and XLA compilation, a fixed cost) is not counted in
the budget.

Schedules are scaled to the budget: the warmup is 5% of the steps (the
shipped run: 200 of 4,500) and the cosine decay ends at the last step.

Every run is its own process (a clean CPU clock and memory). Runs go one
at a time per invocation; invocations with disjoint `--candidates` may
run side by side (e.g. one per core with `taskset`) on one work
directory. Results are appended to `results.jsonl` in the work
directory; running the script again skips what is done.

Usage:

    python -m experiments.compare_training_recipes --work-dir runs/recipes \
        --budget-cpu-seconds 120 --seeds 0 1
    python -m experiments.compare_training_recipes --work-dir runs/recipes \
        --table
"""

import argparse
import fcntl
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

# Candidate name -> recipe and overrides, every setting that was compared
# named (a change of the `adam` recipe's defaults does not change what a
# candidate means). All but the batch-32 ones use batch 64 x 20 tokens;
# `bilm_tf` too (its own default is 128), so that the optimizer is what
# differs from `adam_sampled`. `adam_full_unroll40` (32 x 40) has the tokens
# of a 64 x 20 step in longer rows.
_ADAM = {"recipe": "adam", "learning_rate": 2e-3, "batch_size": 64}
_SAMPLED = {"softmax": "sampled", "num_negative_samples": 8192}
CANDIDATES = {
    "bilm_tf": {"recipe": "bilm_tf", "batch_size": 64},
    "adam_sampled": {**_ADAM, **_SAMPLED},
    # The short-budget winners together: the `adam` recipe's defaults since
    # the 800-CPU-second comparison (docs/training.md).
    "adam_sampled_lr4e-3_batch32": {
        **_ADAM,
        **_SAMPLED,
        "learning_rate": 4e-3,
        "batch_size": 32,
    },
    "adam_full": {**_ADAM, "softmax": "full"},
    "adam_full_lr1e-3": {**_ADAM, "softmax": "full", "learning_rate": 1e-3},
    "adam_full_lr4e-3": {**_ADAM, "softmax": "full", "learning_rate": 4e-3},
    "adam_full_dropout0.1": {**_ADAM, "softmax": "full", "dropout": 0.1},
    "adam_full_batch32": {**_ADAM, "softmax": "full", "batch_size": 32},
    "adam_full_unroll40": {
        **_ADAM,
        "softmax": "full",
        "batch_size": 32,
        "unroll_steps": 40,
    },
}
WARMUP_FRACTION = 0.05
CALIBRATION_STEPS = 12
CALIBRATION_SKIP = 2  # steps 1-2: tracing, compilation, first allocations


def cpu_seconds():
    """User + system CPU time of this process (all threads), in seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _budget_clock_class():
    import keras

    class BudgetClock(keras.callbacks.Callback):
        """CPU seconds of the steps after `skip`; stops past `limit`."""

        def __init__(self, skip=1, limit=None):
            super().__init__()
            self.skip, self.limit = skip, limit
            self.steps = 0
            self.start = self.first = None
            self.wall = None

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1
            if self.steps == self.skip:
                self.start, self.wall = cpu_seconds(), time.time()
            elif self.limit and self.steps > self.skip:
                if cpu_seconds() - self.start > self.limit:
                    self.model.stop_training = True

        def counted(self):
            """(CPU seconds, wall seconds, steps) after the skipped steps."""
            return (
                cpu_seconds() - self.start,
                time.time() - self.wall,
                self.steps - self.skip,
            )

    return BudgetClock


def candidate_config(name, args, seed, steps):
    from keras_elmo.training.training_config import recipe

    fields = dict(CANDIDATES[name])
    recipe_name = fields.pop("recipe")
    return recipe(
        recipe_name,
        train_files=os.path.join(args.data_dir, "train", "*.txt"),
        vocabulary=os.path.join(args.data_dir, "vocab.txt"),
        options=args.options,
        steps=steps,
        checkpoint_every=steps,
        log_every=10,
        warmup_steps=(
            max(1, round(WARMUP_FRACTION * steps))
            if recipe_name != "bilm_tf"
            else 0
        ),
        seed=seed,
        **fields,
    )


def calibration_key(name, config, vocab_size):
    full = config.uses_full_softmax(vocab_size)
    softmax = "full" if full else f"sampled{config.num_negative_samples}"
    return f"{name}_batch{config.batch_size}x{config.unroll_steps}_{softmax}"


def _train(config, output_dir, clock):
    import keras

    from keras_elmo.training.trainer import train_language_model

    keras.utils.set_random_seed(config.seed)
    return train_language_model(
        output_dir, config, callbacks=[clock], verbose=0
    )


def calibrate(name, args):
    """CPU seconds per step of candidate `name` (steps 3-12 of a run)."""
    config = candidate_config(name, args, 0, CALIBRATION_STEPS)
    clock = _budget_clock_class()(skip=CALIBRATION_SKIP)
    with tempfile.TemporaryDirectory() as directory:
        _train(config, directory, clock)
    cpu, wall, steps = clock.counted()
    return cpu / steps, wall / steps


def load_calibrations(path):
    """The calibration table (key -> seconds per step), `{}` if none."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def add_calibration(path, key, value):
    """Add `key` to the table at `path`; returns the table.

    Comparisons run in parallel (one per core) share the table: the read,
    update and atomic replace happen under an exclusive lock, so that one
    process cannot drop another's entry.
    """
    with open(path + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        table = load_calibrations(path)
        table[key] = value
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "w") as f:
            json.dump(table, f, indent=2)
        os.replace(tmp, path)
    return table


def run_one(name, seed, args):
    """Train candidate `name` for the budget; returns the result dict."""
    from keras_elmo.preprocessing.word_vocabulary import iter_sentences
    from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
    from keras_elmo.training.perplexity import sentence_perplexity

    vocabulary = load_vocabulary(os.path.join(args.data_dir, "vocab.txt"))
    calibration_file = os.path.join(args.work_dir, "calibration.json")
    key = calibration_key(
        name, candidate_config(name, args, seed, 1), len(vocabulary)
    )
    table = load_calibrations(calibration_file)
    if key not in table:
        cpu_per_step, wall_per_step = calibrate(name, args)
        table = add_calibration(
            calibration_file,
            key,
            {
                "cpu_seconds_per_step": cpu_per_step,
                "wall_seconds_per_step": wall_per_step,
                "measured_with": name,
            },
        )
    per_step = table[key]["cpu_seconds_per_step"]
    steps = 1 + max(10, round(args.budget_cpu_seconds / per_step))
    config = candidate_config(name, args, seed, steps)
    # A safety stop at 1.25x the budget, if the machine got slower per step.
    clock = _budget_clock_class()(skip=1, limit=1.25 * args.budget_cpu_seconds)
    run_dir = os.path.join(args.work_dir, f"{name}_seed{seed}")
    result = _train(config, run_dir, clock)
    cpu, wall, counted_steps = clock.counted()
    sentences = []
    for sentence in iter_sentences(os.path.join(args.data_dir, "heldout.txt")):
        if len(sentences) == args.eval_sentences:
            break
        sentences.append(sentence)
    eval_start = cpu_seconds()
    scores = sentence_perplexity(result["model"], vocabulary, sentences)
    return {
        "candidate": name,
        "seed": seed,
        "config": config.to_dict(),
        "budget_cpu_seconds": args.budget_cpu_seconds,
        "steps": result["step"],
        "train_cpu_seconds": cpu,
        "train_wall_seconds": wall,
        "counted_steps": counted_steps,
        "calibrated_cpu_seconds_per_step": per_step,
        "eval_cpu_seconds": cpu_seconds() - eval_start,
        "eval_sentences": len(sentences),
        **scores,
    }


def load_results(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def table(results, baselines=None):
    """Markdown table: candidate -> mean ± spread of the perplexities."""
    lines = [
        "| candidate | seeds | steps | CPU s (train) | forward | backward "
        "| average (mean ± half-range) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    names = [n for n in CANDIDATES if any(r["candidate"] == n for r in results)]
    rows = []
    for name in names:
        runs = [r for r in results if r["candidate"] == name]
        avg = [r["perplexity"] for r in runs]
        spread = (max(avg) - min(avg)) / 2
        rows.append((statistics.mean(avg), name, runs, spread))
    for mean, name, runs, spread in sorted(rows):
        lines.append(
            f"| {name} | {len(runs)} "
            f"| {statistics.mean(r['steps'] for r in runs):.0f} "
            f"| {statistics.mean(r['train_cpu_seconds'] for r in runs):.0f} "
            f"| {statistics.mean(r['forward_perplexity'] for r in runs):.1f} "
            f"| {statistics.mean(r['backward_perplexity'] for r in runs):.1f} "
            f"| {mean:.1f} ± {spread:.1f} |"
        )
    for label, value in (baselines or {}).items():
        lines.append(
            f"| {label} | | | | {value['forward']:.1f} "
            f"| {value['backward']:.1f} | {value['perplexity']:.1f} |"
        )
    return "\n".join(lines)


def subset_baselines(data_dir, sentences):
    """Unigram and Kneser-Ney perplexities of the evaluated subset."""
    from keras_elmo.preprocessing.word_vocabulary import iter_sentences
    from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
    from keras_elmo.training.kneser_ney import baseline_perplexities

    subset = []
    for sentence in iter_sentences(os.path.join(data_dir, "heldout.txt")):
        if len(subset) == sentences:
            break
        subset.append(" ".join(sentence))
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "subset.txt")
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write("\n".join(subset) + "\n")
        results = baseline_perplexities(
            load_vocabulary(os.path.join(data_dir, "vocab.txt")),
            os.path.join(data_dir, "train", "*.txt"),
            path,
        )
    return {
        "Kneser-Ney trigram (same sentences)": results["kneser_ney_trigram"],
        "Kneser-Ney bigram (same sentences)": results["kneser_ney_bigram"],
        "unigram, add-one (same sentences)": results["unigram_add_one"],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--data-dir", default="data/pretraining")
    parser.add_argument(
        "--options",
        default="saved_models/elmo_tiny_en/preset/options.json",
    )
    parser.add_argument("--budget-cpu-seconds", type=float, default=120.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument(
        "--candidates", nargs="+", choices=sorted(CANDIDATES), default=None
    )
    parser.add_argument("--eval-sentences", type=int, default=300)
    parser.add_argument("--table", action="store_true", help="print table")
    parser.add_argument("--run", help=argparse.SUPPRESS)  # child process
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.budget_cpu_seconds <= 0 or args.eval_sentences < 1:
        parser.error("--budget-cpu-seconds and --eval-sentences must be > 0")
    os.makedirs(args.work_dir, exist_ok=True)
    results_file = os.path.join(args.work_dir, "results.jsonl")

    if args.run:
        result = run_one(args.run, args.seed, args)
        with open(results_file, "a") as f:
            f.write(json.dumps(result) + "\n")
        print(
            json.dumps(
                {
                    k: result[k]
                    for k in (
                        "candidate",
                        "seed",
                        "steps",
                        "train_cpu_seconds",
                        "perplexity",
                    )
                }
            ),
            flush=True,
        )
        return 0
    if args.table:
        print(
            table(
                load_results(results_file),
                subset_baselines(args.data_dir, args.eval_sentences),
            )
        )
        return 0

    candidates = args.candidates or list(CANDIDATES)
    # Seed by seed: every candidate has one result before any has two.
    for seed in args.seeds:
        for name in candidates:
            done = {
                (r["candidate"], r["seed"]) for r in load_results(results_file)
            }
            if (name, seed) in done:
                continue
            command = [
                sys.executable,
                os.path.abspath(__file__),
                "--run",
                name,
                "--seed",
                str(seed),
                "--work-dir",
                args.work_dir,
                "--data-dir",
                args.data_dir,
                "--options",
                args.options,
                "--budget-cpu-seconds",
                str(args.budget_cpu_seconds),
                "--eval-sentences",
                str(args.eval_sentences),
            ]
            print(f"{name} seed {seed} ...", flush=True)
            subprocess.run(command, check=True)
    print(table(load_results(results_file)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
