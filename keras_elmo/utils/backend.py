"""Which Keras backend runs, and clear errors for TensorFlow-only features.

The layers, `ELMo`, `ELMoEmbedding` (character ids), `ELMoEmbedder` and
`.keras` files work on the TensorFlow, JAX and PyTorch backends, and
TensorFlow need not be installed for them. A few features are TensorFlow
programs by nature (SavedModel and TFLite export, TF Serving, the
tf.distribute strategies, the in-graph string tokenizer, `gs://` paths);
they call `require_tensorflow` (TensorFlow installed) or
`require_tensorflow_backend` (Keras runs on TensorFlow) first, so a JAX or
PyTorch user gets one sentence saying what to do instead of a TensorFlow
error from deep inside a graph, or a bare `No module named 'tensorflow'`.
"""

import importlib
import importlib.util

# Keras is imported in the functions that ask for its backend: the error
# classes and `require_tensorflow` import without it (the command line
# catches these errors before Keras has loaded).

# What to do instead, for the error messages.
EXPORT_ELSEWHERE = (
    "save the model with `model.save(...)` (`.keras`) or `save_bilm_hdf5`, "
    "which load on every backend, and export it from a TensorFlow process"
)
USE_CHARACTER_IDS = (
    "make character ids with `keras_elmo.batch_to_char_ids` (NumPy, every "
    "backend)"
)


class UnsupportedBackendError(RuntimeError):
    """A TensorFlow-only feature was used under another Keras backend."""


class TensorFlowNotInstalledError(UnsupportedBackendError, ImportError):
    """A TensorFlow-only feature was used where TensorFlow is not installed.

    An `ImportError` (what a missing dependency raises) and an
    `UnsupportedBackendError` (what the command line reports in one line).

    Args:
        message: str. The one-line error.
        name: str. The missing module, as `ModuleNotFoundError.name`.
            Defaults to `"tensorflow"`.
    """

    def __init__(self, message, name="tensorflow"):
        super().__init__(message)
        self.name = name


def install_command(extra="tensorflow"):
    """The pip command that installs keras_elmo with an extra.

    Args:
        extra: str. The extra of setup.cfg, e.g. `"tensorflow"` or
            `"serving"`. Defaults to `"tensorflow"`.

    Returns:
        str.

    Example:

    >>> install_command("tflite")
    'pip install "keras-elmo[tflite]"'
    """
    return f'pip install "keras-elmo[{extra}]"'


def tensorflow_installed():
    """Whether TensorFlow can be imported, without importing it.

    Returns:
        bool.

    Example:

    >>> tensorflow_installed()
    True
    """
    try:
        # None where `sys.modules["tensorflow"] = None` blocks it; an
        # import hook that refuses it raises.
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


# Import name -> what pip installs it as, for the error messages.
DISTRIBUTIONS = {
    "tensorflow": "TensorFlow",
    "tensorflow_serving": "tensorflow-serving-api",
    "grpc": "grpcio",
    "ai_edge_litert": "ai-edge-litert",
}


def _not_installed_message(feature, extra, module="tensorflow"):
    distribution = DISTRIBUTIONS.get(module, module)
    return (
        f"{feature} needs {distribution}, which is not installed; install "
        f"it with `{install_command(extra)}`"
    )


def require_module(module, feature, extra="tensorflow"):
    """Import a module of the TensorFlow family, or say how to install it.

    Args:
        module: str. The import name, e.g.
            `"tensorflow_serving.apis.predict_pb2"`.
        feature: str. What was asked for, for the error message.
        extra: str. The keras_elmo extra that installs it. Defaults to
            `"tensorflow"`.

    Returns:
        The module.

    Raises:
        TensorFlowNotInstalledError: the module, or one of `DISTRIBUTIONS`
            it imports, is not installed. An installed module that fails
            to import raises its own error.

    Example:

    ```python
    predict_pb2 = require_module(
        "tensorflow_serving.apis.predict_pb2", "ELMoClient", "serving")
    ```
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        missing = (error.name or "").split(".")[0]
        if missing not in DISTRIBUTIONS and missing != module.split(".")[0]:
            raise  # installed, but broken: its own error says why
        raise TensorFlowNotInstalledError(
            _not_installed_message(feature, extra, missing) + ".", missing
        ) from None


def require_tensorflow(feature, extra="tensorflow"):
    """Import TensorFlow for a feature, or say in one line how to install it.

    For features that need TensorFlow whatever backend Keras runs (`gs://`
    paths through `tf.io.gfile`, the TF Serving client). Features that run
    a TensorFlow graph of the model call `require_tensorflow_backend`.

    Args:
        feature: str. What was asked for, e.g. `"Reading gs:// paths"`.
        extra: str. The keras_elmo extra that installs what the feature
            needs. Defaults to `"tensorflow"`.

    Returns:
        The `tensorflow` module.

    Raises:
        TensorFlowNotInstalledError: TensorFlow is not installed. A
            TensorFlow installation that fails to import raises its own
            error.

    Example:

    ```python
    tf = require_tensorflow("Reading gs:// paths")
    tf.io.gfile.exists("gs://bucket/file")
    ```
    """
    return require_module("tensorflow", feature, extra)


def require_tensorflow_backend(feature, alternative=None, extra="tensorflow"):
    """Raise `UnsupportedBackendError` unless Keras runs on TensorFlow.

    Where TensorFlow is not installed at all, the error is a
    `TensorFlowNotInstalledError` naming the install command.

    Args:
        feature: str. What was asked for, e.g. `"SavedModel export"`.
        alternative: str or `None`. What works on every backend instead.
        extra: str. The keras_elmo extra that installs what the feature
            needs. Defaults to `"tensorflow"`.

    Example:

    ```python
    require_tensorflow_backend(
        "TFLite export", "export from a TensorFlow process: the weights "
        "file is the same on every backend")
    ```
    """
    import keras

    backend = keras.config.backend()
    if backend == "tensorflow":
        return
    if not tensorflow_installed():
        message = (
            _not_installed_message(feature, extra)
            + " and run it with KERAS_BACKEND=tensorflow"
        )
        if alternative:
            message += f"; or {alternative}"
        raise TensorFlowNotInstalledError(message + ".")
    message = (
        f"{feature} needs the TensorFlow backend of Keras, but this process "
        f"runs the {backend!r} backend. Run it in a process started with "
        "KERAS_BACKEND=tensorflow"
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
    import keras

    return keras.config.backend() in ("tensorflow", "jax")
