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

The one place of the warm state: computing it (`compute_warm_state`),
its file (`read_warm_state`, `write_warm_state`) and a preset's
(`write_preset_warm_state`, the `keras-elmo warm-state PRESET TEXT`
command). `BiLM` only takes it as its initial-state input
(`set_warm_state`).

A preset stores it as `warm_state.npz`: one float32 vector per name of
`BiLM.warm_state_names()` (`forward_lstm_0_h`, ...) and `warm_up_sha256`,
the hash of the warm-up text (`warm_up.txt`) it was read from.
"""

import hashlib
import os

import numpy as np

from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.presets.preset_directory import WARM_STATE_FILE
from keras_elmo.presets.preset_directory import WARM_UP_FILE
from keras_elmo.utils.atomic import atomic_path

# The key of the warm-up text's hash in `warm_state.npz`.
WARM_UP_HASH_KEY = "warm_up_sha256"


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
    # The model's own class (an `ELMo`): this module is below models/elmo.py,
    # which reads presets' warm states with `read_warm_state`.
    reader = type(model).from_config(config)
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


def read_warm_state(path):
    """Read a warm state written by `write_warm_state`.

    Args:
        path: str or path-like. A `warm_state.npz` file.

    Returns:
        A dict name -> float32 vector (the text hash left out).

    Raises:
        FileNotFoundError: naming the file.
        ValueError: if the file is not a warm-state `.npz`.

    Example:

    >>> state = read_warm_state("saved_models/my_elmo/warm_state.npz")
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Warm state file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {
                name: np.asarray(data[name], "float32")
                for name in data.files
                if name != WARM_UP_HASH_KEY
            }
    except (ValueError, OSError) as error:
        raise ValueError(
            f"{path} is not a warm-state .npz file: {error}"
        ) from None


def write_warm_state(state, path, warm_up_sha256=None):
    """Write a warm state (dict name -> vector) as `.npz`, atomically.

    Args:
        state: dict name -> vector, e.g. `compute_warm_state`'s.
        path: str or path-like. Destination file.
        warm_up_sha256: str or `None`. Hash of the warm-up text, stored
            with the state.

    Example:

    >>> write_warm_state(state, "my_elmo/warm_state.npz")
    """
    arrays = {name: np.asarray(v, "float32") for name, v in state.items()}
    if warm_up_sha256 is not None:
        arrays[WARM_UP_HASH_KEY] = np.asarray(warm_up_sha256)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)


def read_warm_up_text(path):
    """The sentences of a warm-up text: one whitespace-tokenized a line.

    Blank lines are skipped.

    Raises:
        FileNotFoundError, or ValueError naming the file (and the line of
        a UTF-8 error) when it is not UTF-8 text or holds no token.

    Example:

    >>> read_warm_up_text("saved_models/my_elmo/warm_up.txt")[0][:3]
    ['The', 'morning', 'was']
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Warm-up text not found: {path}")
    sentences = []
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            try:
                tokens = line.decode("utf-8").split()
            except UnicodeDecodeError as error:
                raise ValueError(
                    f"{path}:{number}: not UTF-8 ({error.reason} at byte "
                    f"{error.start})"
                ) from None
            if tokens:
                sentences.append(tokens)
    if not sentences:
        raise ValueError(f"{path}: the warm-up text holds no token.")
    return sentences


def write_preset_warm_state(model, preset_dir, sentences):
    """Write a preset's `warm_state.npz` and `warm_up.txt`, atomically.

    The state is `compute_warm_state(model, sentences)`; `warm_up.txt` gets
    the sentences (tokens joined by one space, one a line) so that the
    preset keeps the text its `warm_up_sha256` names. Each file is
    replaced atomically; the text goes first, so a preset never holds a
    new state beside an old text.

    Args:
        model: `keras_elmo.ELMo`, the preset's model.
        preset_dir: str or path-like. The preset directory (written).
        sentences: list of token lists (see `read_warm_up_text`).

    Returns:
        The path of the `warm_state.npz` written.

    Example:

    ```python
    model = ELMo.from_preset("saved_models/my_elmo")
    write_preset_warm_state(
        model, "saved_models/my_elmo", read_warm_up_text("warm_up.txt")
    )
    ```
    """
    state = compute_warm_state(model, sentences)
    sentences = [
        s.split() if isinstance(s, str) else list(s) for s in sentences
    ]
    sentences = [tokens for tokens in sentences if tokens]
    text_path = os.path.join(os.fspath(preset_dir), WARM_UP_FILE)
    with atomic_path(text_path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(" ".join(tokens) + "\n" for tokens in sentences)
    state_path = os.path.join(os.fspath(preset_dir), WARM_STATE_FILE)
    write_warm_state(state, state_path, text_sha256(sentences))
    return state_path
