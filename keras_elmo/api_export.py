"""Registration of public classes for Keras serialisation."""

import keras


def keras_elmo_export(path):
    """Register a class as serialisable under the `keras_elmo` package.

    Args:
        path: str. The public path of the class, e.g.
            `"keras_elmo.layers.BiLM"`; documents where users import it.

    Example:

    ```python
    @keras_elmo_export("keras_elmo.layers.Highway")
    class Highway(keras.layers.Layer):
        ...
    ```
    """

    def decorator(cls):
        cls = keras.saving.register_keras_serializable(package="keras_elmo")(
            cls
        )
        cls._keras_elmo_public_path = path
        return cls

    return decorator
