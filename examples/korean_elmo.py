"""Korean ELMo end to end: raw text, biLM, embeddings, serving, classifier.

Runs on the Korean texts vendored in `examples/data/korean/` (the
Constitution of the Republic of Korea and the Universal Declaration of
Human Rights in Korean; see `examples/data/korean/README.md`), or on your
own raw text files, one paragraph a line:

1. split the paragraphs into train and test (whole paragraphs, so that no
   test sentence is seen in pretraining), then `keras-elmo tokenize` them
   (NFC, punctuation split, eojeol kept) and save the tokenizer;
2. `keras-elmo build-vocab` and `keras-elmo train --text-tokenizer ...`: a
   biLM on UTF-8 bytes, the model directory records the tokenizer;
3. held-out perplexity, beside an add-one unigram model's;
4. `ELMoEmbedder.from_preset(model_dir)` embeds raw Korean sentences (the
   recorded tokenizer applies), and `keras-elmo export` writes a TF
   Serving SavedModel, which a fresh Python process loads and runs on
   client-tokenized Korean sentences;
5. a Keras classifier learns which text a sentence comes from: on
   trainable word embeddings (no ELMo, the baseline), on the same plus
   `ELMoEmbedding` (strings in, frozen biLM, learned layer mix), and on
   ELMo alone, beside the majority class.

    python examples/korean_elmo.py --work-dir runs/korean

Prints the numbers and returns them (a dict) from `main()`.
"""

import argparse
import collections
import glob
import json
import math
import os
import random
import subprocess
import sys

import keras
import numpy as np
import tensorflow as tf

import keras_elmo
from keras_elmo.cli.main import main as keras_elmo_cli
from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
from keras_elmo.training.perplexity import evaluate_perplexity

DATA_DIR = os.path.join(os.path.dirname(__file__), "data", "korean")
SOURCES = ("constitution", "udhr")

# A small biLM on UTF-8 bytes (50 positions: 16 Hangul syllables).
SMALL_OPTIONS = {
    "char_cnn": {
        "activation": "relu",
        "embedding": {"dim": 16},
        "filters": [[1, 32], [2, 32], [3, 64], [4, 64]],
        "max_characters_per_token": 50,
        "n_characters": 262,
        "n_highway": 1,
    },
    "lstm": {
        "cell_clip": 3,
        "dim": 256,
        "n_layers": 2,
        "proj_clip": 3,
        "projection_dim": 64,
        "use_skip_connections": True,
    },
}
# The CI size: seconds to train, enough to see the perplexity fall.
TINY_OPTIONS = {
    "char_cnn": {
        "activation": "relu",
        "embedding": {"dim": 8},
        "filters": [[1, 16], [2, 16], [3, 32]],
        "max_characters_per_token": 50,
        "n_characters": 262,
        "n_highway": 1,
    },
    "lstm": {
        "cell_clip": 3,
        "dim": 64,
        "n_layers": 1,
        "proj_clip": 3,
        "projection_dim": 32,
        "use_skip_connections": False,
    },
}

# Client side of the served model, in a process that never imported
# keras_elmo: tokens joined by spaces go to `serving_default`.
SERVE_IN_FRESH_PROCESS = """
import json, sys
import tensorflow as tf
version_dir, sentences = sys.argv[1], json.loads(sys.argv[2])
serve = tf.saved_model.load(version_dir).signatures["serving_default"]
outputs = serve(sentences=tf.constant(sentences))
print(json.dumps({
    "elmo": outputs["elmo"].numpy().tolist(),
    "sequence_len": outputs["sequence_len"].numpy().tolist(),
    "keras_elmo_imported": "keras_elmo" in sys.modules,
}))
"""


def cli(*argv):
    """Run a `keras-elmo` command; raise if it fails."""
    code = keras_elmo_cli([str(a) for a in argv])
    if code:
        raise RuntimeError(f"keras-elmo {argv[0]} failed with code {code}")


def read_paragraphs(path):
    with open(path, encoding="utf-8-sig") as f:
        return [line.strip() for line in f if line.strip()]


