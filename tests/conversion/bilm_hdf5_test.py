import json
import os

import h5py
import numpy as np
import pytest

from keras_elmo.conversion.bilm_hdf5 import load_bilm_weights
from keras_elmo.conversion.bilm_hdf5 import weight_ports
from keras_elmo.conversion.bilm_options import read_options
from keras_elmo.models.elmo import ELMo
from tests.fixtures.make_tiny_elmo import write_tiny_elmo

CELL = "RNN_{}/RNN/MultiRNNCell/Cell{}/LSTMCell"


@pytest.fixture
def tiny(tmp_path):
    options_file, weight_file = write_tiny_elmo(tmp_path, seed=11)
    model = ELMo.from_bilm_hdf5(options_file, weight_file)
    with h5py.File(weight_file, "r") as f:
        arrays = {}
        f.visititems(
            lambda name, obj: (
                arrays.__setitem__(name, obj[...])
                if isinstance(obj, h5py.Dataset)
                else None
            )
        )
    return model, arrays, options_file, weight_file


def test_char_embed_gets_a_zero_padding_row(tiny):
    model, arrays, _, _ = tiny
    table = model.char_cnn.char_embed.embeddings.numpy()
    assert table.shape[0] == arrays["char_embed"].shape[0] + 1 == 262
    np.testing.assert_array_equal(table[0], 0.0)
    np.testing.assert_array_equal(table[1:], arrays["char_embed"])


def test_conv_kernels_are_squeezed_on_axis_0(tiny):
    model, arrays, _, _ = tiny
    for i, conv in enumerate(model.char_cnn.convolutions):
        np.testing.assert_array_equal(
            conv.kernel.numpy(), arrays[f"CNN/W_cnn_{i}"][0]
        )
        np.testing.assert_array_equal(
            conv.bias.numpy(), arrays[f"CNN/b_cnn_{i}"]
        )


def test_highway_and_projection_are_copied(tiny):
    model, arrays, _, _ = tiny
    highway = model.char_cnn.highways[1]
    np.testing.assert_array_equal(
        highway.carry_kernel.numpy(), arrays["CNN_high_1/W_carry"]
    )
    np.testing.assert_array_equal(
        highway.transform_bias.numpy(), arrays["CNN_high_1/b_transform"]
    )
    np.testing.assert_array_equal(
        model.char_cnn.projection.kernel.numpy(), arrays["CNN_proj/W_proj"]
    )


@pytest.mark.parametrize("direction", [0, 1])
def test_lstm_w0_split_and_gates_reordered(tiny, direction):
    model, arrays, _, _ = tiny
    lstm = model.bilm.lstms[("forward", "backward")[direction]][1]
    units = lstm.units
    w0 = arrays[f"{CELL.format(direction, 1)}/W_0"]
    bias = arrays[f"{CELL.format(direction, 1)}/B"]
    input_dim = lstm.kernel.shape[0]
    tf1 = dict(zip("ijfo", np.split(w0, 4, axis=1)))
    keras_kernel = np.concatenate(
        [lstm.kernel.numpy(), lstm.recurrent_kernel.numpy()], axis=0
    )
    ours = dict(zip("ifco", np.split(keras_kernel, 4, axis=1)))
    # TF1 (i, j, f, o) -> Keras (i, f, c, o), j being the candidate c.
    for tf1_gate, keras_gate in zip("ijfo", "icfo"):
        np.testing.assert_array_equal(ours[keras_gate], tf1[tf1_gate])
    assert lstm.kernel.shape == (input_dim, 4 * units)
    # The forget bias is not folded into B: +1.0 is added at run time.
    np.testing.assert_array_equal(
        np.split(lstm.bias.numpy(), 4)[1], np.split(bias, 4)[2]
    )
    assert lstm.forget_bias == 1.0
    np.testing.assert_array_equal(
        lstm.projection_kernel.numpy(),
        arrays[f"{CELL.format(direction, 1)}/W_P_0"],
    )


def test_every_dataset_has_a_port(tiny):
    model, arrays, _, _ = tiny
    assert sorted(port.key for port in weight_ports(model)) == sorted(arrays)


def _copy_without(weight_file, path, drop=None, replace=None):
    names = []
    with h5py.File(weight_file, "r") as src, h5py.File(path, "w") as dst:
        src.visititems(
            lambda name, obj: (
                names.append(name) if isinstance(obj, h5py.Dataset) else None
            )
        )
        for name in names:
            if name != drop:
                dst.create_dataset(
                    name, data=(replace or {}).get(name, src[name][...])
                )


def test_missing_dataset_is_named(tiny, tmp_path):
    model, _, options_file, weight_file = tiny
    broken = tmp_path / "broken.hdf5"
    _copy_without(weight_file, broken, drop="CNN_high_0/W_carry")
    with pytest.raises(ValueError, match="no dataset 'CNN_high_0/W_carry'"):
        ELMo.from_bilm_hdf5(options_file, broken)


