import json
import os
import shutil

import h5py
import keras
import numpy as np
import pytest

from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.inference.elmo_embedder import bucket_rows
from keras_elmo.inference.elmo_embedder import bucket_width
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.sentence_markers import remove_sentence_markers
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from tests.fixtures.make_tiny_elmo import write_tiny_elmo

SENTENCES = ["The cat sat .", "Hello", "", "a b c d e f g h"]


@pytest.fixture
def model_dir(tmp_path):
    options_file, weight_file = write_tiny_elmo(tmp_path / "src", seed=5)
    directory = tmp_path / "tiny_model"
    directory.mkdir()
    shutil.copy(options_file, directory / "options.json")
    shutil.copy(weight_file, directory / "weights.hdf5")
    return directory


def test_outputs_match_the_model_one_sentence_at_a_time(model_dir):
    embedder = ELMoEmbedder.from_preset(model_dir, batch_size=2)
    model = embedder.model
    results = embedder.embed_sentences(SENTENCES)
    for sentence, got in zip(SENTENCES, results):
        tokens = sentence.split()
        words = remove_sentence_markers(model(batch_to_char_ids([tokens])))
        assert got.shape == (3, len(tokens), 16)
        expected = keras.ops.convert_to_numpy(words["layers"])[0]
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_output_kinds(model_dir):
    embedder = ELMoEmbedder.from_preset(model_dir)
    all_layers = embedder.embed_sentence("The cat sat .")
    top = embedder.embed_sentence(["The", "cat", "sat", "."], output="top")
    average = embedder.embed_sentence("The cat sat .", output="average")
    elmo = embedder.embed_sentence("The cat sat .", output="elmo")
    np.testing.assert_allclose(top, all_layers[-1], atol=1e-6)
    np.testing.assert_allclose(average, all_layers.mean(0), atol=1e-6)
    # A fresh mix is the equal average scaled by gamma = 1.
    np.testing.assert_allclose(elmo, average, atol=1e-5)
    with pytest.raises(ValueError, match="output"):
        embedder.embed_sentence("x", output="bottom")


def test_trained_layer_mix_is_loaded(model_dir):
    weights = [0.0, 0.0, 5.0]
    (model_dir / "layer_mix.json").write_text(
        json.dumps({"scalar_weights": weights, "gamma": [2.0]})
    )
    embedder = ELMoEmbedder.from_preset(model_dir)
    layers = embedder.embed_sentence("a b c")
    mix = np.exp(weights) / np.exp(weights).sum()
    np.testing.assert_allclose(
        embedder.embed_sentence("a b c", output="elmo"),
        2.0 * np.einsum("l,lnd->nd", mix, layers),
        atol=1e-5,
    )


def test_embed_file_allennlp_layout(model_dir, tmp_path):
    text = tmp_path / "input.txt"
    text.write_text("\n".join(SENTENCES + ["Hello"]) + "\n", encoding="utf-8")
    out = tmp_path / "out.hdf5"
    embedder = ELMoEmbedder.from_preset(model_dir)
    assert embedder.embed_file(text, out, chunk_size=2) == 5
    expected = embedder.embed_sentences(SENTENCES + ["Hello"])
    with h5py.File(out, "r") as f:
        index = json.loads(f["sentence_to_index"][0])
        assert index["The cat sat ."] == "0"
        assert index["Hello"] == "4"
        # Chunks of 2 pad to other shapes than one batch of 5, and each
        # shape is its own compiled program (float32 rounding differs).
        for i, array in enumerate(expected):
            np.testing.assert_allclose(f[str(i)][...], array, atol=1e-5)
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        embedder.embed_file(tmp_path / "missing.txt", out)


def test_bad_input(model_dir):
    embedder = ELMoEmbedder.from_preset(model_dir)
    with pytest.raises(TypeError, match="Sentence 1"):
        embedder.embed_sentences(["ok", 3])
    with pytest.raises(ValueError, match="batch_size"):
        ELMoEmbedder(embedder.model, batch_size=0)
    with pytest.raises(ValueError, match="max_tokens_per_batch"):
        ELMoEmbedder(embedder.model, max_tokens_per_batch=0)
    assert embedder.embed_sentences([]) == []


