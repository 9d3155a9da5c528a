"""The NumPy pretraining pipeline: determinism and exact resume (no TF)."""

import json

import numpy as np
import pytest

from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.training.pydataset import CharacterIds
from keras_elmo.training.pydataset import count_tokens
from keras_elmo.training.pydataset import make_lm_pydataset

VOCABULARY = ["<S>", "</S>", "<UNK>", "the", "cat", "sat", "dog", "on"]
WORDS = ["the", "cat", "sat", "dog", "on", "a", "mat", "café"]


def write_corpus(directory, files=3, lines=40, seed=0):
    """Shards of random sentences (1-12 words, some blank lines, OOV)."""
    rng = np.random.default_rng(seed)
    paths = []
    for f in range(files):
        text = []
        for _ in range(lines):
            if rng.random() < 0.1:
                text.append("  ")
                continue
            length = int(rng.integers(1, 13))
            text.append(" ".join(rng.choice(WORDS, length)))
        path = directory / f"shard-{f}.txt"
        path.write_text("\n".join(text) + "\n", encoding="utf-8")
        paths.append(path)
    return str(directory / "shard-*.txt")


def batches_equal(a, b):
    (xa, ya), (xb, yb) = a, b
    return (
        np.array_equal(xa["character_ids"], xb["character_ids"])
        and np.array_equal(ya["next_token_ids"], yb["next_token_ids"])
        and np.array_equal(ya["previous_token_ids"], yb["previous_token_ids"])
    )


SETTINGS = [
    {"row_continuity": False, "shuffle": False},
    {"row_continuity": False, "shuffle": True},
    {"row_continuity": True, "shuffle": False},
    {"row_continuity": True, "shuffle": True},
]


def make(pattern, **kwargs):
    values = dict(
        batch_size=3,
        unroll_steps=5,
        seed=7,
        repeat=True,
        shuffle_buffer_size=16,
    )
    values.update(kwargs)
    return make_lm_pydataset(pattern, VOCABULARY, **values)


@pytest.mark.parametrize("settings", SETTINGS)
def test_same_seed_same_batches_and_exact_resume(tmp_path, settings):
    pattern = write_corpus(tmp_path)
    reference = make(pattern, **settings)
    # 100 batches of 15 tokens: past the end of the ~1,100-token corpus.
    expected = [reference[i] for i in range(100)]
    again = make(pattern, **settings)
    assert all(batches_equal(again[i], expected[i]) for i in range(100))
    for stop in (1, 13, 37, 81):
        first = make(pattern, **settings)
        for i in range(stop):
            first[i]
        # The position survives JSON (it is saved in checkpoints).
        state = json.loads(json.dumps(first.state()))
        resumed = make(pattern, **settings)
        resumed.restore(state)
        for i in range(100 - stop):
            assert batches_equal(resumed[i], expected[stop + i]), (stop, i)
    if settings["shuffle"]:
        other = make(pattern, seed=8, **settings)
        assert not all(batches_equal(other[i], expected[i]) for i in range(5))


def test_position_of_consumed_batches_when_read_ahead(tmp_path):
    # Keras may read a batch ahead of the step (JAX on an accelerator):
    # the position after `consumed` batches is still known.
    pattern = write_corpus(tmp_path)
    data = make(pattern)
    expected = [data[i] for i in range(12)]
    data = make(pattern)
    for i in range(10):
        data[i]
    state = data.state(consumed=8)
    resumed = make(pattern)
    resumed.restore(state)
    for i in range(4):
        assert batches_equal(resumed[i], expected[8 + i])
    with pytest.raises(ValueError, match="No position kept for batch 2"):
        data.state(consumed=2)
    # Keras reads the last batches again after a reset: cached.
    assert batches_equal(data[9], expected[9])
    with pytest.raises(IndexError, match="in order"):
        data[1]


def test_a_finite_dataset_starts_over(tmp_path):
    pattern = write_corpus(tmp_path, files=1)
    data = make(pattern, repeat=False, shuffle=False)
    total = count_tokens(pattern) // (3 * 5)
    assert data.num_batches == total
    first = list(data)
    assert len(first) == total
    assert all(batches_equal(a, b) for a, b in zip(list(data), first))
    capped = make(pattern, repeat=False, shuffle=False, num_batches=2)
    assert len(list(capped)) == 2


def test_restore_checks_the_arguments(tmp_path):
    pattern = write_corpus(tmp_path)
    state = make(pattern).state()
    with pytest.raises(ValueError, match="another batch size"):
        make(pattern, batch_size=4).restore(state)
    one = tmp_path / "shard-0.txt"
    with pytest.raises(ValueError, match="other training files"):
        make(str(one)).restore(state)


def test_count_tokens_and_errors(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat\n\n  \ton a\tmat \n", encoding="utf-8")
    assert count_tokens(corpus) == 4 + 5
    blank = tmp_path / "blank.txt"
    blank.write_text("\n \n", encoding="utf-8")
    with pytest.raises(ValueError, match="hold no token"):
        make_lm_pydataset(blank, VOCABULARY, batch_size=2, repeat=True)
    with pytest.raises(ValueError, match="fewer tokens than one batch"):
        make_lm_pydataset(corpus, VOCABULARY, batch_size=2, unroll_steps=9)
    with pytest.raises(ValueError, match="batch_size"):
        make_lm_pydataset(corpus, VOCABULARY, batch_size=0)
    with pytest.raises(ValueError, match="seed"):
        make_lm_pydataset(corpus, VOCABULARY, batch_size=1, seed="1")
    with pytest.raises(ValueError, match="<UNK>"):
        make_lm_pydataset(corpus, ["<S>", "</S>", "a"], batch_size=1)


def test_character_ids_match_batch_to_char_ids():
    tokens = [[b"<S>", "café".encode(), b"x" * 60, b"</S>"]]
    expected = batch_to_char_ids([["café", "x" * 60]])
    np.testing.assert_array_equal(CharacterIds(50)(tokens), expected)
