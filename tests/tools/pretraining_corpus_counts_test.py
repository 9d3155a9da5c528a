"""The fetched pretraining corpus is the one the shipped model was made from.

Runs where `data/pretraining/` holds a corpus fetched by
`tools/prepare_pretraining_corpus.py` (after `prepare_ablation_data.py`);
CI without the data skips with the reason. Counts and SHA-256 hashes are
those recorded in the model card's metadata
(`saved_models/elmo_tiny_en/preset/metadata.json`, `corpus`).
"""

import hashlib
import json

import pytest

from tests.test_case import REPO_ROOT

CORPUS_DIR = REPO_ROOT / "data" / "pretraining"
# The corpus of elmo_tiny_en (fetched 2026-11, seed 1234).
EXPECTED_COUNTS = {
    "sentences": 188_031,
    "tokens": 5_021_173,
    "train": {"sentences": 186_151, "tokens": 4_971_995},
    "heldout": {"sentences": 1_880, "tokens": 49_178},
    "vocabulary": 37_296,
}
EXPECTED_SHA256 = {
    "train/part-00000.txt": (
        "75e01996fda48bc79eb737c82253379538a7facb10869049918aa27169c77d7e"
    ),
    "train/part-00001.txt": (
        "c28de3afc74eb367b70c30b936f2d4c0b2f15edcd1b4cdcfca429b6ce6f9e5dc"
    ),
    "train/part-00002.txt": (
        "3c9fd3aa92570c92fab3ca96cf0cf9859bc7c022a353c3161d4bf7112135d0a4"
    ),
    "train/part-00003.txt": (
        "ac31d99e89691a009493e5e710792495fe3b9281f8eef96e942ebf2eda6ad1b7"
    ),
    "heldout.txt": (
        "abc6972c65c895c59f7dfbae39b8d1f6fa01a72b28e04a23d60da1424d5cf1b9"
    ),
    "vocab.txt": (
        "bc867562f09f00aa75c6fc2595b6ca8d477629fcc52588fe67ca89d050468ea0"
    ),
}


@pytest.fixture(scope="module")
def corpus():
    if not (CORPUS_DIR / "stats.json").is_file():
        pytest.skip(
            f"{CORPUS_DIR} holds no fetched corpus: run "
            "`python -m tools.prepare_ablation_data`, then "
            "`python -m tools.prepare_pretraining_corpus` (network needed)"
        )
    return json.loads((CORPUS_DIR / "stats.json").read_text())


def _count(paths):
    sentences = tokens = 0
    for path in paths:
        with open(path, "rb") as f:
            for line in f:
                words = line.split()
                if words:
                    sentences += 1
                    tokens += len(words)
    return sentences, tokens


def test_recorded_counts(corpus):
    assert corpus["sentences"] == EXPECTED_COUNTS["sentences"]
    assert corpus["tokens"] == EXPECTED_COUNTS["tokens"]
    for split in ("train", "heldout"):
        recorded = corpus["splits"][split]
        assert recorded["sentences"] == EXPECTED_COUNTS[split]["sentences"]
        assert recorded["tokens"] == EXPECTED_COUNTS[split]["tokens"]
    assert corpus["vocabulary"]["size"] == EXPECTED_COUNTS["vocabulary"]
    # The ablation data was removed (prepared first).
    assert corpus["excluded_sentences_known"] > 0


def test_files_match_their_counts_and_hashes(corpus):
    for split in ("train", "heldout"):
        files = [CORPUS_DIR / name for name in corpus["splits"][split]["files"]]
        sentences, tokens = _count(files)
        assert sentences == EXPECTED_COUNTS[split]["sentences"]
        assert tokens == EXPECTED_COUNTS[split]["tokens"]
    for name, expected in EXPECTED_SHA256.items():
        digest = hashlib.sha256((CORPUS_DIR / name).read_bytes()).hexdigest()
        assert digest == expected, name
