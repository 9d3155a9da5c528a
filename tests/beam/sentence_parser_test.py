import pytest

pytest.importorskip("apache_beam")

from keras_elmo.beam.corpus_lines import CorpusLine  # noqa: E402
from keras_elmo.beam.sentence_parser import BadLine  # noqa: E402
from keras_elmo.beam.sentence_parser import ParseSentences  # noqa: E402
from keras_elmo.beam.sentence_parser import Sentence  # noqa: E402
from keras_elmo.beam.sentence_parser import sentence_positions  # noqa: E402
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer  # noqa: E402


def _parse(raw, text_tokenizer=None, bound=4):
    outputs = list(
        ParseSentences(text_tokenizer, bound).process(
            CorpusLine("a.txt", 7, raw)
        )
    )
    assert len(outputs) == 1
    output = outputs[0]
    return getattr(output, "value", output)  # a TaggedOutput's value


@pytest.mark.parametrize(
    "raw, expected",
    [
        (b"The cat sat .", ("The", "cat", "sat", ".")),
        # ASCII whitespace only, as `keras-elmo embed`.
        ("a\u00a0b c".encode(), ("a\u00a0b", "c")),
    ],
)
def test_whitespace_tokens(raw, expected):
    assert _parse(raw) == Sentence("a.txt", 7, expected)


def test_text_tokenizer():
    sentence = _parse(b"The cat sat.", TextTokenizer())
    assert sentence.tokens == ("The", "cat", "sat", ".")
    assert sentence.key == ("a.txt", 7)
    assert sentence_positions(sentence) == 6


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"ok \xff no", "not valid UTF-8 (byte 0xff at column 4)"),
        (b" \t ", "empty after tokenization"),
        (b"", "empty after tokenization"),
        (b"a b c d e", "5 tokens, over the bound of 4 (max_sentence_tokens)"),
    ],
)
def test_bad_lines_go_to_the_dead_letter(raw, reason):
    bad = _parse(raw)
    assert isinstance(bad, BadLine)
    assert (bad.source, bad.line, bad.reason) == ("a.txt", 7, reason)
    assert bad.text == raw.decode("utf-8", errors="replace")
    assert set(bad.to_dict()) == {"source", "line", "reason", "text"}
