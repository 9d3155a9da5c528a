"""Whether a layer is being traced for XLA compilation.

Some computations have one formulation that is fastest when XLA compiles
and fuses them, and another that is fastest as separate TensorFlow kernels
(oneDNN matmuls). Layers pick between them at trace time with
`in_xla_context()`; both formulations compute the same function.
"""

import keras


def in_xla_context():
    """True when the current trace will be compiled by XLA.

    With the TensorFlow backend: inside a `tf.function(jit_compile=True)`
    (which is what `model.compile(jit_compile=True)` uses for `fit`,
    `evaluate` and `predict`). With the JAX backend: always (JAX compiles
    every computation with XLA). Otherwise False.

    Returns:
        bool.

    Example:

    >>> in_xla_context()  # eager TensorFlow
    False
    """
    backend = keras.config.backend()
    if backend == "jax":
        return True
    if backend != "tensorflow":
        return False
    import tensorflow as tf

    if tf.executing_eagerly():
        return False
    try:
        from tensorflow.python.ops import control_flow_util
    except ImportError:  # pragma: no cover - moved in a future TensorFlow
        return False
    return bool(
        control_flow_util.GraphOrParentsInXlaContext(
            tf.compat.v1.get_default_graph()
        )
    )
