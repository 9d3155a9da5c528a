"""A tiny corpus and preset for the Beam tests, and the output reader."""

import glob
import json
import os

import h5py
import numpy as np
import pyarrow.parquet as pq

from keras_elmo.cli.main import main
from tests.fixtures.generated import CORPUS_LINES
from tests.fixtures.generated import SENTENCE_BATCHES
from tests.presets.preset_server import write_tiny_preset

# a.txt: valid lines only (`keras-elmo embed` reads it too); b.txt: valid
# lines and one bad line of each kind (max_sentence_tokens=50).
GOOD_LINES = SENTENCE_BATCHES[0] + SENTENCE_BATCHES[1]
MAX_SENTENCE_TOKENS = 50
BAD_LINES = {
    2: (b"\xffnot utf-8", "not valid UTF-8 (byte 0xff at column 1)"),
    4: (b"   ", "empty after tokenization"),
    6: (b"x " * 51, "51 tokens, over the bound of 50 (max_sentence_tokens)"),
}


def write_corpus(directory):
    """Write the preset and the two input files; returns their paths."""
    preset = write_tiny_preset(directory / "tiny", seed=2)
    corpus = directory / "corpus"
    corpus.mkdir()
    text = "\n".join(GOOD_LINES) + "\n"
    (corpus / "a.txt").write_text(text, encoding="utf-8")
    b_lines = [line.encode() for line in CORPUS_LINES[:4]] + [b"ok ."] * 3
    for number, (raw, _) in BAD_LINES.items():
        b_lines.insert(number - 1, raw)
    (corpus / "b.txt").write_bytes(b"\n".join(b_lines) + b"\n")
    return preset, corpus


def good_keys(corpus):
    """The (source, line) of every valid line of `write_corpus`."""
    a = [(str(corpus / "a.txt"), n + 1) for n in range(len(GOOD_LINES))]
    b = [(str(corpus / "b.txt"), n) for n in range(1, 11) if n not in BAD_LINES]
    return a + b


def read_embeddings(output_dir):
    """Every row of the Parquet shards, as a list of dicts."""
    rows = []
    for path in sorted(glob.glob(os.path.join(output_dir, "*.parquet"))):
        rows += pq.read_table(path).to_pylist()
    return rows


def read_dead_letter(output_dir):
    records = []
    for path in sorted(glob.glob(os.path.join(output_dir, "*.jsonl"))):
        with open(path, encoding="utf-8") as lines:
            records += [json.loads(line) for line in lines]
    return records


def embed_command_vectors(preset, text_file, out_file, flag="--all"):
    """`keras-elmo embed`'s vectors of each line of `text_file`."""
    argv = ["embed", str(text_file), str(out_file), "--model", str(preset)]
    assert main(argv + [flag, "--no-progress"]) == 0
    with h5py.File(out_file, "r") as f:
        return [f[str(i)][...] for i in range(len(f) - 1)]


def assert_vectors_equal_embed(rows, source, expected, columns):
    """Rows of `source` hold `expected` (embed's arrays, by line - 1)."""
    by_line = {row["line"]: row for row in rows if row["source"] == source}
    assert sorted(by_line) == list(range(1, len(expected) + 1))
    for line, array in enumerate(expected, start=1):
        row = by_line[line]
        n = len(row["tokens"])
        got = np.stack(
            [np.asarray(row[c], np.float32).reshape(n, -1) for c in columns]
        )
        np.testing.assert_allclose(
            got, array.reshape(got.shape), atol=1e-6, rtol=0
        )
