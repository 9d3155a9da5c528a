"""A small reader for R's serialization format and lazy-load databases.

R packages ship their data sets as a lazy-load database: `data/Rdata.rdx`
(a gzip-compressed serialized index) and `data/Rdata.rdb` (the objects).
Each object in the `.rdb` is a chunk at a byte offset given by the index:
a 4-byte big-endian uncompressed length, then zlib data (R's
`R_compress1`; `R_compress2`/`3` add a type byte, `2` bzip2, `Z` xz, `0`
stored), holding the object in R's XDR serialization (format 2 or 3).

Only the parts of the format that data sets use are read: NULL, symbols,
pairlists (attributes), character, logical, integer, double and generic
vectors, ALTREP compact sequences and wrappers, and back-references.
Anything else raises a `ValueError` naming the type. Character vectors
come back as Python lists of `str` (`None` for `NA`); other vectors as
`RVector` with their attributes.

Reference: "R Internals", section 1.8 "Serialization Formats".
"""

import bz2
import dataclasses
import gzip
import lzma
import math
import struct
import zlib

# SEXP types (R's Rinternals.h) and pseudo-types (serialize.c).
NILSXP = 0
SYMSXP = 1
LISTSXP = 2
CHARSXP = 9
LGLSXP = 10
INTSXP = 13
REALSXP = 14
STRSXP = 16
VECSXP = 19
EXPRSXP = 20
ALTREP_SXP = 238
ATTRLISTSXP = 239
EMPTYENV_SXP = 242
BASEENV_SXP = 241
GLOBALENV_SXP = 253
NILVALUE_SXP = 254
REFSXP = 255

_NA_INTEGER = -(2**31)
_IS_OBJECT_BIT = 1 << 8
_HAS_ATTR_BIT = 1 << 9
_HAS_TAG_BIT = 1 << 10
# CHARSXP "levels": the string's declared encoding.
_LATIN1_MASK = 1 << 2
_BYTES_MASK = 1 << 1


@dataclasses.dataclass
class RVector:
    """An R vector other than a character vector.

    Args:
        type_name: str. `"logical"`, `"integer"`, `"double"` or `"list"`.
        values: list. The elements (`None` for `NA` in logical/integer).
        attributes: dict. The R attributes, e.g. `{"names": [...]}`.
    """

    type_name: str
    values: list
    attributes: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class RSymbol:
    """An R symbol (a name), as found in pairlist tags."""

    name: str


_SPECIAL_VALUES = {
    NILVALUE_SXP: None,
    EMPTYENV_SXP: RSymbol("<emptyenv>"),
    BASEENV_SXP: RSymbol("<baseenv>"),
    GLOBALENV_SXP: RSymbol("<globalenv>"),
}