def split_paragraphs(data_dir, work_dir, test_fraction, seed):
    """Raw train/test files per source, split by whole paragraphs."""
    os.makedirs(os.path.join(work_dir, "raw"), exist_ok=True)
    rng = random.Random(seed)
    for source in SOURCES:
        paragraphs = read_paragraphs(os.path.join(data_dir, f"{source}.txt"))
        order = list(range(len(paragraphs)))
        rng.shuffle(order)
        n_test = max(1, round(test_fraction * len(paragraphs)))
        test = set(order[:n_test])
        for split, keep in (("train", False), ("test", True)):
            path = os.path.join(work_dir, "raw", f"{source}_{split}.txt")
            with open(path, "w", encoding="utf-8") as f:
                for i, paragraph in enumerate(paragraphs):
                    if (i in test) == keep:
                        f.write(paragraph + "\n")


def tokenize(work_dir):
    """`keras-elmo tokenize` each raw file; the tokenizer goes to tok/."""
    tok = os.path.join(work_dir, "tok")
    for source in SOURCES:
        for split in ("train", "test"):
            cli(
                "tokenize",
                os.path.join(work_dir, "raw", f"{source}_{split}.txt"),
                "--output",
                os.path.join(tok, f"{source}_{split}.txt"),
                "--split-sentences",
                "--normalization",
                "NFC",
                "--save-text-tokenizer",
                tok,
            )
    return tok


def eojeol_statistics(paths, max_characters_per_token=50):
    """How many eojeol/tokens the byte-level CNN cuts (48 bytes = 16 syllables).

    Example:

    >>> eojeol_statistics(["examples/data/korean/udhr.txt"])["tokens"]
    """
    raw, tokens = [], []
    tokenizer = keras_elmo.TextTokenizer()
    for path in paths:
        for paragraph in read_paragraphs(path):
            raw.extend(tokenizer.normalize(paragraph).split())
            tokens.extend(tokenizer.tokenize(paragraph))
    limit = max_characters_per_token - 2  # bytes between BOW and EOW

    def stats(words):
        lengths = [len(w) for w in words]
        cut = sum(len(w.encode("utf-8")) > limit for w in words)
        return {
            "count": len(words),
            "mean_characters": sum(lengths) / len(lengths),
            "max_characters": max(lengths),
            "share_cut": cut / len(words),
        }

    return {"eojeol": stats(raw), "tokens": stats(tokens)}


def unigram_perplexity(vocabulary, train_files, test_files):
    """Add-one unigram perplexity on the biLM's forward targets."""
    index = {token: i for i, token in enumerate(vocabulary)}
    unk, eos = index["<UNK>"], index["</S>"]

    def targets(paths):
        for path in paths:
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if line.split():
                        yield from (index.get(t, unk) for t in line.split())
                        yield eos

    counts = collections.Counter(targets(train_files))
    total = sum(counts.values()) + len(vocabulary)
    scored = [math.log((counts[i] + 1) / total) for i in targets(test_files)]
    return math.exp(-sum(scored) / len(scored))


