"""Export an `ELMo` as a TFLite model of builtin ops (no Flex)."""

import os

from keras_elmo.export.serving_outputs import export_parts
from keras_elmo.export.serving_outputs import serving_outputs
from keras_elmo.utils.atomic import atomic_path
from keras_elmo.utils.backend import EXPORT_ELSEWHERE
from keras_elmo.utils.backend import require_tensorflow_backend
from keras_elmo.utils.lazy_module import LazyModule

# TensorFlow on first use: the module imports without it (a JAX or
# PyTorch install); using it there says how to install it.
tf = LazyModule("tensorflow", feature="TFLite export")

QUANTIZATIONS = (None, "dynamic", "float16")


def tflite_model_bytes(model, quantization=None, layer_mix=None):
    """The TFLite flatbuffer of `model`'s character-ids signature.

    Args:
        model: `keras_elmo.ELMo`. See `export_tflite`.
        quantization: None, `"dynamic"` or `"float16"`. See `export_tflite`.
        layer_mix: `keras_elmo.WeightedLayerMix` or None. See
            `export_tflite`.

    Returns:
        bytes.

    Example:

    ```python
    flatbuffer = tflite_model_bytes(model, quantization="float16")
    ```
    """
    require_tensorflow_backend(
        "TFLite export",
        EXPORT_ELSEWHERE,
    )
    if quantization not in QUANTIZATIONS:
        raise ValueError(
            f"`quantization` must be one of {QUANTIZATIONS}. Received: "
            f"quantization={quantization!r}"
        )
    model, layer_mix = export_parts(model, layer_mix)
    ids_per_token = model.ids_per_token  # characters (+ the word id)

    def char_ids(char_ids):
        return serving_outputs(model, layer_mix, char_ids)

    function = tf.function(
        char_ids,
        input_signature=[
            tf.TensorSpec([None, None, ids_per_token], tf.int32, "char_ids")
        ],
        autograph=False,
    )
    module = tf.Module()
    module.exported_variables = [
        variable.value for variable in model.variables + layer_mix.variables
    ]
    module.char_ids = function
    # From a concrete function the converter freezes the variables into
    # constants, also inside the LSTM while-loop bodies; the trackable
    # object gives the model its `serving_default` signature.
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [function.get_concrete_function()], module
    )
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def export_tflite(model, path, quantization=None, layer_mix=None):
    """Write `model` as a `.tflite` file with builtin ops only.

    The model is the `char_ids` signature of `export_saved_model`: input
    `char_ids` int32 `[batch, tokens + 2, 50]` (with sentence markers, from
    `keras_elmo.batch_to_char_ids`; batch and tokens are dynamic), outputs
    `word_emb`, `lstm_outputs1` ..., `elmo`, `default`, `sequence_len`,
    `mask` without the marker positions. Only TFLite builtin ops are used
    (no Flex delegate needed), so it runs in the stock interpreters,
    e.g. `ai_edge_litert.interpreter.Interpreter`. The file is written
    atomically.

    Args:
        model: `keras_elmo.ELMo` (a stateful one is exported stateless),
            or a `keras_elmo.ELMoEmbedding` with one output: its biLM and
            its trained layer mix are exported.
        path: str or path-like. The `.tflite` file to write.
        quantization: None, `"dynamic"` or `"float16"`. `None` keeps
            float32 weights; `"dynamic"` stores weights as int8 (dynamic
            range quantization: about 4x smaller, activations stay float);
            `"float16"` stores weights as float16 (about 2x smaller).
            Defaults to `None`.
        layer_mix: `keras_elmo.WeightedLayerMix` or None. The mix of the
            `elmo` output; `None` for the mix of an `ELMoEmbedding`, or
            equal weights and `gamma = 1` for an `ELMo`.

    Returns:
        str, the path written.

    Example:

    ```python
    keras_elmo.export.export_tflite(model, "elmo.tflite")
    interpreter = ai_edge_litert.interpreter.Interpreter("elmo.tflite")
    run = interpreter.get_signature_runner()
    outputs = run(char_ids=keras_elmo.batch_to_char_ids([["Hi", "!"]]))
    ```
    """
    path = os.path.abspath(os.fspath(path))
    flatbuffer = tflite_model_bytes(model, quantization, layer_mix)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(flatbuffer)
        os.chmod(tmp, 0o644)  # mkstemp makes the file private
    return path