class _Reader:
    """Reads one XDR-serialized R object from a bytes buffer."""

    def __init__(self, data):
        self.data = data
        self.pos = 0
        self.refs = []

    def _take(self, size):
        if self.pos + size > len(self.data):
            raise ValueError(
                f"Truncated R serialization: needed {size} bytes at offset "
                f"{self.pos}, only {len(self.data) - self.pos} left."
            )
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def int(self):
        return struct.unpack(">i", self._take(4))[0]

    def _length(self):
        length = self.int()
        if length == -1:  # long vector: two more ints
            upper, lower = struct.unpack(">II", self._take(8))
            length = (upper << 32) + lower
        if length < 0:
            raise ValueError(f"Invalid R vector length {length}.")
        return length

    def header(self):
        magic = self._take(2)
        if magic != b"X\n":
            raise ValueError(
                "Not an XDR R serialization (expected the 'X\\n' header, "
                f"got {magic!r}); ascii and native formats are not "
                "supported."
            )
        version = self.int()
        self.int()  # R version that wrote it
        self.int()  # minimal R version to read it
        if version == 3:
            self._take(self.int())  # native encoding name
        elif version != 2:
            raise ValueError(
                f"Unsupported R serialization version {version}; "
                "expected 2 or 3."
            )

    def _charsxp(self, levels):
        length = self.int()
        if length == -1:
            return None  # NA_character_
        raw = self._take(length)
        if levels & _LATIN1_MASK:
            return raw.decode("latin-1")
        if levels & _BYTES_MASK:
            return raw.decode("utf-8", "surrogateescape")
        # UTF-8, ASCII or native (UTF-8 on the machines that build
        # Debian's packages).
        return raw.decode("utf-8", "replace")

    def _attributes(self, flags):
        if not flags & _HAS_ATTR_BIT:
            return {}
        pairlist = self.item()
        return pairlist if isinstance(pairlist, dict) else {}

    def _pairlist(self, flags):
        # Attributes come first for pairlists, then the tag, CAR and CDR.
        entries = {}
        while True:
            if flags & _HAS_ATTR_BIT:
                self.item()
            tag = self.item() if flags & _HAS_TAG_BIT else None
            value = self.item()
            key = tag.name if isinstance(tag, RSymbol) else len(entries)
            entries[key] = value
            # The CDR is read iteratively (long attribute lists).
            flags = self.int()
            sexp_type = flags & 0xFF
            if sexp_type == NILVALUE_SXP:
                return entries
            if sexp_type not in (LISTSXP, ATTRLISTSXP):
                raise ValueError(
                    f"Malformed pairlist: its tail has type {sexp_type}."
                )

    def _altrep(self):
        info = self.item()  # pairlist: (class symbol, package, type)
        state = self.item()
        attributes = self.item()
        class_name = None
        if isinstance(info, dict) and info:
            first = next(iter(info.values()))
            class_name = first.name if isinstance(first, RSymbol) else None
        if class_name in ("compact_intseq", "compact_realseq"):
            length, start, step = state.values[:3]
            values = [start + i * step for i in range(int(length))]
            if class_name == "compact_intseq":
                values = [int(value) for value in values]
            result = RVector(
                "integer" if class_name == "compact_intseq" else "double",
                values,
            )
        elif class_name is not None and class_name.startswith("wrap_"):
            result = state.values[0]  # list(wrapped vector, metadata)
        elif class_name == "deferred_string":
            # state: (the vector converted to string, scalar info).
            result = [str(value) for value in state.values[0].values]
        else:
            raise ValueError(
                f"Unsupported ALTREP class {class_name!r} in R data."
            )
        if isinstance(result, RVector) and isinstance(attributes, dict):
            result.attributes.update(attributes)
        return result

    def item(self):
        flags = self.int()
        sexp_type = flags & 0xFF
        levels = flags >> 12
        if sexp_type in _SPECIAL_VALUES:
            return _SPECIAL_VALUES[sexp_type]
        if sexp_type == REFSXP:
            index = flags >> 8
            if index == 0:
                index = self.int()
            if not 1 <= index <= len(self.refs):
                raise ValueError(f"Invalid R back-reference {index}.")
            return self.refs[index - 1]
        if sexp_type == SYMSXP:
            symbol = RSymbol(self.item())  # a CHARSXP
            self.refs.append(symbol)
            return symbol
        if sexp_type in (LISTSXP, ATTRLISTSXP):
            return self._pairlist(flags)
        if sexp_type == CHARSXP:
            return self._charsxp(levels)
        if sexp_type == ALTREP_SXP:
            return self._altrep()
        if sexp_type == STRSXP:
            values = []
            for _ in range(self._length()):
                element_flags = self.int()
                if element_flags & 0xFF != CHARSXP:
                    raise ValueError(
                        "Character vector element is not a CHARSXP "
                        f"(type {element_flags & 0xFF})."
                    )
                values.append(self._charsxp(element_flags >> 12))
            attributes = self._attributes(flags)
            if attributes.get("class") or attributes.get("dim"):
                return RVector("character", values, attributes)
            return values
        if sexp_type in (LGLSXP, INTSXP):
            length = self._length()
            raw = struct.unpack(f">{length}i", self._take(4 * length))
            values = [None if value == _NA_INTEGER else value for value in raw]
            if sexp_type == LGLSXP:
                values = [None if v is None else bool(v) for v in values]
            name = "logical" if sexp_type == LGLSXP else "integer"
            return RVector(name, values, self._attributes(flags))
        if sexp_type == REALSXP:
            length = self._length()
            values = list(struct.unpack(f">{length}d", self._take(8 * length)))
            return RVector("double", values, self._attributes(flags))
        if sexp_type in (VECSXP, EXPRSXP):
            values = [self.item() for _ in range(self._length())]
            return RVector("list", values, self._attributes(flags))
        raise ValueError(
            f"Unsupported R object type {sexp_type} in serialized data "
            "(only data vectors, lists and attributes are read)."
        )


