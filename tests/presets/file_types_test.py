"""What a downloaded file must look like before it is kept."""

import pytest

from keras_elmo.presets.file_types import check_file_type
from keras_elmo.presets.file_types import file_kind

HDF5 = b"\x89HDF\r\n\x1a\n" + b"\0" * 32
HTML = b"\n  <!DOCTYPE html><html><body>502 Bad Gateway</body></html>"

# (file name, content, error or None)
CASES = [
    ("options.json", b'{"lstm": {}}', None),
    ("options.json", HTML, "an HTML page"),
    ("layer_mix.json", b"{not json", "not valid JSON"),
    ("weights.hdf5", HDF5, None),
    ("weights.hdf5", HTML, "not an HDF5 file"),
    ("model.weights.h5", b"PK\x03\x04", "not an HDF5 file"),
    ("warm_state.npz", b"PK\x03\x04rest", None),
    ("warm_state.npz", HTML, "not a zip file"),
    ("161.zip", b"PK\x03\x04rest", None),
    ("model.tar.gz", b"\x1f\x8b\x08rest", None),
    ("model.tar.gz", HTML, "not a zip or tar archive"),
    ("encoder.pkl", b"\x80\x02\x8a\x0alegacy", None),
    ("encoder.pkl", HTML, "not a PyTorch state dict"),
    ("vocabulary.txt", "<S>\n</S>\n한국\n".encode(), None),
    ("vocabulary.txt", HTML, "an HTML page"),
    ("vocabulary.txt", b"\xff\xfe\x00bad", "not UTF-8 text"),
    ("char.dic", "한\t0\n".encode() * 300, None),  # cut inside a character
    ("README.md", b"# A model card\n", None),
]


@pytest.mark.parametrize("name, content, error", CASES)
def test_check_file_type(tmp_path, name, content, error):
    path = tmp_path / f".{name}.pid-1.x.part"
    path.write_bytes(content)
    if error is None:
        check_file_type(path, name)
    else:
        with pytest.raises(ValueError, match=error):
            check_file_type(path, name)


def test_kinds():
    assert [
        file_kind(n)
        for n in ("a.json", "b.hdf5", "c.npz", "d.tgz", "e.pkl", "f.txt", "g")
    ] == ["json", "hdf5", "zip", "archive", "pickle", "text", "binary"]
