"""Shared inputs of the training tests, and one tiny run trained per session.

Training even a tiny biLM costs seconds of tracing and XLA compilation, so
the trainer, TensorBoard, export, perplexity and CLI tests share one run of
`train_language_model` on the generated training corpus
(`tests.fixtures.generated`; made on first use, in a temporary directory
removed at exit).
"""

import atexit
import collections
import functools
import math
import shutil
import sys
import tempfile
from pathlib import Path

import keras

from tests.fixtures.generated import generated_corpus_dir
from tests.fixtures.generated import generated_model_dir
from tests.test_case import REPO_ROOT

TRAIN_DATA = generated_corpus_dir() / "data.txt"
TRAIN_VOCABULARY = generated_corpus_dir() / "vocab.txt"
FIXTURE_OPTIONS = generated_model_dir() / "options.json"
FIXTURE_WEIGHTS = generated_model_dir() / "lm_weights.hdf5"


def unigram_perplexity(data_file, vocabulary_file):
    """Perplexity of the targets' own unigram distribution (both LMs).

    The forward targets of a line are `w1 .. wn </S>`, the backward ones
    `<S> w1 .. wn`; words outside the vocabulary are `<UNK>`. What a model
    that ignores the context can reach at best on this text.
    """
    vocabulary = set(Path(vocabulary_file).read_text().split())
    targets = []
    for line in Path(data_file).read_text().splitlines():
        words = [w if w in vocabulary else "<UNK>" for w in line.split()]
        if words:
            targets += words + ["</S>"] + ["<S>"] + words
    counts = collections.Counter(targets)
    total = len(targets)
    entropy = -sum(c * math.log(c / total) for c in counts.values()) / total
    return math.exp(entropy)


# 22.4 for the generated corpus (26 words and <UNK>).
UNIGRAM_PERPLEXITY = unigram_perplexity(TRAIN_DATA, TRAIN_VOCABULARY)

# The shared run's biLM: a 124-filter, 2-layer biLM like the fixture's
# learns this corpus' context only after hundreds of steps; this one (32
# filters, 1 highway, 1 LSTM layer of 32 units projected to 16) in about a
# hundred.
SHARED_RUN_OPTIONS = {
    "char_cnn": {
        "activation": "relu",
        "embedding": {"dim": 4},
        "filters": [[1, 8], [2, 8], [3, 16]],
        "max_characters_per_token": 50,
        "n_characters": 262,
        "n_highway": 1,
    },
    "lstm": {
        "cell_clip": 3,
        "dim": 32,
        "n_layers": 1,
        "proj_clip": 3,
        "projection_dim": 16,
        "use_skip_connections": False,
    },
}

# The shared run: 4 rows x 10 tokens a batch (data.txt holds 145 stream
# tokens: 3 batches a pass), Adam, XLA-compiled, validation on data.txt
# (the fixture has no held-out split; bilm-tf's own test does the same).
SHARED_RUN = {
    "batch_size": 4,
    "unroll_steps": 10,
    "steps": 240,
    "checkpoint_every": 80,
    "log_every": 20,
    "num_negative_samples": 16,
    "softmax": "sampled",
    "dropout": 0.0,
    "learning_rate": 0.01,
    "jit_compile": True,
    "seed": 0,
    "profile_steps": (21, 22),
}

# A biLM small enough to trace and run in a few seconds.
TINY_OPTIONS = {
    "char_cnn": {
        "activation": "relu",
        "embedding": {"dim": 4},
        "filters": [[1, 4], [2, 4]],
        "max_characters_per_token": 50,
        "n_characters": 262,
        "n_highway": 1,
    },
    "lstm": {
        "cell_clip": 3,
        "dim": 8,
        "n_layers": 1,
        "proj_clip": 3,
        "projection_dim": 4,
        "use_skip_connections": False,
    },
}


def tiny_elmo(**kwargs):
    """An `ELMo` of `TINY_OPTIONS`, named as the trainer names its biLM."""
    from keras_elmo.conversion.bilm_options import options_to_config
    from keras_elmo.models.elmo import ELMo

    config = dict(options_to_config(TINY_OPTIONS), name="elmo")
    return ELMo(**{**config, **kwargs})


def subprocess_env():
    """Environment for `python -m keras_elmo...` children: repo importable."""
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT)] + [p for p in [env.get("PYTHONPATH")] if p]
    )
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env.pop("TF_CONFIG", None)
    return env


def python():
    return sys.executable


@functools.cache
def _train_shared_run():
    from keras_elmo.training.trainer import train_language_model

    directory = Path(tempfile.mkdtemp(prefix="keras_elmo_shared_run_"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    keras.utils.set_random_seed(SHARED_RUN["seed"])
    result = train_language_model(
        directory / "run", shared_run_config(), verbose=0
    )
    return directory / "run", result


def shared_run_config(**fields):
    """The `TrainingConfig` of the shared run (constant-rate Adam)."""
    from keras_elmo.training.training_config import TrainingConfig

    values = dict(
        SHARED_RUN,
        train_files=str(TRAIN_DATA),
        vocabulary=str(TRAIN_VOCABULARY),
        options=SHARED_RUN_OPTIONS,
        validation_files=str(TRAIN_DATA),
        optimizer="adam",
        warmup_steps=0,
        decay="constant",
        global_clipnorm=10.0,
    )
    values.update(fields)
    return TrainingConfig(**values)


def tiny_config(**fields):
    """A `TrainingConfig` of one step of `TINY_OPTIONS` on the fixture."""
    from keras_elmo.training.training_config import TrainingConfig

    values = dict(
        train_files=str(TRAIN_DATA),
        vocabulary=str(TRAIN_VOCABULARY),
        options=TINY_OPTIONS,
        batch_size=2,
        unroll_steps=5,
        steps=1,
        jit_compile=False,
    )
    values.update(fields)
    return TrainingConfig(**values)


def shared_run():
    """`(run_dir, result)` of the shared tiny run."""
    return _train_shared_run()
