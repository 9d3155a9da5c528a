import os
import subprocess
import sys

import pytest

from keras_elmo.utils.atomic import atomic_path
from keras_elmo.utils.atomic import remove_stale_temporaries
from keras_elmo.utils.atomic import rename_no_replace
from keras_elmo.utils.atomic import temporary_directory_beside


@pytest.fixture
def umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@pytest.fixture(scope="module")
def dead_pid():
    """The pid of a process that has exited."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def _temporaries(directory):
    return sorted(name for name in os.listdir(directory) if ".tmp-" in name)


def test_file_and_directory_get_umask_permissions(tmp_path, umask):
    with atomic_path(tmp_path / "out.hdf5") as tmp:
        with open(tmp, "wb") as handle:
            handle.write(b"data")
    with atomic_path(tmp_path / "export", directory=True) as tmp:
        with open(os.path.join(tmp, "f"), "w") as handle:
            handle.write("x")
    assert (tmp_path / "out.hdf5").stat().st_mode & 0o777 == 0o666 & ~umask
    assert (tmp_path / "export").stat().st_mode & 0o777 == 0o777 & ~umask


def test_temporary_name_carries_the_pid(tmp_path):
    with atomic_path(tmp_path / "out.txt") as tmp:
        name = os.path.basename(tmp)
        assert name.startswith(f".out.txt.tmp-{os.getpid()}-")


def test_failure_removes_the_temporary_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            with open(tmp, "w") as handle:
                handle.write("half")
            raise RuntimeError("killed halfway")
    assert target.read_text() == "old"
    assert _temporaries(tmp_path) == []


def test_only_stale_temporaries_of_this_pattern_are_removed(tmp_path, dead_pid):
    stale_file = tmp_path / f".out.txt.tmp-{dead_pid}-a"
    stale_dir = tmp_path / f".out.txt.tmp-{dead_pid}-old-b"
    live = tmp_path / f".out.txt.tmp-{os.getpid()}-c"
    other_target = tmp_path / f".other.txt.tmp-{dead_pid}-d"
    unrelated = tmp_path / "out.txt.tmp-notes"
    stale_file.write_text("x")
    stale_dir.mkdir()
    for path in (live, other_target, unrelated):
        path.write_text("keep")
    removed = remove_stale_temporaries(tmp_path / "out.txt")
    assert sorted(removed) == sorted([str(stale_file), str(stale_dir)])
    assert _temporaries(tmp_path) == sorted(
        [live.name, other_target.name, unrelated.name]
    )
    # The next write cleans up as well.
    stale_file.write_text("x")
    with atomic_path(tmp_path / "out.txt") as tmp:
        open(tmp, "w").close()
    assert not stale_file.exists() and live.exists()


def test_rename_no_replace_never_replaces(tmp_path):
    taken = tmp_path / "1"
    taken.mkdir()
    (taken / "saved_model.pb").write_text("first")
    empty = tmp_path / "2"
    empty.mkdir()
    with temporary_directory_beside(tmp_path / "new") as tmp:
        for destination in (taken, empty):
            with pytest.raises(FileExistsError):
                rename_no_replace(tmp, str(destination))
        rename_no_replace(tmp, str(tmp_path / "3"))
    assert (taken / "saved_model.pb").read_text() == "first"
    assert sorted(os.listdir(tmp_path)) == ["1", "2", "3"]


def test_unused_temporary_directory_is_removed(tmp_path):
    with pytest.raises(ValueError):
        with temporary_directory_beside(tmp_path / "new") as tmp:
            raise ValueError("export failed")
    assert not os.path.exists(tmp)
    assert os.listdir(tmp_path) == []


def test_a_failure_to_write_names_the_output(tmp_path, monkeypatch):
    """An unwritable place named the temporary file (issue 21)."""
    import tempfile

    def refuse(prefix, dir):
        raise PermissionError(13, "Permission denied", f"{dir}/{prefix}x")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    output = tmp_path / "out.hdf5"
    with pytest.raises(PermissionError) as info:
        with atomic_path(output):
            pass
    assert str(output) in str(info.value) and ".tmp-" not in str(info.value)
