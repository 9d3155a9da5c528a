import h5py
import numpy as np
import pytest

from keras_elmo.inference.token_embedding_cache import TokenEmbeddingCache
from keras_elmo.inference.token_embedding_cache import dump_token_embeddings
from keras_elmo.models.elmo import ELMo
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from tests.fixtures.make_tiny_elmo import write_tiny_elmo

SENTENCES = [["the", "cat", "sat"], ["naïve", "日本語"], []]
VOCABULARY = ["<S>", "</S>", "<UNK>", "the", "cat", "sat", "naïve", "日本語"]


@pytest.fixture
def model(tmp_path):
    return ELMo.from_bilm_hdf5(*write_tiny_elmo(tmp_path, seed=9))


def test_cached_path_equals_character_path(model):
    cache = TokenEmbeddingCache(model, VOCABULARY)
    cached = cache(cache.token_ids(SENTENCES))
    direct = model(batch_to_char_ids(SENTENCES))
    for key in ("token_embeddings", "layers", "mask"):
        np.testing.assert_allclose(cached[key], direct[key], atol=1e-5)


def test_dump_writes_bilm_tf_hdf5(model, tmp_path):
    path = tmp_path / "vocab_embedding.hdf5"
    table = dump_token_embeddings(model, VOCABULARY, path, batch_size=3)
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(f["embedding"][...], table)
    assert table.shape == (len(VOCABULARY), model.projection_dim)


def test_out_of_vocabulary_and_bad_table(model):
    cache = TokenEmbeddingCache(model, VOCABULARY)
    with pytest.raises(KeyError, match="'dog'"):
        cache.token_ids([["the", "dog"]])
    with pytest.raises(ValueError, match="embeddings"):
        TokenEmbeddingCache(model, VOCABULARY, embeddings=np.zeros((2, 3)))
