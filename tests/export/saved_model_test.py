"""Tests of `export_saved_model`: layout, signatures, TF Serving loading.

TF Serving cannot be installed here, so its contract is checked piece by
piece: the version layout it watches, core-only ops (checked in a fresh
process that never imported tensorflow_text or keras_elmo), the TF1 session
loader its C++ code uses (run by tensor names in a fresh process), and
`saved_model_cli show` / `run`. The gRPC path is in `tests/serving`.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from keras_elmo.export import saved_model
from keras_elmo.export.saved_model import METADATA_FILE
from keras_elmo.export.saved_model import SIGNATURE_KEYS
from keras_elmo.export.saved_model import export_saved_model
from keras_elmo.export.saved_model import next_version
from keras_elmo.export.saved_model import signature_functions
from keras_elmo.layers.weighted_layer_mix import WeightedLayerMix
from keras_elmo.models.elmo_embedding import ELMoEmbedding
from keras_elmo.models.sentence_markers import remove_sentence_markers
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from tests.export.exported_fixture import SENTENCE_CASES
from tests.export.exported_fixture import assert_outputs_match
from tests.export.exported_fixture import exported_version_dir
from tests.export.exported_fixture import fixture_model
from tests.export.exported_fixture import keras_reference
from tests.export.exported_fixture import model_files
from tests.export.exported_fixture import padded_tokens
from tests.export.exported_fixture import run_fresh_python
from tests.export.exported_fixture import split_sentence

OUTPUT_KEYS = [
    "default",
    "elmo",
    "lstm_outputs1",
    "lstm_outputs2",
    "mask",
    "sequence_len",
    "word_emb",
]

TOKEN_LISTS = [
    [b"The", b"cat", b"sat", b"."],
    [b"Hello"],
    [],
    [b"a", b"", b"b"],  # an empty token inside the length is a token
]


@pytest.fixture(scope="module")
def loaded():
    return tf.saved_model.load(exported_version_dir())


def _numpy(outputs):
    return {key: value.numpy() for key, value in outputs.items()}


# === Layout ===


def test_version_layout():
    version_dir = exported_version_dir()
    base = os.path.dirname(version_dir)
    # Only the version directory: no temporary directory is left behind.
    assert os.listdir(base) == ["1"]
    for name in ("saved_model.pb", "variables", METADATA_FILE):
        assert os.path.exists(os.path.join(version_dir, name)), name
    assert os.stat(version_dir).st_mode & 0o755 == 0o755
    with open(os.path.join(version_dir, METADATA_FILE)) as handle:
        metadata = json.load(handle)
    assert sorted(metadata["signatures"]) == sorted(SIGNATURE_KEYS)
    assert metadata["signatures"]["tokens"]["outputs"] == [
        "word_emb",
        "lstm_outputs1",
        "lstm_outputs2",
        "elmo",
        "default",
        "sequence_len",
        "mask",
    ]
    assert metadata["options"] == fixture_model().options


def test_next_version(tmp_path):
    assert next_version(tmp_path / "missing") == 1
    assert next_version(tmp_path) == 1
    for name in ("1", "7", "03", ".8.tmp-abc", "notes", "12a"):
        (tmp_path / name).mkdir()
    (tmp_path / "9").write_text("a file, not a version")
    assert next_version(tmp_path) == 8


def test_existing_version_is_never_overwritten(tmp_path):
    (tmp_path / "3").mkdir()
    with pytest.raises(FileExistsError, match="Version 3 already exists"):
        export_saved_model(fixture_model(), tmp_path, version=3)


def test_failed_export_leaves_no_version(tmp_path, monkeypatch):
    def failing_save(module, path, signatures):
        with open(os.path.join(path, "saved_model.pb"), "w") as handle:
            handle.write("half written")
        raise OSError("disk full")

    monkeypatch.setattr(saved_model.tf.saved_model, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        export_saved_model(fixture_model(), tmp_path / "elmo")
    assert os.listdir(tmp_path / "elmo") == []


@pytest.mark.large
def test_concurrent_exports_claim_distinct_versions(tmp_path, monkeypatch):
    # Both exports pick their number while the other is still saving; the
    # second rename must not replace the first (it used to: both got 1).
    barrier = threading.Barrier(2, timeout=60)

    def slow_save(module, path, signatures):
        with open(os.path.join(path, "saved_model.pb"), "w") as handle:
            handle.write(threading.current_thread().name)
        barrier.wait()

    monkeypatch.setattr(saved_model.tf.saved_model, "save", slow_save)
    base = tmp_path / "elmo"
    paths = {}

    def export(name):
        paths[name] = export_saved_model(fixture_model(), base)

    threads = [threading.Thread(target=export, args=(n,), name=n) for n in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(os.path.basename(p) for p in paths.values()) == ["1", "2"]
    for name, path in paths.items():
        with open(os.path.join(path, "saved_model.pb")) as handle:
            assert handle.read() == name
    assert sorted(os.listdir(base)) == ["1", "2"]


def test_export_base_that_is_a_file(tmp_path):
    (tmp_path / "elmo").write_text("not a directory")
    with pytest.raises(NotADirectoryError, match="elmo is a file"):
        export_saved_model(fixture_model(), tmp_path / "elmo")
    with pytest.raises(NotADirectoryError, match="elmo is a file"):
        export_saved_model(fixture_model(), tmp_path / "elmo" / "sub")


def test_leftovers_of_killed_exports_are_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(
        saved_model.tf.saved_model, "save", lambda module, path, signatures: 0
    )
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stale = tmp_path / f".new-version.tmp-{dead.stdout.strip()}-x1"
    live = tmp_path / f".new-version.tmp-{os.getpid()}-x2"
    stale.mkdir()
    live.mkdir()
    path = export_saved_model(fixture_model(), tmp_path)
    assert sorted(os.listdir(tmp_path)) == sorted(["1", live.name])
    umask = os.umask(0o022)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o777 & ~umask


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"version": -1}, ValueError, "`version` must be >= 0"),
        ({"version": "2"}, TypeError, "`version` must be an int"),
        ({"version": True}, TypeError, "`version` must be an int"),
        ({"tokenizer": "regex"}, ValueError, "`tokenizer` must be None"),
        (
            {"layer_mix": WeightedLayerMix(num_layers=2)},
            ValueError,
            "must mix the 3 biLM layers",
        ),
        (
            {"layer_mix": WeightedLayerMix(num_layers=3, num_outputs=2)},
            ValueError,
            "must have one output",
        ),
        ({"layer_mix": "mix"}, TypeError, "must be a `keras_elmo.Weighted"),
        (
            {"max_tokens_per_request": 0},
            ValueError,
            "`max_tokens_per_request` must be a positive int",
        ),
        (
            {"max_bytes_per_string": "1k"},
            ValueError,
            "`max_bytes_per_string` must be a positive int",
        ),
    ],
)
def test_invalid_arguments(tmp_path, kwargs, error, message):
    with pytest.raises(error, match=message):
        export_saved_model(fixture_model(), tmp_path, **kwargs)
    assert not os.path.exists(tmp_path / "0")


def test_model_must_be_elmo(tmp_path):
    with pytest.raises(TypeError, match="must be a `keras_elmo.ELMo` or"):
        export_saved_model(WeightedLayerMix(num_layers=3), tmp_path)


# === Signatures (TF2 loading) ===


def test_signature_specs(loaded):
    assert sorted(loaded.signatures) == sorted(SIGNATURE_KEYS)
    inputs = {
        key: {
            name: (spec.dtype, spec.shape.as_list())
            for name, spec in loaded.signatures[key]
            .structured_input_signature[1]
            .items()
        }
        for key in SIGNATURE_KEYS
    }
    assert inputs == {
        "serving_default": {"sentences": (tf.string, [None])},
        "tokens": {
            "tokens": (tf.string, [None, None]),
            "sequence_len": (tf.int32, [None]),
        },
        "char_ids": {"char_ids": (tf.int32, [None, None, 50])},
    }
    for key in SIGNATURE_KEYS:
        outputs = loaded.signatures[key].structured_outputs
        assert sorted(outputs) == OUTPUT_KEYS
        assert outputs["elmo"].shape.as_list() == [None, None, 32]
        assert outputs["word_emb"].shape.as_list() == [None, None, 16]
        assert outputs["default"].shape.as_list() == [None, 32]
        assert outputs["mask"].dtype == tf.bool
        assert outputs["sequence_len"].dtype == tf.int32


@pytest.mark.parametrize("case", sorted(SENTENCE_CASES))
def test_serving_default_matches_keras(loaded, case):
    sentences = SENTENCE_CASES[case]
    outputs = loaded.signatures["serving_default"](
        sentences=tf.constant(sentences, tf.string, shape=[len(sentences)])
    )
    expected = keras_reference([split_sentence(s) for s in sentences])
    assert_outputs_match(_numpy(outputs), expected)


def test_tokens_signature_matches_keras(loaded):
    tokens, lengths = padded_tokens(TOKEN_LISTS)
    outputs = loaded.signatures["tokens"](
        tokens=tf.constant(tokens, tf.string), sequence_len=lengths
    )
    assert_outputs_match(_numpy(outputs), keras_reference(TOKEN_LISTS))


def test_tokens_signature_keeps_the_input_width(loaded):
    # As TF-Hub's `tokens` signature: outputs align with the input columns.
    tokens = tf.constant([["a", "b", "", ""], ["c", "", "", ""]])
    outputs = loaded.signatures["tokens"](
        tokens=tokens, sequence_len=tf.constant([2, 1])
    )
    expected = keras_reference([[b"a", b"b"], [b"c"]])
    for key in ("elmo", "mask", "word_emb"):
        value = outputs[key].numpy()
        assert value.shape[1] == 4
        np.testing.assert_allclose(value[:, :2], expected[key], atol=1e-5)
        assert not value[:, 2:].any()


@pytest.mark.parametrize(
    "tokens, lengths",
    [
        (np.zeros((0, 0), object), []),  # empty batch
        (np.zeros((2, 0), object), [0, 0]),  # only empty sentences
    ],
)
def test_tokens_signature_empty_inputs(loaded, tokens, lengths):
    outputs = loaded.signatures["tokens"](
        tokens=tf.constant(tokens, tf.string, shape=tokens.shape),
        sequence_len=tf.constant(lengths, tf.int32, shape=[len(lengths)]),
    )
    batch = len(lengths)
    assert outputs["elmo"].shape == (batch, 0, 32)
    assert outputs["default"].shape == (batch, 32)
    assert not outputs["default"].numpy().any()
    assert outputs["sequence_len"].numpy().tolist() == [0] * batch


@pytest.mark.parametrize("lengths", [[5], [-1]])
def test_tokens_signature_bad_lengths_raise(loaded, lengths):
    with pytest.raises(tf.errors.InvalidArgumentError, match="sequence_len"):
        loaded.signatures["tokens"](
            tokens=tf.constant([["a", "b"]]), sequence_len=tf.constant(lengths)
        )


@pytest.mark.parametrize(
    "lengths", [[2], [2, 1], [2, 1, 1, 1]], ids=["1of3", "2of3", "4for3"]
)
def test_tokens_signature_sequence_len_must_match_the_batch(loaded, lengths):
    """3 sentences with `sequence_len=[2]` once returned outputs for one
    (issue 21), and 4 lengths failed in a GatherV2 trace."""
    tokens = tf.constant([["a", "b"], ["c", ""], ["d", ""]])
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="one entry per sentence"
    ):
        loaded.signatures["tokens"](
            tokens=tokens, sequence_len=tf.constant(lengths)
        )


def _without_markers(ids):
    return ids[:, 1:-1]


def _width_one(ids):
    return ids[:, :1]


@pytest.mark.parametrize("cut", [_without_markers, _width_one])
def test_char_ids_signature_requires_sentence_markers(loaded, cut):
    """Ids without `<S>`/`</S>` were accepted, their two real tokens taken
    as the markers (issue 21)."""
    ids = batch_to_char_ids([[b"Hello", b"world"], [b"Hi", b"there"]])
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="must start with the <S> row"
    ):
        loaded.signatures["char_ids"](char_ids=tf.constant(cut(ids)))


def test_char_ids_signature_allows_padding_sentences(loaded):
    ids = batch_to_char_ids([[b"Hello"], []])
    ids[1] = 0  # a sentence of padding only: no tokens, no markers
    outputs = loaded.signatures["char_ids"](char_ids=tf.constant(ids))
    assert outputs["sequence_len"].numpy().tolist() == [1, 0]


def test_char_ids_signature_matches_keras(loaded):
    token_lists = [[b"Hello", b"world", b"!"], [b"Hi"], []]
    outputs = loaded.signatures["char_ids"](
        char_ids=tf.constant(batch_to_char_ids(token_lists))
    )
    assert_outputs_match(_numpy(outputs), keras_reference(token_lists))


def _char_ids_with(edit):
    ids = batch_to_char_ids([[b"Hello", b"world"], [b"Hi"]]).astype(np.int64)
    edit(ids)
    return ids.astype(np.int32)


def _set(index, value):
    def edit(ids):
        ids[index] = value

    return edit


BAD_CHAR_IDS = {
    "negative": (_set((0, 1, 3), -1), "must lie in"),
    "too_large": (_set((0, 1, 3), 262), "must lie in"),
    "token_of_all_minus_5": (_set((0, 1), -5), "must lie in"),
    "token_mixing_zero": (_set((0, 1, 5), 0), "mixes 0"),
    "zero_row_inside_sentence": (_set((0, 2), 0), "after an all-zero"),
}


@pytest.mark.parametrize("case", sorted(BAD_CHAR_IDS))
def test_char_ids_signature_rejects_malformed_ids(loaded, case):
    edit, message = BAD_CHAR_IDS[case]
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        loaded.signatures["char_ids"](
            char_ids=tf.constant(_char_ids_with(edit))
        )


def test_char_ids_signature_refuses_int64(loaded):
    # The served dtype is int32: an int64 id that would wrap is refused,
    # never cast.
    ids = batch_to_char_ids([[b"Hi"]]).astype(np.int64)
    ids[0, 1, 1] = 2**32 + 5
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32"):
        loaded.signatures["char_ids"](char_ids=tf.constant(ids))


@pytest.mark.parametrize(
    "signature, inputs, message",
    [
        (
            "serving_default",
            {"sentences": ["x" * 65537]},
            "max_bytes_per_string=65536",
        ),
        (
            "serving_default",
            {"sentences": [" ".join(["w"] * 2047)] * 2},
            "max_tokens_per_request=4096",
        ),
        (
            "tokens",
            {"tokens": [["x" * 65537]], "sequence_len": [1]},
            "max_bytes_per_string=65536",
        ),
        (
            "tokens",
            {"tokens": [["w"] * 4095], "sequence_len": [4095]},
            "max_tokens_per_request=4096",
        ),
    ],
)
def test_request_size_is_bounded(loaded, signature, inputs, message):
    inputs = {key: tf.constant(value) for key, value in inputs.items()}
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        loaded.signatures[signature](**inputs)


def test_request_at_the_size_limit_is_served(loaded):
    # 2 x (2046 + 2) = 4096 token positions: exactly the default limit.
    words = " ".join(["w"] * 2046)
    outputs = loaded.signatures["serving_default"](
        sentences=tf.constant([words, "a"])
    )
    assert outputs["sequence_len"].numpy().tolist() == [2046, 1]


@pytest.mark.large
def test_limits_are_configurable_and_recorded(tmp_path):
    path = export_saved_model(
        fixture_model(),
        tmp_path,
        max_tokens_per_request=None,
        max_bytes_per_string=8,
    )
    with open(os.path.join(path, METADATA_FILE)) as handle:
        limits = json.load(handle)["limits"]
    assert limits == {"max_tokens_per_request": None, "max_bytes_per_string": 8}
    served = tf.saved_model.load(path).signatures["serving_default"]
    assert served(sentences=tf.constant(["a b c"]))["sequence_len"] == [3]
    with pytest.raises(tf.errors.InvalidArgumentError, match="bytes"):
        served(sentences=tf.constant(["a b c d e"]))


def test_loaded_functions_are_callable_as_attributes(loaded):
    outputs = loaded.serving_default(tf.constant(["a b"]))
    assert outputs["elmo"].shape == (1, 2, 32)


def test_trained_layer_mix_and_custom_tokenizer():
    model = fixture_model()
    mix = WeightedLayerMix(num_layers=3)
    mix.build((None, 3, None, 32))
    mix.set_weights([np.array([1.0, -0.5, 2.0], "float32"), np.array([2.0])])
    functions, variables = signature_functions(
        model, layer_mix=mix, tokenizer=lambda s: tf.strings.split(s, "|")
    )
    assert len(variables) == len(model.variables) + 2
    outputs = functions["serving_default"](tf.constant(["a b|c", "d"]))
    token_lists = [[b"a b", b"c"], [b"d"]]
    weights = np.exp([1.0, -0.5, 2.0]) / np.exp([1.0, -0.5, 2.0]).sum()
    words = remove_sentence_markers(model(batch_to_char_ids(token_lists)))
    mixed = 2.0 * np.einsum("bltd,l->btd", np.asarray(words["layers"]), weights)
    mixed *= np.asarray(words["mask"])[..., None]
    np.testing.assert_allclose(outputs["elmo"].numpy(), mixed, atol=1e-5)
    np.testing.assert_array_equal(outputs["sequence_len"].numpy(), [2, 1])


def test_elmo_embedding_exports_its_bilm_and_trained_mix():
    directory = model_files()
    embedding = ELMoEmbedding.from_bilm_hdf5(
        directory / "options.json", directory / "lm_weights.hdf5"
    )
    embedding.layer_mix.set_weights(
        [np.array([0.3, 1.0, -2.0], "float32"), np.array([0.5], "float32")]
    )
    functions, _ = signature_functions(embedding)
    char_ids = batch_to_char_ids([["Hello", "world"], ["!"]])
    outputs = functions["char_ids"](char_ids)
    np.testing.assert_allclose(
        outputs["elmo"].numpy(),
        np.asarray(embedding(char_ids)) * outputs["mask"].numpy()[..., None],
        atol=1e-5,
    )
    two_mixes = ELMoEmbedding(fixture_model(), num_outputs=2)
    with pytest.raises(ValueError, match="must have one output"):
        signature_functions(two_mixes)


def test_custom_tokenizer_must_return_ragged_strings():
    functions, _ = signature_functions(
        fixture_model(), tokenizer=lambda s: tf.strings.length(s)
    )
    with pytest.raises(TypeError, match="must return a tf.RaggedTensor"):
        functions["serving_default"].get_concrete_function()


# === TF Serving contract ===


def _saved_model_ops(version_dir):
    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(version_dir, "saved_model.pb"), "rb") as handle:
        proto.ParseFromString(handle.read())
    ops = set()
    for meta_graph in proto.meta_graphs:
        library = meta_graph.graph_def.library
        function_names = {f.signature.name for f in library.function}
        ops |= {node.op for node in meta_graph.graph_def.node}
        for function in library.function:
            ops |= {node.op for node in function.node_def}
        ops -= function_names  # calls of library functions, not op types
    return sorted(ops)


FRESH_OP_CHECK_AND_TF2_LOAD = """
import json, sys
import tensorflow as tf
from tensorflow.python.framework import op_def_registry
ops, export_dir, sentences = json.loads(sys.argv[1]), *sys.argv[2:]
unregistered = [op for op in ops if op_def_registry.get(op) is None]
serving_default = tf.saved_model.load(export_dir).signatures[
    "serving_default"]