def unserialize(data):
    """Reads one R object from its XDR serialization.

    Args:
        data: bytes. The output of R's `serialize(x, NULL, xdr=TRUE)`.

    Returns:
        A list of str for a character vector, an `RVector` for other
        vectors and lists, `None` for NULL.

    Raises:
        ValueError: on a truncated buffer or an unsupported type.

    Example:

    >>> unserialize(serialized_bytes)  # doctest: +SKIP
    ['It is a truth universally acknowledged, ...']
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"`data` must be bytes. Received: {type(data)}")
    reader = _Reader(bytes(data))
    reader.header()
    return reader.item()


def decompress_chunk(chunk):
    """Decompresses one lazy-load database chunk (R's `R_decompress{1,2,3}`).

    Args:
        chunk: bytes. A 4-byte big-endian uncompressed length, then (for
            zlib) the zlib stream, or a type byte (`0` stored, `1` zlib,
            `2` bzip2, `Z` xz) and the data.

    Returns:
        The uncompressed bytes.

    Raises:
        ValueError: if the chunk is too short, the type is unknown or the
            length does not match.

    Example:

    >>> decompress_chunk(b"\\x00\\x00\\x00\\x03" + zlib.compress(b"abc"))
    b'abc'
    """
    if len(chunk) < 5:
        raise ValueError(
            f"R lazy-load chunk of {len(chunk)} bytes is too short."
        )
    (expected,) = struct.unpack(">I", chunk[:4])
    body = chunk[4:]
    if body[:1] == b"x":  # a zlib header (R_compress1)
        data = zlib.decompress(body)
    elif body[:1] == b"0":
        data = body[1:]
    elif body[:1] == b"1":
        data = zlib.decompress(body[1:])
    elif body[:1] == b"2":
        data = bz2.decompress(body[1:])
    elif body[:1] == b"Z":
        data = lzma.decompress(body[1:])
    else:
        raise ValueError(f"Unknown R lazy-load compression type {body[:1]!r}.")
    if len(data) != expected:
        raise ValueError(
            f"R lazy-load chunk inflates to {len(data)} bytes, its header "
            f"says {expected}."
        )
    return data


def read_lazy_load_index(rdx_path):
    """Reads a `.rdx` index: object name -> (offset, length) in the `.rdb`.

    Args:
        rdx_path: str or path-like. The `.rdx` file (gzip or a zlib
            chunk, holding a serialized list with a `variables` entry).

    Returns:
        A dict from object name to `(offset, length)`.

    Example:

    >>> read_lazy_load_index("janeaustenr/data/Rdata.rdx")  # doctest: +SKIP
    {'emma': (0, 400000), ...}
    """
    with open(rdx_path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        data = gzip.decompress(raw)
    else:
        data = decompress_chunk(raw)
    index = unserialize(data)
    if not isinstance(index, RVector) or index.type_name != "list":
        raise ValueError(f"{rdx_path}: not an R lazy-load index (a list).")
    names = index.attributes.get("names") or []
    if "variables" not in names:
        raise ValueError(f"{rdx_path}: the index has no 'variables' entry.")
    variables = index.values[names.index("variables")]
    variable_names = variables.attributes.get("names") or []
    result = {}
    for name, position in zip(variable_names, variables.values):
        offset, length = position.values[:2]
        if any(math.isnan(v) for v in (offset, length)):
            raise ValueError(f"{rdx_path}: bad position for {name!r}.")
        result[name] = (int(offset), int(length))
    return result


def read_lazy_load_object(rdb_path, offset, length):
    """Reads one object from a `.rdb` file at the index's position.

    Args:
        rdb_path: str or path-like. The `.rdb` file.
        offset: int. Byte offset of the chunk.
        length: int. Byte length of the chunk.

    Returns:
        The object, as `unserialize` returns it.

    Example:

    >>> read_lazy_load_object("Rdata.rdb", 0, 400000)  # doctest: +SKIP
    """
    with open(rdb_path, "rb") as f:
        f.seek(offset)
        chunk = f.read(length)
    if len(chunk) != length:
        raise ValueError(
            f"{rdb_path}: chunk at {offset} is truncated ({len(chunk)} of "
            f"{length} bytes)."
        )
    return unserialize(decompress_chunk(chunk))


def read_character_vectors(data_dir, names=None):
    """Reads the character vectors of an R package's `data/Rdata.*`.

    Args:
        data_dir: str or path-like. The package's `data/` folder (with
            `Rdata.rdx` and `Rdata.rdb`).
        names: list of str, optional. The objects to read; all character
            vectors when `None`.

    Returns:
        A dict from object name to list of str (`NA` elements dropped).

    Raises:
        KeyError: if a requested name is not in the index.
        ValueError: if a requested object is not a character vector.

    Example:

    >>> books = read_character_vectors("janeaustenr/data", ["emma"])
    ... # doctest: +SKIP
    """
    import os

    rdx = os.path.join(data_dir, "Rdata.rdx")
    rdb = os.path.join(data_dir, "Rdata.rdb")
    index = read_lazy_load_index(rdx)
    wanted = list(index) if names is None else list(names)
    result = {}
    for name in wanted:
        if name not in index:
            raise KeyError(
                f"{rdx}: no object {name!r}; it holds {sorted(index)}."
            )
        value = read_lazy_load_object(rdb, *index[name])
        if isinstance(value, list):
            result[name] = [line for line in value if line is not None]
        elif names is not None:
            raise ValueError(
                f"{rdb}: {name!r} is not a character vector "
                f"({type(value).__name__})."
            )
    return result
