"""The outputs of every exported ELMo graph, named as TF-Hub's ELMo module.

Shared by the SavedModel signatures (`export_saved_model`) and the TFLite
model (`export_tflite`), so that every export returns the same tensors under
the same names.
"""

from keras_elmo.layers.weighted_layer_mix import WeightedLayerMix
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_embedding import ELMoEmbedding
from keras_elmo.models.sentence_markers import remove_sentence_markers
from keras_elmo.utils.lazy_module import LazyModule

# TensorFlow on first use: the module imports without it (a JAX or
# PyTorch install); using it there says how to install it.
tf = LazyModule("tensorflow", feature="SavedModel and TFLite export")


def output_keys(num_layers):
    """Names of the exported outputs of a biLM with `num_layers` LSTMs.

    Args:
        num_layers: int. LSTM layers per direction (`ELMo.num_layers`).

    Returns:
        A tuple of output names: `word_emb`, `lstm_outputs1` ...
        `lstm_outputs{num_layers}`, `elmo`, `default`, `sequence_len`,
        `mask`.

    Example:

    >>> output_keys(2)
    ('word_emb', 'lstm_outputs1', 'lstm_outputs2', 'elmo', 'default', \
'sequence_len', 'mask')
    """
    lstm_keys = tuple(f"lstm_outputs{i}" for i in range(1, num_layers + 1))
    return ("word_emb", *lstm_keys, "elmo", "default", "sequence_len", "mask")


def export_parts(model, layer_mix=None):
    """The `(ELMo, WeightedLayerMix)` pair an export runs.

    Args:
        model: `keras_elmo.ELMo`, or a `keras_elmo.ELMoEmbedding` with one
            output, whose biLM and trained mix are exported.
        layer_mix: `keras_elmo.WeightedLayerMix` or None. Overrides the
            mix of an `ELMoEmbedding`; for an `ELMo`, `None` gives a fresh
            mix (see `checked_layer_mix`).

    Returns:
        A stateless `ELMo` and a built, checked `WeightedLayerMix`.

    Example:

    ```python
    elmo, mix = export_parts(keras_elmo.ELMoEmbedding.from_bilm_hdf5(
        "options.json", "weights.hdf5"))
    ```
    """
    if isinstance(model, ELMoEmbedding):
        if layer_mix is None:
            layer_mix = model.layer_mix
        model = model.elmo
    model = stateless_copy(model)
    return model, checked_layer_mix(model, layer_mix)


def stateless_copy(model):
    """An inference copy of an `ELMo`: stateless, with the same weights.

    A served model must not carry LSTM states from one request to the next,
    so a `stateful=True` model is rebuilt with `stateful=False` and its
    weights copied; a stateless model is returned as it is.

    Args:
        model: `keras_elmo.ELMo`.

    Returns:
        A stateless `keras_elmo.ELMo` with the weights of `model`.

    Example:

    ```python
    served = stateless_copy(ELMo.from_bilm_hdf5(options, weights, True))
    ```
    """
    if not isinstance(model, ELMo):
        raise TypeError(
            "`model` must be a `keras_elmo.ELMo` or a "
            "`keras_elmo.ELMoEmbedding`. "
            f"Received: model of type {type(model).__name__}"
        )
    if not model.stateful:
        return model
    config = dict(model.get_config(), stateful=False)
    copy = ELMo.from_config(config)
    copy.char_cnn.set_weights(model.char_cnn.get_weights())
    for direction, lstms in model.bilm.lstms.items():
        for lstm, copied_lstm in zip(lstms, copy.bilm.lstms[direction]):
            copied_lstm.set_weights(lstm.get_weights())
    return copy


