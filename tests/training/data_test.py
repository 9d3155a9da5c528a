"""Tests of the biLM pretraining tf.data pipeline."""

import collections

import numpy as np
import pytest
import tensorflow as tf

from keras_elmo.preprocessing.elmo_characters import BOS_CHAR
from keras_elmo.preprocessing.elmo_characters import BOW_CHAR
from keras_elmo.preprocessing.elmo_characters import CHARACTER_ID_OFFSET
from keras_elmo.preprocessing.elmo_characters import EOS_CHAR
from keras_elmo.preprocessing.elmo_characters import EOW_CHAR
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.preprocessing.word_vocabulary import build_vocabulary
from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
from keras_elmo.training.data import NO_TARGET
from keras_elmo.training.data import count_tokens
from keras_elmo.training.data import make_lm_dataset
from keras_elmo.utils.files import list_files
from tests.fixtures.generated import CORPUS_STREAM_TOKENS
from tests.fixtures.generated import generated_corpus_dir

# ids:      0      1       2        3      4      5      6
VOCABULARY = ["<S>", "</S>", "<UNK>", "the", "cat", "sat", "dog"]
S, E, UNK, THE, CAT, SAT, DOG = range(7)


def _write(path, text):
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def _decode_token(char_ids):
    """The token of one row of model character ids (inverse mapping)."""
    raw = [int(i) - CHARACTER_ID_OFFSET for i in char_ids]
    assert raw[0] == BOW_CHAR, raw
    if raw[1] == BOS_CHAR and raw[2] == EOW_CHAR:
        return "<S>"
    if raw[1] == EOS_CHAR and raw[2] == EOW_CHAR:
        return "</S>"
    end = raw.index(EOW_CHAR)
    return bytes(raw[1:end]).decode("utf-8", "surrogateescape")


def _decode(character_ids):
    """[..., chars] character ids -> nested lists of tokens."""
    array = np.asarray(character_ids)
    if array.ndim == 1:
        return _decode_token(array)
    return [_decode(row) for row in array]


def _batches(dataset):
    return [
        (
            inputs["character_ids"],
            targets["next_token_ids"],
            targets["previous_token_ids"],
        )
        for inputs, targets in dataset.as_numpy_iterator()
    ]


def _row_streams(batches):
    """Per row: the tokens, next ids and previous ids of all batches."""
    tokens = np.concatenate([_decode(c) for c, _, _ in batches], axis=1)
    next_ids = np.concatenate([n for _, n, _ in batches], axis=1)
    previous_ids = np.concatenate([p for _, _, p in batches], axis=1)
    return tokens.tolist(), next_ids, previous_ids


def _check_targets_follow_the_stream(tokens, next_ids, previous_ids, vocab):
    """Targets are the neighbours' ids in a contiguous stream (-1 rule)."""
    index = {token: i for i, token in enumerate(vocab)}
    ids = [index.get(token, index["<UNK>"]) for token in tokens]
    for t, token in enumerate(tokens):
        if token == "</S>":
            assert next_ids[t] == NO_TARGET
        elif t + 1 < len(tokens):
            assert next_ids[t] == ids[t + 1], (t, tokens[t : t + 2])
        if token == "<S>":
            assert previous_ids[t] == NO_TARGET
        elif t > 0:
            assert previous_ids[t] == ids[t - 1], (t, tokens[t - 1 : t + 1])


