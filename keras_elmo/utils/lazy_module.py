"""A module imported on first attribute access.

For modules that are TensorFlow-only in their methods but must import on
every Keras backend: `import keras_elmo` under JAX or PyTorch then loads no
TensorFlow until a TensorFlow-only feature is used.
"""

import importlib

from keras_elmo.utils.backend import require_module


class LazyModule:
    """Stands for a module; imports it when an attribute is first read.

    Args:
        name: str. The module's import name, e.g. `"tensorflow"`.
        feature: str or `None`. What needs the module. Given, a missing
            module (not installed) raises `TensorFlowNotInstalledError`,
            one line naming the feature and the install command
            (`keras_elmo.utils.backend.require_module`). Defaults to `None`:
            Python's own `ModuleNotFoundError`.
        extra: str. The keras_elmo extra that installs the module, for that
            message. Defaults to `"tensorflow"`.

    Example:

    ```python
    tf = LazyModule("tensorflow", feature="SavedModel export")
    tf.constant(1)  # TensorFlow is imported here
    ```
    """

    def __init__(self, name, feature=None, extra="tensorflow"):
        self._name = name
        self._feature = feature
        self._extra = extra
        self._module = None

    def load(self):
        """Import the module now (if not yet) and return it.

        For a check before any work: `tf.load()` fails at once where
        TensorFlow is not installed.

        Returns:
            The module.

        Example:

        >>> LazyModule("json").load().dumps(1)
        '1'
        """
        if self._module is None:
            if self._feature is None:
                self._module = importlib.import_module(self._name)
            else:
                self._module = require_module(
                    self._name, self._feature, self._extra
                )
        return self._module

    def __getattr__(self, attribute):
        return getattr(self.load(), attribute)

    def __repr__(self):
        return f"LazyModule({self._name!r})"
