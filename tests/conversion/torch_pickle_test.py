import collections
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from keras_elmo.conversion.torch_pickle import TorchPickleError
from keras_elmo.conversion.torch_pickle import load_torch_state_dict
from tests.conversion import torch_pickle_writer as writer

WRITERS = {"legacy": writer.write_legacy, "zip": writer.write_zip}
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def _arrays():
    rng = np.random.default_rng(0)
    return collections.OrderedDict(
        [
            ("embedding.weight", rng.normal(size=(5, 3)).astype("float32")),
            ("conv.bias", rng.normal(size=(4,)).astype("float64")),
            ("count", np.array(7, dtype="int64")),
            ("ids", np.arange(6, dtype="int32").reshape(2, 3)),
            ("half", rng.normal(size=(2, 2)).astype("float16")),
            ("flags", np.array([True, False])),
            ("empty", np.zeros((0, 3), "float32")),
        ]
    )


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_round_trip_of_dtypes_and_shapes(tmp_path, fmt):
    path = tmp_path / "weights.pkl"
    arrays = _arrays()
    WRITERS[fmt](path, arrays)
    loaded = load_torch_state_dict(path)
    assert list(loaded) == list(arrays)  # file order kept
    for name, array in arrays.items():
        assert loaded[name].dtype == array.dtype, name
        np.testing.assert_array_equal(loaded[name], array, err_msg=name)


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_strides_and_offsets_are_honoured(tmp_path, fmt):
    # Two tensors share one storage: a transposed view (stride (1, 3)) and
    # a slice starting at element 6.
    flat = np.arange(12, dtype="float32")
    storage = writer.Storage("0", flat)
    tensors = {
        "transposed": writer.Tensor(storage, 0, (3, 2), (1, 3)),
        "tail": writer.Tensor(storage, 6, (2, 3), (3, 1)),
    }
    path = tmp_path / "views.pkl"
    WRITERS[fmt](path, tensors)
    loaded = load_torch_state_dict(path)
    np.testing.assert_array_equal(
        loaded["transposed"], flat[:6].reshape(2, 3).T
    )
    np.testing.assert_array_equal(loaded["tail"], flat[6:].reshape(2, 3))
    assert loaded["transposed"].flags["C_CONTIGUOUS"]


def test_bfloat16_is_widened_to_float32(tmp_path):
    values = np.array([1.5, -2.0, 0.15625], "float32")
    bits = (values.view(np.uint32) >> 16).astype(np.uint16)
    storage = writer.Storage("0", bits, storage_type="BFloat16Storage")
    path = tmp_path / "bf16.pkl"
    writer.write_zip(path, {"w": writer.Tensor(storage, 0, (3,), (1,))})
    loaded = load_torch_state_dict(path)["w"]
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, values)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize("fmt", ["legacy", "zip"])
def test_refuses_arbitrary_globals(tmp_path, fmt):
    path = tmp_path / "evil.pkl"
    if fmt == "legacy":
        writer.write_legacy(path, {}, main_object={"x": _Evil()})
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(
                "archive/data.pkl", pickle.dumps({"x": _Evil()}, protocol=2)
            )
    with pytest.raises(TorchPickleError, match=r"refusing .*system"):
        load_torch_state_dict(path)


def test_refuses_a_pickle_that_is_not_a_state_dict(tmp_path):
    path = tmp_path / "list.pkl"
    writer.write_legacy(path, {}, main_object=[1, 2])
    with pytest.raises(TorchPickleError, match="expected a state dict"):
        load_torch_state_dict(path)


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda data: data[: len(data) - 10], "truncated"),
        (lambda data: b"\x80\x02K\x07." + data[15:], "magic number"),
        (lambda data: b"garbage" + data, "not a readable torch file"),
    ],
)
def test_corrupt_legacy_files(tmp_path, corrupt, message):
    path = tmp_path / "w.pkl"
    writer.write_legacy(path, {"w": np.ones((4, 4), "float32")})
    path.write_bytes(corrupt(path.read_bytes()))
    with pytest.raises(TorchPickleError, match=message) as info:
        load_torch_state_dict(path)
    assert str(path) in str(info.value)


def test_zip_with_a_missing_storage(tmp_path):
    path = tmp_path / "w.pkl"
    writer.write_zip(path, {"w": np.ones((2,), "float32")})
    broken = tmp_path / "broken.pkl"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(broken, "w") as dst:
        for name in src.namelist():
            if name != "archive/data/0":
                dst.writestr(name, src.read(name))
    with pytest.raises(TorchPickleError, match=r"storage '0'.*missing"):
        load_torch_state_dict(broken)