def test_wrong_shape_names_dataset_and_both_shapes(tiny, tmp_path):
    model, arrays, options_file, weight_file = tiny
    broken = tmp_path / "broken.hdf5"
    key = f"{CELL.format(0, 0)}/W_0"
    _copy_without(weight_file, broken, replace={key: arrays[key][:-1]})
    rows, cols = arrays[key].shape
    with pytest.raises(
        ValueError,
        match=rf"'{key}'.*shape \({rows - 1}, {cols}\).*\({rows}, {cols}\)",
    ):
        ELMo.from_bilm_hdf5(options_file, broken)


@pytest.mark.parametrize(
    "edit, named",
    [
        ({"lstm": {"n_layers": 1}}, f"{CELL.format(0, 1)}/B"),
        ({"char_cnn": {"n_highway": 1}}, "CNN_high_1/W_carry"),
    ],
)
def test_datasets_the_options_do_not_use_are_named(tiny, tmp_path, edit, named):
    # Options of a smaller model than the file: the extra layer used to be
    # silently dropped.
    _, _, options_file, weight_file = tiny
    options = read_options(options_file)
    for section, values in edit.items():
        options[section].update(values)
    smaller = tmp_path / "smaller.json"
    smaller.write_text(json.dumps(options))
    with pytest.raises(ValueError, match="options do not use") as info:
        ELMo.from_bilm_hdf5(smaller, weight_file)
    assert named in str(info.value)


def test_non_bilm_datasets_are_ignored(tiny, tmp_path):
    # A training export's weights.hdf5 also holds the softmax.
    model, arrays, options_file, weight_file = tiny
    extended = tmp_path / "with_softmax.hdf5"
    _copy_without(weight_file, extended)
    with h5py.File(extended, "a") as f:
        f.create_dataset("softmax/W", data=np.ones((3, 8), "float32"))
    ELMo.from_bilm_hdf5(options_file, extended)


def test_bad_file_leaves_model_unchanged(tiny, tmp_path):
    model, _, _, weight_file = tiny
    before = [w.numpy() for w in model.weights]
    broken = tmp_path / "broken.hdf5"
    _copy_without(weight_file, broken, drop="char_embed")
    with pytest.raises(ValueError):
        load_bilm_weights(model, broken)
    for old, new in zip(before, model.weights):
        np.testing.assert_array_equal(old, new.numpy())


def test_not_hdf5(tiny, tmp_path):
    _, _, options_file, _ = tiny
    text = tmp_path / "weights.hdf5"
    text.write_text("not an hdf5 file")
    with pytest.raises(ValueError, match="not a readable hdf5 file"):
        ELMo.from_bilm_hdf5(options_file, text)
    with pytest.raises(FileNotFoundError, match="missing.hdf5"):
        ELMo.from_bilm_hdf5(options_file, tmp_path / "missing.hdf5")


def test_save_is_atomic(tiny, tmp_path, monkeypatch):
    model, _, _, _ = tiny
    target = tmp_path / "out.hdf5"
    target.write_bytes(b"previous")
    original_create = h5py.Group.create_dataset
    calls = []

    def failing_create(self, name, *args, **kwargs):
        calls.append(name)
        if len(calls) == 3:
            raise OSError("disk full")
        return original_create(self, name, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, "create_dataset", failing_create)
    with pytest.raises(OSError, match="disk full"):
        model.save_bilm_hdf5(target)
    assert target.read_bytes() == b"previous"
    assert [name for name in os.listdir(tmp_path) if ".tmp-" in name] == []


def test_options_round_trip(tiny, tmp_path):
    model, _, options_file, _ = tiny
    model.save_bilm_hdf5(tmp_path / "w.hdf5", tmp_path / "o.json")
    assert read_options(tmp_path / "o.json") == read_options(options_file)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_weights_are_refused_naming_file_and_dataset(
    tiny, tmp_path, value
):
    """A preset whose LSTM kernel held NaN loaded and gave NaN outputs
    (issue 21); the model is left unchanged."""
    model, arrays, options_file, weight_file = tiny
    key = f"{CELL.format(0, 0)}/W_0"
    poisoned = arrays[key].copy()
    poisoned[0, 0] = value
    broken = tmp_path / "broken.hdf5"
    _copy_without(weight_file, broken, replace={key: poisoned})
    before = [w.numpy() for w in model.weights]
    with pytest.raises(ValueError, match=rf"broken\.hdf5: '{key}' holds 1"):
        load_bilm_weights(model, broken)
    for weight, value_before in zip(model.weights, before):
        np.testing.assert_array_equal(weight.numpy(), value_before)
