"""Tests of `keras-elmo export` and `export_from_files`."""

import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

from keras_elmo.cli.main import main
from keras_elmo.export.from_files import export_from_files
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from tests.fixtures.make_tiny_elmo import write_tiny_elmo

SCALAR_WEIGHTS = [0.5, -1.0, 2.0]
GAMMA = 1.5


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A model directory: options.json, weights.hdf5 and a trained mix."""
    directory = tmp_path_factory.mktemp("models") / "tiny"
    _, weights = write_tiny_elmo(directory, seed=3)
    os.replace(weights, directory / "weights.hdf5")
    with open(directory / "layer_mix.json", "w") as handle:
        json.dump({"scalar_weights": SCALAR_WEIGHTS, "gamma": [GAMMA]}, handle)
    return directory


def _expected_mix(outputs):
    """gamma * sum_j softmax(w)_j * layer_j, from the exported layers."""
    word_emb = np.asarray(outputs["word_emb"])
    layers = [
        np.concatenate([word_emb, word_emb], axis=-1),  # layer 0
        np.asarray(outputs["lstm_outputs1"]),
        np.asarray(outputs["lstm_outputs2"]),
    ]
    weights = np.exp(SCALAR_WEIGHTS) / np.exp(SCALAR_WEIGHTS).sum()
    mixed = GAMMA * sum(w * layer for w, layer in zip(weights, layers))
    return mixed * np.asarray(outputs["mask"])[..., None]


@pytest.mark.large
def test_saved_model_into_the_model_directory(model_dir, capsys):
    assert main(["export", "--model", str(model_dir)]) == 0
    assert f"Wrote saved_model to {model_dir / '1'}" in capsys.readouterr().out
    loaded = tf.saved_model.load(str(model_dir / "1"))
    outputs = loaded.signatures["serving_default"](
        sentences=tf.constant(["a b c", "d"])
    )
    outputs = {key: value.numpy() for key, value in outputs.items()}
    # The directory's trained layer_mix.json gives the `elmo` output.
    np.testing.assert_allclose(
        outputs["elmo"], _expected_mix(outputs), atol=1e-5
    )
    # The next export is version 2; an existing version is refused.
    assert main(["export", "--model", str(model_dir), "--version", "1"]) == 2
    assert "Version 1 already exists" in capsys.readouterr().err


@pytest.mark.large
def test_tflite_from_original_files(model_dir, tmp_path, capsys):
    output = tmp_path / "tiny.tflite"
    argv = [
        "export",
        "--format",
        "tflite",
        "--options",
        str(model_dir / "options.json"),
        "--weights",
        str(model_dir / "weights.hdf5"),
        "--output",
        str(output),
        "--quantization",
        "float16",
    ]
    assert main(argv) == 0
    assert f"Wrote tflite to {output}" in capsys.readouterr().out
    runner = Interpreter(model_path=str(output)).get_signature_runner()
    outputs = runner(char_ids=batch_to_char_ids([["a", "b"], ["c"]]))
    assert outputs["sequence_len"].tolist() == [2, 1]
    # Without a model directory, the mix is the fresh one: equal weights.
    word_emb = outputs["word_emb"]
    mean = (
        np.concatenate([word_emb, word_emb], -1)
        + outputs["lstm_outputs1"]
        + outputs["lstm_outputs2"]
    ) / 3
    mean *= outputs["mask"][..., None]
    # float16 weights, the mix's 1/3 included: a relative error of 1e-4.
    np.testing.assert_allclose(outputs["elmo"], mean, atol=2e-3)


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["--quantization", "dynamic"],
            "`quantization` applies to the tflite format only",
        ),
        (["--format", "tflite", "--version", "3"], "`version` applies to"),
        (["--options", "options.json"], "--options needs --weights"),
        (
            ["--options", "o.json", "--weights", "w.hdf5"],
            "`output` is required",
        ),
        (["--model", "/nonexistent/model"], "Unknown ELMo preset"),
    ],
)
def test_bad_arguments_exit_2(argv, message, capsys):
    if "--model" not in argv and "--options" not in argv:
        argv = argv + ["--model", "/nonexistent/model"]
    assert main(["export"] + argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"format": "onnx"}, "`format` must be one of"),
        ({"quantization": "int4"}, "`quantization` must be one of"),
        ({}, "Give either `model`"),
        (
            {"model": "m", "options_file": "o.json"},
            "Give either `model`",
        ),
        ({"options_file": "o.json"}, "needs `weight_file`"),
    ],
)
def test_export_from_files_arguments(kwargs, message):
    kwargs = {"format": "saved_model", "output": "out", **kwargs}
    if kwargs.get("quantization") and kwargs["format"] == "saved_model":
        kwargs["format"] = "tflite"
    with pytest.raises(ValueError, match=message):
        export_from_files(**kwargs)


def test_package_and_cache_folders_are_never_written(
    monkeypatch, tmp_path, capsys
):
    # A shipped preset (package data; in a checkout also named by its model
    # directory in saved_models/, which holds its TF Serving versions) or a
    # preset in the download cache belongs to keras_elmo: without --output,
    # refused before any work, and nothing is written there.
    from keras_elmo.presets import builtin_presets

    shipped = builtin_presets.package_preset_dir("elmo_tiny_en")
    model_dir = os.path.dirname(shipped)  # saved_models/elmo_tiny_en
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    cached = tmp_path / "keras_home" / "keras_elmo" / "tiny"
    _, weights = write_tiny_elmo(cached, seed=1)
    os.replace(weights, cached / "weights.hdf5")
    for directory in (shipped, model_dir, cached):
        before = sorted(os.listdir(directory))
        for format in ("saved_model", "tflite"):
            argv = ["export", "--format", format, "--model", str(directory)]
            assert main(argv) == 2
            err = capsys.readouterr().err
            assert "its folder is not written to" in err, err
        assert sorted(os.listdir(directory)) == before


def test_export_into_a_file_is_one_clear_line(model_dir, tmp_path, capsys):
    target = tmp_path / "models"
    target.write_text("a file")
    argv = ["export", "--model", str(model_dir), "--output", str(target)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "must be a directory" in err and str(target) in err
    assert "Traceback" not in err and "Errno" not in err


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--max-tokens-per-request", "0"], "must be a positive integer"),
        (["--max-bytes-per-string", "lots"], "positive integer or 'none'"),
    ],
)
def test_limit_flags_are_checked_at_parse_time(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--model", "x", *flags])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_limit_flags_reach_the_export(monkeypatch, model_dir, tmp_path):
    from keras_elmo.export import from_files
    from keras_elmo.export import request_checks

    received = {}

    def fake_export(model, output, **kwargs):
        received.update(kwargs)
        return output

    monkeypatch.setattr(from_files, "export_saved_model", fake_export)
    out = str(tmp_path / "out")
    argv = ["export", "--model", str(model_dir), "--output", out]
    assert main(argv + ["--max-tokens-per-request", "none"]) == 0
    assert received["max_tokens_per_request"] is None
    assert "max_bytes_per_string" not in received  # the library default
    # The help text states the library's defaults.
    text = _export_help()
    assert f"default: {request_checks.DEFAULT_MAX_TOKENS_PER_REQUEST}" in text
    assert f"default: {request_checks.DEFAULT_MAX_BYTES_PER_STRING}" in text


def _export_help():
    from keras_elmo.cli.main import build_parser

    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return " ".join(action.choices["export"].format_help().split())


@pytest.mark.large
def test_the_export_states_that_the_graph_does_not_run_the_text_tokenizer(
    model_dir, tmp_path, capsys
):
    model = tmp_path / "moses"
    shutil.copytree(model_dir, model)
    TextTokenizer(mode="moses").save(model)
    output = tmp_path / "served"
    assert main(["export", "--model", str(model), "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert "Note: serving_default splits raw sentences on ASCII whitespace" in (
        printed
    )
    assert "mode 'moses'" in printed
    assets = output / "1" / "assets.extra"
    metadata = json.loads((assets / "keras_elmo.json").read_text())
    assert (
        metadata["text_tokenizer"] == TextTokenizer(mode="moses").get_config()
    )
    assert (
        "does not run the model's text tokenizer"
        in (metadata["text_tokenizer_note"])
    )
    assert TextTokenizer.load(assets) == TextTokenizer(mode="moses")
    # What the note says: the graph splits "it's" nowhere, the corpus did.
    text = "Mr. Smith said it's well-known."
    served = tf.saved_model.load(str(output / "1")).signatures[
        "serving_default"
    ](sentences=tf.constant([text]))
    assert served["sequence_len"].numpy().tolist() == [len(text.split())]
    assert len(TextTokenizer(mode="moses").tokenize(text)) == 7
