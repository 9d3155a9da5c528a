"""save_to_preset writes what from_preset reads, exactly and atomically."""

import filecmp
import json
import os
from unittest import mock

import numpy as np
import pytest

from keras_elmo.conversion.bilm_hdf5 import expected_weight_shapes
from keras_elmo.conversion.bilm_hdf5 import weight_ports
from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_embedding import ELMoEmbedding
from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.presets import preset_directory
from keras_elmo.presets import resolve_preset
from tests.presets.preset_server import write_tiny_preset

IDS = batch_to_char_ids([["The", "cat", "sat", "."], ["Hello"]])


def _same_files(first, second):
    names = sorted(os.listdir(first))
    assert names == sorted(os.listdir(second))
    for name in names:
        assert filecmp.cmp(first / name, second / name, shallow=False), name
    return names


def test_elmo_round_trip_is_exact(tmp_path):
    source = write_tiny_preset(tmp_path / "source", seed=1)
    model = ELMo.from_preset(str(source))
    model.save_to_preset(tmp_path / "a", metadata={"language": "en"})
    loaded = ELMo.from_preset(str(tmp_path / "a"))
    assert loaded.get_config() == model.get_config()
    for got, expected in zip(loaded.weights, model.weights):
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
    np.testing.assert_array_equal(loaded(IDS)["layers"], model(IDS)["layers"])
    loaded.save_to_preset(tmp_path / "b", metadata={"language": "en"})
    assert _same_files(tmp_path / "a", tmp_path / "b") == [
        "metadata.json",
        "options.json",
        "weights.hdf5",
    ]
    metadata = resolve_preset(str(tmp_path / "a")).metadata()
    assert metadata == {"language": "en", "parameters": model.count_params()}


def test_embedding_and_embedder_keep_the_layer_mix(tmp_path):
    source = write_tiny_preset(tmp_path / "source", seed=2)
    layer = ELMoEmbedding.from_preset(str(source))
    np.testing.assert_array_equal(
        layer.layer_mix.scalar_weights[0].numpy(), [0.0, 1.0, 2.0]
    )
    layer.save_to_preset(tmp_path / "a")
    again = ELMoEmbedding.from_preset(str(tmp_path / "a"))
    np.testing.assert_array_equal(again(IDS), layer(IDS))
    again.save_to_preset(tmp_path / "b")
    _same_files(tmp_path / "a", tmp_path / "b")
    # The embedder reads the same mix, and writes the same files.
    ELMoEmbedder.from_preset(str(tmp_path / "a")).save_to_preset(tmp_path / "c")
    _same_files(tmp_path / "a", tmp_path / "c")
    with pytest.raises(ValueError, match="one trained layer mix"):
        ELMoEmbedding(again.elmo, num_outputs=2).save_to_preset(tmp_path / "d")


def test_language_model_round_trip_with_softmax_and_vocabulary(tmp_path):
    source = write_tiny_preset(tmp_path / "source", seed=3, layer_mix=False)
    vocabulary = ["<S>", "</S>", "<UNK>", "the", "cat"]
    lm = ELMoLanguageModel(ELMo.from_preset(str(source)), len(vocabulary))
    lm.save_to_preset(tmp_path / "a", vocabulary=vocabulary)
    again = ELMoLanguageModel.from_preset(str(tmp_path / "a"))
    assert again.vocab_size == 5
    for got, expected in zip(again.weights, lm.weights):
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
    assert resolve_preset(str(tmp_path / "a")).vocabulary() == vocabulary
    again.save_to_preset(tmp_path / "b", vocabulary=vocabulary)
    _same_files(tmp_path / "a", tmp_path / "b")
    # Embedding classes read the biLM part of a language-model preset.
    np.testing.assert_array_equal(
        ELMo.from_preset(str(tmp_path / "a"))(IDS)["layers"],
        lm.elmo(IDS)["layers"],
    )


