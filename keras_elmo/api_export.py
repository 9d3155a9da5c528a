"""Registration of public classes for Keras serialisation.

The public API is written by hand in the package `__init__` files (lazy
tables, so that light imports stay light); this decorator only registers
a class with Keras, so that `.keras` files restore it by name.
"""

import keras


def keras_elmo_serializable(cls):
    """Register a class as serialisable under the `keras_elmo` package.

    Its Keras name is `keras_elmo>ClassName`, whatever module defines it,
    so moving a class between modules keeps saved models loadable.

    Example:

    ```python
    @keras_elmo_serializable
    class Highway(keras.layers.Layer):
        ...
    ```
    """
    return keras.saving.register_keras_serializable(package="keras_elmo")(cls)
