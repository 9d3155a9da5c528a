import pytest

from keras_elmo.preprocessing import moses_rules
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from tools import text_processing as tp


def test_the_corpus_is_tokenized_by_the_packaged_rules():
    # One implementation: the shipped preset's TextTokenizer(mode="moses")
    # runs the very functions that built the corpus.
    assert tp.normalize_text is moses_rules.normalize_text
    assert tp.split_sentences is moses_rules.split_sentences
    assert tp.tokenize is moses_rules.tokenize
    paragraph = "Mr. Smith said it's well-known. He left."
    assert list(tp.text_to_sentences([paragraph])) == TextTokenizer(
        mode="moses"
    ).split_sentences(paragraph)


def test_headings_and_paragraphs():
    assert tp.is_heading("VOLUME II")
    assert tp.is_heading("Chapter 12.")
    assert not tp.is_heading("Chapter one began badly.")
    lines = ["  It is a", "truth.", "", "", "Next", ""]
    assert tp.paragraphs_from_lines(lines) == ["It is a truth.", "Next"]


def test_text_to_sentences_filters():
    paragraphs = ["CHAPTER I", "Yes. She smiled at him. 1 2 3 4.", ""]
    result = list(tp.text_to_sentences(paragraphs, min_tokens=3))
    assert result == [["She", "smiled", "at", "him", "."]]
    assert list(tp.text_to_sentences(["A b c d e."], max_tokens=4)) == []
    with pytest.raises(ValueError, match="min_tokens"):
        list(tp.text_to_sentences(["x"], min_tokens=5, max_tokens=2))


def test_overlap_key():
    assert tp.overlap_key("It 's fine .") == tp.overlap_key("it's fine")
    assert tp.overlap_key("do n't") == tp.overlap_key("don 't")


def test_shuffle_and_split_is_deterministic():
    items = list(range(100))
    train, heldout = tp.shuffle_and_split(items, 0.01, seed=7)
    assert len(heldout) == 1 and len(train) == 99
    assert sorted(train + heldout) == items
    assert tp.shuffle_and_split(items, 0.01, seed=7) == (train, heldout)
    assert tp.shuffle_and_split(items, 0.01, seed=8) != (train, heldout)
    assert tp.shuffle_and_split(items, 0.0, seed=7)[1] == []
    with pytest.raises(ValueError, match="heldout_fraction"):
        tp.shuffle_and_split(items, 1.0, seed=0)


def test_split_three_ways():
    parts = tp.split_three_ways(list(range(20)), 0.1, 0.2, seed=3)
    assert [len(parts[k]) for k in ("train", "dev", "test")] == [14, 2, 4]
    assert sorted(sum(parts.values(), [])) == list(range(20))
    assert parts == tp.split_three_ways(list(range(20)), 0.1, 0.2, seed=3)
    with pytest.raises(ValueError, match="< 1"):
        tp.split_three_ways([1], 0.5, 0.5, seed=0)
    with pytest.raises(ValueError, match=">= 0"):
        tp.split_three_ways([1], -0.1, 0.5, seed=0)


def test_file_sha256(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"abc")
    assert tp.file_sha256(path) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