def checked_layer_mix(model, layer_mix=None):
    """The `WeightedLayerMix` of the `elmo` output, checked against `model`.

    Args:
        model: `keras_elmo.ELMo`.
        layer_mix: `keras_elmo.WeightedLayerMix` over the
            `model.num_layers + 1` biLM layers with one output, or `None`
            for a fresh float32 mix: softmax of zeros (equal weights) and
            `gamma = 1`, as TF-Hub's ELMo module at initialisation.

    Returns:
        A built `WeightedLayerMix`.

    Example:

    ```python
    mix = checked_layer_mix(model)  # equal weights, gamma 1
    ```
    """
    num_layers = model.num_layers + 1
    layers_shape = (None, num_layers, None, 2 * model.bilm.output_dim)
    if layer_mix is None:
        layer_mix = WeightedLayerMix(
            num_layers=num_layers, dtype="float32", name="elmo_layer_mix"
        )
    if not isinstance(layer_mix, WeightedLayerMix):
        raise TypeError(
            "`layer_mix` must be a `keras_elmo.WeightedLayerMix` or None. "
            f"Received: layer_mix of type {type(layer_mix).__name__}"
        )
    if layer_mix.num_outputs != 1:
        raise ValueError(
            "`layer_mix` must have one output (`num_outputs=1`) to give the "
            f"`elmo` output. Received: num_outputs={layer_mix.num_outputs}. "
            "Pass the mix to export as `layer_mix`."
        )
    if layer_mix.num_layers not in (None, num_layers):
        raise ValueError(
            f"`layer_mix` must mix the {num_layers} biLM layers of the "
            f"model (num_layers + 1). Received: layer_mix.num_layers="
            f"{layer_mix.num_layers}"
        )
    if not layer_mix.built:
        layer_mix.build(layers_shape)
    return layer_mix


def serving_outputs(model, layer_mix, character_ids):
    """ELMo outputs of character ids, without the sentence markers.

    Every per-token output covers the sentences' own tokens only (the
    `<S>`/`</S>` positions are dropped), is float32, and is zero past each
    sentence's length. A sentence without tokens gives a zero-length row:
    zero vectors, `mask` all `False`, `sequence_len` 0 and a zero `default`.

    Args:
        model: `keras_elmo.ELMo`, stateless.
        layer_mix: `keras_elmo.WeightedLayerMix` from `checked_layer_mix`.
        character_ids: int32 tensor `[batch, tokens + 2, chars]` with the
            sentence markers, as `keras_elmo.batch_to_char_ids` makes.

    Returns:
        A dict (keys from `output_keys(model.num_layers)`):
        `word_emb` `[batch, tokens, projection_dim]` (the char-CNN token
        embeddings), `lstm_outputs{i}` `[batch, tokens, 2 * dim]` (biLM
        layer i, forward and backward concatenated), `elmo` `[batch, tokens,
        2 * dim]` (the layer mix), `default` `[batch, 2 * dim]` (the mean of
        `elmo` over each sentence's tokens), `sequence_len` int32 `[batch]`
        and `mask` bool `[batch, tokens]`.

    Example:

    ```python
    outputs = serving_outputs(model, checked_layer_mix(model), char_ids)
    ```
    """
    outputs = remove_sentence_markers(model(character_ids, training=False))
    mask = outputs["mask"]  # (b, t)
    keep = tf.expand_dims(tf.cast(mask, tf.float32), -1)  # (b, t, 1)
    sequence_len = tf.reduce_sum(tf.cast(mask, tf.int32), axis=1)  # (b,)
    layers = tf.cast(outputs["layers"], tf.float32)  # (b, L + 1, t, 2d)
    elmo = layer_mix(layers, mask=mask, training=False)  # (b, t, 2d)
    # Zero at padding also when the mix normalises the layers.
    elmo = tf.cast(elmo, tf.float32) * keep  # (b, t, 2d)
    divisor = tf.cast(tf.maximum(sequence_len, 1), tf.float32)  # (b,)
    default = tf.reduce_sum(elmo, axis=1) / tf.expand_dims(divisor, -1)
    # default: (b, 2d)
    result = {"word_emb": tf.cast(outputs["token_embeddings"], tf.float32)}
    for i in range(1, model.num_layers + 1):
        result[f"lstm_outputs{i}"] = layers[:, i]  # (b, t, 2d)
    result.update(
        {
            "elmo": elmo,
            "default": default,
            "sequence_len": sequence_len,
            "mask": mask,
        }
    )
    return result
