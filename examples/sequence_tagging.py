"""Sequence tagging with ELMo: a tag for every token of a raw sentence.

A part-of-speech tagger in the paper's layout: one `keras_elmo.ELMoEmbedding`
(frozen biLM) gives two independently learned mixes of the biLM layers, one
at the BiLSTM's input and one concatenated with its output, and a softmax
predicts a tag per token. Sentences are whitespace-tokenized strings; the
tags are padded per batch and padding gets zero loss weight. Copy it and
replace the toy data with yours.

Run it on the built-in toy data:

    python examples/sequence_tagging.py --model elmo_english_small

or on CoNLL-style files (`token<TAB>tag` lines, a blank line between
sentences, e.g. the POS data of `scripts/prepare_ablation_data.py`):

    python examples/sequence_tagging.py \\
        --options options.json --weights weights.hdf5 \\
        --train data/ablation/pos_wsj/train.conll \\
        --test data/ablation/pos_wsj/test.conll --epochs 5
"""

import argparse

import keras
import numpy as np
import tensorflow as tf

import keras_elmo

TOY_TRAIN = [
    "The/DET cat/NOUN sat/VERB on/ADP the/DET mat/NOUN ./.",
    "A/DET dog/NOUN barked/VERB at/ADP the/DET postman/NOUN ./.",
    "She/PRON reads/VERB old/ADJ books/NOUN ./.",
    "They/PRON walked/VERB slowly/ADV to/ADP the/DET river/NOUN ./.",
    "He/PRON bought/VERB two/NUM red/ADJ apples/NOUN ./.",
    "The/DET old/ADJ man/NOUN and/CONJ the/DET sea/NOUN ./.",
    "We/PRON will/VERB sing/VERB a/DET song/NOUN ./.",
    "Birds/NOUN fly/VERB south/ADV in/ADP winter/NOUN ./.",
]
TOY_TEST = [
    "The/DET dog/NOUN sat/VERB on/ADP a/DET mat/NOUN ./.",
    "She/PRON bought/VERB red/ADJ books/NOUN ./.",
]


def parse_toy(lines):
    """`word/TAG word/TAG` lines -> list of `(tokens, tags)`."""
    return [
        tuple(zip(*(pair.rsplit("/", 1) for pair in line.split())))
        for line in lines
    ]


def read_conll(path):
    """`token<TAB>tag` lines, blank line between sentences."""
    sentences, tokens, tags = [], [], []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line:
                if tokens:
                    sentences.append((tuple(tokens), tuple(tags)))
                    tokens, tags = [], []
                continue
            token, sep, tag = line.partition("\t")
            if not sep or not token or len(token.split()) != 1:
                raise ValueError(f"{path}:{number}: expected token<TAB>tag")
            tokens.append(token)
            tags.append(tag)
    if tokens:
        sentences.append((tuple(tokens), tuple(tags)))
    return sentences


def load_elmo(args):
    """An `ELMoEmbedding` for string inputs with two layer mixes."""
    kwargs = {"input_type": "sentences", "num_outputs": 2, "l2_coef": 1e-3}
    if args.options or args.weights:
        return keras_elmo.ELMoEmbedding.from_bilm_hdf5(
            args.options, args.weights, **kwargs
        )
    return keras_elmo.ELMoEmbedding.from_preset(args.model, **kwargs)


def build_model(elmo, num_tags, lstm_units=64, run_eagerly=False):
    """Strings -> [ELMo -> BiLSTM ; ELMo] -> softmax per token."""
    sentences = keras.Input(shape=(), dtype="string", name="sentences")
    elmo_input, elmo_output = elmo(sentences)  # 2 x (batch, tokens, dim)
    x = keras.layers.Dropout(0.5)(elmo_input)
    states = keras.layers.Bidirectional(
        keras.layers.LSTM(lstm_units, return_sequences=True)
    )(x)  # (batch, tokens, 2 * lstm_units)
    features = keras.layers.Concatenate()([states, elmo_output])
    features = keras.layers.Dropout(0.5)(features)
    probabilities = keras.layers.Dense(num_tags, activation="softmax")(
        features
    )  # (batch, tokens, num_tags)
    model = keras.Model(sentences, probabilities)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        weighted_metrics=["accuracy"],  # weights: 0 at padding
        run_eagerly=run_eagerly,
    )
    return model


def make_dataset(examples, tag_index, batch_size, shuffle=False):
    """(sentence string, tag ids, weights) batches, tags padded per batch.

    ELMoEmbedding returns as many positions as the longest sentence of the
    batch, so `padded_batch` pads the tags and their weights to the same
    length.
    """
    texts = [" ".join(tokens) for tokens, _ in examples]
    tags = tf.ragged.constant(
        [[tag_index[t] for t in tags] for _, tags in examples], tf.int32
    )
    dataset = tf.data.Dataset.from_tensor_slices((texts, tags))
    if shuffle:
        dataset = dataset.shuffle(len(texts), seed=0)
    dataset = dataset.map(lambda text, t: (text, t, tf.ones_like(t, "float32")))
    return dataset.padded_batch(batch_size)


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
    parser.add_argument("--train", help="CoNLL file (default: toy data)")
    parser.add_argument("--test", help="CoNLL file (default: toy data)")
    parser.add_argument("--epochs", type=int, default=20)
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

    train = read_conll(args.train) if args.train else parse_toy(TOY_TRAIN)
    test = read_conll(args.test) if args.test else parse_toy(TOY_TEST)
    tag_names = sorted({tag for _, tags in train + test for tag in tags})
    tag_index = {tag: i for i, tag in enumerate(tag_names)}

    keras.utils.set_random_seed(0)
    model = build_model(
        load_elmo(args), len(tag_names), run_eagerly=args.run_eagerly
    )
    model.fit(
        make_dataset(train, tag_index, args.batch_size, shuffle=True),
        epochs=args.epochs,
        shuffle=False,  # the dataset reshuffles itself every epoch
        verbose=2,
    )
    test_data = make_dataset(test, tag_index, args.batch_size)
    _, token_accuracy = model.evaluate(test_data, verbose=0)
    print(f"test token accuracy: {token_accuracy:.3f}")
    tokens = test[0][0]
    probabilities = model.predict(tf.constant([" ".join(tokens)]), verbose=0)
    predicted = np.argmax(probabilities[0], axis=-1)
    print(" ".join(f"{w}/{tag_names[t]}" for w, t in zip(tokens, predicted)))
    if args.save:
        model.save(args.save)
    return {"test_accuracy": float(token_accuracy), "tags": tag_names}


if __name__ == "__main__":
    main()
