"""Sentence classification with ELMo: raw strings in, class probabilities out.

A Keras model that reads whitespace-tokenized sentences as strings,
embeds them with a frozen ELMo biLM (`keras_elmo.ELMoEmbedding`, a learned
mix of its layers), runs a BiLSTM and pools the states over the real
tokens. Copy it and replace the toy data with yours.

Run it on the built-in toy data:

    python examples/sentence_classification.py --model elmo_english_small

or on a TSV file of `label<TAB>sentence` lines (e.g. the polarity data of
`scripts/prepare_ablation_data.py`), with original bilm-tf weights:

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

TOY_TRAIN = [
    ("positive", "a gripping , beautifully acted film ."),
    ("positive", "warm , funny and wise from start to finish ."),
    ("positive", "one of the best movies of the year ."),
    ("positive", "the cast is terrific and the story moving ."),
    ("positive", "a smart , charming and delightful comedy ."),
    ("positive", "i loved every minute of it ."),
    ("negative", "a dull , lifeless and tedious mess ."),
    ("negative", "the plot is thin and the jokes fall flat ."),
    ("negative", "one of the worst movies of the year ."),
    ("negative", "the acting is wooden and the story boring ."),
    ("negative", "a clumsy , tiresome and forgettable comedy ."),
    ("negative", "i hated every minute of it ."),
]
TOY_TEST = [
    ("positive", "a charming and moving story ."),
    ("negative", "a boring and clumsy film ."),
    ("positive", "funny , smart and terrific ."),
    ("negative", "tedious , dull and forgettable ."),
]


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


def build_model(elmo, num_classes, lstm_units=64, run_eagerly=False):
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
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        run_eagerly=run_eagerly,
    )
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model",
        default="elmo_english_small",
        help="a preset: built-in name, directory with options.json and "
        "weights.hdf5, or URL (docs/presets.md)",
    )
    parser.add_argument("--options", help="original options.json")
    parser.add_argument("--weights", help="original hdf5 weights")
    parser.add_argument("--train", help="TSV file (default: toy data)")
    parser.add_argument("--test", help="TSV file (default: toy data)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--save", help="write the trained model (.keras)")
    parser.add_argument(
        "--run-eagerly",
        action="store_true",
        help="skip graph tracing (debugging, tiny smoke runs)",
    )
    args = parser.parse_args(argv)
    if bool(args.options) != bool(args.weights):
        parser.error("--options and --weights go together")

    train = read_tsv(args.train) if args.train else TOY_TRAIN
    test = read_tsv(args.test) if args.test else TOY_TEST
    classes = sorted({label for label, _ in train})
    index = {label: i for i, label in enumerate(classes)}
    unknown = {label for label, _ in test} - set(classes)
    if unknown:
        raise ValueError(f"Test labels not seen in training: {unknown}")

    def arrays(examples):
        x = tf.constant([sentence for _, sentence in examples])
        y = np.array([index[label] for label, _ in examples])
        return x, y

    keras.utils.set_random_seed(0)
    model = build_model(
        load_elmo(args), len(classes), run_eagerly=args.run_eagerly
    )
    x_train, y_train = arrays(train)
    x_test, y_test = arrays(test)
    model.fit(
        x_train,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        shuffle=True,
        verbose=2,
    )
    _, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {test_accuracy:.3f}")
    probabilities = model.predict(x_test[:4], verbose=0)
    for (_, sentence), p in zip(test[:4], probabilities):
        print(f"{classes[int(np.argmax(p))]:>10}  {sentence}")
    if args.save:
        model.save(args.save)
    return {"test_accuracy": float(test_accuracy), "classes": classes}


if __name__ == "__main__":
    main()
