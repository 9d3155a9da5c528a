import os

import pytest

from keras_elmo.utils.output_paths import PACKAGE_DIR
from keras_elmo.utils.output_paths import check_output_path
from keras_elmo.utils.output_paths import is_within


def test_an_input_is_never_the_output(tmp_path):
    text = tmp_path / "raw.txt"
    text.write_text("a")
    (tmp_path / "link.txt").symlink_to(text)
    for output in (text, tmp_path / "link.txt", tmp_path / "." / "raw.txt"):
        with pytest.raises(ValueError, match="output file is the input"):
            check_output_path(output, inputs=[text])
    check_output_path(tmp_path / "other.txt", inputs=[text])


def test_a_replaced_directory_may_not_hold_an_input(tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    with pytest.raises(ValueError, match="is the input or holds it"):
        check_output_path(tmp_path, inputs=[run], kind="directory")
    # Written into, never replaced: may hold its inputs.
    check_output_path(tmp_path, inputs=[run / "x"], kind="parent")


def test_read_only_places(tmp_path):
    with pytest.raises(ValueError, match="belongs to keras_elmo"):
        check_output_path(os.path.join(PACKAGE_DIR, "x.txt"))
    shipped = tmp_path / "models" / "shipped"
    with pytest.raises(ValueError, match="never written to"):
        check_output_path(shipped / "1", read_only_roots=[shipped])
    check_output_path(tmp_path / "models" / "x", read_only_roots=[shipped])


def test_kinds_and_existing_paths(tmp_path):
    directory = tmp_path / "d"
    directory.mkdir()
    with pytest.raises(IsADirectoryError, match="Output is a directory"):
        check_output_path(directory)
    check_output_path(directory, kind="directory")  # empty
    (directory / "mine.txt").write_text("x")
    with pytest.raises(FileExistsError, match="is not a keras_elmo preset"):
        check_output_path(directory, kind="directory")
    check_output_path(directory, kind="directory", replaceable=lambda p: True)
    check_output_path(directory, kind="parent")
    with pytest.raises(NotADirectoryError, match="must be a directory"):
        check_output_path(directory / "mine.txt", kind="parent")
    with pytest.raises(NotADirectoryError, match="is a file"):
        check_output_path(directory / "mine.txt" / "out.txt")
    with pytest.raises(ValueError, match="`kind` must be one of"):
        check_output_path(directory, kind="other")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_place_names_the_output(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    with pytest.raises(PermissionError, match=str(locked / "a" / "out.txt")):
        check_output_path(locked / "a" / "out.txt")


def test_is_within(tmp_path):
    assert is_within(tmp_path / "a" / "b", tmp_path)
    assert is_within(tmp_path, tmp_path)
    assert not is_within(str(tmp_path) + "x", tmp_path)
