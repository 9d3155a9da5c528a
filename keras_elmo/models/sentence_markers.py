"""Dropping the `<S>`/`</S>` positions from ELMo outputs."""

from keras import ops

from keras_elmo.api_export import keras_elmo_serializable

_TIME_AXES = {"token_embeddings": 1, "layers": 2, "mask": 1}


@keras_elmo_serializable
def remove_sentence_markers(outputs):
    """Drop the sentence-marker positions from `ELMo` outputs.

    With markers, a sentence of `n` tokens fills positions `0..n+1`, `<S>`
    at 0 and `</S>` at `n + 1`. The result puts token `k` of each sentence
    at position `k - 1`, is two positions shorter, and is zero (mask
    `False`) past each sentence's own length, as the original
    `BidirectionalLanguageModel` outputs are.

    Args:
        outputs: dict. The output of an `ELMo` call on character ids made
            with `add_sentence_markers=True`.

    Returns:
        A dict with the same keys: `"token_embeddings"` `[b, t - 2, p]`,
        `"layers"` `[b, n_layers + 1, t - 2, 2p]`, `"mask"` `[b, t - 2]`.

    Example:

    ```python
    outputs = model(keras_elmo.batch_to_char_ids([["Hi", "there"]]))
    words = keras_elmo.remove_sentence_markers(outputs)
    words["layers"].shape  # (1, 3, 2, 2 * projection_dim)
    ```
    """
    mask = ops.convert_to_tensor(outputs["mask"])
    lengths = ops.sum(ops.cast(mask, "int32"), axis=1)  # (batch,)
    tokens = ops.shape(mask)[1]
    # A static length stays a Python int: JAX's `arange` needs a concrete
    # stop, and `ops.maximum` would make it a traced array.
    words = max(tokens - 2, 0) if isinstance(tokens, int) else None
    if words is None:  # dynamic length in a TensorFlow graph
        words = ops.maximum(tokens - 2, 0)
    positions = ops.arange(words)  # (tokens - 2,)
    # A sentence with markers has len + 2 real positions; without them len.
    new_mask = positions[None, :] < (lengths - 2)[:, None]  # (b, t - 2)
    result = {"mask": new_mask}
    for key, value in outputs.items():
        if key == "mask":
            continue
        if key not in _TIME_AXES:
            raise ValueError(
                f"Unknown ELMo output {key!r}; expected keys "
                f"{sorted(_TIME_AXES)}."
            )
        axis = _TIME_AXES[key]
        inner = ops.take(value, positions + 1, axis=axis)  # drops <S>
        shape = [1] * len(value.shape)
        batch = ops.shape(new_mask)[0]
        # A static batch size where known: PyTorch cannot infer -1 for a
        # tensor with no elements (a batch of empty sentences).
        shape[0] = batch if isinstance(batch, int) else -1
        shape[axis] = ops.shape(new_mask)[1]
        keep = ops.reshape(ops.cast(new_mask, value.dtype), shape)
        result[key] = inner * keep
    return result
