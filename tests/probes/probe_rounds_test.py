"""Replays every case of the reliability probes, so the next round starts here.

Round 1 is issue 14's table and its unclear errors; round 3 is issue 21's
22 cases (round 2 re-ran round 1: its one regression, an export into the
shipped model's folder by built-in name, is `test_r3_export_by_builtin_name`).
Each case is run as a new user would (the CLI in this process, or the
library call the user made) on tiny generated models, and asserts what the
probe expects now: nothing lost, nothing silently wrong, one clear line.

The cases that start a fresh interpreter (environment variables read at
start-up) or compile a SavedModel are marked `large`.
"""

import json
import os
import shutil
import subprocess
import sys
import threading

import h5py
import numpy as np
import pytest
import tensorflow as tf

import keras_elmo
from keras_elmo.cli.main import main
from keras_elmo.conversion.torch_pickle import TorchPickleError
from keras_elmo.conversion.torch_pickle import load_torch_state_dict
from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.models.elmo import ELMo
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.presets.builtin_presets import BUILTIN_PRESETS
from keras_elmo.presets.builtin_presets import package_preset_dir
from keras_elmo.utils.text_lines import MAX_TOKENS_PER_SENTENCE
from tests.conversion import torch_pickle_writer as writer
from tests.fixtures.generated import generated_model_dir
from tests.training.training_fixtures import TRAIN_DATA
from tests.training.training_fixtures import TRAIN_VOCABULARY
from tests.training.training_fixtures import tiny_config

OPTIONS = generated_model_dir() / "options.json"
WEIGHTS = generated_model_dir() / "lm_weights.hdf5"
MODEL = ["--options", str(OPTIONS), "--weights", str(WEIGHTS)]
LATIN_1 = b"the cat\ncaf\xe9 au lait\n"
BINARY = bytes(range(256)) * 4


def _run(argv, capsys):
    """`(exit code, stderr)` of the CLI; stderr must be one clear line."""
    code = main([str(arg) for arg in argv])
    err = capsys.readouterr().err
    if code:
        assert "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1, err
    return code, err