def test_save_to_preset_round_trips_the_layer_mix(model_dir, tmp_path):
    (model_dir / "layer_mix.json").write_text(
        json.dumps({"scalar_weights": [1.0, 0.0, -1.0], "gamma": [0.5]})
    )
    embedder = ELMoEmbedder.from_preset(model_dir)
    embedder.save_to_preset(tmp_path / "copy")
    again = ELMoEmbedder.from_preset(tmp_path / "copy")
    for output in ("all", "elmo"):
        np.testing.assert_array_equal(
            again.embed_sentence("a b c", output=output),
            embedder.embed_sentence("a b c", output=output),
        )
    assert json.loads((tmp_path / "copy" / "layer_mix.json").read_text()) == {
        "scalar_weights": [1.0, 0.0, -1.0],
        "gamma": [0.5],
    }


def test_from_bilm_hdf5(model_dir):
    embedder = ELMoEmbedder.from_bilm_hdf5(
        model_dir / "options.json", model_dir / "weights.hdf5"
    )
    assert isinstance(embedder.model, ELMo)


@pytest.mark.large
def test_token_budget_bounds_batches(model_dir):
    embedder = ELMoEmbedder.from_preset(
        model_dir, batch_size=64, max_tokens_per_batch=12
    )
    lists = [s.split() for s in SENTENCES]
    order = sorted(range(len(lists)), key=lambda i: len(lists[i]))
    batches = list(embedder._batches(order, lists, 64))
    assert sorted(i for rows in batches for i in rows) == [0, 1, 2, 3]
    for rows in batches:
        width = max(len(lists[i]) for i in rows) + 2
        assert len(rows) == 1 or len(rows) * width <= 12
    # Same vectors as one big batch.
    big = ELMoEmbedder.from_preset(model_dir).embed_sentences(SENTENCES)
    for a, b in zip(embedder.embed_sentences(SENTENCES), big):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_raw_text_is_tokenized_on_request(model_dir):
    embedder = ELMoEmbedder.from_preset(model_dir)
    assert embedder.text_tokenizer is None
    raw = "\ufeffThe cat sat on the mat."
    tokens = ["The", "cat", "sat", "on", "the", "mat", "."]
    expected = embedder.embed_sentence(tokens)
    np.testing.assert_allclose(
        embedder.embed_sentence(raw, tokenize=True), expected, atol=1e-6
    )
    # Whitespace only (the default without a recorded tokenizer): the BOM
    # and the period stay inside tokens.
    assert embedder.embed_sentence(raw).shape[1] == 6
    assert embedder.embed_sentence(raw, tokenize=False).shape[1] == 6
    korean = TextTokenizer(split_hangul_boundaries=True)
    got = embedder.embed_sentences(["ELMo는 좋다."], tokenize=korean)[0]
    np.testing.assert_allclose(
        got, embedder.embed_sentence(["ELMo", "는", "좋다", "."]), atol=1e-6
    )
    with pytest.raises(TypeError, match="tokenize"):
        embedder.embed_sentence(raw, tokenize="yes")


def test_recorded_tokenizer_is_used_for_strings(model_dir, tmp_path):
    TextTokenizer(normalization="NFKC").save(model_dir)
    embedder = ELMoEmbedder.from_preset(model_dir)
    assert embedder.text_tokenizer == TextTokenizer(normalization="NFKC")
    np.testing.assert_allclose(
        embedder.embed_sentence("ＡＢＣ."),
        embedder.embed_sentence(["ABC", "."]),
        atol=1e-6,
    )
    # Token lists are never re-tokenized; tokenize=False splits on spaces.
    assert embedder.embed_sentence(["ＡＢＣ."]).shape[1] == 1
    assert embedder.embed_sentence("ＡＢＣ.", tokenize=False).shape[1] == 1
    text = tmp_path / "raw.txt"
    text.write_text("\ufeff고양이가 앉았다.\nＡＢＣ.\n", encoding="utf-8")
    out = tmp_path / "raw.hdf5"
    assert embedder.embed_file(text, out, output="top") == 2
    with h5py.File(out, "r") as f:
        assert f["0"].shape == (3, 16)  # 고양이가, 앉았다, .
        assert json.loads(f["sentence_to_index"][0]) == {
            "고양이가 앉았다.": "0",
            "ＡＢＣ.": "1",
        }
    with pytest.raises(TypeError, match="TextTokenizer"):
        ELMoEmbedder(embedder.model, text_tokenizer="NFC")