outputs = serving_default(sentences=tf.constant(json.loads(sentences)))
print(json.dumps({
    "unregistered": unregistered,
    "elmo": outputs["elmo"].numpy().tolist(),
    "imported": [m for m in ("tensorflow_text", "keras_elmo")
                 if m in sys.modules],
}))
"""


@pytest.mark.large
def test_only_core_ops_and_tf2_load_in_fresh_process():
    ops = _saved_model_ops(exported_version_dir())
    # The string ops come from the in-graph tokenizer: they are core TF.
    for op in ("StringSplitV2", "Substr", "DecodePaddedRaw", "While"):
        assert op in ops, op
    sentences = ["The cat sat .", "", "Hi"]
    result = run_fresh_python(
        FRESH_OP_CHECK_AND_TF2_LOAD,
        json.dumps(ops),
        exported_version_dir(),
        json.dumps(sentences),
    )
    assert result["unregistered"] == []
    assert result["imported"] == []
    expected = keras_reference([s.split() for s in sentences])
    np.testing.assert_allclose(result["elmo"], expected["elmo"], atol=1e-5)


FRESH_TF1_SESSION = """
import json, sys
import numpy as np
import tensorflow as tf
export_dir, inputs_file, outputs_file = sys.argv[1:]
inputs = np.load(inputs_file)
results = {}
graph = tf.Graph()
with tf.compat.v1.Session(graph=graph) as session:
    meta_graph = tf.compat.v1.saved_model.loader.load(
        session, ["serve"], export_dir)
    signatures = sorted(k for k in meta_graph.signature_def
                        if not k.startswith("__"))
    for key in signatures:
        signature = meta_graph.signature_def[key]
        feeds = {signature.inputs[name].name: inputs[key + "/" + name]
                 for name in signature.inputs}
        aliases = sorted(signature.outputs)
        values = session.run(
            [signature.outputs[a].name for a in aliases], feeds)
        results.update({key + "/" + a: v for a, v in zip(aliases, values)})
