"""Sentence classification with ELMo: raw strings in, class probabilities out.

A Keras model that reads whitespace-tokenized sentences as strings,
embeds them with a frozen ELMo biLM (`keras_elmo.ELMoEmbedding`, a learned
mix of its layers), runs a BiLSTM and pools the states over the real
tokens. Copy it and replace the toy data with yours.

Run it on the built-in toy data:

    python examples/sentence_classification.py --model elmo_tiny_en

or on a TSV file of `label<TAB>sentence` lines (e.g. the polarity data of
`tools/prepare_ablation_data.py`), with original bilm-tf weights:

    python examples/sentence_classification.py \\
        --options options.json --weights weights.hdf5 \\
        --train data/ablation/polarity/train.tsv \\
        --test data/ablation/polarity/test.tsv --epochs 5
"""

import argparse

import keras
import numpy as np
import tensorflow as tf

import keras_elmo

# Toy data: film-review phrases built from templates. The test set uses a
# template never seen in training, and 8 of its 20 sentences use sentiment
# words never seen in training either, where only what the biLM learned
# about words (from its unlabelled pretraining text) can help.
POSITIVE = ["good", "great", "wonderful", "charming", "moving", "funny"]
NEGATIVE = ["bad", "dull", "boring", "tedious", "clumsy", "lifeless"]
UNSEEN_POSITIVE = ["brilliant", "superb", "lovely", "delightful"]
UNSEEN_NEGATIVE = ["dreadful", "terrible", "awful", "tiresome"]
TRAIN_TEMPLATES = [
    "the film is {} .",
    "a {} and {} story .",
    "i found it {} .",
    "the acting was {} and the plot {} .",
    "it is a {} , {} comedy .",
]
TEST_TEMPLATE = "the story is {} and {} ."


def _phrases(template, words, label, shift):
    return [
        (label, template.format(w, words[(i + shift) % len(words)]))
        for i, w in enumerate(words)
    ]


def toy_data():
    """`(train, test)` lists of `(label, sentence)` (60 and 20 examples)."""
    train, test = [], []
    for shift, template in enumerate(TRAIN_TEMPLATES, start=1):
        train += _phrases(template, POSITIVE, "positive", shift)
        train += _phrases(template, NEGATIVE, "negative", shift)
    test += _phrases(TEST_TEMPLATE, POSITIVE, "positive", 2)
    test += _phrases(TEST_TEMPLATE, NEGATIVE, "negative", 2)
    test += _phrases(TEST_TEMPLATE, UNSEEN_POSITIVE, "positive", 1)
    test += _phrases(TEST_TEMPLATE, UNSEEN_NEGATIVE, "negative", 1)
    return train, test


def read_tsv(path):
    """`label<TAB>sentence` lines -> list of `(label, sentence)`."""
    examples = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            label, sep, sentence = line.rstrip("\n").partition("\t")
            if not sep or not sentence.split():
                raise ValueError(f"{path}:{number}: expected label<TAB>text")
            examples.append((label, sentence))
    return examples


def load_elmo(args):
    """An `ELMoEmbedding` for string inputs (frozen biLM, one mix)."""
    kwargs = {"input_type": "sentences", "dropout": 0.2, "l2_coef": 1e-3}
    if args.options or args.weights:
        return keras_elmo.ELMoEmbedding.from_bilm_hdf5(
            args.options, args.weights, **kwargs
        )
    return keras_elmo.ELMoEmbedding.from_preset(args.model, **kwargs)


def build_model(
    elmo, num_classes, lstm_units=64, learning_rate=3e-3, run_eagerly=False
):
    """Strings -> ELMo -> BiLSTM -> mean over real tokens -> softmax."""
    sentences = keras.Input(shape=(), dtype="string", name="sentences")
    vectors = elmo(sentences)  # (batch, tokens, dim); carries the mask
    states = keras.layers.Bidirectional(
        keras.layers.LSTM(lstm_units, return_sequences=True)
    )(vectors)  # (batch, tokens, 2 * lstm_units)
    pooled = keras.layers.GlobalAveragePooling1D()(states)  # masked mean
    pooled = keras.layers.Dropout(0.5)(pooled)
    probabilities = keras.layers.Dense(num_classes, activation="softmax")(
        pooled
    )
    model = keras.Model(sentences, probabilities)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        run_eagerly=run_eagerly,
    )
    return model