def test_embed_file_skips_a_leading_byte_order_mark(model_dir, tmp_path):
    text = tmp_path / "bom.txt"
    text.write_text("\ufeffHello world\n", encoding="utf-8")
    out = tmp_path / "bom.hdf5"
    embedder = ELMoEmbedder.from_preset(model_dir)
    embedder.embed_file(text, out, output="top")
    with h5py.File(out, "r") as f:
        assert json.loads(f["sentence_to_index"][0]) == {"Hello world": "0"}
        np.testing.assert_allclose(
            f["0"][...],
            embedder.embed_sentence(["Hello", "world"], output="top"),
            atol=1e-6,
        )


# === Bad or unusual input (issue 14) ===


@pytest.fixture
def embedder(model_dir):
    return ELMoEmbedder.from_preset(model_dir)


@pytest.fixture
def good_output(embedder, tmp_path):
    """An existing good output file, which no failed call may touch."""
    text = tmp_path / "good.txt"
    text.write_text("a b\n", encoding="utf-8")
    out = tmp_path / "out.hdf5"
    embedder.embed_file(text, out)
    return out, out.read_bytes()


@pytest.mark.parametrize("chunk_size", [0, -3])
def test_chunk_size_must_be_positive(
    embedder, good_output, tmp_path, chunk_size
):
    out, content = good_output
    text = tmp_path / "in.txt"
    text.write_text("x y\n", encoding="utf-8")
    with pytest.raises(ValueError, match="`chunk_size` must be a positive int"):
        embedder.embed_file(text, out, chunk_size=chunk_size)
    assert out.read_bytes() == content


def test_output_is_input_is_refused(embedder, tmp_path):
    text = tmp_path / "in.txt"
    text.write_text("x y\n", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(text)
    (tmp_path / "sub").mkdir()
    relative = tmp_path / "sub" / ".." / "in.txt"
    for output in (text, link, relative):
        with pytest.raises(ValueError, match="output file is the input"):
            embedder.embed_file(text, output)
    assert text.read_text(encoding="utf-8") == "x y\n"


def test_a_single_string_is_not_a_list_of_sentences(embedder):
    with pytest.raises(TypeError, match="not a single string"):
        embedder.embed_sentences("hello world")
    with pytest.raises(TypeError, match="not a single string"):
        embedder.embed_sentences(b"hello world")


def _embedded_file(embedder, tmp_path, data):
    text = tmp_path / "data.txt"
    text.write_bytes(data)
    out = tmp_path / "data.hdf5"
    count = embedder.embed_file(text, out)
    with h5py.File(out, "r") as f:
        arrays = [f[str(i)][...] for i in range(count)]
        index = json.loads(f["sentence_to_index"][0])
    return arrays, index


def test_utf8_bom_is_stripped(embedder, tmp_path):
    arrays, index = _embedded_file(
        embedder, tmp_path, b"\xef\xbb\xbfThe cat\nsat\n"
    )
    np.testing.assert_allclose(
        arrays[0], embedder.embed_sentence("The cat"), atol=1e-6
    )
    assert index == {"The cat": "0", "sat": "1"}


def test_lone_carriage_return_does_not_split_a_line(embedder, tmp_path):
    # Sentence i is line i + 1 of the file: a lone \r is whitespace inside
    # its line, a CRLF ending is dropped.
    arrays, index = _embedded_file(embedder, tmp_path, b"a\rb c\r\nlast line\n")
    assert len(arrays) == 2
    assert index == {"a\rb c": "0", "last line": "1"}
    np.testing.assert_allclose(
        arrays[0], embedder.embed_sentence(["a", "b", "c"]), atol=1e-6
    )


def test_non_utf8_input_names_file_and_line(embedder, good_output, tmp_path):
    out, content = good_output
    text = tmp_path / "latin1.txt"
    text.write_bytes(b"fine\nalso fine\ncaf\xe9\n")
    with pytest.raises(ValueError, match=r"latin1.txt, line 3: not valid"):
        embedder.embed_file(text, out)
    assert out.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir() if "tmp-" in p.name) == []


def test_directory_as_input_or_output(embedder, good_output, tmp_path):
    out, _ = good_output
    with pytest.raises(IsADirectoryError, match="Input is a directory"):
        embedder.embed_file(tmp_path, out)
    text = tmp_path / "good.txt"
    with pytest.raises(IsADirectoryError, match="Output is a directory"):
        embedder.embed_file(text, tmp_path)


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ('{"gamma": 1.0}', "must hold 'scalar_weights'"),
        ('{"scalar_weights": [1, 2], "gamma": 1}', r"must have shape \(3,\)"),
    ],
)
def test_invalid_layer_mix_file_is_named(model_dir, content, message):
    (model_dir / "layer_mix.json").write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        ELMoEmbedder.from_preset(model_dir)
    assert "layer_mix.json" in str(info.value)


