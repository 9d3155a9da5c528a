"""Tests of vocabulary building and loading (bilm-tf file format)."""

import collections
import os

import pytest

from keras_elmo.preprocessing.word_vocabulary import build_vocabulary
from keras_elmo.preprocessing.word_vocabulary import iter_sentences
from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
from keras_elmo.preprocessing.word_vocabulary import save_vocabulary
from keras_elmo.preprocessing.word_vocabulary import validate_vocabulary
from keras_elmo.utils.files import list_files
from tests.test_case import shared_fixtures_dir

SPECIALS = ["<S>", "</S>", "<UNK>"]


def _write(path, text):
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    path.write_bytes(data)
    return path


def test_counts_ties_and_specials(tmp_path):
    # counts: b=3, a=2, c=2, d=1; a occurs before c, so a ranks first.
    corpus = _write(tmp_path / "corpus.txt", "a b\n  b c\td \n\nc b a\n")
    assert build_vocabulary(corpus) == SPECIALS + ["b", "a", "c", "d"]


def test_ties_follow_first_occurrence_across_files(tmp_path):
    _write(tmp_path / "part-1.txt", "z y\n")
    _write(tmp_path / "part-0.txt", "x z\n")
    # Sorted files: part-0 then part-1; z=2 first, then x, y (first seen).
    vocabulary = build_vocabulary(str(tmp_path / "part-*.txt"))
    assert vocabulary == SPECIALS + ["z", "x", "y"]
    # An explicit list keeps its order.
    vocabulary = build_vocabulary(
        [tmp_path / "part-1.txt", tmp_path / "part-0.txt"]
    )
    assert vocabulary == SPECIALS + ["z", "y", "x"]


def test_special_tokens_in_text_are_not_repeated(tmp_path):
    corpus = _write(tmp_path / "c.txt", "<S> a </S> <UNK> a\n")
    assert build_vocabulary(corpus) == SPECIALS + ["a"]


def test_min_count_and_max_size(tmp_path):
    corpus = _write(tmp_path / "c.txt", "a a a b b c\n")
    assert build_vocabulary(corpus, min_count=2) == SPECIALS + ["a", "b"]
    assert build_vocabulary(corpus, max_size=4) == SPECIALS + ["a"]
    assert build_vocabulary(corpus, max_size=3) == SPECIALS


def test_writes_the_original_format_atomically(tmp_path):
    corpus = _write(tmp_path / "c.txt", "hello world hello\n")
    output = tmp_path / "out" / "vocab.txt"
    vocabulary = build_vocabulary(corpus, output_path=output)
    assert output.read_text() == "<S>\n</S>\n<UNK>\nhello\nworld\n"
    assert load_vocabulary(output) == vocabulary
    # Only the vocabulary is left in the directory (no temporary file).
    assert os.listdir(output.parent) == ["vocab.txt"]
    # Rewriting replaces the file.
    build_vocabulary(corpus, output_path=output, max_size=4)
    assert output.read_text() == "<S>\n</S>\n<UNK>\nhello\n"


def test_failed_write_leaves_the_old_file(tmp_path):
    output = _write(tmp_path / "vocab.txt", "<S>\n</S>\n<UNK>\nold\n")
    with pytest.raises(ValueError, match="lacks the special token"):
        save_vocabulary(["only"], output)
    assert output.read_text() == "<S>\n</S>\n<UNK>\nold\n"
    assert os.listdir(tmp_path) == ["vocab.txt"]


def test_non_utf8_text_is_refused_naming_file_and_line(tmp_path):
    """Latin-1 or binary text once went into the vocabulary as `caf\\351`
    (issue 21); `tokenize` and `embed` refused the same files."""
    corpus = _write(tmp_path / "c.txt", b"ok line\ncaf\xe9 na\xc3\xafve\n")
    output = tmp_path / "vocab.txt"
    with pytest.raises(ValueError, match=r"c\.txt, line 2: not valid UTF-8"):
        build_vocabulary(corpus, output_path=output)
    assert not output.exists()
    with pytest.raises(ValueError, match="line 2"):
        list(iter_sentences(corpus))


def test_non_utf8_vocabulary_file_tokens_round_trip(tmp_path):
    """A vocabulary file (not text) keeps its bytes: lookup-table ids."""
    path = _write(tmp_path / "vocab.txt", b"<S>\n</S>\n<UNK>\ncaf\xe9\n")
    vocabulary = load_vocabulary(path)
    assert vocabulary[3] == "caf\udce9"
    save_vocabulary(vocabulary, tmp_path / "copy.txt")
    assert (tmp_path / "copy.txt").read_bytes() == path.read_bytes()


def test_sentence_over_the_token_limit_is_refused(tmp_path):
    corpus = _write(tmp_path / "c.txt", "a\n" + "w " * 4095 + "\n")
    with pytest.raises(ValueError, match=r"c\.txt, line 2: 4095 tokens"):
        build_vocabulary(corpus)
    _write(tmp_path / "ok.txt", "w " * 4094 + "\n")
    assert build_vocabulary(tmp_path / "ok.txt") == SPECIALS + ["w"]


