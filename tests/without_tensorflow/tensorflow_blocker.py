"""A fresh interpreter in which TensorFlow cannot be imported.

`sys.modules[name] = None` makes `import tensorflow` raise
`ModuleNotFoundError` (with `name == "tensorflow"`) and
`importlib.util.find_spec("tensorflow")` return `None`, exactly as where it
is not installed; so the main suite, which has TensorFlow, checks the
TensorFlow-free surface too.
"""

from tests.python_subprocess import run_python

# TensorFlow and the packages that are parts of it.
BLOCKED_MODULES = ("tensorflow", "tensorflow_serving", "tf_keras")

PREAMBLE = (
    "import sys\n"
    f"for _name in {BLOCKED_MODULES!r}:\n"
    "    sys.modules[_name] = None\n"
)


def run_without_tensorflow(code, backend, timeout=900):
    """`python -c code` with TensorFlow blocked, under a Keras backend.

    Args:
        code: str. The program; it runs after the blocker, before any
            other import.
        backend: str. `KERAS_BACKEND`, e.g. `"jax"`.
        timeout: float. Seconds. Defaults to `900`.

    Returns:
        The completed process; fails the calling test if it failed.

    Example:

    >>> run_without_tensorflow("import keras_elmo", "jax").returncode
    0
    """
    return run_python(
        PREAMBLE + code, env={"KERAS_BACKEND": backend}, timeout=timeout
    )