def test_unicode_spaces_split_as_in_the_served_graph(embedder):
    # One rule everywhere: ASCII whitespace, as tf.strings.split in the
    # SavedModel and the training data. NBSP / U+3000 stay in the token.
    text = "a\u00a0b c\u3000d"
    vectors = embedder.embed_sentence(text)
    assert vectors.shape[1] == 2
    np.testing.assert_allclose(
        vectors,
        embedder.embed_sentence(["a\u00a0b", "c\u3000d"]),
        atol=1e-6,
    )


def test_output_permissions_follow_the_umask(good_output):
    out, _ = good_output
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_failed_run_leaves_no_temporary_and_cleans_stale_ones(
    embedder, good_output, tmp_path, monkeypatch
):
    out, content = good_output
    stale = tmp_path / ".out.hdf5.tmp-999999999-abc"  # no such pid
    stale.write_bytes(b"left by a killed run")
    live = tmp_path / f".out.hdf5.tmp-{os.getpid()}-def"  # a live writer
    live.write_bytes(b"being written")
    text = tmp_path / "in.txt"
    text.write_text("a\nb\n", encoding="utf-8")

    def fail(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(embedder, "embed_sentences", fail)
    with pytest.raises(RuntimeError, match="out of memory"):
        embedder.embed_file(text, out)
    assert out.read_bytes() == content
    temporaries = sorted(p.name for p in tmp_path.iterdir() if "tmp-" in p.name)
    assert temporaries == [live.name]


def test_bucket_shapes():
    assert [bucket_width(w) for w in (1, 8, 9, 22, 33, 200, 257, 300)] == [
        8,
        8,
        16,
        24,
        40,
        256,
        320,
        320,
    ]
    assert [bucket_rows(r, 64) for r in (1, 2, 3, 5, 33, 64)] == [
        1,
        2,
        4,
        8,
        64,
        64,
    ]
    assert bucket_rows(5, 6) == 6  # capped by the token budget
    assert bucket_rows(7, 4) == 7  # never fewer than the real rows


@pytest.mark.large
def test_compiled_embedder_pads_to_few_shapes_and_matches_eager(model_dir):
    # Sentences of 40 different lengths compile a handful of shapes, and
    # the padding changes no number.
    sentences = [" ".join(["w"] * n) for n in range(40)]
    compiled = ELMoEmbedder.from_preset(
        model_dir, batch_size=4, jit_compile=True
    )
    shapes = set()
    predict = compiled._forward.predict_on_batch

    def recording(ids):
        shapes.add(ids.shape)
        return predict(ids)

    compiled._forward.predict_on_batch = recording
    got = compiled.embed_sentences(sentences)
    assert len(shapes) <= 7, sorted(shapes)
    eager = ELMoEmbedder.from_preset(model_dir, batch_size=4, jit_compile=False)
    assert not eager.jit_compile
    for a, b in zip(got, eager.embed_sentences(sentences)):
        np.testing.assert_allclose(a, b, atol=1e-5)


# === Bad or extreme input (issue 21) ===


def test_invalid_utf8_bytes_name_the_sentence(embedder):
    """`embed_sentences([b"\\xff\\xfe a"], tokenize=True)` raised a bare
    UnicodeDecodeError with no sentence index."""
    with pytest.raises(ValueError, match="Sentence 2 is not valid UTF-8"):
        embedder.embed_sentences([b"a", "b", b"\xff\xfe a"], tokenize=True)


def test_a_sentence_over_the_limit_names_its_line(
    embedder, good_output, tmp_path
):
    from keras_elmo.utils.text_lines import MAX_TOKENS_PER_SENTENCE

    out, content = good_output
    text = tmp_path / "long.txt"
    text.write_text("short\n" + "w " * (MAX_TOKENS_PER_SENTENCE + 1) + "\n")
    with pytest.raises(ValueError, match=r"long\.txt, line 2: 4095 tokens"):
        embedder.embed_file(text, out, chunk_size=1)
    assert out.read_bytes() == content
