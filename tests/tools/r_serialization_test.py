import gzip
import struct
import zlib

import pytest

from tests.tools import r_data_writer as w
from tools import r_serialization


def test_unserialize_character_vector_with_na_and_utf8():
    data = w.serialize(w.strsxp(["It is a truth", None, "caf\u00e9"]))
    assert r_serialization.unserialize(data) == [
        "It is a truth",
        None,
        "caf\u00e9",
    ]


def test_unserialize_version_2_and_named_list():
    item = w.vecsxp([w.strsxp(["a"]), w.realsxp([1.5, 2.0])], ["x", "y"])
    result = r_serialization.unserialize(w.serialize(item, version=2))
    assert result.type_name == "list"
    assert result.attributes == {"names": ["x", "y"]}
    assert result.values[0] == ["a"]
    assert result.values[1].values == [1.5, 2.0]


def test_unserialize_errors():
    with pytest.raises(ValueError, match="XDR"):
        r_serialization.unserialize(b"A\n" + b"\0" * 12)
    with pytest.raises(ValueError, match="Truncated"):
        r_serialization.unserialize(w.serialize(w.strsxp(["abc"]))[:-2])
    with pytest.raises(ValueError, match="Unsupported R object type 3"):
        r_serialization.unserialize(w.serialize(struct.pack(">i", 3)))
    with pytest.raises(TypeError):
        r_serialization.unserialize("text")


@pytest.mark.parametrize(
    "body",
    [
        zlib.compress(b"hello"),
        b"0hello",
        b"1" + zlib.compress(b"hello"),
    ],
)
def test_decompress_chunk_types(body):
    chunk = struct.pack(">I", 5) + body
    assert r_serialization.decompress_chunk(chunk) == b"hello"


def test_decompress_chunk_errors():
    with pytest.raises(ValueError, match="header says 9"):
        r_serialization.decompress_chunk(
            struct.pack(">I", 9) + zlib.compress(b"hello")
        )
    with pytest.raises(ValueError, match="compression type"):
        r_serialization.decompress_chunk(struct.pack(">I", 5) + b"?hello")


def test_read_lazy_load_database(tmp_path):
    w.write_lazy_load_db(
        tmp_path,
        {
            "emma": w.strsxp(["EMMA", "", "Emma Woodhouse, handsome,"]),
            "numbers": w.realsxp([1.0]),
            "persuasion": w.strsxp(["Sir Walter Elliot", None]),
        },
    )
    index = r_serialization.read_lazy_load_index(tmp_path / "Rdata.rdx")
    assert list(index) == ["emma", "numbers", "persuasion"]
    assert index["emma"][0] == 0
    vectors = r_serialization.read_character_vectors(tmp_path)
    assert vectors == {
        "emma": ["EMMA", "", "Emma Woodhouse, handsome,"],
        "persuasion": ["Sir Walter Elliot"],
    }
    with pytest.raises(KeyError, match="no object 'mobydick'"):
        r_serialization.read_character_vectors(tmp_path, ["mobydick"])
    with pytest.raises(ValueError, match="not a character vector"):
        r_serialization.read_character_vectors(tmp_path, ["numbers"])


def test_index_without_variables(tmp_path):
    path = tmp_path / "bad.rdx"
    path.write_bytes(gzip.compress(w.serialize(w.vecsxp([], names=None))))
    with pytest.raises(ValueError, match="variables"):
        r_serialization.read_lazy_load_index(path)
