"""Runs the ELMo ablations of Peters et al. (2018) on real labelled data.

For each task (by default sentence polarity and part-of-speech tagging on a
fixed subset of the Brown corpus, prepared by
`tools/prepare_ablation_data.py`) and each seed, trains one small BiLSTM
task model per configuration (`experiments/ablation_models.py`):

- how the biLM layers are combined (ELMo at the task model's input):
  no ELMo, the top layer only, fixed equal weights, learned weights with a
  large L2 (1.0) and with a small L2 (0.001) on the mixing scalars;
- where ELMo enters (learned weights, small L2): input only, output only,
  input and output.

The biLM is frozen, so its layers are computed once per sentence and cached
(`experiments/ablation_data.py`). All configurations get the same budget: Adam,
batches of 32, at most `--max-epochs` epochs, early stopping on dev
accuracy with `--patience`, the weights of the best dev epoch evaluated on
test.

Writes to `--output-dir`: `results.json` (every run: accuracies, epochs,
time, learned `softmax(w)` and `gamma`), `table.md` (mean and sample
standard deviation over the seeds). Runs already in `results.json` with the
same settings are kept and not trained again, so an interrupted run
resumes.

Usage:

    python -m experiments.run_ablations --model elmo_tiny_en \\
        --data-dir data/ablation --output-dir runs/ablations
"""

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

import keras
import numpy as np

from experiments import ablation_data
from experiments import ablation_models

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TASKS = ("polarity", "pos_brown")
# A fixed subset of the (already shuffled) Brown splits: train, dev, test.
DEFAULT_LIMITS = ("pos_brown=2000,1000,2000",)
WEIGHTING_ROWS = (
    "no_elmo",
    "top_only",
    "equal_fixed",
    "learned_l2_large",
    "learned_l2_small",
)
PLACEMENT_ROWS = (
    ("learned_l2_small", "input only"),
    ("output_only", "output only"),
    ("input_output", "input + output"),
)


