"""Exact (full-softmax) held-out perplexity of a trained biLM.

Two ways to score a text, with the same targets (forward: `w1 .. wn` and
`</S>`; backward: `<S>` and `w1 .. wn`; out-of-vocabulary targets are
`<UNK>` and counted), so the numbers are directly comparable with each
other and with `keras_elmo.training.kneser_ney`:

- `"sentences"` (the default): every sentence `<S> w1 .. wn </S>` is
  scored on its own, from a zero LSTM state, with its whole history:
  the forward LM sees every earlier token of the sentence and the backward
  LM every later one. Sentences are sorted by length and batched by a token
  budget; padding is masked (the backward LSTM starts at each sentence's
  own `</S>`). This is how ELMo is used (one sentence at a time, zero
  state), it does not depend on batch order or on which sentences are
  neighbours, and an n-gram model sees exactly the same context (none
  across sentences). Carrying the state along a sentence stream would give
  the biLM context from the previous sentences, which the n-gram baselines
  lack and which depends on the order of a (here shuffled) held-out file.
- `"windows"`: bilm-tf's test script and the training-time validation:
  the sentence stream is cut into `unroll_steps`-token windows scored
  without carried state, so the history is cut at every window edge (and
  the tokens after the last whole batch are not scored). Higher than
  `"sentences"`; kept to compare with bilm-tf and the validation curves.
"""

import math

import keras
import numpy as np

from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from keras_elmo.preprocessing.elmo_character_tokenizer import (
    tokens_to_character_ids,
)
from keras_elmo.preprocessing.elmo_characters import BOS_TOKEN
from keras_elmo.preprocessing.elmo_characters import EOS_TOKEN
from keras_elmo.preprocessing.word_vocabulary import UNK_TOKEN
from keras_elmo.preprocessing.word_vocabulary import iter_sentences
from keras_elmo.presets.preset_handles import resolve_preset
from keras_elmo.training.pydataset import CharacterIds
from keras_elmo.training.pydataset import count_tokens
from keras_elmo.training.pydataset import make_lm_pydataset
from keras_elmo.utils.validation import check_positive_int

MODES = ("sentences", "windows")
# Padded lengths are rounded up to a multiple of this, so that a text of
# sentences of every length traces the scoring function a few times only.
_LENGTH_BUCKET = 8


