"""Safe archive extraction: paths, links, devices and size bounds."""

import io
import os
import stat
import tarfile
import zipfile

import pytest

from keras_elmo.presets.archive_extraction import UnsafeArchiveError
from keras_elmo.presets.archive_extraction import extract_archive
from keras_elmo.presets.archive_extraction import find_model_root
from keras_elmo.presets.archive_extraction import is_archive_file


def _zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _tar(path, members, mode="w:gz"):
    with tarfile.open(path, mode) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data else None)
    return path


def _tar_info(name, kind=tarfile.REGTYPE, size=0, linkname=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    info.linkname = linkname
    info.mode = 0o600
    return info


def test_zip_and_tar_extract_with_normal_permissions(tmp_path):
    members = {"model/config.json": b"{}", "model/char.dic": b"a\t0\n"}
    zipped = _zip(tmp_path / "m.zip", members)
    tarred = _tar(
        tmp_path / "m.tar.gz",
        [(_tar_info(n, size=len(d)), d) for n, d in members.items()],
    )
    umask = os.umask(0o022)
    os.umask(umask)
    for archive in (zipped, tarred):
        assert is_archive_file(archive)
        target = tmp_path / f"out_{archive.name}"
        extract_archive(archive, target)
        assert (target / "model" / "char.dic").read_bytes() == b"a\t0\n"
        mode = stat.S_IMODE((target / "model" / "config.json").stat().st_mode)
        assert mode == 0o666 & ~umask  # not the archive's 0600
        assert find_model_root(target, ("config.json",)) == str(
            target / "model"
        )
    assert not is_archive_file(tmp_path / "out_m.zip" / "model" / "char.dic")


@pytest.mark.parametrize(
    "name", ["../evil.txt", "/etc/evil.txt", "a/../../evil.txt", "C:/evil"]
)
def test_paths_outside_the_target_are_refused(tmp_path, name):
    for archive in (
        _zip(tmp_path / "evil.zip", {name: b"x"}),
        _tar(tmp_path / "evil.tar", [(_tar_info(name, size=1), b"x")], "w"),
    ):
        with pytest.raises(UnsafeArchiveError, match="outside"):
            extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()
    assert not list((tmp_path / "out").rglob("*evil*"))


@pytest.mark.parametrize(
    "kind, match",
    [
        (tarfile.SYMTYPE, "symbolic link"),
        (tarfile.LNKTYPE, "hard link"),
        (tarfile.CHRTYPE, "device"),
        (tarfile.FIFOTYPE, "device or FIFO"),
    ],
)
def test_tar_links_and_devices_are_refused(tmp_path, kind, match):
    archive = _tar(
        tmp_path / "links.tar",
        [
            (_tar_info("ok.txt", size=1), b"x"),
            (_tar_info("link", kind, linkname="/etc/passwd"), None),
        ],
        "w",
    )
    with pytest.raises(UnsafeArchiveError, match=match):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out" / "ok.txt").exists()  # checked first


def test_zip_symlink_is_refused(tmp_path):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        extract_archive(path, tmp_path / "out")


def test_zip_bomb_and_file_count_are_bounded(tmp_path):
    # 10 MB of zeros compress to ~10 KB: refused past a 1 MB bound, by
    # the declared sizes before anything is written.
    bomb = _zip(tmp_path / "bomb.zip", {"zeros.bin": b"\0" * 10_000_000})
    assert bomb.stat().st_size < 100_000
    with pytest.raises(UnsafeArchiveError, match="more than 1000000 bytes"):
        extract_archive(bomb, tmp_path / "out", max_bytes=1_000_000)
    assert not (tmp_path / "out" / "zeros.bin").exists()
    many = _zip(tmp_path / "many.zip", {f"{i}.txt": b"x" for i in range(20)})
    with pytest.raises(UnsafeArchiveError, match="more than 10 files"):
        extract_archive(many, tmp_path / "out2", max_files=10)


def test_zip_that_lies_about_its_sizes_is_stopped_while_writing(tmp_path):
    # A header claiming 10 bytes for a 10 MB member: the bytes written are
    # counted, not the claim.
    path = _zip(tmp_path / "liar.zip", {"zeros.bin": b"\0" * 10_000_000})
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises((UnsafeArchiveError, ValueError)):
        extract_archive(path, tmp_path / "out", max_bytes=1_000_000)


def test_not_an_archive(tmp_path):
    path = tmp_path / "page.zip"
    path.write_text("<html>Not found</html>")
    assert not is_archive_file(path)
    with pytest.raises(ValueError, match="neither a zip nor a tar"):
        extract_archive(path, tmp_path / "out")
