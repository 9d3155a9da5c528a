import json
import os
import re

import h5py
import numpy as np
import pytest

from keras_elmo.cli.main import main
from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from tests.conversion import elmoformanylangs_fixture as fixture

SENTENCES = [["ab", "한국", "zé"], ["cdeabcde"]]


def _convert(source, destination):
    return main(
        ["convert", "--from", "elmoformanylangs", str(source), str(destination)]
    )


@pytest.fixture
def model_dir(tmp_path):
    path = tmp_path / "ko.model"
    fixture.make_model_dir(path, fmt="legacy")
    return path


def _snapshot(directory):
    return {
        name: (directory / name).read_bytes()
        for name in sorted(os.listdir(directory))
    }


@pytest.mark.large
def test_convert_gives_the_direct_numbers(model_dir, tmp_path, capsys):
    preset = tmp_path / "preset"
    assert _convert(model_dir, preset) == 0
    assert "Wrote the keras_elmo preset" in capsys.readouterr().out
    direct = ELMoEmbedder.from_preset(model_dir).embed_sentences(SENTENCES)
    converted = ELMoEmbedder.from_preset(preset).embed_sentences(SENTENCES)
    for a, b in zip(direct, converted):
        np.testing.assert_array_equal(a, b)
    with open(preset / "metadata.json") as f:
        assert json.load(f)["source"].startswith("elmoformanylangs:")


@pytest.mark.parametrize(
    "break_model, message",
    [
        (
            lambda d: (d / "encoder.pkl").write_bytes(b"\x80\x02K"),
            "encoder.pkl",
        ),
        (lambda d: os.remove(d / "char.dic"), "char.dic"),
        (
            lambda d: (d / "word.dic").write_text("<oov>\t0\nbad line\tx\n"),
            r"word.dic, line 2",
        ),
        (
            lambda d: (d / "tiny.json").write_text(
                json.dumps(
                    {
                        **fixture.TINY_CONFIG,
                        "encoder": {**fixture.TINY_CONFIG["encoder"], "dim": 9},
                    }
                )
            ),
            r"'forward_layer_0.input_linearity.weight' in .*encoder.pkl "
            r"has shape \(28, 5\)",
        ),
    ],
)
def test_failures_write_nothing(
    model_dir, tmp_path, capsys, break_model, message
):
    break_model(model_dir)
    fresh = tmp_path / "fresh"
    assert _convert(model_dir, fresh) == 2
    assert re.search(message, capsys.readouterr().err)
    assert not fresh.exists()
    # No temporary directory left beside it either.
    assert sorted(os.listdir(tmp_path)) == ["ko.model"]


def test_a_failed_conversion_leaves_an_existing_preset_untouched(
    tmp_path, capsys
):
    good = tmp_path / "good"
    fixture.make_model_dir(good)
    preset = tmp_path / "preset"
    assert _convert(good, preset) == 0
    before = _snapshot(preset)
    bad = tmp_path / "bad"
    fixture.make_model_dir(bad, seed=1)
    (bad / "token_embedder.pkl").write_bytes(b"not a pickle")
    assert _convert(bad, preset) == 2
    assert "token_embedder.pkl" in capsys.readouterr().err
    assert _snapshot(preset) == before


def test_refuses_to_replace_a_directory_that_is_not_a_preset(
    model_dir, tmp_path, capsys
):
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    assert _convert(model_dir, other) == 2
    assert "is not a keras_elmo preset" in capsys.readouterr().err
    assert (other / "notes.txt").read_text() == "keep me"


def test_unknown_source_format(model_dir, tmp_path):
    with pytest.raises(SystemExit):
        main(["convert", "--from", "bilm", str(model_dir), str(tmp_path / "x")])


@pytest.mark.large
def test_embed_reads_an_elmoformanylangs_directory(model_dir, tmp_path):
    text = tmp_path / "in.txt"
    text.write_text("ab 한국 zé\ncdeabcde\n", encoding="utf-8")
    out = tmp_path / "out.hdf5"
    argv = ["embed", str(text), str(out), "--model", str(model_dir)]
    assert main(argv + ["--all", "--no-progress"]) == 0
    expected = ELMoEmbedder.from_preset(model_dir).embed_sentences(SENTENCES)
    with h5py.File(out, "r") as f:
        for i, vectors in enumerate(expected):
            np.testing.assert_allclose(f[str(i)][...], vectors, atol=1e-6)


def test_a_converted_preset_with_a_nan_weight_is_refused(model_dir, tmp_path):
    """Non-finite weights are refused when loaded, naming file and dataset
    (issue 21), in the keras-hub layout too."""
    from keras_elmo.models.elmo import ELMo

    preset = tmp_path / "preset"
    assert _convert(model_dir, preset) == 0
    weights = preset / "model.weights.h5"
    names = []
    with h5py.File(weights, "r+") as f:
        f.visititems(
            lambda name, item: (
                names.append(name) if isinstance(item, h5py.Dataset) else None
            )
        )
        dataset = f[names[-1]]
        values = dataset[...]
        values.flat[0] = np.nan
        dataset[...] = values
    with pytest.raises(ValueError, match=rf"'{names[-1]}' holds 1 non-finite"):
        ELMo.from_preset(str(preset))
