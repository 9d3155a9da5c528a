"""Sequence tagging with ELMo: a tag for every token of a raw sentence.

A part-of-speech tagger in the paper's layout: one `keras_elmo.ELMoEmbedding`
(frozen biLM) gives two independently learned mixes of the biLM layers, one
at the BiLSTM's input and one concatenated with its output, and a softmax
predicts a tag per token. Sentences are whitespace-tokenized strings; the
tags are padded per batch and padding gets zero loss weight. Copy it and
replace the toy data with yours.

Run it on the built-in toy data:

    python examples/sequence_tagging.py --model elmo_tiny_en

or on CoNLL-style files (`token<TAB>tag` lines, a blank line between
sentences, e.g. the POS data of `tools/prepare_ablation_data.py`):

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

# Toy data: sentences built from a small tagged lexicon and templates.
# The test sentences use words held out of training for every open class
# (nouns, verbs, adjectives, adverbs), where only what the biLM learned
# about words from its unlabelled pretraining text can help.
LEXICON = {
    "DET": (["the", "a", "this", "every"], ["that"]),
    "NOUN": (
        ["cat", "dog", "man", "river", "book", "song", "garden"],
        ["horse", "letter"],
    ),
    "VERB": (
        ["saw", "liked", "found", "painted", "watched", "heard"],
        ["kicked", "followed"],
    ),
    "ADJ": (["old", "red", "small", "quiet", "happy"], ["green", "tiny"]),
    "ADV": (["slowly", "quietly", "happily", "often"], ["loudly", "rarely"]),
    "ADP": (["near", "under", "with", "behind"], ["beside"]),
    "PRON": (["she", "he", "they", "we"], ["you"]),
    ".": (["."], ["."]),
}  # tag: (training words, test-only words)
TEMPLATES = [
    "DET ADJ NOUN VERB DET NOUN .",
    "PRON VERB DET NOUN ADV .",
    "DET NOUN VERB ADP DET ADJ NOUN .",
    "PRON ADV VERB DET ADJ NOUN .",
    "DET NOUN ADP DET NOUN VERB PRON .",
]


def toy_data(num_train=80, num_test=20):
    """`(train, test)` lists of `(tokens, tags)` from the toy lexicon."""
    import random

    rng = random.Random(0)

    def sentence(test):
        tags = rng.choice(TEMPLATES).split()
        tokens = []
        for tag in tags:
            seen, held_out = LEXICON[tag]
            # Test sentences: each word held out of training half the time.
            words = held_out if test and rng.random() < 0.5 else seen
            tokens.append(rng.choice(words))
        return tuple(tokens), tuple(tags)

    train = [sentence(test=False) for _ in range(num_train)]
    test = [sentence(test=True) for _ in range(num_test)]
    return train, test


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


def build_baseline_model(vocabulary_size, num_tags, lstm_units=64):
    """The no-ELMo baseline: word embeddings learned from the task data.

    Word ids (0 = padding, 1 = a word not seen in training) -> embedding
    -> BiLSTM -> softmax per token.
    """
    word_ids = keras.Input(shape=(None,), dtype="int32", name="word_ids")
    vectors = keras.layers.Embedding(vocabulary_size, 100, mask_zero=True)(
        word_ids
    )  # (batch, tokens, 100)
    x = keras.layers.Dropout(0.5)(vectors)
    states = keras.layers.Bidirectional(
        keras.layers.LSTM(lstm_units, return_sequences=True)
    )(x)  # (batch, tokens, 2 * lstm_units)
    states = keras.layers.Dropout(0.5)(states)
    probabilities = keras.layers.Dense(num_tags, activation="softmax")(states)
    model = keras.Model(word_ids, probabilities)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        weighted_metrics=["accuracy"],
    )
    return model


def make_baseline_dataset(
    examples, vocabulary, tag_index, batch_size, shuffle=False
):
    """(word ids, tag ids, weights) batches, padded per batch."""
    words = tf.ragged.constant(
        [[vocabulary.get(w, 1) for w in tokens] for tokens, _ in examples],
        tf.int32,
    )
    tags = tf.ragged.constant(
        [[tag_index[t] for t in tags] for _, tags in examples], tf.int32
    )
    dataset = tf.data.Dataset.from_tensor_slices((words, tags))
    if shuffle:
        dataset = dataset.shuffle(len(examples), seed=0)
    dataset = dataset.map(lambda w, t: (w, t, tf.ones_like(t, "float32")))
    return dataset.padded_batch(batch_size)


def predict_in_batches(model, batches):
    """Per-sentence tag probabilities; batches may differ in width."""
    predictions = []
    for batch in batches:
        inputs = batch[0] if isinstance(batch, tuple) else batch
        predictions.extend(np.asarray(model.predict_on_batch(inputs)))
    return predictions


def token_accuracies(predictions, examples, tag_index, seen):
    """Token accuracy overall and on words not seen in training."""
    correct, unseen = [], []
    for probabilities, (tokens, tags) in zip(predictions, examples):
        for position, (token, tag) in enumerate(zip(tokens, tags)):
            right = int(np.argmax(probabilities[position])) == tag_index[tag]
            correct.append(right)
            if token not in seen:
                unseen.append(right)
    return float(np.mean(correct)), float(np.mean(unseen or [np.nan]))


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
    parser.add_argument("--train", help="CoNLL file (default: toy data)")
    parser.add_argument("--test", help="CoNLL file (default: toy data)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
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
    train = read_conll(args.train) if args.train else toy_train
    test = read_conll(args.test) if args.test else toy_test
    tag_names = sorted({tag for _, tags in train + test for tag in tags})
    tag_index = {tag: i for i, tag in enumerate(tag_names)}
    seen = {token for tokens, _ in train for token in tokens}
    vocabulary = {token: i for i, token in enumerate(sorted(seen), start=2)}

    keras.utils.set_random_seed(0)
    model = build_model(
        load_elmo(args), len(tag_names), run_eagerly=args.run_eagerly
    )
    model.fit(
        make_dataset(train, tag_index, args.batch_size, shuffle=True),
        epochs=args.epochs,
        shuffle=False,  # the dataset reshuffles itself every epoch
        verbose=0,
    )
    predictions = predict_in_batches(
        model, make_dataset(test, tag_index, args.batch_size)
    )
    elmo_accuracy = token_accuracies(predictions, test, tag_index, seen)

    keras.utils.set_random_seed(0)
    baseline = build_baseline_model(len(vocabulary) + 2, len(tag_names))
    baseline.fit(
        make_baseline_dataset(
            train, vocabulary, tag_index, args.batch_size, shuffle=True
        ),
        epochs=args.epochs,
        shuffle=False,
        verbose=0,
    )
    baseline_predictions = predict_in_batches(
        baseline,
        make_baseline_dataset(test, vocabulary, tag_index, args.batch_size),
    )
    baseline_accuracy = token_accuracies(
        baseline_predictions, test, tag_index, seen
    )
    test_tokens = [t for tokens, _ in test for t in tokens]
    num_unseen = sum(t not in seen for t in test_tokens)
    print(
        f"test token accuracy ({len(test_tokens)} tokens, {num_unseen} of "
        "them words not in the training data):"
    )
    for name, (overall, unseen) in [
        ("ELMo + BiLSTM", elmo_accuracy),
        ("no ELMo (word embeddings)", baseline_accuracy),
    ]:
        print(f"  {name:<27} {overall:.3f}   on those: {unseen:.3f}")
    tokens = test[0][0]
    predicted = np.argmax(predictions[0], axis=-1)
    print(" ".join(f"{w}/{tag_names[t]}" for w, t in zip(tokens, predicted)))
    if args.save:
        model.save(args.save)
    return {
        "test_accuracy": elmo_accuracy[0],
        "unseen_word_accuracy": elmo_accuracy[1],
        "baseline_accuracy": baseline_accuracy[0],
        "baseline_unseen_word_accuracy": baseline_accuracy[1],
        "tags": tag_names,
    }


if __name__ == "__main__":
    main()
