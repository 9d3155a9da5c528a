"""Package a training run as a shipped model in `saved_models/<name>/`.

Writes `options.json` + `weights.hdf5` (the original ELMo format, biLM
only: the softmax stays with the run), a TF Serving version directory
`1/`, and `metrics.json` with the measured held-out perplexities of the
model and of a unigram baseline on the same targets. The model card
(`README.md`) quotes `metrics.json`.

Usage:

    python scripts/package_pretrained_model.py RUN_DIR HELDOUT_FILE \
        saved_models/elmo_english_small
"""

import argparse
import collections
import glob
import json
import math
import os
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
    parser.add_argument("destination")
    args = parser.parse_args(argv)

    from keras_elmo.export.saved_model import export_saved_model
    from keras_elmo.models.elmo import ELMo
    from keras_elmo.training.export import export_checkpoint
    from keras_elmo.training.perplexity import evaluate_perplexity
    from keras_elmo.training.vocabulary import load_vocabulary
    from keras_elmo.utils.atomic import atomic_path

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
        model = ELMo.from_bilm_hdf5(
            os.path.join(full, "options.json"),
            os.path.join(full, "weights.hdf5"),
        )
        with atomic_path(args.destination, directory=True) as tmp:
            model.save_bilm_hdf5(
                os.path.join(tmp, "weights.hdf5"),
                os.path.join(tmp, "options.json"),
            )
            export_saved_model(model, tmp, version=1)
            summary = {
                "heldout_perplexity": metrics,
                "unigram_baseline_perplexity": baseline,
                "heldout_target_tokens_per_direction": targets,
                "vocabulary_size": len(vocabulary),
                "parameters_bilm": int(
                    sum(math.prod(w.shape) for w in model.weights)
                ),
            }
            with open(os.path.join(tmp, "metrics.json"), "w") as f:
                json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