def train_bilm(work_dir, tok, options, steps, batch_size, unroll_steps):
    train_glob = os.path.join(tok, "*_train.txt")
    test_glob = os.path.join(tok, "*_test.txt")
    vocabulary = os.path.join(work_dir, "vocabulary.txt")
    cli("build-vocab", train_glob, "--output", vocabulary, "--no-progress")
    options_file = os.path.join(work_dir, "options.json")
    with open(options_file, "w") as f:
        json.dump(options, f)
    run_dir = os.path.join(work_dir, "run")
    cli(
        "train",
        "--train", train_glob,
        "--vocabulary", vocabulary,
        "--output-dir", run_dir,
        "--options", options_file,
        "--text-tokenizer", os.path.join(tok, "text_tokenizer.json"),
        "--steps", steps,
        "--batch-size", batch_size,
        "--unroll-steps", unroll_steps,
        "--negative-samples", 64,
        "--checkpoint-every", steps,
        "--log-every", max(1, steps // 4),
        # Adagrad at 0.5 (bilm-tf's optimizer; Adam at this rate diverges).
        "--recipe", "bilm_tf",
        "--learning-rate", 0.5,
        "--quiet",
    )  # fmt: skip
    model_dir = os.path.join(run_dir, "export")
    scores = {}
    for name, pattern in (("train", train_glob), ("test", test_glob)):
        files = sorted(glob.glob(pattern))
        scores[f"{name}_perplexity"] = evaluate_perplexity(
            model_dir, files, batch_size=4, unroll_steps=unroll_steps
        )["perplexity"]
        scores[f"{name}_unigram_perplexity"] = unigram_perplexity(
            load_vocabulary(vocabulary),
            sorted(glob.glob(train_glob)),
            files,
        )
    return model_dir, scores


def serve_in_fresh_process(model_dir, work_dir, sentences):
    """Export a SavedModel; a new process runs it on tokenized sentences."""
    base = os.path.join(work_dir, "served")
    cli("export", "--model", model_dir, "--output", base, "--version", 1)
    # The client's copy of the model's tokenizer, from the SavedModel.
    tokenizer = keras_elmo.TextTokenizer.load(
        os.path.join(base, "1", "assets.extra")
    )
    client_text = [" ".join(tokenizer.tokenize(s)) for s in sentences]
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            SERVE_IN_FRESH_PROCESS,
            os.path.join(base, "1"),
            json.dumps(client_text),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def labelled_sentences(tok, split):
    examples = []
    for label, source in enumerate(SOURCES):
        path = os.path.join(tok, f"{source}_{split}.txt")
        with open(path, encoding="utf-8") as f:
            examples += [(label, line.strip()) for line in f if line.split()]
    return examples


def classifier_head(vectors, num_classes, units):
    """BiLSTM over (masked) token vectors -> masked mean -> softmax."""
    states = keras.layers.Bidirectional(
        keras.layers.LSTM(units, return_sequences=True)
    )(vectors)  # (batch, tokens, 2 * units)
    pooled = keras.layers.GlobalAveragePooling1D()(states)  # masked mean
    pooled = keras.layers.Dropout(0.3)(pooled)
    return keras.layers.Dense(num_classes, activation="softmax")(pooled)


def build_classifier(train_text, units, dim, model_dir=None, words=True):
    """Strings (tokens joined by spaces) -> token vectors -> BiLSTM -> classes.

    The token vectors are trainable word embeddings of the training words
    (`words`), the frozen Korean ELMo of `model_dir` (its learned layer
    mix), or both concatenated, as the paper adds ELMo to a task model:
    `[x; ELMo]`.
    """
    sentences = keras.Input(shape=(), dtype="string", name="sentences")
    parts = []
    if words:
        vectorize = keras.layers.TextVectorization(
            standardize=None, split="whitespace"
        )
        vectorize.adapt(tf.constant(train_text))
        ids = vectorize(sentences)  # (batch, tokens); 0 pads, 1 unknown
        parts.append(
            keras.layers.Embedding(
                vectorize.vocabulary_size(), dim, mask_zero=True
            )(ids)
        )  # (batch, tokens, dim)
    if model_dir is not None:
        elmo = keras_elmo.ELMoEmbedding.from_preset(
            model_dir, input_type="sentences", dropout=0.2
        )
        parts.append(elmo(sentences))  # (batch, tokens, 2 * projection)
    vectors = parts[0] if len(parts) == 1 else keras.layers.Concatenate()(parts)
    return keras.Model(sentences, classifier_head(vectors, len(SOURCES), units))


def fit_and_score(model, train, test, epochs):
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    x = tf.constant([s for _, s in train])
    y = np.array([label for label, _ in train])
    model.fit(x, y, batch_size=16, epochs=epochs, shuffle=True, verbose=0)
    x_test = tf.constant([s for _, s in test])
    y_test = np.array([label for label, _ in test])
    return float(model.evaluate(x_test, y_test, verbose=0)[1])


CLASSIFIERS = {
    "words": {"words": True, "elmo": False},
    "words_elmo": {"words": True, "elmo": True},
    "elmo": {"words": False, "elmo": True},
}


def classify(model_dir, tok, epochs, seeds, units, dim=32):
    """Test accuracy of each classifier over `seeds` seeds."""
    train = labelled_sentences(tok, "train")
    test = labelled_sentences(tok, "test")
    majority = collections.Counter(label for label, _ in test).most_common(1)
    results = {
        "train_sentences": len(train),
        "test_sentences": len(test),
        "majority_accuracy": majority[0][1] / len(test),
    }
    text = [s for _, s in train]
    for name, parts in CLASSIFIERS.items():
        results[name] = []
        for seed in range(seeds):
            keras.utils.set_random_seed(seed)
            model = build_classifier(
                text,
                units,
                dim,
                model_dir=model_dir if parts["elmo"] else None,
                words=parts["words"],
            )
            results[name].append(fit_and_score(model, train, test, epochs))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--data-dir", default=DATA_DIR)
    parser.add_argument(
        "--size", choices=("tiny", "small"), default="small",
        help="biLM size (tiny: the CI run)",
    )  # fmt: skip
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--unroll-steps", type=int, default=20)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--units", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    split_paragraphs(
        args.data_dir, args.work_dir, args.test_fraction, args.seed
    )
    tok = tokenize(args.work_dir)
    results = {
        "lengths": eojeol_statistics(
            [os.path.join(args.data_dir, f"{s}.txt") for s in SOURCES]
        )
    }
    options = TINY_OPTIONS if args.size == "tiny" else SMALL_OPTIONS
    model_dir, results["bilm"] = train_bilm(
        args.work_dir,
        tok,
        options,
        args.steps,
        args.batch_size,
        args.unroll_steps,
    )

    # Raw Korean text in: the model directory's tokenizer applies.
    embedder = keras_elmo.ELMoEmbedder.from_preset(model_dir)
    sentences = [
        "대한민국은 민주공화국이다.",
        # 18 syllables = 54 UTF-8 bytes: the byte-level CNN keeps 16.
        "대한민국임시정부의법통과불의에항거한 정신.",
        "\ufeff모든 인간은 태어날 때부터 자유로우며 존엄과 권리에 있어 "
        "동등하다.",
    ]
    vectors = embedder.embed_sentences(sentences, output="elmo")
    results["embedded_tokens"] = [len(v) for v in vectors]
    served = serve_in_fresh_process(model_dir, args.work_dir, sentences)
    results["served_max_abs_difference"] = max(
        float(np.max(np.abs(np.asarray(row)[: len(v)] - v)))
        for row, v in zip(served["elmo"], vectors)
    )
    results["served_sequence_len"] = served["sequence_len"]
    results["classifier"] = classify(
        model_dir, tok, args.epochs, args.seeds, args.units
    )

    lengths = results["lengths"]
    print(
        f"eojeol: {lengths['eojeol']['count']}, "
        f"{100 * lengths['eojeol']['share_cut']:.2f}% over 16 syllables; "
        f"tokens: {lengths['tokens']['count']}, "
        f"{100 * lengths['tokens']['share_cut']:.2f}% over"
    )
    bilm = results["bilm"]
    print(
        f"perplexity train {bilm['train_perplexity']:.1f} "
        f"(unigram {bilm['train_unigram_perplexity']:.1f}), held-out "
        f"{bilm['test_perplexity']:.1f} "
        f"(unigram {bilm['test_unigram_perplexity']:.1f})"
    )
    print(
        f"served in a fresh process: tokens {results['served_sequence_len']}"
        f", max |served - embedder| "
        f"{results['served_max_abs_difference']:.2e}"
    )
    c = results["classifier"]
    print(
        f"classifier ({c['train_sentences']} train / {c['test_sentences']} "
        f"test sentences), test accuracy over {args.seeds} seeds:"
    )
    for name in CLASSIFIERS:
        print(f"  {name:>10}: {np.mean(c[name]):.3f} {np.round(c[name], 3)}")
    print(f"  {'majority':>10}: {c['majority_accuracy']:.3f}")
    return results


if __name__ == "__main__":
    main()
