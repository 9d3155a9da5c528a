import os

from keras_elmo.presets.builtin_presets import BUILTIN_PRESETS
from keras_elmo.presets.builtin_presets import package_preset_dir
from keras_elmo.presets.preset_handles import cache_dir
from keras_elmo.presets.read_only_paths import is_read_only
from keras_elmo.presets.read_only_paths import read_only_roots
from keras_elmo.utils.output_paths import PACKAGE_DIR


def test_roots_come_from_the_registry_and_the_package_data():
    roots = read_only_roots()
    assert PACKAGE_DIR in roots and os.fspath(cache_dir()) in roots
    for name, entry in BUILTIN_PRESETS.items():
        if "package" not in entry:
            continue
        directory = os.path.realpath(package_preset_dir(name))
        assert is_read_only(os.path.join(directory, "weights.hdf5"))
        if os.path.basename(directory) == "preset":
            # A checkout's model folder (TF Serving layout) is shipped too.
            assert is_read_only(os.path.join(directory, "..", "1"))


def test_other_places_are_writable(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    assert is_read_only(tmp_path / "home" / "keras_elmo" / "x")
    assert not is_read_only(tmp_path / "models" / "elmo")
