"""Which Keras backend runs, and clear errors for TensorFlow-only features.

The layers, `ELMo`, `ELMoEmbedding` (character ids), `ELMoEmbedder` and
`.keras` files work on the TensorFlow, JAX and PyTorch backends. A few
features are TensorFlow programs by nature (SavedModel and TFLite export,
the tf.data and tf.distribute pretraining pipeline, the in-graph string
tokenizer); they call `require_tensorflow_backend` first, so a JAX or
PyTorch user gets one sentence saying what to do instead of a TensorFlow
error from deep inside a graph.
"""

import keras

# What to do instead, for the error messages.
EXPORT_ELSEWHERE = (
    "save the model with `model.save(...)` (`.keras`) or `save_bilm_hdf5`, "
    "which load on every backend, and export it from a TensorFlow process"
)
USE_CHARACTER_IDS = (
    "make character ids with `keras_elmo.batch_to_char_ids` (NumPy, every "
    "backend)"
)
PRETRAIN_ELSEWHERE = (
    "pretrain under TensorFlow and load the weights (hdf5 or `.keras`) "
    "under this backend"
)


class UnsupportedBackendError(RuntimeError):
    """A TensorFlow-only feature was used under another Keras backend."""


def require_tensorflow_backend(feature, alternative=None):
    """Raise `UnsupportedBackendError` unless Keras runs on TensorFlow.

    Args:
        feature: str. What was asked for, e.g. `"SavedModel export"`.
        alternative: str or `None`. What works on every backend instead.

    Example:

    ```python
    require_tensorflow_backend(
        "TFLite export", "export from a TensorFlow process: the weights "
        "file is the same on every backend")
    ```
    """
    backend = keras.config.backend()
    if backend == "tensorflow":
        return
    message = (
        f"{feature} needs the TensorFlow backend of Keras, but this process "
        f"runs the {backend!r} backend. Run it in a process started with "
        "KERAS_BACKEND=tensorflow (TensorFlow is installed with keras_elmo)"
    )
    if alternative:
        message += f"; or {alternative}"
    raise UnsupportedBackendError(message + ".")


def default_jit_compile():
    """Whether keras_elmo compiles inference by default on this backend.

    TensorFlow: XLA, although Keras's own `"auto"` turns XLA off on
    CPU-only machines: the ELMo forward runs at a higher fraction of the
    matmul rate with it (docs/performance.md). JAX: always `jax.jit`.
    PyTorch: eager. `torch.compile` (inductor) of the forward, whose LSTM
    loop it unrolls step by step, had not finished compiling the first two
    batch shapes after 20 minutes on the project's (loaded) 2-core
    machine, and it compiles again for every new shape; eager runs from the
    first call.

    Returns:
        bool.

    Example:

    >>> model.jit_compile = default_jit_compile()
    """
    return keras.config.backend() in ("tensorflow", "jax")
