"""setup.cfg lists every package, ships every file of the shipped presets,
and installs without TensorFlow unless asked (issue 24).

`packages` is a list rather than `find:` because the shipped preset is
mapped in from saved_models/ (`package_dir`); these tests keep the list and
the package data in step with the tree. The wheel itself is built and
loaded in tests/presets/builtin_presets_test.py (`pip install --target`).
"""

import configparser
import fnmatch
import re

from setuptools import find_packages

from keras_elmo.presets.builtin_presets import BUILTIN_PRESETS
from tests.test_case import REPO_ROOT


def _options():
    config = configparser.ConfigParser()
    config.read(REPO_ROOT / "setup.cfg")
    return config


def _lines(value):
    return [line.strip() for line in value.splitlines() if line.strip()]


def _package_dirs():
    mapping = _lines(_options()["options"]["package_dir"])
    return dict(
        (part.strip() for part in line.split("=", 1)) for line in mapping
    )


def test_every_source_package_and_every_shipped_preset_is_listed():
    listed = set(_lines(_options()["options"]["packages"]))
    found = set(
        find_packages(str(REPO_ROOT), include=["keras_elmo", "keras_elmo.*"])
    )
    shipped = {
        entry["package"]
        for entry in BUILTIN_PRESETS.values()
        if "package" in entry
    }
    assert shipped, "no shipped preset: nothing maps saved_models/ in"
    assert listed == found | shipped
    assert set(_package_dirs()) == shipped


def test_every_file_of_a_shipped_preset_is_package_data():
    package_data = _options()["options.package_data"]
    for package, directory in _package_dirs().items():
        patterns = _lines(package_data[package])
        files = [
            path.name
            for path in (REPO_ROOT / directory).iterdir()
            if path.is_file() and path.name != "__init__.py"
        ]
        assert {"options.json", "weights.hdf5", "README.md"} <= set(files)
        missing = [
            name
            for name in files
            if not any(fnmatch.fnmatch(name, p) for p in patterns)
        ]
        assert not missing, f"{directory}: not in package_data: {missing}"


def _requirements(value):
    return [line for line in _lines(value) if not line.startswith("#")]


def _extras():
    section = _options()["options.extras_require"]
    return {name: _requirements(section[name]) for name in section}


def _names(requirements):
    return {re.split(r"[=<>!~\[; ]", r, maxsplit=1)[0] for r in requirements}


def test_core_dependencies_need_no_backend():
    # Keras's convention: the user installs a backend (docs/backends.md).
    core = _names(_requirements(_options()["options"]["install_requires"]))
    assert core == {"keras", "tensorboard", "h5py", "numpy", "tqdm"}
    assert not core & {"tensorflow", "jax", "torch"}


def test_backend_extras_pin_what_the_tests_run():
    extras = _extras()
    assert extras["tensorflow"] == ["tensorflow==2.21.*"]
    assert extras["jax"] == ["jax==0.10.2"]
    assert extras["torch"] == ["torch==2.13.0"]
    test = set(extras["test"])
    for backend in ("tensorflow", "jax", "torch"):
        assert set(extras[backend]) <= test, backend
    # What the TensorFlow-only extras need comes with them.
    for extra in ("serving", "tflite", "beam", "test"):
        assert "tensorflow==2.21.*" in extras[extra], extra
    assert "tensorflow-serving-api==2.21.*" in extras["serving"]
    assert "ai-edge-litert" in extras["tflite"]


def _readme_commands():
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    return [line for line in block.splitlines() if not line.startswith("#")]


def test_readme_commands_install_a_backend_and_ci_runs_the_test_command():
    install_and_embed, test_command = _readme_commands()
    assert install_and_embed.startswith('pip install ".[tensorflow]" && ')
    assert test_command == 'pip install -e ".[test]" && python -m pytest'
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [
        line.strip()
        for line in ci.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    first = commands.index('pip install -e ".[test]" || exit 1')
    assert commands[first + 1] == "run python -m pytest"
    # The second environment: no TensorFlow, Keras on JAX.
    assert any('-e ".[jax]" pytest' in line for line in commands)
    assert any('-c "import tensorflow"' in line for line in commands)
    assert "run env KERAS_BACKEND=jax" in ci
    assert "tests/without_tensorflow --run-large" in ci