def sentence_batches(sentences, vocabulary, max_tokens_per_batch=4096):
    """Length-bucketed, padded batches of whole sentences with their targets.

    Args:
        sentences: list of lists of str tokens (without markers).
        vocabulary: list of str (index = softmax row); must hold `<UNK>`.
        max_tokens_per_batch: int. Cap on rows x padded length (a longer
            sentence gets a batch of its own).

    Yields:
        `(tokens, next_ids, previous_ids)`: an array of UTF-8 bytes
        (surrogate escapes restored) `[rows, length]` (`<S> w1 .. wn </S>`,
        then `b""` as padding) and int32 arrays of the
        same shape with the forward and backward target ids, `-1` where a
        position has no target (`</S>` forwards, `<S>` backwards, padding).

    Example:

    >>> next(sentence_batches([["a", "b"]], ["<S>", "</S>", "<UNK>", "a"]))
    """
    check_positive_int(max_tokens_per_batch, "max_tokens_per_batch")
    index = {token: i for i, token in enumerate(vocabulary)}
    unk = index[UNK_TOKEN]
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))

    def padded(n):
        length = len(sentences[n]) + 2
        return -(-length // _LENGTH_BUCKET) * _LENGTH_BUCKET

    start = 0
    while start < len(order):
        end = start + 1
        # Sorted by length: the last row sets the padded length.
        while end < len(order) and (end - start + 1) * padded(
            order[end]
        ) <= max(max_tokens_per_batch, padded(order[start])):
            end += 1
        rows = [sentences[i] for i in order[start:end]]
        length = padded(order[end - 1])
        tokens = np.full((len(rows), length), b"", dtype=object)
        next_ids = np.full((len(rows), length), -1, dtype=np.int32)
        previous_ids = np.full((len(rows), length), -1, dtype=np.int32)
        for r, words in enumerate(rows):
            stream = [BOS_TOKEN] + list(words) + [EOS_TOKEN]
            ids = [index.get(token, unk) for token in stream]
            tokens[r, : len(stream)] = [
                token.encode("utf-8", "surrogateescape") for token in stream
            ]
            next_ids[r, : len(stream) - 1] = ids[1:]  # w1 .. wn, </S>
            previous_ids[r, 1 : len(stream)] = ids[:-1]  # <S>, w1 .. wn
        yield tokens, next_ids, previous_ids
        start = end


def _scorer(model):
    """(tokens, next, previous) -> per-direction NLL sums and target counts.

    TensorFlow backend: one traced function (string ops in the graph).
    JAX and PyTorch: NumPy character ids, the biLM through `predict_on_batch`
    (compiled on JAX), and the full softmax.
    """
    if keras.config.backend() == "tensorflow":
        return _tensorflow_scorer(model)
    characters = CharacterIds(model.elmo.max_characters_per_token)

    def score(tokens, next_ids, previous_ids):
        present = tokens != b""  # (rows, length)
        character_ids = characters(tokens.tolist())  # (rows, length, chars)
        character_ids *= present[..., None].astype(np.int32)  # 0 = padding
        hidden = model.predict_on_batch({"character_ids": character_ids})
        sums = []
        for direction, labels in (
            ("forward", next_ids),
            ("backward", previous_ids),
        ):
            nll = model.softmax(hidden[direction], labels, training=False)
            nll = keras.ops.convert_to_numpy(nll).astype(np.float64)
            sums.append(np.sum(nll))
            sums.append(float(np.sum(labels >= 0)))
        return np.asarray(sums)

    return score


def _tensorflow_scorer(model):
    import tensorflow as tf

    max_chars = model.elmo.max_characters_per_token

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None], tf.string),
            tf.TensorSpec([None, None], tf.int32),
            tf.TensorSpec([None, None], tf.int32),
        ]
    )
    def score(tokens, next_ids, previous_ids):
        present = tf.strings.length(tokens) > 0  # (rows, length)
        character_ids = tokens_to_character_ids(tokens, max_chars)
        character_ids *= tf.cast(present, tf.int32)[..., None]  # 0 = padding
        hidden = model({"character_ids": character_ids}, training=False)
        sums = []
        for direction, labels in (
            ("forward", next_ids),
            ("backward", previous_ids),
        ):
            nll = model.softmax(hidden[direction], labels, training=False)
            sums.append(tf.reduce_sum(tf.cast(nll, tf.float64)))
            sums.append(tf.reduce_sum(tf.cast(labels >= 0, tf.float64)))
        return tf.stack(sums)

    return lambda *batch: score(*batch).numpy()


def sentence_perplexity(
    model, vocabulary, sentences, max_tokens_per_batch=4096
):
    """Whole-sentence perplexities of an `ELMoLanguageModel` (see module).

    Args:
        model: an `ELMoLanguageModel` (its softmax is used in full).
        vocabulary: list of str, the model's softmax rows.
        sentences: list of lists of str tokens.
        max_tokens_per_batch: int. Rows x padded length per batch.
            Defaults to `4096`.

    Returns:
        A dict: `perplexity` (both directions, per target token),
        `forward_perplexity`, `backward_perplexity`, `loss` (mean NLL of
        both directions) and `targets` (per direction).

    Example:

    >>> lm, tokens = load_language_model("runs/en/export")
    >>> sentence_perplexity(lm, tokens, [["The", "cat", "."]])["perplexity"]
    """
    if not sentences:
        raise ValueError("No sentence to score: the text is empty.")
    score = _scorer(model)
    totals = np.zeros(4, np.float64)
    for batch in sentence_batches(sentences, vocabulary, max_tokens_per_batch):
        totals += score(*batch)
    return _results(*totals)


def load_language_model(model_dir):
    """`(ELMoLanguageModel, vocabulary)` of a language-model preset.

    Example:

    >>> lm, tokens = load_language_model("runs/en/export")
    """
    preset = resolve_preset(model_dir)
    return ELMoLanguageModel.from_preset(preset.path), preset.vocabulary()