class TestHandCheckedCorpus:
    def test_exact_targets(self, tmp_path):
        corpus = _write(tmp_path / "c.txt", "the cat sat\nthe dog\n")
        dataset = make_lm_dataset(
            corpus, VOCABULARY, batch_size=1, unroll_steps=3, shuffle=False
        )
        batches = _batches(dataset)
        # Stream: <S> the cat sat </S> <S> the dog </S>, windows of 3.
        assert [_decode(c) for c, _, _ in batches] == [
            [["<S>", "the", "cat"]],
            [["sat", "</S>", "<S>"]],
            [["the", "dog", "</S>"]],
        ]
        # The last target of a window is the first token of the next one.
        assert [n.tolist() for _, n, _ in batches] == [
            [[THE, CAT, SAT]],
            [[E, -1, THE]],
            [[DOG, E, -1]],
        ]
        assert [p.tolist() for _, _, p in batches] == [
            [[-1, S, THE]],
            [[CAT, SAT, -1]],
            [[S, THE, DOG]],
        ]
        np.testing.assert_array_equal(
            batches[0][0],
            batch_to_char_ids(
                [["<S>", "the", "cat"]], add_sentence_markers=False
            ),
        )

    def test_batches_of_several_rows(self, tmp_path):
        corpus = _write(tmp_path / "c.txt", "the cat sat\nthe dog\n\n  \n")
        dataset = make_lm_dataset(
            corpus, VOCABULARY, batch_size=2, unroll_steps=4, shuffle=False
        )
        (batch,) = _batches(dataset)  # 9 tokens: one batch of 2 x 4
        character_ids, next_ids, previous_ids = batch
        assert _decode(character_ids) == [
            ["<S>", "the", "cat", "sat"],
            ["</S>", "<S>", "the", "dog"],
        ]
        assert next_ids.tolist() == [[THE, CAT, SAT, E], [-1, THE, DOG, E]]
        assert previous_ids.tolist() == [[-1, S, THE, CAT], [SAT, -1, S, THE]]

    def test_oov_tokens(self, tmp_path):
        corpus = _write(tmp_path / "c.txt", "the bird sat\n")
        dataset = make_lm_dataset(
            corpus, VOCABULARY, batch_size=1, unroll_steps=5, shuffle=False
        )
        ((character_ids, next_ids, previous_ids),) = _batches(dataset)
        # "bird" keeps its characters, but its id is <UNK>.
        assert _decode(character_ids) == [["<S>", "the", "bird", "sat", "</S>"]]
        assert next_ids.tolist() == [[THE, UNK, SAT, E, -1]]
        assert previous_ids.tolist() == [[-1, S, THE, UNK, SAT]]

    def test_a_non_utf8_corpus_is_refused_naming_file_and_line(self, tmp_path):
        # Training text must be UTF-8 (issue 21): a Latin-1 byte is an error
        # naming the file, line and column, not a vocabulary of bad bytes.
        corpus = _write(tmp_path / "c.txt", b"the cat\ncaf\xe9 na\xc3\xafve\n")
        with pytest.raises(
            ValueError, match=r"c\.txt, line 2: not valid UTF-8"
        ):
            build_vocabulary(corpus)

    def test_static_shapes_and_dtypes(self, tmp_path):
        corpus = _write(tmp_path / "c.txt", "the cat sat\n" * 10)
        for row_continuity in (False, True):
            dataset = make_lm_dataset(
                corpus,
                VOCABULARY,
                batch_size=3,
                unroll_steps=4,
                max_characters_per_token=7,
                row_continuity=row_continuity,
                seed=0,
            )
            inputs, targets = dataset.element_spec
            assert inputs == {
                "character_ids": tf.TensorSpec([3, 4, 7], tf.int32)
            }
            assert targets == {
                "next_token_ids": tf.TensorSpec([3, 4], tf.int32),
                "previous_token_ids": tf.TensorSpec([3, 4], tf.int32),
            }
            for inputs, _ in dataset:
                assert inputs["character_ids"].shape == (3, 4, 7)

    def test_minus_one_marks_exactly_the_sentence_edges(self, tmp_path):
        corpus = _write(
            tmp_path / "c.txt", "the cat\nsat\nthe dog sat the cat\ndog\n" * 3
        )
        dataset = make_lm_dataset(
            corpus, VOCABULARY, batch_size=2, unroll_steps=3, seed=1
        )
        for character_ids, next_ids, previous_ids in _batches(dataset):
            tokens = np.array(_decode(character_ids))
            np.testing.assert_array_equal(next_ids == -1, tokens == "</S>")
            np.testing.assert_array_equal(previous_ids == -1, tokens == "<S>")
            assert (next_ids >= -1).all() and (previous_ids >= -1).all()


