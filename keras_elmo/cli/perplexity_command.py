"""`keras-elmo perplexity MODEL_DIR FILES...`: biLM vs n-gram perplexities."""

import glob
import json

from keras_elmo.cli.arguments import positive_int

BASELINES = (
    ("kneser_ney_trigram", "Kneser-Ney trigram (interpolated, modified)"),
    ("kneser_ney_bigram", "Kneser-Ney bigram (interpolated, modified)"),
    ("unigram_add_one", "unigram (add-one)"),
)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "perplexity",
        help="exact biLM perplexities, next to n-gram baselines",
        description="Forward, backward and average full-softmax perplexity "
        "of a trained biLM (a `train` export directory or a preset holding "
        "vocabulary.txt and the softmax) on held-out text, next to "
        "Kneser-Ney bigram and trigram and add-one unigram models trained "
        "on the biLM's training text, with the same vocabulary and "
        "targets. By default every sentence is scored whole, from a zero "
        "state (--mode windows: bilm-tf's 20-token windows).",
    )
    parser.add_argument(
        "model_dir",
        help="a language-model preset: a run's export/ directory, a preset "
        "directory, or a built-in name (elmo_tiny_en)",
    )
    parser.add_argument("files", nargs="+", help="held-out text files/globs")
    parser.add_argument(
        "--mode", choices=("sentences", "windows"), default="sentences"
    )
    parser.add_argument(
        "--max-tokens-per-batch",
        type=positive_int,
        default=4096,
        help="token budget of a batch (sentences mode)",
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=64, help="windows mode"
    )
    parser.add_argument(
        "--unroll-steps", type=positive_int, default=20, help="windows mode"
    )
    parser.add_argument(
        "--train",
        nargs="+",
        help="training text (files/globs) for the n-gram baselines; "
        "default: the training files named in the model's metadata.json, "
        "if they exist",
    )
    parser.add_argument("--no-baselines", action="store_true", help="biLM only")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run)


def default_train_files(model_dir):
    """The training files recorded in the preset's metadata, if present.

    Returns:
        A list of glob patterns, or `None` (no record, or no file
        matching, e.g. outside the repository that trained the model).
    """
    from keras_elmo.presets import resolve_preset

    metadata = resolve_preset(model_dir).metadata()
    files = metadata.get("training", {}).get("train_files")
    if not files or not all(glob.glob(pattern) for pattern in files):
        return None
    return files


def measure(model_dir, files, args):
    """The `perplexity` command's numbers as a dict (see `run`)."""
    from keras_elmo.training.perplexity import evaluate_perplexity

    train = None if args.no_baselines else args.train
    if train is None and not args.no_baselines:
        # Read (and checked) before the biLM is scored.
        train = default_train_files(model_dir)
    result = {
        "bilm": evaluate_perplexity(
            model_dir,
            files,
            mode=args.mode,
            batch_size=args.batch_size,
            unroll_steps=args.unroll_steps,
            max_tokens_per_batch=args.max_tokens_per_batch,
        )
    }
    if train:
        from keras_elmo.presets import resolve_preset
        from keras_elmo.training.kneser_ney import baseline_perplexities

        vocabulary = resolve_preset(model_dir).vocabulary()
        result.update(baseline_perplexities(vocabulary, train, files))
        result["baseline_train_files"] = list(train)
    return result


def format_table(result):
    """The numbers of `measure` as an aligned text table."""
    bilm = result["bilm"]
    rows = [
        (
            f"biLM ({bilm['mode']})",
            bilm["forward_perplexity"],
            bilm["backward_perplexity"],
            bilm["perplexity"],
        )
    ]
    for key, label in BASELINES:
        if key in result:
            r = result[key]
            rows.append((label, r["forward"], r["backward"], r["perplexity"]))
    width = max(len(row[0]) for row in rows)
    lines = [
        f"{'model':<{width}}  {'forward':>9}  {'backward':>9}  {'average':>9}"
    ]
    for label, forward, backward, average in rows:
        lines.append(
            f"{label:<{width}}  {forward:9.1f}  {backward:9.1f}  {average:9.1f}"
        )
    lines.append(f"targets per direction: {bilm['targets']}")
    if "unknown_tokens" in result:
        lines[-1] += f" ({result['unknown_tokens']} out of the vocabulary)"
    if "baseline_train_files" not in result:
        lines.append(
            "n-gram baselines: skipped (give --train with the biLM's "
            "training text)"
        )
    return "\n".join(lines)


def run(args):
    result = measure(args.model_dir, args.files, args)
    print(json.dumps(result) if args.json else format_table(result))
    return 0
