import pytest

from keras_elmo.utils.files import list_files


def test_paths_and_patterns_keep_their_order(tmp_path):
    for name in ("b.txt", "a.txt", "c.log"):
        (tmp_path / name).write_text("x\n")
    (tmp_path / "d.txt").mkdir()  # a directory matching the pattern
    paths = list_files(
        [tmp_path / "c.log", str(tmp_path / "*.txt"), tmp_path / "a.txt"]
    )
    assert paths == [
        str(tmp_path / "c.log"),
        str(tmp_path / "a.txt"),
        str(tmp_path / "b.txt"),
    ]


def test_errors_name_the_entry(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such file: .*missing"):
        list_files(tmp_path / "missing.txt")
    with pytest.raises(FileNotFoundError, match=r"No file matches .*\*\.txt"):
        list_files(str(tmp_path / "*.txt"))
    with pytest.raises(FileNotFoundError, match="is a directory"):
        list_files(tmp_path)
    with pytest.raises(ValueError, match="empty"):
        list_files([])


def test_remote_paths_without_tensorflow_fail_before_listing(
    monkeypatch, tmp_path
):
    import sys

    from keras_elmo.utils.backend import TensorFlowNotInstalledError

    monkeypatch.setitem(sys.modules, "tensorflow", None)
    local = tmp_path / "a.txt"
    local.write_text("x\n")
    with pytest.raises(TensorFlowNotInstalledError, match="remote paths"):
        list_files([str(local), "gs://bucket/b.txt"])
