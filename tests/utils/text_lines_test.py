import pytest

from keras_elmo.utils.text_lines import MAX_TOKENS_PER_SENTENCE
from keras_elmo.utils.text_lines import check_sentence_length
from keras_elmo.utils.text_lines import decode_line


def test_decode_line_names_file_line_and_column():
    assert decode_line("café".encode(), "c.txt", 1) == "café"
    with pytest.raises(ValueError, match=r"c\.txt, line 7: .* 0xe9 at col"):
        decode_line(b"caf\xe9", "c.txt", 7)


def test_sentence_limit_matches_the_served_request_limit():
    from keras_elmo.export.request_checks import DEFAULT_MAX_TOKENS_PER_REQUEST

    # One sentence and its <S> / </S> fill one default request.
    assert MAX_TOKENS_PER_SENTENCE + 2 == DEFAULT_MAX_TOKENS_PER_REQUEST
    check_sentence_length(MAX_TOKENS_PER_SENTENCE, "c.txt", 1)
    with pytest.raises(ValueError, match=r"c\.txt, line 3: 4095 tokens"):
        check_sentence_length(MAX_TOKENS_PER_SENTENCE + 1, "c.txt", 3)