class TestShardsShuffleAndRepeat:
    @pytest.fixture
    def shards(self, tmp_path):
        # 3 shards of 4 sentences of 4 tokens: 48 tokens = 4 batches of 12.
        for shard in range(3):
            lines = [f"s{shard}l{line} w" for line in range(4)]
            _write(tmp_path / f"train-{shard}.txt", "\n".join(lines) + "\n")
        _write(tmp_path / "other.txt", "not part of the corpus\n")
        return str(tmp_path / "train-*.txt")

    def _tokens(self, dataset):
        return [_decode(c) for c, _, _ in _batches(dataset)]

    def test_glob_reads_every_shard_in_order(self, shards):
        dataset = make_lm_dataset(
            shards, VOCABULARY, batch_size=3, unroll_steps=4, shuffle=False
        )
        tokens = [t for b in self._tokens(dataset) for row in b for t in row]
        expected = []
        for shard in range(3):
            for line in range(4):
                expected += ["<S>", f"s{shard}l{line}", "w", "</S>"]
        assert tokens == expected
        assert count_tokens(shards) == 48

    def test_shuffle_is_deterministic_for_a_seed(self, shards):
        def make(seed):
            return make_lm_dataset(
                shards,
                VOCABULARY,
                batch_size=3,
                unroll_steps=4,
                seed=seed,
                shuffle_buffer_size=100,
            )

        first = _batches(make(7))
        second = _batches(make(7))
        other = _batches(make(8))
        for a, b in zip(first, second):
            for x, y in zip(a, b):
                np.testing.assert_array_equal(x, y)
        unshuffled = self._tokens(
            make_lm_dataset(
                shards, VOCABULARY, batch_size=3, unroll_steps=4, shuffle=False
            )
        )
        shuffled = [_decode(c) for c, _, _ in first]
        assert shuffled != unshuffled
        assert shuffled != [_decode(c) for c, _, _ in other]
        # Same tokens, other order (nothing lost: 48 = 4 * 3 * 4).
        flat = np.array(shuffled).ravel()
        assert sorted(flat) == sorted(np.array(unshuffled).ravel())

    def test_repeat(self, shards):
        dataset = make_lm_dataset(
            shards, VOCABULARY, batch_size=3, unroll_steps=4, repeat=True
        )
        assert dataset.cardinality() == tf.data.INFINITE_CARDINALITY
        assert len(list(dataset.take(9))) == 9  # more than one pass

    def test_vocabulary_file(self, shards, tmp_path):
        path = _write(tmp_path / "vocab.txt", "\n".join(VOCABULARY) + "\n")
        from_file = _batches(
            make_lm_dataset(shards, path, batch_size=3, shuffle=False)
        )
        from_list = _batches(
            make_lm_dataset(shards, VOCABULARY, batch_size=3, shuffle=False)
        )
        for a, b in zip(from_file, from_list):
            for x, y in zip(a, b):
                np.testing.assert_array_equal(x, y)


class TestRowContinuity:
    def test_exact_rows(self, tmp_path):
        corpus = _write(tmp_path / "c.txt", "a b c d e\nf\ng h\ni\n")
        vocabulary = VOCABULARY[:3] + list("abcdefghi")
        dataset = make_lm_dataset(
            corpus,
            vocabulary,
            batch_size=2,
            unroll_steps=3,
            shuffle=False,
            row_continuity=True,
        )
        batches = _batches(dataset)
        # Group 1 (a b c d e | f): the longer sentence goes to row 0.
        # Group 2 (g h | i): row 1 has fewer pending tokens and gets the
        # longer "g h". Tokens that fill no whole batch are dropped.
        assert [_decode(c) for c, _, _ in batches] == [
            [["<S>", "a", "b"], ["<S>", "f", "</S>"]],
            [["c", "d", "e"], ["<S>", "g", "h"]],
        ]
        a, b, c, d, e, f, g, h = range(3, 11)
        assert [n.tolist() for _, n, _ in batches] == [
            [[a, b, c], [f, E, -1]],
            [[d, e, E], [g, h, E]],
        ]
        assert [p.tolist() for _, _, p in batches] == [
            [[-1, S, a], [-1, S, f]],
            [[b, c, d], [-1, S, g]],
        ]

    def test_rows_are_continuous_sentence_streams(self, tmp_path):
        rng = np.random.default_rng(0)
        words = VOCABULARY[3:] + ["bird", "fish"]
        lines = [
            " ".join(rng.choice(words, size=rng.integers(1, 9)))
            for _ in range(60)
        ]
        corpus = _write(tmp_path / "c.txt", "\n".join(lines) + "\n")
        dataset = make_lm_dataset(
            corpus,
            VOCABULARY,
            batch_size=4,
            unroll_steps=5,
            row_continuity=True,
            seed=3,
        )
        batches = _batches(dataset)
        assert len(batches) >= 0.8 * count_tokens(corpus) / 20
        tokens, next_ids, previous_ids = _row_streams(batches)
        used = []
        for row in range(4):
            _check_targets_follow_the_stream(
                tokens[row], next_ids[row], previous_ids[row], VOCABULARY
            )
            # A row is whole sentences, one after the other; only its last
            # sentence may be cut by the end of the data.
            text = " ".join(tokens[row])
            assert text.startswith("<S> ")
            sentences = text.split("</S>")
            for sentence in sentences[:-1]:
                assert sentence.strip().startswith("<S> ")
                used.append(sentence.replace("<S>", "").strip())
        # Every sentence is used at most once.
        overused = collections.Counter(used) - collections.Counter(lines)
        assert not overused

    @pytest.mark.large
    def test_repeat_and_determinism(self, tmp_path):
        corpus = _write(tmp_path / "c.txt", "the cat sat\nthe dog\nsat\n")

        def make():
            return make_lm_dataset(
                corpus,
                VOCABULARY,
                batch_size=2,
                unroll_steps=3,
                row_continuity=True,
                repeat=True,
                seed=5,
            )

        first = _batches(make().take(12))
        second = _batches(make().take(12))
        assert len(first) == 12
        for a, b in zip(first, second):
            for x, y in zip(a, b):
                np.testing.assert_array_equal(x, y)
        tokens, next_ids, previous_ids = _row_streams(first)
        for row in range(2):
            _check_targets_follow_the_stream(
                tokens[row], next_ids[row], previous_ids[row], VOCABULARY
            )


