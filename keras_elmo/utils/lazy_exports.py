"""Module attributes imported on first use (keeps `import keras_elmo` light).

The pure-Python parts of a package (character ids, vocabularies) import
without TensorFlow; names whose modules need it are listed in a table and
imported when first accessed (PEP 562 module `__getattr__`).
"""

import importlib


def lazy_exports(package_name, package_globals, exports):
    """The `__getattr__` and `__dir__` of a package with lazy names.

    Args:
        package_name: str. The package's `__name__`.
        package_globals: dict. The package's `globals()`; a loaded name is
            stored there, so later accesses are plain lookups.
        exports: dict. Name -> module that defines it; a subpackage of
            the package maps to itself (`"layers": "keras_elmo.layers"`).

    Returns:
        `(__getattr__, __dir__)` to assign in the package.

    Example:

    ```python
    _LAZY = {"ELMo": "keras_elmo.models.elmo"}
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
    ```
    """

    def __getattr__(name):
        if name in exports:
            module = importlib.import_module(exports[name])
            if exports[name] == f"{package_name}.{name}":
                value = module  # a subpackage
            else:
                value = getattr(module, name)
            package_globals[name] = value
            return value
        raise AttributeError(
            f"module {package_name!r} has no attribute {name!r}"
        )

    def __dir__():
        names = set(package_globals) | set(package_globals.get("__all__", ()))
        return sorted(names)

    return __getattr__, __dir__
