import struct
import zlib

import pytest

from tools import sword_ztext


def write_testament(directory, testament, books):
    """books: list of lists of verse markup; one block per book."""
    bzs = b""
    bzz = b""
    bzv = struct.pack("<IIH", 0, 0, 0)  # testament heading: empty
    for number, verses in enumerate(books):
        data = b""
        for verse in verses:
            raw = verse.encode("utf-8")
            bzv += struct.pack("<IIH", number, len(data), len(raw))
            data += raw
        compressed = zlib.compress(data)
        bzs += struct.pack("<III", len(bzz), len(compressed), len(data))
        bzz += compressed
    (directory / f"{testament}.bzs").write_bytes(bzs)
    (directory / f"{testament}.bzz").write_bytes(bzz)
    (directory / f"{testament}.bzv").write_bytes(bzv)


def test_osis_to_text():
    markup = (
        '<title type="section">Heading</title><w lemma="G1">Christ</w>,'
        '<note placement="foot"><reference>1:1</reference>Messiah</note>'
        '<w>the</w> <w>son</w>.<div type="x-p"/><l sID="x"/>Next &amp; '
        "<q>last</q>"
    )
    assert sword_ztext.osis_to_text(markup) == "Christ, the son. Next & last"
    with pytest.raises(TypeError):
        sword_ztext.osis_to_text(None)


def test_read_books(tmp_path):
    write_testament(
        tmp_path,
        "ot",
        [["<w>In</w> <w>the</w> beginning.", "God created."], ["Psalm one."]],
    )
    write_testament(tmp_path, "nt", [["Jesus wept."]])
    books = sword_ztext.read_books(str(tmp_path))
    assert books == [
        "In the beginning. God created.",
        "Psalm one.",
        "Jesus wept.",
    ]
    assert sword_ztext.read_testament(str(tmp_path), "nt") == [["Jesus wept."]]


def test_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no zText testament"):
        sword_ztext.read_books(str(tmp_path))
    with pytest.raises(ValueError, match="'ot' or 'nt'"):
        sword_ztext.read_testament(str(tmp_path), "apocrypha")
    write_testament(tmp_path, "nt", [["Jesus wept."]])
    (tmp_path / "nt.bzv").write_bytes(struct.pack("<IIH", 3, 0, 5))
    with pytest.raises(ValueError, match="outside the data"):
        sword_ztext.read_books(str(tmp_path))
    (tmp_path / "nt.bzv").write_bytes(b"123")
    with pytest.raises(ValueError, match="not a zText index"):
        sword_ztext.read_books(str(tmp_path))
