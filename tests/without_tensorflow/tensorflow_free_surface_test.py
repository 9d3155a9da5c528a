"""keras_elmo without TensorFlow: `import keras; import keras_elmo`, the
layers, models, presets and commands on JAX and PyTorch, embeddings equal to
the TensorFlow backend's to 1e-5, and each TensorFlow-only feature failing
in one line that names the install command (issue 24)."""

import ast
import json
from pathlib import Path

import numpy as np
import pytest

from tests.without_tensorflow.embedding_reference import TOLERANCE
from tests.without_tensorflow.embedding_reference import (
    embed_reference_sentences,
)
from tests.without_tensorflow.embedding_reference import load_reference
from tests.without_tensorflow.embedding_reference import max_difference
from tests.without_tensorflow.tensorflow_blocker import BLOCKED_MODULES
from tests.without_tensorflow.tensorflow_blocker import run_without_tensorflow

HERE = Path(__file__).parent

# Cheap: the NumPy backend (no JAX to import) and no model is run.
IMPORT_AND_REFUSE = """
import json, sys, warnings
import keras
import keras_elmo

names = {}
for name in keras_elmo.__all__:
    names[name] = type(getattr(keras_elmo, name)).__name__

from keras_elmo.utils.backend import TensorFlowNotInstalledError
from keras_elmo.export import export_saved_model
from keras_elmo.serving import ELMoClient
from keras_elmo.utils.files import list_files
from tests.without_tensorflow.tensorflow_blocker import BLOCKED_MODULES

errors = {}
calls = {
    "ELMoCharacterTokenizer": keras_elmo.ELMoCharacterTokenizer,
    "export_saved_model": lambda: export_saved_model(None, NEVER_WRITTEN),
    "ELMoClient": lambda: ELMoClient("localhost:8500", "elmo"),
    "list_files": lambda: list_files("gs://bucket/a.txt"),
}
for name, call in calls.items():
    try:
        call()
    except TensorFlowNotInstalledError as error:
        errors[name] = str(error)
loaded = sorted(
    m for m, module in sys.modules.items()
    if m.split(".")[0] in BLOCKED_MODULES and module is not None
)
print(json.dumps({"names": names, "errors": errors, "loaded": loaded}))
"""


def test_no_file_here_imports_tensorflow_at_module_level():
    # The TensorFlow-free run collects (imports) every file of the folder.
    for path in sorted(HERE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in BLOCKED_MODULES, (
                    f"{path.name} imports {name} at module level"
                )


def test_import_keras_then_keras_elmo_without_tensorflow(tmp_path):
    # Also what tests/utils/backend_test.py checked before: importing
    # keras_elmo under another backend loads no TensorFlow.
    never_written = tmp_path / "never_written"
    code = IMPORT_AND_REFUSE.replace("NEVER_WRITTEN", repr(str(never_written)))
    result = run_without_tensorflow(code, "numpy")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["loaded"] == []
    assert {"ELMo", "ELMoEmbedding", "ELMoEmbedder"} <= set(report["names"])
    assert sorted(report["errors"]) == [
        "ELMoCharacterTokenizer",
        "ELMoClient",
        "export_saved_model",
        "list_files",
    ]
    for name, message in report["errors"].items():
        assert "\n" not in message, (name, message)
        assert "needs" in message and "pip install" in message, message
    assert "keras-elmo[serving]" in report["errors"]["ELMoClient"]
    assert not never_written.exists()


@pytest.mark.large
@pytest.mark.parametrize(
    "tensorflow_free_backend", ["jax", "torch"], indirect=True
)
def test_the_whole_surface_without_tensorflow(
    tensorflow_free_backend, tmp_path
):
    code = (
        "from tests.without_tensorflow.surface import main\n"
        f"main({str(tmp_path)!r})\n"
    )
    result = run_without_tensorflow(code, tensorflow_free_backend)
    assert f"SURFACE OK {tensorflow_free_backend}" in result.stdout
    with np.load(tmp_path / "embeddings.npz") as stored:
        outputs = {key: stored[key] for key in stored.files}
    assert max_difference(outputs, load_reference()) <= TOLERANCE
    # Where this process runs TensorFlow, also against a fresh run of it.
    try:
        import keras

        tensorflow_backend = keras.config.backend() == "tensorflow"
    except ImportError:
        tensorflow_backend = False
    if tensorflow_backend:
        fresh = embed_reference_sentences()
        assert max_difference(outputs, fresh) <= TOLERANCE


@pytest.mark.large
def test_stored_reference_is_the_tensorflow_backends_output():
    keras = pytest.importorskip("keras")
    if keras.config.backend() != "tensorflow":
        pytest.skip("the reference is the TensorFlow backend's output")
    difference = max_difference(embed_reference_sentences(), load_reference())
    assert difference <= TOLERANCE