def test_a_failed_save_leaves_the_previous_preset(tmp_path):
    model = ELMo.from_preset(str(write_tiny_preset(tmp_path / "s", seed=4)))
    model.save_to_preset(tmp_path / "p")
    before = (tmp_path / "p" / "weights.hdf5").read_bytes()
    with mock.patch.object(
        preset_directory.PresetWriter,
        "write_metadata",
        side_effect=OSError("disk full"),
    ):
        with pytest.raises(OSError, match="disk full"):
            ELMo(**dict(model.get_config(), name="other")).save_to_preset(
                tmp_path / "p"
            )
    assert (tmp_path / "p" / "weights.hdf5").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["p", "s"]


def test_bad_layer_mix_names_the_file(tmp_path):
    source = write_tiny_preset(tmp_path / "source", seed=5)
    (source / "layer_mix.json").write_text(json.dumps({"gamma": 1.0}))
    with pytest.raises(ValueError, match="layer_mix.json must hold"):
        ELMoEmbedding.from_preset(str(source))
    (source / "layer_mix.json").write_text(
        json.dumps({"scalar_weights": [1.0, 2.0], "gamma": 1.0})
    )
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        ELMoEmbedding.from_preset(str(source))


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"projection_dim": 16, "lstm_units": 16},  # no LSTM projection
        {"filters": [[1, 4], [2, 4]], "projection_dim": 8},  # no CNN proj.
        {"num_highway_layers": 0, "num_layers": 3},
    ],
)
def test_expected_weight_shapes_equal_the_port_table(config):
    base = {
        "filters": [[1, 4], [2, 8], [3, 8]],
        "character_embedding_dim": 4,
        "num_highway_layers": 2,
        "lstm_units": 16,
        "projection_dim": 8,
        "num_layers": 2,
    }
    model = ELMo(**{**base, **config})
    from_ports = {
        port.key: tuple(
            port.to_file([np.zeros(v.shape) for v in port.variables]).shape
        )
        for port in weight_ports(model)
    }
    full_config = model.get_config()
    assert expected_weight_shapes(full_config) == from_ports


def test_non_finite_layer_mix_is_refused(tmp_path):
    source = write_tiny_preset(tmp_path / "source", seed=5)
    (source / "layer_mix.json").write_text(
        '{"scalar_weights": [0.0, NaN, 0.0], "gamma": [Infinity]}'
    )
    with pytest.raises(ValueError, match="'scalar_weights' holds 1 non"):
        ELMoEmbedding.from_preset(str(source))


def test_metadata_must_be_an_object(tmp_path):
    source = write_tiny_preset(tmp_path / "source", seed=5)
    (source / "metadata.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="metadata.json must hold a JSON"):
        resolve_preset(str(source)).metadata()


def test_only_a_directory_keras_elmo_wrote_is_replaced(tmp_path):
    """`export-hdf5 RUN DIR` replaced the user's DIR, and `RUN RUN` the
    whole training run (issue 21)."""
    model = ELMo.from_preset(str(write_tiny_preset(tmp_path / "s", seed=5)))
    user = tmp_path / "user"
    user.mkdir()
    (user / "notes.txt").write_text("mine")
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "training_config.json").write_text("{}")
    beside = tmp_path / "beside"
    model.save_to_preset(str(beside))
    (beside / "my_notes.txt").write_text("mine")
    for directory in (user, run, beside):
        before = sorted(os.listdir(directory))
        with pytest.raises(FileExistsError, match="not a preset written by"):
            model.save_to_preset(str(directory))
        assert sorted(os.listdir(directory)) == before
    (beside / "my_notes.txt").unlink()
    model.save_to_preset(str(beside))  # its own preset: replaced
    empty = tmp_path / "empty"
    empty.mkdir()
    model.save_to_preset(str(empty))
    with pytest.raises(NotADirectoryError):
        preset_directory.check_replaceable(beside / "weights.hdf5")