def _tree(path):
    """Every file under `path` with its bytes: to show nothing changed."""
    files = {}
    for root, _, names in os.walk(path):
        for name in names:
            full = os.path.join(root, name)
            with open(full, "rb") as f:
                files[os.path.relpath(full, path)] = f.read()
    return files


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    """A preset directory of the generated model (options + weights)."""
    directory = tmp_path_factory.mktemp("probe") / "preset"
    ELMo.from_bilm_hdf5(str(OPTIONS), str(WEIGHTS)).save_to_preset(
        str(directory)
    )
    return directory


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A training run of one step of a tiny biLM (checkpoint and export)."""
    from keras_elmo.training.trainer import train_language_model

    directory = tmp_path_factory.mktemp("probe") / "run"
    train_language_model(str(directory), tiny_config(), verbose=0)
    return directory


@pytest.fixture(scope="module")
def embedder():
    return ELMoEmbedder.from_bilm_hdf5(
        str(OPTIONS), str(WEIGHTS), jit_compile=False
    )


@pytest.fixture(scope="module")
def served():
    """The three served signatures of the generated model (traced)."""
    from keras_elmo.export.saved_model import signature_functions

    functions, _ = signature_functions(
        ELMo.from_bilm_hdf5(str(OPTIONS), str(WEIGHTS))
    )
    return functions


# Round 1 (issue 14) -------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-5"])
def test_r1_embed_chunk_size_zero_keeps_the_output(tmp_path, value, capsys):
    text, out = tmp_path / "in.txt", tmp_path / "out.hdf5"
    text.write_text("a b\n")
    out.write_bytes(b"a good output")
    with pytest.raises(SystemExit):
        main(["embed", str(text), str(out), *MODEL, "--chunk-size", value])
    assert out.read_bytes() == b"a good output"


def test_r1_embed_output_is_input(tmp_path, capsys):
    text = tmp_path / "x.txt"
    text.write_text("a b\n")
    code, err = _run(["embed", text, text, *MODEL], capsys)
    assert code == 2 and "is the input" in err
    assert text.read_text() == "a b\n"


@pytest.mark.parametrize("steps", ["0", "-5"])
def test_r1_train_steps_zero_is_refused(tmp_path, steps, capsys):
    argv = ["train", "--train", TRAIN_DATA, "--vocabulary", TRAIN_VOCABULARY]
    argv += ["--output-dir", tmp_path / "run", "--preset", "elmo_small_en"]
    code, err = _run(argv + ["--steps", steps], capsys)
    assert code == 2 and "steps" in err
    assert not (tmp_path / "run").exists()


@pytest.mark.large
def test_r1_concurrent_exports_claim_distinct_versions(tmp_path):
    from keras_elmo.export.saved_model import export_saved_model

    model = ELMo.from_bilm_hdf5(str(OPTIONS), str(WEIGHTS))
    paths = []
    threads = [
        threading.Thread(
            target=lambda: paths.append(export_saved_model(model, tmp_path))
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(os.path.basename(p) for p in paths) == ["1", "2"]


@pytest.mark.large  # trains a tiny run (20 s)
def test_r1_resume_with_another_vocabulary_of_the_same_size(run_dir, tmp_path):
    from keras_elmo.training.trainer import train_language_model

    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    tokens = TRAIN_VOCABULARY.read_text().split("\n")
    tokens[3], tokens[4] = tokens[4], tokens[3]
    vocabulary = tmp_path / "vocab.txt"
    vocabulary.write_text("\n".join(tokens))
    with pytest.raises(ValueError, match="the vocabulary's content"):
        train_language_model(
            str(run), tiny_config(vocabulary=str(vocabulary), steps=2)
        )


@pytest.mark.parametrize("value", [-1, -5])
def test_r1_char_ids_out_of_range_is_invalid_argument(served, value):
    ids = batch_to_char_ids([[b"Hello", b"world"]])
    ids[0, 1, 3] = value
    with pytest.raises(tf.errors.InvalidArgumentError, match="must lie in"):
        served["char_ids"](tf.constant(ids))


def test_r1_embed_sentences_of_a_str(embedder):
    with pytest.raises(TypeError, match="not a single string"):
        embedder.embed_sentences("hello world")


def test_r1_byte_order_mark_and_lone_cr(embedder, tmp_path):
    plain, marked = tmp_path / "plain.txt", tmp_path / "bom.txt"
    plain.write_bytes(b"hello world\nsecond line\n")
    marked.write_bytes(b"\xef\xbb\xbfhello world\nsecond\rline\n")
    for text in (plain, marked):
        embedder.embed_file(str(text), str(text) + ".hdf5", output="top")
    with (
        h5py.File(str(plain) + ".hdf5") as a,
        h5py.File(str(marked) + ".hdf5") as b,
    ):
        assert sorted(a) == sorted(b)  # the \r split no line
        np.testing.assert_allclose(a["0"][...], b["0"][...], atol=1e-6)
        np.testing.assert_allclose(a["1"][...], b["1"][...], atol=1e-6)


def test_r1_options_with_fewer_layers_than_the_weights(tmp_path):
    options = json.loads(OPTIONS.read_text())
    options["lstm"]["n_layers"] = 1
    one_layer = tmp_path / "options.json"
    one_layer.write_text(json.dumps(options))
    with pytest.raises(ValueError, match="do not use"):
        ELMo.from_bilm_hdf5(str(one_layer), str(WEIGHTS))


def test_r1_failed_start_writes_nothing(tmp_path, capsys):
    argv = ["train", "--train", TRAIN_DATA, "--vocabulary", TRAIN_VOCABULARY]
    argv += ["--output-dir", tmp_path / "run", "--preset", "elmo_small_en"]
    argv += ["--steps", "1", "--validation", tmp_path / "none*.txt"]
    code, _ = _run(argv, capsys)
    assert code == 2 and not (tmp_path / "run").exists()


def test_r1_frozen_elmo_reloads_frozen(tmp_path):
    import keras

    elmo = ELMo.from_bilm_hdf5(str(OPTIONS), str(WEIGHTS))
    elmo.trainable = False
    inputs = keras.Input((None, 50), dtype="int32")
    pooled = keras.layers.GlobalAveragePooling2D(data_format="channels_first")(
        elmo(inputs)["layers"]
    )
    outputs = keras.layers.Dense(2)(pooled)
    model = keras.Model(inputs, outputs)
    model.save(tmp_path / "task.keras")
    loaded = keras.models.load_model(tmp_path / "task.keras")
    assert len(model.trainable_weights) == 2  # the Dense only
    assert len(loaded.trainable_weights) == 2


def test_r1_export_into_the_shipped_model_folder(capsys):
    shipped = package_preset_dir("elmo_tiny_en")
    folders = {shipped}
    if os.path.basename(shipped) == "preset":
        folders.add(os.path.dirname(shipped))
    for folder in folders:
        before = sorted(os.listdir(folder))
        code, err = _run(["export", "--model", folder], capsys)
        assert code == 2 and "not written to" in err
        assert sorted(os.listdir(folder)) == before


def test_r1_unclear_errors_are_one_line(embedder, tmp_path, capsys):
    text = tmp_path / "in.txt"
    text.write_bytes(LATIN_1)
    with pytest.raises(ValueError, match=r"in\.txt, line 2: not valid UTF-8"):
        embedder.embed_file(str(text), str(tmp_path / "o.hdf5"))
    code, err = _run(["embed", tmp_path, tmp_path / "o.hdf5", *MODEL], capsys)
    assert code == 2 and "Input is a directory" in err
    code, err = _run(["embed", text, tmp_path, *MODEL], capsys)
    assert code == 2 and "Output is a directory" in err
    target = tmp_path / "a_file"
    target.write_text("")
    code, err = _run(["export", *MODEL, "--output", target], capsys)
    assert code == 2 and "must be a directory" in err
    with pytest.raises(SystemExit):
        main(["perplexity", "m", str(text), "--batch-size", "0"])


def test_r1_invalid_layer_mix_names_the_file(preset, tmp_path):
    copy = tmp_path / "preset"
    shutil.copytree(preset, copy)
    (copy / "layer_mix.json").write_text("{not json")
    with pytest.raises(ValueError, match="layer_mix.json is not valid JSON"):
        ELMoEmbedder.from_preset(str(copy))


def test_r1_unicode_spaces_split_alike(embedder, served):
    sentence = "a\u00a0b c\u3000d"
    tokens = embedder.embed_sentence(sentence, output="top")
    outputs = served["serving_default"](tf.constant([sentence]))
    assert tokens.shape[0] == int(outputs["sequence_len"][0])


def test_r1_huge_request_is_refused_at_once(served):
    with pytest.raises(tf.errors.InvalidArgumentError, match="too large"):
        served["serving_default"](tf.constant(["w " * 50_000]))


# Round 3 (issue 21): data loss ---------------------------------------------


@pytest.mark.large  # trains a tiny run (20 s)
def test_r3_export_hdf5_into_a_directory_of_user_files(
    run_dir, tmp_path, capsys
):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_text("my notes")
    code, err = _run(["export-hdf5", run_dir, user], capsys)
    assert code == 2 and "is not a keras_elmo preset" in err
    assert _tree(user) == {"notes.txt": b"my notes"}


@pytest.mark.large  # trains a tiny run (20 s)
def test_r3_export_hdf5_onto_its_own_run(run_dir, capsys):
    before = _tree(run_dir)
    code, err = _run(["export-hdf5", run_dir, run_dir], capsys)
    assert code == 2 and "is the input" in err
    assert _tree(run_dir) == before


@pytest.mark.large  # trains a tiny run (20 s)
def test_r3_export_hdf5_replaces_its_own_export(run_dir, tmp_path, capsys):
    destination = tmp_path / "exported"
    assert _run(["export-hdf5", run_dir, destination], capsys)[0] == 0
    assert _run(["export-hdf5", run_dir, destination], capsys)[0] == 0


@pytest.mark.parametrize("command", ["tokenize", "build-vocab"])
def test_r3_text_output_is_its_input(command, tmp_path, capsys):
    text = tmp_path / "raw.txt"
    text.write_text("Hello, world.\n")
    code, err = _run([command, text, "--output", text], capsys)
    assert code == 2 and "is the input" in err
    assert text.read_text() == "Hello, world.\n"


def _nested_shipped_presets():
    # Shipped presets kept as `<model folder>/preset/` (a source checkout).
    names = []
    for name, entry in BUILTIN_PRESETS.items():
        if "package" in entry:
            directory = package_preset_dir(name)
            if os.path.basename(directory) == "preset":
                names.append((name, directory))
    return names


def test_r3_export_by_builtin_name_from_the_checkout(monkeypatch, capsys):
    shipped = _nested_shipped_presets()
    if not shipped:
        pytest.skip("the shipped presets are inside the installed package")
    for name, directory in shipped:
        folder = os.path.dirname(directory)
        # Where `saved_models/<name>` is the shipped model's folder.
        monkeypatch.chdir(os.path.dirname(os.path.dirname(folder)))
        before = sorted(os.listdir(folder))
        code, err = _run(["export", "--model", name], capsys)
        assert code == 2 and "shipped with keras_elmo" in err
        assert sorted(os.listdir(folder)) == before


def test_r3_no_command_writes_into_the_package(tmp_path, capsys):
    text = tmp_path / "raw.txt"
    text.write_text("a b\n")
    package = os.path.dirname(os.path.abspath(keras_elmo.__file__))
    target = os.path.join(package, "probe_output.txt")
    for argv in (
        ["tokenize", text, "--output", target],
        ["build-vocab", text, "--output", target, "--no-progress"],
        ["embed", text, target, *MODEL],
    ):
        code, err = _run(argv, capsys)
        assert code == 2 and "belongs to keras_elmo" in err
        assert not os.path.exists(target)


def test_r3_no_command_writes_into_a_shipped_preset(tmp_path, capsys):
    text = tmp_path / "raw.txt"
    text.write_text("a b\n")
    shipped = package_preset_dir("elmo_tiny_en")
    target = os.path.join(shipped, "vocabulary.txt")
    before = _tree(shipped)
    for argv in (
        # build-vocab never imports TensorFlow: the registry is read only
        # because a preset lies on the output's path.
        ["build-vocab", text, "--output", target, "--no-progress"],
        ["tokenize", text, "--output", target],
    ):
        code, err = _run(argv, capsys)
        assert code == 2 and "never written to" in err
    assert _tree(shipped) == before


def test_r3_embed_over_its_model_weights(preset, tmp_path, capsys):
    text = tmp_path / "in.txt"
    text.write_text("a b\n")
    weights = preset / "weights.hdf5"
    before = weights.read_bytes()
    code, err = _run(["embed", text, weights, "--model", preset], capsys)
    assert code == 2 and "is the input" in err
    assert weights.read_bytes() == before


# Round 3: silent wrong results ---------------------------------------------


@pytest.mark.parametrize("lengths", [[2], [2, 1], [2, 1, 1, 1]])
def test_r3_tokens_sequence_len_must_match_the_batch(served, lengths):
    tokens = tf.constant([["a", "b"], ["c", ""], ["d", ""]])
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="one entry per sentence"
    ):
        served["tokens"](tokens, tf.constant(lengths))


@pytest.mark.parametrize("width", ["markers_cut", "one"])
def test_r3_char_ids_must_carry_the_markers(served, width):
    ids = batch_to_char_ids([[b"Hello", b"world"]])
    ids = ids[:, 1:-1] if width == "markers_cut" else ids[:, :1]
    with pytest.raises(tf.errors.InvalidArgumentError, match="<S> row"):
        served["char_ids"](tf.constant(ids))


def test_r3_nan_weights_are_refused_naming_file_and_dataset(preset, tmp_path):
    copy = tmp_path / "preset"
    shutil.copytree(preset, copy)
    with h5py.File(copy / "weights.hdf5", "r+") as f:
        names = []
        f.visititems(
            lambda name, item: (
                names.append(name)
                if isinstance(item, h5py.Dataset) and "LSTMCell/W_0" in name
                else None
            )
        )
        kernel = f[names[0]]
        kernel[0] = np.frombuffer(b"\xff" * 4 * kernel.shape[1], "<f4")
    with pytest.raises(ValueError, match=rf"weights\.hdf5: '{names[0]}'"):
        ELMo.from_preset(str(copy))


def test_r3_nan_layer_mix_is_refused(preset, tmp_path):
    copy = tmp_path / "preset"
    shutil.copytree(preset, copy)
    (copy / "layer_mix.json").write_text(
        '{"scalar_weights": [0, NaN, 0], "gamma": [1]}'
    )
    with pytest.raises(ValueError, match="'scalar_weights' holds 1 non"):
        ELMoEmbedder.from_preset(str(copy))


@pytest.mark.parametrize("content", [LATIN_1, BINARY], ids=["latin1", "bin"])
def test_r3_build_vocab_of_non_utf8_text(content, tmp_path, capsys):
    text = tmp_path / "ok.txt"
    text.write_bytes(content)
    argv = ["build-vocab", text, "--output", tmp_path / "v", "--no-progress"]
    code, err = _run(argv, capsys)
    assert code == 2 and f"{text}, line " in err and "UTF-8" in err
    assert not (tmp_path / "v").exists()


@pytest.mark.parametrize("content", [LATIN_1, BINARY], ids=["latin1", "bin"])
def test_r3_perplexity_of_non_utf8_text(preset, content, tmp_path, capsys):
    text = tmp_path / "heldout.txt"
    text.write_bytes(content)
    code, err = _run(["perplexity", preset, text, "--no-baselines"], capsys)
    assert code == 2 and f"{text}, line " in err and "UTF-8" in err


# Round 3: crafted or extreme input -----------------------------------------


def test_r3_crafted_stride_zero_view(tmp_path):
    storage = writer.Storage("0", np.zeros(1, "float32"))
    path = tmp_path / "encoder.pkl"
    writer.write_legacy(
        path, {"w": writer.Tensor(storage, 0, (10**6, 10**6), (0, 0))}
    )
    with pytest.raises(TorchPickleError, match="more than its storage"):
        load_torch_state_dict(path)


@pytest.mark.parametrize("count", [2**62, 2**40])
def test_r3_crafted_storage_count(tmp_path, count):
    path = tmp_path / "encoder.pkl"
    writer.write_legacy(path, {"w": np.ones((4,), "float32")})
    data = path.read_bytes()
    header = len(data) - 16 - 8
    path.write_bytes(data[:header] + count.to_bytes(8, "little") + data[-16:])
    with pytest.raises(TorchPickleError, match="claims"):
        load_torch_state_dict(path)


def test_r3_crafted_pickle_runs_no_code(tmp_path):
    class Exploit:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "owned"),))

    path = tmp_path / "evil.pkl"
    writer.write_legacy(path, {}, main_object=Exploit())
    with pytest.raises(TorchPickleError, match="refusing to load"):
        load_torch_state_dict(path)
    assert not (tmp_path / "owned").exists()


def test_r3_one_huge_line_is_refused_at_once(preset, tmp_path, capsys):
    """A 10 MB line (2.5M tokens) grew to 7.9 GB over 5 minutes."""
    big = tmp_path / "big.txt"
    big.write_bytes(b"abc " * 2_500_000)
    code, err = _run(["perplexity", preset, big, "--no-baselines"], capsys)
    assert code == 2 and "line 1: 2500000 tokens" in err


def _long_line():
    return "w " * (MAX_TOKENS_PER_SENTENCE + 1) + "\n"


def test_r3_every_text_command_bounds_a_sentence(preset, tmp_path, capsys):
    text = tmp_path / "long.txt"
    text.write_text("short line\n" + _long_line())
    expected = f"{text}, line 2: {MAX_TOKENS_PER_SENTENCE + 1} tokens"
    out = tmp_path / "out"
    for argv in (
        ["embed", text, out, *MODEL, "--no-progress"],
        ["tokenize", text, "--output", out],
        ["build-vocab", text, "--output", out, "--no-progress"],
        ["perplexity", preset, text, "--no-baselines"],
        ["train", "--train", text, "--vocabulary", TRAIN_VOCABULARY]
        + ["--output-dir", tmp_path / "run", "--preset", "elmo_small_en"]
        + ["--steps", "1"],
    ):
        code, err = _run(argv, capsys)
        assert code == 2 and expected in err, (argv[0], err)
        assert not out.exists() and not (tmp_path / "run").exists()


# Round 3: unclear errors ---------------------------------------------------


def _cli_in_a_fresh_process(env, tmp_path):
    text = tmp_path / "in.txt"
    text.write_text("a b\n")
    return subprocess.run(
        [sys.executable, "-m", "keras_elmo.cli.main", "embed", str(text)]
        + [str(tmp_path / "o.hdf5"), "--model", "elmo_small_en"],
        env={**os.environ, "KERAS_ELMO_BASE_URL": "http://127.0.0.1:9", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.large
@pytest.mark.parametrize("value", ["inf", "nan"])
def test_r3_download_timeout_variable_is_named(value, tmp_path):
    """Fixed by the preset-loader work (keras_elmo/presets/download.py)."""
    env = {"KERAS_ELMO_DOWNLOAD_TIMEOUT": value}
    env["KERAS_HOME"] = str(tmp_path / "home")
    result = _cli_in_a_fresh_process(env, tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert "KERAS_ELMO_DOWNLOAD_TIMEOUT" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.large
def test_r3_unwritable_keras_home_is_named(tmp_path):
    """Fixed by the preset-loader work (keras_elmo/presets/preset_handles)."""
    home = tmp_path / "home"
    home.write_text("a file where KERAS_HOME's directory must be")
    result = _cli_in_a_fresh_process({"KERAS_HOME": str(home)}, tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert str(home) in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("command", ["tflite", "tokenize"])
def test_r3_output_directory_is_refused_before_work(command, tmp_path, capsys):
    text = tmp_path / "raw.txt"
    text.write_text("a b\n")
    existing = tmp_path / "existing"
    existing.mkdir()
    argv = (
        ["export", "--format", "tflite", *MODEL, "--output", existing]
        if command == "tflite"
        else ["tokenize", text, "--output", existing]
    )
    code, err = _run(argv, capsys)
    assert code == 2 and "Output is a directory" in err and str(existing) in err
    assert ".tmp-" not in err


def test_r3_unwritable_place_names_the_output(tmp_path, capsys):
    text = tmp_path / "raw.txt"
    text.write_text("a b\n")
    if os.geteuid() == 0:  # root writes anywhere but in sysfs
        if not os.path.isdir("/sys/kernel"):
            pytest.skip("running as root without /sys to refuse a write")
        output = "/sys/keras_elmo_probe/vocab.txt"
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        output = str(locked / "vocab.txt")
    argv = ["build-vocab", text, "--output", output, "--no-progress"]
    code, err = _run(argv, capsys)
    assert code == 2 and output in err and ".tmp-" not in err


def test_r3_metadata_of_a_list_is_named_before_scoring(
    preset, tmp_path, monkeypatch, capsys
):
    from keras_elmo.training import perplexity

    copy = tmp_path / "preset"
    shutil.copytree(preset, copy)
    (copy / "metadata.json").write_text("[1, 2]")
    monkeypatch.setattr(perplexity, "evaluate_perplexity", None)  # not run
    code, err = _run(["perplexity", copy, TRAIN_DATA], capsys)
    assert code == 2 and "metadata.json must hold a JSON object" in err


def test_r3_embed_sentences_of_invalid_utf8_bytes(embedder):
    with pytest.raises(ValueError, match="Sentence 1 is not valid UTF-8"):
        embedder.embed_sentences([b"fine", b"\xff\xfe a"], tokenize=True)


def test_r3_truncated_training_config_on_resume(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "training_config.json").write_text('{\n  "options": {\n    "ch')
    argv = ["train", "--train", TRAIN_DATA, "--vocabulary", TRAIN_VOCABULARY]
    argv += ["--output-dir", run, "--preset", "elmo_small_en", "--steps", "1"]
    code, err = _run(argv, capsys)
    assert code == 2 and "training_config.json is not valid JSON" in err


@pytest.mark.large  # trains a tiny run (20 s)
def test_r3_corrupt_checkpoint_index(run_dir, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    index = next((run / "checkpoints").glob("*.index"))
    index.write_bytes(index.read_bytes()[:10])
    code, err = _run(["export-hdf5", run, tmp_path / "out"], capsys)
    assert code == 2 and "Cannot read the checkpoint" in err
    assert str(index)[: -len(".index")] in err


def test_r3_verbose_keeps_the_traceback(tmp_path):
    text = tmp_path / "x.txt"
    text.write_text("a b\n")
    with pytest.raises(ValueError, match="is the input"):
        main(["-v", "build-vocab", str(text), "--output", str(text)])
