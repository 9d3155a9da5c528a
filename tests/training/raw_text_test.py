"""Tests of `tokenize_text_files`: raw text to the pretraining format."""

import pytest

from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from keras_elmo.training.raw_text import tokenize_text_files


def test_lines_become_tokenized_sentences(tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_bytes(
        "\ufeff고양이가 매트에 앉았다. 개는 짖었다!\n\n"
        "The cat sat on the mat.\n".encode("utf-8")
    )
    out = tmp_path / "corpus" / "train.txt"
    counts = tokenize_text_files(str(raw), str(out), split_sentences=True)
    assert out.read_text(encoding="utf-8").splitlines() == [
        "고양이가 매트에 앉았다 .",
        "개는 짖었다 !",
        "The cat sat on the mat .",
    ]
    assert counts == {"lines": 3, "sentences": 3, "tokens": 14}


def test_one_sentence_a_line_and_min_tokens(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("ELMo는 좋다. 정말.\n", encoding="utf-8")
    second.write_text("짧다\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    counts = tokenize_text_files(
        str(tmp_path / "*.txt"),
        str(out),
        tokenizer=TextTokenizer(split_hangul_boundaries=True),
        min_tokens=2,
    )
    # Without split_sentences a line is one sentence; "짧다" is too short.
    assert out.read_text(encoding="utf-8") == "ELMo 는 좋다 . 정말 .\n"
    assert counts == {"lines": 2, "sentences": 1, "tokens": 6}


def test_bad_input_names_file_and_line_and_writes_nothing(tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_bytes("좋다\n".encode() + b"\xff\xfe bad\n")
    out = tmp_path / "out.txt"
    with pytest.raises(ValueError, match=r"raw.txt: line 2 is not valid UTF-8"):
        tokenize_text_files(str(raw), str(out))
    with pytest.raises(FileNotFoundError):
        tokenize_text_files(str(tmp_path / "missing.txt"), str(out))
    with pytest.raises(TypeError, match="TextTokenizer"):
        tokenize_text_files(str(raw), str(out), tokenizer="NFC")
    assert list(tmp_path.iterdir()) == [raw]


@pytest.mark.parametrize("split_sentences", [False, True])
def test_a_sentence_over_the_limit_names_its_line(tmp_path, split_sentences):
    from keras_elmo.utils.text_lines import MAX_TOKENS_PER_SENTENCE

    raw = tmp_path / "raw.txt"
    raw.write_text("Fine.\n" + "w " * (MAX_TOKENS_PER_SENTENCE + 1) + "\n")
    output = tmp_path / "out.txt"
    with pytest.raises(ValueError, match=r"raw\.txt, line 2: 4095 tokens"):
        tokenize_text_files(raw, output, split_sentences=split_sentences)
    assert not output.exists()
