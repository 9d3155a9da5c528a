"""Freezing that survives `get_config` / `from_config`."""

import keras


def propagate_trainable(layer):
    """Apply a layer's `trainable=False` to the sublayers it just made.

    `trainable=False` passed to a constructor (as `from_config` does when a
    frozen model is reloaded with `keras.saving.load_model`) sets only the
    layer's own flag; sublayers made afterwards in `__init__` stay
    trainable, and so do their weights in any enclosing model. Assigning
    `layer.trainable = False` again does not help: the unchanged value is
    skipped by TensorFlow's attribute tracking before the property's setter
    runs. So the public setter is called directly. Call this at the end of
    `__init__` of a layer that creates sublayers.

    Args:
        layer: a `keras.layers.Layer`.

    Example:

    ```python
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(4)
        propagate_trainable(self)
    ```
    """
    if not layer.trainable:
        keras.layers.Layer.trainable.fset(layer, False)