def test_progress_bar(tmp_path, capsys):
    corpus = _write(tmp_path / "c.txt", "a b\n" * 20_001)
    vocabulary = build_vocabulary(corpus, progress=True)
    assert vocabulary == SPECIALS + ["a", "b"]
    assert "Counting tokens" in capsys.readouterr().err


def test_streams_line_by_line(tmp_path, monkeypatch):
    """The files are iterated, never read whole."""
    import builtins

    corpus = _write(tmp_path / "c.txt", "a b\nb\n")
    real_open = builtins.open

    class NoWholeRead:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *args):
            self.handle.close()

        def __iter__(self):
            return iter(self.handle)

        def read(self, *args):
            raise AssertionError("the whole file was read")

        readlines = read

    def guarded_open(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        return NoWholeRead(handle) if os.fspath(path) == str(corpus) else handle

    monkeypatch.setattr(builtins, "open", guarded_open)
    assert build_vocabulary(corpus) == SPECIALS + ["b", "a"]


def test_matches_the_bilm_tf_training_vocabulary():
    train = shared_fixtures_dir() / "train"
    reference = load_vocabulary(train / "vocab.txt")
    vocabulary = build_vocabulary(train / "data.txt", min_count=2)
    # Same tokens; the original ordered equal counts arbitrarily.
    assert vocabulary[:3] == reference[:3] == SPECIALS
    assert sorted(vocabulary) == sorted(reference)
    with open(train / "data.txt") as f:
        counts = collections.Counter(f.read().split())
    ranked = [counts[token] for token in vocabulary[3:]]
    assert ranked == sorted(ranked, reverse=True)
    assert [counts[t] for t in reference[3:]] == ranked


def test_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such file"):
        build_vocabulary(tmp_path / "missing.txt")
    with pytest.raises(FileNotFoundError, match="No file matches"):
        build_vocabulary(str(tmp_path / "*.txt"))
    with pytest.raises(FileNotFoundError, match="is a directory"):
        build_vocabulary(tmp_path)
    with pytest.raises(ValueError, match="empty"):
        build_vocabulary([])


def test_argument_errors(tmp_path):
    corpus = _write(tmp_path / "c.txt", "a\n")
    with pytest.raises(ValueError, match="min_count"):
        build_vocabulary(corpus, min_count=0)
    with pytest.raises(TypeError, match="min_count"):
        build_vocabulary(corpus, min_count=1.5)
    with pytest.raises(ValueError, match="at least 3"):
        build_vocabulary(corpus, max_size=2)
    with pytest.raises(TypeError, match="max_size"):
        build_vocabulary(corpus, max_size="10")


def test_files_are_deduped_and_sorted(tmp_path):
    for name in ("b.txt", "a.txt"):
        _write(tmp_path / name, "x\n")
    pattern = str(tmp_path / "*.txt")
    paths = list_files([pattern, tmp_path / "a.txt"])
    assert paths == [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]


def test_load_the_original_vocabulary_file():
    vocabulary = load_vocabulary(shared_fixtures_dir() / "train" / "vocab.txt")
    assert vocabulary[:5] == SPECIALS + ["of", "the"]
    assert len(vocabulary) == 32


def test_load_checks_presence_not_order(tmp_path):
    path = _write(tmp_path / "v.txt", "the\n<UNK>\n</S>\n<S>\n")
    assert load_vocabulary(path) == ["the", "<UNK>", "</S>", "<S>"]


def test_load_skips_max_term_id_and_trailing_blank_lines(tmp_path):
    text = "<S>\n</S>\n!!!MAXTERMID\n<UNK>\r\n  a  \n\n\n"
    path = _write(tmp_path / "v.txt", text)
    assert load_vocabulary(path) == SPECIALS + ["a"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("<S>\n</S>\na\n", r"lacks the special token\(s\) <UNK>"),
        ("a\nb\n", "lacks the special token.*<S>, </S>, <UNK>"),
        ("<S>\n</S>\n<UNK>\na\na\n", "'a' appears twice"),
        ("<S>\n</S>\n\n<UNK>\n", "line 3 is blank"),
        ("", "lacks the special token"),
    ],
)
def test_load_errors_name_the_file(tmp_path, text, message):
    path = _write(tmp_path / "bad_vocab.txt", text)
    with pytest.raises(ValueError, match=message) as info:
        load_vocabulary(path)
    assert "bad_vocab.txt" in str(info.value)


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        load_vocabulary(tmp_path / "nope.txt")


def test_validate_vocabulary():
    assert validate_vocabulary(SPECIALS + [b"caf\xe9"])[-1] == "caf\udce9"
    with pytest.raises(TypeError, match="not a single string"):
        validate_vocabulary("vocab.txt")
    with pytest.raises(TypeError, match="token 3 must be str or bytes"):
        validate_vocabulary(SPECIALS + [3])
    with pytest.raises(ValueError, match="contains whitespace"):
        validate_vocabulary(SPECIALS + ["a b"])
    with pytest.raises(ValueError, match="is empty"):
        validate_vocabulary(SPECIALS + [""])
