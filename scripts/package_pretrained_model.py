"""Package a training run as a shipped preset (and a TF Serving version).

Writes the preset directory: `options.json` + `weights.hdf5` (the original
ELMo format, biLM only: the softmax stays with the run) and
`metadata.json`, whose `metrics` are the measured held-out perplexities of
the model and of a unigram baseline on the same targets; the other
metadata entries and the model card (`README.md`, which quotes the
metrics) of an existing preset are kept. With `--serving-dir`, also a TF
Serving version directory `1/` there.

Usage:

    python scripts/package_pretrained_model.py RUN_DIR HELDOUT_FILE \
        keras_elmo/presets/elmo_english_small \
        --serving-dir saved_models/elmo_english_small
"""

import argparse
import collections
import glob
import json
import math
import os
import shutil
import sys
import tempfile


def unigram_perplexity(vocabulary, train_files, heldout_file):
    """Perplexity of an add-one unigram model on the biLM's targets.

    The targets are those of the biLM's forward direction (each token of a
    sentence, then `</S>`; out-of-vocabulary tokens are `<UNK>`). The
    backward direction's targets (`<S>`, then the tokens) have the same
    unigram perplexity, since `<S>` and `</S>` are equally frequent.
    """
    index = {token: i for i, token in enumerate(vocabulary)}
    counts = collections.Counter()
    for path in train_files:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                tokens = line.split()
                if not tokens:
                    continue
                counts.update(index.get(t, index["<UNK>"]) for t in tokens)
                counts[index["</S>"]] += 1
    total = sum(counts.values()) + len(vocabulary)
    nll, n = 0.0, 0
    with open(heldout_file, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            tokens = line.split()
            if not tokens:
                continue
            ids = [index.get(t, index["<UNK>"]) for t in tokens]
            for i in ids + [index["</S>"]]:
                nll -= math.log((counts[i] + 1) / total)
                n += 1
    return math.exp(nll / n), n


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("heldout_file")
    parser.add_argument("destination", help="the preset directory")
    parser.add_argument(
        "--serving-dir", help="also write TF Serving version 1/ here"
    )
    args = parser.parse_args(argv)

    from keras_elmo.export.saved_model import export_saved_model
    from keras_elmo.models.elmo import ELMo
    from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
    from keras_elmo.presets import resolve_preset
    from keras_elmo.training.checkpoints import export_checkpoint
    from keras_elmo.training.perplexity import evaluate_perplexity

    with open(os.path.join(args.run_dir, "training_config.json")) as f:
        config = json.load(f)
    with tempfile.TemporaryDirectory() as full:
        export_checkpoint(args.run_dir, os.path.join(full, "export"))
        full = os.path.join(full, "export")
        metrics = evaluate_perplexity(full, args.heldout_file)
        vocabulary = load_vocabulary(os.path.join(full, "vocabulary.txt"))
        train_files = sorted(
            path
            for pattern in config["train_files"]
            for path in glob.glob(pattern)
        )
        baseline, targets = unigram_perplexity(
            vocabulary, train_files, args.heldout_file
        )
        model = ELMo.from_preset(full)
        summary = {
            "heldout_perplexity": metrics,
            "unigram_baseline_perplexity": baseline,
            "heldout_target_tokens_per_direction": targets,
            "vocabulary_size": len(vocabulary),
            "parameters_bilm": int(
                sum(math.prod(w.shape) for w in model.weights)
            ),
        }
        metadata, card = {}, None
        if os.path.isdir(args.destination):
            previous = resolve_preset(args.destination)
            metadata = previous.metadata()
            card = previous.file("README.md", required=False)
        metadata.update(metrics=summary, parameters=summary["parameters_bilm"])
        with tempfile.TemporaryDirectory() as keep:
            if card is not None:  # copied before the directory is replaced
                card = shutil.copy(card, os.path.join(keep, "README.md"))
            model.save_to_preset(
                args.destination, metadata=metadata, model_card=card
            )
        if args.serving_dir:
            export_saved_model(model, args.serving_dir, version=1)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
