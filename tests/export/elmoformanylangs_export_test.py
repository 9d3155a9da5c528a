"""SavedModel and TFLite exports of an ELMoForManyLangs model.

A tiny generated model (character vocabulary, word embedding, AllenNLP
LSTM): the raw-string signatures run its `VocabularyCharacterTokenizer` in
the graph with core ops only, and TFLite runs the character-ids signature;
both are compared with `ELMoEmbedder` (the Python path).
"""

import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter
from ai_edge_litert.interpreter import OpResolverType
from tensorflow.core.protobuf import saved_model_pb2

from keras_elmo.conversion.elmoformanylangs import elmoformanylangs_tokenizer
from keras_elmo.export.saved_model import export_saved_model
from keras_elmo.export.tflite import export_tflite
from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.models.elmo import ELMo
from keras_elmo.preprocessing.elmo_character_tokenizer import (
    ELMoCharacterTokenizer,
)
from tests.conversion import elmoformanylangs_fixture

# Four exports of a converted model: the quick suite exports bilm-tf
# models (saved_model_test.py, tflite_test.py).
pytestmark = pytest.mark.large

SENTENCES = ["ab 한국 zé", "cdeabcde \u3000 a", "", "ab"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    directory = tmp_path_factory.mktemp("efml") / "model"
    elmoformanylangs_fixture.make_model_dir(directory, fmt="zip")
    model = ELMo.from_elmoformanylangs(directory)
    tokenizer = elmoformanylangs_tokenizer(directory)
    embedder = ELMoEmbedder(model, tokenizer=tokenizer)
    # serving_default splits on ASCII whitespace only (U+3000 stays a
    # token), as tf.strings.split does.
    tokens = [
        [t.decode() for t in row]
        for row in tf.strings.split(SENTENCES).to_list()
    ]
    expected = embedder.embed_sentences(tokens, output="all")
    return model, tokenizer, tokens, expected


def _check(outputs, tokens, expected):
    assert outputs["sequence_len"].numpy().tolist() == [len(t) for t in tokens]
    for row, (t, layers) in enumerate(zip(tokens, expected)):
        n = len(t)
        np.testing.assert_allclose(
            outputs["word_emb"][row, :n], layers[0, :, :5], atol=1e-5
        )
        for i in (1, 2):
            np.testing.assert_allclose(
                outputs[f"lstm_outputs{i}"][row, :n], layers[i], atol=1e-5
            )


def test_saved_model_signatures(tiny, tmp_path):
    model, tokenizer, tokens, expected = tiny
    path = export_saved_model(
        model, tmp_path / "served", character_tokenizer=tokenizer
    )
    loaded = tf.saved_model.load(path)
    raw = loaded.signatures["serving_default"](sentences=tf.constant(SENTENCES))
    _check(raw, tokens, expected)
    width = max(len(t) for t in tokens)
    padded = [t + [""] * (width - len(t)) for t in tokens]
    by_tokens = loaded.signatures["tokens"](
        tokens=tf.constant(padded),
        sequence_len=tf.constant([len(t) for t in tokens], tf.int32),
    )
    _check(by_tokens, tokens, expected)
    ids = tokenizer.batch_to_ids(tokens)
    by_ids = loaded.signatures["char_ids"](char_ids=tf.constant(ids))
    _check(by_ids, tokens, expected)


def test_export_command_brings_the_character_tokenizer(tmp_path):
    from keras_elmo.cli.main import main

    directory = tmp_path / "model"
    elmoformanylangs_fixture.make_model_dir(directory, fmt="zip")
    served = tmp_path / "served"
    assert (
        main(["export", "--model", str(directory), "--output", str(served)])
        == 0
    )
    loaded = tf.saved_model.load(str(served / "1"))
    embedder = ELMoEmbedder.from_preset(str(directory))
    tokens = [["ab", "한국"], ["zé"]]
    expected = embedder.embed_sentences(tokens, output="all")
    raw = loaded.signatures["serving_default"](
        sentences=tf.constant(["ab 한국", "zé"])
    )
    _check(raw, tokens, expected)


def test_saved_model_graph_has_core_ops_only(tiny, tmp_path):
    model, tokenizer, _, _ = tiny
    path = export_saved_model(
        model, tmp_path / "served", character_tokenizer=tokenizer
    )
    proto = saved_model_pb2.SavedModel()
    with open(f"{path}/saved_model.pb", "rb") as f:
        proto.ParseFromString(f.read())
    ops = set()
    for meta_graph in proto.meta_graphs:
        ops.update(node.op for node in meta_graph.graph_def.node)
        for function in meta_graph.graph_def.library.function:
            ops.update(node.op for node in function.node_def)
    assert "LookupTableFindV2" in ops  # the vocabulary tables
    registered = set(tf.raw_ops.__dict__)
    assert ops <= registered, sorted(ops - registered)


def test_a_tokenizer_of_another_width_is_refused(tiny, tmp_path):
    model, _, _, _ = tiny
    with pytest.raises(ValueError, match="7 ids per token"):
        export_saved_model(
            model,
            tmp_path / "served",
            character_tokenizer=ELMoCharacterTokenizer(
                max_characters_per_token=6
            ),
        )


def test_tflite_character_ids_signature(tiny, tmp_path):
    model, tokenizer, tokens, expected = tiny
    path = export_tflite(model, tmp_path / "efml.tflite")
    interpreter = Interpreter(
        model_path=str(path),
        experimental_op_resolver_type=(
            OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        ),
    )
    (details,) = interpreter.get_input_details()
    assert details["shape_signature"].tolist() == [-1, -1, 7]
    ops = {op["op_name"] for op in interpreter._get_ops_details()}
    assert not {op for op in ops if op.startswith("Flex")}, ops
    runner = interpreter.get_signature_runner()
    outputs = runner(char_ids=tokenizer.batch_to_ids(tokens))
    outputs = {k: tf.constant(v) for k, v in outputs.items()}
    _check(outputs, tokens, expected)
