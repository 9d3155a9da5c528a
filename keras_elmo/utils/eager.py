"""Value checks that run only where tensor values are known (eager mode).

Inside a traced function (tf.function, XLA, a SavedModel) values are not
known, and a Python check would either fail or bake a constant into the
graph, so the checks are skipped there; eager calls, `predict` on NumPy
input and tests get clear errors instead of a kernel error from deep inside
TensorFlow.
"""

import keras
import numpy as np


def concrete_value(tensor):
    """NumPy value of `tensor` if it is concrete, else `None`.

    Args:
        tensor: a NumPy array, an eager tensor or a symbolic tensor.

    Returns:
        A NumPy array, or `None` when the tensor is symbolic.

    Example:

    >>> concrete_value(np.ones(2))
    array([1., 1.])
    """
    if isinstance(tensor, np.ndarray):
        return tensor
    if keras.backend.is_keras_tensor(tensor):
        return None
    if keras.config.backend() == "tensorflow":
        import tensorflow as tf

        if not tf.executing_eagerly() or not isinstance(tensor, tf.Tensor):
            return None
        if isinstance(tensor, tf.RaggedTensor):
            return None
    return keras.ops.convert_to_numpy(tensor)
