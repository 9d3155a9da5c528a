"""The warm initial LSTM state of an `ELMo`: computed once from a text.

ELMo's original inference code carries the LSTM states from one batch to
the next, so a sentence's vectors depend on what the model read before it
(allennlp #1169 and its many duplicates). Starting every sentence from
zeros removes that dependence but gives the biLM a cold start it never had
in training. The warm state is a third way: the state after reading a
fixed warm-up text, the same for every sentence. `ELMo(...,
initial_state="warm")` broadcasts it over the batch, so vectors depend only
on the sentence. `docs/determinism.md` measures the three against each
other.

A preset stores it as `warm_state.npz` (`keras_elmo.presets`
`read_warm_state` / `write_warm_state`): one float32 vector per name of
`BiLM.warm_state_names()` (`forward_lstm_0_h`, ...) and `warm_up_sha256`,
the hash of the warm-up text (`warm_up.txt`) it was read from.
"""

import hashlib

import numpy as np

from keras_elmo.models.elmo import ELMo
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids


def text_sha256(sentences):
    """Hash of the warm-up sentences (whitespace-normalised).

    Example:

    >>> text_sha256(["a  b"]) == text_sha256([["a", "b"]])
    True
    """
    digest = hashlib.sha256()
    for sentence in sentences:
        tokens = sentence.split() if isinstance(sentence, str) else sentence
        digest.update((" ".join(tokens) + "\n").encode("utf-8"))
    return digest.hexdigest()


def compute_warm_state(model, sentences):
    """The LSTM state after `model` reads `sentences` in order.

    The sentences are read one at a time, each with its `<S>`/`</S>`
    markers, the LSTM states carried from each sentence to the next, as
    bilm-tf's stateful inference with a batch of one does: the forward
    LSTMs end after the last sentence's `</S>`, the backward LSTMs after
    reading the last sentence right to left.

    Args:
        model: `keras_elmo.ELMo` (any `initial_state`; its weights are
            read, not changed).
        sentences: list of str (split on whitespace) or token lists; must
            hold at least one token.

    Returns:
        A dict name -> float32 vector, for `ELMo.set_warm_state`.

    Example:

    ```python
    model = ELMo.from_preset("my_elmo", initial_state="warm")
    model.set_warm_state(compute_warm_state(model, warm_up_sentences))
    ```
    """
    token_lists = [
        s.split() if isinstance(s, str) else list(s) for s in sentences
    ]
    token_lists = [t for t in token_lists if t]
    if not token_lists:
        raise ValueError("The warm-up text must hold at least one token.")
    config = dict(
        model.get_config(),
        stateful=True,
        max_batch_size=1,
        initial_state="zeros",
        dropout=0.0,
    )
    reader = ELMo.from_config(config)
    reader.char_cnn.set_weights(model.char_cnn.get_weights())
    for direction, lstms in model.bilm.lstms.items():
        for lstm, copied in zip(lstms, reader.bilm.lstms[direction]):
            copied.set_weights(lstm.get_weights())
    max_chars = model.max_characters_per_token
    for tokens in token_lists:
        reader(batch_to_char_ids([tokens], max_chars=max_chars))
    return {
        f"{direction}_lstm_{i}_{part}": np.asarray(variable[0], "float32")
        for (direction, i), pair in reader.bilm.states.items()
        for part, variable in zip(("h", "c"), pair)
    }
