"""Safe extraction of the zip and tar archives that models are published as.

An archive from the internet is not trusted: every member is checked
before anything is written. A member may not leave the target directory
(no absolute path, no `..`), may not be a link (symbolic or hard), a
device or a FIFO, and the archive may hold at most `max_files` members
and `max_bytes` in all, counted as the bytes really written, not as the
headers claim (a zip bomb lies in its headers). Members are written by
this module (not `extractall`), so they get normal permissions and no
ownership or mode bits from the archive.
"""

import os
import posixpath
import shutil
import stat
import tarfile
import zipfile

# The largest released ELMo archives unpack to about 1 GB (ELMoForManyLangs,
# the original English model); a 4 GiB bound leaves room, and stops a
# bomb long before the disk fills.
MAX_ARCHIVE_BYTES = 4 << 30
MAX_ARCHIVE_FILES = 1000
_CHUNK_BYTES = 1 << 20
# Folders that archivers add and that hold no model file.
_IGNORED_DIRECTORIES = ("__MACOSX",)


class UnsafeArchiveError(ValueError):
    """An archive member would escape the target, is a link or device, or
    the archive exceeds the size or file-count bound."""


def is_archive_file(path):
    """Whether `path` is a zip or tar file (by content, not name).

    Example:

    >>> is_archive_file("161.zip")
    True
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        return False
    return zipfile.is_zipfile(path) or tarfile.is_tarfile(path)


def _member_path(name, archive):
    # Archive names use "/"; a name that is absolute, has a drive, or
    # climbs out with ".." is refused.
    clean = name.replace("\\", "/")
    parts = [p for p in clean.split("/") if p not in ("", ".")]
    if (
        clean.startswith("/")
        or (parts and ":" in parts[0])
        or ".." in parts
        or not parts
    ):
        raise UnsafeArchiveError(
            f"{archive}: the member {name!r} would be written outside the "
            "extraction directory; refusing to extract it."
        )
    return posixpath.join(*parts)


class _Budget:
    def __init__(self, archive, max_bytes, max_files):
        self.archive = archive
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.bytes = 0
        self.files = 0

    def add_file(self):
        self.files += 1
        if self.files > self.max_files:
            raise UnsafeArchiveError(
                f"{self.archive} holds more than {self.max_files} files; "
                "refusing to extract it."
            )

    def add_bytes(self, count):
        self.bytes += count
        if self.bytes > self.max_bytes:
            raise UnsafeArchiveError(
                f"{self.archive} unpacks to more than {self.max_bytes} bytes; "
                "refusing to extract it (a model archive is smaller; this "
                "may be a zip bomb)."
            )


def _copy(source, destination, budget):
    with open(destination, "wb") as out:
        while chunk := source.read(_CHUNK_BYTES):
            budget.add_bytes(len(chunk))
            out.write(chunk)


def _zip_members(archive, path):
    for info in archive.infolist():
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if info.is_dir():
            yield "dir", _member_path(info.filename, path), info
        elif kind in (0, stat.S_IFREG):
            yield "file", _member_path(info.filename, path), info
        else:
            what = "a symbolic link" if stat.S_ISLNK(mode) else "not a file"
            raise UnsafeArchiveError(
                f"{path}: the member {info.filename!r} is {what}; refusing "
                "to extract an archive with links or special files."
            )


def _tar_members(archive, path):
    for member in archive:
        if member.isdir():
            yield "dir", _member_path(member.name, path), member
        elif member.isreg():
            yield "file", _member_path(member.name, path), member
        else:
            what = (
                "a symbolic link"
                if member.issym()
                else "a hard link"
                if member.islnk()
                else "a device or FIFO"
            )
            raise UnsafeArchiveError(
                f"{path}: the member {member.name!r} is {what}; refusing to "
                "extract an archive with links or special files."
            )


def extract_archive(
    archive_path,
    target,
    max_bytes=MAX_ARCHIVE_BYTES,
    max_files=MAX_ARCHIVE_FILES,
):
    """Extract a zip or tar archive into `target`, safely.

    Every member is checked first (paths, kinds, the file count and the
    declared sizes); the bytes written are counted again while writing.

    Args:
        archive_path: str or path-like. A zip or tar (optionally gzip,
            bzip2 or xz compressed) file.
        target: str or path-like. The directory to extract into (created).
        max_bytes: int. Bound on the bytes extracted. Defaults to 4 GiB.
        max_files: int. Bound on the members. Defaults to 1000.

    Raises:
        UnsafeArchiveError: a member escapes, is a link or special file,
            or a bound is exceeded (nothing useful is left in `target`).
        ValueError: not a zip or tar file.

    Example:

    >>> extract_archive("161.zip", "ko_model")
    """
    archive_path = os.fspath(archive_path)
    target = os.fspath(target)
    budget = _Budget(archive_path, max_bytes, max_files)
    if zipfile.is_zipfile(archive_path):
        opened, members = zipfile.ZipFile(archive_path), _zip_members
    elif tarfile.is_tarfile(archive_path):
        opened, members = tarfile.open(archive_path, "r:*"), _tar_members
    else:
        raise ValueError(f"{archive_path} is neither a zip nor a tar file.")
    os.makedirs(target, exist_ok=True)
    try:
        with opened as archive:
            checked = list(members(archive, archive_path))
            declared = _Budget(archive_path, max_bytes, max_files)
            for kind, _, info in checked:
                declared.add_file()
                if kind == "file":
                    size = getattr(info, "file_size", None)
                    declared.add_bytes(info.size if size is None else size)
            for kind, name, info in checked:
                destination = os.path.join(target, *name.split("/"))
                if kind == "dir":
                    os.makedirs(destination, exist_ok=True)
                    continue
                budget.add_file()
                os.makedirs(os.path.dirname(destination), exist_ok=True)
                if isinstance(archive, zipfile.ZipFile):
                    source = archive.open(info)
                else:
                    source = archive.extractfile(info)
                with source:
                    _copy(source, destination, budget)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as error:
        raise ValueError(
            f"{archive_path} is a damaged archive: {error}"
        ) from None
    for ignored in _IGNORED_DIRECTORIES:
        shutil.rmtree(os.path.join(target, ignored), ignore_errors=True)


def find_model_root(directory, marker_files):
    """The directory of an extracted archive that holds the model files.

    Archives put the files at their root (the NLPL ones) or in one folder
    (`ko.model/`); the first directory, breadth first, holding one of
    `marker_files` is the model's.

    Args:
        directory: str or path-like. Where the archive was extracted.
        marker_files: names of which one marks the model directory (e.g.
            `("options.json", "config.json")`).

    Returns:
        str, the model directory, or `None` if no directory holds one.

    Example:

    >>> find_model_root("extracted", ("config.json",))
    'extracted/ko.model'
    """
    level = [os.fspath(directory)]
    for _ in range(3):
        for path in level:
            if any(
                os.path.isfile(os.path.join(path, name))
                for name in marker_files
            ):
                return path
        level = [
            os.path.join(path, entry)
            for path in level
            for entry in sorted(os.listdir(path))
            if os.path.isdir(os.path.join(path, entry))
        ]
    return None