def test_a_view_past_its_storage_is_refused(tmp_path):
    storage = writer.Storage("0", np.zeros(4, "float32"))
    path = tmp_path / "w.pkl"
    writer.write_zip(path, {"w": writer.Tensor(storage, 2, (2, 2), (2, 1))})
    with pytest.raises(TorchPickleError, match="past the end"):
        load_torch_state_dict(path)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="nope.pkl"):
        load_torch_state_dict("nope.pkl")


def test_reads_both_formats_with_torch_blocked(tmp_path):
    # torch may be installed on the machine; the reader must not need it.
    for fmt, write in WRITERS.items():
        write(tmp_path / f"{fmt}.pkl", {"w": np.eye(3, dtype="float32")})
    script = (
        "import sys; sys.modules['torch'] = None\n"
        "from keras_elmo.conversion.torch_pickle import "
        "load_torch_state_dict\n"
        "import numpy as np\n"
        "for fmt in ('legacy', 'zip'):\n"
        f"    w = load_torch_state_dict({str(tmp_path)!r} + f'/{{fmt}}.pkl')\n"
        "    assert np.array_equal(w['w'], np.eye(3)), fmt\n"
        # The whole ELMoForManyLangs reader too.
        "from tests.conversion.elmoformanylangs_fixture import make_model_dir\n"
        "from keras_elmo.conversion.elmoformanylangs import "
        "elmoformanylangs_tokenizer\n"
        "from keras_elmo.models.elmo import ELMo\n"
        f"make_model_dir({str(tmp_path / 'efml')!r}, fmt='legacy')\n"
        f"model = ELMo.from_elmoformanylangs({str(tmp_path / 'efml')!r})\n"
        f"tok = elmoformanylangs_tokenizer({str(tmp_path / 'efml')!r})\n"
        "assert model(tok([['ab']]))['layers'].shape == (1, 3, 3, 10)\n"
        "assert 'torch' not in [m.split('.')[0] for m in sys.modules\n"
        "                       if sys.modules[m] is not None]\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_a_crafted_broadcast_view_is_refused_before_allocating(tmp_path, fmt):
    """A 1 KB file, a stride-0 view of 1e6 x 1e6 over one element, once
    failed allocating 3.64 TiB (issue 21): now bounded by its storage."""
    storage = writer.Storage("0", np.zeros(1, "float32"))
    path = tmp_path / "w.pkl"
    view = writer.Tensor(storage, 0, (10**6, 10**6), (0, 0))
    WRITERS[fmt](path, {"w": view})
    assert os.path.getsize(path) < 2048
    with pytest.raises(TorchPickleError, match="more than its storage"):
        load_torch_state_dict(path)


def _with_storage_count(path, count):
    # The legacy file ends with the one storage: its int64 element count,
    # then its elements (4 float32 here).
    data = path.read_bytes()
    header = len(data) - 16 - 8
    path.write_bytes(data[:header] + count.to_bytes(8, "little") + data[-16:])


@pytest.mark.parametrize("count", [2**62, 2**40, 5])
def test_a_crafted_storage_count_is_bounded_by_the_file(tmp_path, count):
    """2**62 gave OverflowError and 2**40 a bare MemoryError (issue 21)."""
    path = tmp_path / "w.pkl"
    writer.write_legacy(path, {"w": np.ones((4,), "float32")})
    _with_storage_count(path, count)
    with pytest.raises(TorchPickleError, match="claims") as info:
        load_torch_state_dict(path)
    assert str(path) in str(info.value)


def test_a_zip_member_larger_than_the_archive_is_refused(tmp_path):
    path = tmp_path / "w.pkl"
    writer.write_zip(path, {"w": np.ones((2,), "float32")})
    bomb = tmp_path / "bomb.pkl"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bomb, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "archive/data/0":
                data = data + bytes(10**6)
                dst.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
            else:
                dst.writestr(name, data)
    with pytest.raises(TorchPickleError, match="more than the file holds"):
        load_torch_state_dict(bomb)


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_non_finite_weights_are_refused_naming_the_tensor(tmp_path, fmt):
    path = tmp_path / "w.pkl"
    WRITERS[fmt](path, {"lstm.weight": np.array([1.0, np.nan], "float32")})
    with pytest.raises(ValueError, match=r"'lstm\.weight' holds 1 non-finite"):
        load_torch_state_dict(path)