def build_baseline_model(
    vocabulary_size, num_classes, lstm_units=64, learning_rate=3e-3
):
    """The same head on word embeddings learned from the training data.

    The no-ELMo baseline: word ids (0 = padding, 1 = a word not seen in
    training) -> embedding -> BiLSTM -> masked mean -> softmax.
    """
    word_ids = keras.Input(shape=(None,), dtype="int32", name="word_ids")
    vectors = keras.layers.Embedding(vocabulary_size, 100, mask_zero=True)(
        word_ids
    )  # (batch, tokens, 100)
    states = keras.layers.Bidirectional(
        keras.layers.LSTM(lstm_units, return_sequences=True)
    )(vectors)
    pooled = keras.layers.GlobalAveragePooling1D()(states)
    pooled = keras.layers.Dropout(0.5)(pooled)
    probabilities = keras.layers.Dense(num_classes, activation="softmax")(
        pooled
    )
    model = keras.Model(word_ids, probabilities)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def word_id_arrays(sentences, vocabulary):
    """Padded word ids (0 padding, 1 unseen word) of whitespace tokens."""
    token_lists = [sentence.split() for sentence in sentences]
    width = max(len(tokens) for tokens in token_lists)
    ids = np.zeros((len(token_lists), width), np.int32)
    for row, tokens in enumerate(token_lists):
        ids[row, : len(tokens)] = [vocabulary.get(t, 1) for t in tokens]
    return ids


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model",
        default="elmo_tiny_en",
        help="a preset: built-in name, directory with options.json and "
        "weights.hdf5, or URL (docs/presets.md)",
    )
    parser.add_argument("--options", help="original options.json")
    parser.add_argument("--weights", help="original hdf5 weights")
    parser.add_argument("--train", help="TSV file (default: toy data)")
    parser.add_argument("--test", help="TSV file (default: toy data)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--save", help="write the trained model (.keras)")
    parser.add_argument(
        "--run-eagerly",
        action="store_true",
        help="skip graph tracing (debugging, tiny smoke runs)",
    )
    args = parser.parse_args(argv)
    if bool(args.options) != bool(args.weights):
        parser.error("--options and --weights go together")

    toy_train, toy_test = toy_data()
    train = read_tsv(args.train) if args.train else toy_train
    test = read_tsv(args.test) if args.test else toy_test
    classes = sorted({label for label, _ in train})
    index = {label: i for i, label in enumerate(classes)}
    unknown = {label for label, _ in test} - set(classes)
    if unknown:
        raise ValueError(f"Test labels not seen in training: {unknown}")
    seen = {token for _, sentence in train for token in sentence.split()}
    vocabulary = {token: i for i, token in enumerate(sorted(seen), start=2)}
    # Test sentences with a word the task data never showed the model.
    has_unseen = np.array(
        [any(t not in seen for t in s.split()) for _, s in test]
    )

    def arrays(examples):
        x = tf.constant([sentence for _, sentence in examples])
        y = np.array([index[label] for label, _ in examples])
        return x, y

    x_train, y_train = arrays(train)
    x_test, y_test = arrays(test)

    def accuracies(predictions):
        correct = np.argmax(predictions, axis=-1) == y_test
        unseen = correct[has_unseen].mean() if has_unseen.any() else np.nan
        return float(correct.mean()), float(unseen)

    keras.utils.set_random_seed(0)
    model = build_model(
        load_elmo(args),
        len(classes),
        learning_rate=args.learning_rate,
        run_eagerly=args.run_eagerly,
    )
    model.fit(
        x_train,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        shuffle=True,
        verbose=0,
    )
    elmo_accuracy = accuracies(model.predict(x_test, verbose=0))

    keras.utils.set_random_seed(0)
    baseline = build_baseline_model(
        len(vocabulary) + 2, len(classes), learning_rate=args.learning_rate
    )
    baseline.fit(
        word_id_arrays([s for _, s in train], vocabulary),
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        shuffle=True,
        verbose=0,
    )
    baseline_accuracy = accuracies(
        baseline.predict(
            word_id_arrays([s for _, s in test], vocabulary), verbose=0
        )
    )
    majority = np.bincount(y_train, minlength=len(classes)).argmax()

    print(
        f"test accuracy ({len(test)} sentences, {int(has_unseen.sum())} "
        "with a word not in the training data):"
    )
    for name, (overall, unseen) in [
        ("ELMo + BiLSTM", elmo_accuracy),
        ("no ELMo (word embeddings)", baseline_accuracy),
    ]:
        print(f"  {name:<27} {overall:.3f}   on those: {unseen:.3f}")
    print(f"  {'majority class':<27} {float(np.mean(y_test == majority)):.3f}")
    probabilities = model.predict(x_test[-4:], verbose=0)
    for (_, sentence), p in zip(test[-4:], probabilities):
        print(f"{classes[int(np.argmax(p))]:>10}  {sentence}")
    if args.save:
        model.save(args.save)
    return {
        "test_accuracy": elmo_accuracy[0],
        "unseen_word_accuracy": elmo_accuracy[1],
        "baseline_accuracy": baseline_accuracy[0],
        "baseline_unseen_word_accuracy": baseline_accuracy[1],
        "classes": classes,
    }


if __name__ == "__main__":
    main()
