"""`check_output`: a command's output is checked before any work."""

import os

import pytest

from keras_elmo.cli.output_checks import check_output
from keras_elmo.presets.builtin_presets import package_preset_dir


def test_an_output_that_is_an_input_is_refused(tmp_path):
    text = tmp_path / "raw.txt"
    text.write_text("the cat\n", encoding="utf-8")
    with pytest.raises(ValueError, match="raw.txt"):
        check_output(str(text), inputs=[str(text)])
    assert text.read_text(encoding="utf-8") == "the cat\n"


def test_a_directory_keras_elmo_did_not_write_is_not_replaced(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises((ValueError, OSError), match="output_dir"):
        check_output(str(folder), kind="directory", argument="output_dir")
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_the_shipped_preset_folder_is_never_an_output():
    shipped = package_preset_dir("elmo_tiny_en")
    with pytest.raises(ValueError):
        check_output(os.path.join(shipped, "vocab.txt"))


def test_a_new_file_in_a_fresh_place_passes(tmp_path):
    check_output(str(tmp_path / "out.txt"), inputs=[str(tmp_path / "in.txt")])
    check_output(str(tmp_path / "preset"), kind="directory")
    assert not (tmp_path / "out.txt").exists()
