import pytest

from scripts import text_processing as tp


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("Hello, world!", "Hello , world !"),
        ("It's the U.S. economy.", "It 's the U.S. economy ."),
        ("I don't know.", "I don 't know ."),
        ("The 1990's and 1,000 men.", "The 1990 's and 1,000 men ."),
        ("A well-known (sic) fact: yes", "A well-known ( sic ) fact : yes"),
        ('He said "no" -- twice...', 'He said " no " -- twice ...'),
        ("Mr. Smith met Dr. Jones.", "Mr. Smith met Dr. Jones ."),
        ("See No. 5 and no.", "See No. 5 and no ."),
        ("the boys' toys", "the boys ' toys"),
        ("Cost $5.50, 10% off.", "Cost $ 5.50 , 10 % off ."),
        ("e.g. this", "e.g. this"),
        ("-5 degrees", "- 5 degrees"),
    ],
)
def test_tokenize(sentence, expected):
    assert " ".join(tp.tokenize(tp.normalize_text(sentence))) == expected


def test_normalize_text():
    text = "\ufeff\u201cHi\u201d\u2014she\u2019s _very_ tired\u2026\u00a0 ok"
    assert tp.normalize_text(text) == '"Hi" -- she\'s very tired... ok'
    with pytest.raises(TypeError):
        tp.normalize_text(b"bytes")


@pytest.mark.parametrize(
    "paragraph, expected",
    [
        (
            "Mr. Smith came. He left! Did he? Yes.",
            ["Mr. Smith came.", "He left!", "Did he?", "Yes."],
        ),
        ('"Stop!" She ran. 3 men.', ['"Stop!"', "She ran.", "3 men."]),
        ("John F. Kennedy spoke.", ["John F. Kennedy spoke."]),
        ("in the U.S. Army now", ["in the U.S. Army now"]),
        ('"Why?" he asked.', ['"Why?" he asked.']),
        ("He said (really.) Then went.", ["He said (really.)", "Then went."]),
        ("No final stop", ["No final stop"]),
    ],
)
def test_split_sentences(paragraph, expected):
    assert tp.split_sentences(paragraph) == expected


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
