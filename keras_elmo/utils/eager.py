"""Value checks that run only where tensor values are known (eager mode).

Inside a traced function (tf.function, XLA, a SavedModel, `jax.jit`,
`torch.compile`, or the shape inference Keras runs to build a model) values
are not known, and a Python check would either fail or bake a constant into
the graph, so the checks are skipped there; eager calls, `predict` on NumPy
input and tests get clear errors instead of a kernel error from deep inside
the backend.
"""

import keras
import numpy as np


def _is_traced(tensor):
    """True when `tensor` is a backend's stand-in with no value yet."""
    backend = keras.config.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return (
            not tf.executing_eagerly()
            or not isinstance(tensor, tf.Tensor)
            or isinstance(tensor, tf.RaggedTensor)
        )
    if backend == "jax":
        import jax

        # Every value seen under `jax.jit`, `jax.grad` or `jax.eval_shape`
        # (which Keras uses for shape inference) is a tracer.
        return isinstance(tensor, jax.core.Tracer)
    if backend == "torch":
        import torch

        # Keras infers shapes on the "meta" device (no data), and
        # torch.compile traces with fake tensors: reading either would
        # fail or break the compiled graph.
        return (
            not isinstance(tensor, torch.Tensor)
            or tensor.device.type == "meta"
            or torch.compiler.is_compiling()
        )
    return False


def concrete_value(tensor):
    """NumPy value of `tensor` if it is concrete, else `None`.

    Args:
        tensor: a NumPy array, an eager tensor or a symbolic/traced tensor
            of any Keras backend.

    Returns:
        A NumPy array, or `None` when the tensor has no value yet.

    Example:

    >>> concrete_value(np.ones(2))
    array([1., 1.])
    """
    if isinstance(tensor, np.ndarray):
        return tensor
    if keras.backend.is_keras_tensor(tensor) or _is_traced(tensor):
        return None
    return keras.ops.convert_to_numpy(tensor)
