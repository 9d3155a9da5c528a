"""A module imported on first attribute access.

For modules that are TensorFlow-only in their methods but must import on
every Keras backend: `import keras_elmo` under JAX or PyTorch then loads no
TensorFlow until a TensorFlow-only feature is used.
"""

import importlib


class LazyModule:
    """Stands for a module; imports it when an attribute is first read.

    Args:
        name: str. The module's import name, e.g. `"tensorflow"`.

    Example:

    ```python
    tf = LazyModule("tensorflow")
    tf.constant(1)  # TensorFlow is imported here
    ```
    """

    def __init__(self, name):
        self._name = name
        self._module = None

    def __getattr__(self, attribute):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)

    def __repr__(self):
        return f"LazyModule({self._name!r})"
