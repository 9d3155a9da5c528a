"""Writes tiny R lazy-load databases (XDR serialization) for the tests."""

import gzip
import struct
import zlib


def _int(value):
    return struct.pack(">i", value)


def _charsxp(text, utf8=True):
    if text is None:
        return _int(9) + _int(-1)
    raw = text.encode("utf-8")
    levels = (1 << 3) if utf8 else 0
    return _int(9 | (levels << 12)) + _int(len(raw)) + raw


def strsxp(values, names=None):
    flags = 16 | ((1 << 9) if names else 0)
    body = _int(flags) + _int(len(values))
    body += b"".join(_charsxp(value) for value in values)
    if names:
        body += _names_attribute(names)
    return body


def realsxp(values):
    return (
        _int(14)
        + _int(len(values))
        + b"".join(struct.pack(">d", value) for value in values)
    )


def vecsxp(items, names=None):
    flags = 19 | ((1 << 9) if names else 0)
    body = _int(flags) + _int(len(items)) + b"".join(items)
    if names:
        body += _names_attribute(names)
    return body


def _names_attribute(names):
    # pairlist (LISTSXP with a tag): tag = symbol "names", car = STRSXP.
    return (
        _int(2 | (1 << 10))
        + _int(1)
        + _charsxp("names")
        + strsxp(names)
        + _int(254)
    )


def serialize(item, version=3):
    header = b"X\n" + _int(version) + _int(0x040300) + _int(0x030500)
    if version == 3:
        header += _int(5) + b"UTF-8"
    return header + item


def chunk(data):
    return struct.pack(">I", len(data)) + zlib.compress(data)


def write_lazy_load_db(directory, objects):
    """Writes Rdata.rdb/Rdata.rdx holding `objects` (name -> item bytes)."""
    rdb = b""
    positions = []
    for item in objects.values():
        data = chunk(serialize(item))
        positions.append(realsxp([float(len(rdb)), float(len(data))]))
        rdb += data
    variables = vecsxp(positions, names=list(objects))
    index = vecsxp(
        [variables, vecsxp([]), realsxp([1.0])],
        names=["variables", "references", "compressed"],
    )
    (directory / "Rdata.rdb").write_bytes(rdb)
    (directory / "Rdata.rdx").write_bytes(gzip.compress(serialize(index)))
