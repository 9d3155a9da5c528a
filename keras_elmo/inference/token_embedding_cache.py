"""Context-free token vectors cached for a vocabulary (skip the char CNN).

bilm-tf's `dump_token_embeddings`: the character CNN's output depends on
the token alone, so for a known vocabulary it can be computed once; the
biLM then runs from token ids with a table lookup instead of the CNN.
"""

import h5py
import numpy as np
from keras import ops

from keras_elmo.preprocessing.elmo_characters import BOS_TOKEN
from keras_elmo.preprocessing.elmo_characters import EOS_TOKEN
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.utils.atomic import atomic_path


def dump_token_embeddings(model, vocabulary, output_file=None, batch_size=512):
    """Character-CNN vectors of every vocabulary token.

    Args:
        model: a `keras_elmo.ELMo`.
        vocabulary: list of tokens; row `i` is `vocabulary[i]`.
        output_file: str, optional. Also write them to hdf5 (dataset
            `embedding`, as bilm-tf's `dump_token_embeddings`), atomically.
        batch_size: int. Tokens per CNN call. Defaults to `512`.

    Returns:
        float32 NumPy array `[len(vocabulary), projection_dim]`.

    Example:

    >>> table = dump_token_embeddings(model, ["<S>", "</S>", "the", "cat"])
    """
    max_chars = model.max_characters_per_token
    rows = []
    for start in range(0, len(vocabulary), batch_size):
        tokens = [[t] for t in vocabulary[start : start + batch_size]]
        ids = batch_to_char_ids(
            tokens, add_sentence_markers=False, max_chars=max_chars
        )  # (n, 1, chars)
        rows.append(ops.convert_to_numpy(model.char_cnn(ids))[:, 0])
    table = (
        np.concatenate(rows, 0).astype("float32")
        if rows
        else np.zeros((0, model.projection_dim), "float32")
    )
    if output_file is not None:
        with atomic_path(output_file) as tmp, h5py.File(tmp, "w") as f:
            f.create_dataset("embedding", data=table)
    return table


class TokenEmbeddingCache:
    """Run an `ELMo` biLM from token ids with cached token vectors.

    Outputs equal those of the character path for in-vocabulary tokens.

    Args:
        model: a `keras_elmo.ELMo`.
        vocabulary: list of tokens. `<S>` and `</S>` are added if missing.
        embeddings: optional `[len(vocabulary), dim]` table from
            `dump_token_embeddings` (computed if `None`).

    Example:

    ```python
    cache = TokenEmbeddingCache(model, vocabulary)
    outputs = cache(cache.token_ids([["the", "cat"]]))  # as model(char_ids)
    ```
    """

    def __init__(self, model, vocabulary, embeddings=None):
        vocabulary = list(vocabulary)
        for marker in (BOS_TOKEN, EOS_TOKEN):
            if marker not in vocabulary:
                vocabulary.append(marker)
        if embeddings is None:
            embeddings = dump_token_embeddings(model, vocabulary)
        embeddings = np.asarray(embeddings, "float32")
        if embeddings.shape != (len(vocabulary), model.projection_dim):
            raise ValueError(
                f"`embeddings` must have shape ({len(vocabulary)}, "
                f"{model.projection_dim}). Received: {embeddings.shape}"
            )
        self.model = model
        self.vocabulary = vocabulary
        self._index = {token: i + 1 for i, token in enumerate(vocabulary)}
        # Row 0 is the padding token (zeros), rows 1.. the vocabulary.
        self.table = np.concatenate(
            [np.zeros_like(embeddings[:1]), embeddings], axis=0
        )

    def token_ids(self, batch_of_token_lists, add_sentence_markers=True):
        """int32 `[batch, tokens (+2)]` ids (vocabulary index + 1, 0 = pad).

        Raises:
            KeyError: naming the first token that is not in the vocabulary.
        """
        rows = []
        for sentence in batch_of_token_lists:
            tokens = list(sentence)
            if add_sentence_markers:
                tokens = [BOS_TOKEN] + tokens + [EOS_TOKEN]
            try:
                rows.append([self._index[t] for t in tokens])
            except KeyError as error:
                raise KeyError(
                    f"Token {error.args[0]!r} is not in the cached "
                    "vocabulary; use the character path for it."
                ) from None
        width = max((len(r) for r in rows), default=0)
        ids = np.zeros((len(rows), width), "int32")
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
        return ids

    def __call__(self, token_ids):
        """The `ELMo` output dict, from token ids instead of characters."""
        mask = ops.greater(token_ids, 0)  # (batch, tokens)
        token_embeddings = ops.take(self.table, token_ids, axis=0)  # (b, t, p)
        layers = self.model.bilm(token_embeddings, mask=mask)
        return {
            "token_embeddings": token_embeddings,
            "layers": layers,
            "mask": mask,
        }