def _perplexity(mean_nll):
    # A diverged model can have a mean NLL past exp's float range.
    return math.exp(mean_nll) if mean_nll < 700.0 else math.inf


def _results(forward_nll, forward_count, backward_nll, backward_count):
    forward = forward_nll / forward_count
    backward = backward_nll / backward_count
    both = (forward_nll + backward_nll) / (forward_count + backward_count)
    return {
        "perplexity": _perplexity(both),
        "forward_perplexity": _perplexity(forward),
        "backward_perplexity": _perplexity(backward),
        "loss": both,
        "targets": int(forward_count),
    }


def evaluate_perplexity(
    model_dir,
    files,
    mode="sentences",
    batch_size=64,
    unroll_steps=20,
    max_tokens_per_batch=4096,
    max_sentences=None,
):
    """Full-softmax perplexities of held-out text.

    Args:
        model_dir: str. A language-model preset (a directory or URL written
            by `ELMoLanguageModel.save_to_preset`, e.g. a run's `export/`,
            with the softmax and vocabulary.txt).
        files: str or list. Held-out text files or globs.
        mode: `"sentences"` (default: whole sentences, zero state, full
            history) or `"windows"` (bilm-tf's windows; see the module).
        batch_size: int. Rows per batch in `"windows"` mode.
            Defaults to `64`.
        unroll_steps: int. Window length in `"windows"` mode.
            Defaults to `20`.
        max_tokens_per_batch: int. Token budget of a batch in
            `"sentences"` mode. Defaults to `4096`.
        max_sentences: int, optional. Score only the first this many
            sentences (`"sentences"` mode).

    Returns:
        A dict: `perplexity` (average of both directions, per target token),
        `forward_perplexity`, `backward_perplexity`, `loss`, `targets`
        (scored targets per direction) and `mode`.

    Example:

    >>> evaluate_perplexity("runs/en/export", "heldout.txt")["perplexity"]
    """
    if mode not in MODES:
        raise ValueError(f"`mode` must be one of {MODES}. Received: {mode!r}")
    for name, value in (
        ("batch_size", batch_size),
        ("unroll_steps", unroll_steps),
        ("max_tokens_per_batch", max_tokens_per_batch),
    ):
        check_positive_int(value, name)
    if max_sentences is not None:
        check_positive_int(max_sentences, "max_sentences")
    if mode == "sentences":
        sentences = []
        for sentence in iter_sentences(files):
            if max_sentences is not None and len(sentences) >= max_sentences:
                break
            sentences.append(sentence)
        if not sentences:
            raise ValueError(f"{files!r} hold no sentence to score.")
        model, vocabulary = load_language_model(model_dir)
        result = sentence_perplexity(
            model, vocabulary, sentences, max_tokens_per_batch
        )
    else:
        for _ in iter_sentences(files):
            pass  # UTF-8 and bounded lines, as in "sentences" mode
        result = _window_perplexity(model_dir, files, batch_size, unroll_steps)
    result["mode"] = mode
    return result


def _window_perplexity(model_dir, files, batch_size, unroll_steps):
    batches = count_tokens(files) // (batch_size * unroll_steps)
    if batches < 1:
        raise ValueError(
            f"{files!r} hold fewer tokens than one batch ({batch_size} rows "
            f"x {unroll_steps} tokens, `<S>` and `</S>` included): use a "
            "smaller `batch_size`."
        )
    model, vocabulary = load_language_model(model_dir)
    model.compile()
    # The NumPy pipeline on every backend: the windows of make_lm_dataset.
    data = make_lm_pydataset(
        files,
        vocabulary,
        batch_size=batch_size,
        unroll_steps=unroll_steps,
        shuffle=False,
        num_batches=batches,
    )
    results = model.evaluate(data, steps=batches, verbose=0, return_dict=True)
    results = {key: float(value) for key, value in results.items()}
    # Targets scored per direction: every window position but the -1s.
    results["targets"] = sum(
        int(np.sum(data[i][1]["next_token_ids"] >= 0)) for i in range(batches)
    )
    return results