np.savez(outputs_file, **results)
print(json.dumps({
    "signatures": signatures,
    "imported": [m for m in ("tensorflow_text", "keras_elmo")
                 if m in sys.modules],
}))
"""


@pytest.mark.large
def test_tf1_session_loader_in_fresh_process(tmp_path):
    sentences = ["The cat sat .", "", b"caf\xe9 ok"]
    token_lists = [split_sentence(s) for s in sentences]
    tokens, lengths = padded_tokens(token_lists)
    inputs = {
        "serving_default/sentences": np.array(sentences, dtype=object),
        "tokens/tokens": tokens,
        "tokens/sequence_len": lengths,
        "char_ids/char_ids": batch_to_char_ids(token_lists),
    }
    # Fixed-width bytes arrays, so the file loads without pickle.
    inputs = {
        key: value.astype(bytes) if value.dtype == object else value
        for key, value in inputs.items()
    }
    np.savez(tmp_path / "inputs.npz", **inputs)
    result = run_fresh_python(
        FRESH_TF1_SESSION,
        exported_version_dir(),
        str(tmp_path / "inputs.npz"),
        str(tmp_path / "outputs.npz"),
    )
    assert result == {"signatures": sorted(SIGNATURE_KEYS), "imported": []}
    outputs = np.load(tmp_path / "outputs.npz")
    expected = keras_reference(token_lists)
    for key in SIGNATURE_KEYS:
        actual = {name: outputs[f"{key}/{name}"] for name in OUTPUT_KEYS}
        assert_outputs_match(actual, expected)


def _saved_model_cli(*args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    command = [cli] if os.path.exists(cli) else ["saved_model_cli"]
    result = subprocess.run(
        command + list(args),
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.large
def test_saved_model_cli_show_and_run(tmp_path):
    version_dir = exported_version_dir()
    shown = _saved_model_cli("show", "--all", "--dir", version_dir)
    for key in SIGNATURE_KEYS:
        assert f"signature_def['{key}']" in shown
    assert "inputs['sentences'] tensor_info" in shown
    assert "outputs['lstm_outputs2'] tensor_info" in shown
    assert "Method name is: tensorflow/serving/predict" in shown

    _saved_model_cli(
        "run",
        "--dir",
        version_dir,
        "--tag_set",
        "serve",
        "--signature_def",
        "serving_default",
        "--input_exprs",
        'sentences=["The cat sat .", "Hi"]',
        "--outdir",
        str(tmp_path),
    )
    actual = {
        key: np.load(tmp_path / f"{key}.npy", allow_pickle=False)
        for key in OUTPUT_KEYS
    }
    expected = keras_reference([[b"The", b"cat", b"sat", b"."], [b"Hi"]])
    assert_outputs_match(actual, expected)
