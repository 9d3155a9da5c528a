"""A tiny `ELMoLanguageModel` and batches for the backend tests; imports
no TensorFlow."""

import numpy as np

VOCAB_SIZE = 50


def lm_batch(seed=0, batch=4, tokens=6):
    """Character ids and targets, with `-1` (no target) at the ends.

    Args:
        seed: int. NumPy seed.
        batch: int. Sentences.
        tokens: int. Tokens per sentence.

    Returns:
        `(x, y)` dicts of int32 arrays, as `make_lm_dataset` gives.

    Example:

    >>> x, y = lm_batch(batch=2)
    """
    rng = np.random.default_rng(seed)
    character_ids = rng.integers(1, 262, (batch, tokens, 50))
    next_ids = rng.integers(0, VOCAB_SIZE, (batch, tokens))
    previous_ids = rng.integers(0, VOCAB_SIZE, (batch, tokens))
    next_ids[:, -1] = -1  # after </S>
    previous_ids[:, 0] = -1  # before <S>
    x = {"character_ids": character_ids.astype("int32")}
    y = {
        "next_token_ids": next_ids.astype("int32"),
        "previous_token_ids": previous_ids.astype("int32"),
    }
    return x, y


def tiny_language_model(elmo_kwargs=None, **kwargs):
    """An `ELMoLanguageModel` of the tiny test biLM (2 filter widths, 8
    LSTM units) over `VOCAB_SIZE` words.

    Args:
        elmo_kwargs: dict or `None`. `ELMo` arguments (`dropout`, `dtype`).
        **kwargs: `ELMoLanguageModel` arguments.

    Example:

    >>> model = tiny_language_model(num_negative_samples=8, seed=1)
    """
    from keras_elmo.models.elmo_language_model import ELMoLanguageModel
    from tests.training.training_fixtures import tiny_elmo

    return ELMoLanguageModel(
        tiny_elmo(**(elmo_kwargs or {})), VOCAB_SIZE, **kwargs
    )
