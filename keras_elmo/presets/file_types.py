"""What a downloaded file must look like before it is kept.

A server (or a proxy, a captive portal, an expired link) may answer a
request for `weights.hdf5` with an HTML page and HTTP 200. Each preset file
is therefore checked by its kind, from its name, before it gets its real
name in the cache: JSON must parse, HDF5 and zip files must start with
their signature, text must be UTF-8, and nothing may be an HTML page.
Only the first bytes are read (JSON files are small), so the check costs
nothing next to the download.
"""

import codecs
import json
import os

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # an entry; an empty zip
# gzip, bzip2, xz: the compressions of `.tar.gz`, `.tar.bz2`, `.tar.xz`.
COMPRESSED_TAR_SIGNATURES = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")
TAR_MAGIC_OFFSET = 257  # "ustar" in a POSIX (or GNU) tar header
# The pickle protocol-2 opcode that starts torch's legacy serialisation.
PICKLE_SIGNATURE = b"\x80"
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")
_SNIFF_BYTES = 1024
_MAX_JSON_BYTES = 64 << 20

ARCHIVE_SUFFIXES = (
    ".zip",
    ".tar",
    ".tar.gz",
    ".tgz",
    ".tar.bz2",
    ".tbz2",
    ".tar.xz",
    ".txz",
)


def file_kind(name):
    """The kind of a preset file, from its name.

    Returns:
        One of `"json"`, `"hdf5"`, `"zip"`, `"archive"`, `"pickle"`,
        `"text"`, or `"binary"` (anything else: only the HTML check).

    Example:

    >>> file_kind("weights.hdf5")
    'hdf5'
    """
    name = os.path.basename(str(name)).lower()
    if name.endswith(".json"):
        return "json"
    if name.endswith((".hdf5", ".h5")):
        return "hdf5"
    if name.endswith((".zip", ".npz")):
        return "zip"
    if name.endswith(ARCHIVE_SUFFIXES):
        return "archive"
    if name.endswith(".pkl"):
        return "pickle"
    if name.endswith((".txt", ".md", ".dic")):
        return "text"
    return "binary"


def _looks_like_html(head):
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(_HTML_STARTS)


def _describe(head):
    text = head[:40].decode("utf-8", "replace")
    return repr(text)


def check_file_type(path, name=None):
    """Raise `ValueError` unless the file at `path` is of `name`'s kind.

    Args:
        path: str or path-like. The file to check (e.g. a `.part` file).
        name: str or `None`. The name the file is for (its kind); defaults
            to `path`'s own name.

    Raises:
        ValueError: naming the expected kind and what the file starts with
            (an HTML page, bad JSON, a missing signature).

    Example:

    >>> check_file_type("weights.hdf5.part", "weights.hdf5")
    """
    path = os.fspath(path)
    name = name or os.path.basename(path)
    kind = file_kind(name)
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
        if kind == "archive":
            f.seek(TAR_MAGIC_OFFSET)
            tar_magic = f.read(5)
    if kind not in ("hdf5", "zip", "archive", "pickle") and _looks_like_html(
        head
    ):
        raise ValueError(
            f"it is an HTML page, not {name} (it starts with {_describe(head)})"
        )
    if kind == "json":
        if os.path.getsize(path) > _MAX_JSON_BYTES:
            raise ValueError(f"{name} is larger than a JSON preset file")
        try:
            with open(path, encoding="utf-8") as f:
                json.load(f)
        except (ValueError, UnicodeDecodeError) as error:
            raise ValueError(
                f"it is not valid JSON ({error}; it starts with "
                f"{_describe(head)})"
            ) from None
    elif kind == "hdf5" and not head.startswith(HDF5_SIGNATURE):
        raise ValueError(
            f"it is not an HDF5 file (no HDF5 signature; it starts with "
            f"{_describe(head)})"
        )
    elif kind == "zip" and not head.startswith(ZIP_SIGNATURES):
        raise ValueError(
            f"it is not a zip file (it starts with {_describe(head)})"
        )
    elif kind == "archive" and not (
        head.startswith(ZIP_SIGNATURES + COMPRESSED_TAR_SIGNATURES)
        or tar_magic == b"ustar"
    ):
        raise ValueError(
            f"it is not a zip or tar archive (it starts with {_describe(head)})"
        )
    elif kind == "pickle" and not head.startswith(
        (PICKLE_SIGNATURE,) + ZIP_SIGNATURES
    ):
        raise ValueError(
            "it is not a PyTorch state dict (neither a pickle nor a zip; it "
            f"starts with {_describe(head)})"
        )
    elif kind == "text":
        try:
            # The first KiB may end inside a character: an incremental
            # decoder waits for the rest instead of failing.
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError:
            raise ValueError(
                f"it is not UTF-8 text (it starts with {_describe(head)})"
            ) from None
