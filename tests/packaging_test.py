"""setup.cfg lists every package, and ships every file of the shipped presets.

`packages` is a list rather than `find:` because the shipped preset is
mapped in from saved_models/ (`package_dir`); these tests keep the list and
the package data in step with the tree. The wheel itself is built and
loaded in tests/presets/builtin_presets_test.py (`pip install --target`).
"""

import configparser
import fnmatch

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
