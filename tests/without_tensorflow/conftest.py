"""Tests that must pass where TensorFlow is not installed.

CI runs this directory a second time in an environment without TensorFlow
(Keras on JAX; `.ci/run`'s last phase):

```
KERAS_BACKEND=jax python -m pytest tests/without_tensorflow --run-large
```

so every file here must import without TensorFlow: pytest imports every
file of a directory before it deselects anything, and one
`import tensorflow` at the top of a file fails the whole run there (a test
here checks). Use TensorFlow only inside a test that skips without it, or
compare with stored TensorFlow results (`embedding_reference.py`).

The main suite, which has TensorFlow, runs these tests too, so each is
cheap or marked `large`. To show the TensorFlow-free behaviour there as
well, the tests run their code in a fresh interpreter in which TensorFlow
cannot be imported (`tensorflow_blocker.run_without_tensorflow`).
"""

import importlib.util

import pytest


@pytest.fixture
def tensorflow_free_backend(request):
    """The Keras backend a parametrized test names, skipped if absent.

    The TensorFlow-free CI environment installs JAX only (`.[jax]`); the
    main test environment has JAX and PyTorch.
    """
    backend = request.param
    module = {"jax": "jax", "torch": "torch", "numpy": "numpy"}[backend]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed here")
    return backend