class TestGeneratedTrainingCorpus:
    @pytest.fixture
    def train(self):
        return generated_corpus_dir()

    @pytest.mark.parametrize("row_continuity", [False, True])
    def test_fixture_corpus(self, train, row_continuity):
        vocabulary = load_vocabulary(train / "vocab.txt")
        dataset = make_lm_dataset(
            train / "data.txt",
            train / "vocab.txt",
            batch_size=2,
            unroll_steps=7,
            shuffle=False,
            row_continuity=row_continuity,
        )
        batches = _batches(dataset)
        total = count_tokens(train / "data.txt")
        with open(train / "data.txt", encoding="utf-8") as f:
            lines = [line.split() for line in f if line.strip()]
        assert total == sum(len(words) + 2 for words in lines)
        assert total == CORPUS_STREAM_TOKENS
        if row_continuity:
            assert 0 < len(batches) <= total // 14
        else:
            assert len(batches) == total // 14
        if row_continuity:
            # Row r of every batch continues row r of the previous one.
            streams = zip(*_row_streams(batches))
        else:
            # Unshuffled, batch n row r is window n * batch_size + r: the
            # stream is the batches read row after row.
            streams = [
                (
                    [
                        t
                        for c, _, _ in batches
                        for row in _decode(c)
                        for t in row
                    ],
                    np.concatenate([n.ravel() for _, n, _ in batches]),
                    np.concatenate([p.ravel() for _, _, p in batches]),
                )
            ]
        expected = [t for words in lines for t in ["<S>", *words, "</S>"]]
        unk_targets = 0
        for tokens, next_ids, previous_ids in streams:
            _check_targets_follow_the_stream(
                tokens, next_ids, previous_ids, vocabulary
            )
            unk_targets += int(np.sum(next_ids == 2))
            if not row_continuity:
                assert tokens == expected[: len(tokens)]
        # The corpus vocabulary keeps only words seen twice: some targets
        # are <UNK>.
        assert unk_targets > 0


class TestErrors:
    def test_missing_files(self, tmp_path):
        with pytest.raises(FileNotFoundError, match="No file matches"):
            make_lm_dataset(str(tmp_path / "*.txt"), VOCABULARY, batch_size=2)
        with pytest.raises(FileNotFoundError, match="No such file"):
            count_tokens(tmp_path / "missing.txt")
        with pytest.raises(ValueError, match="empty"):
            list_files([])

    @pytest.mark.parametrize("repeat", [False, True])
    def test_corpus_without_tokens(self, tmp_path, repeat):
        corpus = _write(tmp_path / "c.txt", "\n  \n\t\n")
        with pytest.raises(ValueError, match="hold no token"):
            make_lm_dataset(corpus, VOCABULARY, batch_size=2, repeat=repeat)

    def test_bad_vocabulary(self, tmp_path):
        corpus = _write(tmp_path / "c.txt", "a\n")
        with pytest.raises(ValueError, match="<UNK>"):
            make_lm_dataset(corpus, ["<S>", "</S>", "a"], batch_size=2)
        with pytest.raises(FileNotFoundError, match="vocabulary file"):
            make_lm_dataset(corpus, tmp_path / "nope.txt", batch_size=2)

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"batch_size": 0}, "batch_size"),
            ({"batch_size": 2, "unroll_steps": 0}, "unroll_steps"),
            ({"batch_size": 2.0}, "batch_size"),
            ({"batch_size": 2, "max_characters_per_token": 2}, "at least 3"),
            ({"batch_size": 2, "seed": "1"}, "seed"),
            ({"batch_size": 2, "shuffle_buffer_size": 0}, "shuffle_buffer"),
        ],
    )
    def test_bad_arguments(self, tmp_path, kwargs, message):
        corpus = _write(tmp_path / "c.txt", "a\n")
        with pytest.raises(ValueError, match=message):
            make_lm_dataset(corpus, VOCABULARY, **kwargs)
