"""Inference speed with the token-embedding cache vs the character path.

The cache (`keras_elmo.inference.TokenEmbeddingCache`) replaces the
character CNN, highway and projection by a table lookup for words of a
known vocabulary. This times the same sentences (256 English sentences of
20-30 tokens, bucketed into batches) through both paths of one model with
random weights of a preset, each forward compiled by XLA, after a warm-up,
median of `--repeats` passes, and checks that the outputs agree.

Usage (from the repository root):

    python benchmarks/token_cache.py
    python benchmarks/token_cache.py --preset original --batch-size 128
"""

import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))

from benchmarks.common import base_parser
from benchmarks.common import batches
from benchmarks.common import clock
from benchmarks.common import configure_threads
from benchmarks.common import corpus_sentences
from benchmarks.common import emit
from benchmarks.common import load_average
from benchmarks.common import machine_info
from benchmarks.common import median


def parse_args(argv=None):
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--preset", default="elmo_small_en")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--sentences", type=int, default=256)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    threads = configure_threads(args.intra_op_threads, args.inter_op_threads)
    import keras
    import numpy as np
    import tensorflow as tf

    from keras_elmo.inference.token_embedding_cache import TokenEmbeddingCache
    from keras_elmo.models.elmo import ELMo
    from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids

    emit({"benchmark": "machine", **machine_info(), "threads": threads})
    keras.utils.set_random_seed(args.seed)
    model = ELMo.from_preset(args.preset, load_weights=False)
    sentences = corpus_sentences(20, 30)[: args.sentences]
    groups = batches(sentences, args.batch_size, bucket=True)
    vocabulary = sorted({token for sentence in sentences for token in sentence})
    cache = TokenEmbeddingCache(model, vocabulary)
    char_ids = [tf.constant(batch_to_char_ids(group)) for group in groups]
    token_ids = [tf.constant(cache.token_ids(group)) for group in groups]
    paths = {
        "characters": (
            tf.function(lambda ids: model(ids)["layers"], jit_compile=True),
            char_ids,
        ),
        "token_cache": (
            tf.function(lambda ids: cache(ids)["layers"], jit_compile=True),
            token_ids,
        ),
    }
    timer = clock(args.clock)
    words = sum(len(s) for s in sentences)
    results, outputs = {}, {}
    for name, (forward, inputs) in paths.items():
        outputs[name] = [np.asarray(forward(ids)) for ids in inputs]  # warm-up
        seconds = []
        for _ in range(args.repeats):
            start = timer()
            for ids in inputs:
                np.asarray(forward(ids))
            seconds.append(timer() - start)
        results[name] = median(seconds)
    error = max(
        float(np.abs(a - b).max())
        for a, b in zip(outputs["characters"], outputs["token_cache"])
    )
    emit(
        {
            "benchmark": "token_cache",
            "preset": args.preset,
            "batch_size": args.batch_size,
            "clock": args.clock,
            "threads": threads,
            "tokens": words,
            "vocabulary": len(cache.vocabulary),
            "characters_tokens_per_s": round(words / results["characters"], 1),
            "token_cache_tokens_per_s": round(
                words / results["token_cache"], 1
            ),
            "speedup": round(results["characters"] / results["token_cache"], 2),
            "max_abs_difference": error,
            "load_average": load_average(),
        }
    )


if __name__ == "__main__":
    main()
