"""Reads the verse text of a SWORD Bible module in the zText format.

A zText module (e.g. Debian's `sword-text-web`, the World English Bible)
holds, for each testament (`ot`, `nt`), three files:

- `<t>.bzs`: block index, 12 bytes per block: offset and size of the
  compressed block in `<t>.bzz`, and its uncompressed size (little-endian
  uint32 each);
- `<t>.bzz`: the zlib-compressed blocks (one block per book when the
  module's `BlockType=BOOK`);
- `<t>.bzv`: verse index, 10 bytes per verse in versification order:
  block number (uint32), offset in the uncompressed block (uint32) and
  length (uint16); empty verses have length 0.

The verse text is OSIS markup. `osis_to_text` keeps the words and their
punctuation, and drops footnotes, cross-references, section titles,
variant readings and speaker labels.

Reference: the SWORD project's `zverse.cpp` / `zstr.cpp`.
"""

import html
import os
import re
import struct
import zlib

_BLOCK_ENTRY = struct.Struct("<III")
_VERSE_ENTRY = struct.Struct("<IIH")
# Elements dropped with their content.
_DROPPED = ("note", "title", "rdg", "speaker", "catchWord", "reference")
_DROPPED_ELEMENT = re.compile(
    r"<(" + "|".join(_DROPPED) + r")\b[^>]*(?<!/)>.*?</\1\s*>", re.DOTALL
)
# Inline elements whose tags vanish without a space (`<w>Christ</w>,`).
_INLINE_TAG = re.compile(r"</?(w|seg|name|q|transChange|hi|foreign)\b[^>]*>")
_ANY_TAG = re.compile(r"<[^>]*>")


def osis_to_text(markup):
    """Plain text of an OSIS fragment.

    Footnotes, cross-references, titles, variant readings and speaker
    labels are dropped with their content; inline word tags vanish; other
    tags (line, paragraph and milestone markers) become spaces; XML
    entities are unescaped.

    Args:
        markup: str. OSIS markup of one or more verses.

    Returns:
        The text, with single spaces.

    Example:

    >>> osis_to_text('<w lemma="G1">Christ</w>,<note>Messiah</note>'
    ...              '<w>the</w> <w>son</w>.<div type="x-p"/>Next')
    'Christ, the son. Next'
    """
    if not isinstance(markup, str):
        raise TypeError(f"`markup` must be str. Received: {type(markup)}")
    previous = None
    while previous != markup:  # nested dropped elements
        previous = markup
        markup = _DROPPED_ELEMENT.sub(" ", markup)
    markup = _INLINE_TAG.sub("", markup)
    markup = _ANY_TAG.sub(" ", markup)
    text = " ".join(html.unescape(markup).split())
    # A dropped note between a word and its punctuation leaves a space.
    return re.sub(r" ([,.;:!?])", r"\1", text)


def _read_entries(path, entry):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) % entry.size:
        raise ValueError(
            f"{path}: size {len(raw)} is not a multiple of the "
            f"{entry.size}-byte entry size; not a zText index."
        )
    return [entry.unpack_from(raw, i) for i in range(0, len(raw), entry.size)]


def read_testament(module_dir, testament):
    """The OSIS text of each block (book) of one testament.

    Args:
        module_dir: str. The folder with the `.bzs`/`.bzv`/`.bzz` files.
        testament: str. `"ot"` or `"nt"`.

    Returns:
        A list of lists: for each block in order, the OSIS markup of its
        non-empty verses in versification order.

    Raises:
        FileNotFoundError: if a file of the testament is missing.
        ValueError: if an index points outside its data.

    Example:

    >>> books = read_testament("modules/texts/ztext/engWEB2015eb", "nt")
    ... # doctest: +SKIP
    """
    if testament not in ("ot", "nt"):
        raise ValueError(
            f"`testament` must be 'ot' or 'nt'. Received: {testament!r}"
        )
    prefix = os.path.join(module_dir, testament)
    for suffix in (".bzs", ".bzv", ".bzz"):
        if not os.path.isfile(prefix + suffix):
            raise FileNotFoundError(f"No zText file {prefix + suffix!r}")
    blocks_index = _read_entries(prefix + ".bzs", _BLOCK_ENTRY)
    verses_index = _read_entries(prefix + ".bzv", _VERSE_ENTRY)
    with open(prefix + ".bzz", "rb") as f:
        compressed = f.read()
    blocks = []
    for number, (offset, size, uncompressed_size) in enumerate(blocks_index):
        if offset + size > len(compressed):
            raise ValueError(
                f"{prefix}.bzs: block {number} ends at {offset + size}, "
                f"past the end of {prefix}.bzz ({len(compressed)} bytes)."
            )
        data = zlib.decompress(compressed[offset : offset + size])
        if len(data) != uncompressed_size:
            raise ValueError(
                f"{prefix}.bzz: block {number} inflates to {len(data)} "
                f"bytes, its index says {uncompressed_size}."
            )
        blocks.append(data)
    books = [[] for _ in blocks]
    for block, offset, size in verses_index:
        if size == 0:
            continue
        if block >= len(blocks) or offset + size > len(blocks[block]):
            raise ValueError(
                f"{prefix}.bzv: verse at block {block}, offset {offset}, "
                f"size {size} lies outside the data."
            )
        verse = blocks[block][offset : offset + size]
        books[block].append(verse.decode("utf-8", "replace"))
    return books


def read_books(module_dir):
    """Plain text of each book of a zText module, Old Testament first.

    Args:
        module_dir: str. The module's data folder (its `DataPath`).

    Returns:
        A list of str, one per non-empty block (book), verses joined by
        spaces.

    Example:

    >>> books = read_books("modules/texts/ztext/engWEB2015eb")
    ... # doctest: +SKIP
    """
    books = []
    for testament in ("ot", "nt"):
        if not os.path.isfile(os.path.join(module_dir, testament + ".bzs")):
            continue
        for verses in read_testament(module_dir, testament):
            text = " ".join(osis_to_text(verse) for verse in verses)
            text = " ".join(text.split())
            if text:
                books.append(text)
    if not books:
        raise FileNotFoundError(
            f"{module_dir!r} holds no zText testament (ot.bzs / nt.bzs)."
        )
    return books