def parse_limits(values):
    """`["pos_brown=2000,1000,2000"]` -> `{"pos_brown": {"train": 2000, ...}}`.

    Example:

    >>> parse_limits(["pos_wsj=100,20,20"])["pos_wsj"]["dev"]
    20
    """
    limits = {}
    for value in values or ():
        name, sep, numbers = value.partition("=")
        parts = numbers.split(",")
        if not sep or not name or len(parts) != 3:
            raise ValueError(
                "A limit is TASK=TRAIN,DEV,TEST (sentences). "
                f"Received: {value!r}"
            )
        try:
            counts = [int(p) for p in parts]
        except ValueError:
            raise ValueError(
                f"Limits must be integers. Received: {value!r}"
            ) from None
        limits[name] = dict(zip(ablation_data.SPLITS, counts))
    return limits


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model",
        help="biLM directory with options.json and weights.hdf5 "
        "(or use --options and --weights)",
    )
    parser.add_argument("--options", help="biLM options.json")
    parser.add_argument("--weights", help="biLM hdf5 weights")
    parser.add_argument(
        "--data-dir", default=str(REPO_ROOT / "data" / "ablation")
    )
    parser.add_argument("--tasks", nargs="+", default=list(DEFAULT_TASKS))
    parser.add_argument(
        "--limit",
        action="append",
        help="TASK=TRAIN,DEV,TEST: keep the first sentences of each split "
        f"(default: {' '.join(DEFAULT_LIMITS)}); 'none' for no limits",
    )
    parser.add_argument(
        "--configs",
        nargs="+",
        choices=list(ablation_models.CONFIGS_BY_NAME),
        default=[c.name for c in ablation_models.CONFIGS],
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--patience", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--word-dim", type=int, default=100)
    parser.add_argument("--lstm-units", type=int, default=64)
    parser.add_argument("--dropout", type=float, default=0.5)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument(
        "--min-count",
        type=int,
        default=2,
        help="train-split count for a word to get its own task embedding",
    )
    parser.add_argument(
        "--cache-dir", default=str(REPO_ROOT / "runs" / "elmo_feature_cache")
    )
    parser.add_argument(
        "--output-dir", default=str(REPO_ROOT / "runs" / "ablations")
    )
    parser.add_argument(
        "--run-eagerly",
        action="store_true",
        help="no tf.function tracing: for debugging and tiny test runs",
    )
    parser.add_argument(
        "--initial-state",
        choices=ablation_data.INITIAL_STATES,
        default="zeros",
        help="the biLM's state at each sentence start: zeros (default), "
        "warm (the --warm-state file, default: the --model preset's "
        "warm_state.npz) or stateful (carried from sentence to sentence in "
        "file order, as bilm-tf's dump_bilm_embeddings)",
    )
    parser.add_argument("--warm-state", help="warm_state.npz of the biLM")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.model:
        if args.options or args.weights:
            parser.error("use either --model or --options/--weights")
        from keras_elmo.presets import resolve_preset

        preset = resolve_preset(args.model)
        args.options = str(preset.options_file)
        args.weights = str(preset.weights_file)
        if args.initial_state == "warm" and not args.warm_state:
            args.warm_state = str(preset.file("warm_state.npz"))
    elif not (args.options and args.weights):
        parser.error("give --model DIR, or --options and --weights")
    if args.initial_state == "warm" and not args.warm_state:
        parser.error("--initial-state warm needs --warm-state (or --model)")
    if args.limit is None:
        args.limit = list(DEFAULT_LIMITS)
    elif args.limit == ["none"]:
        args.limit = []
    for name in ("max_epochs", "patience", "batch_size", "min_count"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if len(set(args.seeds)) != len(args.seeds):
        parser.error("--seeds must be distinct")
    return args


# === Training and evaluation ===


def accuracy(model, batches):
    """Accuracy of `model` on `Batches` (tagging: over real tokens)."""
    correct = total = 0.0
    for index in range(len(batches)):
        batch = batches[index]
        probabilities = model.predict_on_batch(batch[0])
        predicted = np.argmax(probabilities, axis=-1)
        hits = (predicted == batch[1]).astype("float64")
        weights = batch[2] if len(batch) == 3 else np.ones_like(hits)
        correct += float(np.sum(hits * weights))
        total += float(np.sum(weights))
    return correct / total


class DevEarlyStopping(keras.callbacks.Callback):
    """Early stopping on dev accuracy; restores the best epoch's weights.

    Args:
        dev_batches: `Batches` of the dev split.
        patience: int. Epochs without a new best dev accuracy before
            stopping.
    """

    def __init__(self, dev_batches, patience):
        super().__init__()
        self.dev_batches = dev_batches
        self.patience = patience
        self.best_accuracy = -1.0
        self.best_epoch = 0
        self.epochs_run = 0
        self._best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_run = epoch + 1
        dev_accuracy = accuracy(self.model, self.dev_batches)
        if dev_accuracy > self.best_accuracy:
            self.best_accuracy = dev_accuracy
            self.best_epoch = epoch + 1
            self._best_weights = self.model.get_weights()
        elif epoch + 1 - self.best_epoch >= self.patience:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self._best_weights is not None:
            self.model.set_weights(self._best_weights)


def run_one(task, vocabulary, config, seed, args):
    """Train and evaluate one (task, configuration, seed)."""
    keras.utils.set_random_seed(seed)
    use_elmo = bool(config.placements)
    # Padding to a multiple of 8 tokens bounds the number of traced shapes;
    # eager runs trace nothing and need no more padding than the batch's.
    pad_multiple = 1 if args.run_eagerly else 8

    def batches(split, batch_size, shuffle):
        return ablation_data.Batches(
            task,
            task.splits[split],
            vocabulary,
            batch_size,
            use_elmo,
            shuffle=shuffle,
            seed=seed,
            pad_multiple=pad_multiple,
        )

    train = batches("train", args.batch_size, shuffle=True)
    dev = batches("dev", 128, shuffle=False)
    test = batches("test", 128, shuffle=False)
    num_layers = elmo_dim = None
    if use_elmo:
        num_layers, _, elmo_dim = task.splits["train"].features[0].shape
    size = ablation_models.TaskModelSize(
        word_dim=args.word_dim,
        lstm_units=args.lstm_units,
        dropout=args.dropout,
        learning_rate=args.learning_rate,
    )
    model = ablation_models.build_task_model(
        task.kind,
        config,
        vocabulary_size=len(vocabulary) + 2,
        num_labels=len(task.label_names),
        num_layers=num_layers,
        elmo_dim=elmo_dim,
        size=size,
        run_eagerly=args.run_eagerly,
    )
    stopper = DevEarlyStopping(dev, args.patience)
    start = time.perf_counter()
    model.fit(
        train.dataset(),
        epochs=args.max_epochs,
        callbacks=[stopper],
        shuffle=False,  # the dataset re-buckets and shuffles every epoch
        verbose=0,
    )
    seconds = time.perf_counter() - start
    return {
        "task": task.name,
        "config": config.name,
        "seed": seed,
        "dev_accuracy": stopper.best_accuracy,
        "test_accuracy": accuracy(model, test),
        "best_epoch": stopper.best_epoch,
        "epochs_run": stopper.epochs_run,
        "train_seconds": round(seconds, 1),
        "layer_weights": ablation_models.layer_weights(model, config),
    }


# === Summaries ===


def mean_std(values):
    """Mean and sample standard deviation (0 for a single value)."""
    values = np.asarray(values, dtype="float64")
    std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return float(np.mean(values)), std


def summarize(runs):
    """`{(task, config): {"test": (mean, std), "dev": ..., "n": ...}}`."""
    groups = {}
    for run in runs:
        groups.setdefault((run["task"], run["config"]), []).append(run)
    summary = {}
    for key, group in groups.items():
        summary[key] = {
            "test": mean_std([100 * r["test_accuracy"] for r in group]),
            "dev": mean_std([100 * r["dev_accuracy"] for r in group]),
            "epochs": mean_std([r["best_epoch"] for r in group]),
            "n": len(group),
        }
    return summary


def _cell(summary, task, config, field="test"):
    entry = summary.get((task, config))
    if entry is None:
        return "n/a"
    mean, std = entry[field]
    return f"{mean:.2f} ± {std:.2f}"


def _delta(summary, task, config):
    base = summary.get((task, "no_elmo"))
    entry = summary.get((task, config))
    if base is None or entry is None or config == "no_elmo":
        return ""
    return f" ({entry['test'][0] - base['test'][0]:+.2f})"


def _mean_weights(runs, task, config, placement):
    weights = [
        r["layer_weights"][placement]["softmax_w"]
        for r in runs
        if r["task"] == task
        and r["config"] == config
        and "softmax_w" in r["layer_weights"].get(placement, {})
    ]
    if not weights:
        return None
    return np.mean(weights, axis=0), np.std(weights, axis=0, ddof=0)


def markdown_tables(runs, tasks, settings):
    """The ablation tables as Markdown (test accuracy in %)."""
    summary = summarize(runs)
    seeds = sorted({r["seed"] for r in runs})
    descriptions = {c.name: c.description for c in ablation_models.CONFIGS}
    lines = [
        f"Test accuracy (%), mean ± sample std over {len(seeds)} seeds "
        f"({', '.join(map(str, seeds))}); in brackets the difference to "
        "no ELMo.",
        "",
        "**Layer weighting** (ELMo at the task model's input):",
        "",
        "| configuration | " + " | ".join(tasks) + " |",
        "| --- | " + " | ".join("---:" for _ in tasks) + " |",
    ]
    for config in WEIGHTING_ROWS:
        cells = [
            _cell(summary, t, config) + _delta(summary, t, config)
            for t in tasks
        ]
        lines.append(f"| {descriptions[config]} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"**Placement** (learned weights, L2 = {ablation_models.SMALL_L2:g}):",
        "",
        "| ELMo at | " + " | ".join(tasks) + " |",
        "| --- | " + " | ".join("---:" for _ in tasks) + " |",
    ]
    for config, label in PLACEMENT_ROWS:
        cells = [
            _cell(summary, t, config) + _delta(summary, t, config)
            for t in tasks
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "**All runs** (dev and test accuracy %, best epoch):",
        "",
        "| task | configuration | dev | test | best epoch | runs |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for task in tasks:
        for config in ablation_models.CONFIGS_BY_NAME:
            entry = summary.get((task, config))
            if entry is None:
                continue
            epochs = entry["epochs"]
            lines.append(
                f"| {task} | {config} | {_cell(summary, task, config, 'dev')}"
                f" | {_cell(summary, task, config)} | "
                f"{epochs[0]:.1f} ± {epochs[1]:.1f} | {entry['n']} |"
            )
    lines += [
        "",
        "**Learned softmax(w)** (mean over seeds; layer 0 = character CNN, "
        "then the LSTM layers):",
        "",
        "| task | configuration | mix | softmax(w) | gamma |",
        "| --- | --- | --- | --- | ---: |",
    ]
    for task in tasks:
        for config in ablation_models.CONFIGS:
            for placement in config.placements:
                mean = _mean_weights(runs, task, config.name, placement)
                gammas = [
                    r["layer_weights"][placement]["gamma"]
                    for r in runs
                    if r["task"] == task and r["config"] == config.name
                ]
                if not gammas:
                    continue
                weights = (
                    "top layer"
                    if mean is None
                    else ", ".join(f"{w:.3f}" for w in mean[0])
                )
                lines.append(
                    f"| {task} | {config.name} | {placement} | {weights} | "
                    f"{np.mean(gammas):.2f} |"
                )
    lines += ["", f"Settings: `{json.dumps(settings, sort_keys=True)}`", ""]
    return "\n".join(lines)


# === Main ===


def settings_of(args, model_hash):
    """The settings that make runs comparable (and resumable)."""
    return {
        "bilm_sha256_16": model_hash,
        "limits": sorted(args.limit),
        "max_epochs": args.max_epochs,
        "patience": args.patience,
        "batch_size": args.batch_size,
        "word_dim": args.word_dim,
        "lstm_units": args.lstm_units,
        "dropout": args.dropout,
        "learning_rate": args.learning_rate,
        "min_count": args.min_count,
        "small_l2": ablation_models.SMALL_L2,
        "large_l2": ablation_models.LARGE_L2,
        "initial_state": args.initial_state,
    }


def _write_json(path, payload):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=1)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    limits = parse_limits(args.limit)
    start_time = time.time()
    cache = ablation_data.FeatureCache(
        args.cache_dir,
        args.options,
        args.weights,
        initial_state=args.initial_state,
        warm_state_file=args.warm_state,
    )
    settings = settings_of(args, cache.model_hash)
    settings_key = hashlib.sha256(
        json.dumps(settings, sort_keys=True).encode()
    ).hexdigest()[:16]
    os.makedirs(args.output_dir, exist_ok=True)
    results_path = os.path.join(args.output_dir, "results.json")
    runs = []
    if os.path.isfile(results_path):
        with open(results_path, encoding="utf-8") as f:
            previous = json.load(f)
        if previous.get("settings_key") == settings_key:
            runs = previous["runs"]
    done = {(r["task"], r["config"], r["seed"]) for r in runs}
    configs = [ablation_models.CONFIGS_BY_NAME[n] for n in args.configs]
    needs_elmo = any(c.placements for c in configs)
    data_stats = {}
    for task_name in args.tasks:
        task = ablation_data.load_task(
            args.data_dir, task_name, limits.get(task_name)
        )
        vocabulary = ablation_data.build_word_vocabulary(
            task.splits["train"].tokens, args.min_count
        )
        data_stats[task_name] = {
            "kind": task.kind,
            "labels": len(task.label_names),
            "word_vocabulary": len(vocabulary),
            **{
                split: {
                    "sentences": len(s.tokens),
                    "tokens": sum(len(t) for t in s.tokens),
                }
                for split, s in task.splits.items()
            },
        }
        if not args.quiet:
            print(json.dumps({task_name: data_stats[task_name]}), flush=True)
        if needs_elmo:
            feature_start = time.time()
            ablation_data.attach_features(task, cache)
            data_stats[task_name]["feature_seconds"] = round(
                time.time() - feature_start, 1
            )
        for config in configs:
            for seed in args.seeds:
                if (task_name, config.name, seed) in done:
                    continue
                run = run_one(task, vocabulary, config, seed, args)
                runs.append(run)
                if not args.quiet:
                    print(
                        f"{task_name} {config.name} seed={seed}: "
                        f"dev {100 * run['dev_accuracy']:.2f} "
                        f"test {100 * run['test_accuracy']:.2f} "
                        f"(best epoch {run['best_epoch']}/"
                        f"{run['epochs_run']}, {run['train_seconds']} s)",
                        flush=True,
                    )
                _write_json(
                    results_path,
                    {
                        "settings_key": settings_key,
                        "settings": settings,
                        "bilm": {
                            "options": os.path.abspath(args.options),
                            "weights": os.path.abspath(args.weights),
                        },
                        "data": data_stats,
                        "runs": runs,
                    },
                )
    selected = [
        r
        for r in runs
        if r["task"] in args.tasks
        and r["config"] in args.configs
        and r["seed"] in args.seeds
    ]
    table = markdown_tables(selected, args.tasks, settings)
    with open(os.path.join(args.output_dir, "table.md"), "w") as f:
        f.write(table)
    if not args.quiet:
        print(table)
        print(f"Done in {time.time() - start_time:.0f} s.", flush=True)
    return {"runs": selected, "table": table, "data": data_stats}


if __name__ == "__main__":
    main()
